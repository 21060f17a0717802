// The sidebar: the screens, then what is saved (schemas, prompts, profiles) and the latest runs.
import { useQueryClient } from "@tanstack/react-query";
import { keys, useExamples, useLoadPrompt, useOpenRun, useProfiles, usePrompts, useSchemas, useSearchRuns } from "../../api/queries";
import { rpc } from "../../api/client";
import { useNav, type Screen } from "../../state/nav";
import { useDraft } from "../../state/draft";
import { fromMessages } from "../prompt/attachments";
import { fmtDate } from "../../components/format";
import type { Message } from "../../api/types";

const SCREENS: Array<{ id: Screen; label: string }> = [
  { id: "workbench", label: "Workbench" },
  { id: "history", label: "History" },
  { id: "settings", label: "Settings" },
];

const RECENT = { limit: 8 };

function Group({ title, children, empty }: { title: string; children: React.ReactNode[]; empty: string }) {
  const id = `side-${title.replace(/\s/g, "-").toLowerCase()}`;
  return (
    <section className="side-group" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children.length ? <ul>{children}</ul> : <p className="dim small-text">{empty}</p>}
    </section>
  );
}

export function Sidebar() {
  const { screen, go } = useNav();
  const examples = useExamples();
  const schemas = useSchemas();
  const prompts = usePrompts();
  const profiles = useProfiles();
  const recent = useSearchRuns(RECENT);
  const open = useOpenRun();
  const load = useLoadPrompt();
  const qc = useQueryClient();
  const set = useDraft((s) => s.set);

  const openSchema = async (name: string) => {
    const versions = await qc.fetchQuery({ queryKey: keys.schemaVersions(name), queryFn: () => rpc({ cmd: "schema_versions", name }) });
    const last = versions[versions.length - 1];
    if (last) set({ schemaText: last.body, schemaName: name });
    go("workbench");
  };

  return (
    <nav className="sidebar" aria-label="Quarry">
      <div className="brand">Quarry</div>
      <ul className="screens">
        {SCREENS.map((s) => (
          <li key={s.id}>
            <button type="button" className={`nav-button${screen === s.id ? " active" : ""}`} aria-current={screen === s.id ? "page" : undefined} onClick={() => go(s.id)}>
              {s.label}
            </button>
          </li>
        ))}
      </ul>
      <Group title="Schemas" empty="none">
        {[
          ...(schemas.data ?? []).map((s) => (
            <li key={`s-${s.name}`}>
              <button type="button" className="side-item" onClick={() => void openSchema(s.name)} title={`saved ${fmtDate(s.updated_at)}`}>
                {s.name} <span className="dim">v{s.latest}</span>
              </button>
            </li>
          )),
          ...(examples.data ?? []).map((e) => (
            <li key={`e-${e.name}`}>
              <button
                type="button"
                className="side-item"
                onClick={() => {
                  set({ schemaText: e.schema, schemaName: e.name });
                  const v = useDraft.getState().variables.text;
                  if (!v?.text) useDraft.getState().setVariable("text", { kind: "text", text: e.input });
                  go("workbench");
                }}
              >
                {e.name} <span className="dim">example</span>
              </button>
            </li>
          )),
        ]}
      </Group>
      <Group title="Prompts" empty="none saved yet">
        {(prompts.data ?? []).map((p) => (
          <li key={p.name}>
            <button
              type="button"
              className="side-item"
              onClick={() =>
                load.mutate(p.name, {
                  onSuccess: (list: Message[]) => {
                    set({
                      promptName: p.name,
                      messages: fromMessages(list),
                    });
                    go("workbench");
                  },
                })
              }
            >
              {p.name} <span className="dim">v{p.latest}</span>
            </button>
          </li>
        ))}
      </Group>
      <Group title="Profiles" empty="none saved yet">
        {(profiles.data ?? []).map((p) => (
          <li key={p.name}>
            <span className="side-text" title={`${p.provider}/${p.model}${p.base_url ? ` at ${p.base_url}` : ""}`}>
              {p.name} <span className="dim">{p.provider}/{p.model}</span>
            </span>
          </li>
        ))}
      </Group>
      <Group title="Recent runs" empty="no runs yet">
        {(recent.data ?? []).map((r) => (
          <li key={r.id}>
            <button type="button" className="side-item" onClick={() => open.mutate(r.id, { onSuccess: () => go("workbench") })} aria-label={`Open run #${r.id}, ${r.schema}, ${r.status}`}>
              #{r.id} {r.schema} <span className={`status status-${r.status} small-text`}>{r.status}</span>
            </button>
          </li>
        ))}
      </Group>
    </nav>
  );
}
