// Text with very long quoted strings cut short for display (a file attached as a data URL
// makes a body of megabytes, which an editor or a <pre> would take seconds to lay out).
import { fmtInt } from "../../../components/format";

export interface Shortened {
  text: string;
  /** How many strings were cut. */
  cut: number;
  /** Characters left out, in all. */
  omitted: number;
}

const BACKSLASH = 92;

/** Whether the character at `at` is escaped (an odd run of backslashes before it, after `from`). */
function escaped(text: string, at: number, from: number): boolean {
  let n = 0;
  for (let k = at - 1; k > from && text.charCodeAt(k) === BACKSLASH; k--) n++;
  return n % 2 === 1;
}

/** Where to end a cut at `end` without splitting an escape (`\n`, `\u00e9`) or a surrogate pair. */
function safeEnd(text: string, start: number, end: number): number {
  let e = end;
  for (let p = e - 1; p >= Math.max(start, e - 5); p--) {
    if (text.charCodeAt(p) !== BACKSLASH || escaped(text, p, start - 1)) continue;
    if (p + (text[p + 1] === "u" ? 6 : 2) > e) e = p;
    break;
  }
  const c = text.charCodeAt(e - 1);
  if (c >= 0xd800 && c <= 0xdbff) e--;
  return e;
}

/**
 * `text` with every double-quoted string (JSON's, backslash escapes included, as in a body or a
 * curl command holding one) longer than `max` characters cut to its first `max`, followed by
 * how many characters were left out; the quotes stay, so JSON stays JSON.
 */
export function cutLongStrings(text: string, max: number): Shortened {
  const parts: string[] = [];
  let from = 0;
  let cut = 0;
  let omitted = 0;
  let open = text.indexOf('"');
  while (open !== -1) {
    let close = text.indexOf('"', open + 1);
    while (close !== -1 && escaped(text, close, open)) close = text.indexOf('"', close + 1);
    if (close === -1) break;
    const length = close - open - 1;
    if (length > max) {
      const end = safeEnd(text, open + 1, open + 1 + max);
      const left = close - end;
      parts.push(text.slice(from, end), `… (${fmtInt(left)} more characters)`);
      from = close;
      cut++;
      omitted += left;
    }
    open = text.indexOf('"', close + 1);
  }
  if (cut === 0) return { text, cut, omitted };
  parts.push(text.slice(from));
  return { text: parts.join(""), cut, omitted };
}
