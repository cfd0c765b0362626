// Storefront's one script. Everything works without it; it only adds a live
// countdown (from the server's clock) and opens a sale's claim button on time.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function start() {
    var clocks = document.querySelectorAll("[data-countdown]");
    if (!clocks.length) return;
    // The page says what time the server had; the gap to this clock is kept.
    var serverNow = Date.parse(clocks[0].getAttribute("data-now"));
    var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();
    function tick() {
      var now = Date.now() + skew;
      clocks.forEach(function (el) {
        var left = Math.max(0, Math.floor((Date.parse(el.getAttribute("data-countdown")) - now) / 1000));
        el.textContent = Math.floor(left / 3600) + ":" + pad(Math.floor(left / 60) % 60) + ":" + pad(left % 60);
      });
      document.querySelectorAll("button[data-opens][disabled]").forEach(function (button) {
        if (Date.parse(button.getAttribute("data-opens")) <= now) button.disabled = false;
      });
    }
    tick();
    setInterval(tick, 250);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
