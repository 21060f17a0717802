// Names for the wire types the UI uses, all taken from the generated bindings.
import type { CommandResults } from "../bindings";

export type * from "../bindings";
export type ProviderInfo = CommandResults["list_providers"][number];
export type ExampleInfo = CommandResults["list_examples"][number];
export type NamedItem = CommandResults["list_schemas"][number];
export type VersionItem = CommandResults["schema_versions"][number];
