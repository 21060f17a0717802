// The generated src/bindings/CommandResults.ts names result types it does not import: four
// whose files the generator does not write (ProviderInfo, ExampleInfo, Named, Version) and
// Profile (whose file exists, but is not imported there). Until the generator writes and
// imports them, they are declared here, globally, field for field as the Rust structs
// serialize (crates/workbench/src/command.rs and crates/store/src/library.rs), so that
// CommandResults.ts compiles. UI code never names these globals: it reads the types through
// CommandResults (see src/api/types.ts). Once the generator imports its own, this file can go.
import type { Mode, Profile as GeneratedProfile } from "./bindings";

declare global {
  type Profile = GeneratedProfile;
  type ProviderInfo = {
    name: string;
    base_url: string;
    key_env: string;
    key_required: boolean;
    default_mode: Mode;
    modes: Array<Mode>;
  };
  type ExampleInfo = {
    name: string;
    /** The schema's JSON text. */
    schema: string;
    /** A sample document to extract from. */
    input: string;
  };
  type Named = { name: string; latest: number; updated_at: string };
  type Version = {
    version: number;
    /** The schema JSON text, or the prompt's messages as JSON text. */
    body: string;
    created_at: string;
  };
}
