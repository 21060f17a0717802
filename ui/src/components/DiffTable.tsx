// Differences field by field (path, what happened, before, after), as the backend's diff
// commands give them.
import type { Difference } from "../api/types";
import { preview } from "./format";

export function DiffTable({ diffs, empty, label }: { diffs: Difference[]; empty: string; label?: string }) {
  if (diffs.length === 0) return <p className="note ok">{empty}</p>;
  return (
    <table className="table diff-table" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Change</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {diffs.map((d, i) => (
          <tr key={`${d.path}-${i}`} className={`diff-${d.kind}`}>
            <td className="mono">{d.path || "/"}</td>
            <td>{d.kind}</td>
            <td className="mono before">{d.before === null && d.kind === "added" ? "" : preview(d.before, 200)}</td>
            <td className="mono after">{d.after === null && d.kind === "removed" ? "" : preview(d.after, 200)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
