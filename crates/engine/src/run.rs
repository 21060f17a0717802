//! The attempt loop: render → request → parse → validate → re-ask, with transport retries
//! inside each attempt and a total deadline over all of them. Every step is an event.

use std::time::Instant;

use serde_json::Value;

use crate::error::{Error, Exhausted, FailedAttempt};
use crate::events::{AttemptInfo, Emitter, RunEvent};
use crate::extract::{Answer, extract};
use crate::mode::Mode;
use crate::provider::{CallSpec, Completion, Finish, Header, HttpRequest, Protocol};
use crate::request::ExtractRequest;
use crate::schema::ResponseSchema;
use crate::secret::ApiKey;
use crate::template::render_messages;
use crate::transport::{self, SendError};
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
    pub key: Option<&'a ApiKey>,
    pub mode: Mode,
    pub request: &'a ExtractRequest,
    pub schema: &'a ResponseSchema,
    pub emitter: Emitter,
}

/// Why one attempt's answer was rejected.
struct Rejection {
    text: String,
    issues: Vec<Issue>,
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
        let result = self
            .attempts(max_attempts, started, &mut usage, &mut attempts, &finish)
            .await;
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
        let deadline = self.request.timeout.map(|t| started + t);
        let mut messages = render_messages(&self.request.messages, &self.request.context)?;
        let prompt_len = messages.len();
        let mut failed: Vec<FailedAttempt> = Vec::new();
        let mut latencies = Vec::new();
        let timeout_error = |failed: &[FailedAttempt], usage: Usage| Error::Timeout {
            limit_ms: self.request.timeout.map_or(0, |t| t.as_millis() as u64),
            failed_attempts: failed.to_vec(),
            usage,
        };

        for attempt in 1..=max_attempts {
            *attempts = attempt;
            let info = AttemptInfo {
                attempt,
                max_attempts,
                is_last: attempt == max_attempts,
            };
            let mut http = self.protocol.build(
                &CallSpec {
                    mode: self.mode,
                    model: &self.request.model,
                    messages: &messages,
                    prompt_len,
                    schema: self.schema,
                    sampling: &self.request.sampling,
                    extra_body: &self.request.extra_body,
                },
                self.key,
            );
            http.headers
                .extend(self.request.extra_headers.iter().map(|(n, v)| Header {
                    name: n.clone(),
                    value: v.clone(),
                    secret: false,
                }));

            let (body, latency_ms, status) = match self.send(&http, info, deadline).await {
                Ok(ok) => ok,
                Err(SendFailure::Deadline) => return Err(timeout_error(&failed, *usage)),
                Err(SendFailure::Error(e)) => return Err(e),
            };
            latencies.push(latency_ms);

            let completion = match self.protocol.parse(self.mode, &body) {
                Ok(c) => c,
                Err(detail) => {
                    let e = Error::MalformedResponse {
                        provider: self.protocol.name().to_string(),
                        expected: "completion",
                        detail,
                        body: self.mask(&String::from_utf8_lossy(&body)),
                    };
                    self.emitter.emit(RunEvent::CompletionError {
                        attempt: info,
                        error: e.info(),
                        retry_in_ms: None,
                    });
                    return Err(e);
                }
            };
            *usage += completion.usage;
            if self.emitter.active() {
                self.emitter.emit(RunEvent::CompletionResponse {
                    attempt: info,
                    status,
                    latency_ms,
                    usage: completion.usage,
                    body: transport::body_value(&body),
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

            match self.accept(&completion, finish) {
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

    /// Parses, validates and converts one completion.
    fn accept<T>(
        &self,
        completion: &Completion,
        finish: &impl Fn(Value) -> Result<T, String>,
    ) -> Result<(T, Value), Rejection> {
        let answer = extract(self.mode, completion, self.schema).map_err(|e| Rejection {
            text: e.to_string(),
            issues: Vec::new(),
        })?;
        let value = match answer {
            Answer::One(mut value) => {
                if self.protocol.sends_strict_schema(self.mode) {
                    self.schema.strip_strict_nulls(&mut value);
                }
                self.schema.validate(&value).map_err(rejected)?;
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
        let json = value.clone();
        let typed = finish(value).map_err(|e| Rejection {
            text: format!("the answer does not fit the expected type: {e}"),
            issues: Vec::new(),
        })?;
        Ok((typed, json))
    }

    fn mask(&self, text: &str) -> String {
        match self.key {
            Some(k) => k.mask(text),
            None => text.to_string(),
        }
    }

    /// One attempt's HTTP exchange with transport retries.
    async fn send(
        &mut self,
        http: &HttpRequest,
        info: AttemptInfo,
        deadline: Option<Instant>,
    ) -> Result<(bytes::Bytes, f64, u16), SendFailure> {
        let policy = self.request.transport;
        let provider = self.protocol.name().to_string();
        let mut retries = 0;
        let first_send = Instant::now();
        loop {
            if self.emitter.active() {
                self.emitter.emit(RunEvent::CompletionKwargs {
                    attempt: info,
                    request: transport::record(http),
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
            let outcome = transport::send(self.http, http, timeout).await;
            let latency_ms = t0.elapsed().as_secs_f64() * 1e3;
            let (error, retry_after, retryable) = match outcome {
                Ok(r) if (200..300).contains(&r.status) => {
                    return Ok((r.body, latency_ms, r.status));
                }
                Ok(r) => {
                    let text = self.mask(&String::from_utf8_lossy(&r.body));
                    let failure = self.protocol.failure(r.status, &text);
                    let retryable =
                        crate::retry::status_is_retryable(r.status) && !failure.quota_exhausted;
                    let message = failure.message.unwrap_or_else(|| {
                        let mut t = text.trim().to_string();
                        t.truncate(500);
                        if t.is_empty() {
                            "(empty body)".into()
                        } else {
                            t
                        }
                    });
                    let error = Error::Http {
                        provider: provider.clone(),
                        status: r.status,
                        message,
                        body: text,
                        retries,
                    };
                    (error, r.retry_after, retryable)
                }
                Err(SendError::Timeout) if deadline.is_some_and(|d| Instant::now() >= d) => {
                    return Err(SendFailure::Deadline);
                }
                Err(SendError::Timeout) => (
                    Error::Transport {
                        provider: provider.clone(),
                        url: http.url.clone(),
                        message: format!("no answer within {:.1} s", timeout.as_secs_f64()),
                        retries,
                    },
                    None,
                    true,
                ),
                Err(SendError::Io(message)) => (
                    Error::Transport {
                        provider: provider.clone(),
                        url: http.url.clone(),
                        message: self.mask(&message),
                        retries,
                    },
                    None,
                    true,
                ),
            };
            let delay = (retryable && retries < policy.max_retries)
                .then(|| policy.delay(retries + 1, retry_after))
                .flatten()
                .filter(|d| first_send.elapsed() + *d <= policy.max_elapsed)
                .filter(|d| deadline.is_none_or(|dl| Instant::now() + *d < dl));
            self.emitter.emit(RunEvent::CompletionError {
                attempt: info,
                error: error.info(),
                retry_in_ms: delay.map(|d| d.as_millis() as u64),
            });
            match delay {
                Some(d) => {
                    tokio::time::sleep(d).await;
                    retries += 1;
                }
                None => return Err(SendFailure::Error(error)),
            }
        }
    }
}

enum SendFailure {
    Deadline,
    Error(Error),
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
