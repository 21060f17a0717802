//! A scripted fake of the OpenAI wire protocol (Chat Completions and Responses), of
//! Anthropic's Messages API and of Google's Gemini API (with Vertex AI's form of it) for
//! Quarry's tests and benchmarks. Each test starts its own server
//! on 127.0.0.1:0, scripts the replies in order, and reads back every request it received.
//!
//! The last scripted reply repeats forever, so a benchmark can script one answer and call
//! it as often as it likes.
//!
//! A `POST …/v1/messages` request is first checked the way the real Anthropic API checks it
//! (headers, body shape, tool-use pairing, thinking and structured-output rules): one the real
//! API would refuse gets the real API's error (status, `{"type": "error", "error": {…}}`)
//! instead of the next scripted reply, which stays queued; the request is recorded either way.
//! Another `…/v1/…` path asked with an `anthropic-version` header is a 404 `not_found_error`.
//!
//! A `POST …/v1beta/models/{MODEL}:generateContent` or `:streamGenerateContent` (or Vertex AI's
//! `…/v1/projects/{P}/locations/{L}/publishers/google/models/{MODEL}:…`) is checked the way the
//! real Gemini API checks it (credentials, the proto-JSON parse, schemas, roles, function turns,
//! thought signatures): a refused one gets Google's error (`{"error": {"code", "message",
//! "status"}}`) and the scripted reply stays queued, as for Anthropic. A stream asked without
//! `alt=sse` is answered as a JSON array, as the real API does. Which bearer tokens and API keys
//! are good is set with [`FakeServer::accept_bearer`], [`FakeServer::reject_bearer`] and
//! [`FakeServer::accept_api_key`] (by default any non-empty one is).
//!
//! `POST /token` is Google's OAuth 2.0 token endpoint (see [`FakeServer::google_service_account`],
//! [`FakeServer::google_authorized_user`] and the `google_oauth` module): it answers by itself,
//! never from the script, and the tokens it issues are the ones the Vertex AI fake accepts.
//!
//! `POST …/model/{MODEL}/converse` and `…/converse-stream` are AWS Bedrock Runtime's Converse API:
//! the SigV4 signature is verified by hand against the credentials of
//! [`FakeServer::aws_credentials`], then the body is checked the way Bedrock checks it (see the
//! `bedrock` module); a refused request gets AWS's error (`{"message"}` with `x-amzn-ErrorType`)
//! and the scripted reply stays queued. A stream is written in AWS's binary event-stream framing.
//!
//! OpenAI paths are not checked.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

mod anthropic;
mod bedrock;
mod cohere;
mod gemini;
mod google_oauth;
mod openai_strict;

pub use anthropic::{
    ANTHROPIC_CACHE_CREATION_TOKENS, ANTHROPIC_CACHE_READ_TOKENS, ANTHROPIC_INPUT_TOKENS,
    ANTHROPIC_MESSAGE_ID, ANTHROPIC_MODEL, ANTHROPIC_OUTPUT_TOKENS, ANTHROPIC_REQUEST_ID,
    anthropic_tool_id,
};
pub use bedrock::eventstream::aws_event_frame;
pub use bedrock::{
    BEDROCK_ACCESS_KEY_ID, BEDROCK_INPUT_TOKENS, BEDROCK_LATENCY_MS, BEDROCK_OUTPUT_TOKENS,
    BEDROCK_REQUEST_ID, BEDROCK_SECRET_ACCESS_KEY, BEDROCK_SESSION_TOKEN, BEDROCK_SIGNATURE_WINDOW,
    BEDROCK_TOTAL_TOKENS, bedrock_tool_id, sigv4,
};
pub use cohere::{
    COHERE_BILLED_INPUT_TOKENS, COHERE_BILLED_OUTPUT_TOKENS, COHERE_CACHED_TOKENS, COHERE_ERROR_ID,
    COHERE_INPUT_TOKENS, COHERE_OUTPUT_TOKENS, COHERE_RESPONSE_ID, COHERE_TOOL_PLAN,
    COHERE_TRIAL_RATE_LIMIT, cohere_tool_id,
};
pub use gemini::{
    GEMINI_CACHED_TOKENS, GEMINI_CANDIDATES_TOKENS, GEMINI_MODEL_VERSION, GEMINI_PROMPT_TOKENS,
    GEMINI_RESPONSE_ID, GEMINI_THOUGHTS_TOKENS, GEMINI_TOTAL_TOKENS,
};
pub use google_oauth::{
    GOOGLE_CLIENT_EMAIL, GOOGLE_CLOUD_PLATFORM_SCOPE, GOOGLE_PROJECT_ID,
    GOOGLE_SERVICE_ACCOUNT_PUBLIC_KEY, GOOGLE_TOKEN_LIFETIME, GOOGLE_TOKEN_PATH, GOOGLE_TOKEN_URI,
};

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A JSON body with a status and extra headers.
    Json {
        status: u16,
        body: Value,
        headers: Vec<(String, String)>,
    },
    /// Any body (for "the server answers garbage").
    Raw {
        status: u16,
        body: String,
        content_type: String,
    },
    /// Exact bytes (invalid UTF-8, a stream written by hand) with a status and content type.
    Bytes {
        status: u16,
        body: Vec<u8>,
        content_type: String,
        headers: Vec<(String, String)>,
    },
    /// A body that never ends: `prefix`, then `block` again and again until the client goes
    /// away (a line that never ends, or events that never stop).
    Endless {
        content_type: String,
        prefix: Vec<u8>,
        block: Vec<u8>,
    },
    /// Close the connection without answering.
    Drop,
    /// Wait, then answer.
    Delay(Duration, Box<Reply>),
    /// A `text/event-stream` answer.
    Stream(StreamScript),
}

/// A scripted event stream: whole SSE events, optionally paced and re-cut into arbitrary
/// byte pieces on the wire.
#[derive(Debug, Clone)]
pub struct StreamScript {
    /// Each event's full SSE text (`data: …\n\n`), or an AWS event-stream message kept as text
    /// (a Bedrock stream: framed in binary when written, see the `bedrock` module).
    pub events: Vec<String>,
    /// Wait this long before each event.
    pub pace: Option<Duration>,
    /// Write the bytes in pieces of this size (splitting events, lines and UTF-8 characters).
    pub rechunk: Option<usize>,
}

fn sse(data: &Value) -> String {
    format!("data: {data}\n\n")
}

fn chunk(delta: Value, finish_reason: Option<&str>) -> Value {
    json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000,
           "model": "fake-model",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]})
}

/// Splits `text` into pieces of `n` characters (never inside a character).
pub fn pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
}

impl StreamScript {
    /// Chat Completions chunks: `first` delta, one delta per piece (built by `delta_for`),
    /// the finish reason, a usage chunk (`stream_options.include_usage`) and `[DONE]`.
    fn chat(
        first: Value,
        parts: Vec<String>,
        delta_for: impl Fn(String) -> Value,
        finish: &str,
    ) -> Self {
        let mut events = vec![sse(&chunk(first, None))];
        events.extend(parts.into_iter().map(|p| sse(&chunk(delta_for(p), None))));
        events.push(sse(&chunk(json!({}), Some(finish))));
        events.push(sse(
            &json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk",
            "choices": [], "usage": usage()}),
        ));
        events.push("data: [DONE]\n\n".to_string());
        StreamScript {
            events,
            pace: None,
            rechunk: None,
        }
    }
}

fn usage() -> Value {
    json!({"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60})
}

fn chat(message: Value, finish_reason: &str) -> Value {
    json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": usage(),
    })
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply::Json {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }

    /// A reply described as JSON (for the binary's `--script`, used by the UI's browser tests):
    /// `{"tool_call": {"name", "arguments"}}`, `{"content": "…"}`,
    /// `{"stream_tool_call": {"name", "arguments", "chunk"?, "pace_ms"?}}`,
    /// `{"stream_content": {"text", "chunk"?, "pace_ms"?}}`,
    /// `{"error": {"status", "code", "message"}}`, `{"garbage": {"status", "text"}}`,
    /// `{"drop": true}`, and `{"delay_ms": N, "then": {…}}`; for Anthropic's Messages API
    /// `{"anthropic_tool_use": {"name", "arguments"}}` (an object or its JSON text),
    /// `{"anthropic_text": "…"}`,
    /// `{"anthropic_stream_tool_use": {"name", "arguments", "chunk"?, "pace_ms"?}}`,
    /// `{"anthropic_stream_text": {"text", "chunk"?, "pace_ms"?}}` and
    /// `{"anthropic_error": {"status", "type", "message", "retry_after"?}}`; for the Gemini API
    /// `{"gemini_function_call": {"name", "args"}}` (an object or its JSON text),
    /// `{"gemini_text": "…"}`, `{"gemini_stream_text": {"text", "chunk"?, "pace_ms"?}}`,
    /// `{"gemini_stream_function_call": {"name", "args", "pace_ms"?}}`,
    /// `{"gemini_error": {"status", "google_status", "message"}}` and
    /// `{"gemini_rate_limited": {"retry_delay"}}` (`"32s"`); for Bedrock's Converse API
    /// `{"bedrock_tool_use": {"name", "input"}}` (an object or its JSON text),
    /// `{"bedrock_text": "…"}`, `{"bedrock_stream_tool_use": {"name", "input", "chunk"?,
    /// "pace_ms"?}}`, `{"bedrock_stream_text": {"text", "chunk"?, "pace_ms"?}}` and
    /// `{"bedrock_error": {"status", "type", "message"}}`.
    pub fn from_spec(spec: &Value) -> Result<Reply, String> {
        let text = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("`{k}` (a string) is missing in {v}"))
        };
        let num =
            |v: &Value, k: &str, default: u64| v.get(k).and_then(Value::as_u64).unwrap_or(default);
        let paced = |r: Reply, v: &Value| match num(v, "pace_ms", 0) {
            0 => r,
            ms => r.paced(Duration::from_millis(ms)),
        };
        let obj = spec
            .as_object()
            .ok_or_else(|| format!("a reply is an object, not {spec}"))?;
        if let Some(ms) = obj.get("delay_ms").and_then(Value::as_u64) {
            let then = obj.get("then").ok_or("`delay_ms` needs `then`")?;
            return Ok(Reply::from_spec(then)?.delayed(Duration::from_millis(ms)));
        }
        let (kind, v) = obj.iter().next().ok_or("an empty reply")?;
        if let Some(reply) = anthropic::from_spec(kind, v)? {
            return Ok(reply);
        }
        // Cohere's forms: see `cohere::from_spec`.
        if let Some(reply) = cohere::from_spec(kind, v)? {
            return Ok(reply);
        }
        if let Some(reply) = gemini::from_spec(kind, v)? {
            return Ok(reply);
        }
        if let Some(reply) = bedrock::from_spec(kind, v)? {
            return Ok(reply);
        }
        Ok(match kind.as_str() {
            "tool_call" => Reply::tool_call(&text(v, "name")?, &text(v, "arguments")?),
            "content" => Reply::content(v.as_str().ok_or("`content` is a string")?),
            "stream_tool_call" => paced(
                Reply::stream_tool_call(
                    &text(v, "name")?,
                    &text(v, "arguments")?,
                    num(v, "chunk", 8) as usize,
                ),
                v,
            ),
            "stream_content" => paced(
                Reply::stream_content(&text(v, "text")?, num(v, "chunk", 8) as usize),
                v,
            ),
            "error" => Reply::error(
                num(v, "status", 500) as u16,
                &text(v, "code")?,
                &text(v, "message")?,
            ),
            "garbage" => Reply::garbage(num(v, "status", 200) as u16, &text(v, "text")?),
            "drop" => Reply::Drop,
            other => return Err(format!("unknown reply kind `{other}`")),
        })
    }

    /// A chat completion that calls `name` with `arguments` (raw text, may be broken JSON).
    pub fn tool_call(name: &str, arguments: &str) -> Reply {
        Reply::tool_calls(&[(name, arguments)])
    }

    /// A chat completion with several tool calls (PARALLEL_TOOLS).
    pub fn tool_calls(calls: &[(&str, &str)]) -> Reply {
        let calls: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (name, args))| {
                json!({"id": format!("call_{i}"), "type": "function",
                       "function": {"name": name, "arguments": args}})
            })
            .collect();
        Reply::ok(chat(
            json!({"role": "assistant", "content": null, "tool_calls": calls}),
            "tool_calls",
        ))
    }

    /// A legacy `function_call` answer (FUNCTIONS mode).
    pub fn function_call(name: &str, arguments: &str) -> Reply {
        Reply::ok(chat(
            json!({"role": "assistant", "content": null,
                   "function_call": {"name": name, "arguments": arguments}}),
            "function_call",
        ))
    }

    /// A chat completion whose message content is `text`.
    pub fn content(text: &str) -> Reply {
        Reply::ok(chat(json!({"role": "assistant", "content": text}), "stop"))
    }

    /// A structured-outputs refusal.
    pub fn refusal(text: &str) -> Reply {
        Reply::ok(chat(
            json!({"role": "assistant", "content": null, "refusal": text}),
            "stop",
        ))
    }

    /// A tool call cut off by the token limit.
    pub fn length(name: &str, partial_arguments: &str) -> Reply {
        let mut r = Reply::tool_call(name, partial_arguments);
        if let Reply::Json { body, .. } = &mut r {
            body["choices"][0]["finish_reason"] = json!("length");
        }
        r
    }

    /// A Responses API answer with one function call.
    pub fn responses_call(name: &str, arguments: &str) -> Reply {
        Reply::ok(json!({
            "id": "resp_fake", "object": "response", "status": "completed", "model": "fake-model",
            "output": [{"type": "function_call", "id": "fc_1", "call_id": "call_1",
                        "name": name, "arguments": arguments, "status": "completed"}],
            "usage": {"input_tokens": 40, "output_tokens": 8, "total_tokens": 48,
                      "input_tokens_details": {"cached_tokens": 16},
                      "output_tokens_details": {"reasoning_tokens": 0}},
        }))
    }

    /// An OpenAI-style error body.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::Json {
            status,
            body: json!({"error": {"message": message, "type": code, "code": code}}),
            headers: Vec::new(),
        }
    }

    /// 429 with a `Retry-After` header (seconds or an HTTP date).
    pub fn rate_limited(retry_after: &str) -> Reply {
        Reply::Json {
            status: 429,
            body: json!({"error": {"message": "Rate limit reached", "type": "requests",
                                   "code": "rate_limit_exceeded"}}),
            headers: vec![("retry-after".into(), retry_after.into())],
        }
    }

    /// Exact bytes with a status and content type.
    pub fn bytes(status: u16, body: impl Into<Vec<u8>>, content_type: &str) -> Reply {
        Reply::Bytes {
            status,
            body: body.into(),
            content_type: content_type.into(),
            headers: Vec::new(),
        }
    }

    /// A body that is not JSON at all.
    pub fn garbage(status: u16, text: &str) -> Reply {
        Reply::Raw {
            status,
            body: text.into(),
            content_type: "text/html".into(),
        }
    }

    pub fn delayed(self, by: Duration) -> Reply {
        Reply::Delay(by, Box::new(self))
    }

    /// A streamed tool call: the arguments arrive `n` characters per chunk.
    pub fn stream_tool_call(name: &str, arguments: &str, n: usize) -> Reply {
        let first = json!({"role": "assistant", "content": null, "tool_calls": [{"index": 0,
            "id": "call_0", "type": "function", "function": {"name": name, "arguments": ""}}]});
        Reply::Stream(StreamScript::chat(
            first,
            pieces(arguments, n),
            |p| json!({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}),
            "tool_calls",
        ))
    }

    /// Streamed message content, `n` characters per chunk.
    pub fn stream_content(text: &str, n: usize) -> Reply {
        Reply::Stream(StreamScript::chat(
            json!({"role": "assistant", "content": ""}),
            pieces(text, n),
            |p| json!({"content": p}),
            "stop",
        ))
    }

    /// A streamed Responses API function call, `n` characters per delta.
    pub fn stream_responses_call(name: &str, arguments: &str, n: usize) -> Reply {
        let ev = |v: Value| format!("event: {}\ndata: {v}\n\n", v["type"].as_str().unwrap_or(""));
        let item = json!({"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": name,
                          "arguments": "", "status": "in_progress"});
        let mut events = vec![
            ev(
                json!({"type": "response.created", "response": {"id": "resp_fake", "status": "in_progress"}}),
            ),
            ev(json!({"type": "response.output_item.added", "output_index": 0, "item": item})),
        ];
        for p in pieces(arguments, n) {
            events.push(ev(json!({"type": "response.function_call_arguments.delta",
                "output_index": 0, "item_id": "fc_1", "delta": p})));
        }
        events.push(ev(
            json!({"type": "response.function_call_arguments.done", "output_index": 0,
            "item_id": "fc_1", "arguments": arguments}),
        ));
        events.push(ev(json!({"type": "response.completed", "response": {"id": "resp_fake",
            "status": "completed", "usage": {"input_tokens": 40, "output_tokens": 8, "total_tokens": 48}}})));
        Reply::Stream(StreamScript {
            events,
            pace: None,
            rechunk: None,
        })
    }

    /// A raw SSE text (a recorded stream), sent as is.
    pub fn sse(text: &str) -> Reply {
        Reply::Stream(StreamScript {
            events: vec![text.to_string()],
            pace: None,
            rechunk: None,
        })
    }

    fn script(&mut self) -> &mut StreamScript {
        match self {
            Reply::Stream(s) => s,
            _ => panic!("not a stream reply"),
        }
    }

    /// Ends the stream after its first `n` events: no finish reason, no `[DONE]`.
    pub fn cut_after(mut self, n: usize) -> Reply {
        self.script().events.truncate(n);
        self
    }

    /// Sends an error object as the event after the first `n`, and ends there.
    pub fn error_after(mut self, n: usize, message: &str) -> Reply {
        let s = self.script();
        s.events.truncate(n);
        s.events.push(sse(
            &json!({"error": {"message": message, "type": "server_error", "code": null}}),
        ));
        self
    }

    /// Waits `d` before each event.
    pub fn paced(mut self, d: Duration) -> Reply {
        self.script().pace = Some(d);
        self
    }

    /// Writes the stream in pieces of `n` bytes, cutting through lines and characters.
    pub fn rechunked(mut self, n: usize) -> Reply {
        self.script().rechunk = Some(n);
        self
    }

    /// Adds a response header (`retry-after`, `anthropic-ratelimit-…`) to a JSON, raw or bytes
    /// reply (through a delay). Panics on a stream, an endless body or a dropped connection.
    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Json {
                status,
                body,
                mut headers,
            } => {
                headers.push((name.into(), value.into()));
                Reply::Json {
                    status,
                    body,
                    headers,
                }
            }
            Reply::Bytes {
                status,
                body,
                content_type,
                mut headers,
            } => {
                headers.push((name.into(), value.into()));
                Reply::Bytes {
                    status,
                    body,
                    content_type,
                    headers,
                }
            }
            Reply::Raw {
                status,
                body,
                content_type,
            } => Reply::Bytes {
                status,
                body: body.into_bytes(),
                content_type,
                headers: vec![(name.into(), value.into())],
            },
            Reply::Delay(by, next) => Reply::Delay(by, Box::new(next.with_header(name, value))),
            other => panic!("with_header: {other:?} has no headers to add to"),
        }
    }

    /// Replaces the usage block of a JSON reply.
    pub fn with_usage(mut self, usage: Value) -> Reply {
        if let Reply::Json { body, .. } = &mut self {
            body["usage"] = usage;
        }
        self
    }
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Value::String` with the raw text when it was not JSON).
    pub body: Value,
    /// The body's bytes as they arrived.
    pub raw: bytes::Bytes,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    replies: VecDeque<Reply>,
    requests: Vec<Recorded>,
    /// Skip recording (benchmarks: keeps memory flat over millions of calls).
    quiet: bool,
    /// The Gemini API's and Vertex AI's good credentials.
    gemini_auth: gemini::validate::Auth,
    /// Google's token endpoint: the credential files made and the access tokens issued.
    google_oauth: google_oauth::OAuth,
    /// Every good SigV4 signature of a Bedrock request, in order.
    aws_signatures: Vec<bedrock::sigv4::Signed>,
}

pub struct FakeServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    /// Starts a server on 127.0.0.1 with an OS-chosen port, answering with `replies` in order.
    pub async fn start(replies: Vec<Reply>) -> std::io::Result<FakeServer> {
        Self::start_on("127.0.0.1:0", replies, false).await
    }

    /// As [`FakeServer::start`], on a given address and optionally without recording.
    pub async fn start_on(
        addr: &str,
        replies: Vec<Reply>,
        quiet: bool,
    ) -> std::io::Result<FakeServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            replies: replies.into(),
            requests: Vec::new(),
            quiet,
            gemini_auth: Default::default(),
            google_oauth: Default::default(),
            aws_signatures: Vec::new(),
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(req, state.clone()));
                    // A `Drop` reply fails the service, which makes hyper close the connection
                    // without answering: what a crashed upstream looks like to the client.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(FakeServer { addr, state, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/v1`, what `--base-url` takes.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn push(&self, reply: Reply) {
        self.state.lock().unwrap().replies.push_back(reply);
    }

    /// Accepts `token` as a bearer token of the Gemini API and Vertex AI (`Authorization:
    /// Bearer TOKEN`). Until this is first called any non-empty token is accepted; from then on
    /// only the accepted ones are, and any other gets Google's 401 `UNAUTHENTICATED` ("Request
    /// had invalid authentication credentials. …"): accept the refreshed token only, and the
    /// expired one is refused.
    pub fn accept_bearer(&self, token: &str) {
        self.state.lock().unwrap().gemini_auth.accept_bearer(token);
    }

    /// Refuses `token` from now on with the 401, whatever was accepted before (a token that
    /// expires in the middle of a run).
    pub fn reject_bearer(&self, token: &str) {
        self.state.lock().unwrap().gemini_auth.reject_bearer(token);
    }

    /// Accepts `key` as a Gemini API key (`x-goog-api-key` or `?key=`). Until this is first
    /// called any non-empty key is accepted; from then on any other key gets the real 400
    /// `INVALID_ARGUMENT` "API key not valid. Please pass a valid API key." (reason
    /// `API_KEY_INVALID`).
    pub fn accept_api_key(&self, key: &str) {
        self.state.lock().unwrap().gemini_auth.accept_api_key(key);
    }
}

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by script")
    }
}

impl std::error::Error for Dropped {}

type Body = BoxBody<Bytes, std::convert::Infallible>;

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// A body that writes the script's events (or pieces of them) as they are due. AWS event-stream
/// messages kept as text are framed first.
fn event_stream(script: StreamScript) -> Body {
    let mut writes: Vec<(Option<Duration>, Bytes)> = Vec::new();
    let events = script.events.into_iter().map(|e| {
        if bedrock::eventstream::is_text_event(&e) {
            bedrock::eventstream::frame_text_event(&e)
        } else {
            e.into_bytes()
        }
    });
    match script.rechunk {
        None => {
            for e in events {
                writes.push((script.pace, Bytes::from(e)));
            }
        }
        Some(n) => {
            let all: Vec<u8> = events.flatten().collect();
            for piece in all.chunks(n.max(1)) {
                writes.push((script.pace, Bytes::copy_from_slice(piece)));
            }
        }
    }
    let stream = futures_util::stream::unfold(writes.into_iter(), |mut it| async move {
        let (pace, bytes) = it.next()?;
        if let Some(d) = pace {
            tokio::time::sleep(d).await;
        }
        Some((Ok(Frame::data(bytes)), it))
    });
    StreamBody::new(stream).boxed()
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<Mutex<State>>,
) -> Result<Response<Body>, Dropped> {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    // What the real Anthropic and Gemini APIs would refuse is refused here too, before the
    // script (and, of OpenAI's, a strict schema it would refuse).
    // (Only a Gemini path needs the credentials: benchmarks of the others skip the lock.)
    let gemini_auth = if path.contains("/models/") {
        let mut s = state.lock().unwrap();
        google_oauth::expire_due(&mut s);
        s.gemini_auth.clone()
    } else {
        Default::default()
    };
    // Bedrock: the SigV4 signature, then the body; a good signature is recorded either way.
    let bedrock = bedrock::validate::check(
        &method,
        &path,
        query.as_deref(),
        &headers,
        &bytes,
        std::time::SystemTime::now(),
    );
    let (bedrock_refusal, aws_signature) = match bedrock {
        Some(outcome) => (outcome.refusal, outcome.signed),
        None => (None, None),
    };
    let refusal = bedrock_refusal
        .or_else(|| anthropic::validate::check(&method, &path, &headers, &bytes))
        .or_else(|| {
            gemini::validate::check(
                &method,
                &path,
                query.as_deref(),
                &headers,
                &bytes,
                &gemini_auth,
            )
        })
        .or_else(|| cohere::validate::check(&method, &path, &headers, &bytes))
        .or_else(|| openai_strict::check(&method, &path, &bytes))
        // Google's token endpoint answers by itself (not a refusal, but never from the script).
        .or_else(|| google_oauth::answer(&method, &path, &headers, &bytes, &state));
    // A Gemini stream asked without `alt=sse` is answered as one JSON array.
    let json_array = gemini::validate::json_array_stream(&method, &path, query.as_deref());
    let reply = {
        let mut s = state.lock().unwrap();
        if !s.quiet {
            let body = serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            s.requests.push(Recorded {
                method,
                path,
                query,
                headers,
                body,
                raw: bytes.clone(),
            });
            if let Some(signed) = aws_signature {
                s.aws_signatures.push(signed);
            }
        }
        if refusal.is_some() {
            // The scripted reply stays queued for the next, valid, request.
            refusal
        } else if s.replies.len() > 1 {
            s.replies.pop_front()
        } else {
            s.replies.front().cloned()
        }
    };
    let mut reply =
        reply.unwrap_or_else(|| Reply::error(500, "fake_unscripted", "no reply was scripted"));
    if json_array {
        reply = gemini::json_array(reply);
    }
    loop {
        match reply {
            Reply::Delay(by, next) => {
                tokio::time::sleep(by).await;
                reply = *next;
            }
            Reply::Drop => return Err(Dropped),
            Reply::Json {
                status,
                body,
                headers,
            } => {
                let mut r = Response::builder()
                    .status(status)
                    .header("content-type", "application/json");
                for (n, v) in headers {
                    r = r.header(n, v);
                }
                return Ok(r.body(full(body.to_string())).expect("valid response"));
            }
            Reply::Stream(script) => {
                // A Bedrock stream (its first event an AWS event-stream message) is binary.
                if script
                    .events
                    .first()
                    .is_some_and(|e| bedrock::eventstream::is_text_event(e))
                {
                    return Ok(Response::builder()
                        .status(200)
                        .header("content-type", "application/vnd.amazon.eventstream")
                        .header("x-amzn-RequestId", bedrock::BEDROCK_REQUEST_ID)
                        .body(event_stream(script))
                        .expect("valid response"));
                }
                return Ok(Response::builder()
                    .status(200)
                    .header("content-type", "text/event-stream")
                    .header("cache-control", "no-cache")
                    .body(event_stream(script))
                    .expect("valid response"));
            }
            Reply::Raw {
                status,
                body,
                content_type,
            } => {
                return Ok(Response::builder()
                    .status(status)
                    .header("content-type", content_type)
                    .body(full(body))
                    .expect("valid response"));
            }
            Reply::Bytes {
                status,
                body,
                content_type,
                headers,
            } => {
                let mut r = Response::builder()
                    .status(status)
                    .header("content-type", content_type);
                for (n, v) in headers {
                    r = r.header(n, v);
                }
                return Ok(r.body(full(body)).expect("valid response"));
            }
            Reply::Endless {
                content_type,
                prefix,
                block,
            } => {
                let block = Bytes::from(block);
                let first = futures_util::stream::once(async move { Bytes::from(prefix) });
                let rest = futures_util::stream::repeat(block);
                let body = futures_util::StreamExt::chain(first, rest);
                let body = futures_util::StreamExt::map(body, |b| {
                    Ok::<_, std::convert::Infallible>(Frame::data(b))
                });
                return Ok(Response::builder()
                    .status(200)
                    .header("content-type", content_type)
                    .body(StreamBody::new(body).boxed())
                    .expect("valid response"));
            }
        }
    }
}
