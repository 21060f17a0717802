// Text with `code` in backquotes (the backend's messages name keywords and paths that way), as
// the parts to show as plain text and as code.
export function codeSpans(text: string): Array<{ code: boolean; text: string }> {
  const parts = text.split("`");
  // An odd backquote out is shown as it is, not as the start of code that never ends.
  if (parts.length % 2 === 0) return [{ code: false, text }];
  return parts.map((t, i) => ({ code: i % 2 === 1, text: t })).filter((p) => p.text !== "");
}
