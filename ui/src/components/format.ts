// Numbers and times as the UI shows them.
import type { Usage } from "../api/types";

// One formatter for every number: `toLocaleString` builds a new one per call, which showed up
// as the costliest function while a large object streamed in.
const ints = new Intl.NumberFormat("en-US");
export const fmtInt = (n: number) => ints.format(n);
/** A size in characters or bytes, as people read it (kB = 1,000). */
export const fmtBytes = (n: number) => (n < 1000 ? `${n} bytes` : n < 1_000_000 ? `${(n / 1000).toFixed(0)} kB` : `${(n / 1_000_000).toFixed(1)} MB`);
export const fmtMs = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? "—" : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
export const fmtCost = (usd: number | null | undefined) =>
  usd === null || usd === undefined ? "no price known" : usd === 0 ? "$0" : usd < 0.01 ? `$${usd.toFixed(6)}` : `$${usd.toFixed(4)}`;
export const fmtTokens = (u: Usage | null | undefined) =>
  u ? `${fmtInt(u.prompt_tokens)} in + ${fmtInt(u.completion_tokens)} out = ${fmtInt(u.total_tokens)} tokens` : "—";
export const fmtDate = (iso: string | null | undefined) => {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
};

/** A JSON value as one short line. */
export function preview(v: unknown, max = 120): string {
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** Pretty JSON, cut at `max` characters with a note. */
export function pretty(v: unknown, max = 200_000): string {
  const s = JSON.stringify(v, null, 2) ?? String(v);
  return s.length > max ? `${s.slice(0, max)}\n… (${fmtInt(s.length - max)} more characters)` : s;
}
