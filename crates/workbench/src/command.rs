//! The commands and their handlers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use quarry_engine::{
    CallOptions, Canceller, Client, EventObserver, EventRecord, ExtractRequest, Message,
    ResponseSchema, StreamKind,
};
use quarry_store::library::{Kind, Profile};
use quarry_store::{ExportFormat, NewRun, Recorder, RunArchive, SearchQuery, Store};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::CommandError;
use crate::host::Host;

fn default_limit() -> u32 {
    50
}

/// Everything the UI can ask for. Serialized as `{"cmd": "save_schema", …fields}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// Providers with their base URL, key variable, default mode and modes.
    ListProviders,
    /// The example schemas built in (name, schema text, sample input).
    ListExamples,
    ListSchemas,
    SaveSchema {
        name: String,
        body: String,
    },
    SchemaVersions {
        name: String,
    },
    DiffSchemaVersions {
        name: String,
        a: i64,
        b: i64,
    },
    ListPrompts,
    SavePrompt {
        name: String,
        messages: Vec<Message>,
    },
    PromptVersions {
        name: String,
    },
    ListProfiles,
    SaveProfile {
        profile: Profile,
    },
    DeleteProfile {
        name: String,
    },
    /// Starts a run; its events go to `stream_id`. Returns `{run_id}` at once.
    StartRun {
        stream_id: String,
        request: ExtractRequest,
        schema_name: String,
        /// The schema's JSON text.
        schema: String,
        #[serde(default)]
        stream: Option<StreamKind>,
        /// The saved profile the request was built from, recorded with the run.
        #[serde(default)]
        profile: Option<String>,
    },
    /// Cancels the run started under `stream_id`.
    CancelRun {
        stream_id: String,
    },
    ListRuns {
        #[serde(default = "default_limit")]
        limit: u32,
        #[serde(default)]
        offset: u32,
    },
    /// `text` (every word must match), `schema`, `provider`, `model`, `status`, `since`,
    /// `until`, `limit`, `offset`; all optional.
    SearchRuns(SearchQuery),
    ShowRun {
        id: i64,
    },
    /// Results as text: `json`, `jsonl` or `csv` (with `explode` for one array field).
    ExportResults {
        ids: Vec<i64>,
        format: String,
        #[serde(default)]
        explode: Option<String>,
    },
    ExportRun {
        id: i64,
    },
    ImportRun {
        archive: RunArchive,
    },
    /// Runs a recorded run again under `stream_id`; returns `{run_id}` of the new run.
    RerunRun {
        id: i64,
        stream_id: String,
    },
    DiffRuns {
        a: i64,
        b: i64,
    },
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
    running: Arc<Mutex<HashMap<String, Canceller>>>,
}

impl<H: Host> Workbench<H> {
    pub fn new(host: H) -> Self {
        let client = Client::builder().keys(host.keys()).build();
        Workbench {
            host: Arc::new(host),
            client: Arc::new(client),
            running: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn store(&self) -> Result<Store, CommandError> {
        Ok(Store::open(&self.host.db_path())?)
    }

    /// Runs one command. Needs a Tokio runtime (runs are spawned on it).
    pub async fn handle(&self, command: Command) -> Result<Value, CommandError> {
        use Command::*;
        Ok(match command {
            ListProviders => {
                let list: Vec<Value> = quarry_engine::provider::presets::PRESETS
                    .iter()
                    .map(|p| {
                        json!({"name": p.name, "base_url": p.base_url, "key_env": p.key_env,
                               "key_required": p.key_required, "default_mode": p.default_mode,
                               "modes": p.modes})
                    })
                    .collect();
                json!(list)
            }
            ListExamples => json!(crate::examples::EXAMPLES),
            ListSchemas => json!(self.store()?.list_named(Kind::Schema)?),
            SaveSchema { name, body } => {
                json!({"version": self.store()?.save_version(Kind::Schema, &name, &body)?})
            }
            SchemaVersions { name } => json!(self.store()?.versions(Kind::Schema, &name)?),
            DiffSchemaVersions { name, a, b } => {
                json!(self.store()?.diff_versions(Kind::Schema, &name, a, b)?)
            }
            ListPrompts => json!(self.store()?.list_named(Kind::Prompt)?),
            SavePrompt { name, messages } => {
                let body = serde_json::to_string(&messages)?;
                json!({"version": self.store()?.save_version(Kind::Prompt, &name, &body)?})
            }
            PromptVersions { name } => json!(self.store()?.versions(Kind::Prompt, &name)?),
            ListProfiles => json!(self.store()?.profiles()?),
            SaveProfile { profile } => {
                self.store()?.save_profile(&profile)?;
                json!({"saved": profile.name})
            }
            DeleteProfile { name } => json!({"deleted": self.store()?.delete_profile(&name)?}),
            StartRun {
                stream_id,
                request,
                schema_name,
                schema,
                stream,
                profile,
            } => {
                let run = PendingRun {
                    stream_id,
                    request,
                    schema_name,
                    schema_text: schema,
                    stream,
                    profile,
                };
                json!({"run_id": self.start(run)?})
            }
            CancelRun { stream_id } => {
                let found = self
                    .running
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&stream_id)
                    .cloned();
                if let Some(c) = &found {
                    c.cancel();
                }
                json!({"cancelled": found.is_some()})
            }
            ListRuns { limit, offset } => json!(self.store()?.list_runs(limit, offset)?),
            SearchRuns(mut query) => {
                if query.limit == 0 {
                    query.limit = default_limit();
                }
                json!(self.store()?.search_runs(&query)?)
            }
            ShowRun { id } => json!(self.store()?.show_run(id)?),
            ExportResults {
                ids,
                format,
                explode,
            } => {
                let format = match format.as_str() {
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
                let rows = self.store()?.export_results(
                    &ids,
                    format,
                    explode.as_deref(),
                    &mut out,
                    &mut |_, _| {},
                )?;
                json!({"rows": rows, "text": String::from_utf8_lossy(&out)})
            }
            ExportRun { id } => json!(self.store()?.export_run(id)?),
            ImportRun { archive } => json!({"run_id": self.store()?.import_run(&archive)?}),
            RerunRun { id, stream_id } => {
                let store = self.store()?;
                let run = store.show_run(id)?;
                let schema = store.schema_text(id)?;
                let request: ExtractRequest = serde_json::from_value(run.spec)?;
                let stream = run.stream.as_deref().map(|s| match s {
                    "iterable" => StreamKind::Iterable,
                    _ => StreamKind::Partial,
                });
                let again = PendingRun {
                    stream_id,
                    request,
                    schema_name: run.summary.schema,
                    schema_text: schema,
                    stream,
                    profile: run.summary.profile,
                };
                json!({"run_id": self.start(again)?})
            }
            DiffRuns { a, b } => {
                let store = self.store()?;
                let (ra, rb) = (store.show_run(a)?, store.show_run(b)?);
                let result = quarry_store::diff::diff(
                    ra.result.as_ref().unwrap_or(&Value::Null),
                    rb.result.as_ref().unwrap_or(&Value::Null),
                );
                json!({"result": result, "spec": quarry_store::diff::diff(&ra.spec, &rb.spec)})
            }
        })
    }

    /// Records and starts a run in the background; its events go to `stream_id`.
    fn start(&self, run: PendingRun) -> Result<i64, CommandError> {
        let PendingRun {
            stream_id,
            request,
            schema_name,
            schema_text,
            stream,
            profile,
        } = run;
        let schema = Arc::new(
            ResponseSchema::from_json_str(&schema_text).map_err(quarry_engine::Error::Schema)?,
        );
        // Bad input fails here, before a run row exists.
        self.client.resolve(&request)?;
        quarry_engine::template::render_messages(&request.messages, &request.context)
            .map_err(quarry_engine::Error::Template)?;
        let mut store = self.store()?;
        let run_id = store.start_run(&NewRun {
            project: "default",
            schema_name: &schema_name,
            schema_body: &schema_text,
            prompt_name: "workbench",
            request: &request,
            stream,
            profile: profile.as_deref(),
        })?;
        let price = self
            .host
            .prices()
            .lookup(&request.provider, &request.model)
            .cloned();
        let recorder = Recorder::spawn(store, run_id, price);
        let host = self.host.clone();
        let id = stream_id.clone();
        let forward: EventObserver = Arc::new(move |e: &EventRecord| host.emit(&id, e));
        let record = recorder.observer();
        let canceller = Canceller::new();
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(stream_id.clone(), canceller.clone());
        let options = CallOptions {
            observer: Some(Arc::new(move |e: &EventRecord| {
                record(e);
                forward(e);
            })),
            cancel: Some(canceller),
            ..Default::default()
        };
        let client = self.client.clone();
        let running = self.running.clone();
        tokio::spawn(async move {
            match stream {
                Some(kind) => {
                    if let Ok(run) = client.stream(request, schema, kind, options) {
                        let _ = run.finish().await;
                    }
                }
                None => {
                    let _ = client.extract_value_with(&request, &schema, &options).await;
                    drop(options);
                }
            }
            // Waits for the last events to be written (the recorder's thread).
            let _ = tokio::task::spawn_blocking(move || recorder.finish()).await;
            running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&stream_id);
        });
        Ok(run_id)
    }

    /// True while a run started under `stream_id` has not finished recording.
    pub fn is_running(&self, stream_id: &str) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(stream_id)
    }
}
