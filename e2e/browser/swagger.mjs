// Registration's Swagger UI in headless Chromium, used the way a shopper would:
// register with "Try it out" on POST /customers (201), then check the email with
// POST /customers/verification (registered: true).
//
// Fails on any console error, page error, failed request, or request of the
// page that leaves loopback. Run by `cargo xtask browser-test` (and
// `cargo xtask test`), which starts the service; by hand:
//
//   node swagger.mjs --base-url http://127.0.0.1:8081 --screenshot ../../target/browser/swagger.png

import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { chromium } from "playwright-core";

const { values: opts } = parseArgs({
  options: {
    "base-url": { type: "string" },
    screenshot: { type: "string" },
    // Debian's package; Playwright never downloads a browser here.
    chromium: { type: "string", default: "/usr/bin/chromium" },
  },
});
if (!opts["base-url"] || !opts.screenshot) {
  console.error("usage: node swagger.mjs --base-url <url> --screenshot <png> [--chromium <path>]");
  process.exit(2);
}
const baseUrl = opts["base-url"].replace(/\/+$/, "");

// Without the background-networking flags Chromium itself calls Google's hosts
// at every start; a fresh user-data dir keeps each run independent.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
];
const ACTION_TIMEOUT_MS = 30_000;
const OVERALL_TIMEOUT_MS = 180_000;

/** Everything that makes the run fail, besides a failed assertion. */
const problems = [];

function isLoopback(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // Inline resources never touch the network.
  if (["data:", "blob:", "about:"].includes(parsed.protocol)) return true;
  if (!["http:", "https:", "ws:", "wss:"].includes(parsed.protocol)) return false;
  const host = parsed.hostname;
  return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** The POST operation block for `apiPath`, in Swagger UI's DOM. */
function operation(page, apiPath) {
  return page
    .locator(".opblock.opblock-post")
    .filter({ has: page.locator(`.opblock-summary-path[data-path="${apiPath}"]`) });
}

/** Expands the operation, "Try it out", fills the body, "Execute"; returns {status, body}. */
async function tryItOut(page, apiPath, body) {
  const op = operation(page, apiPath);
  await op.locator(".opblock-summary-control").click();
  await op.getByRole("button", { name: "Try it out" }).click();
  await op.locator("textarea.body-param__text").fill(JSON.stringify(body, null, 2));
  await op.getByRole("button", { name: "Execute" }).click();
  const response = op.locator(".live-responses-table .response").first();
  await response.waitFor();
  const status = (await response.locator(".response-col_status").innerText()).trim();
  const shown = await response.locator(".response-col_description").innerText();
  console.log(`${apiPath}: the UI shows status ${status}`);
  return { op, status, body: shown };
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function main() {
  const userDataDir = await mkdtemp(path.join(tmpdir(), "storefront-chromium-"));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: opts.chromium,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1000 },
    });
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    context.on("request", (request) => {
      if (!isLoopback(request.url())) {
        problems.push(`request leaving loopback: ${request.method()} ${request.url()}`);
      }
    });
    // Recorded above; aborted so the run never waits on a closed network.
    await context.route(
      (url) => !isLoopback(url.href),
      (route) => route.abort("blockedbyclient"),
    );
    context.on("requestfailed", (request) => {
      problems.push(`request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText})`);
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (message) => {
      if (message.type() === "error") {
        const where = message.location()?.url;
        problems.push(`console error: ${message.text()}${where ? ` (${where})` : ""}`);
      }
    });
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));

    try {
      await run(page);
    } finally {
      await mkdir(path.dirname(opts.screenshot), { recursive: true });
      await page.screenshot({ path: opts.screenshot, fullPage: true }).catch((error) => {
        problems.push(`screenshot failed: ${error.message}`);
      });
      console.log(`screenshot: ${opts.screenshot}`);
    }
  } finally {
    await context?.close();
    await rm(userDataDir, { recursive: true, force: true });
  }
}

async function run(page) {
  const docs = `${baseUrl}/docs/registration/`;
  const loaded = await page.goto(docs);
  check(loaded?.status() === 200, `GET ${docs} answered ${loaded?.status()}`);
  // The title renders once the spec is fetched and parsed.
  await page.locator(".swagger-ui .information-container .title").waitFor();
  console.log(`loaded ${docs}: ${(await page.title()) || "(no title)"}`);

  const email = `browser-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@storefront.test`;
  const registered = await tryItOut(page, "/customers", {
    email,
    password: "browser-test-password",
    first_name: "Ada",
    last_name: "Browser",
    phone: "+1 555 0100",
    city: "Springfield",
    province: "ON",
    postal_code: "K1A 0B1",
    marketing_opt_in: false,
  });
  check(registered.status === "201", `POST /customers showed ${registered.status}, expected 201:\n${registered.body}`);
  check(registered.body.includes(email), `the 201 body does not show ${email}:\n${registered.body}`);
  check(!/password/i.test(registered.body), `the 201 body mentions a password:\n${registered.body}`);

  const verified = await tryItOut(page, "/customers/verification", { email });
  check(verified.status === "200", `POST /customers/verification showed ${verified.status}, expected 200:\n${verified.body}`);
  check(/"registered":\s*true/.test(verified.body), `verification does not show "registered": true:\n${verified.body}`);
  console.log(`${email} is registered`);
  // Late console errors or requests still count.
  await page.waitForLoadState("networkidle");
}

const timer = setTimeout(() => {
  console.error(`browser test: gave up after ${OVERALL_TIMEOUT_MS / 1000}s`);
  process.exit(1);
}, OVERALL_TIMEOUT_MS);

let failure;
try {
  await main();
} catch (error) {
  failure = error;
}
clearTimeout(timer);
for (const problem of problems) console.error(`browser test: ${problem}`);
if (failure) console.error(`browser test: ${failure.stack ?? failure}`);
if (failure || problems.length > 0) {
  console.error("browser test: FAILED");
  process.exit(1);
}
console.log("browser test: passed (no console errors, no page errors, only loopback requests)");
