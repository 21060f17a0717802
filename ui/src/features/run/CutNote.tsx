// Says how many long strings are cut short in what is shown, and which button copies them whole.
import { fmtInt } from "../../components/format";
import type { Shortened } from "./model/longStrings";

export function CutNote({ s, copy }: { s: Shortened; copy: string }) {
  if (s.cut === 0) return null;
  return (
    <p className="note warn">
      {fmtInt(s.cut)} long string{s.cut === 1 ? " is" : "s are"} cut short here ({fmtInt(s.omitted)} characters left out); {copy} copies {s.cut === 1 ? "it" : "them"} whole.
    </p>
  );
}
