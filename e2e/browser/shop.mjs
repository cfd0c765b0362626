// The shop journeys in headless Chromium (Debian's package), as shoppers use
// the web shop: run by `cargo xtask browser-test` (and `cargo xtask test`),
// which starts the six services, loads the demo shop and passes their URLs.
//
//   1. a guest searches, fills a cart, signs up at checkout (the cart
//      survives), orders with WELCOME10 and tok_visa, finds the receipt at
//      the emulator, cancels, and the stock comes back;
//   2. a declined card shows its reason and keeps the cart;
//   3. a flash sale of 1 unit: two shoppers press claim when it opens; one
//      gets it and checks out at the sale price, the other sees sold out;
//   4. browse, cart and checkout with JavaScript off;
//   5. a 390-px phone: no page scrolls sideways;
//   6. the back office: an admin adds a product, sets its stock under the
//      threshold (the low-stock email arrives), makes a campaign with a code
//      and a flash sale; a shopper buys with the code; the admin ships the
//      order (the shipping email arrives) and opens the day's report, whose
//      totals and charts match the day's orders.
//
// On every page: axe-core finds no serious or critical violation, the
// console has no error, no request leaves loopback; a screenshot of each is
// saved in --out-dir.

import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { chromium } from "playwright-core";

const { values: opts } = parseArgs({
  options: {
    "web-url": { type: "string" },
    "registration-url": { type: "string" },
    "catalog-url": { type: "string" },
    "inventory-url": { type: "string" },
    "moto-url": { type: "string" },
    "order-url": { type: "string" },
    "admin-email": { type: "string" },
    "admin-password": { type: "string" },
    "alert-email": { type: "string" },
    "out-dir": { type: "string" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});
const REQUIRED = ["web-url", "registration-url", "catalog-url", "inventory-url", "order-url", "moto-url", "admin-email", "admin-password", "alert-email", "out-dir"];
for (const name of REQUIRED) {
  if (!opts[name]) {
    console.error(`usage: node shop.mjs ${REQUIRED.map((n) => `--${n} <…>`).join(" ")}`);
    process.exit(2);
  }
}
const web = opts["web-url"].replace(/\/+$/, "");
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
];
const ACTION_TIMEOUT_MS = 30_000;
const OVERALL_TIMEOUT_MS = 420_000;
const PASSWORD = "correct horse battery staple";
const axeSource = await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const problems = [];
let shot = 0;
/** Pages asked for to see their 404: their own load error is expected. */
const expectedMissing = new Set();

function check(condition, message) {
  if (!condition) throw new Error(message);
}

function isLoopback(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (["data:", "blob:", "about:"].includes(parsed.protocol)) return true;
  if (!["http:", "https:", "ws:", "wss:"].includes(parsed.protocol)) return false;
  const host = parsed.hostname;
  return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Cents from "$12.34" (the first amount in `text`). */
function cents(text) {
  const match = /-?\$(\d+)\.(\d{2})/.exec(text);
  check(match, `no amount in ${JSON.stringify(text)}`);
  const value = Number(match[1]) * 100 + Number(match[2]);
  return text.trim().startsWith("-") ? -value : value;
}

function uniqueEmail(who) {
  return `${who}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@storefront.test`;
}

async function api(base, method, pathAndQuery, { token, body } = {}) {
  const response = await fetch(`${opts[base]}${pathAndQuery}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

async function available(sku) {
  const { json } = await api("inventory-url", "GET", `/inventory/${encodeURIComponent(sku)}`);
  return json.available;
}

async function newShopper(browser, name, { javaScriptEnabled = true, viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ javaScriptEnabled, viewport });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.on("request", (request) => {
    if (!isLoopback(request.url())) problems.push(`${name}: request leaving loopback: ${request.method()} ${request.url()}`);
  });
  await context.route((url) => !isLoopback(url.href), (route) => route.abort("blockedbyclient"));
  const page = await context.newPage();
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    if (expectedMissing.has(page.url()) && message.text().includes("status of 404")) return;
    problems.push(`${name}: console error on ${page.url()}: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${name}: page error on ${page.url()}: ${error.message}`));
  return { name, context, page, javaScriptEnabled, phone: viewport.width < 600 };
}

/** What every page must pass, and its screenshot. */
async function inspect(shopper, label) {
  const { page } = shopper;
  await page.waitForLoadState("load");
  const status = await page.evaluate(() => document.title);
  check(status.includes("Storefront"), `${label}: the page has no Storefront title (${status})`);
  if (shopper.javaScriptEnabled) {
    await page.evaluate(axeSource);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    for (const v of result.violations.filter((v) => ["serious", "critical"].includes(v.impact))) {
      problems.push(`${shopper.name}: axe ${v.impact} on ${label} (${page.url()}): ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`);
    }
  }
  if (shopper.phone) {
    const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    check(widths[0] <= widths[1], `${label}: the page scrolls sideways on a phone (${widths[0]} px wide in ${widths[1]})`);
  }
  shot += 1;
  const file = path.join(opts["out-dir"], `shop-${String(shot).padStart(2, "0")}-${shopper.name}-${label}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

async function goto(shopper, pathAndQuery, label) {
  const response = await shopper.page.goto(`${web}${pathAndQuery}`);
  check(response, `${label}: no response`);
  await inspect(shopper, label);
  return response;
}

async function signUp(shopper, email) {
  const { page } = shopper;
  await page.getByLabel("First name").fill("Ada");
  await page.getByLabel("Last name").fill(shopper.name);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
}

async function fillAddress(page) {
  await page.getByLabel("Street and number").fill("1 Main St");
  await page.getByLabel("City").fill("Toronto");
  await page.getByLabel(/State or province/).fill("ON");
  await page.getByLabel("Postal code").fill("M5V 2T6");
  await page.getByLabel(/^Country/).fill("CA");
}

async function addToCart(shopper, query, productName, quantity) {
  const { page } = shopper;
  await goto(shopper, "/", "home");
  await page.getByRole("searchbox", { name: "Search products" }).fill(query);
  await page.getByRole("search").getByRole("button", { name: "Search" }).click();
  await inspect(shopper, "search");
  await page.getByRole("link", { name: productName }).first().click();
  await inspect(shopper, "product");
  const sku = (await page.locator(".sku").innerText()).replace("SKU", "").trim();
  await page.getByLabel("Quantity").fill(String(quantity));
  await page.getByRole("button", { name: "Add to cart" }).click();
  if (shopper.javaScriptEnabled) {
    // Sent in the background: the shopper stays on the product, and the
    // header's badge and the notice say what happened.
    await page.locator("[data-cart-badge] .badge", { hasText: String(quantity) }).waitFor();
    await page.locator("#main > .notice", { hasText: "Added to your cart" }).waitFor();
    check(/\/shop\//.test(page.url()), `adding to the cart left the product page for ${page.url()}`);
    await page.locator("[data-cart-badge]").click();
  }
  await page.waitForURL(/\/basket/);
  await inspect(shopper, "cart");
  check((await page.locator("table.cart").innerText()).includes(productName), `the cart does not show ${productName}`);
  return sku;
}

async function emailsTo(recipient) {
  const response = await fetch(`${opts["moto-url"]}/moto-api/data.json`);
  const data = await response.json();
  const raw = data?.ses?.Message ?? [];
  const messages = Array.isArray(raw) ? raw : Object.values(raw);
  return messages.filter((m) => (m?.destinations?.ToAddresses ?? []).includes(recipient));
}

async function guestOrdersWithPromoAndCancels(browser) {
  const shopper = await newShopper(browser, "guest");
  const { page } = shopper;
  const sku = await addToCart(shopper, "mug", "Ceramic Mug 350 ml", 2);
  // The cart's forms redraw the cart in place: no page load.
  await page.evaluate(() => { window.sameDocument = true; });
  await page.getByLabel(/^Quantity of/).fill("3");
  await page.getByRole("button", { name: "Update" }).click();
  await page.locator("dl.totals .grand dd", { hasText: "$36.00" }).waitFor();
  await page.getByLabel(/^Quantity of/).fill("2");
  await page.getByRole("button", { name: "Update" }).click();
  await page.locator("dl.totals .grand dd", { hasText: "$24.00" }).waitFor();
  check(await page.evaluate(() => window.sameDocument === true), "changing a quantity reloaded the page");
  check((await page.locator("[data-cart-badge] .badge").innerText()).trim() === "2", "the badge does not show 2 after the update");
  const before = await available(sku);
  await page.getByRole("link", { name: "Check out" }).click();
  await page.waitForURL(/\/sign-in/);
  await inspect(shopper, "sign-in");
  await page.getByRole("link", { name: "Create an account" }).click();
  await inspect(shopper, "sign-up");
  const email = uniqueEmail("guest");
  await signUp(shopper, email);
  await page.waitForURL(/\/checkout/);
  await inspect(shopper, "checkout");
  check((await page.locator(".summary").innerText()).includes("Ceramic Mug 350 ml"), "the cart did not survive signing up");
  await fillAddress(page);
  await page.getByLabel(/^Promo code/).fill("WELCOME10");
  await page.getByLabel(/Visa ending 4242/).check();
  await page.getByRole("button", { name: "Place order" }).click();
  await page.waitForURL(/\/account\/orders\/[0-9a-f-]{36}$/);
  await inspect(shopper, "confirmation");
  const totals = page.locator("dl.totals");
  const subtotal = cents(await totals.locator(".total-line").filter({ hasText: "Subtotal" }).locator("dd").innerText());
  const discount = cents(await totals.locator(".discount dd").innerText());
  const total = cents(await totals.locator(".grand dd").innerText());
  check(subtotal === 2 * 1200, `subtotal ${subtotal}`);
  check(discount === -Math.round(subtotal / 10), `discount ${discount}`);
  check(total === subtotal + discount, `total ${total} is not ${subtotal} ${discount}`);
  check((await page.locator("h1").innerText()).includes("Confirmed"), "the order is not confirmed");
  check((await available(sku)) === before - 2, "the stock was not taken");

  let receipt = [];
  for (let i = 0; i < 60 && receipt.length === 0; i += 1) {
    receipt = (await emailsTo(email)).filter((m) => /order|receipt/i.test(m.subject ?? JSON.stringify(m)));
    if (receipt.length === 0) await new Promise((r) => setTimeout(r, 500));
  }
  check(receipt.length > 0, `no receipt email to ${email} at the emulator`);
  console.log(`guest: receipt "${receipt[0].subject}" reached the emulator`);

  await goto(shopper, "/account/orders", "orders");
  await page.locator("table.orders a").first().click();
  await inspect(shopper, "order");
  await page.getByRole("button", { name: "Cancel this order" }).click();
  await page.getByText("Your order is cancelled").waitFor();
  await inspect(shopper, "cancelled");
  check((await page.locator("h1").innerText()).includes("Cancelled"), "the order does not show cancelled");
  check((await available(sku)) === before, "the stock did not come back");
  console.log("journey 1 (guest → promo → order → receipt → cancel): passed");
  await shopper.context.close();
}

async function declinedCardKeepsTheCart(browser) {
  const shopper = await newShopper(browser, "declined");
  const { page } = shopper;
  await goto(shopper, "/sign-up", "sign-up");
  await signUp(shopper, uniqueEmail("declined"));
  await page.waitForURL(`${web}/`);
  await addToCart(shopper, "skillet", "Cast-Iron Skillet 26 cm", 1);
  await page.getByRole("link", { name: "Check out" }).click();
  await page.waitForURL(/\/checkout/);
  await fillAddress(page);
  await page.getByLabel("Card that is declined").check();
  await page.getByRole("button", { name: "Place order" }).click();
  await page.waitForURL(/\/account\/orders\//);
  await inspect(shopper, "declined");
  const alert = await page.getByRole("alert").innerText();
  check(/not placed/.test(alert) && /declined/.test(alert), `the reason is not shown: ${alert}`);
  await goto(shopper, "/basket", "cart-kept");
  check((await page.locator("table.cart").innerText()).includes("Cast-Iron Skillet 26 cm"), "the cart was not kept");
  console.log("journey 2 (declined card): passed");
  await shopper.context.close();
}

async function twoShoppersRaceForOneUnit(browser) {
  const admin = await api("registration-url", "POST", "/auth/token", {
    body: { grant_type: "password", email: opts["admin-email"], password: opts["admin-password"] },
  });
  check(admin.status === 200, `admin sign-in: ${admin.status}`);
  const token = admin.json.access_token;
  const sku = "KETTLE-GOOSENECK";
  const opensAt = new Date(Date.now() + 12_000);
  opensAt.setMilliseconds(0);
  const sale = await api("inventory-url", "POST", "/flash-sales", {
    token,
    body: {
      sku, quantity: 1, price_cents: 1900, per_customer_limit: 1,
      starts_at: opensAt.toISOString(), ends_at: new Date(opensAt.getTime() + 600_000).toISOString(),
    },
  });
  check(sale.status === 201, `creating the sale: ${sale.status} ${JSON.stringify(sale.json)}`);
  const salePath = `/sales/${sale.json.id}`;
  const shoppers = [];
  for (const name of ["racer-a", "racer-b"]) {
    const shopper = await newShopper(browser, name);
    await goto(shopper, "/sign-up", "sign-up");
    await signUp(shopper, uniqueEmail(name));
    await shopper.page.waitForURL(`${web}/`);
    await goto(shopper, salePath, "sale-countdown");
    check(await shopper.page.locator("time.countdown").isVisible(), `${name}: no countdown`);
    check(await shopper.page.getByRole("button", { name: "Claim one" }).isDisabled(), `${name}: claim is open early`);
    shoppers.push(shopper);
  }
  // The script opens the button at the server's opening time.
  await Promise.all(shoppers.map((s) => s.page.getByRole("button", { name: "Claim one" }).waitFor({ state: "visible" })));
  await Promise.all(shoppers.map((s) => s.page.locator("button.claim:not([disabled])").waitFor({ timeout: 30_000 })));
  await Promise.all(shoppers.map((s) => s.page.getByRole("button", { name: "Claim one" }).click()));
  const results = [];
  for (const s of shoppers) {
    await s.page.locator("[data-claim-result]").waitFor();
    results.push(await s.page.locator("[data-claim-result]").getAttribute("data-claim-result"));
    await inspect(s, "sale-result");
  }
  check(results.filter((r) => r === "reserved").length === 1 && results.filter((r) => r === "sold-out").length === 1, `claims came to ${results}`);
  const winner = shoppers[results.indexOf("reserved")];
  await winner.page.getByRole("link", { name: /Check out at/ }).click();
  await winner.page.waitForURL(/\/checkout\?reservation=/);
  await inspect(winner, "sale-checkout");
  await fillAddress(winner.page);
  await winner.page.getByRole("button", { name: "Place order" }).click();
  await winner.page.waitForURL(/\/account\/orders\//);
  await inspect(winner, "sale-confirmation");
  const total = cents(await winner.page.locator("dl.totals .grand dd").innerText());
  check(total === 1900, `the sale order's total is ${total}, not the sale price`);
  console.log("journey 3 (flash sale, two shoppers, one unit): passed");
  for (const s of shoppers) await s.context.close();
}

async function withoutJavaScript(browser) {
  const shopper = await newShopper(browser, "no-js", { javaScriptEnabled: false });
  const { page } = shopper;
  await goto(shopper, "/sign-up", "sign-up");
  await signUp(shopper, uniqueEmail("nojs"));
  await page.waitForURL(`${web}/`);
  await addToCart(shopper, "mug", "Ceramic Mug 350 ml", 1);
  await page.getByLabel(/^Quantity of/).fill("3");
  await page.getByRole("button", { name: "Update" }).click();
  await page.waitForURL(/\/basket/);
  check((await page.locator("dl.totals .grand dd").innerText()).includes("$36.00"), "the quantity did not change");
  await page.getByRole("link", { name: "Check out" }).click();
  await page.waitForURL(/\/checkout/);
  await inspect(shopper, "checkout");
  await fillAddress(page);
  await page.getByRole("button", { name: "Place order" }).click();
  await page.waitForURL(/\/account\/orders\//);
  await inspect(shopper, "confirmation");
  check((await page.locator("h1").innerText()).includes("Confirmed"), "no confirmation without JavaScript");
  console.log("journey 4 (no JavaScript): passed");
  await shopper.context.close();
}

async function onAPhone(browser) {
  const shopper = await newShopper(browser, "phone", { viewport: { width: 390, height: 844 } });
  const { page } = shopper;
  await goto(shopper, "/sign-in", "sign-in");
  await goto(shopper, "/sign-up", "sign-up");
  await signUp(shopper, uniqueEmail("phone"));
  await page.waitForURL(`${web}/`);
  await addToCart(shopper, "kettle", "Gooseneck Kettle", 1);
  await goto(shopper, "/shop", "catalog");
  await goto(shopper, "/checkout", "checkout");
  await fillAddress(page);
  await page.getByRole("button", { name: "Place order" }).click();
  await page.waitForURL(/\/account\/orders\//);
  await inspect(shopper, "confirmation");
  await goto(shopper, "/account/orders", "orders");
  await goto(shopper, "/account", "account");
  const sales = await api("inventory-url", "GET", "/flash-sales?limit=5");
  if (sales.json?.items?.length) await goto(shopper, `/sales/${sales.json.items[0].id}`, "sale");
  expectedMissing.add(`${web}/no-such-page`);
  const missing = await goto(shopper, "/no-such-page", "not-found");
  check(missing.status() === 404, "the missing page is not a 404");
  console.log("journey 5 (390-px phone, no sideways scrolling): passed");
  await shopper.context.close();
}

/** Waits until `probe` gives something truthy (emails and events arrive in moments). */
async function eventually(what, probe, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    check(Date.now() < until, `${what}: not within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A `datetime-local` value `minutes` from now, in the browser's zone (headless: the machine's). */
async function localInput(page, minutes) {
  return page.evaluate((m) => {
    const at = new Date(Date.now() + m * 60000);
    return new Date(at.getTime() - at.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  }, minutes);
}

async function theBackOffice(browser) {
  const admin = await newShopper(browser, "admin");
  const { page } = admin;
  await goto(admin, "/sign-in?next=%2Fadmin", "admin-sign-in");
  await page.getByLabel("Email", { exact: true }).fill(opts["admin-email"]);
  await page.getByLabel(/^Password/).fill(opts["admin-password"]);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${web}/admin`);
  await inspect(admin, "admin");

  // A product, then its stock under the threshold.
  const sku = `SPECKLE-${Date.now().toString(36).toUpperCase()}`;
  await page.getByRole("link", { name: "Products" }).first().click();
  await inspect(admin, "admin-products");
  await page.getByRole("link", { name: "Add a product" }).click();
  await inspect(admin, "admin-product-new");
  await page.getByLabel("SKU").fill(sku);
  await page.getByLabel("Name").fill("Speckled Mug");
  await page.getByLabel("Description").fill("A stoneware mug with a speckled glaze.");
  await page.getByLabel("Price").fill("18.00");
  await page.getByRole("button", { name: "Add product" }).click();
  await page.locator("#main > .notice", { hasText: "Speckled Mug is in the catalog" }).waitFor();
  await inspect(admin, "admin-product-edit");
  // inventory learns of the product from catalog.product_created.
  await eventually("the new SKU's stock row", async () => (await api("inventory-url", "GET", `/inventory/${sku}`)).status === 200);
  await goto(admin, `/admin/stock/${sku}`, "admin-stock-sku");
  await page.getByLabel("On hand").fill("3");
  await page.getByLabel("Low-stock threshold").fill("5");
  await page.getByRole("button", { name: "Save levels" }).click();
  await page.locator("#main > .notice", { hasText: "The levels are saved" }).waitFor();
  await page.locator(".notice", { hasText: "Low: 3 available" }).waitFor();
  await inspect(admin, "admin-stock-low");
  await eventually("the low-stock email", async () =>
    (await emailsTo(opts["alert-email"])).some((m) => JSON.stringify(m).includes(sku)));
  await goto(admin, "/admin/stock?low=true", "admin-stock-list");
  check(await page.locator("tr.low", { hasText: sku }).count() === 1, "the SKU is not marked low in the list");

  // A campaign with a code, and a flash sale of one unit.
  const code = `SPRING${Date.now().toString(36).toUpperCase().slice(-5)}`;
  await goto(admin, "/admin/campaigns/new", "admin-campaign-new");
  await page.getByLabel("Name").fill("Spring Sale");
  await page.getByLabel("Description").fill("20 % off everything");
  await page.getByLabel(/^How much/).fill("20");
  await page.getByLabel("Starts", { exact: false }).fill(await localInput(page, -1));
  await page.getByLabel("Ends", { exact: false }).fill(await localInput(page, 60));
  await page.getByLabel("Code").fill(code);
  await page.getByLabel(/^Redemptions allowed/).fill("50");
  await page.getByRole("button", { name: "Create campaign" }).click();
  await page.waitForURL(`${web}/admin/campaigns`);
  await inspect(admin, "admin-campaigns");
  check((await page.locator("table.admin").innerText()).includes(`${code} · 0 of 50 redeemed`), "the campaign's code and cap are not listed");

  await goto(admin, `/admin/sales/new?sku=${sku}`, "admin-sale-new");
  await page.getByLabel("Units for the sale").fill("1");
  await page.getByLabel("Sale price").fill("12.00");
  await page.getByLabel("Starts", { exact: false }).fill(await localInput(page, 30));
  await page.getByLabel("Ends", { exact: false }).fill(await localInput(page, 90));
  await page.getByRole("button", { name: "Create flash sale" }).click();
  await page.waitForURL(/\/admin\/sales\/[0-9a-f-]{36}$/);
  await page.locator("[data-remaining]", { hasText: "1 of 1" }).waitFor();
  await inspect(admin, "admin-sale-live");
  await goto(admin, "/admin/sales", "admin-sales");

  // A shopper buys the mug with the code.
  const shopper = await newShopper(browser, "buyer");
  const buyer = uniqueEmail("buyer");
  await goto(shopper, "/sign-up", "sign-up");
  await signUp(shopper, buyer);
  await shopper.page.waitForURL(`${web}/`);
  await addToCart(shopper, "speckled", "Speckled Mug", 1);
  await shopper.page.getByLabel("Promo code").fill(code);
  await shopper.page.getByRole("button", { name: "Apply" }).click();
  await shopper.page.locator("dl.totals .grand dd", { hasText: "$14.40" }).waitFor();
  await shopper.page.getByRole("link", { name: "Check out" }).click();
  await shopper.page.waitForURL(/\/checkout/);
  await fillAddress(shopper.page);
  await shopper.page.getByRole("button", { name: "Place order" }).click();
  await shopper.page.waitForURL(/\/account\/orders\//);
  const orderId = shopper.page.url().split("/").pop();
  check((await shopper.page.locator("[data-order-total]").innerText()).includes("$14.40"), "the order's total is not $14.40");
  await shopper.context.close();

  // The admin ships it after confirming; the shipping email arrives.
  await goto(admin, "/admin/orders?status=confirmed&shipment=pending", "admin-orders");
  await page.locator(`a[href="/admin/orders/${orderId}"]`).click();
  await page.waitForURL(`${web}/admin/orders/${orderId}`);
  await inspect(admin, "admin-order");
  await page.getByRole("link", { name: "Ship this order" }).click();
  await inspect(admin, "admin-order-ship");
  await page.getByRole("button", { name: /^Ship order/ }).click();
  await page.locator("#main > .notice", { hasText: "The order is shipped" }).waitFor();
  await eventually("the shipping email", async () =>
    (await emailsTo(buyer)).some((m) => /shipped/i.test(JSON.stringify(m))));
  await eventually("the order's emails in the back office", async () => {
    await page.reload();
    return (await page.locator("table.admin", { hasText: "order_shipped" }).count()) === 1;
  });
  await goto(admin, "/admin/campaigns", "admin-campaigns-redeemed");
  check((await page.locator("table.admin").innerText()).includes(`${code} · 1 of 50 redeemed`), "the redemption is not counted against the cap");

  // The day's report matches the day's confirmed orders.
  const today = new Date().toISOString().slice(0, 10);
  await goto(admin, `/admin/reports?date=${today}`, "admin-report");
  const token = (await api("registration-url", "POST", "/auth/token", {
    body: { grant_type: "password", email: opts["admin-email"], password: opts["admin-password"] },
  })).json?.access_token;
  check(token, "no admin token for the order API");
  let revenue = 0;
  let orders = 0;
  for (let cursor = null, first = true; first || cursor; first = false) {
    const pageOf = await api("order-url", "GET", `/orders?status=confirmed&placed_from=${today}&limit=100${cursor ? `&cursor=${cursor}` : ""}`, { token });
    for (const o of pageOf.json.items) { revenue += o.total_cents; orders += 1; }
    cursor = pageOf.json.next_cursor;
  }
  const shown = cents(await page.locator("[data-report-revenue]").innerText());
  check(shown === revenue, `the report's revenue ${shown} is not the day's orders' ${revenue}`);
  check(Number(await page.locator("[data-report-orders]").innerText()) === orders, "the report's order count is not the day's");
  const bars = await page.locator("svg[data-chart=hours] rect").evaluateAll((rects) => rects.reduce((sum, r) => sum + Number(r.getAttribute("data-revenue")), 0));
  check(bars === revenue, `the hourly chart adds up to ${bars}, not ${revenue}`);
  check(await page.locator("svg[data-chart=products]", { hasText: "Speckled Mug" }).count() === 1, "the mug is not among the top products");
  console.log("journey 6 (the back office: product, low stock, campaign, flash sale, shipping, report): passed");
  await admin.context.close();
}

async function main() {
  await mkdir(opts["out-dir"], { recursive: true });
  const browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: CHROMIUM_ARGS });
  try {
    await guestOrdersWithPromoAndCancels(browser);
    await declinedCardKeepsTheCart(browser);
    await twoShoppersRaceForOneUnit(browser);
    await withoutJavaScript(browser);
    await onAPhone(browser);
    await theBackOffice(browser);
  } finally {
    await browser.close();
  }
}

const timer = setTimeout(() => {
  console.error(`shop journeys: gave up after ${OVERALL_TIMEOUT_MS / 1000}s`);
  process.exit(1);
}, OVERALL_TIMEOUT_MS);
let failure;
try {
  await main();
} catch (error) {
  failure = error;
}
clearTimeout(timer);
for (const problem of problems) console.error(`shop journeys: ${problem}`);
if (failure) console.error(`shop journeys: ${failure.stack ?? failure}`);
if (failure || problems.length > 0) {
  console.error("shop journeys: FAILED");
  process.exit(1);
}
console.log(`shop journeys: passed (${shot} pages: axe clean, no console errors, only loopback requests)`);
