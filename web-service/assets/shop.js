// Storefront's one script. Everything works without it; it only adds a live
// countdown (from the server's clock), opens a sale's claim button on time,
// and sends the cart's forms in the background: "Add to cart" keeps the
// shopper on the product (the header's cart badge and the notice change in
// place), and the cart's quantity and remove forms redraw the cart without
// a page load. The server's answer is the same page a form would have led
// to; this script only takes the parts it needs from it. In the back office
// it refreshes a live sale's figures in place and shows and takes times in
// the admin's own time zone.
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function countdowns() {
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

  // The notice of the page the form led to, shown at the top of this one.
  function showNotice(doc) {
    var main = document.getElementById("main");
    var old = main.querySelector(":scope > .notice");
    if (old) old.remove();
    var notice = doc.querySelector("#main > .notice");
    if (notice) main.insertBefore(document.importNode(notice, true), main.firstChild);
  }

  function swap(selector, doc) {
    var mine = document.querySelector(selector);
    var theirs = doc.querySelector(selector);
    if (mine && theirs) mine.replaceWith(document.importNode(theirs, true));
  }

  function send(form, mode) {
    var busy = form.querySelector("button[type=submit]");
    if (busy) busy.disabled = true;
    var focused = document.activeElement && document.activeElement.id;
    return fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
      redirect: "follow",
    }).then(function (response) {
      // Anything but the page the form leads to (a refusal, a service
      // down): the browser shows the server's own page for it.
      if (!response.ok || !response.headers.get("content-type").startsWith("text/html")) {
        throw new Error("status " + response.status);
      }
      return response.text();
    }).then(function (text) {
      var doc = new DOMParser().parseFromString(text, "text/html");
      swap("[data-cart-badge]", doc);
      if (mode === "cart") {
        var nodes = Array.from(doc.getElementById("main").childNodes);
        document.getElementById("main").replaceChildren(...nodes.map(function (n) { return document.importNode(n, true); }));
        var again = focused && document.getElementById(focused);
        if (again) again.focus();
      } else {
        showNotice(doc);
        if (busy) busy.disabled = false;
      }
    });
  }

  function enhanceForms() {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      var mode = form.getAttribute("data-enhance");
      if (!mode || !window.fetch || !window.DOMParser) return;
      event.preventDefault();
      send(form, mode).catch(function () { form.submit(); });
    });
  }

  // A section marked data-refresh="ms" is fetched again from this page's
  // address and replaced in place (the back office's live sale view).
  function refreshers() {
    document.querySelectorAll("[data-refresh][id]").forEach(function (el) {
      var every = Math.max(1000, parseInt(el.getAttribute("data-refresh"), 10) || 2000);
      setInterval(function () {
        fetch(window.location.href, { credentials: "same-origin" }).then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.text();
        }).then(function (text) {
          var doc = new DOMParser().parseFromString(text, "text/html");
          var fresh = doc.getElementById(el.id);
          var mine = document.getElementById(el.id);
          if (fresh && mine) mine.replaceChildren(...Array.from(fresh.childNodes).map(function (n) { return document.importNode(n, true); }));
        }).catch(function () { /* the next tick tries again */ });
      }, every);
    });
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }
  function zoneName(minutes) {
    if (minutes === 0) return "UTC";
    var sign = minutes < 0 ? "\u2212" : "+";
    var abs = Math.abs(minutes);
    return "UTC" + sign + pad2(Math.floor(abs / 60)) + ":" + pad2(abs % 60);
  }

  // Forms with times are typed in the admin's own zone: the browser's
  // offset goes with the form, and the labels say which zone it is. Times
  // marked data-local are shown in that zone with UTC beside them.
  function localTimes() {
    var minutes = -new Date().getTimezoneOffset();
    document.querySelectorAll("form[data-local-times]").forEach(function (form) {
      var field = form.querySelector("input[name=utc_offset_minutes]");
      if (!field || field.value === String(minutes)) return;
      var before = parseInt(field.value, 10) || 0;
      form.querySelectorAll("input[type=datetime-local]").forEach(function (input) {
        // Values the server filled in were in the zone it was told; move them.
        var at = Date.parse(input.value + ":00Z");
        if (isNaN(at)) return;
        var local = new Date(at - before * 60000 + minutes * 60000);
        input.value = local.toISOString().slice(0, 16);
      });
      field.value = String(minutes);
      form.querySelectorAll("[data-zone]").forEach(function (el) { el.textContent = zoneName(minutes); });
    });
    document.querySelectorAll("time[data-local]").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime()) || minutes === 0) return;
      var local = new Date(at.getTime() + minutes * 60000).toISOString();
      el.textContent = local.slice(0, 10) + " " + local.slice(11, 16) + " " + zoneName(minutes) + " (" + el.textContent + ")";
    });
  }

  function start() {
    countdowns();
    enhanceForms();
    refreshers();
    localTimes();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
