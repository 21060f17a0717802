//! The run's event stream: a typed, versioned record of everything an extraction did. Hook
//! events use instructor's names as their `type` (`completion:kwargs`, `parse:error`, …); the
//! CLI prints the stream with `--events`, the desktop app stores it, and the hook log and the
//! re-ask history are views of it.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ErrorInfo;
use crate::hooks::{HookName, Hooks};
use crate::message::Message;
use crate::mode::Mode;
use crate::partial::Change;
use crate::secret::Redactor;
use crate::usage::Usage;
use crate::validate::Issue;

/// Bumped when an event changes shape incompatibly.
pub const RUN_EVENT_VERSION: u32 = 1;

/// Where an event sits in the attempt loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct AttemptInfo {
    /// 1-based attempt number.
    pub attempt: u32,
    pub max_attempts: u32,
    pub is_last: bool,
}

/// The request as sent, with every secret replaced by `<redacted>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RecordedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "type")]
pub enum RunEvent {
    #[serde(rename = "run_started")]
    RunStarted {
        provider: String,
        model: String,
        mode: Mode,
        schema: String,
        max_attempts: u32,
    },
    /// An attached file given by address that the provider cannot fetch itself was fetched
    /// by Quarry (a public http(s) address only), before the first request.
    #[serde(rename = "input:fetched")]
    InputFetched {
        url: String,
        media_type: String,
        bytes: u64,
    },
    /// A PDF went to a provider that cannot read PDFs: Quarry extracted its text locally and
    /// sent that instead (layout, images and scanned pages are lost).
    #[serde(rename = "input:pdf_text")]
    PdfText {
        document: String,
        pages: u32,
        chars: u64,
    },
    /// The request is about to be sent (once per attempt, and again for each transport retry).
    #[serde(rename = "completion:kwargs")]
    CompletionKwargs {
        #[serde(flatten)]
        attempt: AttemptInfo,
        request: RecordedRequest,
    },
    /// The provider answered successfully (for a stream: once it ended, with the answer
    /// assembled from the deltas).
    #[serde(rename = "completion:response")]
    CompletionResponse {
        #[serde(flatten)]
        attempt: AttemptInfo,
        status: u16,
        latency_ms: f64,
        usage: Usage,
        body: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        stream: Option<StreamStats>,
    },
    /// Changes to the partial object from one network chunk of a stream.
    #[serde(rename = "partial")]
    Partial {
        #[serde(flatten)]
        attempt: AttemptInfo,
        changes: Vec<Change>,
    },
    /// A list item closed and validated (iterable streams).
    #[serde(rename = "item")]
    Item {
        #[serde(flatten)]
        attempt: AttemptInfo,
        index: usize,
        value: Value,
    },
    /// A list item closed and failed its schema (iterable streams).
    #[serde(rename = "item_invalid")]
    ItemInvalid {
        #[serde(flatten)]
        attempt: AttemptInfo,
        index: usize,
        issues: Vec<Issue>,
    },
    /// The provider call failed; `retry_in_ms` is set when a transport retry follows.
    #[serde(rename = "completion:error")]
    CompletionError {
        #[serde(flatten)]
        attempt: AttemptInfo,
        error: ErrorInfo,
        retry_in_ms: Option<u64>,
    },
    /// The answer did not parse or validate (every time).
    #[serde(rename = "parse:error")]
    ParseError {
        #[serde(flatten)]
        attempt: AttemptInfo,
        error: String,
        issues: Vec<Issue>,
        raw: Option<String>,
    },
    /// Messages appended for the next attempt.
    #[serde(rename = "reask")]
    Reask {
        #[serde(flatten)]
        attempt: AttemptInfo,
        messages: Vec<Message>,
    },
    /// The last attempt failed; the run gives up.
    #[serde(rename = "completion:last_attempt")]
    CompletionLastAttempt {
        #[serde(flatten)]
        attempt: AttemptInfo,
        error: String,
    },
    /// A hook handler panicked; the run went on.
    #[serde(rename = "hook_failed")]
    HookFailed { hook: String, message: String },
    #[serde(rename = "run_succeeded")]
    RunSucceeded {
        attempts: u32,
        value: Value,
        usage: Usage,
        latency_ms: f64,
    },
    #[serde(rename = "run_failed")]
    RunFailed {
        attempts: u32,
        error: ErrorInfo,
        usage: Usage,
        latency_ms: f64,
    },
}

impl ErrorInfo {
    /// Masks secrets out of the message, hint and details.
    pub fn redact(&mut self, r: &Redactor) {
        r.mask_string(&mut self.message);
        r.mask_string(&mut self.hint);
        r.mask_value(&mut self.details);
    }
}

impl RunEvent {
    /// Masks every secret out of the event: request URLs and bodies, provider answers, errors,
    /// partial changes, messages. Errors are masked where they are made as well (their raw
    /// bodies are decoded first); this is the last line, applied to everything recorded.
    pub fn redact(&mut self, r: &Redactor) {
        if r.is_empty() {
            return;
        }
        match self {
            RunEvent::RunStarted {
                provider,
                model,
                schema,
                ..
            } => {
                r.mask_string(provider);
                r.mask_string(model);
                r.mask_string(schema);
            }
            RunEvent::InputFetched { url, .. } => r.mask_string(url),
            RunEvent::PdfText { document, .. } => r.mask_string(document),
            RunEvent::CompletionKwargs { request, .. } => {
                r.mask_string(&mut request.url);
                for (name, value) in &mut request.headers {
                    r.mask_string(name);
                    r.mask_string(value);
                }
                r.mask_value(&mut request.body);
            }
            RunEvent::CompletionResponse { body, .. } => r.mask_value(body),
            // Already masked where they were made, by the stream's guard (which also catches a
            // secret split across two pieces, as masking each piece here could not).
            RunEvent::Partial { .. } => {}
            RunEvent::Item { value, .. } => r.mask_value(value),
            RunEvent::ItemInvalid { issues, .. } => issues.iter_mut().for_each(|i| i.redact(r)),
            RunEvent::CompletionError { error, .. } | RunEvent::RunFailed { error, .. } => {
                error.redact(r)
            }
            RunEvent::ParseError {
                error, issues, raw, ..
            } => {
                r.mask_string(error);
                issues.iter_mut().for_each(|i| i.redact(r));
                if let Some(raw) = raw {
                    r.mask_string(raw);
                }
            }
            RunEvent::Reask { messages, .. } => messages.iter_mut().for_each(|m| m.redact(r)),
            RunEvent::CompletionLastAttempt { error, .. } => r.mask_string(error),
            RunEvent::HookFailed { hook, message } => {
                r.mask_string(hook);
                r.mask_string(message);
            }
            RunEvent::RunSucceeded { value, .. } => r.mask_value(value),
        }
    }
}

/// Timing of a streamed answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct StreamStats {
    pub bytes: u64,
    /// From sending the request to the first byte of the body.
    pub first_byte_ms: Option<f64>,
    /// From sending the request to the first value that closed.
    pub first_field_ms: Option<f64>,
}

/// An event with its envelope: protocol version, sequence number, time since the run began.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct EventRecord {
    pub v: u32,
    pub seq: u64,
    pub t_ms: f64,
    #[serde(flatten)]
    pub event: RunEvent,
}

/// Receives every event of a run.
pub type EventObserver = Arc<dyn Fn(&EventRecord) + Send + Sync>;

/// Fans events out to the observer and the hooks, numbering them.
pub(crate) struct Emitter {
    hooks: Hooks,
    observer: Option<EventObserver>,
    /// The run's secrets: masked out of every event before anyone sees it.
    redactor: Redactor,
    /// A run's own event channel (streams): receives each record after the observer.
    channel: Option<tokio::sync::mpsc::UnboundedSender<EventRecord>>,
    seq: u64,
    start: Instant,
}

impl Emitter {
    pub(crate) fn new(hooks: Hooks, observer: Option<EventObserver>) -> Self {
        Emitter {
            hooks,
            observer,
            redactor: Redactor::new(),
            channel: None,
            seq: 0,
            start: Instant::now(),
        }
    }

    pub(crate) fn with_channel(
        mut self,
        channel: tokio::sync::mpsc::UnboundedSender<EventRecord>,
    ) -> Self {
        self.channel = Some(channel);
        self
    }

    pub(crate) fn with_redactor(mut self, redactor: Redactor) -> Self {
        self.redactor = redactor;
        self
    }

    /// Whether anyone listens; events that are costly to build are skipped otherwise.
    pub(crate) fn active(&self) -> bool {
        self.observer.is_some() || self.channel.is_some() || !self.hooks.is_empty()
    }

    pub(crate) fn elapsed_ms(&self) -> f64 {
        self.start.elapsed().as_secs_f64() * 1e3
    }

    pub(crate) fn emit(&mut self, mut event: RunEvent) {
        if !self.active() {
            return;
        }
        event.redact(&self.redactor);
        let failures = match HookName::of(&event) {
            Some(name) => self.hooks.dispatch(name, &event),
            None => Vec::new(),
        };
        self.record(event);
        for (hook, message) in failures {
            let mut failed = RunEvent::HookFailed {
                hook: hook.as_str().to_string(),
                message,
            };
            failed.redact(&self.redactor);
            self.record(failed);
        }
    }

    fn record(&mut self, event: RunEvent) {
        self.seq += 1;
        if self.observer.is_none() && self.channel.is_none() {
            return;
        }
        let record = EventRecord {
            v: RUN_EVENT_VERSION,
            seq: self.seq,
            t_ms: self.elapsed_ms(),
            event,
        };
        if let Some(observer) = &self.observer {
            observer(&record);
        }
        if let Some(channel) = &self.channel {
            // A closed channel means the consumer went away; the run is being dropped too.
            let _ = channel.send(record);
        }
    }
}
