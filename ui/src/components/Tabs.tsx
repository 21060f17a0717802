// Accessible tabs (WAI-ARIA tabs pattern): arrow keys move between tabs, each panel is named
// by its tab. Only the selected panel is rendered.
import { useId, useRef, type ReactNode, type KeyboardEvent } from "react";

export interface TabDef {
  id: string;
  label: string;
  /** Shown after the label (a count). */
  badge?: ReactNode;
  render: () => ReactNode;
}

export function Tabs({ tabs, selected, onSelect, label, className }: { tabs: TabDef[]; selected: string; onSelect: (id: string) => void; label: string; className?: string }) {
  const base = useId();
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const current = tabs.find((t) => t.id === selected) ?? tabs[0]!;
  const onKey = (e: KeyboardEvent) => {
    const i = tabs.findIndex((t) => t.id === current.id);
    let j = -1;
    if (e.key === "ArrowRight") j = (i + 1) % tabs.length;
    else if (e.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
    else if (e.key === "Home") j = 0;
    else if (e.key === "End") j = tabs.length - 1;
    if (j < 0) return;
    e.preventDefault();
    onSelect(tabs[j]!.id);
    refs.current[tabs[j]!.id]?.focus();
  };
  return (
    <div className={`tabs ${className ?? ""}`}>
      <div role="tablist" aria-label={label} className="tablist">
        {tabs.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              refs.current[t.id] = el;
            }}
            role="tab"
            type="button"
            id={`${base}-tab-${t.id}`}
            aria-selected={t.id === current.id}
            aria-controls={`${base}-panel-${t.id}`}
            tabIndex={t.id === current.id ? 0 : -1}
            onClick={() => onSelect(t.id)}
            onKeyDown={onKey}
          >
            {t.label}
            {t.badge !== undefined && t.badge !== null ? <span className="badge">{t.badge}</span> : null}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${base}-panel-${current.id}`} aria-labelledby={`${base}-tab-${current.id}`} className="tabpanel">
        {current.render()}
      </div>
    </div>
  );
}
