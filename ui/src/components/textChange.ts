// The one change that turns `before` into `after`: the span between their common start and
// common end. An editor told of a new text applies this instead of replacing the whole
// document, so it redraws the lines that changed, not all of them (a keystroke in the prompt
// changes one line of the request body).
export interface TextChange {
  from: number;
  to: number;
  insert: string;
}

const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;

export function textChange(before: string, after: string): TextChange | null {
  if (before === after) return null;
  const max = Math.min(before.length, after.length);
  let start = 0;
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  // Never between the two halves of a character outside the BMP (an emoji).
  if (start > 0 && start < max && isLowSurrogate(before.charCodeAt(start))) start--;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  if (end > 0 && end < max - start && isLowSurrogate(before.charCodeAt(before.length - end))) end--;
  return { from: start, to: before.length - end, insert: after.slice(start, after.length - end) };
}
