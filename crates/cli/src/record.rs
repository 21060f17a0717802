//! The CLI as a host of the workbench: runs go through the workbench's one orchestration (which
//! records them), their events reach the terminal from here, and how a run ended becomes an
//! exit status.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use quarry_engine::{EventRecord, KeySource, RunEvent};
use quarry_store::location::Location;
use quarry_workbench::data::DataFolder;
use quarry_workbench::orchestrate::{RunEnd, StartError};
use quarry_workbench::{Host, Workbench};
use tokio::sync::mpsc;

use crate::report::Failure;

/// The exit status of a run that succeeded (its result printed) but is not in the run history
/// (README, `quarry --help`).
pub const NOT_RECORDED: i32 = 6;

/// The data the CLI works with: the history at `location` and the price table — Quarry's,
/// with the user's file (`$QUARRY_PRICES`, else `prices.json` beside the history) over it. A
/// price file that cannot be read stops the CLI rather than print costs from prices the user
/// did not choose.
pub fn data(location: Location) -> Result<DataFolder, Failure> {
    let data = DataFolder::new(
        location,
        std::env::var_os("QUARRY_PRICES").map(PathBuf::from),
    );
    match data.prices_problem() {
        Some(problem) => Err(Failure::input(
            problem,
            "fix the JSON (see `quarry prices` for the format), or remove the file",
        )),
        None => Ok(data),
    }
}

/// What the terminal does with a run's events.
pub struct CliHost {
    pub data: DataFolder,
    pub keys: Arc<dyn KeySource>,
    /// `--events`: every event as a JSON line on stderr.
    pub print_events: bool,
    /// A stream's view reads the events from here.
    pub sink: Option<mpsc::UnboundedSender<EventRecord>>,
    /// Files are attached: say on stderr what was done to them (a PDF sent as its text, an
    /// address fetched), since the answer depends on it.
    pub notices: bool,
}

impl Host for CliHost {
    fn data(&self) -> &DataFolder {
        &self.data
    }
    fn keys(&self) -> Arc<dyn KeySource> {
        self.keys.clone()
    }
    fn emit(&self, _stream_id: &str, event: &EventRecord) {
        if self.print_events
            && let Ok(line) = serde_json::to_string(event)
        {
            let _ = writeln!(std::io::stderr().lock(), "{}", crate::term::clean(&line));
        }
        if self.notices && !self.print_events {
            notice(&event.event);
        }
        if let Some(sink) = &self.sink {
            let _ = sink.send(event.clone());
        }
    }
    fn wants_events(&self) -> bool {
        self.print_events || self.sink.is_some() || self.notices
    }
    fn run_ended(&self, _stream_id: &str, _end: &RunEnd) {}
}

/// What was done to an attached file, as a line on stderr.
fn notice(event: &RunEvent) {
    let line = match event {
        RunEvent::PdfText {
            document,
            pages,
            chars,
        } => format!(
            "quarry: the provider cannot read PDFs: `{document}` was sent as its text ({pages} pages, {chars} characters; layout and pictures are lost)"
        ),
        RunEvent::InputFetched {
            url,
            media_type,
            bytes,
        } => format!(
            "quarry: fetched `{url}` ({media_type}, {}) to send it inline",
            quarry_engine::limits::human_bytes(*bytes)
        ),
        _ => return,
    };
    crate::term::eprintln(line);
}

/// The workbench for one CLI command: keys from the keychain, then the environment.
/// `notices`: files are attached (see [`CliHost::notices`]).
pub fn workbench(
    location: Location,
    print_events: bool,
    sink: Option<mpsc::UnboundedSender<EventRecord>>,
    notices: bool,
) -> Result<Workbench<CliHost>, Failure> {
    Ok(Workbench::new(CliHost {
        data: data(location)?,
        keys: Arc::new(quarry_store::secrets::KeychainThenEnv::default()),
        print_events,
        sink,
        notices,
    }))
}

/// A run that could not start, as the CLI reports it.
pub fn start_failure(e: StartError) -> Failure {
    match e {
        StartError::Engine(e) => e.into(),
        StartError::Store(e) => crate::runs::store_failure(e),
    }
}

/// Tells the user, after the result, that the history is missing a run (or part of it).
/// Returns the exit status to use when the run itself succeeded.
pub fn report(e: &quarry_store::StoreError) -> i32 {
    crate::term::eprintln(format!(
        "quarry: the run was not recorded in the run history: {e}\n  fix: {}",
        e.hint()
    ));
    NOT_RECORDED
}
