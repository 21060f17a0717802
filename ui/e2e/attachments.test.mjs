// Files attached to the prompt, in Chromium against `quarry serve` and a fake OpenAI-compatible
// server standing in for Ollama (which reads neither PDFs nor audio): a PDF attached with the
// file input and again by dropping it on the prompt, sent as its text (the Hook log and the
// run's summary say so, and the recorded request holds the PDF's words); a zip refused where it
// was attached; the prompt saved and reopened with its file; audio refused at run start, by
// the file; chips removed from the keyboard; both themes. Screenshots go to e2e/out/screenshots/attachments-*.png.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fakeProvider, quarryServe, repo, tempDir } from "./servers.mjs";
import { launch, openWorkbench } from "./browser.mjs";
import { axe, screenshot } from "./helpers.mjs";

const files = join(repo, "tests", "fixtures", "files");
const invoicePdf = join(files, "invoice.pdf");
const archiveZip = join(files, "archive.zip");
const toneWav = join(files, "tone.wav");

const invoiceSchema = JSON.stringify(
  {
    title: "Invoice",
    type: "object",
    properties: {
      number: { type: "string" },
      billed_to: { type: "string" },
      total: { type: "number" },
      currency: { type: "string" },
    },
    required: ["number", "billed_to", "total", "currency"],
    additionalProperties: false,
  },
  null,
  2,
);
const answer = JSON.stringify({ number: "2026-117", billed_to: "Ada Lovelace", total: 1234.5, currency: "EUR" });

let tmp, fake, q, browser, page;
const T = Number(process.env.E2E_TIMEOUT_MS ?? 20_000);

before(async () => {
  tmp = tempDir();
  // Ollama's default mode is json_schema: the answer comes as message content.
  fake = await fakeProvider([{ stream_content: { text: answer, chunk: 12, pace_ms: 5 } }], tmp.dir);
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

const user = () => page.locator('.message[data-role="user"]');
const chips = () => page.getByRole("list", { name: "Files attached to User prompt" }).getByRole("listitem");
const chip = (name) => chips().filter({ hasText: name });
const attachInput = () => page.locator('input[type="file"][data-attach-for="User prompt"]');
const attachmentAlerts = () => user().locator(".attachments-area").getByRole("alert");
const focusedName = () => page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.textContent ?? "");
async function waitStatus(word) {
  await page.locator(".run-summary .status", { hasText: new RegExp(`^${word}$`) }).waitFor();
}

/** A DataTransfer in the page holding `path` as a File, as a drag from the desktop brings it. */
async function dataTransferOf(path, name, type) {
  const b64 = readFileSync(path).toString("base64");
  return page.evaluateHandle(
    ({ b64, name, type }) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name, { type }));
      return dt;
    },
    { b64, name, type },
  );
}

describe("attachments", () => {
  it("sets up an invoice schema, a prompt and Ollama at the fake server, its constrained mode marked", async () => {
    await page.getByText("live events connected").waitFor();
    await page.getByRole("textbox", { name: "Schema", exact: true }).fill(invoiceSchema);
    await page.getByLabel("Schema name").fill("invoice");
    await page.getByRole("textbox", { name: "User prompt", exact: true }).fill("Extract the invoice from the attached PDF.");
    await page.getByLabel("Provider", { exact: true }).selectOption("ollama");
    await page.getByLabel("Model", { exact: true }).fill("fake-model");
    await page.getByRole("button", { name: "More settings" }).click();
    await page.getByLabel("Base URL", { exact: true }).fill(fake.url);
    const mode = page.getByLabel("Mode", { exact: true });
    // The chosen mode's badge, and the other constrained modes marked in the list.
    assert.equal((await mode.locator("option:checked").innerText()).trim(), "json_schema (default)");
    await page.locator('.field[data-field="mode"] .field-badge', { hasText: "constrained" }).waitFor();
    assert.match(await mode.evaluate((el) => el.getAttribute("aria-describedby") && document.getElementById(el.getAttribute("aria-describedby"))?.textContent), /constrained: the server only generates JSON that fits the schema/);
    assert.equal(await mode.locator("option", { hasText: /^json · constrained$/ }).count(), 1);
    assert.equal(await mode.locator("option", { hasText: /^tools$/ }).count(), 1, "tools is not constrained on Ollama");
    await mode.selectOption("tools");
    assert.equal(await page.locator('.field[data-field="mode"] .field-badge').count(), 0);
    assert.equal((await mode.locator("option", { hasText: /^json_schema/ }).innerText()).trim(), "json_schema · constrained (default)");
    await mode.selectOption("");
  });

  it("attaches a PDF with the file input, and removes its chip from the keyboard", async () => {
    await attachInput().setInputFiles(invoicePdf);
    await chip("invoice.pdf").waitFor();
    const text = await chip("invoice.pdf").innerText();
    assert.match(text, /PDF/i);
    assert.match(text, /1 kB/);
    const remove = page.getByRole("button", { name: "Remove invoice.pdf" });
    await remove.focus();
    await page.keyboard.press("Enter");
    await chip("invoice.pdf").waitFor({ state: "detached" });
    // Focus goes back to "Attach file…", not to the page's top.
    assert.equal(await focusedName(), "Attach file to User prompt");
  });

  it("attaches the same PDF through the button's file chooser", async () => {
    assert.equal(await focusedName(), "Attach file to User prompt");
    const choosing = page.waitForEvent("filechooser");
    // A round trip, so that the browser intercepts the chooser before the key opens it.
    await page.evaluate(() => 0);
    await page.keyboard.press("Enter");
    const chooser = await choosing;
    assert.ok(chooser.isMultiple(), "the chooser takes several files");
    await chooser.setFiles(invoicePdf);
    await chip("invoice.pdf").waitFor();
    await page.getByRole("button", { name: "Remove invoice.pdf" }).click();
    await chip("invoice.pdf").waitFor({ state: "detached" });
  });

  it("highlights the prompt while files are dragged over it, and takes a drop on the editor", async () => {
    const dt = await dataTransferOf(invoicePdf, "invoice.pdf", "application/pdf");
    const editor = user().locator(".cm-content");
    await editor.dispatchEvent("dragenter", { dataTransfer: dt });
    await editor.dispatchEvent("dragover", { dataTransfer: dt });
    await page.locator(".prompt-panel.dropping").waitFor();
    await page.locator(".drop-banner", { hasText: "Drop to attach to User prompt" }).waitFor();
    await page.locator('.message.drop-target[data-role="user"]').waitFor();
    await screenshot(page, "attachments-drop");
    await editor.dispatchEvent("drop", { dataTransfer: dt });
    await chip("invoice.pdf").waitFor();
    assert.equal(await page.locator(".prompt-panel.dropping").count(), 0, "the highlight goes once the files are dropped");
    // The editor did not take the file's bytes as text.
    assert.equal(await editor.innerText(), "Extract the invoice from the attached PDF.");
    await dt.dispose();
  });

  it("runs: the PDF goes as its text, the run's summary and the Hook log say so", async () => {
    await page.getByRole("button", { name: /^Run/ }).click();
    await waitStatus("succeeded");
    for (const field of ["number", "billed_to", "total", "currency"]) {
      await page.locator(`.tree-row[data-path="/${field}"][data-state="valid"]`).waitFor();
    }
    const said = page.getByRole("list", { name: "What Quarry did with the attached files" });
    await said.getByText(/^invoice\.pdf sent as its text: 2 pages, \d+ characters — this provider cannot read PDFs/).waitFor();
    await screenshot(page, "attachments-light");

    await page.getByRole("tab", { name: /^Hook log/ }).click();
    const type = page.getByLabel("Event type");
    await type.selectOption("input:pdf_text");
    const row = page.locator(".log-line", { has: page.locator(".etype", { hasText: /^input:pdf_text$/ }) });
    await row.waitFor();
    assert.match(await row.innerText(), /invoice\.pdf sent as its text: 2 pages, \d+ characters — this provider cannot read PDFs/);
    await screenshot(page, "attachments-hook-log");

    // The request as sent: the PDF's words as text, no PDF bytes.
    await type.selectOption("completion:kwargs");
    await page.locator(".log-line", { has: page.locator(".etype", { hasText: /^completion:kwargs$/ }) }).first().click();
    const payload = await page.locator(".payload").innerText();
    for (const words of ["INVOICE 2026-117", "Billed to: Ada Lovelace", "Total due: 1234.50 EUR"]) assert.ok(payload.includes(words), `the request holds “${words}”`);
    assert.ok(!payload.includes("data:application/pdf"), "the PDF itself was not sent");
    await type.selectOption("");
    await page.getByRole("tab", { name: "Result" }).click();
  });

  it("saves the prompt with its file, and reopening it brings the file back", async () => {
    await page.getByLabel("Prompt name").fill("invoice-from-pdf");
    await page.getByRole("button", { name: "Save prompt" }).click();
    await page.getByText("Saved invoice-from-pdf as version 1.").waitFor();
    await page.getByRole("button", { name: "Remove invoice.pdf" }).click();
    await chip("invoice.pdf").waitFor({ state: "detached" });
    await page.getByLabel("Saved prompt").selectOption("invoice-from-pdf");
    await page.getByText("Opened the prompt invoice-from-pdf.").waitFor();
    await chip("invoice.pdf").waitFor();
    assert.match(await chip("invoice.pdf").innerText(), /1 kB/);
    assert.equal(await page.getByRole("textbox", { name: "User prompt", exact: true }).innerText(), "Extract the invoice from the attached PDF.");
  });

  it("refuses a zip where it was attached, saying why", async () => {
    await attachInput().setInputFiles(archiveZip);
    const alert = attachmentAlerts().filter({ hasText: "archive.zip" });
    await alert.waitFor();
    const text = await alert.innerText();
    assert.match(text, /`archive\.zip` is not a file Quarry can send/);
    assert.match(text, /What to do:/);
    assert.equal(await chip("archive.zip").count(), 0);
    await user().scrollIntoViewIfNeeded();
    await screenshot(page, "attachments-refused");
  });

  it("refuses audio at run start, by the file, when the provider takes none", async () => {
    await attachInput().setInputFiles(toneWav);
    await chip("tone.wav").waitFor();
    assert.match(await chip("tone.wav").innerText(), /audio/i);
    await page.getByRole("button", { name: /^Run/ }).click();
    const alert = attachmentAlerts().filter({ hasText: "does not take audio" });
    await alert.waitFor();
    const text = await alert.innerText();
    assert.match(text, /`ollama` does not take audio: `tone\.wav`/);
    assert.match(text, /What to do: choose a provider that takes audio: .*openai/);
    await page.locator('.message.has-problem[data-role="user"]').waitFor();
    await page.getByRole("button", { name: /^Run/ }).waitFor();
    await user().scrollIntoViewIfNeeded();
    await screenshot(page, "attachments-error-light");
    const light = await axe(page);
    assert.deepEqual(light, [], `accessibility (light): ${JSON.stringify(light, null, 1)}`);
  });

  it("shows the same in the dark theme", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
    await user().scrollIntoViewIfNeeded();
    await screenshot(page, "attachments-dark");
    const dark = await axe(page);
    assert.deepEqual(dark, [], `accessibility (dark): ${JSON.stringify(dark, null, 1)}`);
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("removes the audio from the keyboard, and its error goes with it", async () => {
    await page.getByRole("button", { name: "Remove tone.wav" }).focus();
    await page.keyboard.press("Enter");
    await chip("tone.wav").waitFor({ state: "detached" });
    assert.equal(await attachmentAlerts().filter({ hasText: "does not take audio" }).count(), 0);
    // Focus moves to the chip before it.
    assert.equal(await focusedName(), "Remove invoice.pdf");
    await page.keyboard.press("Space");
    await chip("invoice.pdf").waitFor({ state: "detached" });
    assert.equal(await focusedName(), "Attach file to User prompt");
  });
});
