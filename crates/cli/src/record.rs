//! Recording runs from the CLI: a run row and a recorder per extraction, unless `--no-save`.

use std::sync::Arc;

use quarry_engine::{EventObserver, EventRecord, ExtractRequest, StreamKind};
use quarry_store::prices::PriceTable;
use quarry_store::{NewRun, Recorder, Store, StoreError};

use crate::report::Failure;

/// The exit status of a run that succeeded (its result printed) but is not in the run history
/// (README, `quarry --help`).
pub const NOT_RECORDED: i32 = 6;

/// Records runs unless `--no-save`: each run gets a row and a recorder for its events.
pub struct History {
    pub store: Option<Store>,
    pub schema_name: String,
    pub schema_body: String,
    pub prices: PriceTable,
    /// Why a run (or the history itself) could not be recorded: reported beside the result.
    pub failure: Option<StoreError>,
}

impl History {
    /// Opens the history at `path` (`None`: `--no-save`). A database locked by another
    /// process for longer than Quarry waits does not stop the run: it goes on unrecorded and
    /// says so at the end. Anything else wrong with the file is bad input, found before
    /// anything is spent.
    pub fn open(
        path: Option<std::path::PathBuf>,
        schema_name: String,
        schema_body: String,
        prices: PriceTable,
    ) -> Result<History, Failure> {
        let mut history = History {
            store: None,
            schema_name,
            schema_body,
            prices,
            failure: None,
        };
        if let Some(path) = path {
            match Store::open(&path) {
                Ok(store) => history.store = Some(store),
                Err(e) if e.is_busy() => history.failure = Some(e),
                Err(e) => return Err(crate::runs::store_failure(e)),
            }
        }
        Ok(history)
    }

    /// Tells the user, after the result, that the history is missing this run. Returns the
    /// exit status to use when the run itself succeeded.
    pub fn report(&self) -> Option<i32> {
        let e = self.failure.as_ref()?;
        crate::term::eprintln(format!(
            "quarry: the run was not recorded in the run history: {e}\n  fix: {}",
            e.hint()
        ));
        Some(NOT_RECORDED)
    }
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
        let started = store.start_run(&NewRun {
            project: "default",
            schema_name: &self.schema_name,
            schema_body: &self.schema_body,
            prompt_name: "cli",
            request: req,
            stream,
            profile: None,
        });
        let id = match started {
            Ok(id) => id,
            Err(e) if e.is_busy() => {
                self.store = Some(store);
                self.failure = Some(e);
                return Ok(None);
            }
            Err(e) => return Err(crate::runs::store_failure(e)),
        };
        let price = self.prices.lookup(&req.provider, &req.model).cloned();
        Ok(Some(Recorder::spawn(store, id, price)))
    }

    /// Waits for the run's events to be written. A failure is kept for [`History::report`]:
    /// the run's own result matters more and is printed first.
    pub fn end(&mut self, recorder: Option<Recorder>) {
        if let Some(r) = recorder {
            match r.finish() {
                Ok(store) => self.store = Some(store),
                Err(e) => self.failure = Some(e),
            }
        }
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
