// The schema check's findings as the panel shows them: grouped by severity, counted in words for
// the tab's badge, their places and sources made readable.
import type { Finding, Severity } from "../../../api/types";

export const SEVERITIES: readonly Severity[] = ["error", "warning", "info"];

const WORDS: Record<Severity, [string, string]> = {
  error: ["error", "errors"],
  warning: ["warning", "warnings"],
  info: ["note", "notes"],
};

/** "2 errors", "1 note": a severity's count in words. */
export function countWords(severity: Severity, n: number): string {
  return `${n} ${WORDS[severity][n === 1 ? 0 : 1]}`;
}

export function bySeverity(findings: readonly Finding[]): Array<[Severity, Finding[]]> {
  return SEVERITIES.map((s): [Severity, Finding[]] => [s, findings.filter((f) => f.severity === s)]).filter(([, fs]) => fs.length > 0);
}

/**
 * "2 errors, 1 warning": what there is to act on; "" when there is nothing (notes only say
 * what Quarry does with the schema as it sends it).
 */
export function countSummary(findings: readonly Finding[]): string {
  return bySeverity(findings)
    .filter(([s]) => s !== "info")
    .map(([s, fs]) => countWords(s, fs.length))
    .join(", ");
}

/** The worst severity there is to act on (an error or a warning), or null. */
export function worst(findings: readonly Finding[]): Severity | null {
  return SEVERITIES.find((s) => s !== "info" && findings.some((f) => f.severity === s)) ?? null;
}

/** A finding's place as the user reads it: the JSON Pointer, or "the root". */
export const placeLabel = (at: string) => (at === "" ? "the root" : at);

/**
 * A rule's source as a link, when it is a web address (only http and https: the text comes
 * from the backend and is put in an href), shown as its host and path.
 */
export function sourceLink(source: string): { href: string; text: string } | null {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  return { href: url.href, text: `${url.host}${url.pathname === "/" ? "" : url.pathname}` };
}
