import { describe, expect, it } from "vitest";
import { componentChoices } from "./importChoices";

const error = (code: string, message: string) => ({ code, message, details: { hint: "name one of the document's schemas as the component (--component NAME)" } });

describe("componentChoices", () => {
  it("reads the schemas an OpenAPI document has from the backend's message", () => {
    expect(componentChoices(error("import_which_component", "the OpenAPI document has 4 schemas; say which to import (Pet, Owner, Address, Unused)"))).toEqual(["Pet", "Owner", "Address", "Unused"]);
    expect(componentChoices(error("import_no_component", "the OpenAPI document has no schema `Cat` (it has: Pet, Owner)"))).toEqual(["Pet", "Owner"]);
  });

  it("is nothing for other errors, or a message without the list", () => {
    expect(componentChoices(error("import_no_component", "the OpenAPI document has no schemas (under `components/schemas`)"))).toBeNull();
    expect(componentChoices(error("import_which_component", "--component names a schema in an OpenAPI document, and this is a JSON Schema"))).toBeNull();
    expect(componentChoices(error("import_not_parsed", "the text is neither JSON nor YAML: x (y)"))).toBeNull();
  });
});
