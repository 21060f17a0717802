// A CommandError where the user is looking: what went wrong and what to do.
import type { CommandError } from "../api/types";
import { hintOf } from "../api/client";

export function ErrorNote({ error, id, title, onDismiss }: { error: CommandError; id?: string; title?: string; onDismiss?: () => void }) {
  const hint = hintOf(error);
  return (
    <div className="error-note" role="alert" id={id} data-code={error.code}>
      <div className="error-text">
        {title ? <strong>{title}: </strong> : null}
        <span className="error-message">{error.message}</span>
        {hint ? <div className="error-hint">What to do: {hint}</div> : null}
      </div>
      {onDismiss ? (
        <button type="button" className="ghost small" onClick={onDismiss} aria-label="Dismiss the message">
          ×
        </button>
      ) : null}
    </div>
  );
}
