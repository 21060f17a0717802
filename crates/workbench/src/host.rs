use std::sync::Arc;

use quarry_engine::{EventRecord, KeySource};

use crate::data::DataFolder;

/// What the workbench needs from whoever hosts it (the desktop shell, the loopback server,
/// a test).
pub trait Host: Send + Sync + 'static {
    /// The data folder: the run-history database and the price table.
    fn data(&self) -> &DataFolder;
    /// Where API keys come from (keychain then environment in the apps).
    fn keys(&self) -> Arc<dyn KeySource>;
    /// Delivers an event of the run started under `stream_id`.
    fn emit(&self, stream_id: &str, event: &EventRecord);
    /// Whether [`Host::emit`] does anything. A run nobody watches and nothing records builds
    /// no events at all (the request and answer as JSON cost more than the call itself).
    fn wants_events(&self) -> bool {
        true
    }
    /// The run started under `stream_id` ended and the history has its last event, or has
    /// said (in `end.not_recorded`) why it could not take them.
    fn run_ended(&self, stream_id: &str, end: &crate::orchestrate::RunEnd);
}
