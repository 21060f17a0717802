#!/usr/bin/env node
// `npm run e2e`: the browser tests. Builds what they need, then runs them with node's test
// runner against a fresh `quarry serve` and fake providers (each test file starts its own).
//
//   QUARRY_BIN=/path/to/quarry   use this binary (built after the UI, so it embeds it); without
//                                it the UI and `quarry` + `quarry-fake-provider` are built here
//                                (`npm run build`, then `cargo build` in the repository, into
//                                CARGO_TARGET_DIR or target/)
//   QUARRY_FAKE_PROVIDER_BIN     the fake provider (default: beside QUARRY_BIN; FAKE_PROVIDER_BIN too)
//   CHROMIUM_BIN                 default /usr/bin/chromium
//
// The key dialog stores a key in a real keychain: when no D-Bus session is there, the tests
// run in a private one with gnome-keyring (its files in a temporary folder). Without either,
// keys come from the environment and the dialog test checks that it says so.
import { spawnSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const ui = resolve(here, "..");
const repo = resolve(ui, "..");
const started = Date.now();
const inner = process.argv.includes("--inner");

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  if (r.status !== 0) {
    console.error(`e2e: ${cmd} ${args.join(" ")} failed (${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

function have(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

if (!inner) {
  if (!process.env.QUARRY_BIN) {
    console.log("e2e: building the UI, then quarry and the fake provider (QUARRY_BIN not set)");
    run("npm", ["run", "build", "--silent"], { cwd: ui });
    run("cargo", ["build", "-p", "quarry", "-p", "quarry-fake-provider"], { cwd: repo });
    const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repo, "target");
    process.env.QUARRY_BIN = join(target, "debug", "quarry");
  }
  process.env.QUARRY_FAKE_PROVIDER_BIN ??= process.env.FAKE_PROVIDER_BIN ?? join(dirname(resolve(process.env.QUARRY_BIN)), "quarry-fake-provider");
  for (const bin of [process.env.QUARRY_BIN, process.env.QUARRY_FAKE_PROVIDER_BIN]) {
    if (!existsSync(bin)) {
      console.error(`e2e: ${bin} does not exist; build it (cargo build -p quarry -p quarry-fake-provider) or point QUARRY_BIN at it`);
      process.exit(2);
    }
  }
  const chromium = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
  if (!existsSync(chromium)) {
    console.error(`e2e: no Chromium at ${chromium}: apt-get install -y chromium (or set CHROMIUM_BIN)`);
    process.exit(2);
  }
  if (!process.env.DBUS_SESSION_BUS_ADDRESS && have("dbus-run-session") && have("gnome-keyring-daemon")) {
    // A private D-Bus session with an unlocked gnome-keyring, its files in a temporary folder.
    const home = mkdtempSync(join(tmpdir(), "quarry-e2e-keyring-"));
    const script = 'echo quarry-e2e | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec node "$0" --inner';
    const child = spawn("dbus-run-session", ["--", "sh", "-c", script, fileURLToPath(import.meta.url)], {
      stdio: ["ignore", "inherit", "pipe"],
      env: { ...process.env, XDG_DATA_HOME: home, HOME: home },
    });
    // dbus-run-session warns about fd limits as root; the rest goes through.
    child.stderr.on("data", (d) => {
      const text = String(d).split("\n").filter((l) => l && !l.includes("Failed to set fd limit")).join("\n");
      if (text) process.stderr.write(`${text}\n`);
    });
    child.on("exit", (code) => {
      rmSync(home, { recursive: true, force: true });
      process.exit(code ?? 1);
    });
  } else {
    runTests();
  }
} else {
  runTests();
}

function runTests() {
  const files = ["journey.test.mjs", "attachments.test.mjs", "preview.test.mjs", "design.test.mjs", "designer.test.mjs", "schema-tools.test.mjs", "bridge.test.mjs"].map((f) => join(here, f));
  const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", ...files], { stdio: "inherit", env: process.env });
  console.log(`e2e: finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(r.status ?? 1);
}
