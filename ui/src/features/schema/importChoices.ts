// Which schema of an OpenAPI document to import, read from the backend's error when it needs to
// be told: "… has 4 schemas; say which to import (Pet, Owner, Address, Unused)" or "… has no
// schema `Cat` (it has: Pet, Owner)". The names are listed in the message and nowhere else.
import type { CommandError } from "../../api/types";

export function componentChoices(error: CommandError): string[] | null {
  if (error.code !== "import_which_component" && error.code !== "import_no_component") return null;
  const m = /(?:say which to import \(|\(it has: )([^()]+)\)\s*$/.exec(error.message);
  if (!m) return null;
  const names = m[1]!.split(", ").map((n) => n.trim()).filter((n) => n !== "");
  return names.length ? names : null;
}
