// The visual schema designer, in Chromium against `quarry serve`. A schema is built field by
// field in the designer (a string with a format, a required integer with a minimum, an enum, an
// array of objects, a nullable, an anyOf, a definition and a $ref to it) and the raw text is
// compared with the expected JSON exactly. A schema full of keywords the designer has no control
// for (x-foo, if/then/else, $comment, patternProperties) is edited in the tree and keeps them, in
// place and in order. Undo and redo from the keyboard, over tree edits and raw typing. A schema
// inferred from samples through the dialog (and its error). A text that does not parse: the
// designer says where, goes read-only, and nothing is lost. axe in both themes; screenshots go
// to e2e/out/screenshots/designer*.png.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { quarryServe, tempDir } from "./servers.mjs";
import { launch, openWorkbench } from "./browser.mjs";
import { editorText, inTheme, noViolations, screenshot } from "./helpers.mjs";

let tmp, q, browser, page;
const T = Number(process.env.E2E_TIMEOUT_MS ?? 20_000);

before(async () => {
  tmp = tempDir();
  q = await quarryServe(tmp.dir);
  browser = await launch();
  // The raw editor's whole text is read by copying it (CodeMirror draws only the lines in view).
  page = await openWorkbench(browser, q.url, T, {}, (c) => c.grantPermissions(["clipboard-read", "clipboard-write"], { origin: q.origin }));
  await page.getByText("live events connected").waitFor();
  // More room for the schema than for the prompt below it.
  await page.getByRole("separator", { name: "Resize the schema and the prompt" }).focus();
  await page.keyboard.press("End");
});

after(async () => {
  await browser?.close();
  q?.stop();
  tmp?.remove();
});

/** The schema text as the app holds it (the draft, kept in the browser's storage on every change). */
const schemaText = () => page.evaluate(() => JSON.parse(localStorage.getItem("quarry.draft")).state.schemaText);
const json = (v) => JSON.stringify(v, null, 2);
/** The raw editor's whole text, selected and copied from the keyboard. */
async function rawEditorText() {
  await tab("JSON");
  await page.getByRole("textbox", { name: "Schema", exact: true }).press("Control+a");
  await page.keyboard.press("Control+c");
  return page.evaluate(() => navigator.clipboard.readText());
}
const tab = (name) => page.getByRole("tab", { name, exact: true }).click();
const tree = () => page.getByRole("tree", { name: "Schema fields" });
/** The tree row whose accessible name starts with `label` and a comma (its name, then its type…). */
const row = (label) => tree().getByRole("treeitem", { name: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} ?,`) });
const inspector = () => page.locator(".designer-inspector");
/** A row's accessible name: its text, with the hidden commas between its parts. */
const accessibleName = (locator) => locator.evaluate((el) => el.textContent);

async function setRawText(text) {
  await tab("JSON");
  await page.getByRole("textbox", { name: "Schema", exact: true }).fill(text);
}

/** Adds a field at the end of the root object and names it (the name field has the focus, its text selected). */
async function addField(name) {
  await page.getByRole("button", { name: "Add field", exact: true }).click();
  await page.keyboard.type(name);
  await page.keyboard.press("Enter");
  await row(name).waitFor();
}

const built = {
  type: "object",
  properties: {
    email: { type: "string", format: "email", description: "Where replies go" },
    age: { type: "integer", minimum: 0 },
    status: { type: "string", enum: ["active", "blocked"] },
    orders: { type: "array", items: { type: "object", properties: { sku: { type: "string", pattern: "^[A-Z]{3}-[0-9]+$" } }, required: ["sku"] }, minItems: 1 },
    nickname: { type: ["string", "null"] },
    contact: { anyOf: [{ type: "string", format: "email" }, { type: "integer" }] },
    home: { $ref: "#/$defs/Address" },
  },
  required: ["age"],
  $defs: { Address: { type: "object", properties: { city: { type: "string" } } } },
};

describe("the schema designer", () => {
  it("builds a schema field by field, the raw text exactly the expected JSON", async () => {
    await tab("Designer");
    await page.getByText("The schema is empty.").waitFor();
    await page.getByRole("button", { name: "Start an object schema" }).click();
    await row("Schema").waitFor();

    // A string with format email, and a description.
    await addField("email");
    await inspector().getByLabel("Format").selectOption("email");
    await inspector().getByLabel("Description").fill("Where replies go");
    await inspector().getByLabel("Description").press("Tab");

    // A required integer with a minimum.
    await addField("age");
    await inspector().getByLabel("Type", { exact: true }).selectOption("integer");
    await inspector().getByLabel("Required").check();
    await inspector().getByLabel("Minimum").fill("0");
    await inspector().getByLabel("Minimum").press("Enter");

    // An enum.
    await addField("status");
    await inspector().getByLabel("Type", { exact: true }).selectOption("enum");
    await inspector().getByLabel("Values, one per line").fill("active\nblocked");
    await inspector().getByLabel("Values, one per line").press("Tab");

    // An array of objects: the items row, made an object, with a required field with a pattern.
    await addField("orders");
    await inspector().getByLabel("Type", { exact: true }).selectOption("array");
    await inspector().getByLabel("Min items").fill("1");
    await inspector().getByLabel("Min items").press("Enter");
    await tree().getByRole("treeitem", { name: /^items ?, string/ }).click();
    await inspector().getByLabel("Type", { exact: true }).selectOption("object");
    await inspector().getByRole("button", { name: "Add nested field" }).click();
    await page.keyboard.type("sku");
    await page.keyboard.press("Enter");
    await inspector().getByLabel("Required").check();
    // A pattern that is not a regular expression is flagged beside it, and on its row.
    await inspector().getByLabel("Pattern (regular expression)").fill("^[A-Z{3}-[0-9]+$");
    await inspector().getByLabel("Pattern (regular expression)").press("Enter");
    await inspector().getByText(/^not a valid regular expression:/).waitFor();
    assert.equal(await inspector().getByLabel("Pattern (regular expression)").getAttribute("aria-invalid"), "true");
    await row("sku").and(page.locator(".has-problem")).waitFor();
    await inspector().getByLabel("Pattern (regular expression)").fill("^[A-Z]{3}-[0-9]+$");
    await inspector().getByLabel("Pattern (regular expression)").press("Enter");
    await inspector().getByText(/^not a valid regular expression:/).waitFor({ state: "detached" });

    // A nullable string.
    await addField("nickname");
    await inspector().getByLabel("Nullable").check();

    // An anyOf, its first option an email.
    await addField("contact");
    await inspector().getByLabel("Type", { exact: true }).selectOption("union");
    await tree().getByRole("treeitem", { name: /^option 1 ?, string/ }).click();
    await inspector().getByLabel("Format").selectOption("email");
    await tree().getByRole("treeitem", { name: /^option 2 ?, number/ }).click();
    await inspector().getByLabel("Type", { exact: true }).selectOption("integer");

    // A definition, with a field, and a field referring to it.
    await page.getByRole("button", { name: "Add definition" }).click();
    await page.keyboard.type("Address");
    await page.keyboard.press("Enter");
    await inspector().getByRole("button", { name: "Add nested field" }).click();
    await page.keyboard.type("city");
    await page.keyboard.press("Enter");
    await addField("home");
    await inspector().getByLabel("Type", { exact: true }).selectOption("ref");
    assert.equal(await inspector().getByLabel("Refers to").inputValue(), "#/$defs/Address");

    // A name already taken is refused beside the name field, and Escape puts the old one back.
    const name = inspector().getByLabel("Field name");
    await name.fill("email");
    await name.press("Enter");
    await inspector().getByText('"email" is already a field of this object').waitFor();
    assert.equal(await name.getAttribute("aria-invalid"), "true");
    await name.press("Escape");
    assert.equal(await name.inputValue(), "home");

    assert.equal(await schemaText(), json(built));
    await row("home").click();
    await screenshot(page, "designer");
    await noViolations(page, "light");

    // The raw editor shows the same text, untouched by switching views.
    assert.equal(await rawEditorText(), json(built));
  });

  it("keeps keywords it has no control for, in their places and order, through tree edits", async () => {
    const input = {
      $comment: "kept at the top",
      type: "object",
      "x-foo": { owner: "team", level: 2 },
      properties: {
        name: { type: "string", "x-foo": "bar", $comment: "who" },
        kind: { type: "string", enum: ["a", "b"] },
        age: { type: "integer", minimum: 0, "x-unit": "years" },
      },
      required: ["name"],
      patternProperties: { "^x-": { type: "string" } },
      if: { properties: { kind: { const: "a" } } },
      then: { required: ["age"] },
      else: { $comment: "nothing more" },
    };
    // Pasted compact: the designer prints it again (2-space JSON) only when the tree edits it.
    const compact = JSON.stringify(input);
    await setRawText(compact);
    await tab("Designer");
    await row("name").click();
    assert.match(await accessibleName(row("name")), /also: x-foo, \$comment$/);
    await inspector().getByText("Also in this schema, kept as written").waitFor();
    await inspector().getByText('"bar"').waitFor();
    assert.equal(await schemaText(), compact, "looking is not editing");

    // Rename name → fullName, make kind required, move age above kind (from the keyboard).
    await inspector().getByLabel("Field name").fill("fullName");
    await inspector().getByLabel("Field name").press("Enter");
    await row("kind").click();
    await inspector().getByLabel("Required").check();
    await row("age").click();
    await page.keyboard.press("Alt+ArrowUp");
    await tree().getByRole("treeitem", { name: /^age ?,/ }).and(page.locator('[aria-posinset="2"]')).waitFor();

    const expected = {
      $comment: "kept at the top",
      type: "object",
      "x-foo": { owner: "team", level: 2 },
      properties: {
        fullName: { type: "string", "x-foo": "bar", $comment: "who" },
        age: { type: "integer", minimum: 0, "x-unit": "years" },
        kind: { type: "string", enum: ["a", "b"] },
      },
      required: ["fullName", "kind"],
      patternProperties: { "^x-": { type: "string" } },
      if: { properties: { kind: { const: "a" } } },
      then: { required: ["age"] },
      else: { $comment: "nothing more" },
    };
    assert.equal(await schemaText(), json(expected));
    assert.match(await accessibleName(row("Schema")), /also: \$comment, x-foo, patternProperties, if, then, else$/);
    await inThemeShot();
  });

  async function inThemeShot() {
    await inTheme(page, "dark");
    await row("fullName").click();
    await screenshot(page, "designer-dark");
    await noViolations(page, "dark");
    await inTheme(page, "light");
  }

  it("undoes and redoes from the keyboard, tree edits and raw typing alike", async () => {
    const afterEdits = await schemaText();
    await row("kind").click();
    // Undo the move, then the required; redo both (Ctrl+Shift+Z, then Ctrl+Y).
    await page.keyboard.press("Control+z");
    const beforeMove = JSON.parse(await schemaText());
    assert.deepEqual(Object.keys(beforeMove.properties), ["fullName", "kind", "age"]);
    await page.keyboard.press("Control+z");
    assert.deepEqual(JSON.parse(await schemaText()).required, ["fullName"]);
    await page.keyboard.press("Control+Shift+z");
    assert.deepEqual(JSON.parse(await schemaText()).required, ["fullName", "kind"]);
    await page.keyboard.press("Control+y");
    assert.equal(await schemaText(), afterEdits);

    // In the name field (nothing typed and not applied) Ctrl+Z undoes the rename it applied.
    await row("fullName").click();
    const name = inspector().getByLabel("Field name");
    await name.fill("person");
    await name.press("Enter");
    await row("person").waitFor();
    await name.press("Control+z");
    await row("fullName").waitFor();
    assert.equal(await name.inputValue(), "fullName");
    assert.equal(await schemaText(), afterEdits);
    // What is typed and not yet applied is the field's own to undo: the schema is not touched.
    await name.fill("half");
    await name.press("Control+z");
    assert.equal(await schemaText(), afterEdits);
    await name.press("Escape");
    // Escape on an unchanged field goes back to the tree, Enter on a row to its form.
    await name.press("Escape");
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("role")), "treeitem");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    assert.equal(await inspector().getByLabel("Field name").evaluate((el) => el === document.activeElement && el.value), "age");

    // Raw typing is undone from the designer too.
    await tab("JSON");
    const editor = page.getByRole("textbox", { name: "Schema", exact: true });
    await editor.press("Control+End");
    await editor.pressSequentially("\n");
    await tab("Designer");
    assert.equal(await schemaText(), `${afterEdits}\n`);
    await page.getByRole("button", { name: "Undo" }).focus();
    await page.keyboard.press("Control+z");
    assert.equal(await schemaText(), afterEdits);
    await page.keyboard.press("Control+Shift+z");
    assert.equal(await schemaText(), `${afterEdits}\n`);
  });

  it("infers a schema from samples through the dialog, and uses it (undoably)", async () => {
    const before = await schemaText();
    await page.getByRole("button", { name: "Infer from samples…" }).click();
    const dialog = page.getByRole("dialog", { name: "Infer a schema from samples" });
    await dialog.getByRole("textbox", { name: "Sample 1" }).fill('{"name": "Ada", "born": "1815-12-10", "tags": ["math"]}');
    await dialog.getByRole("button", { name: "Add a sample" }).click();
    await dialog.getByRole("textbox", { name: "Sample 2" }).fill('{"name": "Grace"}\nnope');
    await dialog.getByRole("button", { name: "Infer schema" }).click();
    // The command's error, in the dialog.
    const alert = dialog.getByRole("alert");
    await alert.waitFor();
    assert.equal(await alert.getAttribute("data-code"), "infer_failed");
    assert.match(await alert.innerText(), /sample 2/);
    await dialog.getByRole("textbox", { name: "Sample 2" }).fill('{"name": "Grace"}\n{"name": "Hedy", "born": "1914-11-09"}\n');
    await dialog.getByRole("button", { name: "Infer schema" }).click();
    await dialog.getByText("Inferred from 3 documents.").waitFor();
    const inferred = JSON.parse(await editorText(page, "Inferred schema"));
    assert.deepEqual(inferred.required, ["name"]);
    assert.equal(inferred.properties.born.format, "date");
    await noViolations(page, "light, dialog");
    await dialog.getByRole("button", { name: "Use this schema" }).click();
    await dialog.waitFor({ state: "hidden" });
    assert.deepEqual(JSON.parse(await schemaText()), inferred);
    await page.getByText("Used the schema inferred from 3 documents.").waitFor();
    await row("born").waitFor();
    await page.getByRole("button", { name: "Undo" }).click();
    assert.equal(await schemaText(), before);
  });

  it("shows where the text does not parse, goes read-only and loses nothing", async () => {
    const good = await schemaText();
    const broken = '{\n  "type": "object",\n  "properties": {\n    "a": {"type": "string"}\n    "b": {"type": "integer"}\n  }\n}';
    await setRawText(broken);
    await tab("Designer");
    const alert = page.locator(".designer-parse-error");
    await alert.waitFor();
    assert.match(await alert.innerText(), /The JSON does not parse: expected ',' or '}' after a property value, found .* \(line 5, column 5\)/);
    assert.match(await alert.innerText(), /read-only until it does and shows the schema as it last parsed; nothing has been changed/);
    // The last schema that parsed is still shown, and cannot be edited.
    await row("fullName").click();
    assert.equal(await inspector().getByLabel("Field name").isDisabled(), true);
    assert.equal(await page.getByRole("button", { name: "Add field", exact: true }).isDisabled(), true);
    await page.keyboard.press("Delete");
    await inThemeBroken();
    assert.equal(await schemaText(), broken);
    assert.equal(await rawEditorText(), broken);

    // Fixed, the designer follows the text again; Undo in the designer goes back through the steps.
    const fixed = broken.replace('"string"}\n', '"string"},\n');
    await setRawText(fixed);
    await tab("Designer");
    await row("b").click();
    assert.equal(await inspector().getByLabel("Field name").isDisabled(), false);
    await page.getByRole("button", { name: "Undo" }).click();
    assert.equal(await schemaText(), broken);
    await page.getByRole("button", { name: "Undo" }).click();
    assert.equal(await schemaText(), good);
  });

  async function inThemeBroken() {
    await inTheme(page, "dark");
    await screenshot(page, "designer-parse-error-dark");
    await noViolations(page, "dark, parse error");
    await inTheme(page, "light");
  }
});
