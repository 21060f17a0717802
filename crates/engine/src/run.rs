//! The attempt loop: render → request → (stream) → parse → validate → re-ask, with transport
//! retries inside each attempt, a total deadline over all of them, and cancellation. Every
//! step is an event.

use std::time::Instant;

use bytes::Bytes;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::attachment::Fetching;
use crate::error::{BrokenStream, Error, Exhausted, FailedAttempt, Setting, TooLarge};
use crate::events::{AttemptInfo, Emitter, RunEvent, StreamStats};
use crate::extract::{Answer, extract};
use crate::framing::{FrameError, FrameReader};
use crate::limits::{MAX_RESPONSE_BYTES, MAX_STREAMED_ANSWER_BYTES, clip};
use crate::message::{Message, Part};
use crate::mode::Mode;
use crate::partial::Change;
use crate::provider::auth::Auth;
use crate::provider::{
    CallSpec, Completion, Finish, Header, HttpRequest, Protocol, Reading, StreamFailure,
};
use crate::request::ExtractRequest;
use crate::schema::{ResponseSchema, Shape};
use crate::secret::Redactor;
use crate::sse::SseError;
use crate::stream::{Feed, ItemOutcome, StreamKind};
use crate::template::render_messages;
use crate::transport::{self, Opened, SendError};
use crate::usage::Usage;
use crate::validate::{Issue, render_issues};

/// A validated answer and what it cost.
#[derive(Debug, Clone)]
pub struct Extraction<T = Value> {
    pub value: T,
    /// Attempts made (1 = valid the first time).
    pub attempts: u32,
    /// Summed over all attempts.
    pub usage: Usage,
    /// Latency of each attempt's successful HTTP exchange, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// The model's raw output on the successful attempt.
    pub raw: Option<String>,
}

pub(crate) struct Run<'a> {
    pub http: &'a reqwest::Client,
    pub protocol: &'a dyn Protocol,
    /// The credentials, applied to each try.
    pub auth: &'a Auth,
    pub mode: Mode,
    pub request: &'a ExtractRequest,
    pub schema: ResponseSchema,
    pub emitter: Emitter,
    pub stream: Option<StreamKind>,
    pub cancel: CancellationToken,
    /// The run's secrets (key, credential headers, URL passwords), masked out of every event,
    /// error and result.
    pub redactor: Redactor,
    /// Which addresses an attached file may be fetched from.
    pub fetch: crate::fetch::FetchPolicy,
}

/// Answers larger than this are parsed and validated on a blocking thread, so that
/// cancellation and the deadline still end the run on time; smaller ones are checked in
/// place, which costs microseconds.
const OFFLOAD_BYTES: usize = 256 * 1024;

/// Resolves at `deadline`, never without one.
async fn sleep_until_deadline(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

/// Why one attempt's answer was rejected.
#[derive(Debug)]
struct Rejection {
    text: String,
    issues: Vec<Issue>,
}

enum SendFailure {
    Deadline,
    Cancelled,
    Error(Error),
}

/// One attempt's answer.
struct Answered {
    completion: Completion,
    /// The answer's JSON already parsed while streaming.
    parsed: Option<Value>,
    status: u16,
    latency_ms: f64,
    /// The raw body (plain answers) for the `completion:response` event.
    body: Option<Bytes>,
    stats: Option<StreamStats>,
}

impl Run<'_> {
    pub(crate) async fn execute<T>(
        mut self,
        finish: impl Fn(Value) -> Result<T, String>,
    ) -> Result<Extraction<T>, Error> {
        let started = Instant::now();
        let max_attempts = self.request.max_retries.saturating_add(1);
        self.emitter.emit(RunEvent::RunStarted {
            provider: self.protocol.name().to_string(),
            model: self.request.model.clone(),
            mode: self.mode,
            schema: self.schema.name().to_string(),
            max_attempts,
        });
        let mut usage = Usage::default();
        let mut attempts = 0;
        let mut result = self
            .attempts(max_attempts, started, &mut usage, &mut attempts, &finish)
            .await;
        match &mut result {
            Ok((extraction, _)) => {
                if let Some(raw) = &mut extraction.raw {
                    self.redactor.mask_string(raw);
                }
            }
            Err(e) => e.redact(&self.redactor),
        }
        let latency_ms = started.elapsed().as_secs_f64() * 1e3;
        match &result {
            Ok((_, value)) => self.emitter.emit(RunEvent::RunSucceeded {
                attempts,
                value: value.clone(),
                usage,
                latency_ms,
            }),
            Err(e) => self.emitter.emit(RunEvent::RunFailed {
                attempts,
                error: e.info(),
                usage,
                latency_ms,
            }),
        }
        result.map(|(extraction, _)| extraction)
    }

    async fn attempts<T>(
        &mut self,
        max_attempts: u32,
        started: Instant,
        usage: &mut Usage,
        attempts: &mut u32,
        finish: &impl Fn(Value) -> Result<T, String>,
    ) -> Result<(Extraction<T>, Value), Error> {
        if self.stream.is_some() && self.mode == Mode::ParallelTools {
            return Err(Error::InvalidSetting {
                setting: Setting::Stream,
                message: "parallel_tools cannot be streamed".into(),
                hint: "use the tools mode to stream, or do not stream".into(),
            });
        }
        // A timeout too long to add to the clock is no deadline at all.
        let deadline = self.request.timeout.and_then(|t| started.checked_add(t));
        let mut messages = render_messages(&self.request.messages, &self.request.context)?;
        self.prepare_files(&mut messages, deadline, Fetching::Fetch)
            .await?;
        let prompt_len = messages.len();
        let mut failed: Vec<FailedAttempt> = Vec::new();
        let mut latencies = Vec::new();
        let timeout_error = |failed: &[FailedAttempt], usage: Usage| Error::Timeout {
            limit_ms: self.request.timeout.map_or(0, |t| t.as_millis() as u64),
            failed_attempts: failed.to_vec(),
            usage,
        };
        // How a send or a check that stopped early ends the run.
        let ended = |f: SendFailure, failed: &[FailedAttempt], usage: Usage| match f {
            SendFailure::Deadline => timeout_error(failed, usage),
            SendFailure::Cancelled => Error::Cancelled {
                partial: None,
                usage,
            },
            SendFailure::Error(e) => e,
        };

        for attempt in 1..=max_attempts {
            *attempts = attempt;
            let info = AttemptInfo {
                attempt,
                max_attempts,
                is_last: attempt == max_attempts,
            };
            let http = self.build(&messages, prompt_len)?;

            let answered = self
                .answer(&http, info, deadline, *usage)
                .await
                .map_err(|f| ended(f, &failed, *usage))?;
            let completion = answered.completion;
            let parsed = answered.parsed;
            latencies.push(answered.latency_ms);
            *usage += completion.usage;
            if self.emitter.active() {
                let body = match &answered.body {
                    Some(bytes) => transport::body_value(bytes),
                    None => completion_value(&completion),
                };
                self.emitter.emit(RunEvent::CompletionResponse {
                    attempt: info,
                    status: answered.status,
                    latency_ms: answered.latency_ms,
                    usage: completion.usage,
                    body,
                    stream: answered.stats,
                });
            }

            if let Some(text) = &completion.refusal {
                return Err(Error::Refusal {
                    text: text.clone(),
                    usage: *usage,
                });
            }
            match &completion.finish {
                Some(Finish::Length) => {
                    return Err(Error::IncompleteOutput {
                        reason: "length".into(),
                        raw: completion.raw_output(),
                        usage: *usage,
                    });
                }
                Some(Finish::ContentFilter) => {
                    return Err(Error::Refusal {
                        text: completion
                            .text
                            .clone()
                            .unwrap_or_else(|| "stopped by the provider's content filter".into()),
                        usage: *usage,
                    });
                }
                _ => {}
            }

            if attempt == 1
                && self.mode.is_tool_mode()
                && completion.tool_calls.is_empty()
                && let Some(note) = self.template_without_tools().await
            {
                return Err(self.fail(Error::UnsupportedMode {
                    provider: self.protocol.name().to_string(),
                    mode: self.mode.as_str().into(),
                    valid: self
                        .protocol
                        .modes()
                        .iter()
                        .copied()
                        .filter(|m| !m.is_tool_mode())
                        .collect(),
                    note: Some(note),
                }));
            }
            let (completion, verdict) = self
                .accept(completion, parsed, deadline)
                .await
                .map_err(|f| ended(f, &failed, *usage))?;
            let verdict = verdict.and_then(|json| {
                finish(json.clone())
                    .map(|value| (value, json))
                    .map_err(|e| Rejection {
                        text: format!("the answer does not fit the expected type: {e}"),
                        issues: Vec::new(),
                    })
            });
            match verdict {
                Ok((value, json)) => {
                    return Ok((
                        Extraction {
                            value,
                            attempts: attempt,
                            usage: *usage,
                            latencies_ms: latencies,
                            raw: completion.raw_output(),
                        },
                        json,
                    ));
                }
                Err(rejection) => {
                    let raw = completion.raw_output();
                    self.emitter.emit(RunEvent::ParseError {
                        attempt: info,
                        error: rejection.text.clone(),
                        issues: rejection.issues,
                        raw: raw.clone(),
                    });
                    failed.push(FailedAttempt {
                        number: attempt,
                        error: rejection.text.clone(),
                        raw,
                    });
                    if info.is_last {
                        self.emitter.emit(RunEvent::CompletionLastAttempt {
                            attempt: info,
                            error: rejection.text,
                        });
                        return Err(Error::RetriesExhausted(Box::new(Exhausted {
                            failed_attempts: failed,
                            messages,
                            usage: *usage,
                        })));
                    }
                    let reask = self.protocol.reask(self.mode, &completion, &rejection.text);
                    if self.emitter.active() {
                        self.emitter.emit(RunEvent::Reask {
                            attempt: info,
                            messages: reask.clone(),
                        });
                    }
                    messages.extend(reask);
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(timeout_error(&failed, *usage));
                    }
                }
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// Parses and validates one completion (on a blocking thread when it is large, raced
    /// against cancellation and the deadline). Gives the completion back for the re-ask.
    async fn accept(
        &self,
        completion: Completion,
        parsed: Option<Value>,
        deadline: Option<Instant>,
    ) -> Result<(Completion, Result<Value, Rejection>), SendFailure> {
        let check = Check {
            reading: self.protocol.reading(self.mode),
            strict: self.protocol.sends_strict_schema(self.mode),
            schema: self.schema.clone(),
            redactor: self.redactor.clone(),
        };
        let size = completion.text.as_ref().map_or(0, String::len)
            + completion
                .tool_calls
                .iter()
                .map(|c| c.arguments.len())
                .sum::<usize>();
        if size < OFFLOAD_BYTES {
            let verdict = check.run(&completion, parsed);
            return Ok((completion, verdict));
        }
        let work = tokio::task::spawn_blocking(move || {
            let verdict = check.run(&completion, parsed);
            (completion, verdict)
        });
        let until = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Err(SendFailure::Cancelled),
            _ = until => Err(SendFailure::Deadline),
            done = work => done.map_err(|e| SendFailure::Error(Error::InvalidRequest(
                format!("checking the answer failed: {e}"),
            ))),
        }
    }

    /// An error as it may leave the run: every secret masked (bodies decoded first).
    /// One attempt's request: the protocol's, with the caller's extra headers.
    fn build(&self, messages: &[Message], prompt_len: usize) -> Result<HttpRequest, Error> {
        let mut http = self
            .protocol
            .build(&CallSpec {
                mode: self.mode,
                model: &self.request.model,
                messages,
                prompt_len,
                schema: &self.schema,
                sampling: &self.request.sampling,
                extra_body: &self.request.extra_body,
                stream: self.stream.is_some(),
            })
            .map_err(|e| self.fail(e))?;
        http.headers
            .extend(self.request.extra_headers.iter().map(|(n, v)| Header {
                name: n.clone(),
                value: v.clone(),
                secret: false,
            }));
        Ok(http)
    }

    /// The request the first attempt sends, built the way [`Run::execute`] builds it, with
    /// nothing sent and nothing fetched (see [`crate::preview`]).
    pub(crate) async fn first_request(
        mut self,
    ) -> Result<(HttpRequest, Vec<RunEvent>, Vec<String>), Error> {
        let mut messages = render_messages(&self.request.messages, &self.request.context)?;
        let (events, unfetched) = self
            .prepare_files(&mut messages, None, Fetching::Leave)
            .await?;
        let http = self.build(&messages, messages.len())?;
        Ok((http, events, unfetched))
    }

    /// Checks the attached files against what the provider takes, once, before the first
    /// request (fetching and PDF reading can take a while: cancellation and the deadline
    /// still end the run). Returns the events it emitted and the files left unfetched.
    async fn prepare_files(
        &mut self,
        messages: &mut [Message],
        deadline: Option<Instant>,
        fetching: Fetching,
    ) -> Result<(Vec<RunEvent>, Vec<String>), Error> {
        if messages
            .iter()
            .all(|m| m.content.iter().all(|p| matches!(p, Part::Text { .. })))
        {
            return Ok((Vec::new(), Vec::new()));
        }
        let accepts = self.protocol.attachments(self.mode);
        let preparing = crate::attachment::Preparing {
            provider: self.protocol.name(),
            accepts: &accepts,
            fetch: self.fetch,
            fetching,
            takers: &crate::provider::registry::takers,
        };
        let mut events = Vec::new();
        let mut push = |e| events.push(e);
        let work = crate::attachment::prepare(messages, &preparing, &mut push);
        let ended = |f: SendFailure| match f {
            SendFailure::Deadline => Error::Timeout {
                limit_ms: self.request.timeout.map_or(0, |t| t.as_millis() as u64),
                failed_attempts: Vec::new(),
                usage: Usage::default(),
            },
            SendFailure::Cancelled => Error::Cancelled {
                partial: None,
                usage: Usage::default(),
            },
            SendFailure::Error(e) => e,
        };
        let result = tokio::select! {
            r = work => r.map_err(SendFailure::Error),
            _ = self.cancel.cancelled() => Err(SendFailure::Cancelled),
            _ = sleep_until_deadline(deadline) => Err(SendFailure::Deadline),
        };
        for e in &events {
            self.emitter.emit(e.clone());
        }
        let unfetched = result.map_err(|f| self.fail(ended(f)))?;
        Ok((events, unfetched))
    }

    /// Why tool calls cannot work here, when the server says its model's chat template has
    /// none. Any doubt (no such endpoint, an error, a slow answer) is no answer: the run then
    /// re-asks as usual.
    async fn template_without_tools(&self) -> Option<String> {
        let url = self.protocol.template_caps_url()?;
        let asked = self
            .http
            .get(&url)
            .timeout(std::time::Duration::from_secs(5))
            .send();
        let mut response = tokio::select! {
            r = asked => r.ok()?,
            _ = self.cancel.cancelled() => return None,
        };
        if !response.status().is_success() {
            return None;
        }
        // A few kilobytes of settings; a server sending more is not answering this.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.ok()? {
            body.extend_from_slice(&chunk);
            if body.len() > crate::limits::MAX_ERROR_BODY_BYTES {
                return None;
            }
        }
        let props: Value = serde_json::from_slice(&body).ok()?;
        let caps = props.get("chat_template_caps")?;
        (caps.get("supports_tool_calls") == Some(&Value::Bool(false))).then(|| {
            let works = self.protocol.default_mode();
            let works = if works.is_tool_mode() { Mode::JsonSchema } else { works };
            format!(
                "the model's chat template has no tool calls (the server's /props says supports_tool_calls: false), so it answers with text whatever the request asks; use the {} mode, which the server constrains to the schema",
                works.as_str()
            )
        })
    }

    fn fail(&self, mut e: Error) -> Error {
        e.redact(&self.redactor);
        e
    }

    /// One attempt's answer: the HTTP exchange (with transport retries), then the body parsed
    /// or the stream read to its end.
    async fn answer(
        &mut self,
        http: &HttpRequest,
        info: AttemptInfo,
        deadline: Option<Instant>,
        usage_so_far: Usage,
    ) -> Result<Answered, SendFailure> {
        let (opened, t0) = self.exchange(http, info, deadline).await?;
        let result = match (opened.stream, self.stream) {
            (Some(response), Some(kind)) => {
                return self
                    .read_stream(response, kind, info, t0, deadline, usage_so_far)
                    .await;
            }
            (None, Some(_)) => {
                Err(self.not_streaming(&opened.body, opened.content_type.as_deref()))
            }
            (_, None) => self.plain(
                opened.body,
                opened.truncated,
                opened.content_type,
                opened.status,
                t0,
            ),
        };
        result.map_err(|e| {
            let e = self.fail(e);
            self.emitter.emit(RunEvent::CompletionError {
                attempt: info,
                error: e.info(),
                retry_in_ms: None,
            });
            SendFailure::Error(e)
        })
    }

    /// Parses a plain (non-streamed) answer.
    fn plain(
        &self,
        body: Bytes,
        truncated: bool,
        content_type: Option<String>,
        status: u16,
        t0: Instant,
    ) -> Result<Answered, Error> {
        let provider = self.protocol.name().to_string();
        if truncated {
            return Err(Error::TooLarge(Box::new(TooLarge {
                provider,
                what: "a response body",
                limit: MAX_RESPONSE_BYTES as u64,
                partial: Value::Null,
                raw: Some(String::from_utf8_lossy(&body).into_owned()),
                usage: Usage::default(),
            })));
        }
        let malformed = |detail: String| Error::MalformedResponse {
            provider: provider.clone(),
            expected: "completion",
            detail,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        // The same bytes in a stream are refused too (`SseError::InvalidUtf8`).
        if let Err(e) = std::str::from_utf8(&body) {
            return Err(malformed(format!(
                "the answer is not valid UTF-8 (byte {} of the body)",
                e.valid_up_to()
            )));
        }
        let latency_ms = t0.elapsed().as_secs_f64() * 1e3;
        match self.protocol.parse(self.mode, &body) {
            Ok(completion) => Ok(Answered {
                completion,
                parsed: None,
                status,
                latency_ms,
                body: Some(body),
                stats: None,
            }),
            Err(mut detail) => {
                if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err() {
                    detail = format!(
                        "{detail}; it is {}",
                        transport::describe_body(&body, content_type.as_deref())
                    );
                }
                Err(malformed(detail))
            }
        }
    }

    /// A streamed request answered with something that is not an event stream.
    fn not_streaming(&self, body: &[u8], content_type: Option<&str>) -> Error {
        let is_completion = self.protocol.parse(self.mode, body).is_ok();
        let what = if is_completion {
            let kind =
                content_type.map(|t| format!(" ({})", t.split(';').next().unwrap_or(t).trim()));
            format!("a complete answer in one body{}", kind.unwrap_or_default())
        } else {
            transport::describe_body(body, content_type)
        };
        Error::NotStreaming {
            provider: self.protocol.name().to_string(),
            what,
            body: String::from_utf8_lossy(body).into_owned(),
        }
    }

    /// Sends until a 2xx arrives, retrying what is worth retrying.
    async fn exchange(
        &mut self,
        http: &HttpRequest,
        info: AttemptInfo,
        deadline: Option<Instant>,
    ) -> Result<(Opened, Instant), SendFailure> {
        let policy = self.request.transport;
        let provider = self.protocol.name().to_string();
        let streaming = self.stream.is_some();
        let mut retries = 0;
        let first_send = Instant::now();
        let url = transport::redact_url(&http.url);
        let body = transport::body_bytes(&http.body).map_err(SendFailure::Error)?;
        // Set when the provider refused the credentials once: fetched again, sent again.
        let mut refresh = false;
        let mut refreshed = false;
        loop {
            let mut headers = http.headers.clone();
            let applied = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Err(SendFailure::Cancelled),
                a = self.auth.apply(self.http, &http.url, &body, &mut headers, std::mem::take(&mut refresh)) => a,
            };
            applied.map_err(|e| SendFailure::Error(self.fail(e)))?;
            if self.emitter.active() {
                self.emitter.emit(RunEvent::CompletionKwargs {
                    attempt: info,
                    request: transport::record(&http.url, &headers, &http.body),
                });
            }
            let timeout = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left.min(policy.request_timeout),
                    _ => return Err(SendFailure::Deadline),
                },
                None => policy.request_timeout,
            };
            let t0 = Instant::now();
            let outcome = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Err(SendFailure::Cancelled),
                r = transport::open(self.http, &http.url, &headers, body.clone(), timeout, streaming) => r,
            };
            let (error, retry_after, retryable) = match outcome {
                Ok(r) if (200..300).contains(&r.status) => return Ok((r, t0)),
                Ok(r) if (300..400).contains(&r.status) => {
                    let to = r.location.as_deref().map(transport::redact_url);
                    let message = match &to {
                        Some(to) => format!(
                            "it redirects to {to}; Quarry does not follow redirects (they could carry the API key to another host)"
                        ),
                        None => "it answered with a redirect and no address".into(),
                    };
                    let error = Error::Http {
                        provider: provider.clone(),
                        status: r.status,
                        message,
                        body: String::from_utf8_lossy(&r.body).into_owned(),
                        retries,
                        retry_after_ms: None,
                    };
                    (error, None, false)
                }
                Ok(r) if r.status == 401 && self.auth.refreshable() && !refreshed => {
                    // An access token that expired or was revoked: a new one, once.
                    (refresh, refreshed) = (true, true);
                    let text = String::from_utf8_lossy(&r.body);
                    let failure = self.protocol.failure(r.status, &text);
                    let error = self.fail(Error::Http {
                        provider: provider.clone(),
                        status: r.status,
                        message: failure.message.unwrap_or_else(|| "unauthorized".into()),
                        body: text.into_owned(),
                        retries,
                        retry_after_ms: None,
                    });
                    self.emitter.emit(RunEvent::CompletionError {
                        attempt: info,
                        error: error.info(),
                        retry_in_ms: Some(0),
                    });
                    continue;
                }
                Ok(r) => {
                    let text = String::from_utf8_lossy(&r.body);
                    let failure = self.protocol.failure(r.status, &text);
                    let retry_after = r.retry_after.or(failure.retry_after);
                    if failure.mode_unsupported && self.mode.is_tool_mode() {
                        let works = self.protocol.default_mode();
                        let works = if works.is_tool_mode() {
                            Mode::JsonSchema
                        } else {
                            works
                        };
                        return Err(SendFailure::Error(self.fail(Error::UnsupportedMode {
                            provider: provider.clone(),
                            mode: self.mode.as_str().into(),
                            valid: self.protocol.modes().iter().copied().filter(|m| !m.is_tool_mode()).collect(),
                            note: Some(format!(
                                "the server refuses tool calls for this model: {}; use the {} mode, which does not need them",
                                failure.message.as_deref().unwrap_or_default(),
                                works.as_str()
                            )),
                        })));
                    }
                    let retryable =
                        crate::retry::status_is_retryable(r.status) && !failure.quota_exhausted;
                    let message = failure.message.unwrap_or_else(|| {
                        let t = text.trim();
                        if t.is_empty() {
                            "(empty body)".into()
                        } else if serde_json::from_str::<serde::de::IgnoredAny>(t).is_err() {
                            format!(
                                "the body is {}",
                                transport::describe_body(&r.body, r.content_type.as_deref())
                            )
                        } else {
                            clip(t, 500).to_string()
                        }
                    });
                    let error = Error::Http {
                        provider: provider.clone(),
                        status: r.status,
                        message,
                        body: text.into_owned(),
                        retries,
                        retry_after_ms: retry_after.map(|d| d.as_millis() as u64),
                    };
                    (error, retry_after, retryable)
                }
                Err(SendError::Timeout) if deadline.is_some_and(|d| Instant::now() >= d) => {
                    return Err(SendFailure::Deadline);
                }
                Err(SendError::Timeout) => (
                    Error::Transport {
                        provider: provider.clone(),
                        url: url.clone(),
                        message: format!(
                            "no answer within {}",
                            crate::limits::human_duration(timeout)
                        ),
                        retries,
                        local_server: None,
                    },
                    None,
                    true,
                ),
                Err(SendError::Io(message)) => (
                    Error::Transport {
                        provider: provider.clone(),
                        url: url.clone(),
                        message,
                        retries,
                        local_server: self.protocol.start_hint(&self.request.model),
                    },
                    None,
                    true,
                ),
                Err(SendError::Build(message)) => (
                    Error::InvalidSetting {
                        setting: Setting::Headers,
                        message: format!("the request could not be built: {message}"),
                        hint: "check the extra headers and the base URL".into(),
                    },
                    None,
                    false,
                ),
            };
            let error = self.fail(error);
            let now = Instant::now();
            let delay = (retryable && retries < policy.max_retries)
                .then(|| policy.delay(retries + 1, retry_after))
                .flatten()
                .filter(|d| {
                    first_send
                        .elapsed()
                        .checked_add(*d)
                        .is_some_and(|t| t <= policy.max_elapsed)
                })
                .filter(|d| deadline.is_none_or(|dl| now.checked_add(*d).is_some_and(|t| t < dl)));
            self.emitter.emit(RunEvent::CompletionError {
                attempt: info,
                error: error.info(),
                retry_in_ms: delay.map(|d| d.as_millis() as u64),
            });
            match delay {
                Some(d) => {
                    tokio::select! {
                        biased;
                        _ = self.cancel.cancelled() => return Err(SendFailure::Cancelled),
                        _ = tokio::time::sleep(d) => {}
                    }
                    retries += 1;
                }
                None => return Err(SendFailure::Error(error)),
            }
        }
    }

    /// Reads a streamed answer to its end marker, emitting partial changes and items.
    async fn read_stream(
        &mut self,
        mut response: reqwest::Response,
        kind: StreamKind,
        info: AttemptInfo,
        t0: Instant,
        deadline: Option<Instant>,
        usage_so_far: Usage,
    ) -> Result<Answered, SendFailure> {
        let strict = self.protocol.sends_strict_schema(self.mode);
        let reading = self.protocol.reading(self.mode);
        let mut feed = Feed::new(reading, &self.schema, strict, kind, self.redactor.clone());
        let mut decoder = self.protocol.decoder(self.mode);
        let mut sse = FrameReader::new(self.protocol.framing());
        let (mut changes, mut items) = (Vec::new(), Vec::new());
        let mut first_byte_ms = None;
        let mut first_field_ms = None;
        // The start of the body, to say what a "stream" that carried no event really was.
        let mut head: Vec<u8> = Vec::new();
        // The end of the body, for an error a provider writes after its last event.
        let mut tail: Vec<u8> = Vec::new();
        let mut events_seen = 0u64;
        let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
        let total = |feed: &Feed| {
            let mut u = usage_so_far;
            u += feed.acc.usage;
            u
        };
        let idle_limit = self.request.transport.request_timeout;
        // Silence is measured from the last time the answer grew: keep-alive comments and
        // events that carry nothing do not keep a stream alive forever.
        let (mut last_progress, mut answered) = (Instant::now(), 0usize);
        loop {
            let idle = idle_limit.saturating_sub(last_progress.elapsed());
            if idle.is_zero() {
                // Checked here too: a server that floods keep-alives always has a chunk ready,
                // so waiting for one would never time out.
                let reason = format!(
                    "no part of the answer arrived for {}",
                    crate::limits::human_duration(idle_limit)
                );
                let usage = total(&feed);
                return Err(self.broken(info, &mut feed, &sse, reason, usage));
            }
            let idle = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left.min(idle),
                    _ => return Err(SendFailure::Deadline),
                },
                None => idle,
            };
            let next = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => {
                    feed.finish(&mut changes, &mut items);
                    let _ = self.flush(info, &mut changes, &mut items);
                    return Err(SendFailure::Error(self.fail(Error::Cancelled {
                        partial: Some(Box::new(feed.snapshot().clone())),
                        usage: total(&feed),
                    })));
                }
                c = tokio::time::timeout(idle, response.chunk()) => c,
            };
            let bytes = match next {
                Ok(Ok(Some(b))) => b,
                Ok(Ok(None)) => break,
                Err(_) if deadline.is_some_and(|d| Instant::now() >= d) => {
                    return Err(SendFailure::Deadline);
                }
                Err(_) => {
                    let reason = format!(
                        "no part of the answer arrived for {}",
                        crate::limits::human_duration(idle_limit)
                    );
                    let usage = total(&feed);
                    return Err(self.broken(info, &mut feed, &sse, reason, usage));
                }
                Ok(Err(e)) => {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        return Err(SendFailure::Deadline);
                    }
                    let reason = match transport::classify(e) {
                        SendError::Timeout => "the request timed out".to_string(),
                        SendError::Io(m) | SendError::Build(m) => m,
                    };
                    let usage = total(&feed);
                    return Err(self.broken(info, &mut feed, &sse, reason, usage));
                }
            };
            first_byte_ms.get_or_insert_with(|| ms(t0));
            if head.len() < 2048 {
                head.extend_from_slice(crate::limits::clip_bytes(&bytes, 2048 - head.len()));
            }
            keep_tail(&mut tail, &bytes);
            let mut failed: Option<(StreamFailure, String)> = None;
            let fed = sse.feed(&bytes, |frame| {
                events_seen += 1;
                if failed.is_some() {
                    return;
                }
                let result = decoder.decode(frame, &mut |delta| {
                    feed.push(delta, &mut changes, &mut items);
                });
                if let Err(failure) = result {
                    failed = Some((failure, frame.data.to_string()));
                }
            });
            let provider = self.protocol.name().to_string();
            let error = match (fed, failed) {
                (_, Some((StreamFailure::Provider(message), _))) => {
                    Some(Error::StreamError(Box::new(BrokenStream {
                        provider,
                        bytes: sse.bytes_fed(),
                        reason: message,
                        partial: feed.snapshot().clone(),
                        raw: feed.acc.completion().raw_output(),
                        usage: total(&feed),
                    })))
                }
                (_, Some((StreamFailure::Malformed(detail), data))) => {
                    Some(Error::MalformedResponse {
                        provider,
                        expected: "stream event",
                        detail,
                        body: data,
                    })
                }
                (Err(FrameError::Sse(SseError::InvalidUtf8 { offset })), None) => {
                    Some(Error::MalformedResponse {
                        provider,
                        expected: "completion",
                        detail: format!(
                            "the answer is not valid UTF-8 (byte {offset} of the stream)"
                        ),
                        body: String::from_utf8_lossy(&head).into_owned(),
                    })
                }
                (Err(FrameError::Sse(SseError::EventTooLong { limit })), None) => {
                    Some(self.too_large(&feed, "one stream event", limit, total(&feed)))
                }
                (Err(FrameError::Malformed(detail)), None) => Some(Error::MalformedResponse {
                    provider,
                    expected: "stream event",
                    detail,
                    body: String::from_utf8_lossy(&head).into_owned(),
                }),
                (Err(FrameError::Exception { kind, message }), None) => {
                    Some(Error::StreamError(Box::new(BrokenStream {
                        provider,
                        bytes: sse.bytes_fed(),
                        reason: format!("{kind}: {message}"),
                        partial: feed.snapshot().clone(),
                        raw: feed.acc.completion().raw_output(),
                        usage: total(&feed),
                    })))
                }
                (Ok(()), None) if feed.answer_bytes() > MAX_STREAMED_ANSWER_BYTES => {
                    Some(self.too_large(
                        &feed,
                        "a streamed answer",
                        MAX_STREAMED_ANSWER_BYTES,
                        total(&feed),
                    ))
                }
                (Ok(()), None) => None,
            };
            if let Some(e) = error {
                let _ = self.flush(info, &mut changes, &mut items);
                let e = self.fail(e);
                self.emitter.emit(RunEvent::CompletionError {
                    attempt: info,
                    error: e.info(),
                    retry_in_ms: None,
                });
                return Err(SendFailure::Error(e));
            }
            let grown = feed.answer_bytes();
            if grown != answered || feed.acc.done {
                (last_progress, answered) = (Instant::now(), grown);
            }
            if first_field_ms.is_none() && changes.iter().any(closes) {
                first_field_ms = Some(ms(t0));
            }
            if self.flush(info, &mut changes, &mut items) {
                // Let the consumer take the update before the next chunk: a reader that keeps
                // up keeps memory flat (and warm) instead of queueing the whole stream.
                tokio::task::yield_now().await;
            }
            if feed.acc.done {
                break;
            }
        }
        feed.finish(&mut changes, &mut items);
        let _ = self.flush(info, &mut changes, &mut items);
        if !feed.acc.done {
            // No event at all, and a body that starts like JSON or HTML: the server answered
            // with a plain body (a stream of only comments is just a broken stream).
            let plain = head
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| matches!(b, b'{' | b'[' | b'<'));
            if events_seen == 0 && plain {
                let e = self.fail(self.not_streaming(&head, None));
                self.emitter.emit(RunEvent::CompletionError {
                    attempt: info,
                    error: e.info(),
                    retry_in_ms: None,
                });
                return Err(SendFailure::Error(e));
            }
            let usage = total(&feed);
            if let Some(message) = self
                .protocol
                .stream_trailer(&String::from_utf8_lossy(&tail))
            {
                let (mut changes, mut items) = (Vec::new(), Vec::new());
                feed.finish(&mut changes, &mut items);
                let _ = self.flush(info, &mut changes, &mut items);
                let e = self.fail(Error::StreamError(Box::new(BrokenStream {
                    provider: self.protocol.name().to_string(),
                    bytes: sse.bytes_fed(),
                    reason: message,
                    partial: feed.snapshot().clone(),
                    raw: feed.acc.completion().raw_output(),
                    usage,
                })));
                self.emitter.emit(RunEvent::CompletionError {
                    attempt: info,
                    error: e.info(),
                    retry_in_ms: None,
                });
                return Err(SendFailure::Error(e));
            }
            return Err(self.broken(info, &mut feed, &sse, "the connection closed".into(), usage));
        }
        let completion = feed.acc.completion();
        let stats = StreamStats {
            bytes: sse.bytes_fed(),
            first_byte_ms,
            first_field_ms,
        };
        Ok(Answered {
            completion,
            parsed: feed.parsed(),
            status: 200,
            latency_ms: ms(t0),
            body: None,
            stats: Some(stats),
        })
    }

    fn too_large(&self, feed: &Feed, what: &'static str, limit: usize, usage: Usage) -> Error {
        Error::TooLarge(Box::new(TooLarge {
            provider: self.protocol.name().to_string(),
            what,
            limit: limit as u64,
            partial: feed.snapshot().clone(),
            raw: feed.acc.completion().raw_output(),
            usage,
        }))
    }

    /// A stream that ended early, keeping what arrived (and reporting it as an event).
    fn broken(
        &mut self,
        info: AttemptInfo,
        feed: &mut Feed,
        sse: &FrameReader,
        reason: String,
        usage: Usage,
    ) -> SendFailure {
        let (mut changes, mut items) = (Vec::new(), Vec::new());
        feed.finish(&mut changes, &mut items);
        let _ = self.flush(info, &mut changes, &mut items);
        let e = self.fail(Error::IncompleteStream(Box::new(BrokenStream {
            provider: self.protocol.name().to_string(),
            bytes: sse.bytes_fed(),
            reason,
            partial: feed.snapshot().clone(),
            raw: feed.acc.completion().raw_output(),
            usage,
        })));
        self.emitter.emit(RunEvent::CompletionError {
            attempt: info,
            error: e.info(),
            retry_in_ms: None,
        });
        SendFailure::Error(e)
    }

    /// Emits the pending changes and items; true when anything was emitted.
    fn flush(
        &mut self,
        info: AttemptInfo,
        changes: &mut Vec<Change>,
        items: &mut Vec<ItemOutcome>,
    ) -> bool {
        let emitted = !changes.is_empty() || !items.is_empty();
        if !changes.is_empty() {
            let changes = std::mem::take(changes);
            if self.emitter.active() {
                self.emitter.emit(RunEvent::Partial {
                    attempt: info,
                    changes,
                });
            }
        }
        for item in items.drain(..) {
            self.emitter.emit(match item {
                ItemOutcome::Valid { index, value } => RunEvent::Item {
                    attempt: info,
                    index,
                    value,
                },
                ItemOutcome::Invalid { index, issues } => RunEvent::ItemInvalid {
                    attempt: info,
                    index,
                    issues,
                },
            });
        }
        emitted
    }
}

/// What checking an answer needs, owned so that a large answer can be checked on a blocking
/// thread.
struct Check {
    reading: Reading,
    strict: bool,
    schema: ResponseSchema,
    redactor: Redactor,
}

impl Check {
    /// The answer's JSON, parsed, validated, unwrapped and with secrets masked — or why it
    /// was rejected.
    fn run(&self, completion: &Completion, parsed: Option<Value>) -> Result<Value, Rejection> {
        let answer = match parsed {
            Some(value) => Answer::One(value),
            None => extract(self.reading, completion, &self.schema).map_err(|e| Rejection {
                text: e.to_string(),
                issues: Vec::new(),
            })?,
        };
        let mut value = match answer {
            Answer::One(mut value) => {
                // A list schema is asked for as `{tasks: [...]}`; a bare list is accepted too.
                if *self.schema.shape() == Shape::List && value.is_array() {
                    value = serde_json::json!({ "tasks": value });
                }
                if self.strict {
                    self.schema.strip_strict_nulls(&mut value);
                }
                self.schema.validate(&value).map_err(|issues| {
                    let mut r = rejected(issues);
                    if echoes_schema(&value, &self.schema.tool().parameters) {
                        // Small models often copy the schema shown to them; saying so helps
                        // them (and the person reading the log) more than the missing fields.
                        r.text = format!(
                            "the answer is a JSON Schema, not data: return the object the schema describes, filled in from the input\n{}",
                            r.text
                        );
                    }
                    r
                })?;
                self.schema.unwrap(value)
            }
            Answer::Parallel(calls) => {
                let tools = self.schema.parallel_tools();
                let mut issues = Vec::new();
                let mut values = Vec::with_capacity(calls.len());
                for (i, (name, value)) in calls.into_iter().enumerate() {
                    if let Some(tool) = tools.iter().find(|t| t.name == name)
                        && let Err(found) = tool.validate(&value)
                    {
                        issues.extend(found.into_iter().map(|mut issue| {
                            issue.path = format!("/{i}{}", issue.path);
                            issue.message = format!("({name}) {}", issue.message);
                            issue
                        }));
                    }
                    values.push(value);
                }
                if !issues.is_empty() {
                    return Err(rejected(issues));
                }
                Value::Array(values)
            }
        };
        self.redactor.mask_value(&mut value);
        Ok(value)
    }
}

/// The stream's last bytes: at most `TAIL` of them are kept (copying each chunk once, and
/// trimming only when twice that has gathered, keeps the cost linear in the bytes received).
fn keep_tail(tail: &mut Vec<u8>, bytes: &[u8]) {
    const TAIL: usize = 4096;
    if bytes.len() >= TAIL {
        tail.clear();
        tail.extend_from_slice(&bytes[bytes.len() - TAIL..]);
        return;
    }
    tail.extend_from_slice(bytes);
    if tail.len() > 2 * TAIL {
        tail.drain(..tail.len() - TAIL);
    }
}

fn closes(c: &Change) -> bool {
    matches!(
        c,
        Change::Set { complete: true, .. } | Change::Complete { .. }
    )
}

/// A streamed completion as JSON, for the `completion:response` event.
fn completion_value(c: &Completion) -> Value {
    serde_json::json!({
        "text": c.text,
        "tool_calls": c.tool_calls,
        "refusal": c.refusal,
        "reasoning": c.reasoning,
        "finish": c.finish.as_ref().map(|f| format!("{f:?}")),
        "usage": c.usage,
    })
}

/// True when `answer` looks like a JSON Schema (`type`/`properties` keywords) while the
/// expected object has no fields of those names.
fn echoes_schema(answer: &Value, expected: &Value) -> bool {
    let Some(obj) = answer.as_object() else {
        return false;
    };
    let declares = |k: &str| {
        expected
            .pointer("/properties")
            .and_then(|p| p.get(k))
            .is_some()
    };
    obj.get("properties").is_some_and(Value::is_object)
        && (obj.contains_key("type") || obj.contains_key("required"))
        && !declares("properties")
        && !declares("type")
}

fn rejected(issues: Vec<Issue>) -> Rejection {
    Rejection {
        text: format!(
            "the answer does not match the schema:\n{}",
            render_issues(&issues)
        ),
        issues,
    }
}
