//! Recording a run while it happens: events go to a writer thread with its own connection,
//! which commits them in short batched transactions (at most a few milliseconds apart), so
//! killing the process loses only the last moment's events and never blocks the run.
//!
//! When another process holds the database's write lock, the writer keeps the events in memory
//! and tries again with backoff, for [`RetryPolicy::give_up_after`] in all (60 s by default);
//! then it stops writing and [`Recorder::finish`] says how many events were not recorded.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use quarry_engine::{EventObserver, EventRecord, RunEvent, Usage};
use rusqlite::{Transaction, params};

use crate::db::{BUSY_TIMEOUT, Store};
use crate::error::StoreError;
use crate::payload::{Chain, Payloads};
use crate::prices::Price;
use crate::runs::{RunId, searchable};

/// The longest an event waits before it is committed.
const BATCH_WINDOW: Duration = Duration::from_millis(10);
const BATCH_MAX: usize = 1024;
/// The pause after the first failed write; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// How long the recorder waits for a database that another process holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How long one write waits for the lock (SQLite's busy timeout).
    pub busy_timeout: Duration,
    /// How long after the first failed write the recorder stops trying, waits included.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    /// Each write waits 10 s; the recorder gives up 60 s after the first write that failed.
    fn default() -> Self {
        RetryPolicy {
            busy_timeout: BUSY_TIMEOUT,
            give_up_after: Duration::from_secs(60),
        }
    }
}

enum Msg {
    Event(Box<EventRecord>),
    Finish,
}

pub struct Recorder {
    run: RunId,
    tx: mpsc::Sender<Msg>,
    handle: JoinHandle<Result<Store, StoreError>>,
}

impl Recorder {
    /// Starts recording into `run` (created with [`Store::start_run`]); the store moves to the
    /// writer thread and comes back from [`Recorder::finish`]. With a price, attempts and the
    /// run get an estimated cost.
    pub fn spawn(store: Store, run: RunId, price: Option<Price>) -> Recorder {
        Recorder::spawn_with(store, run, price, RetryPolicy::default())
    }

    /// As [`Recorder::spawn`], waiting for a locked database as `policy` says.
    pub fn spawn_with(
        store: Store,
        run: RunId,
        price: Option<Price>,
        policy: RetryPolicy,
    ) -> Recorder {
        let (tx, rx) = mpsc::channel::<Msg>();
        let handle = std::thread::spawn(move || {
            let writer = Writer {
                store,
                run,
                price,
                policy,
                chain: None,
            };
            writer.run(rx)
        });
        Recorder { run, tx, handle }
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

    /// Writes what is pending and returns the store. While another process holds the
    /// database this waits, at most [`RetryPolicy::give_up_after`]; then it fails with
    /// [`StoreError::NotRecorded`], whose source says why ([`StoreError::Busy`] for a lock).
    pub fn finish(self) -> Result<Store, StoreError> {
        let _ = self.tx.send(Msg::Finish);
        joined(self.run, self.handle.join())
    }
}

/// The writer thread's result, a panic included (with its message).
fn joined(
    run: RunId,
    result: std::thread::Result<Result<Store, StoreError>>,
) -> Result<Store, StoreError> {
    result.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(StoreError::RecorderPanicked { run, message })
    })
}

/// Receives events into `pending` until `until`; without one, until the first event and then
/// for the batch window. False once the run has finished (or every sender is gone).
fn collect(
    rx: &mpsc::Receiver<Msg>,
    pending: &mut Vec<EventRecord>,
    until: Option<Instant>,
) -> bool {
    let deadline = match until {
        Some(at) => at,
        None => match rx.recv() {
            Ok(Msg::Event(e)) => {
                pending.push(*e);
                Instant::now() + BATCH_WINDOW
            }
            Ok(Msg::Finish) | Err(_) => return false,
        },
    };
    while until.is_some() || pending.len() < BATCH_MAX {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(Msg::Event(e)) => pending.push(*e),
            Ok(Msg::Finish) | Err(RecvTimeoutError::Disconnected) => return false,
            Err(RecvTimeoutError::Timeout) => break,
        }
    }
    true
}

struct Writer {
    store: Store,
    run: RunId,
    price: Option<Price>,
    policy: RetryPolicy,
    /// The last event committed, which the next is compressed against.
    chain: Option<Chain>,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Msg>) -> Result<Store, StoreError> {
        self.store.set_busy_timeout(self.policy.busy_timeout)?;
        let mut pending: Vec<EventRecord> = Vec::new();
        let mut open = true;
        // While writes fail on a lock: when the first failed write started, the next pause,
        // and when to try again.
        let mut failing: Option<(Instant, Duration)> = None;
        let mut retry_at: Option<Instant> = None;
        loop {
            if open {
                open = collect(&rx, &mut pending, retry_at);
            } else if let Some(at) = retry_at {
                std::thread::sleep(at.saturating_duration_since(Instant::now()));
            }
            if pending.is_empty() {
                if open {
                    continue;
                }
                return Ok(self.store);
            }
            let attempt = Instant::now();
            let (run, price) = (self.run, self.price.as_ref());
            let mut chain = self.chain.clone();
            let written = self.store.writing(|tx| {
                let payloads = Payloads::new(tx);
                let bodies = payloads.events(
                    &mut chain,
                    pending
                        .iter()
                        .map(|e| (e.seq, e, matches!(e.event, RunEvent::Partial { .. }))),
                )?;
                for (e, body) in pending.iter().zip(bodies) {
                    write_event(tx, &payloads, run, price, e, body)?;
                }
                Ok(())
            });
            match written {
                Ok(()) => {
                    pending.clear();
                    self.chain = chain;
                    retry_at = None;
                    if failing.take().is_some()
                        && let Err(e) = self.store.set_busy_timeout(self.policy.busy_timeout)
                    {
                        return Err(self.lost(&rx, open, 0, e));
                    }
                    continue;
                }
                Err(e) if !e.is_busy() => return Err(self.lost(&rx, open, pending.len(), e)),
                Err(_) => {}
            }
            let (since, pause) = failing.get_or_insert((attempt, FIRST_BACKOFF));
            let waited = since.elapsed();
            let left = self.policy.give_up_after.saturating_sub(waited);
            if left.is_zero() {
                let busy = StoreError::Busy {
                    path: self.store.error_path(),
                    waited,
                };
                return Err(self.lost(&rx, open, pending.len(), busy));
            }
            // Pause (with jitter, so two waiting writers do not retry in step), then try again
            // waiting no longer than the time left.
            let now = (*pause + Duration::from_millis(fastrand::u64(0..20))).min(left);
            *pause = (*pause * 2).min(MAX_BACKOFF);
            retry_at = Some(Instant::now() + now);
            let wait = self.policy.busy_timeout.min(left.saturating_sub(now));
            if let Err(e) = self
                .store
                .set_busy_timeout(wait.max(Duration::from_millis(1)))
            {
                return Err(self.lost(&rx, open, pending.len(), e));
            }
        }
    }

    /// Gives up: counts the events not written (those pending, and every one still to come
    /// until the run finishes).
    fn lost(
        &self,
        rx: &mpsc::Receiver<Msg>,
        open: bool,
        pending: usize,
        source: StoreError,
    ) -> StoreError {
        let mut events = pending;
        if open {
            while let Ok(Msg::Event(_)) = rx.recv() {
                events += 1;
            }
        }
        StoreError::NotRecorded {
            run: self.run,
            events,
            source: Box::new(source),
        }
    }
}

/// The event's `type` as serialized (a match, so a new event kind cannot be forgotten).
fn kind(e: &RunEvent) -> &'static str {
    match e {
        RunEvent::RunStarted { .. } => "run_started",
        RunEvent::InputFetched { .. } => "input:fetched",
        RunEvent::PdfText { .. } => "input:pdf_text",
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

/// Writes one event (its `body` as [`Payloads::events`] packed it) and what it changes in the
/// run's summary rows.
fn write_event(
    tx: &Transaction<'_>,
    payloads: &Payloads<'_>,
    run: RunId,
    price: Option<&Price>,
    e: &EventRecord,
    body: rusqlite::types::Value,
) -> Result<(), StoreError> {
    let cost = |u: &Usage| price.map(|p| p.cost(u));
    // A plain insert: the next event may be compressed against this one, so a row already
    // there under its number (two recorders on one run) must fail, not be kept silently.
    tx.prepare_cached(
        "INSERT INTO events (run_id, seq, type, t_ms, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![run, e.seq as i64, kind(&e.event), e.t_ms, body])?;
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
            .execute(params![
                run,
                attempt.attempt,
                payloads.text(error)?,
                raw.as_deref().map(|r| payloads.text(r)).transpose()?
            ])?;
        }
        RunEvent::RunSucceeded {
            attempts,
            value,
            usage,
            latency_ms,
        } => {
            tx.execute(
                "INSERT OR REPLACE INTO results (run_id, value) VALUES (?1, ?2)",
                params![run, payloads.json(value)?],
            )?;
            tx.execute(
                "UPDATE run_search SET result = ?2 WHERE rowid = ?1",
                params![run, searchable(serde_json::to_string(value)?)],
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
                params![run, searchable(format!("{} {}", error.code, error.message))],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_the_writer_thread_is_reported_with_its_message() {
        let handle = std::thread::spawn(|| -> Result<Store, StoreError> {
            panic!("the disk caught fire");
        });
        let err = joined(7, handle.join()).err().unwrap();
        let StoreError::RecorderPanicked { run, message } = &err else {
            panic!("{err:?}")
        };
        assert_eq!((*run, message.as_str()), (7, "the disk caught fire"));
        assert_eq!(err.code(), "store_recorder_panicked");
        assert!(
            err.to_string()
                .contains("run 7 stopped unexpectedly: the disk caught fire")
        );
    }
}
