// What the user is composing: provider settings, schema, prompt messages and variables. Kept in
// the browser's storage so a reload loses nothing; saved to the history as profiles, schema
// and prompt versions on request.
import { create } from "zustand";
import { persist } from "zustand/middleware";

export type VarKind = "text" | "file" | "json";

export interface DraftVariable {
  kind: VarKind;
  text: string;
  /** For `file`: the name of the file read. */
  fileName?: string;
}

export interface DraftImage {
  name: string;
  /** A data: URL. */
  url: string;
}

export interface DraftMessage {
  id: string;
  role: "system" | "user";
  text: string;
  images: DraftImage[];
}

export type StreamChoice = "partial" | "none";

export interface Draft {
  profile: string;
  provider: string;
  model: string;
  /** Empty: the provider's default mode. */
  mode: string;
  baseUrl: string;
  apiKeyEnv: string;
  temperature: string;
  maxTokens: string;
  topP: string;
  seed: string;
  /** One stop sequence per line. */
  stop: string;
  maxRetries: string;
  /** Seconds. */
  timeout: string;
  stream: StreamChoice;
  schemaName: string;
  schemaText: string;
  promptName: string;
  messages: DraftMessage[];
  variables: Record<string, DraftVariable>;
}

/** Variables longer than this are not kept across reloads. */
const KEEP_LIMIT = 256 * 1024;

let ids = 0;
export const newMessageId = () => `m${Date.now().toString(36)}${(ids++).toString(36)}`;

export const initialDraft: Draft = {
  profile: "",
  provider: "openai",
  model: "gpt-4o-mini",
  mode: "",
  baseUrl: "",
  apiKeyEnv: "",
  temperature: "",
  maxTokens: "",
  topP: "",
  seed: "",
  stop: "",
  maxRetries: "3",
  timeout: "",
  stream: "partial",
  schemaName: "",
  schemaText: "",
  promptName: "",
  messages: [
    { id: "system", role: "system", text: "You extract structured data from the text you are given.", images: [] },
    { id: "user", role: "user", text: "{{ text }}", images: [] },
  ],
  variables: {},
};

interface DraftActions {
  set: (patch: Partial<Draft>) => void;
  setMessage: (id: string, patch: Partial<DraftMessage>) => void;
  addMessage: (role: DraftMessage["role"]) => void;
  removeMessage: (id: string) => void;
  moveMessage: (id: string, by: -1 | 1) => void;
  setVariable: (name: string, v: Partial<DraftVariable>) => void;
}

export const useDraft = create<Draft & DraftActions>()(
  persist(
    (set) => ({
      ...initialDraft,
      set: (patch) => set(patch),
      setMessage: (id, patch) => set((s) => ({ messages: s.messages.map((m) => (m.id === id ? { ...m, ...patch } : m)) })),
      addMessage: (role) => set((s) => ({ messages: [...s.messages, { id: newMessageId(), role, text: "", images: [] }] })),
      removeMessage: (id) => set((s) => ({ messages: s.messages.filter((m) => m.id !== id) })),
      moveMessage: (id, by) =>
        set((s) => {
          const i = s.messages.findIndex((m) => m.id === id);
          const j = i + by;
          if (i < 0 || j < 0 || j >= s.messages.length) return s;
          const messages = [...s.messages];
          [messages[i], messages[j]] = [messages[j]!, messages[i]!];
          return { messages };
        }),
      setVariable: (name, v) =>
        set((s) => ({
          variables: { ...s.variables, [name]: { ...(s.variables[name] ?? { kind: "text", text: "" }), ...v } },
        })),
    }),
    {
      name: "quarry.draft",
      version: 1,
      partialize: (s) => {
        // Images and large variables (a whole file) stay in memory only: the browser's
        // storage holds a few megabytes.
        const { set: _a, setMessage: _b, addMessage: _c, removeMessage: _d, moveMessage: _e, setVariable: _f, ...rest } = s;
        const variables = Object.fromEntries(
          Object.entries(rest.variables).map(([k, v]) => [k, v.text.length > KEEP_LIMIT ? { ...v, text: "", fileName: undefined } : v]),
        );
        return { ...rest, variables, messages: rest.messages.map((m) => ({ ...m, images: [] })) };
      },
    },
  ),
);

/** A message's accessible name: the first system message is "System prompt", the next "System prompt 2"… */
export function messageLabel(messages: readonly DraftMessage[], id: string): string {
  const m = messages.find((x) => x.id === id);
  if (!m) return "";
  const n = messages.filter((x) => x.role === m.role).findIndex((x) => x.id === id) + 1;
  const base = m.role === "system" ? "System prompt" : "User prompt";
  return n > 1 ? `${base} ${n}` : base;
}
