import { describe, expect, it } from "vitest";
import type { CommandError, Part } from "../../api/types";
import { keptMessages, type DraftMessage } from "../../state/draft";
import { dataUrlBytes, draftFile, dropTarget, filesErrorTarget, fromMessages, kindOf, MAX_FILE_BYTES, partLabel, partName, refuseFile, toMessages } from "./attachments";

const pdf: Part = { type: "document", url: "data:application/pdf;base64,JVBERi0xLjQK", name: "invoice.pdf" };
const wav: Part = { type: "audio", url: "data:audio/wav;base64,UklGRg==", name: "tone.wav" };
const png: Part = { type: "image", url: "data:image/png;base64,iVBORw0KGgo=" };
const txt: Part = { type: "text", text: "Total due: 1234.50 EUR" };

const msg = (id: string, role: "system" | "user", files: Part[] = [], names: string[] = []): DraftMessage => ({
  id,
  role,
  text: `${role} text`,
  files: files.map((p, i) => draftFile(p, names[i] ?? partName(p, i + 1))),
});

describe("refusing a file before it is read", () => {
  it("names the 45 MiB limit, why, and the command line's 100 MB", () => {
    const e = refuseFile("scan.pdf", MAX_FILE_BYTES + 1)!;
    expect(e.message).toMatch(/^`scan\.pdf` is 45\.0 MiB; the workbench attaches files of at most 45 MiB/);
    expect(e.message).toMatch(/64 MiB/);
    expect(e.message).toMatch(/a third/);
    expect(e.details).toMatchObject({ setting: "files", hint: expect.stringMatching(/quarry extract --file scan\.pdf.*100 MB/) });
  });
  it("takes a file of exactly the limit, and refuses an empty one", () => {
    expect(refuseFile("ok.pdf", MAX_FILE_BYTES)).toBeNull();
    expect(refuseFile("empty.txt", 0)?.message).toBe("`empty.txt` is empty: there is nothing to send");
  });
});

describe("parts as files", () => {
  it("names the kind as people do", () => {
    expect([pdf, wav, png, txt].map(kindOf)).toEqual(["PDF", "Audio", "Image", "Text"]);
  });
  it("measures inline bytes from the base64, not the text", () => {
    expect(dataUrlBytes("data:application/pdf;base64,JVBERi0xLjQK")).toBe(9);
    expect(dataUrlBytes("data:audio/wav;base64,UklGRg==")).toBe(4);
    expect(dataUrlBytes("https://example.org/a.pdf")).toBeNull();
    expect(draftFile(txt, "notes.txt").size).toBe(22);
  });
  it("names parts that carry no name by address or by kind and number", () => {
    expect(partName(pdf, 1)).toBe("invoice.pdf");
    expect(partName(png, 2)).toBe("image 2");
    expect(partName({ type: "image", url: "https://example.org/scans/page%201.png?x=1" }, 1)).toBe("page 1.png");
    expect(partName(txt, 1)).toBe("text 1");
    expect(partLabel(pdf)).toBe("[PDF invoice.pdf]");
  });
});

describe("saved prompts", () => {
  it("keep the files after each message's text, and read them back as files", () => {
    const draft = [msg("s", "system"), msg("u", "user", [pdf, txt, png], ["invoice.pdf", "notes.txt", "stamp.png"])];
    const saved = toMessages(draft);
    expect(saved[1]!.content).toEqual([{ type: "text", text: "user text" }, pdf, txt, png]);
    const back = fromMessages(saved);
    expect(back.map((m) => m.text)).toEqual(["system text", "user text"]);
    expect(back[1]!.files.map((f) => [f.name, f.part])).toEqual([
      ["invoice.pdf", pdf],
      ["text 1", txt],
      ["image 1", png],
    ]);
    expect(back[0]!.files).toEqual([]);
  });
  it("reads a prompt saved before files as text only", () => {
    const back = fromMessages([{ role: "user", content: [{ type: "text", text: "{{ text }}" }] }, { role: "assistant", content: [] }]);
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({ role: "user", text: "{{ text }}", files: [] });
  });
});

describe("where files go", () => {
  const list = [msg("s", "system"), msg("u1", "user", [pdf]), msg("u2", "user")];
  it("a drop goes to the user message under the pointer, else the last one", () => {
    expect(dropTarget(list, "u1")).toBe("u1");
    expect(dropTarget(list, "s")).toBe("u2");
    expect(dropTarget(list, null)).toBe("u2");
    expect(dropTarget([msg("s", "system")], null)).toBeNull();
  });
  it("an error about files shows by the message holding the file it names", () => {
    const err = (message: string): CommandError => ({ code: "invalid_setting", message, details: { setting: "files" } });
    const withWav = [msg("s", "system"), msg("u1", "user", [wav]), msg("u2", "user", [pdf])];
    expect(filesErrorTarget(err("`anthropic` does not take audio: `tone.wav`"), withWav)).toBe("u1");
    expect(filesErrorTarget(err("`file 1` is one too many"), withWav)).toBe("u2");
    expect(filesErrorTarget(err("the attached files come to 60 MB"), [msg("u1", "user"), msg("u2", "user")])).toBe("u2");
  });
});

describe("keeping files across reloads", () => {
  it("keeps small files and drops those past the budget", () => {
    const big: Part = { type: "document", url: `data:application/pdf;base64,${"A".repeat(2_000_000)}`, name: "big.pdf" };
    const kept = keptMessages([msg("u", "user", [pdf, big, txt])]);
    expect(kept[0]!.files.map((f) => f.name)).toEqual(["invoice.pdf", "text 3"]);
  });
});
