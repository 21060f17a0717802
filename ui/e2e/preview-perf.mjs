#!/usr/bin/env node
// `npm run perf:preview`: how long a keystroke in the prompt takes to show in the Request tab's
// body. The person example is loaded, the Request tab opened, and characters are typed at the
// end of the user prompt with real key presses, in two ways:
//
//   one at a time   each key pressed once the one before shows (the latency of one keystroke)
//   typing          keys pressed every TYPE_MS whatever has shown (a person typing steadily;
//                   each key's time runs to the first frame whose body holds it)
//
// Each sample is timed in the page, from the key's dispatch (a capture listener, before the
// app's) to the first animation frame after the body's text held the key. Two floors are
// measured beside it: the frame that shows the key in the prompt itself (its echo: no preview
// can show sooner), and the page's calls to the backend (window.fetch wrapped: the round trip).
//
//   KEYS=30 (default)    keys per way
//   TYPE_MS=60 (default) the pause between keys when typing
//   QUARRY_BIN / CHROMIUM_BIN as for e2e
//
// Prints median, p95 and max per way and the round trip, and writes them to
// e2e/out/preview-perf.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { quarryServe, tempDir } from "./servers.mjs";
import { launch, openWorkbench } from "./browser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const KEYS = Number(process.env.KEYS ?? 30);
const TYPE_MS = Number(process.env.TYPE_MS ?? 60);
const LETTERS = "abcdefghijklmnopqrstuvwxyz";

const tmp = tempDir("quarry-preview-perf-");
const q = await quarryServe(tmp.dir);
const browser = await launch();
try {
  const page = await openWorkbench(browser, q.url, 30_000);
  await page.getByText("live events connected").waitFor();
  await page.getByLabel("Example", { exact: true }).selectOption("person");
  await page.getByRole("tab", { name: "Request", exact: true }).click();
  const prompt = page.getByRole("textbox", { name: "User prompt", exact: true });
  await prompt.fill("Who is this? Marker:");
  const body = page.locator(".request-body-editor .cm-content");
  await body.getByText(/Marker:/).waitFor();

  await page.evaluate(() => {
    const m = { wants: [], samples: [], calls: [] };
    window.__previewPerf = m;
    // Each key pressed is a text the body must come to hold (the typed text so far).
    window.addEventListener("keydown", () => m.pending && m.wants.push({ text: m.pending, t0: performance.now() }), true);
    // The floor: the frame that shows the key in the prompt itself (its echo).
    window.addEventListener("input", () => {
      const w = m.wants.at(-1);
      if (w) requestAnimationFrame(() => m.samples.push({ way: `${m.way}: echo in the prompt`, ms: performance.now() - w.t0 }));
    }, true);
    const check = () => {
      if (!m.wants.length) return;
      const shown = document.querySelector(".request-body-editor .cm-content")?.textContent ?? "";
      const done = m.wants.filter((w) => shown.includes(w.text));
      if (!done.length) return;
      m.wants = m.wants.filter((w) => !done.includes(w));
      requestAnimationFrame(() => {
        const now = performance.now();
        for (const w of done) m.samples.push({ way: m.way, ms: now - w.t0 });
      });
    };
    new MutationObserver(check).observe(document.querySelector(".next-request"), { subtree: true, childList: true, characterData: true });
    const fetch0 = window.fetch.bind(window);
    window.fetch = async (url, init) => {
      const t0 = performance.now();
      try {
        return await fetch0(url, init);
      } finally {
        let cmd = "?";
        try {
          cmd = JSON.parse(init?.body ?? "{}").cmd ?? "?";
        } catch {
          // not a command
        }
        m.calls.push({ cmd, ms: performance.now() - t0 });
      }
    };
  });

  await prompt.click();
  await page.keyboard.press("ControlOrMeta+End");
  let typed = "Marker:";
  const press = async (way, letter) => {
    typed += letter;
    await page.evaluate(([w, t]) => Object.assign(window.__previewPerf, { way: w, pending: t }), [way, typed]);
    await page.keyboard.press(letter);
  };
  const drained = () => page.waitForFunction(() => window.__previewPerf.wants.length === 0);

  for (let k = 0; k < KEYS; k++) {
    await press("one at a time", LETTERS[k % 26]);
    await drained();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }
  for (let k = 0; k < KEYS; k++) {
    await press("typing", LETTERS[(k + 7) % 26]);
    await page.waitForTimeout(TYPE_MS);
  }
  await drained();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

  const m = await page.evaluate(() => window.__previewPerf);
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const at = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
    return { n: s.length, median: at(50), p95: at(95), max: s.at(-1) };
  };
  const round = (x) => Math.round(x * 10) / 10;
  const line = (label, s) => `${label}: n ${s.n}, median ${round(s.median)} ms, p95 ${round(s.p95)} ms, max ${round(s.max)} ms`;
  const result = { keys: KEYS, type_ms: TYPE_MS, ways: {}, calls: {} };
  for (const way of ["one at a time", "one at a time: echo in the prompt", "typing", "typing: echo in the prompt"]) result.ways[way] = stats(m.samples.filter((s) => s.way === way).map((s) => s.ms));
  for (const cmd of [...new Set(m.calls.map((c) => c.cmd))]) result.calls[cmd] = stats(m.calls.filter((c) => c.cmd === cmd).map((c) => c.ms));
  console.log("preview-perf: key press in the user prompt to the first frame whose Request body holds it");
  for (const [way, s] of Object.entries(result.ways)) console.log(`  ${line(way, s)}`);
  console.log(`  backend calls while typing (fetch to response), ${Object.values(result.calls).reduce((a, s) => a + s.n, 0)} in all:`);
  for (const [cmd, s] of Object.entries(result.calls)) console.log(`    ${line(cmd, s)}`);
  mkdirSync(join(here, "out"), { recursive: true });
  writeFileSync(join(here, "out", "preview-perf.json"), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await browser.close();
  q.stop();
  tmp.remove();
}
