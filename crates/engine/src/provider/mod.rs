//! Providers. A [`Protocol`] turns a call into an HTTP request and a response into a
//! [`Completion`]; the attempt loop (`run`) does everything else the same way for every
//! provider. Each wire protocol lives in its own module and contributes its presets (name,
//! base URL, credentials, modes) to the [`registry`], the one list the CLI, `keys` and the
//! workbench read. Credentials are applied per try by [`auth::Auth`], after the body is
//! final, so a signature covers exactly what is sent and a token can be refreshed.

pub mod anthropic;
pub mod auth;
pub mod aws;
pub mod bedrock;
pub mod body;
pub mod cohere;
pub mod gemini;
pub mod google_auth;
mod instructions;
pub mod openai;
pub mod registry;
mod turns;

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::message::{Message, Reasoning, ToolCall};
use crate::mode::Mode;
use crate::request::Sampling;
use crate::schema::ResponseSchema;
use crate::secret::ApiKey;
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
    /// A whole reasoning block (sent back with a re-ask where the provider requires it).
    Reasoning(Reasoning),
    Finish(Finish),
    /// The usage so far (it replaces what came before: a decoder that receives usage in
    /// parts merges them itself).
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
    /// Reasoning blocks the provider returned (Anthropic's extended thinking): a re-ask
    /// sends them back unchanged.
    pub reasoning: Vec<Reasoning>,
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
    /// How long the body asks to wait (Google puts it in `RetryInfo`, not in a header).
    pub retry_after: Option<std::time::Duration>,
    /// The server cannot do the mode at all (a local model whose chat template has no tool
    /// calls): retrying or re-asking hits the same wall, so the run ends naming a mode that
    /// works.
    pub mode_unsupported: bool,
}

/// One event of a streamed answer, whatever its framing: the event's type (SSE `event:`, an
/// event-stream `:event-type` header) and its payload text.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub kind: Option<&'a str>,
    pub data: &'a str,
}

/// Turns the frames of one attempt's stream into deltas. One per attempt, so a protocol can
/// carry state across events (which content block is which, usage sent in two halves).
pub trait StreamDecoder: Send {
    fn decode(
        &mut self,
        frame: Frame<'_>,
        out: &mut dyn FnMut(Delta<'_>),
    ) -> Result<(), StreamFailure>;
}

/// Where a mode's answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The arguments of the call to the extraction tool.
    Tool,
    /// Every call, one per member of a top-level union (the result is a list).
    ParallelTools,
    /// The JSON value in the text. `anywhere`: a value may start after prose on the same
    /// line (JSON modes); otherwise only inside a fence or on a line of its own (MD_JSON,
    /// where prose around the answer is expected and braces in it are not the answer).
    Text { anywhere: bool },
}

/// What a protocol's presets say about the request they build.
pub trait Protocol: Send + Sync + fmt::Debug {
    /// The provider name shown to people (`openai`, `groq`, …).
    fn name(&self) -> &str;

    /// The modes this protocol (preset) sends, and the one used when none is asked for.
    fn modes(&self) -> &[Mode];
    fn default_mode(&self) -> Mode;

    /// For a local server that did not answer: how to start one serving `model`.
    fn start_hint(&self, _model: &str) -> Option<String> {
        None
    }

    /// How the key is sent (the protocol's header for it, or nothing), or where the
    /// credentials come from when there is no key.
    fn auth(&self, key: Option<ApiKey>) -> Result<auth::Auth, Error>;

    /// Credentials that stand in for missing ones in a preview (which sends nothing), for
    /// protocols whose credentials are not one key: their placeholders show where the real
    /// ones go. `None`: the missing credentials are an error even in a preview.
    fn stand_in_auth(&self) -> Option<auth::Auth> {
        None
    }

    /// The request for one attempt, without credentials (they are applied per try). Fails
    /// on a request this provider cannot take (a setting out of its range, an input too
    /// large), before anything is sent.
    fn build(&self, call: &CallSpec<'_>) -> Result<HttpRequest, Error>;

    /// Parses a 2xx body. `Err` carries a description of what was wrong with it.
    fn parse(&self, mode: Mode, body: &[u8]) -> Result<Completion, String>;

    /// How a streamed answer is cut into events.
    fn framing(&self) -> crate::framing::Framing {
        crate::framing::Framing::Sse
    }

    /// A decoder for one attempt's streamed answer.
    fn decoder(&self, mode: Mode) -> Box<dyn StreamDecoder>;

    /// Reads an error body.
    fn failure(&self, status: u16, body: &str) -> ProviderFailure;

    /// An error the provider wrote after its last event, outside the stream's framing (Gemini
    /// ends a failing stream with a bare JSON error object): its message, read from the
    /// stream's last bytes when the stream ended without its end marker.
    fn stream_trailer(&self, _tail: &str) -> Option<String> {
        None
    }

    /// Where a local server says what its model's chat template can do (llama-server's
    /// `/props`). Asked once, when a tool mode's first answer has no tool call: a template
    /// without tool calls answers with text whatever the request asks, and re-asking cannot
    /// change that.
    fn template_caps_url(&self) -> Option<String> {
        None
    }

    /// The files (images, PDFs, audio) this provider takes in `mode`, and their limits. The
    /// run checks every attached file against it before the first request, fetches the
    /// addresses it cannot fetch itself and turns PDFs it cannot read into text, so `build`
    /// only sees parts it takes.
    fn attachments(&self, _mode: Mode) -> crate::attachment::Accepts {
        crate::attachment::Accepts::NOTHING
    }

    /// Where the answer of `mode` is read.
    fn reading(&self, mode: Mode) -> Reading;

    /// Whether `mode` sends the strict-normalized schema (so optional fields come back as
    /// nulls that must be dropped before validating against the caller's schema).
    fn sends_strict_schema(&self, mode: Mode) -> bool;

    /// Messages appended after an attempt whose answer failed with `error`.
    fn reask(&self, mode: Mode, completion: &Completion, error: &str) -> Vec<Message>;
}
