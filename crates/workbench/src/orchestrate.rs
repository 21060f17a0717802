//! The one run orchestration: check a run, record its row, run it with its events going to the
//! host (and to the history), cancel it, wait for the history to be written, and say how it
//! ended. `quarry extract`, `quarry runs rerun`, the desktop app and `quarry serve` all run
//! through here.

use std::sync::Arc;

use quarry_engine::{
    CallOptions, Canceller, Client, EventObserver, EventRecord, ExtractRequest, Extraction,
    ResponseSchema, StreamKind,
};
use quarry_store::{NewRun, Recorder, Store, StoreError};
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::error::CommandError;
use crate::host::Host;

/// A run to make.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub request: ExtractRequest,
    /// The schema's name in the history, and its JSON text as written.
    pub schema_name: String,
    pub schema_text: String,
    pub stream: Option<StreamKind>,
    /// The saved profile the request came from, recorded with the run.
    pub profile: Option<String>,
    /// The prompt's name in the history (`cli`, `workbench`).
    pub prompt_name: String,
    /// Record the run in the history (`quarry extract --no-save` does not).
    pub record: bool,
}

/// Why a run could not start: bad input the engine found, or a history that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Engine(#[from] quarry_engine::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<StartError> for CommandError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Engine(e) => e.into(),
            StartError::Store(e) => e.into(),
        }
    }
}

/// A checked run, its row written (unless it is not recorded), nothing sent yet.
pub struct Prepared {
    spec: RunSpec,
    schema: Arc<ResponseSchema>,
    run_id: Option<i64>,
    recorder: Option<Recorder>,
    /// Why the run will not be in the history (another process held the database).
    not_recorded: Option<StoreError>,
}

impl Prepared {
    /// The run's id in the history, when it is recorded.
    pub fn run_id(&self) -> Option<i64> {
        self.run_id
    }
}

/// How a run ended, for its caller.
pub struct Finished {
    pub result: Result<Extraction<Value>, quarry_engine::Error>,
    pub run_id: Option<i64>,
    /// The run is missing from the history, or some of its events are: why.
    pub not_recorded: Option<StoreError>,
}

/// How a run ended, as the UI hears it (after its last event, once the history is written).
#[derive(Debug, Clone, Serialize, TS)]
pub struct RunEnd {
    pub run_id: Option<i64>,
    /// `succeeded`, `failed` or `cancelled`.
    pub status: String,
    /// Why the run (or part of its events) is not in the history.
    pub not_recorded: Option<CommandError>,
}

/// What a window hears about runs, over `quarry serve`'s WebSocket or the desktop app's
/// channel alike: each event of a run, then its end, tagged with the stream id the window
/// chose when it started the run.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(untagged)]
pub enum RunMessage {
    Event {
        stream_id: String,
        event: EventRecord,
        /// How many recorded partial events this one stands for, when a window was sent
        /// several merged into one (see [`crate::live`]); absent for one.
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        merged: Option<u32>,
    },
    End {
        stream_id: String,
        end: RunEnd,
    },
}

impl Finished {
    pub fn end(&self) -> RunEnd {
        RunEnd {
            run_id: self.run_id,
            status: match &self.result {
                Ok(_) => "succeeded",
                Err(quarry_engine::Error::Cancelled { .. }) => "cancelled",
                Err(_) => "failed",
            }
            .into(),
            not_recorded: self
                .not_recorded
                .as_ref()
                .map(|e| CommandError::new(e.code(), e.to_string(), e.hint())),
        }
    }
}

/// The last schema prepared, by its text: `quarry extract --repeat` and a UI running one schema
/// again and again compile it once (a wide schema takes about a millisecond).
#[derive(Default)]
pub struct SchemaCache(std::sync::Mutex<Option<(String, Arc<ResponseSchema>)>>);

impl SchemaCache {
    pub(crate) fn get(&self, text: &str) -> Result<Arc<ResponseSchema>, StartError> {
        let mut last = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((t, schema)) = last.as_ref()
            && t == text
        {
            return Ok(schema.clone());
        }
        let schema =
            Arc::new(ResponseSchema::from_json_str(text).map_err(quarry_engine::Error::Schema)?);
        *last = Some((text.to_string(), schema.clone()));
        Ok(schema)
    }
}

/// Checks `spec` (schema, provider, mode, key, templates) and records its row. A history held by
/// another process for longer than Quarry waits does not stop the run: it goes on unrecorded
/// and [`Finished::not_recorded`] says why.
pub fn prepare(
    client: &Client,
    host: &dyn Host,
    schemas: &SchemaCache,
    spec: RunSpec,
) -> Result<Prepared, StartError> {
    let schema = schemas.get(&spec.schema_text)?;
    client.resolve(&spec.request)?;
    quarry_engine::template::render_messages(&spec.request.messages, &spec.request.context)
        .map_err(quarry_engine::Error::Template)?;
    if let Some(kind) = spec.stream {
        Client::check_stream(&schema, kind)?;
    }
    let mut prepared = Prepared {
        spec,
        schema,
        run_id: None,
        recorder: None,
        not_recorded: None,
    };
    if !prepared.spec.record {
        return Ok(prepared);
    }
    let opened = Store::open(&host.data().db_path()).and_then(|mut store| {
        let s = &prepared.spec;
        let id = store.start_run(&NewRun {
            project: "default",
            schema_name: &s.schema_name,
            schema_body: &s.schema_text,
            prompt_name: &s.prompt_name,
            request: &s.request,
            stream: s.stream,
            profile: s.profile.as_deref(),
        })?;
        Ok((store, id))
    });
    match opened {
        Ok((store, id)) => {
            let price = host
                .data()
                .prices()
                .lookup(
                    &prepared.spec.request.provider,
                    &prepared.spec.request.model,
                )
                .cloned();
            prepared.run_id = Some(id);
            prepared.recorder = Some(Recorder::spawn(store, id, price));
        }
        Err(e) if e.is_busy() => prepared.not_recorded = Some(e),
        Err(e) => return Err(e.into()),
    }
    Ok(prepared)
}

/// Runs a prepared run to its end: every event goes to `host.emit(stream_id, …)` and to the
/// history as it happens; `cancel` stops it (keeping what arrived). Returns once the history
/// has the run's last event, or has said why it could not take it.
pub async fn execute(
    client: &Client,
    host: Arc<dyn Host>,
    prepared: Prepared,
    stream_id: &str,
    cancel: Canceller,
) -> Finished {
    let Prepared {
        spec,
        schema,
        run_id,
        recorder,
        mut not_recorded,
    } = prepared;
    let id = stream_id.to_string();
    let watched = host.wants_events();
    let record = recorder.as_ref().map(Recorder::observer);
    let observer: Option<EventObserver> = match (record, watched) {
        (None, false) => None,
        (record, _) => Some(Arc::new(move |e: &EventRecord| {
            if let Some(record) = &record {
                record(e);
            }
            if watched {
                host.emit(&id, e);
            }
        })),
    };
    let options = CallOptions {
        observer,
        cancel: Some(cancel),
        ..Default::default()
    };
    let result = match spec.stream {
        Some(kind) => match client.stream(spec.request, schema, kind, options) {
            Ok(run) => run.finish().await,
            Err(e) => Err(e),
        },
        None => {
            client
                .extract_value_with(&spec.request, &schema, &options)
                .await
        }
    };
    if let Some(recorder) = recorder {
        // The recorder's thread writes what is pending (and may wait for a lock).
        match tokio::task::spawn_blocking(move || recorder.finish()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => not_recorded = Some(e),
            Err(join) => {
                not_recorded = Some(StoreError::RecorderPanicked {
                    run: run_id.unwrap_or_default(),
                    message: join.to_string(),
                })
            }
        }
    }
    Finished {
        result,
        run_id,
        not_recorded,
    }
}
