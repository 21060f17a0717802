// What the user is composing: provider settings, schema, prompt messages and variables. Kept in
// the browser's storage so a reload loses nothing; saved to the history as profiles, schema
// and prompt versions on request.
import { create } from "zustand";
import { persist } from "zustand/middleware";
import type { Part } from "../api/types";
import { withoutUrlCredentials } from "../lib/urlCredentials";

export type VarKind = "text" | "file" | "json";

export interface DraftVariable {
  kind: VarKind;
  text: string;
  /** For `file`: the name of the file read. */
  fileName?: string;
}

/** A file attached to a user message: sent after the message's text. */
export interface DraftFile {
  /** Stable across edits (list keys). */
  id: string;
  /** The file's name, as shown (an image part itself carries none). */
  name: string;
  /** Its size in bytes, when known (a file given by address has none). */
  size: number | null;
  /** The part `attach_file` made of it (typed by its bytes): image, document, audio or text. */
  part: Part;
}

export interface DraftMessage {
  id: string;
  role: "system" | "user";
  text: string;
  /** Attached files (user messages only). */
  files: DraftFile[];
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
/** Attached files are kept across reloads while they come to at most this (the browser's storage holds a few megabytes). */
const KEEP_FILES_LIMIT = 1024 * 1024;

let ids = 0;
export const newMessageId = () => `m${Date.now().toString(36)}${(ids++).toString(36)}`;
export const newFileId = () => `f${Date.now().toString(36)}${(ids++).toString(36)}`;

/** The characters a part takes in storage. */
function storedSize(p: Part): number {
  return p.type === "text" ? p.text.length : p.url.length;
}

/** The messages as kept across reloads: small files kept (in order, up to a total), larger ones dropped. */
export function keptMessages(messages: readonly DraftMessage[]): DraftMessage[] {
  let budget = KEEP_FILES_LIMIT;
  return messages.map((m) => ({
    ...m,
    files: m.files.filter((f) => {
      const n = storedSize(f.part);
      if (n > budget) return false;
      budget -= n;
      return true;
    }),
  }));
}

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
    { id: "system", role: "system", text: "You extract structured data from the text you are given.", files: [] },
    { id: "user", role: "user", text: "{{ text }}", files: [] },
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
      addMessage: (role) => set((s) => ({ messages: [...s.messages, { id: newMessageId(), role, text: "", files: [] }] })),
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
      version: 2,
      partialize: (s) => {
        // Large files and variables (a whole file) stay in memory only: the browser's
        // storage holds a few megabytes. The base URL's credentials stay in memory too.
        const { set: _a, setMessage: _b, addMessage: _c, removeMessage: _d, moveMessage: _e, setVariable: _f, ...rest } = s;
        const variables = Object.fromEntries(
          Object.entries(rest.variables).map(([k, v]) => [k, v.text.length > KEEP_LIMIT ? { ...v, text: "", fileName: undefined } : v]),
        );
        return { ...rest, baseUrl: withoutUrlCredentials(rest.baseUrl), variables, messages: keptMessages(rest.messages) };
      },
      // Version 1 kept `images` on messages (never stored: always empty); version 2 has `files`.
      migrate: (persisted) => {
        const p = (persisted ?? {}) as Record<string, unknown>;
        if (Array.isArray(p.messages)) {
          p.messages = (p.messages as Array<Record<string, unknown>>).map(({ images: _images, ...m }) => ({ ...m, files: Array.isArray(m.files) ? m.files : [] }));
        }
        return p as unknown as Draft & DraftActions;
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
