//! Providers. A [`Protocol`] turns a call into an HTTP request and a response body into a
//! [`Completion`]; the attempt loop (`run`) does everything else the same way for every
//! provider. OpenAI-compatible services are presets of one protocol ([`presets`]).
//! Anthropic, Gemini, Vertex, Cohere and Bedrock implement the same trait: their auth lives
//! in [`Protocol::build`] (which sees the whole request, so SigV4 signing fits), their body
//! shape and usage fields in [`Protocol::parse`], their re-ask shapes in [`Protocol::reask`].

pub mod body;
pub mod openai;
pub mod presets;

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

use crate::message::{Message, ToolCall};
use crate::mode::Mode;
use crate::request::Sampling;
use crate::schema::ResponseSchema;
use crate::secret::ApiKey;
use crate::sse::SseEvent;
use crate::usage::Usage;

/// One header; secret ones (auth) are redacted wherever the request is recorded.
#[derive(Debug, Clone)]
pub struct Header {
    pub name: String,
    pub value: String,
    pub secret: bool,
}

/// A request ready to send: always a JSON POST.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub url: String,
    pub headers: Vec<Header>,
    pub body: body::Body,
}

/// Everything a protocol needs to build one call.
pub struct CallSpec<'a> {
    pub mode: Mode,
    pub model: &'a str,
    pub messages: &'a [Message],
    /// How many of `messages` are the caller's (the rest are re-asks).
    pub prompt_len: usize,
    pub schema: &'a ResponseSchema,
    pub sampling: &'a Sampling,
    pub extra_body: &'a Map<String, Value>,
    /// Ask for a streamed (SSE) answer.
    pub stream: bool,
}

/// One piece of a streamed answer, in provider-neutral form, borrowing from the event it
/// came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Delta<'a> {
    /// Answer text.
    Text(Cow<'a, str>),
    /// Arguments text of tool call `index`; `id` and `name` come with its first piece.
    ToolArgs {
        index: usize,
        id: Option<Cow<'a, str>>,
        name: Option<Cow<'a, str>>,
        text: Cow<'a, str>,
    },
    Refusal(Cow<'a, str>),
    Finish(Finish),
    Usage(Usage),
    /// The stream's terminator (`[DONE]`, `response.completed`).
    Done,
}

/// What went wrong inside a stream.
#[derive(Debug, Clone)]
pub enum StreamFailure {
    /// The provider sent an error object mid-stream.
    Provider(String),
    /// An event was not what the protocol promises.
    Malformed(String),
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// A natural end or a tool call.
    Complete,
    /// Cut by the token limit: the output is incomplete and is not re-asked.
    Length,
    /// The provider's content filter stopped it.
    ContentFilter,
    /// Anything else the provider reported.
    Other(String),
}

/// A parsed provider response.
#[derive(Debug, Clone, Default)]
pub struct Completion {
    pub text: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub finish: Option<Finish>,
    /// The model's refusal message (OpenAI structured outputs report these separately).
    pub refusal: Option<String>,
    pub usage: Usage,
}

impl Completion {
    /// The raw output of this attempt as a person would want to see it: the tool arguments,
    /// or the text.
    pub fn raw_output(&self) -> Option<String> {
        if self.tool_calls.is_empty() {
            return self.text.clone();
        }
        Some(
            self.tool_calls
                .iter()
                .map(|c| c.arguments.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        )
    }
}

/// What an error body says.
#[derive(Debug, Clone, Default)]
pub struct ProviderFailure {
    /// The provider's own message, when the body has one.
    pub message: Option<String>,
    /// A 429 that waiting will not fix.
    pub quota_exhausted: bool,
}

pub trait Protocol: Send + Sync + fmt::Debug {
    /// The provider name shown to people (`openai`, `groq`, …).
    fn name(&self) -> &str;

    /// For a local server that did not answer: how to start one serving `model`.
    fn start_hint(&self, _model: &str) -> Option<String> {
        None
    }

    /// The full request for one attempt.
    fn build(&self, call: &CallSpec<'_>, key: Option<&ApiKey>) -> HttpRequest;

    /// Parses a 2xx body. `Err` carries a description of what was wrong with it.
    fn parse(&self, mode: Mode, body: &[u8]) -> Result<Completion, String>;

    /// Turns one SSE event of a streamed answer into deltas, handed to `on_delta`.
    fn stream_deltas(
        &self,
        mode: Mode,
        event: &SseEvent,
        on_delta: &mut dyn FnMut(Delta<'_>),
    ) -> Result<(), StreamFailure>;

    /// Reads an error body.
    fn failure(&self, status: u16, body: &str) -> ProviderFailure;

    /// Whether `mode` sends the strict-normalized schema (so optional fields come back as
    /// nulls that must be dropped before validating against the caller's schema).
    fn sends_strict_schema(&self, mode: Mode) -> bool {
        mode == Mode::ToolsStrict
    }

    /// Messages appended after an attempt whose answer failed with `error`.
    fn reask(&self, mode: Mode, completion: &Completion, error: &str) -> Vec<Message>;
}
