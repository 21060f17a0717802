// The real desktop window, driven over WebDriver (tauri-driver in front of WebKitWebDriver): a
// streamed run against a fake provider, from choosing the example schema to every field valid,
// then the run in the history, and links to web pages opened in the system's browser (a
// recording stand-in found through the XDG files, as xdg-open finds a real one). Started by
// scripts/desktop-e2e, which gives it a display (Xvfb) and a D-Bus session; QUARRY_DESKTOP_BIN
// is the app, TAURI_DRIVER the driver.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Builder, By, Key, until } from "selenium-webdriver";
import { fakeProvider, tempDir } from "./servers.mjs";
import { shots } from "./helpers.mjs";

const T = 30_000;
const app = process.env.QUARRY_DESKTOP_BIN;
const driverBin = process.env.TAURI_DRIVER ?? "tauri-driver";
const port = 4444;

const person = JSON.stringify({
  name: "Ada Lovelace",
  age: 36,
  email: "ada@example.org",
  phone: null,
  occupation: "mathematician",
  address: { street: null, city: "London", postal_code: null, country: "GB" },
});

let tmp, fake, tauriDriver, driver, opened;

/** A system browser for the test: `xdg-open` finds it as the handler of http(s) links (through
 * the XDG files below) and it writes each address it is given to `opened`. */
function testBrowser(dir) {
  opened = join(dir, "opened.txt");
  const script = join(dir, "record-url");
  writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${opened}'\n`);
  chmodSync(script, 0o755);
  const config = join(dir, "xdg-config");
  const data = join(dir, "xdg-data");
  mkdirSync(config, { recursive: true });
  mkdirSync(join(data, "applications"), { recursive: true });
  writeFileSync(
    join(data, "applications", "quarry-test-browser.desktop"),
    `[Desktop Entry]\nType=Application\nName=Test browser\nExec=${script} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\nNoDisplay=true\n`,
  );
  writeFileSync(
    join(config, "mimeapps.list"),
    "[Default Applications]\nx-scheme-handler/http=quarry-test-browser.desktop\nx-scheme-handler/https=quarry-test-browser.desktop\n",
  );
  return { XDG_CONFIG_HOME: config, XDG_DATA_HOME: data, BROWSER: script };
}

async function waitForOpened(url) {
  for (let i = 0; i < 100; i++) {
    const lines = existsSync(opened) ? readFileSync(opened, "utf8").split("\n") : [];
    if (lines.includes(url)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} was not opened in the system's browser within 10 s`);
}

async function waitForDriver() {
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not answer on :${port} within 10 s`);
}

before(async () => {
  assert.ok(app, "QUARRY_DESKTOP_BIN names the desktop app to test");
  tmp = tempDir("quarry-desktop-e2e-");
  fake = await fakeProvider([{ stream_tool_call: { name: "Person", arguments: person, chunk: 8, pace_ms: 10 } }], tmp.dir);
  const home = join(tmp.dir, "home");
  mkdirSync(home, { recursive: true });
  // The app (started by the driver) inherits this: its own history, and the key from the
  // environment (no keychain is unlocked in this session).
  tauriDriver = spawn(driverBin, ["--port", String(port)], {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...testBrowser(tmp.dir), HOME: home, QUARRY_DB: join(tmp.dir, "desktop.db"), OPENAI_API_KEY: "sk-desktop-e2e" },
  });
  await waitForDriver();
  driver = await new Builder()
    .usingServer(`http://127.0.0.1:${port}/`)
    .withCapabilities({ browserName: "wry", "tauri:options": { application: app } })
    .build();
});

after(async () => {
  await driver?.quit().catch(() => {});
  tauriDriver?.kill();
  fake?.stop();
  tmp?.remove();
});

const css = (selector) => driver.wait(until.elementLocated(By.css(selector)), T);
const button = (name) => driver.wait(until.elementLocated(By.xpath(`//button[starts-with(normalize-space(.), '${name}')]`)), T);

async function fill(selector, text) {
  const field = await css(selector);
  await field.clear();
  await field.sendKeys(text);
}

describe("the desktop window", () => {
  it("runs a streamed extraction and shows every field valid", async () => {
    await button("Run");
    await (await css('select[aria-label="Example"] option[value="person"]')).click();
    await driver.wait(until.elementTextContains(await css('.cm-content[aria-label="Schema"]'), '"title": "Person"'), T);
    const prompt = await css('.cm-content[aria-label="User prompt"]');
    await prompt.click();
    // In place of the starting template.
    await prompt.sendKeys(Key.chord(Key.CONTROL, "a"));
    await prompt.sendKeys(Key.BACK_SPACE);
    await prompt.sendKeys("Ada Lovelace (36), mathematician in London.");
    await driver.wait(until.elementTextIs(prompt, "Ada Lovelace (36), mathematician in London."), T);
    await (await button("More settings")).click();
    await fill('[data-field="model"] input', "fake-model");
    await fill('[data-field="baseUrl"] input', fake.url);
    // Ctrl+Enter runs, as the button does.
    await prompt.click();
    await prompt.sendKeys(Key.chord(Key.CONTROL, Key.ENTER));
    await driver.wait(until.elementLocated(By.xpath("//*[contains(@class, 'run-summary')]//*[normalize-space(.)='succeeded']")), T);
    for (const field of ["name", "age", "email", "occupation", "address"]) {
      await css(`.tree-row[data-path="/${field}"][data-state="valid"]`);
    }
    writeFileSync(join(shots, "desktop-run.png"), await driver.takeScreenshot(), "base64");
    const name = await driver.executeScript((row) => row.textContent, await css('.tree-row[data-path="/name"]'));
    assert.match(name, /name.*"Ada Lovelace".*valid/);
  });

  it("keeps the run in the history", async () => {
    await (await button("History")).click();
    await driver.wait(until.elementLocated(By.xpath("//*[normalize-space(.)='succeeded']")), T);
    const rows = await driver.findElements(By.xpath("//button[starts-with(@aria-label, 'Open run #1')]"));
    assert.ok(rows.length > 0, "run #1 is listed");
  });

  it("opens links to web pages in the system's browser and keeps the workbench in the window", async () => {
    const app = await driver.getCurrentUrl();
    // As the Check tab's links to a rule's source are (target=_blank), and a plain link.
    for (const [href, target] of [
      ["https://example.org/rule-source", "_blank"],
      ["https://example.org/plain-link", ""],
    ]) {
      await driver.executeScript(
        (href, target) => {
          const a = document.createElement("a");
          a.id = "test-link";
          a.href = href;
          a.target = target;
          a.rel = "noreferrer";
          a.textContent = "a link";
          a.style.cssText = "position: fixed; top: 0; left: 0; z-index: 99999; padding: 8px; background: white";
          document.body.append(a);
        },
        href,
        target,
      );
      await (await css("#test-link")).click();
      await waitForOpened(href);
      await driver.executeScript(() => document.getElementById("test-link")?.remove());
    }
    assert.equal(await driver.getCurrentUrl(), app, "the window still shows the workbench");
    await button("History");
  });
});
