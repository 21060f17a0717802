// The real desktop window, driven over WebDriver (tauri-driver in front of WebKitWebDriver): a
// streamed run against a fake provider, from choosing the example schema to every field valid,
// then the run in the history. Started by scripts/desktop-e2e, which gives it a display (Xvfb)
// and a D-Bus session; QUARRY_DESKTOP_BIN is the app, TAURI_DRIVER the driver.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
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

let tmp, fake, tauriDriver, driver;

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
    env: { ...process.env, HOME: home, QUARRY_DB: join(tmp.dir, "desktop.db"), OPENAI_API_KEY: "sk-desktop-e2e" },
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
});
