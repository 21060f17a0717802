// Settings: the theme (kept in the history database), where the data lives, the price table
// and the keys.
import { useState } from "react";
import { useKeyStatus, useSaveSettings, useSettings } from "../../api/queries";
import type { Theme } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { KeyDialog } from "../provider/KeyDialog";
import { KeyDot } from "../provider/KeyDot";
import { describeKey } from "../provider/keyState";
import { useDraft } from "../../state/draft";

const THEMES: Array<{ id: Theme; label: string }> = [
  { id: "light", label: "Light" },
  { id: "dark", label: "Dark" },
  { id: "system", label: "System (follow the operating system)" },
];

export function SettingsView() {
  const settings = useSettings();
  const save = useSaveSettings();
  const keys = useKeyStatus();
  const provider = useDraft((s) => s.provider);
  const [keysOpen, setKeysOpen] = useState(false);
  // The choice shows at once: the radio is controlled, and the saved settings come back only
  // after a round trip (until then React would put the old choice back).
  const [chosen, setChosen] = useState<Theme | null>(null);
  const theme = chosen ?? settings.data?.theme ?? "system";
  const db = settings.data?.database ?? "";
  const folder = db.includes("/") ? db.slice(0, db.lastIndexOf("/")) : db;
  return (
    <section className="settings" aria-labelledby="settings-heading">
      <h1 id="settings-heading">Settings</h1>
      {settings.error ? <ErrorNote error={settings.error} /> : null}
      <fieldset>
        <legend>Theme</legend>
        {THEMES.map((t) => (
          <label key={t.id} className="radio">
            <input type="radio" name="theme" value={t.id} checked={theme === t.id} onChange={() => {
                setChosen(t.id);
                save.mutate(t.id, { onSettled: () => setChosen(null) });
              }}
            />
            {t.label}
          </label>
        ))}
        {save.error ? <ErrorNote error={save.error} /> : null}
      </fieldset>
      <section aria-labelledby="data-heading">
        <h2 id="data-heading">Data folder</h2>
        <dl className="facts vertical">
          <div>
            <dt>Folder</dt>
            <dd className="mono">{folder || "—"}</dd>
          </div>
          <div>
            <dt>Run history</dt>
            <dd className="mono">{db || "—"}</dd>
          </div>
        </dl>
        <p className="dim">Runs, saved schemas, prompts and profiles live in this database. Keys never do: they stay in the OS keychain or the environment.</p>
      </section>
      <section aria-labelledby="prices-heading">
        <h2 id="prices-heading">Price table</h2>
        <p>
          Costs are estimated from this table (US dollars per million tokens). Quarry ships only prices it checked (OpenAI's gpt-4o and gpt-4o-mini, and zero for local
          servers); entries in <code className="mono">prices.json</code> in Quarry's data folder (or the file <code className="mono">QUARRY_PRICES</code> names) are added
          or replace these by provider and model, and are read when Quarry starts. A model ending in <code className="mono">*</code> covers every model starting with
          the rest. A run whose model has no price shows “no price known” rather than a guess.
        </p>
        <table className="price-table" aria-labelledby="prices-heading">
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Model</th>
              <th scope="col">Input</th>
              <th scope="col">Cached input</th>
              <th scope="col">Output</th>
            </tr>
          </thead>
          <tbody>
            {(settings.data?.prices ?? []).map((p) => (
              <tr key={`${p.provider}/${p.model}`}>
                <td>{p.provider}</td>
                <td className="mono">{p.model}</td>
                <td className="num">${p.input}</td>
                <td className="num">{p.cached_input === undefined ? "as input" : `$${p.cached_input}`}</td>
                <td className="num">${p.output}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="keys-heading">
        <h2 id="keys-heading">Keys</h2>
        {keys.data && !keys.data.keychain ? (
          <p className="note warn">No OS keychain is reachable: keys come from environment variables.</p>
        ) : null}
        <ul className="key-list" aria-label="Key status per provider">
          {(keys.data?.providers ?? []).map((p) => (
            <li key={p.provider}>
              <span className="key-provider">{p.provider}</span>
              <KeyDot {...describeKey(p)} />
              <span className="dim mono">{p.env_var}</span>
            </li>
          ))}
        </ul>
        <button type="button" onClick={() => setKeysOpen(true)}>
          Manage keys…
        </button>
        <KeyDialog open={keysOpen} onClose={() => setKeysOpen(false)} provider={provider} />
      </section>
    </section>
  );
}
