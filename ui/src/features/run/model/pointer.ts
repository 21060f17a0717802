// JSON Pointers (RFC 6901), as the engine writes the paths of changes and issues.

export function escapeSegment(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

export function unescapeSegment(seg: string): string {
  return seg.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** The pointer of the parent (`/a/b` → `/a`, `/a` → ``); null for the root itself. */
export function parentPointer(pointer: string): string | null {
  if (pointer === "") return null;
  return pointer.slice(0, pointer.lastIndexOf("/"));
}

/** The last segment, unescaped (`/a/b~1c` → `b/c`). */
export function lastSegment(pointer: string): string {
  return unescapeSegment(pointer.slice(pointer.lastIndexOf("/") + 1));
}

export function childPointer(parent: string, key: string | number): string {
  return `${parent}/${typeof key === "number" ? key : escapeSegment(key)}`;
}

/** The value a pointer names inside `doc`, or undefined. */
export function getPointer(doc: unknown, pointer: string): unknown {
  if (pointer === "") return doc;
  if (!pointer.startsWith("/")) return undefined;
  let v: unknown = doc;
  for (const raw of pointer.slice(1).split("/")) {
    const seg = unescapeSegment(raw);
    if (Array.isArray(v)) {
      if (!/^(0|[1-9][0-9]*)$/.test(seg)) return undefined;
      v = v[Number(seg)];
    } else if (v !== null && typeof v === "object") {
      if (!Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
      v = (v as Record<string, unknown>)[seg];
    } else {
      return undefined;
    }
  }
  return v;
}
