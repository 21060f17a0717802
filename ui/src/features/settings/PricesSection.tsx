// The price table: the user's own entries, edited here and saved to prices.json in the data
// folder, and the table in effect (Quarry's checked prices with the user's over them).
import { useState } from "react";
import { useProviders, useSavePrices } from "../../api/queries";
import type { Settings } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { emptyRow, toPrices, toRow, type Row } from "./prices";

/** The columns both price tables share, and any after them. */
function PriceHead({ children }: { children?: React.ReactNode }) {
  return (
    <thead>
      <tr>
        <th scope="col">Provider</th>
        <th scope="col">Model</th>
        <th scope="col">Input</th>
        <th scope="col">Cached input</th>
        <th scope="col">Cache write</th>
        <th scope="col">Output</th>
        {children}
      </tr>
    </thead>
  );
}

const money = (n: number | undefined) => (n === undefined ? "as input" : `$${n}`);

export function PricesSection({ settings }: { settings: Settings | undefined }) {
  const save = useSavePrices();
  const providers = useProviders();
  const saved = settings?.user_prices;
  const [rows, setRows] = useState<Row[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const shown = rows ?? (saved ?? []).map(toRow);
  const edit = (key: number, field: keyof Omit<Row, "key">, value: string) => {
    setProblem(null);
    setRows(shown.map((r) => (r.key === key ? { ...r, [field]: value } : r)));
  };
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const checked = toPrices(shown);
    if ("problem" in checked) {
      setProblem(checked.problem);
      return;
    }
    // Saved, the entries come back in the settings and are the starting point again.
    save.mutate(checked.prices, { onSuccess: () => setRows(null) });
  };
  const label = (r: Row, i: number) => `${r.provider || "new"}/${r.model || `row ${i + 1}`}`;
  return (
    <section aria-labelledby="prices-heading">
      <h2 id="prices-heading">Price table</h2>
      <p>
        Costs are estimated from this table (US dollars per million tokens). Quarry ships only prices it checked (OpenAI&apos;s gpt-4o and gpt-4o-mini, Anthropic&apos;s
        Claude 4.5 and Opus 4.1 models, Gemini 2.5, and zero for local servers); prices change, so check the ones you rely on. Your prices below are added to them or replace them by provider and model; a model ending in <code className="mono">*</code> covers every model
        starting with the rest. A run whose model has no price shows “no price known” rather than a guess.
      </p>
      {settings?.prices_problem ? (
        <p className="note warn" role="status">
          Your price file is not in effect: {settings.prices_problem}. Quarry&apos;s own prices are used until it is fixed; saving here replaces it.
        </p>
      ) : null}
      <form onSubmit={submit} aria-label="Your prices">
        <h3 id="your-prices-heading">Your prices</h3>
        <p className="dim">
          Saved in <span className="mono">{settings?.prices_file ?? "prices.json"}</span>.
        </p>
        <datalist id="price-providers">
          {(providers.data ?? []).map((p) => (
            <option key={p.name} value={p.name} />
          ))}
        </datalist>
        {shown.length ? (
          <table className="price-table editable" aria-labelledby="your-prices-heading">
            <PriceHead>
              <th scope="col">
                <span className="visually-hidden">Remove</span>
              </th>
            </PriceHead>
            <tbody>
              {shown.map((r, i) => (
                <tr key={r.key}>
                  <td>
                    <input aria-label={`Provider, row ${i + 1}`} list="price-providers" value={r.provider} onChange={(e) => edit(r.key, "provider", e.target.value)} />
                  </td>
                  <td>
                    <input aria-label={`Model, row ${i + 1}`} className="mono" value={r.model} onChange={(e) => edit(r.key, "model", e.target.value)} />
                  </td>
                  <td>
                    <input aria-label={`Input price, row ${i + 1}`} inputMode="decimal" className="num" value={r.input} onChange={(e) => edit(r.key, "input", e.target.value)} />
                  </td>
                  <td>
                    <input
                      aria-label={`Cached input price, row ${i + 1}`}
                      inputMode="decimal"
                      className="num"
                      placeholder="as input"
                      value={r.cached}
                      onChange={(e) => edit(r.key, "cached", e.target.value)}
                    />
                  </td>
                  <td>
                    <input
                      aria-label={`Cache write price, row ${i + 1}`}
                      inputMode="decimal"
                      className="num"
                      placeholder="as input"
                      value={r.cacheWrite}
                      onChange={(e) => edit(r.key, "cacheWrite", e.target.value)}
                    />
                  </td>
                  <td>
                    <input aria-label={`Output price, row ${i + 1}`} inputMode="decimal" className="num" value={r.output} onChange={(e) => edit(r.key, "output", e.target.value)} />
                  </td>
                  <td>
                    <button type="button" className="ghost small" aria-label={`Remove the price for ${label(r, i)}`} onClick={() => setRows(shown.filter((x) => x.key !== r.key))}>
                      ×
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="empty dim">None yet.</p>
        )}
        <div className="button-row">
          <button
            type="button"
            onClick={() => setRows([...shown, emptyRow()])}
          >
            Add price
          </button>
          <button type="submit" disabled={rows === null || save.isPending}>
            {save.isPending ? "Saving…" : "Save prices"}
          </button>
          {rows !== null ? (
            <button type="button" className="ghost" onClick={() => { setRows(null); setProblem(null); save.reset(); }}>
              Discard changes
            </button>
          ) : null}
        </div>
        {problem ? (
          <p className="error-note" role="alert">
            {problem}
          </p>
        ) : null}
        {save.error ? <ErrorNote error={save.error} /> : null}
      </form>
      <h3 id="prices-in-effect-heading">Prices in effect</h3>
      <table className="price-table" aria-labelledby="prices-in-effect-heading">
        <PriceHead />
        <tbody>
          {(settings?.prices ?? []).map((p) => (
            <tr key={`${p.provider}/${p.model}`}>
              <td>{p.provider}</td>
              <td className="mono">{p.model}</td>
              <td className="num">${p.input}</td>
              <td className="num">{money(p.cached_input)}</td>
              <td className="num">{money(p.cache_write)}</td>
              <td className="num">${p.output}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
