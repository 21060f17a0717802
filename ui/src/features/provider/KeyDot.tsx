import type { KeyTone } from "./keyState";

/** A coloured dot with its meaning in words beside it (never colour alone). */
export function KeyDot({ tone, text, hideText }: { tone: KeyTone; text: string; hideText?: boolean }) {
  return (
    <span className={`key-dot-wrap${hideText ? " compact" : ""}`}>
      <span className={`dot dot-${tone}`} aria-hidden="true" />
      <span className={hideText ? "visually-hidden" : "key-text"}>{text}</span>
    </span>
  );
}
