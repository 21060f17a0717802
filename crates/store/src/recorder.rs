//! Recording a run while it happens: events go to a writer thread with its own connection,
//! which commits them in short batched transactions (at most a few milliseconds apart), so
//! killing the process loses only the last moment's events and never blocks the run.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use quarry_engine::{EventObserver, EventRecord, RunEvent, Usage};
use rusqlite::{Transaction, params};

use crate::db::Store;
use crate::error::StoreError;
use crate::prices::Price;
use crate::runs::RunId;

/// The longest an event waits before it is committed.
const BATCH_WINDOW: Duration = Duration::from_millis(10);
const BATCH_MAX: usize = 1024;

enum Msg {
    Event(Box<EventRecord>),
    Finish,
}

pub struct Recorder {
    run: RunId,
    tx: mpsc::Sender<Msg>,
    handle: Option<JoinHandle<Result<Store, StoreError>>>,
}

impl Recorder {
    /// Starts recording into `run` (created with [`Store::start_run`]); the store moves to the
    /// writer thread and comes back from [`Recorder::finish`]. With a price, attempts and the
    /// run get an estimated cost.
    pub fn spawn(store: Store, run: RunId, price: Option<Price>) -> Recorder {
        let (tx, rx) = mpsc::channel::<Msg>();
        let handle = std::thread::spawn(move || write_loop(store, run, price, rx));
        Recorder {
            run,
            tx,
            handle: Some(handle),
        }
    }

    /// The run being recorded.
    pub fn run_id(&self) -> RunId {
        self.run
    }

    /// An observer to pass to the engine (`CallOptions::observer`).
    pub fn observer(&self) -> EventObserver {
        let tx = self.tx.clone();
        Arc::new(move |e: &EventRecord| {
            let _ = tx.send(Msg::Event(Box::new(e.clone())));
        })
    }

    /// Writes what is pending and returns the store.
    pub fn finish(mut self) -> Result<Store, StoreError> {
        let _ = self.tx.send(Msg::Finish);
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(StoreError::Sqlite(rusqlite::Error::InvalidQuery)),
        }
    }
}

fn write_loop(
    mut store: Store,
    run: RunId,
    price: Option<Price>,
    rx: mpsc::Receiver<Msg>,
) -> Result<Store, StoreError> {
    let mut batch: Vec<EventRecord> = Vec::new();
    loop {
        let mut finished = false;
        match rx.recv() {
            Ok(Msg::Event(e)) => batch.push(*e),
            Ok(Msg::Finish) | Err(_) => finished = true,
        }
        let deadline = Instant::now() + BATCH_WINDOW;
        while !finished && batch.len() < BATCH_MAX {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Msg::Event(e)) => batch.push(*e),
                Ok(Msg::Finish) | Err(RecvTimeoutError::Disconnected) => finished = true,
                Err(RecvTimeoutError::Timeout) => break,
            }
        }
        if !batch.is_empty() {
            let tx = store.write()?;
            for e in batch.drain(..) {
                write_event(&tx, run, price.as_ref(), &e)?;
            }
            tx.commit()?;
        }
        if finished {
            return Ok(store);
        }
    }
}

/// The event's `type` as serialized (a match, so a new event kind cannot be forgotten).
fn kind(e: &RunEvent) -> &'static str {
    match e {
        RunEvent::RunStarted { .. } => "run_started",
        RunEvent::CompletionKwargs { .. } => "completion:kwargs",
        RunEvent::CompletionResponse { .. } => "completion:response",
        RunEvent::Partial { .. } => "partial",
        RunEvent::Item { .. } => "item",
        RunEvent::ItemInvalid { .. } => "item_invalid",
        RunEvent::CompletionError { .. } => "completion:error",
        RunEvent::ParseError { .. } => "parse:error",
        RunEvent::Reask { .. } => "reask",
        RunEvent::CompletionLastAttempt { .. } => "completion:last_attempt",
        RunEvent::HookFailed { .. } => "hook_failed",
        RunEvent::RunSucceeded { .. } => "run_succeeded",
        RunEvent::RunFailed { .. } => "run_failed",
    }
}

fn usage_params(u: &Usage) -> (i64, i64, i64, Option<i64>, Option<i64>) {
    (
        u.prompt_tokens as i64,
        u.completion_tokens as i64,
        u.total_tokens as i64,
        u.cached_tokens.map(|t| t as i64),
        u.reasoning_tokens.map(|t| t as i64),
    )
}

fn write_event(
    tx: &Transaction<'_>,
    run: RunId,
    price: Option<&Price>,
    e: &EventRecord,
) -> Result<(), StoreError> {
    let cost = |u: &Usage| price.map(|p| p.cost(u));
    tx.prepare_cached(
        "INSERT OR IGNORE INTO events (run_id, seq, type, t_ms, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        run,
        e.seq as i64,
        kind(&e.event),
        e.t_ms,
        serde_json::to_string(e)?
    ])?;
    match &e.event {
        RunEvent::CompletionResponse {
            attempt,
            latency_ms,
            usage,
            ..
        } => {
            let (p, c, t, _, _) = usage_params(usage);
            tx.prepare_cached(
                "INSERT INTO attempts (run_id, number, latency_ms, prompt_tokens, completion_tokens, total_tokens, cost_usd)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (run_id, number) DO UPDATE SET latency_ms = ?3, prompt_tokens = ?4,
                     completion_tokens = ?5, total_tokens = ?6, cost_usd = ?7",
            )?
            .execute(params![run, attempt.attempt, latency_ms, p, c, t, cost(usage)])?;
        }
        RunEvent::ParseError {
            attempt,
            error,
            raw,
            ..
        } => {
            tx.prepare_cached(
                "INSERT INTO attempts (run_id, number, error, raw) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (run_id, number) DO UPDATE SET error = ?3, raw = ?4",
            )?
            .execute(params![run, attempt.attempt, error, raw])?;
        }
        RunEvent::RunSucceeded {
            attempts,
            value,
            usage,
            latency_ms,
        } => {
            let text = serde_json::to_string(value)?;
            tx.execute(
                "INSERT OR REPLACE INTO results (run_id, value) VALUES (?1, ?2)",
                params![run, text],
            )?;
            tx.execute(
                "UPDATE run_search SET result = ?2 WHERE rowid = ?1",
                params![run, text],
            )?;
            let end = RunEnd {
                status: "succeeded",
                attempts: *attempts,
                usage,
                latency_ms: *latency_ms,
                cost: cost(usage),
                error: None,
            };
            finish_run(tx, run, &end)?;
        }
        RunEvent::RunFailed {
            attempts,
            error,
            usage,
            latency_ms,
        } => {
            let status = if error.code == "cancelled" {
                "cancelled"
            } else {
                "failed"
            };
            tx.execute(
                "UPDATE run_search SET error = ?2 WHERE rowid = ?1",
                params![run, format!("{} {}", error.code, error.message)],
            )?;
            let end = RunEnd {
                status,
                attempts: *attempts,
                usage,
                latency_ms: *latency_ms,
                cost: cost(usage),
                error: Some((&error.code, &error.message)),
            };
            finish_run(tx, run, &end)?;
        }
        _ => {}
    }
    Ok(())
}

/// How a run ended, for its summary row.
struct RunEnd<'a> {
    status: &'a str,
    attempts: u32,
    usage: &'a Usage,
    latency_ms: f64,
    cost: Option<f64>,
    error: Option<(&'a str, &'a str)>,
}

fn finish_run(tx: &Transaction<'_>, run: RunId, end: &RunEnd<'_>) -> Result<(), StoreError> {
    let (p, c, t, cached, reasoning) = usage_params(end.usage);
    tx.execute(
        "UPDATE runs SET status = ?2, attempts = ?3, prompt_tokens = ?4, completion_tokens = ?5,
             total_tokens = ?6, cached_tokens = ?7, reasoning_tokens = ?8, latency_ms = ?9,
             error_code = ?10, error_message = ?11, cost_usd = ?12,
             finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE id = ?1",
        params![
            run,
            end.status,
            end.attempts,
            p,
            c,
            t,
            cached,
            reasoning,
            end.latency_ms,
            end.error.map(|e| e.0),
            end.error.map(|e| e.1),
            end.cost
        ],
    )?;
    Ok(())
}
