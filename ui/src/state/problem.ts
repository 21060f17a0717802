// The error of the last thing the user tried (a run that could not start, mostly), and the
// field it points at: `details.setting` names the setting that fixes it, which becomes one of
// the form's fields, highlighted with the message beside it.
import { create } from "zustand";
import type { CommandError, ErrorInfo, Setting } from "../api/types";
import { detailNumber, settingOf } from "../api/client";

interface ProblemState {
  error: CommandError | null;
  /** The field to highlight (a form field name, `msg:<id>` or `var:<name>`). */
  field: string | null;
}

export const useProblem = create<ProblemState>(() => ({ error: null, field: null }));

const BY_SETTING: Partial<Record<Setting, string>> = {
  provider: "provider",
  model: "model",
  mode: "mode",
  schema: "schema",
  api_key: "apiKey",
  base_url: "baseUrl",
  timeout: "timeout",
  request_timeout: "timeout",
  max_retries: "maxRetries",
  max_tokens: "maxTokens",
  sampling: "temperature",
  stream: "stream",
  database: "database",
  variables: "variables",
  messages: "messages",
  // The prompt's attachments (which message's: see filesErrorTarget).
  files: "files",
};

/** The field an error points at, given the draft's message ids (1-based in errors). */
export function fieldOf(error: CommandError, messageIds: readonly string[]): string | null {
  const d = error.details;
  if (d && typeof d === "object" && !Array.isArray(d) && typeof d.field === "string") return d.field;
  const setting = settingOf(error);
  if (!setting) return null;
  if (setting === "variables" && d && typeof d === "object" && !Array.isArray(d) && typeof d.variable === "string") {
    return `var:${d.variable}`;
  }
  if (setting === "messages" || setting === "variables") {
    const n = detailNumber(error, "message");
    if (n !== null && messageIds[n - 1]) return `msg:${messageIds[n - 1]}`;
  }
  return BY_SETTING[setting] ?? null;
}

/** A run's error (from its `run_failed` event) in the form the form's fields show. */
export function infoAsError(e: ErrorInfo): CommandError {
  return { code: e.code, message: e.message, details: { hint: e.hint, ...(e.setting ? { setting: e.setting } : {}) } };
}

export function report(error: CommandError, messageIds: readonly string[]): void {
  useProblem.setState({ error, field: fieldOf(error, messageIds) });
}

export function clearProblem(): void {
  useProblem.setState({ error: null, field: null });
}

/** The error when it points at `field`. */
export function useFieldProblem(field: string): CommandError | null {
  return useProblem((s) => (s.field === field ? s.error : null));
}
