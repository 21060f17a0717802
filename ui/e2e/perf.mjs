#!/usr/bin/env node
// `npm run perf`: how the page holds up while a large object streams in. A fake provider
// streams one tool call holding RECORDS records in 8-character deltas, as fast as the engine
// takes them; `quarry serve` forwards every change to the page over its WebSocket. In the page,
// a requestAnimationFrame loop records the time between frames and a PerformanceObserver the
// long tasks (main-thread work over 50 ms), from the press of Run to the final status.
//
//   RECORDS=5000 (default)
//   PACE_MS=0 (default)      a pause after each delta: 0 streams as fast as the engine goes (on a
//                            2-core machine the server then competes with the page for the CPU)
//   QUARRY_BIN / QUARRY_FAKE_PROVIDER_BIN / CHROMIUM_BIN as for e2e
//
// Prints the figures and writes them to e2e/out/perf.json. Exits 1 when the page misses the
// target (p95 frame over 16.7 ms, or any task over 50 ms) so a regression is seen.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fakeProvider, quarryServe, tempDir } from "./servers.mjs";
import { launch } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const RECORDS = Number(process.env.RECORDS ?? 5000);
const PACE_MS = Number(process.env.PACE_MS ?? 0);

const schema = {
  title: "Records",
  type: "object",
  properties: {
    records: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: { type: "integer" },
          name: { type: "string" },
          email: { type: "string" },
          score: { type: "number", minimum: 0, maximum: 1 },
        },
        required: ["id", "name", "email", "score"],
      },
    },
  },
  required: ["records"],
};
const records = Array.from({ length: RECORDS }, (_, i) => ({
  id: i,
  name: `Person ${i}`,
  email: `person${i}@example.org`,
  score: (i % 100) / 100,
}));
const args = JSON.stringify({ records });

const tmp = tempDir("quarry-perf-");
const fake = await fakeProvider([{ stream_tool_call: { name: "Records", arguments: args, chunk: 8, pace_ms: PACE_MS } }], tmp.dir);
const q = await quarryServe(tmp.dir, { OPENAI_API_KEY: "sk-perf" });
const browser = await launch();
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.setDefaultTimeout(120_000);
  await page.goto(q.url);
  await page.getByText("live events connected").waitFor();
  await page.getByRole("textbox", { name: "Schema", exact: true }).fill(JSON.stringify(schema, null, 2));
  await page.getByRole("textbox", { name: "User prompt", exact: true }).fill("List the records.");
  await page.getByRole("button", { name: "More settings" }).click();
  await page.getByLabel("Model", { exact: true }).fill("fake-model");
  await page.getByLabel("Base URL", { exact: true }).fill(fake.url);

  await page.evaluate(() => {
    const m = { frames: [], longTasks: [], longAt: [], running: true, t0: 0 };
    window.__perf = m;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        m.longTasks.push(e.duration);
        m.longAt.push(Math.round(e.startTime - m.t0));
      }
    }).observe({ type: "longtask" });
    let last = performance.now();
    const tick = (t) => {
      m.frames.push(t - last);
      last = t;
      if (m.running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const t0 = Date.now();
  await page.evaluate(() => (window.__perf.t0 = performance.now()));
  await page.getByRole("button", { name: /^Run/ }).click();
  await page.locator(".run-summary .status", { hasText: /^(succeeded|failed|cancelled)$/ }).waitFor();
  const seconds = (Date.now() - t0) / 1000;
  const status = await page.locator(".run-summary .status").innerText();
  const m = await page.evaluate(() => {
    window.__perf.running = false;
    return window.__perf;
  });
  const frames = m.frames.slice(1).sort((a, b) => a - b);
  const pct = (p) => frames[Math.min(frames.length - 1, Math.floor((p / 100) * frames.length))];
  const result = {
    records: RECORDS,
    pace_ms: PACE_MS,
    bytes: args.length,
    deltas: Math.ceil(args.length / 8),
    status,
    seconds,
    frames: frames.length,
    frame_ms: { p50: pct(50), p95: pct(95), p99: pct(99), max: frames.at(-1) },
    long_tasks: m.longTasks.length,
    // When each began, in ms after Run was pressed (the run ended after `seconds`).
    long_tasks_at_ms: m.longAt,
    longest_task_ms: m.longTasks.length ? Math.max(...m.longTasks) : 0,
  };
  const round = (x) => Math.round(x * 10) / 10;
  console.log(
    `perf: ${RECORDS} records (${result.bytes} bytes, ${result.deltas} deltas) streamed in ${seconds.toFixed(2)} s, ${status}; ` +
      `${result.frames} frames: p50 ${round(result.frame_ms.p50)} ms, p95 ${round(result.frame_ms.p95)} ms, p99 ${round(result.frame_ms.p99)} ms, max ${round(result.frame_ms.max)} ms; ` +
      `long tasks ${result.long_tasks} (longest ${round(result.longest_task_ms)} ms; at ${m.longAt.join(", ") || "-"} ms)`,
  );
  mkdirSync(join(here, "out"), { recursive: true });
  writeFileSync(join(here, "out", "perf.json"), `${JSON.stringify(result, null, 2)}\n`);
  if (status !== "succeeded") {
    console.error(`perf: the run ended ${status}`);
    failed = true;
  }
  // rAF intervals of frames on time read 16.6–16.8 ms; a missed frame reads 33 ms or more.
  if (result.frame_ms.p95 > 17 || result.longest_task_ms > 50) {
    console.error("perf: missed the target (p95 frame ≤ 16.7 ms, no task over 50 ms)");
    failed = true;
  }
} finally {
  await browser.close();
  q.stop();
  fake.stop();
  tmp.remove();
}
process.exit(failed ? 1 : 0);
