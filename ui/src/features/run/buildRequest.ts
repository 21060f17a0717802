// The draft as a start_run command, or the first setting that cannot be sent (a number that is
// not one, a JSON variable that is not JSON), worded like the backend's errors so the same
// place shows it.
import type { CommandError, ExtractRequest, JsonValue, Message, Sampling, Setting, StartRun } from "../../api/types";
import type { Draft } from "../../state/draft";
import { templateVariables } from "../prompt/templateVars";
import { contentOf } from "../prompt/attachments";

export type Built = { ok: true; command: Omit<StartRun, "stream_id"> } | { ok: false; error: CommandError };
export type BuiltSettings = { ok: true; request: ExtractRequest } | { ok: false; error: CommandError };

function bad(setting: Setting, field: string, message: string, hint: string): { ok: false; error: CommandError } {
  return { ok: false, error: { code: "bad_input", message, details: { setting, field, hint } } };
}

function num(text: string, integer: boolean): number | null | "bad" {
  const t = text.trim();
  if (t === "") return null;
  const n = Number(t);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) return "bad";
  return n;
}

/**
 * The draft's provider settings (provider, model, mode, base URL, key variable, sampling,
 * re-asks, timeout) as a request without messages: for commands that write their own
 * (generating a schema).
 */
export function buildSettings(d: Draft): BuiltSettings {
  const sampling: Sampling = {};
  const checks: Array<[keyof Draft, keyof Sampling, string, boolean, Setting]> = [
    ["temperature", "temperature", "Temperature", false, "sampling"],
    ["maxTokens", "max_tokens", "Max tokens", true, "max_tokens"],
    ["topP", "top_p", "Top P", false, "sampling"],
    ["seed", "seed", "Seed", true, "sampling"],
  ];
  for (const [key, out, label, integer, setting] of checks) {
    const v = num(d[key] as string, integer);
    if (v === "bad") return bad(setting, key, `${label} must be a${integer ? " whole" : ""} number, not “${d[key] as string}”`, `write a${integer ? " whole" : ""} number, or leave it empty for the provider's default`);
    if (v !== null) (sampling as Record<string, number>)[out] = v;
  }
  const stop = d.stop.split("\n").filter((s) => s !== "");
  if (stop.length) sampling.stop = stop;
  const retries = num(d.maxRetries, true);
  if (retries === "bad" || (retries !== null && (retries < 0 || retries > 100))) {
    return bad("max_retries", "maxRetries", `Max re-asks must be a whole number from 0 to 100, not “${d.maxRetries}”`, "re-asks after the first attempt: 0 asks once");
  }
  const timeout = num(d.timeout, false);
  if (timeout === "bad" || (timeout !== null && timeout <= 0)) {
    return bad("timeout", "timeout", `Timeout must be a number of seconds above 0, not “${d.timeout}”`, "leave it empty for no limit on the whole run");
  }
  if (!d.model.trim()) return bad("model", "model", "the model is empty", "name the model to ask (for example gpt-4o-mini)");
  return {
    ok: true,
    request: {
      provider: d.provider,
      model: d.model.trim(),
      messages: [],
      max_retries: retries ?? 3,
      ...(d.baseUrl.trim() ? { base_url: d.baseUrl.trim() } : {}),
      ...(d.apiKeyEnv.trim() ? { api_key_env: d.apiKeyEnv.trim() } : {}),
      ...(d.mode ? { mode: d.mode } : {}),
      // The wire takes milliseconds.
      ...(timeout !== null ? { timeout: Math.round(timeout * 1000) } : {}),
      ...(Object.keys(sampling).length ? { sampling } : {}),
    },
  };
}

export function buildRequest(d: Draft): Built {
  const settings = buildSettings(d);
  if (!settings.ok) return settings;
  // Each message's text (the template), then the files attached to it.
  const messages: Message[] = d.messages.map((m) => ({ role: m.role, content: contentOf(m) }));
  const context: Record<string, JsonValue> = {};
  const used = templateVariables(d.messages.map((m) => m.text));
  for (const name of used) {
    const v = d.variables[name];
    if (!v) continue;
    if (v.kind === "json") {
      try {
        context[name] = JSON.parse(v.text) as JsonValue;
      } catch (e) {
        return bad("variables", `var:${name}`, `the variable ${name} is not JSON: ${e instanceof Error ? e.message : String(e)}`, "write a JSON value (a list in [ ], an object in { }, a quoted string), or switch it to text");
      }
    } else {
      context[name] = v.text;
    }
  }
  const request: ExtractRequest = { ...settings.request, messages, ...(Object.keys(context).length ? { context } : {}) };
  return {
    ok: true,
    command: {
      request,
      schema_name: d.schemaName.trim() || "untitled",
      schema: d.schemaText,
      ...(d.stream === "partial" ? { stream: "partial" as const } : {}),
      ...(d.profile ? { profile: d.profile } : {}),
    },
  };
}

/**
 * What chooses the rules a schema is checked by: provider, model, mode, base URL and key
 * variable. No prompt and no sampling, so typing those does not check the schema again.
 */
export function checkRequest(d: Draft): ExtractRequest {
  return {
    provider: d.provider,
    model: d.model.trim(),
    messages: [],
    max_retries: 0,
    ...(d.baseUrl.trim() ? { base_url: d.baseUrl.trim() } : {}),
    ...(d.apiKeyEnv.trim() ? { api_key_env: d.apiKeyEnv.trim() } : {}),
    ...(d.mode ? { mode: d.mode } : {}),
  };
}
