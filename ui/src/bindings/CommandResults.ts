// Generated from the Rust types by quarry-workbench (src/bindings.rs). Do not edit.
import type { AttemptArchive } from "./AttemptArchive";
import type { AttemptRow } from "./AttemptRow";
import type { Cancelled } from "./Cancelled";
import type { Compacted } from "./Compacted";
import type { Deleted } from "./Deleted";
import type { DiffKind } from "./DiffKind";
import type { Difference } from "./Difference";
import type { EventArchive } from "./EventArchive";
import type { EventRecord } from "./EventRecord";
import type { EventRow } from "./EventRow";
import type { ExampleInfo } from "./ExampleInfo";
import type { Exported } from "./Exported";
import type { ExportedCode } from "./ExportedCode";
import type { Finding } from "./Finding";
import type { FixedSchema } from "./FixedSchema";
import type { Generated } from "./Generated";
import type { Imported } from "./Imported";
import type { InferredSchema } from "./InferredSchema";
import type { JsonValue } from "./serde_json/JsonValue";
import type { KeyReport } from "./KeyReport";
import type { KeySaved } from "./KeySaved";
import type { LocalModel } from "./LocalModel";
import type { LocalServer } from "./LocalServer";
import type { Mode } from "./Mode";
import type { Moved } from "./Moved";
import type { Named } from "./Named";
import type { Part } from "./Part";
import type { Price } from "./Price";
import type { Profile } from "./Profile";
import type { ProfileSaved } from "./ProfileSaved";
import type { ProjectReport } from "./ProjectReport";
import type { ProviderInfo } from "./ProviderInfo";
import type { ProviderKey } from "./ProviderKey";
import type { RecordedRequest } from "./RecordedRequest";
import type { RequestPreview } from "./RequestPreview";
import type { Ruleset } from "./Ruleset";
import type { RunArchive } from "./RunArchive";
import type { RunDetail } from "./RunDetail";
import type { RunDiff } from "./RunDiff";
import type { RunReplay } from "./RunReplay";
import type { RunStarted } from "./RunStarted";
import type { RunStatus } from "./RunStatus";
import type { RunSummary } from "./RunSummary";
import type { RunsDeleted } from "./RunsDeleted";
import type { Saved } from "./Saved";
import type { SchemaLint } from "./SchemaLint";
import type { SentSchema } from "./SentSchema";
import type { Settings } from "./Settings";
import type { Theme } from "./Theme";
import type { TokenEstimate } from "./TokenEstimate";
import type { Usage } from "./Usage";
import type { Version } from "./Version";

export type CommandResults = {
  list_providers: Array<ProviderInfo>,
  list_examples: Array<ExampleInfo>,
  list_schemas: Array<Named>,
  save_schema: Saved,
  schema_versions: Array<Version>,
  diff_schema_versions: Array<Difference>,
  list_prompts: Array<Named>,
  save_prompt: Saved,
  prompt_versions: Array<Version>,
  list_profiles: Array<Profile>,
  save_profile: ProfileSaved,
  delete_profile: Deleted,
  attach_file: Part,
  preview_request: RequestPreview,
  discover_models: Array<LocalServer>,
  export_project: ProjectReport,
  import_project: ProjectReport,
  infer_schema: InferredSchema,
  import_schema: Imported,
  generate_schema: Generated,
  export_code: ExportedCode,
  lint_schema: SchemaLint,
  fix_schema: FixedSchema,
  start_run: RunStarted,
  cancel_run: Cancelled,
  list_runs: Array<RunSummary>,
  search_runs: Array<RunSummary>,
  show_run: RunDetail,
  run_events: RunReplay,
  delete_runs: RunsDeleted,
  compact_history: Compacted,
  export_results: Exported,
  export_run: RunArchive,
  import_run: RunStarted,
  rerun_run: RunStarted,
  diff_runs: RunDiff,
  key_status: KeyReport,
  set_key: KeySaved,
  delete_key: Deleted,
  get_settings: Settings,
  save_settings: Settings,
  set_data_folder: Settings,
  save_prices: Settings,
};
