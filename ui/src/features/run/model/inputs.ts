// What Quarry did with the attached files before the first request, in words: a file given by
// address that it downloaded, a PDF it sent as its text to a provider that cannot read PDFs.
import type { EventRecord } from "../../../api/types";
import { fmtBytes, fmtInt } from "../../../components/format";

export type InputEvent = Extract<EventRecord, { type: "input:fetched" | "input:pdf_text" }>;

export function isInputEvent(e: EventRecord): e is InputEvent {
  return e.type === "input:fetched" || e.type === "input:pdf_text";
}

const KINDS: Array<[RegExp, string]> = [
  [/^application\/pdf$/, "a PDF"],
  [/^image\//, "an image"],
  [/^audio\//, "audio"],
];

function kindWord(mediaType: string): string {
  return KINDS.find(([re]) => re.test(mediaType))?.[1] ?? mediaType;
}

const plural = (n: number, one: string, many = `${one}s`) => `${fmtInt(n)} ${n === 1 ? one : many}`;

/** One sentence saying what Quarry did with a file, for the run's summary and the hook log. */
export function describeInput(e: InputEvent): string {
  switch (e.type) {
    case "input:fetched":
      return `${e.url} downloaded by Quarry and sent with the request: ${kindWord(e.media_type)}, ${fmtBytes(e.bytes)} — this provider cannot fetch it from its address`;
    case "input:pdf_text":
      return `${e.document} sent as its text: ${plural(e.pages, "page")}, ${plural(e.chars, "character")} — this provider cannot read PDFs (layout, pictures and scanned pages are lost)`;
  }
}
