// Settings: the theme (kept in the history database), where the data lives, the project files,
// the price table and the keys.
import { useState } from "react";
import { useKeyStatus, useSaveSettings, useSettings } from "../../api/queries";
import type { Theme } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { KeyDialog } from "../provider/KeyDialog";
import { KeyDot } from "../provider/KeyDot";
import { describeKey } from "../provider/keyState";
import { useDraft } from "../../state/draft";
import { DataFolderSection } from "./DataFolderSection";
import { PricesSection } from "./PricesSection";
import { ProjectSection } from "./ProjectSection";

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
      <DataFolderSection settings={settings.data} />
      <ProjectSection />
      <PricesSection settings={settings.data} />
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
