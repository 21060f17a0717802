// The status bar: the provider and where its key comes from, the event link, the database.
import { useEffect, useState } from "react";
import { useKeyStatus, useSettings } from "../api/queries";
import { onLinkState } from "../api/client";
import type { LinkState } from "../platform";
import { useDraft } from "../state/draft";
import { useFieldProblem } from "../state/problem";
import { describeKey, keyOf } from "../features/provider/keyState";
import { KeyDot } from "../features/provider/KeyDot";

export function StatusBar() {
  const provider = useDraft((s) => s.provider);
  const model = useDraft((s) => s.model);
  const profile = useDraft((s) => s.profile);
  const keys = useKeyStatus();
  const settings = useSettings();
  const dbProblem = useFieldProblem("database");
  const [link, setLink] = useState<LinkState>("connecting");
  useEffect(() => onLinkState(setLink), []);
  return (
    <footer className="status-bar" aria-label="Status">
      <span>
        {provider}/{model || "?"}
        {profile ? <span className="dim"> (profile {profile})</span> : null}
      </span>
      <KeyDot {...describeKey(keyOf(keys.data, provider))} />
      <span className={`link link-${link}`}>{link === "open" ? "live events connected" : link === "connecting" ? "connecting…" : "events disconnected, reconnecting…"}</span>
      <span className="spacer" />
      <span className={`db${dbProblem ? " has-problem" : ""}`} title="The run history database">
        Database: <span className="mono">{settings.data?.database ?? "…"}</span>
      </span>
    </footer>
  );
}
