// The generated src/bindings/CommandResults.ts names four result types that the Rust side does
// not export (ProviderInfo, ExampleInfo, Named, Version: their files are missing from
// src/bindings/). Until the bindings generator writes them, they are declared here, globally,
// field for field as the Rust structs serialize (crates/workbench/src/command.rs and
// crates/store/src/library.rs), so that CommandResults.ts compiles. UI code never names them:
// it reads them through CommandResults (see src/api/types.ts). Once the generator exports them,
// CommandResults.ts imports its own and this file can go.
import type { Mode } from "./bindings";

declare global {
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
