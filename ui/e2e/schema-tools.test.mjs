// The schema tools, in Chromium against `quarry serve` and a fake OpenAI-compatible server: the
// schema check (Anthropic's json_schema mode: a `minimum` moved into the description, noted with
// its place and source; OpenAI's strict mode: a `not` refused and a `maxLength` not listed, each
// with its place, rule, source and fix; the place selects the field in the designer; Fix,
// Ctrl+Z, Fix all; a clean schema said to be clean; the schema as sent, normalized; a schema
// Gemini cannot be sent; a schema that is not JSON);
// importing an OpenAPI YAML file with two schemas (one chosen) and a pasted draft-07 schema;
// generating a schema from a description with the fake (its spinner, its answer used; closing
// the dialog drops it; a missing key said in the dialog); and the draft as code in the Request
// tab (curl, Python, Rust; Copy, Download; attachments refused in place). axe in both themes;
// screenshots go to e2e/out/screenshots/schema-*.png and code-export*.png.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fakeProvider, quarryServe, tempDir } from "./servers.mjs";
import { launch, openWorkbench } from "./browser.mjs";
import { inTheme, noViolations, screenshot, sleep } from "./helpers.mjs";

const design = JSON.stringify({ title: "Invoice", description: "An invoice.", fields: [{ name: "number", type: "string", description: "Its number", required: true }] });
// Slow enough to see the spinner, and to close the dialog while the model is still "thinking".
const DESIGN_DELAY_MS = 1500;

let tmp, fake, q, browser, page;
const T = Number(process.env.E2E_TIMEOUT_MS ?? 20_000);

before(async () => {
  tmp = tempDir();
  fake = await fakeProvider([{ delay_ms: DESIGN_DELAY_MS, then: { tool_call: { name: "Design", arguments: design } } }], tmp.dir);
  q = await quarryServe(tmp.dir, { OPENAI_API_KEY: "sk-e2e-schema-tools" });
  browser = await launch();
  page = await openWorkbench(browser, q.url, T, { acceptDownloads: true }, (c) => c.grantPermissions(["clipboard-read", "clipboard-write"], { origin: q.origin }));
  await page.getByText("live events connected").waitFor();
  // More room for the schema than for the prompt below it.
  await page.getByRole("separator", { name: "Resize the schema and the prompt" }).focus();
  await page.keyboard.press("End");
});

after(async () => {
  await browser?.close();
  q?.stop();
  fake?.stop();
  tmp?.remove();
});

/** The schema text as the app holds it (the draft, kept in the browser's storage on every change). */
const schemaText = () => page.evaluate(() => JSON.parse(localStorage.getItem("quarry.draft")).state.schemaText);
const json = (v) => JSON.stringify(v, null, 2);
const tab = (name) => page.getByRole("tab", { name, exact: true });
const checkTab = () => page.getByRole("tab", { name: /^Check\b/ });
const check = () => page.locator(".schema-check");

/** A read-only editor's whole text, selected and copied from the keyboard (CodeMirror draws only the lines in view). */
async function wholeText(name) {
  await page.getByRole("textbox", { name, exact: true }).press("Control+a");
  await page.keyboard.press("Control+c");
  return page.evaluate(() => navigator.clipboard.readText());
}

async function setRawText(text) {
  await tab("JSON").click();
  await page.getByRole("textbox", { name: "Schema", exact: true }).fill(text);
}

/** A finding in the Check tab: the one at `at` whose text matches `text`. */
const finding = (at, text) => check().locator(".finding", { has: page.getByRole("button", { name: `${at}: select it in the designer` }), hasText: text });

async function setDraft(provider, model, mode) {
  await page.getByLabel("Provider", { exact: true }).selectOption(provider);
  await page.getByLabel("Model", { exact: true }).fill(model);
  await page.getByLabel("Mode", { exact: true }).selectOption(mode);
}

// OpenAI's strict mode refuses `not`, does not list `maxLength`, and makes the optional field
// required and nullable.
const refused = { type: "object", properties: { age: { type: "integer", minimum: 0 }, name: { type: "string", maxLength: 20, not: { const: "" } } }, required: ["age"] };

describe("the schema check", () => {
  it("notes what Quarry does for Anthropic's json_schema mode: minimum moved into the description", async () => {
    await setDraft("anthropic", "claude-sonnet-4-5", "json_schema");
    await setRawText(json({ type: "object", properties: { age: { type: "integer", minimum: 0 } }, required: ["age"], additionalProperties: false }));
    // The count is on the tab before it is opened: notes only, nothing to act on.
    await checkTab().getByText("OK", { exact: true }).waitFor();
    assert.equal(await checkTab().getAttribute("aria-selected"), "false");
    await checkTab().click();
    await check().getByText(/^For anthropic in the json_schema mode: Anthropic structured outputs: /).waitFor();
    await check().getByText("Nothing to fix; the notes say what Quarry does with the schema as it sends it.").waitFor();
    await check().getByRole("heading", { name: "Notes (1)" }).waitFor();
    const note = finding("/properties/age", "minimum");
    assert.match(await note.locator(".finding-message").innerText(), /^minimum is not supported by structured outputs \(Anthropic refuses the request with it\): Quarry moves it into the description/);
    assert.equal(await note.locator(".finding-message code").innerText(), "minimum");
    const source = note.getByRole("link");
    assert.equal(await source.getAttribute("href"), "https://platform.claude.com/docs/en/build-with-claude/structured-outputs#json-schema-limitations");
    assert.equal(await source.innerText(), "platform.claude.com/docs/en/build-with-claude/structured-outputs");
    assert.equal(await source.getAttribute("target"), "_blank");
    assert.equal(await source.getAttribute("rel"), "noreferrer");
    // The schema as sent has the bound in the description.
    await check().getByText("After Quarry's normalization and the provider's dialect, at /output_config/format/schema in the request body.").waitFor();
    const sent = JSON.parse(await wholeText("The schema as sent"));
    assert.deepEqual(sent.properties.age, { type: "integer", description: "minimum: 0" });
  });

  it("finds what OpenAI's strict mode refuses: where, the rule, its source and the schema as sent", async () => {
    await setDraft("openai", "gpt-4o-mini", "tools_strict");
    await setRawText(json(refused));
    await checkTab().getByText("1 error, 1 warning", { exact: true }).waitFor();
    await checkTab().click();
    await check().getByText(/^For openai in the tools_strict mode: OpenAI structured outputs \(strict\): /).waitFor();
    await check().getByRole("heading", { name: "Errors (1)" }).waitFor();
    await check().getByRole("heading", { name: "Warnings (1)" }).waitFor();
    await check().getByRole("heading", { name: "Notes (1)" }).waitFor();
    const not = finding("/properties/name", "not is not supported");
    assert.equal(await not.locator(".finding-message").innerText(), "not is not supported in strict mode: OpenAI refuses the request (400)");
    assert.match(await not.locator(".finding-rule").innerText(), /^The provider's rule: strict mode does not support the composition keywords allOf, not, .* \(platform\.openai\.com\/docs\/guides\/structured-outputs\)$/);
    assert.equal(await not.getByRole("link").getAttribute("href"), "https://platform.openai.com/docs/guides/structured-outputs#supported-schemas");
    await not.getByRole("button", { name: "Remove not (the answer is no longer checked against it either)" }).waitFor();
    await finding("", "optional property").waitFor();
    assert.equal(await finding("", "optional property").getByRole("button", { name: "the root: select it in the designer" }).count(), 1);

    await check().getByText("After Quarry's normalization and the provider's dialect, at /tools/0/function/parameters in the request body, marked strict.").waitFor();
    await checkTab().evaluate((el) => el.scrollIntoView({ block: "start" }));
    await screenshot(page, "schema-check");
    await noViolations(page, "light, check");
    await inTheme(page, "dark");
    await screenshot(page, "schema-check-dark");
    await noViolations(page, "dark, check");
    await inTheme(page, "light");

    // Sent as OpenAI's strict mode wants it: every property required, the optional one nullable, closed.
    const sent = JSON.parse(await wholeText("The schema as sent"));
    assert.deepEqual(sent.required, ["age", "name"]);
    assert.deepEqual(sent.properties.name.type, ["string", "null"]);
    assert.equal(sent.additionalProperties, false);
  });

  it("selects a finding's place in the designer", async () => {
    await finding("/properties/name", "not is not supported").getByRole("button", { name: "/properties/name: select it in the designer" }).click();
    assert.equal(await tab("Designer").getAttribute("aria-selected"), "true");
    const row = page.getByRole("tree", { name: "Schema fields" }).getByRole("treeitem", { name: /^name ?,/ });
    await page.waitForFunction(() => document.activeElement?.getAttribute("role") === "treeitem" && /^name\b/.test(document.activeElement.textContent));
    assert.equal(await row.getAttribute("aria-selected"), "true");
    assert.equal(await page.locator(".designer-inspector").getByLabel("Field name").inputValue(), "name");
    await checkTab().click();
  });

  it("fixes one finding (undone with Ctrl+Z), then all of them, and says when it is clean", async () => {
    const before = await schemaText();
    await finding("/properties/name", "not is not supported").getByRole("button", { name: /^Remove not/ }).click();
    await finding("/properties/name", "not is not supported").waitFor({ state: "detached" });
    assert.deepEqual(JSON.parse(await schemaText()).properties.name, { type: "string", maxLength: 20 });
    await checkTab().getByText("1 warning", { exact: true }).waitFor();
    await check().getByRole("status").getByText("Fixed.").waitFor();

    // The focus stayed in the panel: Ctrl+Z there brings the schema back.
    await page.keyboard.press("Control+z");
    assert.equal(await schemaText(), before);
    await finding("/properties/name", "not is not supported").waitFor();
    await checkTab().getByText("1 error, 1 warning", { exact: true }).waitFor();

    await check().getByRole("button", { name: "Fix all" }).click();
    await check().getByText("Applied 2 fixes.").waitFor();
    assert.deepEqual(JSON.parse(await schemaText()).properties.name, { type: "string", description: "maxLength: 20" });
    await check().getByText("Nothing to fix; the notes say what Quarry does with the schema as it sends it.").waitFor();
    await checkTab().getByText("OK", { exact: true }).waitFor();
    assert.equal(await check().locator(".finding-error, .finding-warning").count(), 0);
    await page.keyboard.press("Control+z");
    assert.equal(await schemaText(), before);

    // A schema strict mode takes as it is.
    await setRawText(json({ type: "object", properties: { name: { type: "string" } }, required: ["name"], additionalProperties: false }));
    await checkTab().click();
    await check().getByText("Nothing to fix: openai takes this schema in the tools_strict mode as it is.").waitFor();
    assert.equal(await check().locator(".finding").count(), 0);
  });

  it("says when the provider cannot be sent the schema at all (Gemini and recursion)", async () => {
    const good = await schemaText();
    await setDraft("gemini", "gemini-2.5-flash", "");
    await setRawText(json({ type: "object", properties: { name: { type: "string" }, children: { type: "array", items: { $ref: "#" } } }, required: ["name"] }));
    await checkTab().getByText("1 error", { exact: true }).waitFor();
    await checkTab().click();
    await check().getByText(/^For gemini in the tools mode: Gemini's Schema object/).waitFor();
    await finding("/properties/children/items", "refers back to itself").waitFor();
    await check().locator(".note.warn").getByText(/^the schema cannot be sent to Gemini: the schema refers to # from inside itself/).waitFor();
    assert.equal(await page.getByRole("textbox", { name: "The schema as sent" }).count(), 0);
    await setDraft("openai", "gpt-4o-mini", "tools_strict");
    await setRawText(good);
  });

  it("says in the panel when the schema cannot be checked", async () => {
    const good = await schemaText();
    await setRawText('{"type": "object", "properties": {');
    await checkTab().click();
    const alert = check().locator(".error-note");
    await alert.getByText(/the schema is not valid JSON/).waitFor();
    assert.match(await alert.innerText(), /^The schema cannot be checked: /);
    assert.equal(await alert.getAttribute("data-code"), "schema_not_json");
    await setRawText(good);
    await checkTab().click();
    await alert.waitFor({ state: "detached" });
  });
});

describe("importing a schema", () => {
  it("takes one of two schemas from an OpenAPI YAML file, and uses it (undoably)", async () => {
    const before = await schemaText();
    const file = join(tmp.dir, "pets.yaml");
    writeFileSync(
      file,
      [
        "openapi: 3.0.3",
        "info: {title: Pets, version: '1.0'}",
        "paths: {}",
        "components:",
        "  schemas:",
        "    Pet:",
        "      type: object",
        "      required: [name]",
        "      properties:",
        "        name: {type: string}",
        "        tag: {type: string, nullable: true}",
        "        owner: {$ref: '#/components/schemas/Owner'}",
        "    Owner:",
        "      type: object",
        "      properties:",
        "        name: {type: string}",
        "",
      ].join("\n"),
    );
    await page.getByRole("button", { name: "Import schema…" }).click();
    const dialog = page.getByRole("dialog", { name: "Import a schema" });
    await dialog.getByLabel("Read a file").setInputFiles(file);
    await dialog.getByText("Read pets.yaml into the box below.").waitFor();
    assert.match(await dialog.getByRole("textbox", { name: "Schema or OpenAPI document" }).inputValue(), /^openapi: 3\.0\.3\n/);
    await dialog.getByRole("button", { name: "Import", exact: true }).click();

    await dialog.getByText("This OpenAPI document has 2 schemas: choose the one to import").waitFor();
    const which = dialog.getByRole("combobox", { name: "Schema" });
    assert.deepEqual(await which.locator("option").allInnerTexts(), ["Pet", "Owner"]);
    await which.selectOption("Pet");
    await dialog.getByRole("button", { name: "Import Pet" }).click();
    await dialog.getByText("Read as OpenAPI 3.0.3 component Pet.").waitFor();
    const notes = await dialog.getByRole("list", { name: "What was changed" }).innerText();
    assert.match(notes, /nullable: true is now a type that allows null \(at \/properties\/tag\)/);
    await screenshot(page, "schema-import");
    await noViolations(page, "light, import");
    await inTheme(page, "dark");
    await noViolations(page, "dark, import");
    await inTheme(page, "light");
    const imported = JSON.parse(await wholeText("Imported schema"));
    assert.deepEqual(imported.properties.tag.type, ["string", "null"]);
    assert.equal(imported.properties.owner.$ref, "#/$defs/Owner");
    assert.ok(imported.$defs.Owner);

    await dialog.getByRole("button", { name: "Use this schema" }).click();
    await dialog.waitFor({ state: "hidden" });
    assert.deepEqual(JSON.parse(await schemaText()), imported);
    await page.getByText("Used the schema imported from OpenAPI 3.0.3 component Pet.").waitFor();
    await tab("Designer").click();
    await page.getByRole("button", { name: "Undo" }).click();
    assert.equal(await schemaText(), before);
  });

  it("brings a pasted draft-07 schema to 2020-12", async () => {
    const draft07 = {
      $schema: "http://json-schema.org/draft-07/schema#",
      title: "Person",
      type: "object",
      properties: { name: { type: "string" }, address: { $ref: "#/definitions/Address" }, tags: { type: "array", items: [{ type: "string" }], additionalItems: false } },
      required: ["name"],
      definitions: { Address: { type: "object", properties: { city: { type: "string" } } } },
    };
    await page.getByRole("button", { name: "Import schema…" }).click();
    const dialog = page.getByRole("dialog", { name: "Import a schema" });
    await dialog.getByRole("textbox", { name: "Schema or OpenAPI document" }).fill(json(draft07));
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    await dialog.getByText("Read as JSON Schema draft-07.").waitFor();
    assert.match(await dialog.getByRole("list", { name: "What was changed" }).innerText(), /definitions are now \$defs/);
    const imported = JSON.parse(await wholeText("Imported schema"));
    assert.equal(imported.$schema, "https://json-schema.org/draft/2020-12/schema");
    assert.equal(imported.properties.address.$ref, "#/$defs/Address");
    assert.deepEqual(imported.properties.tags.prefixItems, [{ type: "string" }]);
    await dialog.getByRole("button", { name: "Use this schema" }).click();
    assert.deepEqual(JSON.parse(await schemaText()), imported);
  });

  it("says what is wrong with text that is not a schema", async () => {
    await page.getByRole("button", { name: "Import schema…" }).click();
    const dialog = page.getByRole("dialog", { name: "Import a schema" });
    await dialog.getByRole("textbox", { name: "Schema or OpenAPI document" }).fill("[1, 2");
    await dialog.getByRole("button", { name: "Import", exact: true }).click();
    const alert = dialog.getByRole("alert");
    await alert.waitFor();
    assert.equal(await alert.getAttribute("data-code"), "import_not_parsed");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
  });
});

describe("generating a schema from a description", () => {
  const description = "Invoices: the number.";

  it("points the draft at the fake server", async () => {
    await page.getByLabel("Provider", { exact: true }).selectOption("openai");
    await page.getByLabel("Model", { exact: true }).fill("fake-model");
    await page.getByLabel("Mode", { exact: true }).selectOption("");
    await page.getByRole("button", { name: "More settings" }).click();
    await page.getByLabel("Base URL", { exact: true }).fill(fake.url);
  });

  it("drops the answer when the dialog is closed while the model works", async () => {
    const before = await schemaText();
    await page.getByRole("button", { name: "Generate from a description…" }).click();
    const dialog = page.getByRole("dialog", { name: "Generate a schema from a description" });
    await dialog.getByRole("textbox", { name: "Description" }).fill(description);
    await dialog.getByRole("button", { name: "Generate with openai/fake-model" }).click();
    await dialog.getByRole("status").getByText("Asking openai/fake-model…", { exact: false }).waitFor();
    await screenshot(page, "schema-generate-busy");
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "hidden" });
    await sleep(DESIGN_DELAY_MS + 500);
    assert.equal(await schemaText(), before);
    // Reopened: the description is still there, no answer is.
    await page.getByRole("button", { name: "Generate from a description…" }).click();
    assert.equal(await dialog.getByRole("textbox", { name: "Description" }).inputValue(), description);
    assert.equal(await dialog.getByRole("button", { name: "Use this schema" }).count(), 0);
    // Ctrl+Enter in the dialog does not start a run behind it.
    assert.equal(await page.getByText("Nothing run yet").count(), 1);
    await dialog.getByRole("textbox", { name: "Description" }).press("Control+Enter");
    await sleep(500);
    assert.equal(await page.getByText("Nothing run yet").count(), 1);
    assert.ok(await dialog.isVisible());
  });

  it("generates with the draft's provider and model, and uses the schema (undoably)", async () => {
    const before = await schemaText();
    const dialog = page.getByRole("dialog", { name: "Generate a schema from a description" });
    await dialog.getByText(/It asks openai\/fake-model at http:\/\/127\.0\.0\.1:\d+\/v1, with its key/).waitFor();
    await dialog.getByRole("button", { name: "Generate with openai/fake-model" }).click();
    await dialog.locator(".spinner").waitFor();
    await dialog.getByText("Generated by openai/fake-model in 1 attempt.").waitFor();
    await screenshot(page, "schema-generate");
    const generated = JSON.parse(await wholeText("Generated schema"));
    assert.deepEqual(generated, {
      title: "Invoice",
      description: "An invoice.",
      type: "object",
      properties: { number: { type: "string", description: "Its number" } },
      required: ["number"],
      additionalProperties: false,
    });
    await noViolations(page, "light, generate");
    await inTheme(page, "dark");
    await noViolations(page, "dark, generate");
    await inTheme(page, "light");
    await dialog.getByRole("button", { name: "Use this schema" }).click();
    await dialog.waitFor({ state: "hidden" });
    assert.deepEqual(JSON.parse(await schemaText()), generated);
    await page.getByText("Used the schema generated by openai/fake-model.").waitFor();
    await tab("Designer").click();
    await page.getByRole("button", { name: "Undo" }).click();
    assert.equal(await schemaText(), before);
    await page.getByRole("button", { name: "Redo" }).click();
  });

  it("says in the dialog when the key is missing, and what to do", async () => {
    await page.getByLabel("API key variable").fill("QUARRY_E2E_NO_SUCH_KEY");
    await page.getByRole("button", { name: "Generate from a description…" }).click();
    const dialog = page.getByRole("dialog", { name: "Generate a schema from a description" });
    await dialog.getByRole("button", { name: "Generate with openai/fake-model" }).click();
    const alert = dialog.getByRole("alert");
    await alert.waitFor();
    assert.equal(await alert.getAttribute("data-code"), "missing_api_key");
    assert.match(await alert.innerText(), /^No schema was generated: no API key for provider `openai`: the environment variable QUARRY_E2E_NO_SUCH_KEY is not set/);
    await alert.getByText(/^What to do: /).waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    await page.getByLabel("API key variable").fill("");
  });
});

describe("the draft as code", () => {
  const code = () => page.locator(".code-export-editor .cm-content");
  const language = (name) => page.getByRole("group", { name: "Language" }).getByRole("radio", { name, exact: true });

  it("writes curl, Python for instructor and Rust on quarry-engine", async () => {
    await page.getByRole("button", { name: "Fewer settings" }).click();
    await page.getByRole("textbox", { name: "User prompt", exact: true }).fill("Extract the invoice: number 42.");
    await page.getByRole("tab", { name: "Request", exact: true }).click();
    await page.getByRole("heading", { name: "As code" }).waitFor();
    assert.equal(await language("curl").isChecked(), true);
    await page.getByRole("textbox", { name: "curl command" }).getByText(/^curl /).first().waitFor();

    await language("Python").check();
    await page.getByRole("textbox", { name: "Python program" }).getByText("instructor.from_provider(").waitFor();
    assert.match(await code().innerText(), /openai\/fake-model/);
    await page.getByRole("heading", { name: "As code" }).scrollIntoViewIfNeeded();
    await screenshot(page, "code-export");
    await noViolations(page, "light, code");

    await language("Rust").check();
    await page.getByRole("textbox", { name: "Rust program" }).getByText(/quarry_engine/).first().waitFor();
    await page.getByRole("button", { name: "Copy Rust" }).click();
    await page.locator(".next-request").getByRole("status").getByText("Copied.").waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, /^\/\/! Generated by Quarry: openai\/fake-model/);
    assert.match(copied, /use quarry_engine::/);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: /^Download .+\.rs$/ }).click()]);
    assert.match(download.suggestedFilename(), /\.rs$/);
    assert.equal(readFileSync(await download.path(), "utf8"), copied);

    // The choice is kept (keyboard: arrows move it).
    await language("Rust").focus();
    await page.keyboard.press("ArrowLeft");
    assert.equal(await language("Python").isChecked(), true);
    await inTheme(page, "dark");
    await page.getByRole("textbox", { name: "Python program" }).getByText("instructor.from_provider(").waitFor();
    await screenshot(page, "code-export-dark");
    await noViolations(page, "dark, code");
    await inTheme(page, "light");
  });

  it("says in place what cannot be exported (an attached image in Python)", async () => {
    const png = join(tmp.dir, "dot.png");
    writeFileSync(png, Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64"));
    await page.locator('input[type="file"][data-attach-for="User prompt"]').setInputFiles(png);
    const alert = page.locator(".next-request .error-note");
    await alert.waitFor();
    assert.equal(await alert.getAttribute("data-code"), "export_unsupported");
    assert.match(await alert.innerText(), /^No Python program: attached files/);
    // curl carries everything.
    await language("curl").check();
    await alert.waitFor({ state: "detached" });
    await page.getByRole("textbox", { name: "curl command" }).getByText(/"type":"image_url"/).first().waitFor();
    await page.getByRole("button", { name: "Remove dot.png" }).click();
  });
});
