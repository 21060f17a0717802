// Stands in for codemirror-json-schema's Markdown renderer (see vite.config.ts): a schema's
// description is shown as text, escaped, with its line breaks kept.
const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function renderMarkdown(markdown: string, inline = true): string {
  const text = markdown.replace(/[&<>"']/g, (c) => escapes[c] ?? c);
  return inline ? text : `<p>${text.replace(/\n\n+/g, "</p><p>").replace(/\n/g, "<br>")}</p>`;
}
