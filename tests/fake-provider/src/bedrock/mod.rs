//! Amazon Bedrock Runtime's Converse API (`POST /model/{modelId}/converse`) and ConverseStream
//! (`POST /model/{modelId}/converse-stream`): the SigV4 signature checked by hand (see
//! [`sigv4`]), the body checked the way the real service checks it (see [`validate`]), scripted
//! answers in the documented shapes, and streams in AWS's binary event-stream framing (see
//! [`eventstream`]).
//!
//! The model id rides the path, percent-encoded (`anthropic.claude-3-5-sonnet-20240620-v1%3A0`);
//! the fake accepts any region in the credential scope, and only the service `bedrock`. The
//! credentials it knows are [`BEDROCK_ACCESS_KEY_ID`] / [`BEDROCK_SECRET_ACCESS_KEY`], with or
//! without the session token [`BEDROCK_SESSION_TOKEN`] (see [`FakeServer::aws_credentials`]).
//! Every good signature is recorded ([`FakeServer::aws_signatures`]), so a test can check the
//! region, the signed headers and whether the token was sent.
//!
//! Shapes, read in 2026:
//! - [API] the Converse API reference: `ConverseResponse {output: {message}, stopReason, usage:
//!   {inputTokens, outputTokens, totalTokens}, metrics: {latencyMs}}`, content blocks keyed by
//!   member (`{"text": …}`, `{"toolUse": {toolUseId, name, input}}`), stop reasons `end_turn`,
//!   `tool_use`, `max_tokens`, `stop_sequence`, `guardrail_intervened`, `content_filtered`;
//!   `ConverseStreamOutput` events `messageStart {role}`, `contentBlockStart {contentBlockIndex,
//!   start: {toolUse: {toolUseId, name}}}`, `contentBlockDelta {contentBlockIndex, delta: {text}
//!   | {toolUse: {input}}}`, `contentBlockStop {contentBlockIndex}`, `messageStop {stopReason}`,
//!   `metadata {usage, metrics}`, and the exceptions `internalServerException`,
//!   `modelStreamErrorException` (424), `validationException`, `throttlingException`,
//!   `serviceUnavailableException`.
//! - [TEXT] a text block has no `contentBlockStart`: "Real Bedrock emits contentBlockStart only for
//!   toolUse blocks; text flows messageStart -> contentBlockDelta* -> contentBlockStop ->
//!   messageStop -> metadata" (checked against live Bedrock with boto3,
//!   [ISSUE mulgadc/spinifex#844]); `metadata` comes after `messageStop`
//!   [ISSUE Effect-TS/effect#6272], and then the body ends: there is no end marker.
//! - [PAD] every event's payload carries a padding field `p` of varying length, the alphabet's
//!   first letters (`"p":"abcdefghijklmnopqrstuvwxyzAB"`), and the keys come in alphabetical order
//!   (`contentBlockIndex`, `delta`, `p`): a trace of live ConverseStream payloads quoted in the
//!   Bedrock provider of `golem_llm` (`llm/bedrock/src/lib.rs`, whose types make `p` required on
//!   every event). The non-streamed answer's keys are written in the same alphabetical order
//!   (guessed).
//! - Tool use ids look like `tooluse_` and 22 URL-safe characters (`tooluse_nBgeA41CKgT4dFnq8umfTs`
//!   in a quoted Bedrock error).
//! - Errors: `{"message": …}` with `x-amzn-ErrorType: TYPE:http://internal.amazon.com/coral/
//!   com.amazon.bedrock/` [ISSUE fumito-ito/AnthropicSwiftSDK#19 (ValidationException),
//!   BerriAI/litellm#40089 (ResourceNotFoundException)] and `x-amzn-RequestId`; the signature
//!   errors are the Coral framework's (`…/coral/com.amazon.coral.service/`,
//!   [ISSUE aws-beam/aws-erlang#161]), and so is `SerializationException`, whose body says
//!   `{"Message": …}` [ISSUE karthink/gptel#1388]. 429 `ThrottlingException` "Too many requests,
//!   please wait before trying again." [ISSUE kirodotdev/Kiro#8113] (or "Too many tokens, please
//!   wait before trying again." [ISSUE RooCodeInc/Roo-Code#5050]); 500 `InternalServerException`
//!   "The system encountered an unexpected error during processing. Try your request again."
//!   [ISSUE aws/aws-sdk-go-v2#3382]; 503 `ServiceUnavailableException` and 429
//!   `ModelNotReadyException`: guessed messages.
//!
//! Every answer reports the same usage, so tests can predict it: [`BEDROCK_INPUT_TOKENS`] (45)
//! input tokens, [`BEDROCK_OUTPUT_TOKENS`] (11) output tokens, [`BEDROCK_TOTAL_TOKENS`] (56), and
//! `metrics.latencyMs` [`BEDROCK_LATENCY_MS`]; a stream reports them in its last event,
//! `metadata`.

pub(crate) mod eventstream;
pub mod sigv4;
pub(crate) mod validate;

use std::time::Duration;

use serde_json::{Value, json};

use crate::{FakeServer, Reply, StreamScript, pieces};

/// `usage.inputTokens` of every Bedrock answer.
pub const BEDROCK_INPUT_TOKENS: u64 = 45;
/// `usage.outputTokens` of every Bedrock answer.
pub const BEDROCK_OUTPUT_TOKENS: u64 = 11;
/// `usage.totalTokens` of every Bedrock answer: input + output.
pub const BEDROCK_TOTAL_TOKENS: u64 = BEDROCK_INPUT_TOKENS + BEDROCK_OUTPUT_TOKENS;
/// `metrics.latencyMs` of every Bedrock answer.
pub const BEDROCK_LATENCY_MS: u64 = 1234;
/// `x-amzn-RequestId` of every Bedrock answer (the real ones are UUIDs).
pub const BEDROCK_REQUEST_ID: &str = "0fa4e0ba-5e00-4a1d-9c6b-0000f00dcafe";
/// The access key id the fake accepts (20 characters, like a real one).
pub const BEDROCK_ACCESS_KEY_ID: &str = "AKIDFAKEQUARRY000001";
/// Its secret access key (40 characters, like a real one).
pub const BEDROCK_SECRET_ACCESS_KEY: &str = "fakeQuarrySecret/K7MDENG+bPxRfiCYEXAMPLE";
/// The session token of temporary credentials: a request may send it as `x-amz-security-token`
/// or send none; any other token is refused.
pub const BEDROCK_SESSION_TOKEN: &str =
    "IQoJb3JpZ2luX2VjEFakeQuarrySessionToken//////////wEaCXVzLWVhc3QtMSJHMEUCIQDfake==";
/// How far `x-amz-date` may be from the fake's clock: Bedrock's "(… - 5 min.)" window
/// [ISSUE anthropics/anthropic-sdk-go#122].
pub const BEDROCK_SIGNATURE_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The id of the `i`-th `toolUse` block of an answer: `tooluse_FakeQuarryToolUse00000`, … (the
/// real ones are `tooluse_` and 22 characters).
pub fn bedrock_tool_id(i: usize) -> String {
    format!("tooluse_FakeQuarryToolUse{i:05}")
}

/// The padding field `p` [PAD]: the first `n` characters of this alphabet, `n` varying by event.
const PAD: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn pad(i: usize) -> &'static str {
    &PAD[..1 + (i * 17 + 11) % 50]
}

fn usage() -> Value {
    json!({
        "inputTokens": BEDROCK_INPUT_TOKENS,
        "outputTokens": BEDROCK_OUTPUT_TOKENS,
        "totalTokens": BEDROCK_TOTAL_TOKENS,
    })
}

fn metrics() -> Value {
    json!({"latencyMs": BEDROCK_LATENCY_MS})
}

/// The `x-amzn-ErrorType` value of `error_type`: the Coral framework's namespace for the
/// authentication and parsing errors, Bedrock's for the rest (see the module notes).
fn error_type_header(error_type: &str) -> String {
    let coral = [
        "InvalidSignatureException",
        "IncompleteSignatureException",
        "MissingAuthenticationTokenException",
        "UnrecognizedClientException",
        "SerializationException",
        "UnknownOperationException",
    ];
    let namespace = if coral.contains(&error_type) {
        "com.amazon.coral.service"
    } else {
        "com.amazon.bedrock"
    };
    format!("{error_type}:http://internal.amazon.com/coral/{namespace}/")
}

/// An AWS error: `{"message": …}` (`{"Message": …}` for `SerializationException`),
/// `x-amzn-ErrorType` and `x-amzn-RequestId`.
pub(crate) fn error_reply(status: u16, error_type: &str, message: &str) -> Reply {
    let key = if error_type == "SerializationException" {
        "Message"
    } else {
        "message"
    };
    let mut body = serde_json::Map::new();
    body.insert(key.into(), json!(message));
    Reply::Json {
        status,
        body: Value::Object(body),
        headers: vec![
            ("x-amzn-RequestId".into(), BEDROCK_REQUEST_ID.into()),
            ("x-amzn-ErrorType".into(), error_type_header(error_type)),
        ],
    }
}

fn answer(content: Value, stop_reason: &str) -> Reply {
    Reply::Json {
        status: 200,
        body: json!({
            "metrics": metrics(),
            "output": {"message": {"content": content, "role": "assistant"}},
            "stopReason": stop_reason,
            "usage": usage(),
        }),
        headers: vec![("x-amzn-RequestId".into(), BEDROCK_REQUEST_ID.into())],
    }
}

/// A streamed content block: its `start` (none for text) and its deltas.
struct Streamed {
    start: Option<Value>,
    deltas: Vec<Value>,
}

/// The events of a ConverseStream answer [API], [TEXT], [PAD]: `messageStart`, each block
/// (`contentBlockStart` for a tool use, its deltas, `contentBlockStop`), `messageStop` and
/// `metadata`.
fn stream(blocks: Vec<Streamed>, stop_reason: &str) -> Reply {
    let mut payloads: Vec<(&str, Value)> = vec![("messageStart", json!({"role": "assistant"}))];
    for (index, block) in blocks.into_iter().enumerate() {
        if let Some(start) = block.start {
            payloads.push((
                "contentBlockStart",
                json!({"contentBlockIndex": index, "start": start}),
            ));
        }
        for delta in block.deltas {
            payloads.push((
                "contentBlockDelta",
                json!({"contentBlockIndex": index, "delta": delta}),
            ));
        }
        payloads.push(("contentBlockStop", json!({"contentBlockIndex": index})));
    }
    payloads.push(("messageStop", json!({"stopReason": stop_reason})));
    payloads.push(("metadata", json!({"metrics": metrics(), "usage": usage()})));
    let events = payloads
        .into_iter()
        .enumerate()
        .map(|(i, (kind, mut payload))| {
            payload["p"] = json!(pad(i));
            eventstream::event(kind, &sorted(payload).to_string())
        })
        .collect();
    Reply::Stream(StreamScript {
        events,
        pace: None,
        rechunk: None,
    })
}

/// `v` with the keys of every object in alphabetical order [PAD].
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

impl Reply {
    /// A Converse answer (`stopReason: "tool_use"`) that calls `name` with `input` (an object,
    /// as the API sends it). Its tool use id is [`bedrock_tool_id`]`(0)`.
    pub fn bedrock_tool_use(name: &str, input: Value) -> Reply {
        Reply::bedrock_tool_uses(&[(name, input)])
    }

    /// A Converse answer with several `toolUse` blocks (parallel tool use), ids
    /// [`bedrock_tool_id`]`(0)`, `(1)`, … in order.
    pub fn bedrock_tool_uses(calls: &[(&str, Value)]) -> Reply {
        let content: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (name, input))| {
                json!({"toolUse": {"input": input, "name": name, "toolUseId": bedrock_tool_id(i)}})
            })
            .collect();
        answer(Value::Array(content), "tool_use")
    }

    /// A Converse answer with one text block (`stopReason: "end_turn"`).
    pub fn bedrock_text(text: &str) -> Reply {
        answer(json!([{"text": text}]), "end_turn")
    }

    /// A text answer cut off by the token limit (`stopReason: "max_tokens"`).
    pub fn bedrock_max_tokens(text: &str) -> Reply {
        answer(json!([{"text": text}]), "max_tokens")
    }

    /// A Converse answer with any content blocks and stop reason (`guardrail_intervened`,
    /// `content_filtered`, `stop_sequence`, …).
    pub fn bedrock_answer(content: Value, stop_reason: &str) -> Reply {
        answer(content, stop_reason)
    }

    /// An AWS error: `status`, `{"message": …}`, `x-amzn-ErrorType: {error_type}:http://internal.
    /// amazon.com/coral/…/` and `x-amzn-RequestId`. For instance 400 `ValidationException`, 403
    /// `AccessDeniedException`, 404 `ResourceNotFoundException`, 408 `ModelTimeoutException`, 424
    /// `ModelErrorException`, 429 `ThrottlingException` or `ModelNotReadyException`, 500
    /// `InternalServerException`, 503 `ServiceUnavailableException`.
    pub fn bedrock_error(status: u16, error_type: &str, message: &str) -> Reply {
        error_reply(status, error_type, message)
    }

    /// 429 `ThrottlingException` "Too many requests, please wait before trying again." (the
    /// real message; Bedrock sends no `Retry-After`).
    pub fn bedrock_throttled() -> Reply {
        error_reply(
            429,
            "ThrottlingException",
            "Too many requests, please wait before trying again.",
        )
    }

    /// 503 `ServiceUnavailableException` (message guessed).
    pub fn bedrock_service_unavailable() -> Reply {
        error_reply(
            503,
            "ServiceUnavailableException",
            "Bedrock is unable to process your request.",
        )
    }

    /// 429 `ModelNotReadyException`, which the AWS SDKs retry (message guessed from the API
    /// reference's description).
    pub fn bedrock_model_not_ready() -> Reply {
        error_reply(
            429,
            "ModelNotReadyException",
            "Model is not ready to serve inference requests. Try your request again later.",
        )
    }

    /// Streamed text, `n` characters per `contentBlockDelta` (`stopReason: "end_turn"`):
    /// `messageStart`, the deltas, `contentBlockStop`, `messageStop`, `metadata`.
    pub fn bedrock_stream_text(text: &str, n: usize) -> Reply {
        stream(
            vec![Streamed {
                start: None,
                deltas: pieces(text, n)
                    .into_iter()
                    .map(|p| json!({"text": p}))
                    .collect(),
            }],
            "end_turn",
        )
    }

    /// A streamed tool call: `messageStart`, `contentBlockStart` with the tool's name and id
    /// ([`bedrock_tool_id`]`(0)`), the input's JSON text in `contentBlockDelta` pieces of `n`
    /// characters (`{"delta": {"toolUse": {"input": "…"}}}`; the text may be broken JSON),
    /// `contentBlockStop`, `messageStop` (`stopReason: "tool_use"`) and `metadata`.
    pub fn bedrock_stream_tool_use(name: &str, input_json: &str, n: usize) -> Reply {
        stream(
            vec![Streamed {
                start: Some(json!({"toolUse": {"name": name, "toolUseId": bedrock_tool_id(0)}})),
                deltas: pieces(input_json, n)
                    .into_iter()
                    .map(|p| json!({"toolUse": {"input": p}}))
                    .collect(),
            }],
            "tool_use",
        )
    }

    /// Ends a Bedrock stream after its first `n` events with an exception event
    /// (`:message-type: exception`, `:exception-type: {exception_type}`, payload
    /// `{"message": …}`), as the real service does when it fails mid-stream:
    /// `throttlingException`, `modelStreamErrorException`, `internalServerException`,
    /// `serviceUnavailableException` or `validationException`.
    pub fn bedrock_exception_after(
        mut self,
        n: usize,
        exception_type: &str,
        message: &str,
    ) -> Reply {
        let s = self.script();
        s.events.truncate(n);
        s.events.push(eventstream::exception(
            exception_type,
            &json!({ "message": message }).to_string(),
        ));
        self
    }
}

impl FakeServer {
    /// `http://127.0.0.1:PORT`, the Bedrock Runtime endpoint (`/model/{id}/converse` is under
    /// it).
    pub fn bedrock_endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The AWS credentials the Bedrock fake accepts: (access key id, secret access key),
    /// [`BEDROCK_ACCESS_KEY_ID`] and [`BEDROCK_SECRET_ACCESS_KEY`], the same for every server. Any
    /// other key id is refused with 403 `UnrecognizedClientException`, a wrong secret with 403
    /// `InvalidSignatureException`.
    pub fn aws_credentials(&self) -> (String, String) {
        (
            BEDROCK_ACCESS_KEY_ID.to_string(),
            BEDROCK_SECRET_ACCESS_KEY.to_string(),
        )
    }

    /// The session token that goes with [`FakeServer::aws_credentials`] as temporary
    /// credentials ([`BEDROCK_SESSION_TOKEN`]): a request signed with the key may send it as
    /// `x-amz-security-token` or send none; another token is refused with 403
    /// `UnrecognizedClientException`.
    pub fn aws_session_token(&self) -> String {
        BEDROCK_SESSION_TOKEN.to_string()
    }

    /// What every request with a good SigV4 signature was signed with (region, date, signed
    /// headers, whether the session token was sent, the canonical request), in order. Recorded
    /// even when the body was then refused.
    pub fn aws_signatures(&self) -> Vec<sigv4::Signed> {
        self.state.lock().unwrap().aws_signatures.clone()
    }
}

/// The Bedrock forms of [`Reply::from_spec`]; `None` when `kind` is not one of them.
pub(crate) fn from_spec(kind: &str, v: &Value) -> Result<Option<Reply>, String> {
    let text_of = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("`{k}` (a string) is missing in {v}"))
    };
    // Tool input: a JSON object, or its text.
    let input_value = || match v.get("input") {
        Some(Value::String(s)) => {
            serde_json::from_str::<Value>(s).map_err(|e| format!("`input` is not JSON: {e}"))
        }
        Some(a @ Value::Object(_)) => Ok(a.clone()),
        _ => Err(format!(
            "`input` (an object or its JSON text) is missing in {v}"
        )),
    };
    // Streamed tool input: raw text (may be broken JSON), or an object to serialize.
    let input_text = || match v.get("input") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(a @ Value::Object(_)) => Ok(a.to_string()),
        _ => Err(format!("`input` (a string or an object) is missing in {v}")),
    };
    let chunk = || v.get("chunk").and_then(Value::as_u64).unwrap_or(8) as usize;
    let paced = |r: Reply| match v.get("pace_ms").and_then(Value::as_u64).unwrap_or(0) {
        0 => r,
        ms => r.paced(Duration::from_millis(ms)),
    };
    Ok(Some(match kind {
        "bedrock_tool_use" => Reply::bedrock_tool_use(&text_of("name")?, input_value()?),
        "bedrock_text" => Reply::bedrock_text(v.as_str().ok_or("`bedrock_text` is a string")?),
        "bedrock_stream_tool_use" => paced(Reply::bedrock_stream_tool_use(
            &text_of("name")?,
            &input_text()?,
            chunk(),
        )),
        "bedrock_stream_text" => paced(Reply::bedrock_stream_text(&text_of("text")?, chunk())),
        "bedrock_error" => {
            let status = v.get("status").and_then(Value::as_u64).unwrap_or(500) as u16;
            Reply::bedrock_error(status, &text_of("type")?, &text_of("message")?)
        }
        _ => return Ok(None),
    }))
}
