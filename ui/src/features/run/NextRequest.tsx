// The Request tab: the first request Run would send, built by the backend from the draft as it
// stands (a moment after the last keystroke) and sent nowhere: method and URL, headers (secrets
// masked), the body (indented, very long strings cut; the copy is the exact compact bytes), a
// curl command reading the key from the environment, and what the preview cannot show exactly.
import { memo, useEffect, useMemo, useState } from "react";
import type { CommandError, RequestPreview } from "../../api/types";
import { usePreviewRequest } from "../../api/queries";
import { useSettledDraft } from "../../state/draft";
import { CodeEditor } from "../../components/CodeEditor";
import { CopyButton } from "../../components/CopyButton";
import { ErrorNote } from "../../components/ErrorNote";
import { fmtBytes, fmtInt } from "../../components/format";
import { buildRequest } from "./buildRequest";
import { cutLongStrings, type Shortened } from "./model/longStrings";

const SETTLE_MS = 150;
/** Strings longer than this (a file as a data URL) are cut in what is shown. */
const SHOW_MAX = 2_000;

function CutNote({ s, copy }: { s: Shortened; copy: string }) {
  if (s.cut === 0) return null;
  return (
    <p className="note warn">
      {fmtInt(s.cut)} long string{s.cut === 1 ? " is" : "s are"} cut short here ({fmtInt(s.omitted)} characters left out); {copy} copies {s.cut === 1 ? "it" : "them"} whole.
    </p>
  );
}

function Preview({ p, defaultMode }: { p: RequestPreview; defaultMode: boolean }) {
  const body = useMemo(() => cutLongStrings(JSON.stringify(p.request.body, null, 2), SHOW_MAX), [p.request.body]);
  const curl = useMemo(() => cutLongStrings(p.curl, SHOW_MAX), [p.curl]);
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
      <section className="request-part" aria-labelledby="request-curl">
        <div className="row gap wrap">
          <h3 id="request-curl">curl</h3>
          <CopyButton text={p.curl} label="Copy curl" />
        </div>
        <p className="dim small-text">The same request from a POSIX shell: the key is read from the environment, never written here.</p>
        <CutNote s={curl} copy="“Copy curl”" />
        <pre className="pre curl" role="region" aria-label="curl command" tabIndex={0}>
          {curl.text}
        </pre>
      </section>
    </>
  );
}

// Memoized: the run view renders again on every frame of a run, and this tab has no props to
// change; it renders when the settled draft or the preview does.
export const NextRequest = memo(function NextRequest() {
  const draft = useSettledDraft(SETTLE_MS);
  const built = useMemo(() => buildRequest(draft), [draft]);
  const command = built.ok ? built.command : null;
  const preview = usePreviewRequest(command ? { request: command.request, schema: command.schema, ...(command.stream ? { stream: command.stream } : {}) } : null);
  // While the next preview is built, the last one's error stays (the placeholder would be the
  // last preview that worked, flashing between two errors as a broken schema is edited).
  const [settledError, setSettledError] = useState<CommandError | null>(null);
  useEffect(() => {
    if (!preview.isFetching) setSettledError(preview.error);
  }, [preview.isFetching, preview.error]);
  const error = !built.ok ? built.error : preview.isFetching ? settledError : preview.error;
  return (
    <div className="next-request" aria-busy={preview.isFetching}>
      <p className="dim">
        What <strong>Run</strong> sends first, built from the settings, schema and prompt as they are now. Nothing is sent, and no key is needed.
      </p>
      {error ? (
        <ErrorNote error={error} title="This request cannot be built" />
      ) : preview.data ? (
        <Preview p={preview.data} defaultMode={!command?.request.mode} />
      ) : (
        <p className="dim">Building the request…</p>
      )}
    </div>
  );
});
