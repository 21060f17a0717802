// A button copying `text` to the clipboard, saying beside it whether that worked. What it says
// is about the text copied: once the text changes, it goes.
import { useState } from "react";

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<{ text: string; ok: boolean } | null>(null);
  const said = done?.text === text ? done : null;
  return (
    <>
      <button
        type="button"
        onClick={() =>
          navigator.clipboard
            .writeText(text)
            .then(() => setDone({ text, ok: true }))
            .catch(() => setDone({ text, ok: false }))
        }
      >
        {label}
      </button>
      {said ? (
        <span className={`note ${said.ok ? "ok" : "warn"}`} role="status">
          {said.ok ? "Copied." : "The browser refused the clipboard: select the text and copy it."}
        </span>
      ) : null}
    </>
  );
}
