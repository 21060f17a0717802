// What a local server (Ollama, llama.cpp, vLLM, LM Studio) said about itself, in words for the
// model field: its models as suggestions and what the chosen one supports.
import type { LocalServer } from "../../api/types";

/** The presets `discover_models` can probe: servers on the user's own machine. */
const LOCAL_SERVERS = new Set(["ollama", "llamacpp", "vllm", "lmstudio"]);

export const isLocalServer = (provider: string): boolean => LOCAL_SERVERS.has(provider);

/** A model to suggest, with the server's few words about it (size, quantization) when it has them. */
export type Suggestion = { id: string; label?: string };

/** The running server's models first (they work right now), then the fixed ones it does not list. */
export function mergeSuggestions(fixed: string[], server: LocalServer | null | undefined): Suggestion[] {
  const found: Suggestion[] = (server?.models ?? []).map((m) => (m.details ? { id: m.id, label: m.details } : { id: m.id }));
  const seen = new Set(found.map((m) => m.id));
  return [...found, ...fixed.filter((id) => !seen.has(id)).map((id) => ({ id }))];
}

const yesNo = (v: boolean | undefined) => (v === undefined ? "unknown" : v ? "yes" : "no");

/** The constrained modes as a phrase: where the server holds generation to the schema. */
export function constrainedText(server: LocalServer): string {
  const n = server.constrained.length;
  return n ? `schema-constrained in ${server.constrained.join(" and ")} mode${n === 1 ? "" : "s"}` : "no schema-constrained mode";
}

/**
 * What the chosen model supports, or why nothing can be said about it: one line. Null while
 * the server is not running (the caller says how to start it instead).
 */
export function describeModel(server: LocalServer, model: string): string | null {
  if (!server.running) return null;
  if (server.problem) return server.problem;
  const name = model.trim();
  const m = server.models.find((x) => x.id === name);
  if (m) return `${m.id}: tools: ${yesNo(m.tools)} · vision: ${yesNo(m.vision)} · ${constrainedText(server)}`;
  const count = server.models.length;
  if (count === 0) return `${server.provider} answers at ${server.base_url} but lists no models`;
  const listed = `${server.provider} has ${count} model${count === 1 ? "" : "s"}`;
  return name ? `${listed}; ${name} is not one of them (tools: unknown)` : `${listed}: pick one in Model`;
}

/** The note for a server that did not answer: where it was looked for (how to start one follows it). */
export function notRunningText(server: LocalServer): string {
  return `No ${server.provider} answers at ${server.base_url}.`;
}

/** A preset's start text ("`ollama serve`, then `ollama pull MODEL`") cut into plain text and commands (the parts in backticks). */
export function codeSpans(text: string): Array<{ code: boolean; text: string }> {
  return text
    .split("`")
    .map((part, i) => ({ code: i % 2 === 1, text: part }))
    .filter((p) => p.text !== "");
}
