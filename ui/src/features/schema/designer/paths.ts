// Where things are in a schema document: a path is the list of keys (array indexes as decimal
// strings) from the root to a value; a `$ref` to a definition is a URI fragment holding a JSON
// Pointer (RFC 6901), so its segments are both pointer-escaped (~0, ~1) and percent-encoded.
import { escapeSegment, unescapeSegment } from "../../run/model/pointer";
import { isObject, type Json } from "./json";

export type Path = readonly string[];

/** The path as a JSON Pointer: a stable key for rows and React. */
export const pointerOf = (path: Path) => path.map((s) => `/${escapeSegment(s)}`).join("");

export function getAt(doc: Json, path: Path): Json | undefined {
  let v: Json | undefined = doc;
  for (const seg of path) {
    if (isObject(v)) v = v.get(seg);
    else if (Array.isArray(v) && /^(0|[1-9][0-9]*)$/.test(seg)) v = v[Number(seg)];
    else return undefined;
  }
  return v;
}

/** The places definitions are kept at the root: `$defs`, and `definitions` before draft 2019-09. */
export const DEF_CONTAINERS = ["$defs", "definitions"] as const;
export type DefContainer = (typeof DEF_CONTAINERS)[number];

// Characters a URI fragment may hold as they are (RFC 3986 pchar, with "/" and "?").
const FRAGMENT_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/?]/;

function encodeFragment(s: string): string {
  let out = "";
  for (const c of s) out += FRAGMENT_SAFE.test(c) ? c : encodeURIComponent(c);
  return out;
}

/** The `$ref` naming definition `name` in `container`. */
export const refTo = (container: DefContainer, name: string) => `#/${container}/${encodeFragment(escapeSegment(name))}`;

/** The definition a `$ref` names (and what follows it, for a ref into a definition), or null. */
export function refTarget(ref: string): { container: DefContainer; name: string; rest: string } | null {
  const m = /^#\/(\$defs|definitions)\/([^/]*)(\/.*)?$/.exec(ref);
  if (!m) return null;
  let name: string;
  try {
    name = unescapeSegment(decodeURIComponent(m[2]!));
  } catch {
    return null;
  }
  return { container: m[1] as DefContainer, name, rest: m[3] ?? "" };
}
