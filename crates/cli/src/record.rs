//! Recording runs from the CLI: a run row and a recorder per extraction, unless `--no-save`.

use std::sync::Arc;

use quarry_engine::{EventObserver, EventRecord, ExtractRequest, StreamKind};
use quarry_store::{NewRun, Recorder, Store};

use crate::report::Failure;

/// Records runs unless `--no-save`: each run gets a row and a recorder for its events.
pub struct History {
    pub store: Option<Store>,
    pub schema_name: String,
    pub schema_body: String,
}

impl History {
    /// Starts recording a run; returns the recorder whose observer goes into the call.
    pub fn begin(
        &mut self,
        req: &ExtractRequest,
        stream: Option<StreamKind>,
    ) -> Result<Option<Recorder>, Failure> {
        let Some(mut store) = self.store.take() else {
            return Ok(None);
        };
        let id = store
            .start_run(&NewRun {
                project: "default",
                schema_name: &self.schema_name,
                schema_body: &self.schema_body,
                prompt_name: "cli",
                request: req,
                stream,
            })
            .map_err(crate::runs::store_failure)?;
        Ok(Some(Recorder::spawn(store, id)))
    }

    pub fn end(&mut self, recorder: Option<Recorder>) -> Result<(), Failure> {
        if let Some(r) = recorder {
            self.store = Some(r.finish().map_err(crate::runs::store_failure)?);
        }
        Ok(())
    }
}

/// Calls every observer given.
pub fn fan_out(observers: Vec<EventObserver>) -> Option<EventObserver> {
    match observers.len() {
        0 => None,
        1 => observers.into_iter().next(),
        _ => Some(Arc::new(move |e: &EventRecord| {
            for o in &observers {
                o(e);
            }
        })),
    }
}
