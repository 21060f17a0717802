// A message from the backend with its `code` parts shown as code.
import { codeSpans } from "../lib/codeSpans";

export function Prose({ text }: { text: string }) {
  return (
    <>
      {codeSpans(text).map((p, i) => (p.code ? <code key={i}>{p.text}</code> : <span key={i}>{p.text}</span>))}
    </>
  );
}
