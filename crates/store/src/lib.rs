//! # quarry-store
//!
//! Quarry's run history in SQLite: embedded migrations, versioned schemas and prompts, runs
//! with their attempts, results and the complete event log, written while a run streams so a
//! crash loses nothing already received.

mod compact;
mod db;
pub mod diff;
mod error;
mod export;
pub mod library;
pub mod location;
mod owner;
mod payload;
pub mod prices;
mod recorder;
mod runs;
pub mod secrets;
mod settings;

pub use compact::Compacted;
pub use db::{BUSY_TIMEOUT, Store, default_path};
pub use error::StoreError;
pub use export::{AttemptArchive, EventArchive, ExportFormat, RunArchive};
pub use payload::{STRING_MIN, TREE_MIN};
pub use recorder::{Recorder, RetryPolicy};
pub use runs::{
    AttemptRow, EventRow, NewRun, RunDetail, RunId, RunStatus, RunSummary, SEARCH_FIELD_MAX,
    SearchQuery,
};
