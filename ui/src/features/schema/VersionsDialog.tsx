// A schema's versions: open one, or compare two field by field (diff_schema_versions).
import { useState } from "react";
import { Dialog } from "../../components/Dialog";
import { ErrorNote } from "../../components/ErrorNote";
import { DiffTable } from "../../components/DiffTable";
import { useSchemaDiff, useSchemaVersions } from "../../api/queries";
import { fmtDate } from "../../components/format";

export function VersionsDialog({ open, onClose, name, onOpen }: { open: boolean; onClose: () => void; name: string; onOpen: (body: string, version: number) => void }) {
  return (
    <Dialog open={open} onClose={onClose} title={`Versions of ${name || "this schema"}`} wide>
      {open ? <Versions name={name} onOpen={(b, v) => { onOpen(b, v); onClose(); }} /> : null}
    </Dialog>
  );
}

function Versions({ name, onOpen }: { name: string; onOpen: (body: string, version: number) => void }) {
  const versions = useSchemaVersions(name);
  const [a, setA] = useState<number | null>(null);
  const [b, setB] = useState<number | null>(null);
  const diff = useSchemaDiff(name, a, b);
  if (versions.error) return <ErrorNote error={versions.error} />;
  const list = versions.data ?? [];
  if (!versions.isLoading && list.length === 0) return <p>No saved versions of {name} yet: “Save schema” makes the first.</p>;
  return (
    <div>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Saved</th>
            <th scope="col">Compare from</th>
            <th scope="col">Compare to</th>
            <th scope="col">
              <span className="visually-hidden">Open</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((v) => (
            <tr key={v.version}>
              <td>v{v.version}</td>
              <td>{fmtDate(v.created_at)}</td>
              <td>
                <input type="radio" name="from" aria-label={`Compare from version ${v.version}`} checked={a === v.version} onChange={() => setA(v.version)} />
              </td>
              <td>
                <input type="radio" name="to" aria-label={`Compare to version ${v.version}`} checked={b === v.version} onChange={() => setB(v.version)} />
              </td>
              <td>
                <button type="button" className="small" onClick={() => onOpen(v.body, v.version)}>
                  Open v{v.version}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {a !== null && b !== null && a !== b ? (
        <section aria-label={`Differences from version ${a} to version ${b}`}>
          <h3>
            v{a} → v{b}
          </h3>
          {diff.error ? <ErrorNote error={diff.error} /> : null}
          {diff.data ? <DiffTable diffs={diff.data} empty="The two versions are the same." /> : null}
        </section>
      ) : (
        <p className="dim">Choose two versions to compare.</p>
      )}
    </div>
  );
}
