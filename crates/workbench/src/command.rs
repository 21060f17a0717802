//! The commands, their typed arguments and results, and their handlers.
//!
//! Every command is a struct of arguments implementing [`Rpc`], whose `Out` is its result type;
//! one macro list turns them into the [`Command`] enum (`{"cmd": "save_schema", …}` on the
//! wire), the dispatch in [`Workbench::handle`], and the `CommandResults` map of the generated
//! TypeScript bindings. A command without a result type, or a result type without TypeScript,
//! does not compile.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use quarry_engine::preview::RequestPreview;
use quarry_engine::{
    ApiKey, Canceller, Client, EventRecord, ExtractRequest, Message, Mode, StreamKind,
};
use quarry_store::diff::Difference;
use quarry_store::library::{Kind, Named, Profile, Version};
use quarry_store::secrets::{self, KeyLocation};
use quarry_store::{ExportFormat, RunArchive, RunDetail, RunSummary, SearchQuery, Store};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::data::Moved;
use crate::error::CommandError;
use crate::host::Host;
use crate::orchestrate::{self, Finished, Prepared, RunSpec, StartError};

fn default_limit() -> u32 {
    50
}

/// A command: its arguments are `Self`, its result is `Out`.
pub trait Rpc {
    type Out: Serialize + TS + 'static;
    fn run<H: Host>(
        self,
        wb: &Workbench<H>,
    ) -> impl Future<Output = Result<Self::Out, CommandError>> + Send;
}

macro_rules! commands {
    ($($(#[$doc:meta])* $variant:ident($args:ident),)*) => {
        /// Everything the UI can ask for. Serialized as `{"cmd": "save_schema", …fields}`.
        #[derive(Debug, Clone, Deserialize, TS)]
        #[serde(tag = "cmd", rename_all = "snake_case")]
        #[ts(rename_all = "snake_case")]
        pub enum Command {
            $($(#[$doc])* $variant($args),)*
        }

        impl<H: Host> Workbench<H> {
            /// Runs one command. Needs a Tokio runtime (runs are spawned on it).
            pub async fn handle(&self, command: Command) -> Result<Value, CommandError> {
                match command {
                    $(Command::$variant(args) => Ok(serde_json::to_value(args.run(self).await?)?),)*
                }
            }
        }

        /// `export type CommandResults = { save_schema: Saved, … }`: the result type of every
        /// command, for the UI's typed `rpc` call, with the imports it needs.
        pub(crate) fn command_results(cfg: &ts_rs::Config) -> String {
            let mut imports = std::collections::BTreeMap::new();
            let mut body = String::from("export type CommandResults = {\n");
            $(
                importing::<<$args as Rpc>::Out>(cfg, &mut imports);
                body.push_str(&format!(
                    "  {}: {},\n",
                    snake(stringify!($variant)),
                    <<$args as Rpc>::Out as TS>::name(cfg)
                ));
            )*
            body.push_str("};\n");
            let mut out = String::new();
            for (name, file) in imports {
                out.push_str(&format!("import type {{ {name} }} from \"./{file}\";\n"));
            }
            out.push('\n');
            out.push_str(&body);
            out
        }

        /// Every type the bindings declare: the commands and their results (their own
        /// dependencies follow).
        pub(crate) fn export_all(cfg: &ts_rs::Config) -> Result<(), ts_rs::ExportError> {
            Command::export_all(cfg)?;
            CommandError::export_all(cfg)?;
            crate::orchestrate::RunMessage::export_all(cfg)?;
            quarry_engine::EventRecord::export_all(cfg)?;
            quarry_engine::FieldState::export_all(cfg)?;
            $(
                <<$args as Rpc>::Out as TS>::export_all(cfg).or_else(primitive)?;
                // `Vec<ProviderInfo>` exports what ProviderInfo holds, not ProviderInfo.
                let mut held = Held { cfg, found: Vec::new(), error: None };
                <<$args as Rpc>::Out as TS>::visit_generics(&mut held);
                if let Some(e) = held.error {
                    return Err(e);
                }
            )*
            Ok(())
        }
    };
}

/// Adds the declarations `T` names (itself, or what it holds: `Array<RunSummary>`) to `imports`
/// (TypeScript name → file without `.ts`).
fn importing<T: TS + 'static>(
    cfg: &ts_rs::Config,
    imports: &mut std::collections::BTreeMap<String, String>,
) {
    let mut add = |name: String, path: std::path::PathBuf| {
        let file = path.with_extension("").display().to_string();
        imports.insert(name, file);
    };
    if let Some(path) = T::output_path() {
        add(T::ident(cfg), path);
    }
    for d in T::dependencies(cfg) {
        add(d.ts_name, d.output_path);
    }
    let mut held = Held {
        cfg,
        found: Vec::new(),
        error: None,
    };
    T::visit_generics(&mut held);
    for (name, path) in held.found {
        add(name, path);
    }
}

/// The declared types a result holds as type parameters (`Vec<ProviderInfo>`, `Option<X>`),
/// each exported as it is found.
struct Held<'a> {
    cfg: &'a ts_rs::Config,
    found: Vec<(String, std::path::PathBuf)>,
    error: Option<ts_rs::ExportError>,
}

impl ts_rs::TypeVisitor for Held<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        let Some(path) = T::output_path() else {
            return;
        };
        if let Err(e) = T::export_all(self.cfg)
            && self.error.is_none()
        {
            self.error = Some(e);
        }
        self.found.push((T::ident(self.cfg), path));
    }
}

/// Results such as `boolean[]` have nothing of their own to export.
fn primitive(e: ts_rs::ExportError) -> Result<(), ts_rs::ExportError> {
    match e {
        ts_rs::ExportError::CannotBeExported(_) => Ok(()),
        other => Err(other),
    }
}

/// `SaveSchema` → `save_schema`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

commands! {
    /// Providers with their base URL, key variable, default mode and modes.
    ListProviders(ListProviders),
    /// The example schemas built in (name, schema text, sample input).
    ListExamples(ListExamples),
    ListSchemas(ListSchemas),
    SaveSchema(SaveSchema),
    SchemaVersions(SchemaVersions),
    DiffSchemaVersions(DiffSchemaVersions),
    ListPrompts(ListPrompts),
    SavePrompt(SavePrompt),
    PromptVersions(PromptVersions),
    ListProfiles(ListProfiles),
    SaveProfile(SaveProfile),
    DeleteProfile(DeleteProfile),
    /// A file the user dropped or picked, as a message part typed by its bytes (image, PDF,
    /// audio, text); bad or unsupported files get an error naming the types Quarry sends.
    AttachFile(AttachFile),
    /// The exact request a run's first attempt would send (URL, headers with secrets masked,
    /// body byte for byte) and the same as a curl command. Nothing is sent or fetched.
    PreviewRequest(PreviewRequest),
    /// The local model servers (Ollama, llama.cpp, vLLM, LM Studio) on their default ports,
    /// or one given: whether each runs, its models and what each supports.
    DiscoverModels(DiscoverModels),
    /// Writes every saved schema, prompt and profile (latest versions, never a key) to a
    /// folder of plain files (see [`crate::project`]).
    ExportProject(ExportProject),
    /// Reads such a folder back: changed schemas and prompts become new versions, profiles are
    /// created or replaced.
    ImportProject(ImportProject),
    /// A JSON Schema that sample documents fit (see `quarry_design::infer`).
    InferSchema(InferSchema),
    /// A schema from elsewhere (an older JSON Schema draft, Pydantic's output, an OpenAPI
    /// component; JSON or YAML) as JSON Schema 2020-12, with notes on what was changed (see
    /// `quarry_design::import`).
    ImportSchema(ImportSchema),
    /// A schema designed from a plain-English description by the draft's provider and model,
    /// through the engine (validated and re-asked like a run; see `quarry_design::generate`).
    GenerateSchema(GenerateSchema),
    /// The draft as a program that does the same run: curl (the exact first request), Python
    /// with instructor, or Rust with quarry-engine (see `quarry_design::export`). Sends nothing.
    ExportCode(ExportCode),
    /// What the draft's provider and mode will refuse, ignore or change in a schema, each at
    /// its place with the provider's rule, its source and a fix where one exists, and the
    /// schema exactly as it would be sent (see `quarry_design::lint`).
    LintSchema(LintSchema),
    /// Applies one fix a lint offered, or every fix there is (`all`), and returns the text.
    FixSchema(FixSchema),
    /// Starts a run; its events go to `stream_id`. Returns the run id at once.
    StartRun(StartRun),
    /// Cancels the run started under `stream_id`.
    CancelRun(CancelRun),
    ListRuns(ListRuns),
    /// `text` (every word must match), `schema`, `provider`, `model`, `status`, `since`,
    /// `until`, `limit`, `offset`; all optional.
    SearchRuns(SearchQuery),
    ShowRun(ShowRun),
    /// A recorded run as its events, in order, to replay into the run view.
    RunEvents(RunEvents),
    DeleteRuns(DeleteRuns),
    /// Removes the stored values no run, schema or prompt uses any more (deleted runs leave
    /// them) and shrinks the database file. Refused while a run is going.
    CompactHistory(CompactHistory),
    /// Results as text: `json`, `jsonl` or `csv` (with `explode` for one array field).
    ExportResults(ExportResults),
    ExportRun(ExportRun),
    ImportRun(ImportRun),
    /// Runs a recorded run again under `stream_id`; returns the new run's id.
    RerunRun(RerunRun),
    DiffRuns(DiffRuns),
    /// Where each provider's key comes from (keychain, environment variable, missing).
    KeyStatus(KeyStatus),
    /// Stores a key in the OS keychain. The key never comes back out.
    SetKey(SetKey),
    DeleteKey(DeleteKey),
    GetSettings(GetSettings),
    SaveSettings(SaveSettings),
    /// Moves the data folder (see [`SetDataFolder`]); returns the settings after the move.
    SetDataFolder(SetDataFolder),
    /// Saves the user's own price entries (they replace the built-in ones of the same
    /// provider and model); returns the settings with the table now in effect.
    SavePrices(SavePrices),
}

// ---- results ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, TS)]
pub struct ProviderInfo {
    pub name: String,
    /// The wire protocol it speaks (`openai`, `anthropic`).
    pub protocol: String,
    pub base_url: String,
    pub key_env: String,
    pub key_required: bool,
    pub default_mode: Mode,
    pub modes: Vec<Mode>,
    /// Local servers: the modes in which generation is constrained to the schema.
    pub constrained: Vec<Mode>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ExampleInfo {
    pub name: String,
    /// The schema's JSON text.
    pub schema: String,
    /// A sample document to extract from.
    pub input: String,
}

/// A saved schema or prompt version.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Saved {
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ProfileSaved {
    pub saved: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Deleted {
    /// Whether there was something to delete.
    pub deleted: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RunsDeleted {
    pub deleted: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RunStarted {
    pub run_id: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Cancelled {
    /// Whether a run was going under that stream id.
    pub cancelled: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Exported {
    pub rows: u32,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct RunDiff {
    pub result: Vec<Difference>,
    pub spec: Vec<Difference>,
}

/// A recorded run for replay: its summary and its events as they were emitted.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RunReplay {
    pub summary: RunSummary,
    /// `partial` or `iterable` for streamed runs.
    pub stream: Option<String>,
    pub events: Vec<EventRecord>,
    /// Recorded events this version cannot read (written by another version), skipped.
    pub unreadable: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct ProviderKey {
    pub provider: String,
    pub env_var: String,
    pub required: bool,
    pub source: KeyLocation,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct KeyReport {
    /// Whether an OS keychain answered; without one, keys come from environment variables.
    pub keychain: bool,
    /// Why the keychain could not be reached, when it could not.
    pub keychain_error: Option<String>,
    pub providers: Vec<ProviderKey>,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct KeySaved {
    pub provider: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    Light,
    Dark,
    /// Follow the system's choice.
    #[default]
    System,
}

#[derive(Debug, Clone, Serialize, TS)]
pub struct Settings {
    pub theme: Theme,
    /// The run-history database (its folder holds Quarry's data).
    pub database: String,
    /// The folder holding the database and the price file.
    pub data_folder: String,
    /// What named the database when the user did (`QUARRY_DB`, `--db`): then the data folder
    /// cannot be changed here.
    pub data_folder_pinned_by: Option<String>,
    /// A data folder chosen earlier that is not there now (the default is in use instead).
    pub data_folder_missing: Option<String>,
    /// What the last move did, in the settings a move returns.
    pub moved: Option<Moved>,
    /// The price table in effect: the built-in prices with the user's file's entries over them.
    pub prices: Vec<quarry_store::prices::Price>,
    /// The user's own entries, as saved in `prices_file`.
    pub user_prices: Vec<quarry_store::prices::Price>,
    pub prices_file: String,
    /// Why the user's price file is not in effect, when it is not.
    pub prices_problem: Option<String>,
}

// ---- arguments -------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ListProviders {}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct AttachFile {
    /// The file's name (shown, and sent as a PDF's file name).
    pub name: String,
    /// The file's bytes as a `data:` URL (as `FileReader.readAsDataURL` gives them).
    pub data_url: String,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ListExamples {}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ListSchemas {}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SaveSchema {
    pub name: String,
    /// The schema's JSON text, as written.
    pub body: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SchemaVersions {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DiffSchemaVersions {
    pub name: String,
    pub a: i64,
    pub b: i64,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ListPrompts {}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SavePrompt {
    pub name: String,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct PromptVersions {
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct ListProfiles {}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SaveProfile {
    pub profile: Profile,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DeleteProfile {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct StartRun {
    pub stream_id: String,
    pub request: ExtractRequest,
    pub schema_name: String,
    /// The schema's JSON text.
    pub schema: String,
    #[serde(default)]
    #[ts(optional)]
    pub stream: Option<StreamKind>,
    /// The saved profile the request was built from, recorded with the run.
    #[serde(default)]
    #[ts(optional)]
    pub profile: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct PreviewRequest {
    pub request: ExtractRequest,
    /// The schema's JSON text.
    pub schema: String,
    #[serde(default)]
    #[ts(optional)]
    pub stream: Option<StreamKind>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DiscoverModels {
    /// Only this server.
    #[serde(default)]
    #[ts(optional)]
    pub provider: Option<String>,
    /// Where that server runs, if not on its default port.
    #[serde(default)]
    #[ts(optional)]
    pub base_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportProject {
    pub folder: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ImportProject {
    pub folder: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct InferSchema {
    /// Each text one JSON document or JSON Lines, named in errors as `sample N`.
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ImportSchema {
    pub text: String,
    /// The schema of an OpenAPI document to bring in (needed when it has several).
    #[ts(optional)]
    pub component: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct GenerateSchema {
    /// The draft: its provider, model, mode, base URL and key are used; its messages are not.
    pub request: ExtractRequest,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CodeLanguage {
    Curl,
    Python,
    Rust,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportCode {
    pub request: ExtractRequest,
    pub schema: String,
    pub language: CodeLanguage,
}

/// A program, and the name to save it under.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ExportedCode {
    pub file_name: String,
    pub code: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct LintSchema {
    /// The draft: its provider, model, mode and base URL choose the rules.
    pub request: ExtractRequest,
    pub schema: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct FixSchema {
    pub schema: String,
    /// One fix, as a lint of this very text offered it.
    #[ts(optional)]
    pub fix: Option<quarry_design::lint::Fix>,
    /// Every fix a lint for `request` offers, each after the one before (then `fix` is
    /// ignored).
    #[ts(optional)]
    pub all: Option<ExtractRequest>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CancelRun {
    pub stream_id: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ListRuns {
    #[serde(default = "default_limit")]
    #[ts(as = "Option<_>", optional)]
    pub limit: u32,
    #[serde(default)]
    #[ts(as = "Option<_>", optional)]
    pub offset: u32,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ShowRun {
    pub id: i64,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RunEvents {
    pub id: i64,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DeleteRuns {
    pub ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct CompactHistory {}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportResults {
    pub ids: Vec<i64>,
    /// `json`, `jsonl` or `csv`.
    pub format: String,
    #[serde(default)]
    #[ts(optional)]
    pub explode: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ExportRun {
    pub id: i64,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct ImportRun {
    pub archive: RunArchive,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RerunRun {
    pub id: i64,
    pub stream_id: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DiffRuns {
    pub a: i64,
    pub b: i64,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct KeyStatus {}

/// A key on its way into the keychain: never printed (`Debug`), never sent back.
#[derive(Clone, TS)]
#[ts(type = "string")]
pub struct KeyText(ApiKey);

impl std::fmt::Debug for KeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyText(<redacted>)")
    }
}

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(KeyText(ApiKey::new(String::deserialize(d)?.trim())))
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetKey {
    pub provider: String,
    pub key: KeyText,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DeleteKey {
    pub provider: String,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
pub struct GetSettings {}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SaveSettings {
    pub theme: Theme,
}

/// Makes `folder` (a full path; created if missing) the data folder. A folder that holds a
/// Quarry history already is opened as it is; otherwise the history in use is copied there
/// when `copy`, or an empty one started. The choice is remembered for every later start, by
/// the app and the CLI alike. Refused while a run is going.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetDataFolder {
    pub folder: String,
    pub copy: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SavePrices {
    pub prices: Vec<quarry_store::prices::Price>,
}

// ---- handlers --------------------------------------------------------------------------

impl Rpc for ListProviders {
    type Out = Vec<ProviderInfo>;
    async fn run<H: Host>(self, _wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(quarry_engine::provider::registry::all()
            .map(|p| ProviderInfo {
                name: p.name.into(),
                protocol: p.wire.name().into(),
                base_url: p.base_url.into(),
                key_env: p.key_env.into(),
                key_required: p.key_required,
                default_mode: p.default_mode,
                modes: p.modes.to_vec(),
                constrained: p.constrained.to_vec(),
            })
            .collect())
    }
}

impl Rpc for AttachFile {
    type Out = quarry_engine::Part;
    async fn run<H: Host>(self, _wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(quarry_engine::attachment::part_from_data_url(
            &self.name,
            &self.data_url,
        )?)
    }
}

impl Rpc for ListExamples {
    type Out = Vec<ExampleInfo>;
    async fn run<H: Host>(self, _wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(crate::examples::EXAMPLES
            .iter()
            .map(|e| ExampleInfo {
                name: e.name.into(),
                schema: e.schema.into(),
                input: e.input.into(),
            })
            .collect())
    }
}

impl Rpc for ListSchemas {
    type Out = Vec<Named>;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(wb.store()?.list_named(Kind::Schema)?)
    }
}

impl Rpc for SaveSchema {
    type Out = Saved;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let version = wb
            .store()?
            .save_version(Kind::Schema, &self.name, &self.body)?;
        Ok(Saved { version })
    }
}

impl Rpc for SchemaVersions {
    type Out = Vec<Version>;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(wb.store()?.versions(Kind::Schema, &self.name)?)
    }
}

impl Rpc for DiffSchemaVersions {
    type Out = Vec<Difference>;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(wb
            .store()?
            .diff_versions(Kind::Schema, &self.name, self.a, self.b)?)
    }
}

impl Rpc for ListPrompts {
    type Out = Vec<Named>;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(wb.store()?.list_named(Kind::Prompt)?)
    }
}

impl Rpc for SavePrompt {
    type Out = Saved;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let body = serde_json::to_string(&self.messages)?;
        let version = wb.store()?.save_version(Kind::Prompt, &self.name, &body)?;
        Ok(Saved { version })
    }
}

impl Rpc for PromptVersions {
    type Out = Vec<Version>;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(wb.store()?.versions(Kind::Prompt, &self.name)?)
    }
}

impl Rpc for ListProfiles {
    type Out = Vec<Profile>;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(wb.store()?.profiles()?)
    }
}

impl Rpc for SaveProfile {
    type Out = ProfileSaved;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let secrets = crate::profile_secrets::secrets_in(&self.profile);
        if !secrets.is_empty() {
            return Err(CommandError::new(
                "secret_in_profile",
                format!(
                    "profile `{}` was not saved: it carries a secret in {}, and profiles are kept in the run history file, where secrets never go",
                    self.profile.name,
                    secrets.join(", ")
                ),
                "save it without the credential (a base URL without its password or key; an API key goes in the OS keychain, through the API key button or `quarry keys set`, or in the environment variable the profile names) and give the URL's credentials with each run",
            ));
        }
        wb.store()?.save_profile(&self.profile)?;
        Ok(ProfileSaved {
            saved: self.profile.name,
        })
    }
}

impl Rpc for DeleteProfile {
    type Out = Deleted;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(Deleted {
            deleted: wb.store()?.delete_profile(&self.name)?,
        })
    }
}

impl Rpc for StartRun {
    type Out = RunStarted;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let run_id = wb.start(PendingRun {
            stream_id: self.stream_id,
            request: self.request,
            schema_name: self.schema_name,
            schema_text: self.schema,
            stream: self.stream,
            profile: self.profile,
        })?;
        Ok(RunStarted { run_id })
    }
}

impl Rpc for PreviewRequest {
    type Out = RequestPreview;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(wb.preview(&self.request, &self.schema, self.stream).await?)
    }
}

impl Rpc for DiscoverModels {
    type Out = Vec<quarry_engine::discover::LocalServer>;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(wb
            .client
            .discover_local(self.provider.as_deref(), self.base_url.as_deref())
            .await?)
    }
}

impl Rpc for ExportProject {
    type Out = crate::project::ProjectReport;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        crate::project::export(&wb.store()?, std::path::Path::new(&self.folder))
    }
}

impl Rpc for ImportProject {
    type Out = crate::project::ProjectReport;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        crate::project::import(&mut wb.store()?, std::path::Path::new(&self.folder))
    }
}

/// What [`InferSchema`] found.
#[derive(Debug, Clone, Serialize, TS)]
pub struct InferredSchema {
    pub schema: Value,
    /// How many documents the samples held.
    #[ts(type = "number")]
    pub documents: u64,
}

impl Rpc for InferSchema {
    type Out = InferredSchema;
    async fn run<H: Host>(self, _wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let failed = |e: quarry_design::infer::InferError| {
            CommandError::new("infer_failed", e.to_string(), e.hint())
        };
        let mut documents = Vec::new();
        for (i, text) in self.samples.iter().enumerate() {
            documents.extend(
                quarry_design::infer::documents(text, &format!("sample {}", i + 1))
                    .map_err(failed)?,
            );
        }
        Ok(InferredSchema {
            schema: quarry_design::infer::infer(&documents).map_err(failed)?,
            documents: documents.len() as u64,
        })
    }
}

impl Rpc for ImportSchema {
    type Out = quarry_design::import::Imported;
    async fn run<H: Host>(self, _wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        quarry_design::import::import(&self.text, self.component.as_deref())
            .map_err(|e| CommandError::new(e.code(), e.to_string(), e.hint()))
    }
}

impl Rpc for GenerateSchema {
    type Out = quarry_design::generate::Generated;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(quarry_design::generate::generate(&wb.client, &self.request, &self.description).await?)
    }
}

impl Rpc for ExportCode {
    type Out = ExportedCode;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        use quarry_design::export::{Language, program};
        // The preview resolves the mode (the provider's default when none is chosen) and
        // checks the draft as a run would.
        let preview = wb.preview(&self.request, &self.schema, None).await?;
        let language = match self.language {
            CodeLanguage::Curl => {
                return Ok(ExportedCode {
                    file_name: "request.sh".into(),
                    code: format!("{}\n", preview.curl),
                });
            }
            CodeLanguage::Python => Language::Python,
            CodeLanguage::Rust => Language::Rust,
        };
        let exported = program(language, &self.request, &self.schema, preview.mode.as_str())
            .map_err(|e| CommandError::new(e.code(), e.to_string(), e.hint()))?;
        Ok(ExportedCode {
            file_name: exported.file_name,
            code: exported.code,
        })
    }
}

impl Rpc for LintSchema {
    type Out = quarry_design::lint::target::SchemaLint;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(quarry_design::lint::target::lint_for(&wb.client, &self.request, &self.schema).await?)
    }
}

/// The schema text after [`FixSchema`].
#[derive(Debug, Clone, Serialize, TS)]
pub struct FixedSchema {
    /// Pretty-printed, keys in their order.
    pub schema: String,
    /// How many fixes were applied.
    #[ts(type = "number")]
    pub applied: u64,
}

impl Rpc for FixSchema {
    type Out = FixedSchema;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        use quarry_design::lint;
        let mut schema: Value = serde_json::from_str(&self.schema).map_err(|e| {
            CommandError::new(
                "schema_not_json",
                format!(
                    "the schema is not JSON (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
                "correct the schema text, then apply the fix again",
            )
        })?;
        let applied = if let Some(draft) = &self.all {
            let checked = lint::target::lint_for(&wb.client, draft, &self.schema).await?;
            let (fixed, n) = lint::fix_all(&schema, checked.ruleset, &checked.mode);
            schema = fixed;
            n
        } else if let Some(fix) = &self.fix {
            lint::apply(&mut schema, &fix.ops)
                .map_err(|e| CommandError::new(e.code(), e.to_string(), e.hint()))?;
            1
        } else {
            0
        };
        Ok(FixedSchema {
            schema: serde_json::to_string_pretty(&schema)?,
            applied: applied as u64,
        })
    }
}

impl Rpc for CancelRun {
    type Out = Cancelled;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let found = wb.running().get(&self.stream_id).cloned();
        if let Some(c) = &found {
            c.cancel();
        }
        Ok(Cancelled {
            cancelled: found.is_some(),
        })
    }
}

impl Rpc for ListRuns {
    type Out = Vec<RunSummary>;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(wb.store()?.list_runs(self.limit, self.offset)?)
    }
}

impl Rpc for SearchQuery {
    type Out = Vec<RunSummary>;
    async fn run<H: Host>(mut self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        if self.limit == 0 {
            self.limit = default_limit();
        }
        Ok(wb.store()?.search_runs(&self)?)
    }
}

impl Rpc for ShowRun {
    type Out = RunDetail;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(wb.store()?.show_run(self.id)?)
    }
}

impl Rpc for RunEvents {
    type Out = RunReplay;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let detail = wb.store()?.show_run(self.id)?;
        let mut unreadable = 0;
        let events = detail
            .events
            .into_iter()
            .filter_map(
                |row| match serde_json::from_value::<EventRecord>(row.body) {
                    Ok(e) => Some(e),
                    Err(_) => {
                        unreadable += 1;
                        None
                    }
                },
            )
            .collect();
        Ok(RunReplay {
            summary: detail.summary,
            stream: detail.stream,
            events,
            unreadable,
        })
    }
}

impl Rpc for DeleteRuns {
    type Out = RunsDeleted;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let deleted = wb.store()?.delete_runs(&self.ids)?;
        Ok(RunsDeleted {
            deleted: u32::try_from(deleted).unwrap_or(u32::MAX),
        })
    }
}

impl Rpc for CompactHistory {
    type Out = quarry_store::Compacted;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let _gate = wb.history_gate();
        wb.refuse_while_running("compact the history")?;
        Ok(wb.store()?.compact()?)
    }
}

impl Rpc for ExportResults {
    type Out = Exported;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let format = match self.format.as_str() {
            "json" => ExportFormat::Json,
            "jsonl" => ExportFormat::Jsonl,
            "csv" => ExportFormat::Csv,
            other => {
                return Err(CommandError::new(
                    "bad_format",
                    format!("unknown export format `{other}`"),
                    "use json, jsonl or csv",
                ));
            }
        };
        let mut out = Vec::new();
        let rows = wb.store()?.export_results(
            &self.ids,
            format,
            self.explode.as_deref(),
            &mut out,
            &mut |_, _| {},
        )?;
        Ok(Exported {
            rows: u32::try_from(rows).unwrap_or(u32::MAX),
            text: String::from_utf8_lossy(&out).into_owned(),
        })
    }
}

impl Rpc for ExportRun {
    type Out = RunArchive;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(wb.store()?.export_run(self.id)?)
    }
}

impl Rpc for ImportRun {
    type Out = RunStarted;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        Ok(RunStarted {
            run_id: wb.store()?.import_run(&self.archive)?,
        })
    }
}

impl Rpc for RerunRun {
    type Out = RunStarted;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let store = wb.store()?;
        let run = store.show_run(self.id)?;
        let schema = store.schema_text(self.id)?;
        let request: ExtractRequest = serde_json::from_value(run.spec)?;
        let stream = run.stream.as_deref().map(|s| match s {
            "iterable" => StreamKind::Iterable,
            _ => StreamKind::Partial,
        });
        let run_id = wb.start(PendingRun {
            stream_id: self.stream_id,
            request,
            schema_name: run.summary.schema,
            schema_text: schema,
            stream,
            profile: run.summary.profile,
        })?;
        Ok(RunStarted { run_id })
    }
}

impl Rpc for DiffRuns {
    type Out = RunDiff;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let store = wb.store()?;
        let (a, b) = (store.show_run(self.a)?, store.show_run(self.b)?);
        Ok(RunDiff {
            result: quarry_store::diff::diff(
                a.result.as_ref().unwrap_or(&Value::Null),
                b.result.as_ref().unwrap_or(&Value::Null),
            ),
            spec: quarry_store::diff::diff(&a.spec, &b.spec),
        })
    }
}

impl Rpc for KeyStatus {
    type Out = KeyReport;
    async fn run<H: Host>(self, _wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        // The keychain answers slowly (each lookup opens its own encrypted Secret Service
        // session: 40–70 ms here, over a second for every provider in turn), so the lookups
        // run side by side, off the runtime.
        tokio::task::spawn_blocking(|| {
            let mut error = None;
            let looked_up: Vec<_> = std::thread::scope(|scope| {
                let lookups: Vec<_> = quarry_engine::provider::registry::all()
                    .map(|p| (p, scope.spawn(|| secrets::locate(p.name, &p.key_envs()))))
                    .collect();
                lookups
                    .into_iter()
                    .map(|(p, lookup)| {
                        let found = lookup.join().unwrap_or_else(|_| {
                            let failed = "the keychain lookup failed unexpectedly".to_string();
                            (
                                KeyLocation::Missing,
                                Some(secrets::SecretError::Keychain(failed)),
                            )
                        });
                        (p, found)
                    })
                    .collect()
            });
            let providers = looked_up
                .into_iter()
                .map(|(p, (source, e))| {
                    if let Some(e) = e {
                        error.get_or_insert(e.to_string());
                    }
                    ProviderKey {
                        provider: p.name.into(),
                        env_var: p.key_env.into(),
                        required: p.key_required,
                        source,
                    }
                })
                .collect();
            KeyReport {
                keychain: error.is_none(),
                keychain_error: error,
                providers,
            }
        })
        .await
        .map_err(|e| CommandError::new("internal", e.to_string(), "report this as a bug"))
    }
}

/// The provider named in a key command, checked against the registry.
fn preset(name: &str) -> Result<&'static quarry_engine::provider::registry::Preset, CommandError> {
    quarry_engine::provider::registry::find(name).ok_or_else(|| {
        CommandError::new(
            "unknown_provider",
            format!("unknown provider `{name}`"),
            format!(
                "use one of: {}",
                quarry_engine::provider::registry::names().join(", ")
            ),
        )
    })
}

/// A keychain failure, with the environment variable that works instead.
fn keychain_error(e: secrets::SecretError, env_var: &str) -> CommandError {
    let mut err = CommandError::new("keychain_unavailable", e.to_string(), e.hint(env_var));
    if let Value::Object(details) = &mut err.details {
        details.insert("env_var".into(), Value::String(env_var.into()));
    }
    err
}

impl Rpc for SetKey {
    type Out = KeySaved;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let p = preset(&self.provider)?;
        let key = self.key.0;
        if let Some(problem) = key.problem() {
            return Err(CommandError::new(
                "invalid_key",
                format!("the key {problem}, so it could not be sent to {}", p.name),
                "paste the key alone, as it was given to you",
            ));
        }
        tokio::task::spawn_blocking(move || secrets::set_key(p.name, &key))
            .await
            .map_err(|e| CommandError::new("internal", e.to_string(), "report this as a bug"))?
            .map_err(|e| keychain_error(e, p.key_env))?;
        wb.keys.forget(p.name);
        Ok(KeySaved {
            provider: p.name.into(),
        })
    }
}

impl Rpc for DeleteKey {
    type Out = Deleted;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let p = preset(&self.provider)?;
        let deleted = tokio::task::spawn_blocking(move || secrets::delete_key(p.name))
            .await
            .map_err(|e| CommandError::new("internal", e.to_string(), "report this as a bug"))?
            .map_err(|e| keychain_error(e, p.key_env))?;
        wb.keys.forget(p.name);
        Ok(Deleted { deleted })
    }
}

const THEME: &str = "theme";

impl Rpc for GetSettings {
    type Out = Settings;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        wb.settings(None)
    }
}

impl Rpc for SaveSettings {
    type Out = Settings;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        wb.store()?.set_setting(THEME, &self.theme)?;
        wb.settings(None)
    }
}

impl Rpc for SetDataFolder {
    type Out = Settings;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        let _gate = wb.history_gate();
        wb.refuse_while_running("move the data folder")?;
        let moved = wb
            .host
            .data()
            .move_to(std::path::Path::new(self.folder.trim()), self.copy)?;
        wb.settings(Some(moved))
    }
}

impl Rpc for SavePrices {
    type Out = Settings;
    async fn run<H: Host>(self, wb: &Workbench<H>) -> Result<Self::Out, CommandError> {
        wb.host.data().save_prices(&self.prices)?;
        wb.settings(None)
    }
}

// ---- the workbench ---------------------------------------------------------------------

impl<H: Host> Workbench<H> {
    /// [`Workbench::handle`] for servers (`quarry serve`, the desktop app): commands read and
    /// write SQLite synchronously, and a locked database makes them wait up to the busy timeout
    /// (10 s), so each runs on the blocking pool, where it holds one of that pool's threads
    /// rather than one of the few workers every other request and window needs.
    pub async fn handle_blocking(
        self: &Arc<Self>,
        command: Command,
    ) -> Result<Value, CommandError> {
        let workbench = self.clone();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || runtime.block_on(workbench.handle(command)))
            .await
            .unwrap_or_else(|e| {
                Err(CommandError::new(
                    "internal",
                    format!("the command stopped: {e}"),
                    "report this as a bug",
                ))
            })
    }
}

/// A run about to start.
struct PendingRun {
    stream_id: String,
    request: ExtractRequest,
    schema_name: String,
    schema_text: String,
    stream: Option<StreamKind>,
    profile: Option<String>,
}

/// Handles commands for one host.
pub struct Workbench<H: Host> {
    host: Arc<H>,
    client: Arc<Client>,
    keys: Arc<dyn quarry_engine::KeySource>,
    running: Arc<Mutex<HashMap<String, Canceller>>>,
    /// Held while the data folder moves or the history is compacted, and while a run is
    /// recorded and registered as going: a run starts wholly before (and the move is refused)
    /// or after (in the new folder), never in between.
    history_gate: Mutex<()>,
    schemas: orchestrate::SchemaCache,
}

impl<H: Host> Workbench<H> {
    pub fn new(host: H) -> Self {
        let keys = host.keys();
        let client = Client::builder().keys(keys.clone()).build();
        Workbench {
            host: Arc::new(host),
            client: Arc::new(client),
            keys,
            running: Arc::new(Mutex::new(HashMap::new())),
            history_gate: Mutex::new(()),
            schemas: orchestrate::SchemaCache::default(),
        }
    }

    /// The host this workbench serves.
    pub fn host(&self) -> &H {
        &self.host
    }

    /// The engine client runs go through (hooks added to it apply to every run).
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn store(&self) -> Result<Store, CommandError> {
        Ok(Store::open(&self.host.data().db_path())?)
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Canceller>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn history_gate(&self) -> std::sync::MutexGuard<'_, ()> {
        self.history_gate.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Refuses `what` while runs are going: they write to the history in use. Called with the
    /// history gate held, so none starts until `what` is done.
    fn refuse_while_running(&self, what: &str) -> Result<(), CommandError> {
        match self.running().len() {
            0 => Ok(()),
            going => Err(CommandError::new(
                "run_going",
                format!("{going} run(s) are going, and they write to the history in use"),
                format!("wait for the runs to end, or cancel them, then {what}"),
            )),
        }
    }

    fn settings(&self, moved: Option<Moved>) -> Result<Settings, CommandError> {
        let theme = self.store()?.setting::<Theme>(THEME)?.unwrap_or_default();
        let data = self.host.data();
        let location = data.location();
        Ok(Settings {
            theme,
            database: location.db.display().to_string(),
            data_folder: location.folder().display().to_string(),
            data_folder_pinned_by: location.pinned_by,
            data_folder_missing: location.missing.map(|m| m.display().to_string()),
            moved,
            prices: data.prices().prices,
            user_prices: data.user_prices(),
            prices_file: data.prices_file().display().to_string(),
            prices_problem: data.prices_problem(),
        })
    }

    /// Checks and records a run (see [`orchestrate::prepare`]).
    pub fn prepare(&self, spec: RunSpec) -> Result<Prepared, StartError> {
        orchestrate::prepare(&self.client, self.host.as_ref(), &self.schemas, spec)
    }

    /// The request a run of `request` would send first (see [`Client::preview`]).
    pub async fn preview(
        &self,
        request: &ExtractRequest,
        schema_text: &str,
        stream: Option<StreamKind>,
    ) -> Result<RequestPreview, StartError> {
        let schema = self.schemas.get(schema_text)?;
        Ok(self.client.preview(request, &schema, stream).await?)
    }

    /// Runs a prepared run to its end, its events to `stream_id` (see
    /// [`orchestrate::execute`]); `cancel` stops it.
    pub async fn execute(
        &self,
        prepared: Prepared,
        stream_id: &str,
        cancel: Canceller,
    ) -> Finished {
        let host: Arc<dyn Host> = self.host.clone();
        orchestrate::execute(&self.client, host, prepared, stream_id, cancel).await
    }

    /// Records and starts a run in the background; its events go to `stream_id`, and its end
    /// (with any failure to record it) to [`Host::run_ended`].
    fn start(&self, run: PendingRun) -> Result<i64, CommandError> {
        let _gate = self.history_gate();
        let prepared = self.prepare(RunSpec {
            request: run.request,
            schema_name: run.schema_name,
            schema_text: run.schema_text,
            stream: run.stream,
            profile: run.profile,
            prompt_name: "workbench".into(),
            record: true,
        })?;
        // Recorded, unless another process holds the history: then the run still goes on, and
        // its end says why it is not there (the UI shows it from the events it got).
        let run_id = prepared.run_id().unwrap_or(0);
        let canceller = Canceller::new();
        let stream_id = run.stream_id;
        self.running().insert(stream_id.clone(), canceller.clone());
        let (client, host, running) =
            (self.client.clone(), self.host.clone(), self.running.clone());
        tokio::spawn(async move {
            let dyn_host: Arc<dyn Host> = host.clone();
            let finished =
                orchestrate::execute(&client, dyn_host, prepared, &stream_id, canceller).await;
            host.run_ended(&stream_id, &finished.end());
            running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&stream_id);
        });
        Ok(run_id)
    }

    /// True while a run started under `stream_id` has not finished recording.
    pub fn is_running(&self, stream_id: &str) -> bool {
        self.running().contains_key(stream_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_become_command_names() {
        assert_eq!(snake("SaveSchema"), "save_schema");
        assert_eq!(snake("ListProviders"), "list_providers");
        // Naming a result type writes its declaration: into a folder of the test's own, not
        // this crate's (a `bindings/` folder there once held stale copies).
        let dir = std::env::temp_dir().join(format!("quarry-ts-{}", std::process::id()));
        let cfg = ts_rs::Config::new().with_out_dir(&dir);
        let results = command_results(&cfg);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(results.contains("  save_schema: Saved,\n"), "{results}");
        assert!(
            results.contains("  search_runs: Array<RunSummary>,\n"),
            "{results}"
        );
    }

    #[test]
    fn a_key_never_prints() {
        let cmd: Command = serde_json::from_str(
            r#"{"cmd": "set_key", "provider": "openai", "key": "sk-secret-123"}"#,
        )
        .unwrap();
        assert!(!format!("{cmd:?}").contains("sk-secret"));
    }
}
