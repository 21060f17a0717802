#!/usr/bin/env node
// `npm run perf:designer`: how long an edit in the schema designer takes to show, on a schema of
// FIELDS properties. The schema goes into the raw editor, then, in the Designer tab, EDITS rounds
// of real clicks and keys: select a field (a click on its row), toggle its Required (a click),
// rename it (typed, applied with Enter) and move it down (Alt+↓ on its row). Each is timed in the
// page from the event's dispatch (a capture listener, before the app's) to the first animation
// frame after the designer's DOM changed; a PerformanceObserver counts the long tasks (main
// thread busy over 50 ms) meanwhile.
//
//   FIELDS=500 (default)   EDITS=30 (default: rounds, 3 edits and a selection each)
//   QUARRY_BIN / CHROMIUM_BIN as for e2e
//
// Prints median, p95 and max per kind and for all edits, writes them to
// e2e/out/designer-perf.json, and exits 1 when the edits' p95 is 50 ms or more.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { quarryServe, tempDir } from "./servers.mjs";
import { launch, openWorkbench } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const FIELDS = Number(process.env.FIELDS ?? 500);
const EDITS = Number(process.env.EDITS ?? 30);
const TARGET_MS = 50;
const ROW = 28;

/** FIELDS properties of every kind the designer shows, some required, some with keywords it only shows. */
function bigSchema() {
  const properties = {};
  const required = [];
  const kinds = [
    () => ({ type: "string", format: "email", description: "An address" }),
    () => ({ type: "integer", minimum: 0, maximum: 120 }),
    () => ({ type: "string", enum: ["a", "b", "c"] }),
    () => ({ type: ["string", "null"], "x-ui": "textarea" }),
    () => ({ type: "array", items: { type: "object", properties: { sku: { type: "string" }, qty: { type: "integer" } }, required: ["sku"] } }),
    () => ({ anyOf: [{ type: "string" }, { type: "number" }] }),
    () => ({ type: "number", $comment: "kept" }),
  ];
  for (let i = 0; i < FIELDS; i++) {
    const name = `f${String(i).padStart(3, "0")}`;
    properties[name] = kinds[i % kinds.length]();
    if (i % 2 === 0) required.push(name);
  }
  return { title: "Big", type: "object", properties, required, additionalProperties: false };
}

const tmp = tempDir("quarry-designer-perf-");
const q = await quarryServe(tmp.dir);
const browser = await launch();
let failed = false;
try {
  const page = await openWorkbench(browser, q.url, 60_000, {}, (c) => c.grantPermissions(["clipboard-read", "clipboard-write"], { origin: q.origin }));
  await page.getByText("live events connected").waitFor();
  const text = JSON.stringify(bigSchema(), null, 2);
  // Pasted, as a schema this size would be (typing it in with fill() takes minutes).
  await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  const t0 = Date.now();
  await page.getByRole("textbox", { name: "Schema", exact: true }).press("Control+v");
  await page.waitForFunction((n) => JSON.parse(localStorage.getItem("quarry.draft") ?? "{}").state?.schemaText?.length === n, text.length);
  console.log(`designer-perf: pasted in ${Date.now() - t0} ms`);
  await page.getByRole("tab", { name: "Designer", exact: true }).click();
  const tree = page.getByRole("tree", { name: "Schema fields" });
  await tree.waitFor();
  // Every property, and the two of each array's items: the whole schema is in the designer.
  const arrays = Array.from({ length: FIELDS }, (_, i) => i).filter((i) => i % 7 === 4).length;
  await page.locator(".designer-count").getByText(`${FIELDS + 2 * arrays} fields`, { exact: true }).waitFor();

  await page.evaluate(() => {
    const m = { armed: null, t0: 0, changed: false, samples: [], longTasks: [] };
    window.__designerPerf = m;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) m.longTasks.push(e.duration);
    }).observe({ type: "longtask" });
    // The clock starts when the event is dispatched, before any of the app's handlers.
    const start = () => {
      if (m.armed && !m.t0) m.t0 = performance.now();
    };
    for (const type of ["click", "keydown"]) window.addEventListener(type, start, true);
    new MutationObserver(() => {
      if (!m.armed || !m.t0 || m.changed) return;
      m.changed = true;
      requestAnimationFrame(() => {
        m.samples.push({ kind: m.armed, ms: performance.now() - m.t0 });
        m.armed = null;
        m.t0 = 0;
        m.changed = false;
      });
    }).observe(document.querySelector(".designer"), { subtree: true, childList: true, attributes: true, characterData: true });
  });

  const arm = (kind) => page.evaluate((k) => (window.__designerPerf.armed = k), kind);
  const settled = () => page.waitForFunction(() => window.__designerPerf.armed === null);
  /** Scrolls the tree until the row of field `name` (near row `index`) is drawn, and returns it. */
  async function rowOf(name, index) {
    const row = tree.getByRole("treeitem", { name: new RegExp(`^${name} ?,`) });
    for (const off of [0, 12, -12, 24, -24, 36, -36]) {
      await tree.evaluate((el, top) => (el.scrollTop = top), Math.max(0, (index + off) * ROW - 120));
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      if (await row.count()) return row;
    }
    throw new Error(`designer-perf: no row for ${name} near row ${index}`);
  }
  /** The row of field i before any move: the root, then each field with its items and options rows. */
  const rowIndex = (i) => 1 + i + Array.from({ length: i }, (_, j) => (j % 7 === 4 ? 3 : j % 7 === 5 ? 2 : 0)).reduce((a, b) => a + b, 0);

  const names = Array.from({ length: FIELDS }, (_, i) => `f${String(i).padStart(3, "0")}`);
  for (let k = 0; k < EDITS; k++) {
    // Fields spread over the whole schema.
    const i = (k * 97 + 13) % (FIELDS - 1);
    const name = names[i];
    const row = await rowOf(name, rowIndex(i));
    await arm("select");
    await row.click();
    await settled();

    await arm("required");
    await page.locator(".designer-inspector").getByLabel("Required").click();
    await settled();

    const input = page.locator(".designer-inspector").getByLabel("Field name");
    await input.fill(`${name}_renamed`);
    await arm("rename");
    await input.press("Enter");
    await settled();
    names[i] = `${name}_renamed`;

    const renamed = await rowOf(names[i], rowIndex(i));
    await renamed.focus();
    await arm("move");
    await page.keyboard.press("Alt+ArrowDown");
    await settled();
    [names[i], names[i + 1]] = [names[i + 1], names[i]];
  }

  const m = await page.evaluate(() => window.__designerPerf);
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const at = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
    return { n: s.length, median: at(50), p95: at(95), max: s.at(-1) };
  };
  const round = (x) => Math.round(x * 10) / 10;
  const byKind = {};
  for (const kind of ["select", "required", "rename", "move"]) byKind[kind] = stats(m.samples.filter((s) => s.kind === kind).map((s) => s.ms));
  const edits = stats(m.samples.filter((s) => s.kind !== "select").map((s) => s.ms));
  const result = { fields: FIELDS, bytes: text.length, edits, byKind, long_tasks: m.longTasks.length, longest_task_ms: m.longTasks.length ? Math.max(...m.longTasks) : 0 };
  const line = (label, s) => `${label}: n ${s.n}, median ${round(s.median)} ms, p95 ${round(s.p95)} ms, max ${round(s.max)} ms`;
  console.log(`designer-perf: ${FIELDS} properties (${text.length} bytes of schema), event to the next frame after the DOM changed`);
  for (const [kind, s] of Object.entries(byKind)) console.log(`  ${line(kind, s)}`);
  console.log(`  ${line("all edits", edits)}`);
  console.log(`  long tasks: ${result.long_tasks}${result.long_tasks ? ` (longest ${round(result.longest_task_ms)} ms)` : ""}`);
  mkdirSync(join(here, "out"), { recursive: true });
  writeFileSync(join(here, "out", "designer-perf.json"), `${JSON.stringify(result, null, 2)}\n`);
  if (edits.p95 >= TARGET_MS) {
    console.error(`designer-perf: missed the target (p95 of edits under ${TARGET_MS} ms)`);
    failed = true;
  }
} finally {
  await browser.close();
  q.stop();
  tmp.remove();
}
process.exit(failed ? 1 : 0);
