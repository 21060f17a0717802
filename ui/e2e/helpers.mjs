// Shared by the browser tests: screenshots, accessibility checks, CodeMirror text.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
// Test artifacts (e2e/out is not committed); README shows copies from docs/screenshots.
export const shots = join(here, "out", "screenshots");
mkdirSync(shots, { recursive: true });

export async function screenshot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's WCAG 2 A/AA rules on the page as it stands; returns the violations. */
export async function axe(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1, 2).join("")}`) }));
  });
}

/** Fails with axe-core's findings when the page breaks a WCAG 2.1 A/AA rule; `what` names the
 *  state checked (a theme, a dialog). */
export async function noViolations(page, what) {
  const found = await axe(page);
  assert.deepEqual(found, [], `accessibility (${what}): ${JSON.stringify(found, null, 1)}`);
}

/** Switches the page to the `light` or `dark` colour scheme and waits for the app to follow. */
export async function inTheme(page, theme) {
  await page.emulateMedia({ colorScheme: theme });
  await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
}

/** The text of a CodeMirror editor found by its accessible name: the lines it has drawn, which
 *  are all of them only when the document fits in view (CodeMirror draws what is visible). */
export function editorText(page, name) {
  return page.getByRole("textbox", { name, exact: true }).innerText();
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
