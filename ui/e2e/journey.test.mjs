// A user's whole journey through the workbench in Chromium, against `quarry serve` and fake
// providers: an example schema, edited; a prompt with a variable; a profile pointing at the
// fake server; a key stored through the dialog; a streamed run whose fields turn valid; a run
// re-asked after an invalid answer (Attempts, Hook log); a slow stream cancelled with Esc; the
// history searched, a run reopened, rerun and diffed; CSV exported; bad inputs, each with its
// own message. Screenshots of each screen go to e2e/out/screenshots/.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fakeProvider, quarryServe, tempDir } from "./servers.mjs";
import { launch, openWorkbench } from "./browser.mjs";
import { axe, editorText, screenshot } from "./helpers.mjs";

const person = (over = {}) =>
  JSON.stringify({
    name: "Ada Lovelace",
    age: 36,
    email: "ada@example.org",
    phone: null,
    occupation: "mathematician",
    address: { street: null, city: "London", postal_code: null, country: "GB" },
    nickname: "Enchantress of Numbers",
    ...over,
  });

const stream = (args, pace = 15, chunk = 8) => ({ stream_tool_call: { name: "Person", arguments: args, chunk, pace_ms: pace } });

let tmp, fakes, q, browser, page;
// The schema as the journey left it (an editor's text in the page holds only the lines in view).
let editedSchema;
// E2E_TIMEOUT_MS shortens the wait while a failing step is being looked into.
const T = Number(process.env.E2E_TIMEOUT_MS ?? 20_000);

before(async () => {
  tmp = tempDir();
  fakes = {
    main: await fakeProvider([stream(person()), stream(person({ age: 37, occupation: "analyst" }))], tmp.dir),
    reask: await fakeProvider([stream(person({ age: 412 }), 2), stream(person(), 2)], tmp.dir),
    slow: await fakeProvider([stream(person(), 250, 4)], tmp.dir),
    garbage: await fakeProvider([{ garbage: { status: 200, text: "<html><body>Service temporarily replaced by a cat</body></html>" } }], tmp.dir),
    drop: await fakeProvider([{ drop: true }], tmp.dir),
    anthropic: await fakeProvider([{ anthropic_stream_tool_use: { name: "Person", arguments: person(), chunk: 8, pace_ms: 10 } }], tmp.dir),
  };
  // Without a keychain (no D-Bus session), keys come from the environment.
  const env = process.env.DBUS_SESSION_BUS_ADDRESS ? {} : { OPENAI_API_KEY: "sk-e2e-from-env" };
  q = await quarryServe(tmp.dir, { ...env, OPENAI_API_KEY_UNUSED: "", ANTHROPIC_API_KEY: "sk-ant-e2e-from-env" }, { pinned: false });
  browser = await launch();
  page = await openWorkbench(browser, q.url, T, { acceptDownloads: true });
});

after(async () => {
  await browser?.close();
  q?.stop();
  for (const f of Object.values(fakes ?? {})) f.stop();
  tmp?.remove();
});

const runButton = () => page.getByRole("button", { name: /^Run/ });
const summary = () => page.locator(".run-summary");
async function run() {
  await runButton().click();
}
async function waitStatus(word) {
  await page.locator(".run-summary .status", { hasText: new RegExp(`^${word}$`) }).waitFor();
}
async function setBaseUrl(url) {
  await page.getByLabel("Base URL", { exact: true }).fill(url);
}

describe("the workbench journey", () => {
  it("keeps the token out of the address and connects", async () => {
    await page.getByText("live events connected").waitFor();
    assert.ok(!page.url().includes("token"), `the address still shows the token: ${page.url()}`);
    await page.getByText(`Database: ${q.db}`).waitFor();
  });

  it("starts from an example schema and edits it", async () => {
    await page.getByLabel("Example", { exact: true }).selectOption("person");
    const schema = page.getByRole("textbox", { name: "Schema", exact: true });
    await schema.waitFor();
    assert.match(await editorText(page, "Schema"), /"title": "Person"/);
    const edited = JSON.parse(readFileSync(new URL("../../schemas/person.schema.json", import.meta.url), "utf8"));
    edited.properties.nickname = { type: ["string", "null"], description: "What friends call them" };
    edited.required.push("nickname");
    editedSchema = JSON.stringify(edited, null, 2);
    await schema.fill(editedSchema);
    assert.match(await editorText(page, "Schema"), /"nickname"/);
    await page.getByLabel("Schema name").fill("person-plus");
    await page.getByRole("button", { name: "Save schema" }).click();
    await page.getByText("Saved person-plus as version 1.").waitFor();
  });

  it("writes a prompt with a variable, and the variable gets its field", async () => {
    await page.getByRole("textbox", { name: "System prompt", exact: true }).fill("You extract one person from a note.");
    await page.getByRole("textbox", { name: "User prompt", exact: true }).fill("The note:\n{{ note }}");
    const note = page.getByLabel("note", { exact: true });
    await note.fill("Ada Lovelace (36), mathematician in London, ada@example.org.");
    assert.equal(await page.getByLabel("text", { exact: true }).count(), 0, "a variable no template reads has no field");
  });

  it("saves a profile pointing at the fake server", async () => {
    await page.getByRole("button", { name: "More settings" }).click();
    await page.getByLabel("Model", { exact: true }).fill("fake-model");
    // A base URL with a password is refused as a profile (profiles live in the history file),
    // said beside the button, and the draft in the browser's storage keeps it without one.
    const withPassword = new URL(fakes.main.url);
    withPassword.username = "me";
    withPassword.password = "pr0xy-s3cret";
    await setBaseUrl(withPassword.href);
    await page.getByLabel("Profile name").fill("fake-local");
    await page.getByRole("button", { name: "Save profile" }).click();
    await page.getByText("profile `fake-local` was not saved: it carries a secret in base_url", { exact: false }).waitFor();
    const stored = await page.evaluate(() => localStorage.getItem("quarry.draft"));
    assert.ok(stored.includes(new URL(fakes.main.url).host) && !stored.includes("pr0xy-s3cret"), stored);
    await setBaseUrl(fakes.main.url);
    await page.getByRole("button", { name: "Save profile" }).click();
    await page.getByText("Saved profile fake-local.").waitFor();
    // The list of profiles is fetched again after the save; the choice shows once it is in.
    await page.getByLabel("Profile", { exact: true }).locator("option:checked", { hasText: /^fake-local$/ }).waitFor({ state: "attached" });
  });

  it("stores a key through the dialog", async () => {
    await page.getByRole("button", { name: /^API key for openai/ }).click();
    const dialog = page.getByRole("dialog", { name: "API keys" });
    await dialog.waitFor();
    if (process.env.DBUS_SESSION_BUS_ADDRESS) {
      await dialog.getByLabel("API key for openai").fill("sk-e2e-keychain-key");
      await dialog.getByRole("button", { name: "Save key" }).click();
      await dialog.getByText("The key for openai is in the keychain.").waitFor();
      await dialog.getByLabel("Key status per provider").getByText("key in the keychain").first().waitFor();
      await screenshot(page, "keys-dialog");
      await dialog.getByRole("button", { name: "Close" }).click();
      await page.getByRole("button", { name: /^API key for openai: key in the keychain/ }).waitFor();
    } else {
      await dialog.getByText(/No OS keychain is reachable here/).waitFor();
      await dialog.getByText("OPENAI_API_KEY").first().waitFor();
      await screenshot(page, "keys-dialog");
      await dialog.getByRole("button", { name: "Close" }).click();
    }
  });

  it("runs with streaming and the fields turn valid", async () => {
    await run();
    await page.getByRole("button", { name: "Cancel" }).waitFor();
    assert.equal(await runButton().count(), 0, "Run gives way to Cancel while the run goes");
    // Pending fields are listed before they arrive, then fill in.
    await page.locator('.tree-row[data-state="streaming"], .tree-row[data-state="valid"]').first().waitFor();
    await waitStatus("succeeded");
    for (const field of ["name", "age", "email", "occupation", "address", "nickname"]) {
      await page.locator(`.tree-row[data-path="/${field}"][data-state="valid"]`).waitFor();
    }
    const nameRow = page.locator('.tree-row[data-path="/name"]');
    assert.match(await nameRow.innerText(), /name:?\s*"Ada Lovelace"\s*valid/);
    await page.getByRole("heading", { name: "Final JSON" }).waitFor();
    assert.match(await editorText(page, "Final JSON"), /"nickname": "Enchantress of Numbers"/);
    await runButton().waitFor();
    await screenshot(page, "workbench-light");
  });

  it("exports the result as CSV", async () => {
    await page.getByLabel("Format").first().selectOption("csv");
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export", exact: true }).click()]);
    const file = join(tmp.dir, "export.csv");
    await download.saveAs(file);
    const csv = readFileSync(file, "utf8");
    const [head, row] = csv.trim().split(/\r?\n/);
    assert.match(download.suggestedFilename(), /\.csv$/);
    assert.ok(head.split(",").includes("name") && head.split(",").includes("address.city"), `CSV header: ${head}`);
    assert.match(row, /Ada Lovelace/);
    assert.match(row, /London/);
  });

  it("shows the re-ask after an invalid first answer in Attempts and the Hook log", async () => {
    await setBaseUrl(fakes.reask.url);
    await run();
    await waitStatus("succeeded");
    await page.getByRole("tab", { name: /^Attempts/ }).click();
    await page.getByRole("heading", { name: "Attempt 1", exact: true }).waitFor();
    await page.getByRole("heading", { name: "Attempt 2", exact: true }).waitFor();
    const first = page.getByRole("article", { name: "Attempt 1" });
    await first.getByRole("region", { name: "Validation errors of attempt 1" }).getByText("/age", { exact: true }).waitFor();
    await first.getByRole("region", { name: "Re-ask after attempt 1" }).waitFor();
    // A short diff opens by itself; a long one waits for a click.
    const changes = page.getByRole("article", { name: "Attempt 2" }).locator("details", { hasText: /Changes from attempt 1/ });
    if ((await changes.getAttribute("open")) === null) await changes.locator("summary").click();
    await page.getByRole("table", { name: "Changes from attempt 1 to attempt 2" }).getByText("/age").waitFor();
    await screenshot(page, "attempts");
    await page.getByRole("tab", { name: /^Hook log/ }).click();
    const type = page.getByLabel("Event type");
    await type.selectOption("reask");
    await page.locator(".log-line .etype", { hasText: /^reask$/ }).waitFor();
    await type.selectOption("parse:error");
    await page.locator(".log-line .etype", { hasText: /^parse:error$/ }).click();
    await page.locator(".payload").getByText(/"type": "parse:error"/).waitFor();
    await type.selectOption("");
    await page.getByLabel("Attempt", { exact: true }).selectOption("2");
    assert.equal(await page.locator(".log-line .etype", { hasText: /^parse:error$/ }).count(), 0);
    await page.locator(".log-line .etype", { hasText: /^completion:kwargs$/ }).first().waitFor();
    await screenshot(page, "hook-log");
    await page.getByRole("tab", { name: "Result" }).click();
  });

  it("cancels a slow stream with Esc and keeps what arrived", async () => {
    await setBaseUrl(fakes.slow.url);
    await run();
    await page.locator('.tree-row[data-path="/name"]').waitFor();
    await page.keyboard.press("Escape");
    await waitStatus("cancelled");
    assert.ok((await page.locator('.tree-row[data-path="/name"]').count()) === 1, "the partial object stays");
    await runButton().waitFor();
  });

  it("searches the history, reopens a run, reruns it and diffs the two", async () => {
    await page.getByRole("button", { name: "History", exact: true }).click();
    const history = page.getByRole("region", { name: "History" });
    await history.waitFor();
    await page.getByLabel("Search", { exact: true }).fill("Lovelace");
    await history.locator('.run-row[data-run="1"]').waitFor();
    await history.locator(".run-row .status", { hasText: /^cancelled$/ }).waitFor();
    assert.ok((await history.locator(".run-row .status", { hasText: /^succeeded$/ }).count()) >= 2);
    await screenshot(page, "history");
    await history.getByRole("button", { name: "Open run #1", exact: true }).click();
    await page.getByText("(replayed from the history)").waitFor();
    await waitStatus("succeeded");
    await page.locator('.tree-row[data-path="/name"][data-state="valid"]').waitFor();
    await page.getByRole("button", { name: "History", exact: true }).click();
    await page.getByRole("region", { name: "History" }).getByRole("button", { name: "Rerun run #1", exact: true }).click();
    await waitStatus("succeeded");
    const rerunId = Number((await summary().innerText()).match(/run #(\d+)/)[1]);
    assert.ok(rerunId > 3, `rerun id ${rerunId}`);
    await page.getByRole("button", { name: "History", exact: true }).click();
    await page.getByLabel("Search", { exact: true }).fill("");
    await page.getByLabel("Select run #1").check();
    await page.getByLabel(`Select run #${rerunId}`).check();
    await page.getByRole("button", { name: "Diff", exact: true }).click();
    const diff = page.getByRole("dialog", { name: `Run #1 against run #${rerunId}` });
    const results = diff.getByRole("table", { name: "Result differences" });
    await results.getByRole("cell", { name: "/age", exact: true }).waitFor();
    await results.getByRole("cell", { name: "/occupation", exact: true }).waitFor();
    await screenshot(page, "run-diff");
    await diff.getByRole("button", { name: "Close" }).click();
  });

  it("shows the settings and switches the theme", async () => {
    await page.getByRole("button", { name: "Settings", exact: true }).click();
    await page.getByRole("heading", { name: "Settings" }).waitFor();
    await page.locator("dd", { hasText: q.db }).waitFor();
    const prices = page.getByRole("table", { name: "Prices in effect" });
    await prices.getByRole("row", { name: /openai gpt-4o\* \$2\.5 \$1\.25 as input \$10/ }).waitFor();

    // A price of the user's own: a wrong amount is named before anything is saved.
    await page.getByRole("button", { name: "Add price" }).click();
    await page.getByLabel("Provider, row 1").fill("groq");
    await page.getByLabel("Model, row 1").fill("llama*");
    await page.getByLabel("Input price, row 1", { exact: true }).fill("-1");
    await page.getByLabel("Output price, row 1").fill("0.08");
    await page.getByRole("button", { name: "Save prices" }).click();
    await page.getByRole("alert").getByText("Row 1: the input price “-1” is not an amount of 0 or more dollars.").waitFor();
    await page.getByLabel("Input price, row 1", { exact: true }).fill("0.05");
    await page.getByRole("button", { name: "Save prices" }).click();
    await prices.getByRole("row", { name: /groq llama\* \$0\.05 as input as input \$0\.08/ }).waitFor();
    const saved = JSON.parse(readFileSync(join(tmp.dir, "data", "quarry", "prices.json"), "utf8"));
    assert.deepEqual(saved.prices, [{ provider: "groq", model: "llama*", input: 0.05, output: 0.08 }]);

    // Compacting says what it freed (nothing is unused yet: no run was deleted).
    await page.getByRole("button", { name: "Compact the history" }).click();
    await page.getByRole("status").getByText(/^Removed 0 stored values no run used; the history went from \d+ kB to \d+ kB\.$/).waitFor();

    // The data folder moves to another disk, the history with it: a relative path is refused
    // where it was typed, then the copy is made and used (the run reopened below is read from it).
    const folder = page.getByLabel("New data folder");
    await folder.fill("elsewhere/quarry");
    await page.getByRole("button", { name: "Move data folder" }).click();
    await page.getByRole("form", { name: "Move the data folder" }).getByText(/is not a full path/).waitFor();
    assert.equal(await folder.getAttribute("aria-invalid"), "true");
    const moved = join(tmp.dir, "disk", "quarry");
    await folder.fill(moved);
    await page.getByRole("button", { name: "Move data folder" }).click();
    await page.getByRole("status").getByText(/The history was copied there/).waitFor();
    await page.locator("dd", { hasText: join(moved, "quarry.db") }).waitFor();
    // The prices came along, and are in effect from the new folder.
    await page.getByText(join(moved, "prices.json")).waitFor();
    await prices.getByRole("row", { name: /groq llama\*/ }).waitFor();
    await screenshot(page, "settings");
    await page.getByLabel("Dark", { exact: true }).check();
    await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
    await page.getByRole("button", { name: "Workbench", exact: true }).click();
    await page.getByRole("button", { name: /^Open run #1,/ }).click();
    await page.locator('.tree-row[data-path="/name"][data-state="valid"]').waitFor();
    await screenshot(page, "workbench-dark");
    const violations = await axe(page);
    assert.deepEqual(violations, [], `accessibility (dark): ${JSON.stringify(violations, null, 1)}`);
    await page.getByRole("button", { name: "Settings", exact: true }).click();
    await page.getByLabel("Light", { exact: true }).check();
    await page.waitForFunction(() => document.documentElement.dataset.theme === "light");
    await page.getByRole("button", { name: "Workbench", exact: true }).click();
    const light = await axe(page);
    assert.deepEqual(light, [], `accessibility (light): ${JSON.stringify(light, null, 1)}`);
  });

  describe("bad inputs each show a specific message", () => {
    const problem = () => page.locator(".run-view .error-note");

    it("a schema that is not JSON", async () => {
      await setBaseUrl(fakes.main.url);
      const schema = page.getByRole("textbox", { name: "Schema", exact: true });
      await schema.fill('{"type": "object", "properties": {');
      await page.locator(".schema-editor .cm-lint-marker-error").first().waitFor();
      await run();
      await problem().getByText(/the schema is not valid JSON/).waitFor();
      await problem().getByText(/What to do:/).waitFor();
      assert.equal(await schema.getAttribute("aria-invalid"), "true");
      await screenshot(page, "bad-schema");
      await schema.fill(editedSchema);
    });

    it("a template error, at its line", async () => {
      const user = page.getByRole("textbox", { name: "User prompt", exact: true });
      await user.fill("The note:\n{{ note }}\n{% if %}");
      await run();
      await problem().getByText(/template syntax error in message 2 \(user\), line 3/).waitFor();
      assert.equal(await user.getAttribute("aria-invalid"), "true");
      await page.locator(".message.has-problem .cm-lintRange-error, .message.has-problem .cm-lint-marker-error").first().waitFor();
      await user.fill("The note:\n{{ note }}");
    });

    it("an undefined variable points at the variable", async () => {
      await page.getByRole("textbox", { name: "User prompt", exact: true }).fill("The note:\n{{ note }} {{ nme }}");
      await run();
      await problem().getByText(/undefined variable `nme`/).waitFor();
      assert.equal(await page.getByLabel("nme", { exact: true }).getAttribute("aria-invalid"), "true");
      await page.getByRole("textbox", { name: "User prompt", exact: true }).fill("The note:\n{{ note }}");
    });

    it("a provider that answers garbage", async () => {
      await setBaseUrl(fakes.garbage.url);
      await run();
      await waitStatus("failed");
      const text = await problem().innerText();
      assert.match(text, /The run failed/);
      assert.match(text, /What to do:/);
      console.log(`  garbage: ${text.replace(/\s+/g, " ")}`);
    });

    it("a dropped connection", async () => {
      await setBaseUrl(fakes.drop.url);
      await run();
      await waitStatus("failed");
      const text = await problem().innerText();
      assert.match(text, /The run failed/);
      console.log(`  dropped: ${text.replace(/\s+/g, " ")}`);
    });

    it("a missing key, with the key's setting highlighted", async () => {
      await setBaseUrl(fakes.main.url);
      await page.getByLabel("API key variable").fill("QUARRY_E2E_NO_SUCH_KEY");
      await run();
      await problem().getByText(/no API key for provider `openai`: the environment variable QUARRY_E2E_NO_SUCH_KEY is not set/).waitFor();
      await page.locator(".key-field.has-problem").waitFor();
      await screenshot(page, "missing-key");
      await page.getByLabel("API key variable").fill("");
    });

    it("a number that is not one", async () => {
      await page.getByLabel("Max tokens").fill("lots");
      await run();
      await page.locator('.field.has-problem[data-field="maxTokens"]').getByText(/Max tokens must be a whole number/).waitFor();
      await page.getByLabel("Max tokens").fill("");
    });

    it("a request over the size limit (413) says so", async () => {
      const big = join(tmp.dir, "big.txt");
      writeFileSync(big, "x".repeat(65 * 1024 * 1024));
      await page.getByLabel("Type of note").selectOption("file");
      await page.getByLabel("note", { exact: true }).setInputFiles(big);
      await page.getByText(/big\.txt \(68,157,440 characters\)/).waitFor();
      await run();
      await problem().getByText(/larger than Quarry accepts/).waitFor();
      await page.getByLabel("Type of note").selectOption("text");
      await page.getByLabel("note", { exact: true }).fill("Ada Lovelace (36)");
    });
  });

  it("runs against Anthropic's Messages API, picked from its protocol's group", async () => {
    const provider = page.getByLabel("Provider", { exact: true });
    await provider.locator('optgroup[label="Anthropic Messages API"] option', { hasText: /^anthropic$/ }).waitFor({ state: "attached" });
    await provider.selectOption("anthropic");
    await page.getByLabel("Model", { exact: true }).fill("claude-sonnet-4-5");
    // Anthropic's SDK takes the service root: no /v1.
    await setBaseUrl(fakes.anthropic.url.replace(/\/v1$/, ""));
    await run();
    await waitStatus("succeeded");
    for (const field of ["name", "age", "address", "nickname"]) {
      await page.locator(`.tree-row[data-path="/${field}"][data-state="valid"]`).waitFor();
    }
    await screenshot(page, "anthropic-run");
  });
});
