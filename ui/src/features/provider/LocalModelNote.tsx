// Beside the model field for a local server: what the chosen model supports, or, when the
// server does not answer, where it was looked for and how to start it, with "Check again".
import type { UseQueryResult } from "@tanstack/react-query";
import type { CommandError, LocalServer } from "../../api/types";
import { ErrorNote } from "../../components/ErrorNote";
import { codeSpans, describeModel, notRunningText } from "./localModels";

export function LocalModelNote({ id, provider, model, query }: { id: string; provider: string; model: string; query: UseQueryResult<LocalServer, CommandError> }) {
  const server = query.data;
  // Not disabled while checking: a disabled button would drop the keyboard focus.
  const again = (
    <button type="button" className="small" onClick={() => void query.refetch()}>
      Check again
    </button>
  );
  let body: React.ReactNode;
  if (query.error) {
    body = (
      <>
        <ErrorNote error={query.error} />
        {again}
      </>
    );
  } else if (!server || (query.isFetching && !server.running)) {
    body = <span>Looking for {provider}…</span>;
  } else if (!server.running) {
    body = (
      <>
        <span>
          {notRunningText(server)}
          {server.start ? (
            <>
              {" "}Start it:{" "}
              {codeSpans(server.start).map((p, i) => (p.code ? <code key={i}>{p.text}</code> : <span key={i}>{p.text}</span>))}
            </>
          ) : null}
        </span>
        {again}
      </>
    );
  } else {
    body = (
      <>
        <span>{describeModel(server, model)}</span>
        {server.problem ? again : null}
      </>
    );
  }
  return (
    <div className="local-note" id={id} role="status">
      {body}
    </div>
  );
}
