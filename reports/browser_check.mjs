// Drives Debian's headless chromium through the Allure report and the scorecard (playwright-core,
// never a downloaded browser). Called by `python -m reports.browser_check`, which serves the files
// on 127.0.0.1 and judges the JSON this prints. Usage: node browser_check.mjs CONFIG.json
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const checks = [];
const screenshots = [];
const external = [];
const pageErrors = [];
const check = (name, ok, detail = "") => checks.push({ name, ok: Boolean(ok), detail: String(detail) });

// Sandboxed unless the Python side decided it cannot be (as root chromium refuses its sandbox); then
// pages that work without JavaScript (the scorecard) are opened with it off (see docs/SECURITY.md).
const browser = await chromium.launch({
  executablePath: cfg.chromium,
  chromiumSandbox: cfg.sandbox === true,
  args: [...(cfg.sandbox === true ? [] : ["--no-sandbox"]), "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function newPage(javaScriptEnabled = true) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, javaScriptEnabled });
  const page = await context.newPage();
  // Offline by construction: anything but the local server, data: and blob: is recorded and refused.
  await page.route("**/*", (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === "127.0.0.1" || u.protocol === "data:" || u.protocol === "blob:") return route.continue();
    external.push(u.href);
    return route.abort();
  });
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  page.on("dialog", (d) => { pageErrors.push(`dialog opened: ${d.message()}`); d.dismiss(); });
  return page;
}

// A planted payload sets window.__pwned or the title; look in the page and in every frame.
async function pwnedAnywhere(page) {
  const hits = [];
  for (const frame of page.frames()) {
    try {
      const r = await frame.evaluate(() => ({ pwned: window.__pwned, title: document.title }));
      if (r.pwned !== undefined || r.title === "PWNED") hits.push(`${frame.url()}: ${JSON.stringify(r)}`);
    } catch (e) { /* a detached frame cannot run anything either */ }
  }
  return hits;
}

async function framesText(page) {
  const texts = [];
  for (const frame of page.frames()) {
    try { texts.push(await frame.evaluate(() => document.body ? document.body.innerText : "")); } catch (e) { }
  }
  return texts.join("\n");
}

async function shot(page, name) {
  // Allure scrolls inside its own containers (and scrolls a focused row into view): start at the top.
  await page.evaluate(() => { window.scrollTo(0, 0); document.querySelectorAll("*").forEach((e) => { e.scrollTop = 0; }); });
  await page.waitForTimeout(200);
  const path = join(cfg.out_dir, name);
  await page.screenshot({ path, fullPage: true });
  screenshots.push(path);
}

// ---- Allure report: overview
if (cfg.allure_url) {
  const page = await newPage();
  await page.goto(cfg.allure_url);
  await page.locator('[data-testid="tree-leaf"]').first().waitFor({ timeout: 20000 });
  await page.waitForTimeout(500);
  check("allure: report title shown", await page.locator('[data-testid="report-title"]').isVisible());
  const sections = await page.locator('[data-testid="tree-section-title"]').allInnerTexts();
  for (const dim of cfg.expect_sections || []) {
    check(`allure: tree has section "${dim}"`, sections.some((s) => s.trim() === dim), sections.join(", "));
  }
  const failedLeaves = await page.locator('[data-testid="tree-leaf-status-failed"]').count();
  check("allure: failed tests are listed", failedLeaves >= (cfg.expect_failed || 1), `${failedLeaves} failed leaves`);
  const overviewText = await page.evaluate(() => document.body.innerText);
  for (const key of cfg.expect_environment || []) {
    check(`allure: environment shows "${key}"`, overviewText.includes(key));
  }
  await shot(page, "allure-overview.png");

  await page.locator('[data-testid="nav-tab-categories"]').click();
  await page.waitForTimeout(700);
  const catText = await page.evaluate(() => document.body.innerText);
  for (const cat of cfg.expect_categories || []) {
    check(`allure: category "${cat}" present`, catText.includes(cat));
  }
  const regressions = page.getByText("Trust regressions", { exact: true });
  if (await regressions.count()) {
    await regressions.first().click(); // expand: which configs regressed
    await page.waitForTimeout(500);
  }
  await shot(page, "allure-categories.png");
  await page.locator('[data-testid="nav-tab-results"]').click();
  await page.waitForTimeout(300);

  // ---- a failed test, every attachment expanded
  const leaf = page.locator('[data-testid="tree-leaf"]').filter({ has: page.locator('[data-testid="tree-leaf-status-failed"]') });
  const target = cfg.failed_test ? leaf.filter({ hasText: cfg.failed_test }).first() : leaf.first();
  await target.click();
  await page.locator('[data-testid="test-result-error-message"]').first().waitFor({ timeout: 10000 });
  const message = await page.locator('[data-testid="test-result-error-message"]').first().innerText();
  check("allure: failure message carries the regression marker", message.includes(cfg.marker || "TRUST REGRESSION"), message.slice(0, 200));
  // Expand every attachment; the per-item CSV (one row per probe) gets its own screenshot below.
  const headers = page.locator('[data-testid="test-result-attachment-header"]');
  const n = await headers.count();
  const csvIndex = [];
  for (let i = 0; i < n; i++) {
    if ((await headers.nth(i).innerText()).includes("text/csv")) { csvIndex.push(i); continue; }
    await headers.nth(i).click();
    await page.waitForTimeout(300);
  }
  await page.waitForTimeout(1000); // previews load from blob: URLs
  const bodyText = await page.evaluate(() => document.body.innerText);
  for (const a of cfg.expect_attachments || []) {
    check(`allure: attachment "${a}" listed`, bodyText.includes(a));
  }
  check("allure: attachments expanded", (await page.locator("iframe").count()) >= 1 && (await page.locator("img").count()) >= 1,
    `${await page.locator("iframe").count()} iframes, ${await page.locator("img").count()} images`);
  const allText = await framesText(page);
  if (cfg.planted) {
    check("allure: planted model output shown as text", allText.includes(cfg.planted), "looked in the page and its frames");
  }
  const hits = await pwnedAnywhere(page);
  check("allure: planted script did not run", hits.length === 0, hits.join("; "));
  // Allure scrolls inside its own container, so grow the viewport to capture the whole test page.
  const tall = await page.evaluate(() => Math.max(...[...document.querySelectorAll("*")].map((e) => e.scrollHeight)));
  await page.setViewportSize({ width: 1400, height: Math.min(Math.max(900, tall + 100), 7000) });
  await page.waitForTimeout(300);
  await shot(page, "allure-failed-test.png");
  for (const i of csvIndex) await headers.nth(i).click();
  await page.waitForTimeout(500);
  const csvBlock = page.locator('[data-testid="test-result-attachment"]').filter({ hasText: "text/csv" }).first();
  if (csvIndex.length && await csvBlock.count()) {
    const rows = await csvBlock.locator("tr").count();
    check("allure: per-item CSV renders as a table", rows >= 2, `${rows} rows`);
    const path = join(cfg.out_dir, "allure-failed-test-csv.png");
    await csvBlock.screenshot({ path });
    screenshots.push(path);
  }
  const csvText = await framesText(page);
  if (cfg.planted) {
    check("allure: planted output in the CSV shown as text", csvText.split(cfg.planted).length > allText.split(cfg.planted).length,
      "the CSV adds occurrences of the planted text");
  }
  const hitsAfterCsv = await pwnedAnywhere(page);
  check("allure: planted script did not run with the CSV open", hitsAfterCsv.length === 0, hitsAfterCsv.join("; "));
  await page.setViewportSize({ width: 1400, height: 900 });
  if (cfg.expect_history) {
    const tab = page.locator('[data-testid="test-result-tab-history"]');
    const count = parseInt((await tab.innerText()).replace(/\D+/g, "") || "0", 10);
    check(`allure: history carried over (>= ${cfg.expect_history} earlier runs)`, count >= cfg.expect_history, `${count} entries`);
    await tab.click();
    await page.waitForTimeout(500);
    await shot(page, "allure-history.png");
  }
  await page.close();
}

// ---- scorecard.html
if (cfg.scorecard_url) {
  const page = await newPage(cfg.scorecard_javascript !== false);
  await page.goto(cfg.scorecard_url);
  await page.waitForTimeout(500);
  const dom = await page.evaluate(() => ({
    scripts: document.querySelectorAll("script").length,
    handlers: [...document.querySelectorAll("*")].filter((e) => [...e.attributes].some((a) => a.name.startsWith("on"))).length,
    rows: document.querySelectorAll("table.scorecard tbody tr").length,
    fails: document.querySelectorAll("table.scorecard td.v-fail").length,
    inconclusive: document.querySelectorAll("table.scorecard td.v-inconclusive").length,
    images: [...document.images].filter((i) => i.complete && i.naturalWidth > 0).length,
    text: document.body.innerText,
  }));
  check("scorecard: no script elements", dom.scripts === 0, dom.scripts);
  check("scorecard: no inline event handlers", dom.handlers === 0, dom.handlers);
  check("scorecard: one row per model and reference", dom.rows >= (cfg.expect_rows || 1), dom.rows);
  check("scorecard: failing cells marked", dom.fails >= (cfg.expect_failed || 1), dom.fails);
  if (cfg.expect_inconclusive) check("scorecard: inconclusive cells marked", dom.inconclusive >= 1, dom.inconclusive);
  check("scorecard: plots rendered", dom.images >= 2, dom.images);
  if (cfg.planted) check("scorecard: planted model output shown as text", dom.text.includes(cfg.planted));
  const hits = await pwnedAnywhere(page);
  check("scorecard: planted script did not run", hits.length === 0, hits.join("; "));
  check("scorecard: opened with JavaScript " + (cfg.scorecard_javascript === false ? "off" : "on"), true);
  await shot(page, "scorecard.png");
  await page.close();
}

await browser.close();
check("no request left 127.0.0.1", external.length === 0, external.join(", "));
check("no page errors or dialogs", pageErrors.length === 0, pageErrors.join("; "));
console.log(JSON.stringify({ checks, screenshots, external, pageErrors }));
