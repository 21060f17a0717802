//! The engine's error type. Every variant says what went wrong, where, and (through
//! [`Error::hint`]) how to fix it; [`Error::kind`] sorts errors into the classes the CLI
//! turns into exit codes and the UI into colours.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::message::Message;
use crate::mode::Mode;
use crate::secret::Redactor;
use crate::usage::Usage;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The broad class of an error, stable across versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request itself is wrong: schema, template, provider, mode, missing key.
    BadInput,
    /// The provider or the network failed (after transport retries).
    Provider,
    /// The model never produced output that parsed and validated.
    Invalid,
    /// The model stopped early (token limit) or refused.
    Incomplete,
    /// The caller cancelled the run.
    Cancelled,
}

/// The setting that fixes an error, so that each front end can point at its own control for it
/// (a CLI flag, a field of the desktop form) while the messages and hints name no front end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    Provider,
    Model,
    Mode,
    Schema,
    /// The message templates.
    Messages,
    /// The template variables.
    Variables,
    /// An attached file (image, PDF, audio).
    Files,
    ApiKey,
    BaseUrl,
    Headers,
    ExtraBody,
    Timeout,
    RequestTimeout,
    MaxRetries,
    MaxTokens,
    Sampling,
    Stream,
    /// The run-history database.
    Database,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Schema(#[from] crate::schema::SchemaError),

    #[error("{0}")]
    Template(#[from] crate::template::TemplateError),

    #[error("unknown provider `{name}`")]
    UnknownProvider {
        name: String,
        known: Vec<&'static str>,
    },

    #[error("unknown mode `{name}`")]
    UnknownMode { name: String },

    #[error("provider `{provider}` does not support mode `{mode}`{}", note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default())]
    UnsupportedMode {
        provider: String,
        mode: String,
        valid: Vec<Mode>,
        note: Option<String>,
    },

    #[error("no API key for provider `{provider}`: the environment variable {env_var} is not set")]
    MissingApiKey {
        provider: String,
        env_var: String,
        /// A keychain is reachable, so the key can be stored there too.
        keychain: bool,
    },

    #[error(
        "provider `{provider}` needs a base URL: the environment variable {env_var} is not set"
    )]
    MissingBaseUrl { provider: String, env_var: String },

    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// One setting of the request is unusable; nothing was sent.
    #[error("{message}")]
    InvalidSetting {
        setting: Setting,
        message: String,
        hint: String,
    },

    #[error("{provider} answered HTTP {status}: {message}")]
    Http {
        provider: String,
        status: u16,
        /// The provider's own error message when the body carried one.
        message: String,
        /// The raw response body (secrets masked).
        body: String,
        /// How many transport retries were spent before giving up.
        retries: u32,
        /// How long the provider asked to wait (`Retry-After`), when it asked.
        retry_after_ms: Option<u64>,
    },

    #[error("could not reach {provider} at {url}: {message}")]
    Transport {
        provider: String,
        url: String,
        message: String,
        retries: u32,
        /// How to start the server, for presets of local servers (Ollama, llama.cpp, …).
        local_server: Option<String>,
    },

    #[error("{provider} answered something that is not a {expected}: {detail}")]
    MalformedResponse {
        provider: String,
        expected: &'static str,
        detail: String,
        body: String,
    },

    #[error("{provider} does not stream: it answered a streamed request with {what}")]
    NotStreaming {
        provider: String,
        /// What came instead (`a complete JSON body (application/json)`).
        what: String,
        body: String,
    },

    #[error("{} sent more than the limit of {} for {}", .0.provider, crate::limits::human_bytes(.0.limit), .0.what)]
    TooLarge(Box<TooLarge>),

    #[error("the run took longer than its total timeout of {limit_ms} ms")]
    Timeout {
        limit_ms: u64,
        failed_attempts: Vec<FailedAttempt>,
        usage: Usage,
    },

    #[error("the model stopped before finishing its answer (finish reason `{reason}`)")]
    IncompleteOutput {
        reason: String,
        raw: Option<String>,
        usage: Usage,
    },

    #[error("the stream from {} ended before its end marker, after {} bytes: {}", .0.provider, .0.bytes, .0.reason)]
    IncompleteStream(Box<BrokenStream>),

    #[error("{} reported an error in the middle of the stream: {}", .0.provider, .0.reason)]
    StreamError(Box<BrokenStream>),

    #[error("the run was cancelled")]
    Cancelled {
        partial: Option<Box<Value>>,
        usage: Usage,
    },

    #[error("the model refused: {text}")]
    Refusal { text: String, usage: Usage },

    #[error("{}", exhausted_summary(.0))]
    RetriesExhausted(Box<Exhausted>),
}

/// An answer past one of the size limits, and what had arrived before it.
#[derive(Debug, Clone, Serialize)]
pub struct TooLarge {
    pub provider: String,
    /// What hit the limit: `a response body`, `one stream event`, `a streamed answer`.
    pub what: &'static str,
    pub limit: u64,
    /// The partial object a stream had built (null for a plain body).
    pub partial: Value,
    /// The text that arrived, up to the limit.
    pub raw: Option<String>,
    pub usage: Usage,
}

/// A stream that ended before its end marker, and what had arrived.
#[derive(Debug, Clone, Serialize)]
pub struct BrokenStream {
    pub provider: String,
    pub bytes: u64,
    pub reason: String,
    /// The partial object as it stood when the stream broke.
    pub partial: Value,
    pub raw: Option<String>,
    pub usage: Usage,
}

/// What a run that never produced valid output leaves behind.
#[derive(Debug, Clone, Serialize)]
pub struct Exhausted {
    pub failed_attempts: Vec<FailedAttempt>,
    /// The message list as it stood after the last re-ask (what the next call would send).
    pub messages: Vec<Message>,
    pub usage: Usage,
}

/// One attempt that produced a completion that did not parse or validate.
#[derive(Debug, Clone, Serialize)]
pub struct FailedAttempt {
    pub number: u32,
    pub error: String,
    /// The model's raw output for that attempt (tool arguments or text).
    pub raw: Option<String>,
}

fn exhausted_summary(e: &Exhausted) -> String {
    format!(
        "the answer was still invalid after {} attempt(s)",
        e.failed_attempts.len()
    )
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Schema(_)
            | Error::Template(_)
            | Error::UnknownProvider { .. }
            | Error::UnknownMode { .. }
            | Error::UnsupportedMode { .. }
            | Error::MissingApiKey { .. }
            | Error::MissingBaseUrl { .. }
            | Error::InvalidRequest(_)
            | Error::InvalidSetting { .. } => ErrorKind::BadInput,
            Error::Http { .. }
            | Error::Transport { .. }
            | Error::MalformedResponse { .. }
            | Error::NotStreaming { .. }
            | Error::TooLarge(_)
            | Error::IncompleteStream(_)
            | Error::StreamError(_)
            | Error::Timeout { .. } => ErrorKind::Provider,
            Error::Cancelled { .. } => ErrorKind::Cancelled,
            Error::RetriesExhausted(_) => ErrorKind::Invalid,
            Error::IncompleteOutput { .. } | Error::Refusal { .. } => ErrorKind::Incomplete,
        }
    }

    /// A stable machine-readable code (`{code, message, details}` at the UI boundary).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Schema(e) => e.code(),
            Error::Template(e) => e.code(),
            Error::UnknownProvider { .. } => "unknown_provider",
            Error::UnknownMode { .. } => "unknown_mode",
            Error::UnsupportedMode { .. } => "unsupported_mode",
            Error::MissingApiKey { .. } => "missing_api_key",
            Error::MissingBaseUrl { .. } => "missing_base_url",
            Error::InvalidRequest(_) => "invalid_request",
            Error::InvalidSetting { .. } => "invalid_setting",
            Error::Http { status: 429, .. } => "rate_limited",
            Error::Http {
                status: 401 | 403, ..
            } => "unauthorized",
            Error::Http { .. } => "provider_http_error",
            Error::Transport { .. } => "transport_error",
            Error::MalformedResponse { .. } => "malformed_response",
            Error::NotStreaming { .. } => "not_streaming",
            Error::TooLarge(_) => "response_too_large",
            Error::Timeout { .. } => "timeout",
            Error::IncompleteStream(_) => "incomplete_stream",
            Error::StreamError(_) => "provider_stream_error",
            Error::Cancelled { .. } => "cancelled",
            Error::IncompleteOutput { .. } => "incomplete_output",
            Error::Refusal { .. } => "refusal",
            Error::RetriesExhausted(_) => "validation_exhausted",
        }
    }

    /// How to fix it, in one or two sentences a person can act on.
    pub fn hint(&self) -> String {
        match self {
            Error::Schema(e) => e.hint(),
            Error::Template(e) => e.hint(),
            Error::UnknownProvider { known, .. } => format!(
                "use PROVIDER/MODEL with one of: {}; for another OpenAI-compatible server, use the openai provider with that server's base URL",
                known.join(", ")
            ),
            Error::UnknownMode { .. } => format!(
                "use one of: {} (instructor's upper-case names such as TOOLS or MD_JSON work too)",
                Mode::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
            ),
            Error::UnsupportedMode { provider, valid, .. } => format!(
                "{provider} accepts: {}",
                valid.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
            ),
            Error::MissingApiKey {
                provider,
                env_var,
                keychain,
            } => {
                if *keychain {
                    format!(
                        "store the {provider} key in the OS keychain, or set the environment variable {env_var}"
                    )
                } else {
                    format!(
                        "set the environment variable {env_var} (no OS keychain is reachable here, so the environment is the place for it)"
                    )
                }
            }
            Error::MissingBaseUrl { env_var, .. } => {
                format!("set {env_var} to your resource's address (https://…), or give a base URL")
            }
            Error::InvalidRequest(_) => "correct the request and run it again".into(),
            Error::InvalidSetting { hint, .. } => hint.clone(),
            Error::Http {
                status,
                retry_after_ms: Some(ms),
                ..
            } if *status == 429 || *status == 503 => format!(
                "the provider asked to wait {} before trying again; run again after that, or raise the rate limit with the provider",
                crate::limits::human_duration(std::time::Duration::from_millis(*ms))
            ),
            Error::Http { status, .. } => match status {
                401 | 403 => "check the API key and that it may use this model".into(),
                404 => "check the model name and the base URL".into(),
                429 => "the provider is rate limiting or the quota is used up; wait, or raise the limit with the provider".into(),
                400 | 422 => "the provider rejected the request; the message above says which field".into(),
                _ => "the provider failed; try again later".into(),
            },
            Error::Transport {
                local_server: Some(start),
                ..
            } => format!(
                "start the server ({start}), or point the base URL at where it runs"
            ),
            // rustls says "invalid peer certificate: <why>" when the handshake's check fails.
            Error::Transport { message, .. } if message.contains("peer certificate") => {
                "the server's TLS certificate is not trusted here: if it comes from a private certificate authority, add that authority to the system's certificate store or set SSL_CERT_FILE to its PEM file".into()
            }
            Error::Transport { .. } => {
                "check that the server is running and the base URL is right".into()
            }
            Error::MalformedResponse { .. } => {
                "check that the base URL points at an OpenAI-compatible API (usually ending in /v1)".into()
            }
            Error::NotStreaming { .. } => {
                "run without streaming, or use a server that supports `stream: true`".into()
            }
            Error::TooLarge(_) => {
                "ask for less (a smaller schema or a lower token limit), or check that the base URL points at a model API; what arrived is kept in the error's details".into()
            }
            Error::Timeout { .. } => "raise the total timeout, or use a faster model".into(),
            Error::IncompleteStream(_) => {
                "the stream stopped before the answer was complete; run again (what arrived is kept in the error's details)".into()
            }
            Error::StreamError(_) => "the provider failed mid-answer; try again later".into(),
            Error::Cancelled { .. } => "nothing to fix: the run was stopped on request".into(),
            Error::IncompleteOutput { .. } => {
                "raise the token limit (max tokens), or make the schema smaller".into()
            }
            Error::Refusal { .. } => "rephrase the prompt or the data".into(),
            Error::RetriesExhausted(_) => {
                "allow more re-asks, describe the fields better in the schema, or try another model or mode".into()
            }
        }
    }

    /// The setting to change to fix this error, when one does.
    pub fn setting(&self) -> Option<Setting> {
        Some(match self {
            Error::Schema(_) => Setting::Schema,
            Error::Template(crate::template::TemplateError::Undefined { .. }) => Setting::Variables,
            Error::Template(_) => Setting::Messages,
            Error::UnknownProvider { .. } => Setting::Provider,
            Error::UnknownMode { .. } | Error::UnsupportedMode { .. } => Setting::Mode,
            Error::MissingApiKey { .. } => Setting::ApiKey,
            Error::MissingBaseUrl { .. } => Setting::BaseUrl,
            Error::InvalidSetting { setting, .. } => *setting,
            Error::Http {
                status: 401 | 403, ..
            } => Setting::ApiKey,
            Error::Http { status: 404, .. } => Setting::Model,
            Error::Transport { .. } | Error::MalformedResponse { .. } => Setting::BaseUrl,
            Error::NotStreaming { .. } => Setting::Stream,
            Error::Timeout { .. } => Setting::Timeout,
            Error::IncompleteOutput { .. } => Setting::MaxTokens,
            Error::RetriesExhausted(_) => Setting::MaxRetries,
            Error::InvalidRequest(_)
            | Error::Http { .. }
            | Error::TooLarge(_)
            | Error::IncompleteStream(_)
            | Error::StreamError(_)
            | Error::Cancelled { .. }
            | Error::Refusal { .. } => return None,
        })
    }

    /// Structured details for the UI and for `--events`.
    pub fn details(&self) -> Value {
        match self {
            Error::Schema(e) => e.details(),
            Error::Template(e) => e.details(),
            Error::UnknownProvider { name, known } => json!({"name": name, "known": known}),
            Error::UnknownMode { name } => json!({"name": name}),
            Error::UnsupportedMode {
                provider,
                mode,
                valid,
                ..
            } => json!({"provider": provider, "mode": mode, "valid": valid}),
            Error::MissingApiKey {
                provider,
                env_var,
                keychain,
            } => json!({"provider": provider, "env_var": env_var, "keychain": keychain}),
            Error::MissingBaseUrl { provider, env_var } => {
                json!({"provider": provider, "env_var": env_var})
            }
            Error::InvalidRequest(_) => Value::Null,
            Error::InvalidSetting { setting, .. } => json!({"setting": setting}),
            Error::Http {
                status,
                message,
                body,
                retries,
                retry_after_ms,
                ..
            } => {
                json!({"status": status, "provider_message": message, "body": body, "retries": retries,
                       "retry_after_ms": retry_after_ms})
            }
            Error::Transport {
                url,
                retries,
                local_server,
                ..
            } => json!({"url": url, "retries": retries, "local_server": local_server}),
            Error::MalformedResponse { detail, body, .. } => {
                json!({"detail": detail, "body": body})
            }
            Error::NotStreaming { what, body, .. } => json!({"what": what, "body": body}),
            Error::TooLarge(t) => json!({"what": t.what, "limit": t.limit, "partial": t.partial,
                                         "raw": t.raw, "usage": t.usage}),
            Error::Timeout {
                failed_attempts,
                usage,
                ..
            } => json!({"failed_attempts": failed_attempts, "usage": usage}),
            Error::IncompleteOutput { raw, usage, .. } => json!({"raw": raw, "usage": usage}),
            Error::IncompleteStream(b) => {
                json!({"bytes": b.bytes, "partial": b.partial, "raw": b.raw, "usage": b.usage})
            }
            Error::StreamError(b) => json!({"partial": b.partial, "usage": b.usage}),
            Error::Cancelled { partial, usage } => json!({"partial": partial, "usage": usage}),
            Error::Refusal { text, usage } => json!({"text": text, "usage": usage}),
            Error::RetriesExhausted(e) => serde_json::to_value(e).unwrap_or(Value::Null),
        }
    }

    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            code: self.code().to_string(),
            kind: self.kind(),
            message: self.to_string(),
            hint: self.hint(),
            setting: self.setting(),
            details: self.details(),
        }
    }

    /// Usage spent before the error, when the run got that far.
    pub fn usage(&self) -> Option<&Usage> {
        match self {
            Error::Timeout { usage, .. }
            | Error::IncompleteOutput { usage, .. }
            | Error::Cancelled { usage, .. }
            | Error::Refusal { usage, .. } => Some(usage),
            Error::RetriesExhausted(e) => Some(&e.usage),
            Error::IncompleteStream(b) | Error::StreamError(b) => Some(&b.usage),
            Error::TooLarge(t) => Some(&t.usage),
            _ => None,
        }
    }

    /// Masks every secret out of every text this error carries (messages, bodies, raw
    /// answers, partial objects, URLs), so it can be shown, logged and stored.
    pub fn redact(&mut self, r: &Redactor) {
        if r.is_empty() {
            return;
        }
        let s = |t: &mut String| r.mask_string(t);
        let opt = |t: &mut Option<String>| {
            if let Some(t) = t {
                r.mask_string(t)
            }
        };
        let failed = |f: &mut Vec<FailedAttempt>| {
            for a in f {
                r.mask_string(&mut a.error);
                if let Some(raw) = &mut a.raw {
                    r.mask_string(raw)
                }
            }
        };
        match self {
            Error::Schema(_) | Error::Template(_) => {}
            Error::UnknownProvider { name, .. } | Error::UnknownMode { name } => s(name),
            Error::UnsupportedMode {
                provider,
                mode,
                note,
                ..
            } => {
                s(provider);
                s(mode);
                opt(note);
            }
            Error::MissingApiKey {
                provider, env_var, ..
            }
            | Error::MissingBaseUrl { provider, env_var } => {
                s(provider);
                s(env_var);
            }
            Error::InvalidRequest(m) => s(m),
            Error::InvalidSetting { message, hint, .. } => {
                s(message);
                s(hint);
            }
            Error::Http {
                provider,
                message,
                body,
                ..
            } => {
                s(provider);
                s(message);
                *body = r.mask_body(body);
            }
            Error::Transport {
                provider,
                url,
                message,
                ..
            } => {
                s(provider);
                s(url);
                s(message);
            }
            Error::MalformedResponse {
                provider,
                detail,
                body,
                ..
            } => {
                s(provider);
                s(detail);
                *body = r.mask_body(body);
            }
            Error::NotStreaming {
                provider,
                what,
                body,
            } => {
                s(provider);
                s(what);
                *body = r.mask_body(body);
            }
            Error::TooLarge(t) => {
                s(&mut t.provider);
                r.mask_value(&mut t.partial);
                opt(&mut t.raw);
            }
            Error::Timeout {
                failed_attempts, ..
            } => failed(failed_attempts),
            Error::IncompleteOutput { reason, raw, .. } => {
                s(reason);
                opt(raw);
            }
            Error::IncompleteStream(b) | Error::StreamError(b) => {
                s(&mut b.provider);
                s(&mut b.reason);
                r.mask_value(&mut b.partial);
                opt(&mut b.raw);
            }
            Error::Cancelled { partial, .. } => {
                if let Some(p) = partial {
                    r.mask_value(p);
                }
            }
            Error::Refusal { text, .. } => s(text),
            Error::RetriesExhausted(e) => {
                failed(&mut e.failed_attempts);
                for m in &mut e.messages {
                    m.redact(r);
                }
            }
        }
    }
}

/// The serializable form of an error: `{code, kind, message, hint, details}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct ErrorInfo {
    pub code: String,
    pub kind: ErrorKind,
    pub message: String,
    pub hint: String,
    /// The setting that fixes it, when one does.
    #[serde(default)]
    pub setting: Option<Setting>,
    pub details: Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplateError;

    /// One error of every kind a person can meet.
    fn every_error() -> Vec<Error> {
        let broken = || {
            Box::new(BrokenStream {
                provider: "p".into(),
                bytes: 1,
                reason: "r".into(),
                partial: Value::Null,
                raw: None,
                usage: Usage::default(),
            })
        };
        let schema = crate::schema::ResponseSchema::from_json_str("[").unwrap_err();
        vec![
            Error::Schema(schema),
            Error::Template(TemplateError::Undefined {
                message: 1,
                role: "user",
                line: 1,
                name: "text".into(),
                known: vec![],
            }),
            Error::UnknownProvider {
                name: "x".into(),
                known: vec!["openai"],
            },
            Error::UnknownMode { name: "x".into() },
            Error::UnsupportedMode {
                provider: "openai".into(),
                mode: "x".into(),
                valid: vec![Mode::Tools],
                note: None,
            },
            Error::MissingApiKey {
                provider: "openai".into(),
                env_var: "OPENAI_API_KEY".into(),
                keychain: true,
            },
            Error::MissingApiKey {
                provider: "openai".into(),
                env_var: "OPENAI_API_KEY".into(),
                keychain: false,
            },
            Error::MissingBaseUrl {
                provider: "azure_openai".into(),
                env_var: "AZURE_OPENAI_ENDPOINT".into(),
            },
            Error::InvalidRequest("x".into()),
            Error::Transport {
                provider: "ollama".into(),
                url: "u".into(),
                message: "m".into(),
                retries: 0,
                local_server: Some("`ollama serve`".into()),
            },
            Error::MalformedResponse {
                provider: "p".into(),
                expected: "completion",
                detail: "d".into(),
                body: String::new(),
            },
            Error::NotStreaming {
                provider: "p".into(),
                what: "w".into(),
                body: String::new(),
            },
            Error::Timeout {
                limit_ms: 1,
                failed_attempts: vec![],
                usage: Usage::default(),
            },
            Error::IncompleteOutput {
                reason: "length".into(),
                raw: None,
                usage: Usage::default(),
            },
            Error::IncompleteStream(broken()),
            Error::StreamError(broken()),
            Error::Refusal {
                text: "no".into(),
                usage: Usage::default(),
            },
            Error::RetriesExhausted(Box::new(Exhausted {
                failed_attempts: vec![],
                messages: vec![],
                usage: Usage::default(),
            })),
        ]
    }

    #[test]
    fn hints_name_settings_never_a_front_end() {
        for e in every_error() {
            let hint = e.hint();
            assert!(!hint.contains(" --"), "{}: a flag in `{hint}`", e.code());
            assert!(
                !hint.contains("quarry "),
                "{}: a command in `{hint}`",
                e.code()
            );
        }
        let e = Error::RetriesExhausted(Box::new(Exhausted {
            failed_attempts: vec![],
            messages: vec![],
            usage: Usage::default(),
        }));
        assert_eq!(e.info().setting, Some(Setting::MaxRetries));
    }
}
