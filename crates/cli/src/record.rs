//! Recording runs from the CLI: a run row and a recorder per extraction, unless `--no-save`.

use std::sync::Arc;

use quarry_engine::{EventObserver, EventRecord, ExtractRequest, StreamKind};
use quarry_store::prices::PriceTable;
use quarry_store::{NewRun, Recorder, Store};

use crate::report::Failure;

/// Records runs unless `--no-save`: each run gets a row and a recorder for its events.
pub struct History {
    pub store: Option<Store>,
    pub schema_name: String,
    pub schema_body: String,
    pub prices: PriceTable,
}

/// The price table: Quarry's, with the user's file (`$QUARRY_PRICES`, else
/// `<data folder>/quarry/prices.json`) over it.
pub fn prices() -> Result<PriceTable, Failure> {
    let path = std::env::var_os("QUARRY_PRICES")
        .map(std::path::PathBuf::from)
        .or_else(|| dirs_path().map(|d| d.join("prices.json")));
    match path {
        Some(p) => PriceTable::with_overrides(&p).map_err(|e| {
            Failure::input(
                e.to_string(),
                "fix the JSON (see `quarry prices` for the format), or remove the file",
            )
        }),
        None => Ok(PriceTable::builtin()),
    }
}

fn dirs_path() -> Option<std::path::PathBuf> {
    quarry_store::default_path().and_then(|p| p.parent().map(|d| d.to_path_buf()))
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
                profile: None,
            })
            .map_err(crate::runs::store_failure)?;
        let price = self.prices.lookup(&req.provider, &req.model).cloned();
        Ok(Some(Recorder::spawn(store, id, price)))
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
