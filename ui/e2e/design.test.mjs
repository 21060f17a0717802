// Local models and project files, in Chromium against `quarry serve`. The fake provider stands
// in for Ollama's two read-only endpoints (`GET /api/tags`, then `POST /api/show`): choosing
// ollama and pointing its base URL there offers `qwen3:8b` in the Model field and says it takes
// tools; a closed port says no ollama answers there and how to start one, and "Check again"
// works from the keyboard. A saved schema is exported to a folder (its files checked on disk), a
// schema added to that folder by hand is imported back and appears in the sidebar, and a folder
// that is not a project is refused where the user is looking. Both themes; screenshots go to
// e2e/out/screenshots/local-models*.png and project-files*.png.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fakeProvider, quarryServe, tempDir } from "./servers.mjs";
import { launch, openWorkbench } from "./browser.mjs";
import { noViolations, screenshot } from "./helpers.mjs";

const schema = JSON.stringify(
  { title: "Contact", type: "object", properties: { name: { type: "string" } }, required: ["name"], additionalProperties: false },
  null,
  2,
);

let tmp, fake, q, browser, page;
const T = Number(process.env.E2E_TIMEOUT_MS ?? 20_000);

before(async () => {
  tmp = tempDir();
  // Discovery asks for the model list, then each model's capabilities; the fake answers in
  // order whatever the path, its last answer again and again. (`garbage` is any text with a
  // status: Quarry reads these bodies as JSON whatever their content type.)
  fake = await fakeProvider(
    [
      { garbage: { status: 200, text: JSON.stringify({ models: [{ name: "qwen3:8b", details: { parameter_size: "8.2B" } }] }) } },
      { garbage: { status: 200, text: JSON.stringify({ capabilities: ["completion", "tools"] }) } },
    ],
    tmp.dir,
  );
  q = await quarryServe(tmp.dir);
  browser = await launch();
  page = await openWorkbench(browser, q.url, T);
});

after(async () => {
  await browser?.close();
  q?.stop();
  fake?.stop();
  tmp?.remove();
});

/** A port nothing listens on: one the system just gave out and took back. */
function closedPort() {
  return new Promise((resolvePromise) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolvePromise(port));
    });
  });
}

const note = () => page.locator(".local-note");
const projectSection = () => page.getByRole("region", { name: "Project files" });

describe("local models in the model picker", () => {
  it("offers the models ollama runs and says what the chosen one supports", async () => {
    await page.getByText("live events connected").waitFor();
    await page.getByLabel("Provider", { exact: true }).selectOption("ollama");
    await page.getByRole("button", { name: "More settings" }).click();
    await page.getByLabel("Base URL", { exact: true }).fill(fake.url);
    // The server's model is among the suggestions, with what it told about it.
    const suggestion = page.locator('datalist option[value="qwen3:8b"]');
    await suggestion.waitFor({ state: "attached" });
    assert.equal(await suggestion.getAttribute("label"), "8.2B");
    const model = page.getByLabel("Model", { exact: true });
    await model.fill("qwen3:8b");
    await note().getByText(/qwen3:8b: tools: yes/).waitFor();
    assert.match(await note().innerText(), /vision: no · schema-constrained in json and json_schema modes/);
    // The note is read with the field.
    const described = (await model.getAttribute("aria-describedby")).split(" ");
    assert.ok(described.includes(await note().getAttribute("id")));
    await screenshot(page, "local-models");
    await noViolations(page, "light");
  });

  it("says how to start ollama when nothing answers, and checks again from the keyboard", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    await page.getByLabel("Base URL", { exact: true }).fill(url);
    await note().getByText(`No ollama answers at ${url}.`).waitFor();
    assert.match(await note().innerText(), /Start it: ollama serve, then ollama pull MODEL/);
    await note().getByRole("button", { name: "Check again" }).focus();
    await page.keyboard.press("Enter");
    await note().getByText(`No ollama answers at ${url}.`).waitFor();
    await page.emulateMedia({ colorScheme: "dark" });
    await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
    await screenshot(page, "local-models-not-running-dark");
    await noViolations(page, "dark");
    await page.emulateMedia({ colorScheme: "light" });
    await page.waitForFunction(() => document.documentElement.dataset.theme === "light");
  });

  it("leaves the note out for a provider that is not a local server", async () => {
    await page.getByLabel("Provider", { exact: true }).selectOption("openai");
    await note().waitFor({ state: "detached" });
  });
});

describe("project files in Settings", () => {
  let folder;

  it("exports a saved schema to a folder", async () => {
    await page.getByRole("textbox", { name: "Schema", exact: true }).fill(schema);
    await page.getByLabel("Schema name").fill("contact");
    await page.getByRole("button", { name: "Save schema" }).click();
    await page.getByText("Saved contact as version 1.").waitFor();

    await page.getByRole("button", { name: "Settings", exact: true }).click();
    folder = join(tmp.dir, "project");
    await projectSection().getByLabel("Project folder").fill(folder);
    await projectSection().getByRole("button", { name: "Export to folder" }).click();
    await projectSection().getByText(`Wrote 1 schema, 0 prompts, 0 profiles to ${folder}.`).waitFor();
    assert.ok(existsSync(join(folder, "quarry-project.toml")), "the manifest is written");
    assert.deepEqual(JSON.parse(readFileSync(join(folder, "schemas", "contact.json"), "utf8")), JSON.parse(schema));
  });

  it("imports the folder back, and a schema added to it shows in the sidebar at once", async () => {
    const added = { title: "Invoice", type: "object", properties: { total: { type: "number" } } };
    writeFileSync(join(folder, "schemas", "invoice.json"), JSON.stringify(added, null, 2));
    const sidebarInvoice = page.getByRole("navigation", { name: "Quarry" }).getByRole("button", { name: "invoice v1", exact: true });
    assert.equal(await sidebarInvoice.count(), 0);
    await projectSection().getByRole("button", { name: "Import from folder" }).focus();
    await page.keyboard.press("Enter");
    await projectSection().getByText(`Imported 2 schemas, 0 prompts, 0 profiles from ${folder}.`).waitFor();
    await sidebarInvoice.waitFor();
    await projectSection().scrollIntoViewIfNeeded();
    await screenshot(page, "project-files");
    await noViolations(page, "light");
  });

  it("refuses a folder that is not a project, saying so under the buttons", async () => {
    const plain = join(tmp.dir, "not-a-project");
    mkdirSync(plain);
    writeFileSync(join(plain, "notes.txt"), "just notes");
    await projectSection().getByLabel("Project folder").fill(plain);
    await projectSection().getByRole("button", { name: "Import from folder" }).click();
    const alert = projectSection().getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.innerText(), /^Import failed: /);
    assert.match(await alert.innerText(), /is not a Quarry project: it has no quarry-project\.toml/);
    assert.match(await alert.innerText(), /What to do:/);
    assert.equal(await projectSection().getByLabel("Project folder").getAttribute("aria-invalid"), "true");
    await page.emulateMedia({ colorScheme: "dark" });
    await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
    await screenshot(page, "project-files-error-dark");
    await noViolations(page, "dark");
    await page.emulateMedia({ colorScheme: "light" });
  });
});
