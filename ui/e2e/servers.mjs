// Starts what the browser tests talk to: fake OpenAI-compatible providers (each with its own
// script of replies) and `quarry serve` on a fresh database, and stops them again.
import { spawn } from "node:child_process";
import { createServer, request } from "node:http";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, "../..");
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repo, "target");
export const quarryBin = process.env.QUARRY_BIN ? resolve(process.env.QUARRY_BIN) : join(targetDir, "debug", "quarry");
export const fakeBin = process.env.QUARRY_FAKE_PROVIDER_BIN
  ? resolve(process.env.QUARRY_FAKE_PROVIDER_BIN)
  : join(dirname(quarryBin), "quarry-fake-provider");

const children = new Set();

function stopAll() {
  for (const c of children) {
    try {
      c.kill("SIGTERM");
    } catch {
      // already gone
    }
  }
  children.clear();
}
process.on("exit", stopAll);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { stopAll(); process.exit(130); });

/** Runs `bin args…` and resolves with the first line it prints matching `pattern`. */
function startPrinting(bin, args, pattern, env = {}, what = bin) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`${what} printed nothing matching ${pattern} within 20 s:\n${out}\n${err}`)), 20_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePromise({ child, match: m, stop: () => { child.kill("SIGTERM"); children.delete(child); } });
      }
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("error", (e) => { clearTimeout(timer); reject(new Error(`${what} could not start (${bin}): ${e.message}`)); });
    child.on("exit", (code) => {
      children.delete(child);
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready:\n${out}\n${err}`));
    });
  });
}

/** A fake provider playing `replies` in turn (the last one forever); resolves with its base URL. */
export async function fakeProvider(replies, dir) {
  const file = join(dir, `script-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(replies));
  const { match, stop } = await startPrinting(fakeBin, ["--script", file], /(http:\/\/127\.0\.0\.1:\d+\/v1)/, {}, "quarry-fake-provider");
  return { url: match[1], stop };
}

/**
 * A proxy in front of the provider at `target` (a base URL) that keeps every request it passes on
 * (method, path, body as text): what Quarry sent, byte for byte. Resolves with its base URL.
 */
export function recordingProxy(target) {
  const to = new URL(target);
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method, path: req.url, body: body.toString("utf8") });
      const onward = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      onward.on("error", () => res.destroy());
      onward.end(body);
    });
  });
  return new Promise((resolvePromise) =>
    server.listen(0, "127.0.0.1", () => {
      const base = `http://127.0.0.1:${server.address().port}${to.pathname}`;
      resolvePromise({
        url: base,
        requests,
        stop: () => {
          server.close();
          server.closeAllConnections();
        },
      });
    }),
  );
}

/**
 * `quarry serve` on a database in `dir`; resolves with the page's address (with the token) and parts of it.
 * `pinned: false` names no database: the data folder is then `dir/data/quarry` (as the platform's would be), and can be moved from Settings.
 */
export async function quarryServe(dir, env = {}, { pinned = true } = {}) {
  const db = pinned ? join(dir, "quarry.db") : join(dir, "data", "quarry", "quarry.db");
  const args = pinned ? ["serve", "--db", db] : ["serve"];
  if (!pinned) env = { ...env, XDG_DATA_HOME: join(dir, "data"), QUARRY_DB: undefined };
  const { match, stop, child } = await startPrinting(quarryBin, args, /Quarry is running at (http:\/\/[^\s/]+)\/#token=([0-9a-f]+)/, env, "quarry serve");
  return { url: `${match[1]}/#token=${match[2]}`, origin: match[1], token: match[2], db, stop, pid: child.pid };
}

export function tempDir(prefix = "quarry-e2e-") {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export { stopAll };
