import { describe, expect, it } from "vitest";
import type { EventRecord } from "../../../api/types";
import { summarize } from "./hookLog";
import { describeInput, isInputEvent } from "./inputs";
import { RunModel } from "./run";

const at = { v: 1, seq: 2, t_ms: 3.5 };
const pdfText: EventRecord = { ...at, type: "input:pdf_text", document: "invoice.pdf", pages: 2, chars: 143 };
const fetched: EventRecord = { ...at, seq: 3, type: "input:fetched", url: "https://example.org/scan.pdf", media_type: "application/pdf", bytes: 48_213 };

describe("what Quarry did with the files, in words", () => {
  it("a PDF sent as its text", () => {
    expect(summarize(pdfText)).toBe("invoice.pdf sent as its text: 2 pages, 143 characters — this provider cannot read PDFs (layout, pictures and scanned pages are lost)");
    expect(describeInput({ ...at, type: "input:pdf_text", document: "one.pdf", pages: 1, chars: 1 })).toMatch(/^one\.pdf sent as its text: 1 page, 1 character —/);
  });
  it("a file fetched from its address", () => {
    expect(summarize(fetched)).toBe("https://example.org/scan.pdf downloaded by Quarry and sent with the request: a PDF, 48 kB — this provider cannot fetch it from its address");
    expect(describeInput({ ...at, type: "input:fetched", url: "https://x/a.mp3", media_type: "audio/mpeg", bytes: 2_500_000 })).toMatch(/: audio, 2\.5 MB —/);
  });
  it("the run model keeps them for the run's summary", () => {
    const m = new RunModel();
    m.apply({ ...at, seq: 1, type: "run_started", provider: "ollama", model: "m", mode: "json_schema", schema: "Invoice", max_attempts: 1 });
    m.apply(pdfText);
    m.apply(fetched);
    expect(m.inputs.map((e) => e.type)).toEqual(["input:pdf_text", "input:fetched"]);
    expect(m.events.filter(isInputEvent)).toHaveLength(2);
    expect(m.typeCounts.get("input:pdf_text")).toBe(1);
  });
});
