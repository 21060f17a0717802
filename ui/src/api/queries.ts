// The query layer: every backend call the UI makes goes through here, as a TanStack Query
// query (cached, refetched when something it depends on changes) or mutation, or as a command
// that follows the draft while it is typed (the preview, the code, the schema check: see
// follow.ts, which keeps one call in flight where a query per keystroke would pile them up).
import { QueryClient, useMutation, useQuery, useQueryClient, keepPreviousData } from "@tanstack/react-query";
import type { CommandError, Compacted, ExportCode, FixedSchema, FixSchema, Generated, GenerateSchema, Imported, ImportSchema, InferredSchema, LintSchema, LocalServer, PreviewRequest, Price, Profile, ProjectReport, RunStatus, SearchQuery, Settings, Theme } from "./types";
import { connect, rpc } from "./client";
import {
  beginLive,
  failedToStart,
  nextStreamId,
  onRunEnded,
  showReplay,
  started,
  useRuns,
} from "../state/runs";
import type { Message, Part } from "./types";

export function makeQueryClient(): QueryClient {
  const qc = new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false, staleTime: 5_000 },
      mutations: { retry: false },
    },
  });
  // A run that ends changes the history (and the key status, after a missing key).
  onRunEnded(() => {
    void qc.invalidateQueries({ queryKey: ["runs"] });
  });
  return qc;
}

export const keys = {
  providers: ["providers"] as const,
  examples: ["examples"] as const,
  schemas: ["schemas"] as const,
  schemaVersions: (name: string) => ["schemas", name, "versions"] as const,
  prompts: ["prompts"] as const,
  promptVersions: (name: string) => ["prompts", name, "versions"] as const,
  profiles: ["profiles"] as const,
  keyStatus: ["keys"] as const,
  settings: ["settings"] as const,
  runs: (q: SearchQuery) => ["runs", "search", q] as const,
  run: (id: number) => ["runs", "show", id] as const,
  localServer: (provider: string, baseUrl: string) => ["local-server", provider, baseUrl] as const,
};

// ---- queries ---------------------------------------------------------------------------

export const useProviders = () =>
  useQuery({ queryKey: keys.providers, queryFn: () => rpc({ cmd: "list_providers" }), staleTime: Infinity });
export const useExamples = () =>
  useQuery({ queryKey: keys.examples, queryFn: () => rpc({ cmd: "list_examples" }), staleTime: Infinity });
export const useSchemas = () => useQuery({ queryKey: keys.schemas, queryFn: () => rpc({ cmd: "list_schemas" }) });
export const useSchemaVersions = (name: string | null) =>
  useQuery({
    queryKey: keys.schemaVersions(name ?? ""),
    queryFn: () => rpc({ cmd: "schema_versions", name: name! }),
    enabled: !!name,
  });
export const useSchemaDiff = (name: string, a: number | null, b: number | null) =>
  useQuery({
    queryKey: ["schemas", name, "diff", a, b],
    queryFn: () => rpc({ cmd: "diff_schema_versions", name, a: a!, b: b! }),
    enabled: a !== null && b !== null && a !== b,
  });
export const usePrompts = () => useQuery({ queryKey: keys.prompts, queryFn: () => rpc({ cmd: "list_prompts" }) });
export const useProfiles = () => useQuery({ queryKey: keys.profiles, queryFn: () => rpc({ cmd: "list_profiles" }) });
export const useKeyStatus = () =>
  useQuery({ queryKey: keys.keyStatus, queryFn: () => rpc({ cmd: "key_status" }), staleTime: 30_000 });
export const useSettings = () => useQuery({ queryKey: keys.settings, queryFn: () => rpc({ cmd: "get_settings" }) });

export const useSearchRuns = (q: SearchQuery) =>
  useQuery({ queryKey: keys.runs(q), queryFn: () => rpc({ cmd: "search_runs", ...q }), placeholderData: keepPreviousData });

/** A recorded run's detail (attempt costs, spec), once it is in the history. */
export const useRunDetail = (id: number | null, enabled = true) =>
  useQuery({ queryKey: keys.run(id ?? 0), queryFn: () => rpc({ cmd: "show_run", id: id! }), enabled: id !== null && enabled });

export const useRunDiff = (a: number | null, b: number | null) =>
  useQuery({
    queryKey: ["runs", "diff", a, b],
    queryFn: () => rpc({ cmd: "diff_runs", a: a!, b: b! }),
    enabled: a !== null && b !== null,
  });

// ---- answers that follow the draft (see follow.ts) ----------------------------------------

/** The request a run would send first, built by the backend and sent nowhere (no key needed). */
export const previewRequest = (p: PreviewRequest) => rpc({ cmd: "preview_request", ...p });
/** The draft as a program (curl, Python on instructor, Rust on quarry-engine); nothing is sent. */
export const exportCode = (e: ExportCode) => rpc({ cmd: "export_code", ...e });
/** What the draft's provider and mode make of the schema: findings, fixes, the schema as sent. */
export const lintSchema = (l: LintSchema) => rpc({ cmd: "lint_schema", ...l });

/**
 * What the local server `provider` (at `baseUrl`, or its default port when empty) has running.
 * Asked only while `enabled`, and again only when asked to (`refetch`): no polling.
 */
export const useLocalServer = (provider: string, baseUrl: string, enabled: boolean) =>
  useQuery({
    queryKey: keys.localServer(provider, baseUrl),
    queryFn: async (): Promise<LocalServer> => {
      const servers = await rpc({ cmd: "discover_models", provider, ...(baseUrl ? { base_url: baseUrl } : {}) });
      const server = servers.find((s) => s.provider === provider);
      if (server) return server;
      const missing: CommandError = {
        code: "internal",
        message: `looking for local servers did not report ${provider}`,
        details: { hint: "report this as a bug" },
      };
      throw missing;
    },
    enabled,
    // A server started or a model pulled is seen on "Check again" or the next time the provider is chosen.
    staleTime: 60_000,
  });

// ---- mutations -------------------------------------------------------------------------

export function useSaveSchema() {
  const qc = useQueryClient();
  return useMutation<{ version: number }, CommandError, { name: string; body: string }>({
    mutationFn: (v) => rpc({ cmd: "save_schema", ...v }),
    onSuccess: (_r, v) => {
      void qc.invalidateQueries({ queryKey: keys.schemas });
      void qc.invalidateQueries({ queryKey: keys.schemaVersions(v.name) });
    },
  });
}

export function useSavePrompt() {
  const qc = useQueryClient();
  return useMutation<{ version: number }, CommandError, { name: string; messages: Message[] }>({
    mutationFn: (v) => rpc({ cmd: "save_prompt", ...v }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.prompts }),
  });
}

/** The latest version of a saved prompt (its messages). */
export function useLoadPrompt() {
  const qc = useQueryClient();
  return useMutation<Message[], CommandError, string>({
    mutationFn: async (name) => {
      const versions = await qc.fetchQuery({ queryKey: keys.promptVersions(name), queryFn: () => rpc({ cmd: "prompt_versions", name }) });
      const last = versions[versions.length - 1];
      return last ? (JSON.parse(last.body) as Message[]) : [];
    },
  });
}

/** A file the user attached, typed by its bytes (never its name): the part to send, or why it cannot be sent. */
export function useAttachFile() {
  return useMutation<Part, CommandError, { name: string; data_url: string }>({
    mutationFn: (v) => rpc({ cmd: "attach_file", ...v }),
  });
}

export function useSaveProfile() {
  const qc = useQueryClient();
  return useMutation<{ saved: string }, CommandError, Profile>({
    mutationFn: (profile) => rpc({ cmd: "save_profile", profile }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.profiles }),
  });
}

export function useDeleteProfile() {
  const qc = useQueryClient();
  return useMutation<{ deleted: boolean }, CommandError, string>({
    mutationFn: (name) => rpc({ cmd: "delete_profile", name }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.profiles }),
  });
}

// The key status asked for before a key was stored or deleted would answer the old state, and
// a first fetch still under way is joined, not restarted, by an invalidation alone: it is
// cancelled first. The mutation waits for the fresh status, so its message and the dots agree.
function refreshKeyStatus(qc: QueryClient): Promise<void> {
  return qc.cancelQueries({ queryKey: keys.keyStatus }).then(() => qc.invalidateQueries({ queryKey: keys.keyStatus }));
}

export function useSetKey() {
  const qc = useQueryClient();
  return useMutation<{ provider: string }, CommandError, { provider: string; key: string }>({
    mutationFn: (v) => rpc({ cmd: "set_key", ...v }),
    onSettled: () => refreshKeyStatus(qc),
  });
}

export function useDeleteKey() {
  const qc = useQueryClient();
  return useMutation<{ deleted: boolean }, CommandError, string>({
    mutationFn: (provider) => rpc({ cmd: "delete_key", provider }),
    onSettled: () => refreshKeyStatus(qc),
  });
}

export function useSaveSettings() {
  const qc = useQueryClient();
  return useMutation<Settings, CommandError, Theme, { before: Settings | undefined }>({
    mutationFn: (theme) => rpc({ cmd: "save_settings", theme }),
    // The theme changes at once (a radio that waited for the database would look broken);
    // a save that fails puts the old one back, and its error shows under the choices.
    onMutate: (theme) => {
      const before = qc.getQueryData<Settings>(keys.settings);
      if (before) qc.setQueryData<Settings>(keys.settings, { ...before, theme });
      return { before };
    },
    onError: (_e, _theme, ctx) => {
      if (ctx?.before) qc.setQueryData(keys.settings, ctx.before);
    },
    onSuccess: (data) => qc.setQueryData(keys.settings, data),
  });
}

/** Moves the data folder; everything read from the old history is read again from the new one. */
export function useSetDataFolder() {
  const qc = useQueryClient();
  return useMutation<Settings, CommandError, { folder: string; copy: boolean }>({
    mutationFn: ({ folder, copy }) => rpc({ cmd: "set_data_folder", folder, copy }),
    onSuccess: (data) => {
      qc.setQueryData(keys.settings, data);
      void qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== keys.settings[0] });
    },
  });
}

export function useCompactHistory() {
  return useMutation<Compacted, CommandError, void>({ mutationFn: () => rpc({ cmd: "compact_history" }) });
}

export function useSavePrices() {
  const qc = useQueryClient();
  return useMutation<Settings, CommandError, Price[]>({
    mutationFn: (prices) => rpc({ cmd: "save_prices", prices }),
    onSuccess: (data) => qc.setQueryData(keys.settings, data),
  });
}

/** Writes the saved schemas, prompts and profiles into a folder as plain files. */
export function useExportProject() {
  return useMutation<ProjectReport, CommandError, string>({ mutationFn: (folder) => rpc({ cmd: "export_project", folder }) });
}

/** A schema inferred from sample documents (each text one JSON document or JSON Lines). */
export function useInferSchema() {
  return useMutation<InferredSchema, CommandError, string[]>({
    mutationFn: (samples) => rpc({ cmd: "infer_schema", samples }),
  });
}

/** A schema brought in from JSON Schema of another draft, Pydantic, or one component of an OpenAPI document (JSON or YAML). */
export function useImportSchema() {
  return useMutation<Imported, CommandError, ImportSchema>({ mutationFn: (v) => rpc({ cmd: "import_schema", ...v }) });
}

/** A schema designed by the draft's model from a description (takes seconds: the model is asked). */
export function useGenerateSchema() {
  return useMutation<Generated, CommandError, GenerateSchema>({ mutationFn: (v) => rpc({ cmd: "generate_schema", ...v }) });
}

/** The schema text with one fix of a lint applied, or every fix there is for a draft. */
export function useFixSchema() {
  return useMutation<FixedSchema, CommandError, FixSchema>({ mutationFn: (v) => rpc({ cmd: "fix_schema", ...v }) });
}

/** Reads a project folder into the library; the sidebar's lists are read again. */
export function useImportProject() {
  const qc = useQueryClient();
  return useMutation<ProjectReport, CommandError, string>({
    mutationFn: (folder) => rpc({ cmd: "import_project", folder }),
    onSuccess: () => {
      for (const key of [keys.schemas, keys.prompts, keys.profiles]) void qc.invalidateQueries({ queryKey: key });
    },
  });
}

export function useDeleteRuns() {
  const qc = useQueryClient();
  return useMutation<{ deleted: number }, CommandError, number[]>({
    mutationFn: (ids) => rpc({ cmd: "delete_runs", ids }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["runs"] }),
  });
}

export function useExportResults() {
  return useMutation<{ rows: number; text: string }, CommandError, { ids: number[]; format: "json" | "jsonl" | "csv" }>({
    mutationFn: (v) => rpc({ cmd: "export_results", ...v }),
  });
}

export function useExportRun() {
  return useMutation({ mutationFn: (id: number) => rpc({ cmd: "export_run", id }) });
}

export function useImportRun() {
  const qc = useQueryClient();
  return useMutation<{ run_id: number }, CommandError, string>({
    mutationFn: async (text) => {
      let archive: unknown;
      try {
        archive = JSON.parse(text);
      } catch (e) {
        const err: CommandError = {
          code: "not_an_archive",
          message: `the file is not a run archive: it is not JSON (${e instanceof Error ? e.message : String(e)})`,
          details: { hint: "choose a file exported with “Export run”" },
        };
        throw err;
      }
      return rpc({ cmd: "import_run", archive: archive as never });
    },
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["runs"] }),
  });
}

// ---- runs ------------------------------------------------------------------------------

/** Starts a run: subscribes first, makes its slot, then asks the backend. */
export function useStartRun() {
  return useMutation<number, CommandError, { command: Omit<Parameters<typeof startCommand>[0], "stream_id">; expected: string[] }>({
    mutationFn: async ({ command, expected }) => {
      await connect();
      const key = nextStreamId();
      beginLive(key, expected);
      try {
        const { run_id } = await startCommand({ ...command, stream_id: key });
        started(key, run_id);
        return run_id;
      } catch (e) {
        failedToStart(key, e as CommandError);
        throw e;
      }
    },
  });
}

const startCommand = (args: Omit<Extract<Parameters<typeof rpc>[0], { cmd: "start_run" }>, "cmd">) =>
  rpc({ cmd: "start_run", ...args });

export function useCancelRun() {
  return useMutation<{ cancelled: boolean }, CommandError, string>({
    mutationFn: (stream_id) => rpc({ cmd: "cancel_run", stream_id }),
  });
}

/** Opens a recorded run: its events replayed into the run view. */
export function useOpenRun() {
  return useMutation<string, CommandError, number>({
    mutationFn: async (id) => {
      const replay = await rpc({ cmd: "run_events", id });
      return showReplay(id, replay.summary.status as RunStatus, replay.events, replay.unreadable);
    },
  });
}

/** Runs a recorded run again, live in the run view. */
export function useRerun() {
  return useMutation<number, CommandError, number>({
    mutationFn: async (id) => {
      await connect();
      const key = nextStreamId();
      beginLive(key, []);
      try {
        const { run_id } = await rpc({ cmd: "rerun_run", id, stream_id: key });
        started(key, run_id);
        return run_id;
      } catch (e) {
        failedToStart(key, e as CommandError);
        throw e;
      }
    },
  });
}

export { useRuns };

declare module "@tanstack/react-query" {
  interface Register {
    defaultError: CommandError;
  }
}
