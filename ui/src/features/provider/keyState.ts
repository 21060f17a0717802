// Where a provider's key comes from, in words, and the dot's colour.
import type { KeyLocation, KeyReport, ProviderKey } from "../../api/types";

export type KeyTone = "ok" | "warn" | "missing" | "none";

export function keyOf(report: KeyReport | undefined, provider: string): ProviderKey | undefined {
  return report?.providers.find((p) => p.provider === provider);
}

export function describeKey(k: ProviderKey | undefined): { tone: KeyTone; text: string } {
  if (!k) return { tone: "none", text: "key status unknown" };
  const s: KeyLocation = k.source;
  if (s === "keychain") return { tone: "ok", text: "key in the keychain" };
  if (typeof s === "object" && "environment" in s) return { tone: "ok", text: `key from ${s.environment}` };
  if (!k.required) return { tone: "none", text: "no key needed" };
  return { tone: "missing", text: "no key" };
}
