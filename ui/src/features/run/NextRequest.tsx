// The Request tab: the first request Run would send, built by the backend from the draft as it
// stands and sent nowhere: method and URL, headers (secrets masked), the body (indented, very
// long strings cut; the copy is the exact compact bytes), the draft as code (curl, Python,
// Rust), and what the preview cannot show exactly. It follows typing with no pause: each change
// is asked about as soon as the call before it is back (api/latest.ts), the last preview shown
// meanwhile.
import { memo, useMemo } from "react";
import type { PreviewRequest, RequestPreview } from "../../api/types";
import { previewRequest } from "../../api/queries";
import { useFollowDraft, type Made } from "../../api/follow";
import type { Draft } from "../../state/draft";
import { CodeEditor } from "../../components/CodeEditor";
import { CopyButton } from "../../components/CopyButton";
import { ErrorNote } from "../../components/ErrorNote";
import { fmtBytes, fmtInt } from "../../components/format";
import { buildRequest } from "./buildRequest";
import { cutLongStrings } from "./model/longStrings";
import { CutNote } from "./CutNote";
import { CodeExport } from "./CodeExport";

/** Strings longer than this (a file as a data URL) are cut in what is shown. */
const SHOW_MAX = 2_000;

function makePreview(d: Draft): Made<PreviewRequest> {
  const built = buildRequest(d);
  if (!built.ok) return built;
  const { request, schema, stream } = built.command;
  return { ok: true, input: { request, schema, ...(stream ? { stream } : {}) } };
}

const Preview = memo(function Preview({ p, defaultMode }: { p: RequestPreview; defaultMode: boolean }) {
  const body = useMemo(() => cutLongStrings(JSON.stringify(p.request.body, null, 2), SHOW_MAX), [p.request.body]);
  const bytes = useMemo(() => new TextEncoder().encode(p.body_text).length, [p.body_text]);
  return (
    <>
      <dl className="facts">
        <div>
          <dt>Method</dt>
          <dd className="mono">{p.request.method}</dd>
        </div>
        <div>
          <dt>URL</dt>
          <dd className="mono request-url">{p.request.url}</dd>
        </div>
        <div>
          <dt>Mode</dt>
          <dd>
            <span className="mono">{p.mode}</span>
            {defaultMode ? <span className="dim"> (the provider's default)</span> : null}
          </dd>
        </div>
        <div>
          <dt>Prompt tokens</dt>
          <dd>
            {p.prompt_tokens.tokenizer ? "" : "about "}
            {fmtInt(p.prompt_tokens.count)}
            <span className="dim"> — {p.prompt_tokens.method}</span>
          </dd>
        </div>
      </dl>
      {p.notes.length ? (
        <ul className="run-inputs" aria-label="Notes on this request">
          {p.notes.map((n, i) => (
            <li key={i} className="note info">
              {n}
            </li>
          ))}
        </ul>
      ) : null}
      <section className="request-part" aria-labelledby="request-headers">
        <h3 id="request-headers">Headers</h3>
        <table className="table" aria-labelledby="request-headers">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {p.request.headers.map(([name, value], i) => (
              <tr key={i}>
                <td className="mono">{name}</td>
                <td className="mono">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="request-part" aria-labelledby="request-body">
        <div className="row gap wrap">
          <h3 id="request-body">Body</h3>
          <CopyButton text={p.body_text} label="Copy exact body" />
        </div>
        <p className="dim small-text">
          Indented here for reading; it is sent as compact JSON ({fmtBytes(bytes)}), and “Copy exact body” copies those bytes.
        </p>
        <CutNote s={body} copy="“Copy exact body”" />
        <CodeEditor value={body.text} label="Request body" language="json" readOnly className="request-body-editor" />
      </section>
    </>
  );
});

// Memoized: the run view renders again on every frame of a run, and this tab has no props to
// change; it renders when the preview does.
export const NextRequest = memo(function NextRequest() {
  const preview = useFollowDraft(makePreview, previewRequest);
  return (
    <div className="next-request" aria-busy={preview.busy}>
      <p className="dim">
        What <strong>Run</strong> sends first, built from the settings, schema and prompt as they are now. Nothing is sent, and no key is needed.
      </p>
      {preview.error ? (
        <ErrorNote error={preview.error} title="This request cannot be built" />
      ) : preview.value ? (
        <>
          <Preview p={preview.value} defaultMode={!preview.input?.request.mode} />
          <CodeExport curl={preview.value.curl} />
        </>
      ) : (
        <p className="dim">Building the request…</p>
      )}
    </div>
  );
});
