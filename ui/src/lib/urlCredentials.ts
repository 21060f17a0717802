// A base URL as the draft keeps it in the browser's storage, which is a file on disk where
// secrets never go: without `user:password@` and without key-like query parameters (the
// engine's `redact_url` takes the same out of the run history). The draft in memory keeps
// them, so runs in this session still send them.

/** Query parameter names that carry credentials (`?api-key=`, `?key=`, `?sig=`, `?code=`). */
const CREDENTIAL_PARAM = /auth|key|token|secret|passw|cookie|session|signature|credential|bearer|^sig$|^code$/i;

export function withoutUrlCredentials(url: string): string {
  const out = url.replace(/^(\s*[a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1");
  const q = out.indexOf("?");
  if (q < 0) return out;
  const hash = out.indexOf("#", q);
  const query = out.slice(q + 1, hash < 0 ? undefined : hash);
  const kept = query.split("&").filter((kv) => !CREDENTIAL_PARAM.test(decodeName(kv.split("=")[0] ?? "")));
  return out.slice(0, q) + (kept.length ? `?${kept.join("&")}` : "") + (hash < 0 ? "" : out.slice(hash));
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
