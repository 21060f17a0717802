import { describe, expect, it } from "vitest";
import type { Part } from "../../api/types";
import { initialDraft, type Draft } from "../../state/draft";
import { draftFile } from "../prompt/attachments";
import { buildRequest, buildSettings, checkRequest } from "./buildRequest";

const pdf: Part = { type: "document", url: "data:application/pdf;base64,JVBERi0xLjQK", name: "invoice.pdf" };
const txt: Part = { type: "text", text: "Total due: 1234.50 EUR" };

function draft(over: Partial<Draft> = {}): Draft {
  return { ...initialDraft, schemaText: '{"type":"object"}', ...over };
}

describe("buildRequest with attachments", () => {
  it("appends a user message's files after its text, in order", () => {
    const d = draft({
      messages: [
        { id: "s", role: "system", text: "Extract.", files: [] },
        { id: "u", role: "user", text: "The invoice:", files: [draftFile(pdf, "invoice.pdf"), draftFile(txt, "notes.txt")] },
      ],
    });
    const built = buildRequest(d);
    if (!built.ok) throw new Error(built.error.message);
    expect(built.command.request.messages).toEqual([
      { role: "system", content: [{ type: "text", text: "Extract." }] },
      { role: "user", content: [{ type: "text", text: "The invoice:" }, pdf, txt] },
    ]);
  });

  it("keeps each user message's own files with it", () => {
    const d = draft({
      messages: [
        { id: "u1", role: "user", text: "first", files: [draftFile(txt, "notes.txt")] },
        { id: "u2", role: "user", text: "second", files: [draftFile(pdf, "invoice.pdf")] },
      ],
    });
    const built = buildRequest(d);
    if (!built.ok) throw new Error(built.error.message);
    expect(built.command.request.messages.map((m) => m.content.length)).toEqual([2, 2]);
    expect(built.command.request.messages[1]!.content[1]).toEqual(pdf);
  });

  it("sends a message with no files as its text alone", () => {
    const built = buildRequest(draft());
    if (!built.ok) throw new Error(built.error.message);
    expect(built.command.request.messages.every((m) => m.content.length === 1 && m.content[0]!.type === "text")).toBe(true);
  });
});

describe("buildSettings and checkRequest", () => {
  it("makes the settings without the prompt, and refuses what buildRequest refuses", () => {
    const d = draft({ provider: "anthropic", model: " claude-sonnet-4-5 ", mode: "json_schema", baseUrl: "http://127.0.0.1:9/v1", temperature: "0.2", timeout: "1.5" });
    expect(buildSettings(d)).toEqual({
      ok: true,
      request: { provider: "anthropic", model: "claude-sonnet-4-5", messages: [], max_retries: 3, base_url: "http://127.0.0.1:9/v1", mode: "json_schema", timeout: 1500, sampling: { temperature: 0.2 } },
    });
    const built = buildRequest(d);
    if (!built.ok) throw new Error(built.error.message);
    expect(built.command.request).toMatchObject({ ...(buildSettings(d) as { request: object }).request, messages: expect.any(Array) });
    expect(buildSettings(draft({ maxTokens: "lots" }))).toMatchObject({ ok: false, error: { message: "Max tokens must be a whole number, not “lots”" } });
  });

  it("checks the schema by provider, model, mode, base URL and key variable only", () => {
    const d = draft({ provider: "openai", model: "gpt-4o-mini", mode: "", temperature: "lots", apiKeyEnv: "MY_KEY" });
    expect(checkRequest(d)).toEqual({ provider: "openai", model: "gpt-4o-mini", messages: [], max_retries: 0, api_key_env: "MY_KEY" });
    const typed = { ...d, messages: [{ id: "u", role: "user" as const, text: "other", files: [] }], seed: "7" };
    expect(checkRequest(typed)).toEqual(checkRequest(d));
  });
});
