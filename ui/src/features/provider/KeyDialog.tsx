// API keys: where each provider's key comes from (a dot per provider), and storing one in the
// OS keychain. The key goes in and never comes back out. Without a reachable keychain the
// dialog says which environment variable to set instead.
import { useState } from "react";
import { Dialog } from "../../components/Dialog";
import { ErrorNote } from "../../components/ErrorNote";
import { useDeleteKey, useKeyStatus, useProviders, useSetKey } from "../../api/queries";
import { describeKey, keyOf } from "./keyState";
import { KeyDot } from "./KeyDot";

export function KeyDialog({ open, onClose, provider: initial }: { open: boolean; onClose: () => void; provider: string }) {
  return (
    <Dialog open={open} onClose={onClose} title="API keys" wide>
      {open ? <KeyForm initial={initial} /> : null}
    </Dialog>
  );
}

function KeyForm({ initial }: { initial: string }) {
  const providers = useProviders();
  const status = useKeyStatus();
  const setKey = useSetKey();
  const deleteKey = useDeleteKey();
  const [provider, setProvider] = useState(initial);
  const [key, setKeyText] = useState("");
  const [saved, setSaved] = useState<string | null>(null);
  const report = status.data;
  const current = keyOf(report, provider);
  const info = providers.data?.find((p) => p.name === provider);
  const envVar = current?.env_var ?? info?.key_env ?? "";

  const save = (e: React.FormEvent) => {
    e.preventDefault();
    setSaved(null);
    setKey.mutate(
      { provider, key },
      {
        onSuccess: () => {
          setKeyText("");
          setSaved(`The key for ${provider} is in the keychain.`);
        },
      },
    );
  };

  return (
    <div className="key-dialog">
      {report && !report.keychain ? (
        <div className="note warn" role="status">
          No OS keychain is reachable here{report.keychain_error ? ` (${report.keychain_error})` : ""}. Keys come from environment
          variables instead: set <code>{envVar || "the provider's key variable"}</code> in the environment Quarry starts in, then start it again.
        </div>
      ) : null}
      <form onSubmit={save} className="form-grid">
        <label htmlFor="key-provider">Provider</label>
        <select id="key-provider" value={provider} onChange={(e) => { setProvider(e.target.value); setSaved(null); setKey.reset(); }}>
          {(providers.data ?? []).map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
            </option>
          ))}
        </select>
        <span>Status</span>
        <span>
          <KeyDot {...describeKey(current)} />
        </span>
        <label htmlFor="key-value">API key for {provider}</label>
        <input
          id="key-value"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={key}
          onChange={(e) => setKeyText(e.target.value)}
          placeholder={report?.keychain === false ? `set ${envVar} instead` : "paste the key"}
          aria-invalid={setKey.isError || undefined}
          aria-describedby={setKey.isError ? "key-error" : undefined}
        />
        <span />
        <div className="row gap">
          <button type="submit" className="primary" disabled={!key.trim() || setKey.isPending}>
            Save key
          </button>
          <button
            type="button"
            disabled={current?.source !== "keychain" || deleteKey.isPending}
            onClick={() => deleteKey.mutate(provider, { onSuccess: () => setSaved(`The key for ${provider} is no longer in the keychain.`) })}
          >
            Delete key
          </button>
        </div>
      </form>
      {setKey.error ? <ErrorNote error={setKey.error} id="key-error" /> : null}
      {deleteKey.error ? <ErrorNote error={deleteKey.error} /> : null}
      {saved ? (
        <p className="note ok" role="status">
          {saved}
        </p>
      ) : null}
      <h3>Every provider</h3>
      <ul className="key-list" aria-label="Key status per provider">
        {(report?.providers ?? []).map((p) => (
          <li key={p.provider}>
            <span className="key-provider">{p.provider}</span>
            <KeyDot {...describeKey(p)} />
            <span className="dim">{p.env_var}</span>
          </li>
        ))}
      </ul>
      {status.error ? <ErrorNote error={status.error as never} /> : null}
    </div>
  );
}
