import { describe, expect, it } from "vitest";
import type { Part } from "../../api/types";
import { initialDraft, type Draft } from "../../state/draft";
import { draftFile } from "../prompt/attachments";
import { buildRequest } from "./buildRequest";

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
