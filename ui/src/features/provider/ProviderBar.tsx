// The run's provider settings: profile, provider (from list_providers), model (free text with
// suggestions; for a local server, the models it runs and what the chosen one supports), mode (only the provider's), the key's status, and Run/Cancel; "More settings"
// opens base URL, key variable, sampling, re-asks, timeout, streaming and Save profile.
import { useEffect, useId, useState } from "react";
import { useKeyStatus, useLocalServer, useProfiles, useProviders, useSaveProfile, useDeleteProfile } from "../../api/queries";
import type { Mode, Profile, ProviderInfo } from "../../api/types";
import { useDraft, type Draft } from "../../state/draft";
import { useFieldProblem, useProblem } from "../../state/problem";
import { ErrorNote } from "../../components/ErrorNote";
import { describeKey, keyOf } from "./keyState";
import { KeyDot } from "./KeyDot";
import { KeyDialog } from "./KeyDialog";
import { RunButton } from "../run/RunButton";
import { isLocalServer, mergeSuggestions } from "./localModels";
import { LocalModelNote } from "./LocalModelNote";

/** Models to suggest per provider (free text is always allowed). */
const SUGGESTIONS: Record<string, string[]> = {
  openai: ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "o4-mini"],
  ollama: ["llama3.1", "qwen2.5", "mistral"],
  groq: ["llama-3.3-70b-versatile"],
  mistral: ["mistral-large-latest", "mistral-small-latest"],
  anthropic: ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"],
  gemini: ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"],
  vertexai: ["gemini-2.5-flash", "gemini-2.5-pro"],
  bedrock: ["anthropic.claude-3-5-haiku-20241022-v1:0", "amazon.nova-pro-v1:0", "meta.llama3-1-70b-instruct-v1:0"],
  cohere: ["command-a-03-2025", "command-r-plus-08-2024", "command-r7b-12-2024"],
};

/** `value`, once it has stayed the same for `ms` (a base URL being typed is not probed at every key). */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}

/** Providers grouped by the wire protocol they speak, in the registry's order. */
function byProtocol(list: ProviderInfo[]): Array<[string, ProviderInfo[]]> {
  const groups = new Map<string, ProviderInfo[]>();
  for (const p of list) groups.set(p.protocol, [...(groups.get(p.protocol) ?? []), p]);
  return [...groups.entries()];
}

const PROTOCOL_LABEL: Record<string, string> = {
  openai: "OpenAI protocol",
  anthropic: "Anthropic Messages API",
  gemini: "Gemini API",
  vertexai: "Vertex AI",
  cohere: "Cohere v2 Chat",
  bedrock: "AWS Bedrock (Converse)",
};

const MORE: Array<keyof Draft> = ["baseUrl", "apiKeyEnv", "temperature", "maxTokens", "topP", "seed", "stop", "maxRetries", "timeout", "stream"];

/**
 * A mode as listed: local servers mark the modes in which they hold generation to the schema.
 * The chosen one goes unmarked (the badge beside "Mode" says it), which keeps it short enough
 * to show whole in the closed list.
 */
function modeLabel(info: ProviderInfo | undefined, mode: Mode, chosen: boolean): string {
  return !chosen && info?.constrained.includes(mode) ? `${mode} · constrained` : mode;
}

/** Whether the chosen mode (or the provider's default) is one the server constrains. */
function isConstrained(info: ProviderInfo | undefined, chosen: string): boolean {
  const mode = (chosen || info?.default_mode) as Mode | undefined;
  return !!(info && mode && info.constrained.includes(mode));
}

/** A labelled field that turns red, with the message beside it, when an error points at it. */
function Field({ name, label, children, hint, badge }: { name: string; label: string; hint?: string; badge?: React.ReactNode; children: (p: { id: string; invalid: boolean; describedBy?: string }) => React.ReactNode }) {
  const id = useId();
  const problem = useFieldProblem(name);
  const errId = `${id}-err`;
  const badgeId = `${id}-badge`;
  return (
    <div className={`field${problem ? " has-problem" : ""}`} data-field={name}>
      {badge ? (
        <div className="label-row">
          <label htmlFor={id}>{label}</label>
          <span className="field-badge" id={badgeId}>
            {badge}
          </span>
        </div>
      ) : (
        <label htmlFor={id}>{label}</label>
      )}
      {children({ id, invalid: !!problem, describedBy: problem ? errId : hint ? `${id}-hint` : badge ? badgeId : undefined })}
      {hint && !problem ? (
        <span className="field-hint" id={`${id}-hint`}>
          {hint}
        </span>
      ) : null}
      {problem ? (
        <span className="field-error" id={errId}>
          {problem.message}
        </span>
      ) : null}
    </div>
  );
}

function profileFromDraft(d: Draft, name: string): Profile {
  const num = (s: string) => (s.trim() === "" || !Number.isFinite(Number(s)) ? undefined : Number(s));
  const sampling = {
    temperature: num(d.temperature),
    max_tokens: num(d.maxTokens),
    top_p: num(d.topP),
    seed: num(d.seed),
    stop: d.stop ? d.stop.split("\n").filter(Boolean) : undefined,
  };
  return {
    name,
    provider: d.provider,
    model: d.model,
    mode: d.mode || null,
    base_url: d.baseUrl.trim() || null,
    params: JSON.parse(
      JSON.stringify({
        sampling,
        max_retries: num(d.maxRetries),
        timeout_ms: num(d.timeout) !== undefined ? Math.round(num(d.timeout)! * 1000) : undefined,
        api_key_env: d.apiKeyEnv.trim() || undefined,
        stream: d.stream,
      }),
    ),
  };
}

function draftFromProfile(p: Profile): Partial<Draft> {
  const params = (p.params && typeof p.params === "object" && !Array.isArray(p.params) ? p.params : {}) as Record<string, unknown>;
  const s = (params.sampling ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (v === undefined || v === null ? "" : String(v));
  return {
    profile: p.name,
    provider: p.provider,
    model: p.model,
    mode: p.mode ?? "",
    baseUrl: p.base_url ?? "",
    apiKeyEnv: str(params.api_key_env),
    temperature: str(s.temperature),
    maxTokens: str(s.max_tokens),
    topP: str(s.top_p),
    seed: str(s.seed),
    stop: Array.isArray(s.stop) ? s.stop.join("\n") : "",
    maxRetries: params.max_retries === undefined ? "3" : str(params.max_retries),
    timeout: typeof params.timeout_ms === "number" ? String(params.timeout_ms / 1000) : "",
    stream: params.stream === "none" ? "none" : "partial",
  };
}

export function ProviderBar() {
  const d = useDraft();
  const providers = useProviders();
  const profiles = useProfiles();
  const keys = useKeyStatus();
  const saveProfile = useSaveProfile();
  const deleteProfile = useDeleteProfile();
  const problemField = useProblem((s) => s.field);
  const [more, setMore] = useState(() => localStorage.getItem("quarry.more") === "1");
  const [keysOpen, setKeysOpen] = useState(false);
  const [profileName, setProfileName] = useState(d.profile);
  const [savedNote, setSavedNote] = useState<string | null>(null);
  const info = providers.data?.find((p) => p.name === d.provider);
  const key = describeKey(keyOf(keys.data, d.provider));
  const listId = useId();
  const localNoteId = useId();
  const local = isLocalServer(d.provider);
  const probeUrl = useSettled(d.baseUrl.trim(), 400);
  const localServer = useLocalServer(d.provider, probeUrl, local);
  const suggestions = mergeSuggestions(SUGGESTIONS[d.provider] ?? [], local ? localServer.data : undefined);

  useEffect(() => localStorage.setItem("quarry.more", more ? "1" : "0"), [more]);
  // An error about a setting behind "More settings" opens it.
  useEffect(() => {
    if (problemField && (MORE as string[]).includes(problemField)) setMore(true);
  }, [problemField]);

  const pickProfile = (name: string) => {
    if (!name) return d.set({ profile: "" });
    const p = profiles.data?.find((x) => x.name === name);
    if (p) {
      d.set(draftFromProfile(p));
      setProfileName(p.name);
    }
  };

  const onSaveProfile = () => {
    const name = profileName.trim();
    if (!name) return;
    setSavedNote(null);
    saveProfile.mutate(profileFromDraft(useDraft.getState(), name), {
      onSuccess: (r) => {
        d.set({ profile: r.saved });
        setSavedNote(`Saved profile ${r.saved}.`);
      },
    });
  };

  return (
    <section className="provider-bar" aria-label="Provider settings">
      <div className="toolbar">
        <Field name="profile" label="Profile">
          {({ id }) => (
            <select id={id} value={d.profile} onChange={(e) => pickProfile(e.target.value)}>
              <option value="">(none)</option>
              {(profiles.data ?? []).map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="provider" label="Provider">
          {({ id, invalid, describedBy }) => (
            <select
              id={id}
              value={d.provider}
              aria-invalid={invalid || undefined}
              aria-describedby={describedBy}
              onChange={(e) => {
                const p = providers.data?.find((x) => x.name === e.target.value);
                d.set({ provider: e.target.value, mode: p && d.mode && !p.modes.includes(d.mode as never) ? "" : d.mode });
              }}
            >
              {providers.data ? (
                byProtocol(providers.data).map(([protocol, list]) => (
                  <optgroup key={protocol} label={PROTOCOL_LABEL[protocol] ?? protocol}>
                    {list.map((p) => (
                      <option key={p.name} value={p.name}>
                        {p.name}
                      </option>
                    ))}
                  </optgroup>
                ))
              ) : (
                <option value={d.provider}>{d.provider}</option>
              )}
            </select>
          )}
        </Field>
        <Field name="model" label="Model">
          {({ id, invalid, describedBy }) => (
            <>
              <input
                id={id}
                list={listId}
                value={d.model}
                spellCheck={false}
                autoComplete="off"
                aria-invalid={invalid || undefined}
                aria-describedby={[describedBy, local ? localNoteId : undefined].filter(Boolean).join(" ") || undefined}
                onChange={(e) => d.set({ model: e.target.value })}
              />
              <datalist id={listId}>
                {suggestions.map((m) => (
                  <option key={m.id} value={m.id} label={m.label} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        {local ? <LocalModelNote id={localNoteId} provider={d.provider} model={d.model} query={localServer} /> : null}
        <Field
          name="mode"
          label="Mode"
          badge={
            isConstrained(info, d.mode) ? (
              <span title="In this mode the server only generates JSON that fits the schema">
                constrained<span className="visually-hidden">: the server only generates JSON that fits the schema</span>
              </span>
            ) : undefined
          }
        >
          {({ id, invalid, describedBy }) => (
            <select id={id} value={d.mode} aria-invalid={invalid || undefined} aria-describedby={describedBy} onChange={(e) => d.set({ mode: e.target.value })}>
              <option value="">{info ? `${modeLabel(info, info.default_mode, d.mode === "")} (default)` : "default"}</option>
              {(info?.modes ?? []).filter((m) => m !== info?.default_mode).map((m) => (
                <option key={m} value={m}>
                  {modeLabel(info, m, d.mode === m)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className={`field key-field${problemField === "apiKey" ? " has-problem" : ""}`}>
          <span className="label-like" id="key-label">
            API key
          </span>
          <button type="button" className="key-button" aria-describedby="key-label" onClick={() => setKeysOpen(true)} aria-label={`API key for ${d.provider}: ${key.text}. Manage keys`}>
            <KeyDot {...key} />
          </button>
        </div>
        <button type="button" className="ghost more-toggle" aria-expanded={more} aria-controls="more-settings" onClick={() => setMore(!more)}>
          {more ? "Fewer settings" : "More settings"}
        </button>
        <div className="spacer" />
        <RunButton />
      </div>
      {more ? (
        <div id="more-settings" className="more-settings">
          <Field name="baseUrl" label="Base URL" hint={info?.base_url ? `default ${info.base_url}` : undefined}>
            {({ id, invalid, describedBy }) => (
              <input id={id} value={d.baseUrl} spellCheck={false} placeholder={info?.base_url || "https://…/v1"} aria-invalid={invalid || undefined} aria-describedby={describedBy} onChange={(e) => d.set({ baseUrl: e.target.value })} />
            )}
          </Field>
          <Field name="apiKeyEnv" label="API key variable">
            {({ id, invalid, describedBy }) => (
              <input id={id} value={d.apiKeyEnv} spellCheck={false} placeholder={info?.key_env || "OPENAI_API_KEY"} aria-invalid={invalid || undefined} aria-describedby={describedBy} onChange={(e) => d.set({ apiKeyEnv: e.target.value })} />
            )}
          </Field>
          <Field name="temperature" label="Temperature">
            {({ id, invalid, describedBy }) => <input id={id} inputMode="decimal" className="num" value={d.temperature} aria-invalid={invalid || undefined} aria-describedby={describedBy} onChange={(e) => d.set({ temperature: e.target.value })} />}
          </Field>
          <Field name="maxTokens" label="Max tokens">
            {({ id, invalid, describedBy }) => <input id={id} inputMode="numeric" className="num" value={d.maxTokens} aria-invalid={invalid || undefined} aria-describedby={describedBy} onChange={(e) => d.set({ maxTokens: e.target.value })} />}
          </Field>
          <Field name="topP" label="Top P">
            {({ id, invalid, describedBy }) => <input id={id} inputMode="decimal" className="num" value={d.topP} aria-invalid={invalid || undefined} aria-describedby={describedBy} onChange={(e) => d.set({ topP: e.target.value })} />}
          </Field>
          <Field name="seed" label="Seed">
            {({ id, invalid, describedBy }) => <input id={id} inputMode="numeric" className="num" value={d.seed} aria-invalid={invalid || undefined} aria-describedby={describedBy} onChange={(e) => d.set({ seed: e.target.value })} />}
          </Field>
          <Field name="stop" label="Stop sequences" hint="one per line">
            {({ id, describedBy }) => <textarea id={id} rows={1} value={d.stop} aria-describedby={describedBy} onChange={(e) => d.set({ stop: e.target.value })} />}
          </Field>
          <Field name="maxRetries" label="Max re-asks">
            {({ id, invalid, describedBy }) => <input id={id} inputMode="numeric" className="num" value={d.maxRetries} aria-invalid={invalid || undefined} aria-describedby={describedBy} onChange={(e) => d.set({ maxRetries: e.target.value })} />}
          </Field>
          <Field name="timeout" label="Timeout (s)" hint="whole run">
            {({ id, invalid, describedBy }) => <input id={id} inputMode="decimal" className="num" value={d.timeout} aria-invalid={invalid || undefined} aria-describedby={describedBy} onChange={(e) => d.set({ timeout: e.target.value })} />}
          </Field>
          <Field name="stream" label="Streaming">
            {({ id, invalid, describedBy }) => (
              <select id={id} value={d.stream} aria-invalid={invalid || undefined} aria-describedby={describedBy} onChange={(e) => d.set({ stream: e.target.value as Draft["stream"] })}>
                <option value="partial">stream fields as they arrive</option>
                <option value="none">wait for the whole answer</option>
              </select>
            )}
          </Field>
          <div className="profile-save">
            <Field name="profileName" label="Profile name">
              {({ id }) => <input id={id} value={profileName} onChange={(e) => setProfileName(e.target.value)} placeholder="e.g. local-fake" />}
            </Field>
            <button type="button" onClick={onSaveProfile} disabled={!profileName.trim() || saveProfile.isPending}>
              Save profile
            </button>
            {d.profile ? (
              <button type="button" className="ghost" onClick={() => deleteProfile.mutate(d.profile, { onSuccess: () => { d.set({ profile: "" }); setSavedNote("Profile deleted."); } })}>
                Delete profile
              </button>
            ) : null}
            {savedNote ? (
              <span className="note ok" role="status">
                {savedNote}
              </span>
            ) : null}
          </div>
          {saveProfile.error ? <ErrorNote error={saveProfile.error} /> : null}
        </div>
      ) : null}
      <KeyDialog open={keysOpen} onClose={() => setKeysOpen(false)} provider={d.provider} />
    </section>
  );
}
