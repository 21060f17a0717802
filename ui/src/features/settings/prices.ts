// The user's price entries as edited in Settings: amounts kept as typed, checked before saving.
import type { Price } from "../../api/types";

/** A price being edited: amounts as typed, so a half-typed number is not lost. */
export type Row = { key: number; provider: string; model: string; input: string; cached: string; cacheWrite: string; output: string };

let nextKey = 1;
export const toRow = (p: Price): Row => ({
  key: nextKey++,
  provider: p.provider,
  model: p.model,
  input: String(p.input),
  cached: p.cached_input === undefined ? "" : String(p.cached_input),
  cacheWrite: p.cache_write === undefined ? "" : String(p.cache_write),
  output: String(p.output),
});

/** The rows as prices, or which row and field is wrong. */
export function toPrices(rows: Row[]): { prices: Price[] } | { problem: string } {
  const prices: Price[] = [];
  for (const [i, r] of rows.entries()) {
    const at = `Row ${i + 1}`;
    if (!r.provider.trim() || !r.model.trim()) return { problem: `${at}: give a provider and a model (a model ending in * covers every model starting with the rest).` };
    const amount = (text: string, name: string): number | string => {
      const n = Number(text.trim());
      return text.trim() === "" || !Number.isFinite(n) || n < 0 ? `${at}: the ${name} price “${text}” is not an amount of 0 or more dollars.` : n;
    };
    const input = amount(r.input, "input");
    if (typeof input === "string") return { problem: input };
    const output = amount(r.output, "output");
    if (typeof output === "string") return { problem: output };
    const price: Price = { provider: r.provider.trim(), model: r.model.trim(), input, output };
    if (r.cached.trim() !== "") {
      const cached = amount(r.cached, "cached input");
      if (typeof cached === "string") return { problem: cached };
      price.cached_input = cached;
    }
    if (r.cacheWrite.trim() !== "") {
      const written = amount(r.cacheWrite, "cache write");
      if (typeof written === "string") return { problem: written };
      price.cache_write = written;
    }
    prices.push(price);
  }
  return { prices };
}

export const emptyRow = (): Row => ({ key: nextKey++, provider: "", model: "", input: "", cached: "", cacheWrite: "", output: "" });
