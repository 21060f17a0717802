// An export or import of the project folder, said in words.
import type { ProjectReport } from "../../api/types";

export type ProjectAction = "export" | "import";

const count = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/** "Wrote 3 schemas, 1 prompt, 2 profiles to /path." (or "Imported … from /path."). */
export function describeReport(action: ProjectAction, r: ProjectReport): string {
  const what = `${count(r.schemas, "schema")}, ${count(r.prompts, "prompt")}, ${count(r.profiles, "profile")}`;
  return action === "export" ? `Wrote ${what} to ${r.folder}.` : `Imported ${what} from ${r.folder}.`;
}
