// Debian's Chromium driven by playwright-core (no browser download).
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
export const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function launch(extraArgs = []) {
  return chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, ...extraArgs] });
}

/** A page on the workbench at `url`, as every browser test opens it: desktop size, light theme,
 * page errors on stderr, `timeout` for every wait. `options` add to the context's (downloads);
 * `prepare(context)` runs before the page opens (permissions). */
export async function openWorkbench(browser, url, timeout, options = {}, prepare = async () => {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true, colorScheme: "light", ...options });
  await prepare(context);
  const page = await context.newPage();
  page.setDefaultTimeout(timeout);
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(url);
  return page;
}
