// JSON as the designer reads and writes it: objects are Maps, so every key keeps its place
// (JSON.parse moves keys like "2" or "10" to the front of an object), numbers keep the text they
// were written with (1.0 stays 1.0, a 20-digit id is not rounded), and a key written twice is an
// error (JSON.parse would keep one silently, and re-printing would lose the other).

/** A number as written in the text. */
export class Num {
  constructor(readonly raw: string) {}
  get value(): number {
    return Number(this.raw);
  }
}

export type JsonObject = Map<string, Json>;
export type Json = null | boolean | string | Num | Json[] | JsonObject;

export interface ParseError {
  message: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  offset: number;
}

export type Parsed = { ok: true; value: Json } | { ok: false; error: ParseError };

export const isObject = (v: Json | undefined): v is JsonObject => v instanceof Map;

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
/** A whole JSON number, as typed in a field. */
export const isNumberText = (s: string) => /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/.test(s);

class Failure extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function describe(text: string, i: number): string {
  if (i >= text.length) return "the end of the text";
  const c = text[i]!;
  return c === "\n" ? "a line break" : JSON.stringify(c);
}

export function parseJson(text: string): Parsed {
  let i = 0;
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else return;
    }
  };
  const fail = (what: string): never => {
    throw new Failure(`expected ${what}, found ${describe(text, i)}`, i);
  };
  const string = (): string => {
    const start = i;
    i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) throw new Failure("a string is not closed", start);
      if (c === 34) break;
      if (c < 32) throw new Failure("a string holds a control character (a line break must be written \\n)", i);
      i += c === 92 ? 2 : 1;
    }
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      throw new Failure("a string holds an invalid escape", start);
    }
  };
  const value = (): Json => {
    ws();
    const c = text[i];
    if (c === "{") {
      const start = i;
      i++;
      const obj: JsonObject = new Map();
      ws();
      if (text[i] === "}") {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("a property name in double quotes");
        const at = i;
        const key = string();
        if (obj.has(key)) throw new Failure(`the key ${JSON.stringify(key)} appears twice in the same object`, at);
        ws();
        if (text[i] !== ":") fail("':' after a property name");
        i++;
        obj.set(key, value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return obj;
        }
        if (i >= text.length) throw new Failure("an object is not closed", start);
        fail("',' or '}' after a property value");
      }
    }
    if (c === "[") {
      const start = i;
      i++;
      const arr: Json[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return arr;
        }
        if (i >= text.length) throw new Failure("an array is not closed", start);
        fail("',' or ']' after an array item");
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      i += m[0].length;
      return new Num(m[0]);
    }
    return fail("a value");
  };
  try {
    const v = value();
    ws();
    if (i < text.length) fail("the end of the text after the value");
    return { ok: true, value: v };
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    const before = text.slice(0, e.offset);
    const line = before.split("\n").length;
    const column = e.offset - (before.lastIndexOf("\n") + 1) + 1;
    return { ok: false, error: { message: e.message, line, column, offset: e.offset } };
  }
}

/** The text JSON.stringify(value, null, 2) gives, with keys in their order and numbers as written. */
export function printJson(v: Json, indent = ""): string {
  if (v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Num) return v.raw;
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => inner + printJson(x, inner)).join(",\n")}\n${indent}]`;
  }
  if (v.size === 0) return "{}";
  const parts: string[] = [];
  for (const [k, x] of v) parts.push(`${inner}${JSON.stringify(k)}: ${printJson(x, inner)}`);
  return `{\n${parts.join(",\n")}\n${indent}}`;
}

/** One value in one line (for the "also" list and the inputs holding JSON). */
export function printCompact(v: Json): string {
  if (v instanceof Num) return v.raw;
  if (Array.isArray(v)) return `[${v.map(printCompact).join(", ")}]`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${JSON.stringify(k)}: ${printCompact(x)}`).join(", ")}}`;
  return JSON.stringify(v);
}
