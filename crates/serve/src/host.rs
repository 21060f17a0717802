//! What `quarry serve` gives the workbench: the database, keys, prices, and a hub that sends
//! every run event to the windows connected over WebSocket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use quarry_engine::{EventRecord, KeySource};
use quarry_workbench::Host;
use quarry_workbench::data::DataFolder;
use quarry_workbench::orchestrate::{RunEnd, RunMessage};
use tokio::sync::mpsc;

/// The windows listening for events. Each gets every message, in order, through an unbounded
/// queue: a window that reads slowly must not lose the events of the run it shows.
#[derive(Default)]
pub struct Hub {
    windows: Mutex<HashMap<u64, mpsc::UnboundedSender<RunMessage>>>,
    next: AtomicU64,
}

impl Hub {
    pub(crate) fn join(&self, tx: mpsc::UnboundedSender<RunMessage>) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.windows().insert(id, tx);
        id
    }

    pub(crate) fn leave(&self, id: u64) {
        self.windows().remove(&id);
    }

    fn windows(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<u64, mpsc::UnboundedSender<RunMessage>>> {
        self.windows.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&self, message: RunMessage) {
        // Each window's sender merges and serializes what it sends (see `forward`).
        self.windows()
            .retain(|_, tx| tx.send(message.clone()).is_ok());
    }
}

#[derive(Clone)]
pub struct ServeHost {
    data: Arc<DataFolder>,
    keys: Arc<dyn KeySource>,
    hub: Arc<Hub>,
}

impl ServeHost {
    pub fn new(data: DataFolder, keys: Arc<dyn KeySource>) -> Self {
        ServeHost {
            data: Arc::new(data),
            keys,
            hub: Arc::new(Hub::default()),
        }
    }

    pub(crate) fn hub(&self) -> Arc<Hub> {
        self.hub.clone()
    }
}

impl Host for ServeHost {
    fn data(&self) -> &DataFolder {
        &self.data
    }
    fn keys(&self) -> Arc<dyn KeySource> {
        self.keys.clone()
    }
    fn emit(&self, stream_id: &str, event: &EventRecord) {
        self.hub.send(RunMessage::Event {
            stream_id: stream_id.into(),
            event: event.clone(),
            merged: None,
        });
    }
    fn run_ended(&self, stream_id: &str, end: &RunEnd) {
        self.hub.send(RunMessage::End {
            stream_id: stream_id.into(),
            end: end.clone(),
        });
    }
}
