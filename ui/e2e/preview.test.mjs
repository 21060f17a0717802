// The Request tab in Chromium, against `quarry serve` and a fake OpenAI-compatible server behind
// a proxy that records what reaches it: the preview is there before any run, names the fake's
// chat-completions URL, and follows the draft as the user types, switches streaming and mode;
// very long strings are cut in what is shown but copied whole; curl reads the key from the
// environment and the key never shows; a schema that is not JSON and a number that is not one
// are said in the tab; nothing reaches the server and no run is recorded until Run, whose
// request is byte for byte the body copied from the preview. A 3 MB PDF (a data URL in the body)
// keeps the page responsive. Both themes; screenshots go to e2e/out/screenshots/request-preview*.png.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fakeProvider, quarryServe, recordingProxy, tempDir } from "./servers.mjs";
import { launch, openWorkbench } from "./browser.mjs";
import { axe, editorText, screenshot } from "./helpers.mjs";

const SECRET = "sk-e2e-preview-never-shown";
const schema = JSON.stringify(
  {
    title: "Contact",
    type: "object",
    properties: { name: { type: "string" }, email: { type: "string" } },
    required: ["name", "email"],
    additionalProperties: false,
  },
  null,
  2,
);
const answer = JSON.stringify({ name: "Ada Lovelace", email: "ada@example.org" });

let tmp, fake, proxy, q, browser, page;
const T = Number(process.env.E2E_TIMEOUT_MS ?? 20_000);

before(async () => {
  tmp = tempDir();
  fake = await fakeProvider([{ stream_tool_call: { name: "Contact", arguments: answer, chunk: 8, pace_ms: 5 } }], tmp.dir);
  proxy = await recordingProxy(fake.url);
  q = await quarryServe(tmp.dir, { OPENAI_API_KEY: SECRET });
  browser = await launch();
  page = await openWorkbench(browser, q.url, T, {}, (c) =>
    c.grantPermissions(["clipboard-read", "clipboard-write"], { origin: q.origin }),
  );
});

after(async () => {
  await browser?.close();
  q?.stop();
  proxy?.stop();
  fake?.stop();
  tmp?.remove();
});

const view = () => page.locator(".next-request");
const curl = () => page.getByRole("textbox", { name: "curl command" });
const fact = (name) => view().locator(".facts div", { has: page.locator("dt", { hasText: new RegExp(`^${name}$`) }) }).locator("dd");
const problem = () => view().locator(".error-note");
const userPrompt = () => page.getByRole("textbox", { name: "User prompt", exact: true });
const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
/** Waits until the curl command shown does (or does not) hold `text`. */
const curlHas = (text, yes = true) =>
  page.waitForFunction(([t, y]) => document.querySelector(".next-request .code-curl .cm-content")?.textContent.includes(t) === y, [text, yes]);

async function rpc(command) {
  const res = await fetch(`${q.origin}/api/rpc`, { method: "POST", headers: { Authorization: `Bearer ${q.token}`, "Content-Type": "application/json" }, body: JSON.stringify(command) });
  assert.equal(res.status, 200);
  return res.json();
}

describe("the request preview", () => {
  it("sets up a schema, a prompt and the fake server", async () => {
    await page.getByText("live events connected").waitFor();
    await page.getByRole("textbox", { name: "Schema", exact: true }).fill(schema);
    await page.getByLabel("Schema name").fill("contact");
    await userPrompt().fill("Extract the contact: Ada Lovelace <ada@example.org>.");
    await page.getByLabel("Model", { exact: true }).fill("fake-model");
    await page.getByRole("button", { name: "More settings" }).click();
    await page.getByLabel("Base URL", { exact: true }).fill(proxy.url);
  });

  it("opens from the keyboard before any run, naming the fake server's chat-completions URL", async () => {
    await page.getByRole("tab", { name: "Result" }).focus();
    await page.keyboard.press("End");
    const tab = page.getByRole("tab", { name: "Request" });
    assert.equal(await tab.getAttribute("aria-selected"), "true");
    await page.getByRole("tabpanel", { name: "Request" }).waitFor();
    await fact("URL").getByText(`${proxy.url}/chat/completions`, { exact: true }).waitFor();
    assert.equal(await fact("Method").innerText(), "POST");
    assert.match(await fact("Mode").innerText(), /^tools \(the provider's default\)$/);
    // The fake's model has no known tokenizer: an estimate, said to be one.
    assert.match(await fact("Prompt tokens").innerText(), /^about \d[\d,]* — estimate: about 4 characters per token/);
    assert.match(await editorText(page, "Request body"), /Extract the contact: Ada Lovelace <ada@example\.org>\./);
    // The key's header is there, its value masked.
    const headers = page.getByRole("table", { name: "Headers" });
    await headers.getByRole("row", { name: /^authorization <redacted>$/i }).waitFor();
    await headers.getByRole("row", { name: "content-type application/json" }).waitFor();
  });

  it("follows the prompt as the user types", async () => {
    await userPrompt().click();
    await page.keyboard.press("ControlOrMeta+End");
    await page.keyboard.type(" Phone: 555-0100.");
    await curlHas("Phone: 555-0100.");
    assert.match(await editorText(page, "Request body"), /<ada@example\.org>\. Phone: 555-0100\./);
  });

  it("follows the streaming setting and the mode", async () => {
    await curlHas('"stream":true');
    assert.ok((await curl().innerText()).includes("--no-buffer"));
    await page.getByLabel("Streaming").selectOption("none");
    await curlHas('"stream":true', false);
    assert.ok(!(await curl().innerText()).includes("--no-buffer"));
    assert.ok((await curl().innerText()).includes('"tools":['));

    const mode = page.getByLabel("Mode", { exact: true });
    await mode.selectOption("json_schema");
    await curlHas('"response_format":{"type":"json_schema"');
    await curlHas('"tools":[', false);
    assert.equal(await fact("Mode").innerText(), "json_schema");
    await mode.selectOption("");
    await page.getByLabel("Streaming").selectOption("partial");
    await curlHas('"stream":true');
    assert.match(await fact("Mode").innerText(), /^tools \(the provider's default\)$/);
  });

  it("reads the key from the environment in curl and never shows it", async () => {
    const shown = await curl().innerText();
    assert.ok(shown.includes("$OPENAI_API_KEY"), shown);
    assert.ok(!/\bsk-/.test(shown), "no key in the curl command");
    assert.ok(!(await page.content()).includes(SECRET), "the key is nowhere on the page");
    await page.getByRole("button", { name: "Copy curl" }).click();
    await view().getByRole("status").getByText("Copied.").waitFor();
    const copied = await clipboard();
    assert.equal(copied, shown);
    assert.ok(!copied.includes(SECRET));
  });

  it("copies the exact body: compact JSON, the body shown indented", async () => {
    await page.getByRole("button", { name: "Copy exact body" }).click();
    const exact = await clipboard();
    assert.ok(!exact.includes("\n"), "the bytes sent are compact");
    const body = JSON.parse(exact);
    assert.equal(body.model, "fake-model");
    assert.equal(body.stream, true);
    assert.ok(JSON.stringify(body.messages).includes("Phone: 555-0100."));
    assert.match(await editorText(page, "Request body"), /\n {2}"model": "fake-model",\n/);
  });

  it("cuts very long strings in what it shows, and copies them whole", async () => {
    await userPrompt().fill("Extract the contact:\n{{ note }}");
    const note = `Ada Lovelace <ada@example.org>. ${"The Analytical Engine weaves algebraic patterns. ".repeat(120)}`;
    await page.getByLabel("note", { exact: true }).fill(note);
    const cut = view().locator(".note.warn").first();
    await cut.getByText(/^1 long string is cut short here \([\d,]+ characters left out\); “Copy exact body” copies it whole\.$/).waitFor();
    const left = Number((await cut.innerText()).match(/\(([\d,]+) characters/)[1].replace(/,/g, ""));
    assert.ok(left > note.length - 2_100 && left < note.length, `${left} of ${note.length} characters left out`);
    assert.match(await editorText(page, "Request body"), /more characters\)"/);
    await page.getByRole("button", { name: "Copy exact body" }).click();
    const copied = JSON.parse(await clipboard());
    assert.ok(JSON.stringify(copied.messages).includes(JSON.stringify(note).slice(1, -1)), "the copy holds the whole note");
  });

  it("keeps the page responsive with a 3 MB PDF in the body, and copies all of it", async () => {
    const pdf = join(tmp.dir, "scan.pdf");
    const padding = `% ${"x".repeat(78)}\n`.repeat(37_000);
    writeFileSync(pdf, `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n${padding}trailer << /Root 1 0 R >>\n%%EOF\n`);
    await page.evaluate(() => {
      window.longTasks = [];
      new PerformanceObserver((list) => list.getEntries().forEach((e) => window.longTasks.push(e.duration))).observe({ type: "longtask" });
    });
    await userPrompt().fill("Read the contact from the scan.");
    await page.locator('input[type="file"][data-attach-for="User prompt"]').setInputFiles(pdf);
    await curlHas('"filename":"scan.pdf"');
    await userPrompt().click();
    await page.keyboard.press("ControlOrMeta+End");
    await page.keyboard.type(" See the scan.", { delay: 20 });
    await curlHas("See the scan.");
    const longest = Math.max(0, ...(await page.evaluate(() => window.longTasks)));
    assert.ok(longest < 1_000, `the page froze for ${Math.round(longest)} ms`);
    assert.ok((await curl().innerText()).length < 10_000, "the data URL is cut in the curl shown");
    await view().getByText(/^1 long string is cut short here \([\d,]+ characters left out\); “Copy curl” copies it whole\.$/).waitFor();
    await page.getByRole("heading", { name: "As code", exact: true }).scrollIntoViewIfNeeded();
    await screenshot(page, "request-preview-large");
    await page.getByRole("button", { name: "Copy curl" }).click();
    await view().getByRole("status").getByText("Copied.").waitFor();
    assert.ok((await clipboard()).length > 3_900_000, "the copy holds the whole data URL");
    await page.getByRole("button", { name: "Remove scan.pdf" }).click();
    await curlHas('"filename":"scan.pdf"', false);
  });

  it("says in the tab when the schema is not JSON, or a number is not one", async () => {
    const schemaBox = page.getByRole("textbox", { name: "Schema", exact: true });
    await schemaBox.fill('{"type": "object", "properties": {');
    await problem().getByText(/the schema is not valid JSON/).waitFor();
    assert.match(await problem().innerText(), /^This request cannot be built: /);
    await problem().getByText(/What to do:/).waitFor();
    await screenshot(page, "request-preview-bad-schema");
    await schemaBox.fill(schema);
    await problem().waitFor({ state: "detached" });

    await page.getByLabel("Max tokens").fill("lots");
    await problem().getByText("Max tokens must be a whole number, not “lots”").waitFor();
    await page.getByLabel("Max tokens").fill("");
    await problem().waitFor({ state: "detached" });
    await curl().waitFor();
  });

  it("sent nothing and recorded no run while previewing", async () => {
    assert.deepEqual(proxy.requests, [], "no request reached the server");
    assert.deepEqual(await rpc({ cmd: "list_runs" }), []);
  });

  it("reads well in both themes", async () => {
    await userPrompt().fill("Extract the contact: Ada Lovelace <ada@example.org>. Phone: 555-0100.");
    await curlHas("Phone: 555-0100.");
    await screenshot(page, "request-preview");
    const light = await axe(page);
    assert.deepEqual(light, [], `accessibility (light): ${JSON.stringify(light, null, 1)}`);
    await page.emulateMedia({ colorScheme: "dark" });
    await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
    await screenshot(page, "request-preview-dark");
    const dark = await axe(page);
    assert.deepEqual(dark, [], `accessibility (dark): ${JSON.stringify(dark, null, 1)}`);
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("runs, and the run's request is byte for byte the body the preview copied", async () => {
    await page.getByRole("button", { name: "Copy exact body" }).click();
    const exact = await clipboard();
    await page.getByRole("button", { name: /^Run/ }).click();
    await page.locator(".run-summary .status", { hasText: /^succeeded$/ }).waitFor();
    assert.equal(proxy.requests.length, 1);
    const [sent] = proxy.requests;
    assert.equal(sent.method, "POST");
    assert.equal(sent.path, new URL(`${proxy.url}/chat/completions`).pathname);
    assert.equal(sent.body, exact);
    // Run moves the view from the Request tab to the run's Result; the Request tab stays
    // beside the run's own tabs.
    assert.equal(await page.getByRole("tab", { name: "Result" }).getAttribute("aria-selected"), "true");
    await page.getByRole("tab", { name: "Request" }).click();
    await fact("URL").getByText(`${proxy.url}/chat/completions`, { exact: true }).waitFor();
  });
});
