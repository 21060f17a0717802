// A text field that changes the schema when the user is done with it (Enter, or leaving the
// field), not on every key: a half-typed name or number would otherwise be written into the
// schema (and into its undo history) letter by letter. Escape puts back what the schema says.
// While it holds text not yet applied it is marked data-dirty, so Ctrl+Z stays the field's own.
import { useState, type KeyboardEvent } from "react";

interface Props {
  id: string;
  value: string;
  /** Applies the text; returns why when the schema refused it (the text stays, to be fixed). */
  onCommit: (text: string) => string | null;
  /** Why the text cannot be applied, or null. */
  validate?: (text: string) => string | null;
  /** What is wrong with the value in the schema now (shown when nothing is being typed). */
  problem?: string | null;
  multiline?: boolean;
  /** For a multi-line field: Enter applies (Shift+Enter starts a line), or Enter starts a line (leaving applies). */
  enterApplies?: boolean;
  placeholder?: string;
  disabled?: boolean;
  className?: string;
  /** More ids describing the field (a hint). */
  describedBy?: string;
}

export function CommitInput({ id, value, onCommit, validate, problem, multiline, enterApplies = true, placeholder, disabled, className, describedBy }: Props) {
  const [draft, setDraft] = useState<string | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const shown = draft ?? value;
  const invalid = draft !== null ? validate?.(draft) ?? null : null;
  const error = invalid ?? refused ?? (draft === null ? problem ?? null : null);
  const errorId = `${id}-error`;

  const commit = () => {
    if (draft === null || invalid) return;
    if (draft === value) {
      setDraft(null);
      return;
    }
    const why = onCommit(draft);
    if (why !== null) {
      setRefused(why);
      return;
    }
    setDraft(null);
    setRefused(null);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    // Ctrl+Enter is the app's Run everywhere; it never reaches here.
    if (e.key === "Enter" && !e.shiftKey && (!multiline || enterApplies)) {
      e.preventDefault();
      commit();
    } else if (e.key === "Escape" && draft !== null) {
      // Handled here: the designer takes an Escape on an unchanged field back to the tree.
      e.stopPropagation();
      setDraft(null);
      setRefused(null);
    }
  };
  const common = {
    id,
    value: shown,
    disabled,
    placeholder,
    spellCheck: false,
    className,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": [error ? errorId : null, describedBy].filter(Boolean).join(" ") || undefined,
    "data-dirty": draft !== null && draft !== value ? "true" : undefined,
    onChange: (e: { target: { value: string } }) => {
      setDraft(e.target.value);
      setRefused(null);
    },
    onBlur: commit,
    onKeyDown,
  };
  return (
    <>
      {multiline ? <textarea rows={2} {...common} /> : <input type="text" {...common} />}
      {error ? (
        <span className="field-error" id={errorId}>
          {error}
        </span>
      ) : null}
    </>
  );
}
