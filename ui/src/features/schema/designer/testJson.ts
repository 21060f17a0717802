// For the tests: schemas written as plain JavaScript values, as the designer's Json and back.
import { Num, type Json } from "./json";

export function fromPlain(v: unknown): Json {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") return new Num(JSON.stringify(v));
  if (Array.isArray(v)) return v.map(fromPlain);
  if (typeof v === "object") return new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromPlain(x)]));
  throw new TypeError(`not a JSON value: ${String(v)}`);
}

export function toPlain(v: Json): unknown {
  if (v instanceof Num) return v.value;
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, toPlain(x)]));
  return v;
}
