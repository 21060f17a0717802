//! What the desktop app gives the workbench: the data folder it shares with the CLI, keys from
//! the OS keychain (then the environment), and the windows' channels for run events.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use quarry_engine::{EventRecord, KeySource};
use quarry_store::location::{DB_FILE, Location};
use quarry_workbench::Host;
use quarry_workbench::data::DataFolder;
use quarry_workbench::live;
use quarry_workbench::orchestrate::{RunEnd, RunMessage};
use tauri::Manager;
use tauri::ipc::Channel;

pub struct DesktopHost {
    data: DataFolder,
    keys: Arc<dyn KeySource>,
    outbox: Arc<Outbox>,
}

/// A window's channel: each message on it is a batch of run messages, in order.
pub type WindowChannel = Channel<Vec<RunMessage>>;

/// Run messages on their way to the windows. The engine's event thread only queues; one sender
/// thread delivers what queued up as one batch, at most once a frame, with the partial events
/// in it merged ([`quarry_workbench::live`]): a fast stream costs each window one IPC message
/// per frame rather than one per delta (a 5,000-record stream is ~50,000 partial events), and a
/// slow one waits for nothing.
struct Outbox {
    queue: Mutex<Vec<RunMessage>>,
    ready: Condvar,
    channels: Mutex<Vec<WindowChannel>>,
}

impl Outbox {
    fn start() -> Arc<Outbox> {
        let outbox = Arc::new(Outbox {
            queue: Mutex::new(Vec::new()),
            ready: Condvar::new(),
            channels: Mutex::new(Vec::new()),
        });
        let sender = outbox.clone();
        std::thread::Builder::new()
            .name("quarry-window-events".into())
            .spawn(move || sender.deliver())
            .expect("a thread for the window events");
        outbox
    }

    fn push(&self, message: RunMessage) {
        lock(&self.queue).push(message);
        self.ready.notify_one();
    }

    fn deliver(&self) {
        let mut last: Option<Instant> = None;
        loop {
            {
                let mut queue = lock(&self.queue);
                while queue.is_empty() {
                    queue = self.ready.wait(queue).unwrap_or_else(|p| p.into_inner());
                }
            }
            // What arrives within a frame of the last delivery goes with the next one.
            if let Some(wait) = last.map(|t| live::FRAME.saturating_sub(t.elapsed())) {
                std::thread::sleep(wait);
            }
            let batch = live::coalesce(std::mem::take(&mut *lock(&self.queue)));
            // A window that went away is dropped.
            lock(&self.channels).retain(|channel| channel.send(batch.clone()).is_ok());
            last = Some(Instant::now());
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl DesktopHost {
    /// The history the CLI and `quarry serve` use too: `QUARRY_DB` when set, else the data
    /// folder chosen in the app, else the platform's (`~/.local/share/quarry` on Linux; the
    /// app's own data folder where the platform has none). Prices come from `prices.json`
    /// beside it (or `QUARRY_PRICES`); a broken price file leaves the built-in prices in
    /// effect, and Settings says why.
    pub fn for_app(app: &tauri::AppHandle) -> Result<DesktopHost, Box<dyn std::error::Error>> {
        let explicit = std::env::var_os("QUARRY_DB").map(PathBuf::from);
        let location = match Location::resolve(explicit, "QUARRY_DB") {
            Some(location) => location,
            None => Location::chosen_in(app.path().app_data_dir()?.join(DB_FILE)),
        };
        let prices_file = std::env::var_os("QUARRY_PRICES").map(PathBuf::from);
        Ok(DesktopHost::new(
            DataFolder::new(location, prices_file),
            Arc::new(quarry_store::secrets::KeychainThenEnv::default()),
        ))
    }

    pub fn new(data: DataFolder, keys: Arc<dyn KeySource>) -> DesktopHost {
        DesktopHost {
            data,
            keys,
            outbox: Outbox::start(),
        }
    }

    pub fn add_channel(&self, channel: WindowChannel) {
        lock(&self.outbox.channels).push(channel);
    }

    /// Queues for every window.
    fn send(&self, message: RunMessage) {
        self.outbox.push(message);
    }
}

impl Host for DesktopHost {
    fn data(&self) -> &DataFolder {
        &self.data
    }
    fn keys(&self) -> Arc<dyn KeySource> {
        self.keys.clone()
    }
    fn emit(&self, stream_id: &str, event: &EventRecord) {
        self.send(RunMessage::Event {
            stream_id: stream_id.into(),
            event: event.clone(),
            merged: None,
        });
    }
    fn run_ended(&self, stream_id: &str, end: &RunEnd) {
        self.send(RunMessage::End {
            stream_id: stream_id.into(),
            end: end.clone(),
        });
    }
}
