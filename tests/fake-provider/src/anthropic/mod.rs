//! Anthropic's Messages API (`POST /v1/messages`): scripted answers in the documented shapes,
//! and a check that refuses what the real API refuses (see [`validate`]).
//!
//! Shapes follow the API's own records: the SDK's recorded streams
//! (`anthropic-sdk-python`, `tests/lib/streaming/fixtures/{basic,tool_use,refusal}_response.txt`
//! and `tests/fixtures/fable-fallback/*.sse`), its `Message` / `Usage` types, and the streaming
//! and error pages of Anthropic's documentation.
//!
//! Every answer reports the same usage, so tests can predict it: [`ANTHROPIC_INPUT_TOKENS`] (50)
//! input tokens, [`ANTHROPIC_OUTPUT_TOKENS`] (10) output tokens,
//! [`ANTHROPIC_CACHE_READ_TOKENS`] (20) read from the cache and
//! [`ANTHROPIC_CACHE_CREATION_TOKENS`] (5) written to it. A stream reports the input and cache
//! counts in `message_start` (with `output_tokens: 1`, as the real API does) and the final
//! `output_tokens` in `message_delta`.

pub(crate) mod validate;

use std::time::Duration;

use serde_json::{Value, json};

use crate::{Reply, StreamScript, pieces};

/// `usage.input_tokens` of every Anthropic answer.
pub const ANTHROPIC_INPUT_TOKENS: u64 = 50;
/// `usage.output_tokens` of every Anthropic answer (a stream's `message_delta`).
pub const ANTHROPIC_OUTPUT_TOKENS: u64 = 10;
/// `usage.cache_read_input_tokens` of every Anthropic answer.
pub const ANTHROPIC_CACHE_READ_TOKENS: u64 = 20;
/// `usage.cache_creation_input_tokens` of every Anthropic answer.
pub const ANTHROPIC_CACHE_CREATION_TOKENS: u64 = 5;
/// The `model` every Anthropic answer names.
pub const ANTHROPIC_MODEL: &str = "claude-sonnet-4-5-20250929";
/// The `id` of every Anthropic message.
pub const ANTHROPIC_MESSAGE_ID: &str = "msg_01FakeQuarryMessage";
/// The `request_id` of every Anthropic error body (the real ones look like `req_011C…`).
pub const ANTHROPIC_REQUEST_ID: &str = "req_011CFakeQuarryRequest";

/// The id of the `i`-th `tool_use` block of an answer: `toolu_fake_0`, `toolu_fake_1`, …
pub fn anthropic_tool_id(i: usize) -> String {
    format!("toolu_fake_{i}")
}

fn usage(output_tokens: u64) -> Value {
    json!({
        "input_tokens": ANTHROPIC_INPUT_TOKENS,
        "cache_creation_input_tokens": ANTHROPIC_CACHE_CREATION_TOKENS,
        "cache_read_input_tokens": ANTHROPIC_CACHE_READ_TOKENS,
        "output_tokens": output_tokens,
    })
}

fn message(content: Value, stop_reason: Value, output_tokens: u64) -> Value {
    json!({
        "id": ANTHROPIC_MESSAGE_ID,
        "type": "message",
        "role": "assistant",
        "model": ANTHROPIC_MODEL,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage(output_tokens),
    })
}

/// `{"type": "error", "error": {"type", "message"}, "request_id"}` with `status`.
pub(crate) fn error_reply(status: u16, error_type: &str, message: &str) -> Reply {
    Reply::Json {
        status,
        body: json!({
            "type": "error",
            "error": {"type": error_type, "message": message},
            "request_id": ANTHROPIC_REQUEST_ID,
        }),
        headers: vec![("request-id".into(), ANTHROPIC_REQUEST_ID.into())],
    }
}

fn tool_use(i: usize, name: &str, input: Value) -> Value {
    json!({"type": "tool_use", "id": anthropic_tool_id(i), "name": name, "input": input})
}

fn text(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

/// One SSE event, named after its data's `type`: `event: NAME\ndata: JSON\n\n`.
fn event(data: &Value) -> String {
    format!(
        "event: {}\ndata: {data}\n\n",
        data["type"].as_str().unwrap_or("")
    )
}

/// A content block of a stream: what `content_block_start` carries, then its deltas.
struct Streamed {
    start: Value,
    deltas: Vec<Value>,
}

fn streamed_text(t: &str, n: usize) -> Streamed {
    Streamed {
        start: json!({"type": "text", "text": ""}),
        deltas: pieces(t, n)
            .into_iter()
            .map(|p| json!({"type": "text_delta", "text": p}))
            .collect(),
    }
}

/// A `tool_use` block: its input arrives as `input_json_delta` pieces of `n` characters, after a
/// first empty one (the real API opens every tool input with `"partial_json": ""`).
fn streamed_tool(i: usize, name: &str, arguments: &str, n: usize) -> Streamed {
    let mut deltas = vec![json!({"type": "input_json_delta", "partial_json": ""})];
    deltas.extend(
        pieces(arguments, n)
            .into_iter()
            .map(|p| json!({"type": "input_json_delta", "partial_json": p})),
    );
    Streamed {
        start: json!({"type": "tool_use", "id": anthropic_tool_id(i), "name": name, "input": {}}),
        deltas,
    }
}

/// A thinking block: `thinking_delta` pieces, then one `signature_delta`.
fn streamed_thinking(thinking: &str, signature: &str, n: usize) -> Streamed {
    let mut deltas: Vec<Value> = pieces(thinking, n)
        .into_iter()
        .map(|p| json!({"type": "thinking_delta", "thinking": p}))
        .collect();
    deltas.push(json!({"type": "signature_delta", "signature": signature}));
    Streamed {
        start: json!({"type": "thinking", "thinking": "", "signature": ""}),
        deltas,
    }
}

/// `message_start`, each block (start, a `ping` after the first start, deltas, stop),
/// `message_delta` with the stop reason and `message_stop`.
fn stream(blocks: Vec<Streamed>, stop_reason: &str) -> Reply {
    let mut events = vec![event(&json!({
        "type": "message_start",
        "message": message(json!([]), Value::Null, 1),
    }))];
    for (index, block) in blocks.into_iter().enumerate() {
        events.push(event(&json!({
            "type": "content_block_start", "index": index, "content_block": block.start,
        })));
        if index == 0 {
            events.push(event(&json!({"type": "ping"})));
        }
        for delta in block.deltas {
            events.push(event(&json!({
                "type": "content_block_delta", "index": index, "delta": delta,
            })));
        }
        events.push(event(
            &json!({"type": "content_block_stop", "index": index}),
        ));
    }
    events.push(event(&json!({
        "type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": null},
        "usage": {"output_tokens": ANTHROPIC_OUTPUT_TOKENS},
    })));
    events.push(event(&json!({"type": "message_stop"})));
    Reply::Stream(StreamScript {
        events,
        pace: None,
        rechunk: None,
    })
}

impl Reply {
    /// A Messages API answer (`msg_…`, `stop_reason: "tool_use"`) that calls `name` with
    /// `input` (an object, as the API sends it). Its tool id is [`anthropic_tool_id`]`(0)`.
    pub fn anthropic_tool_use(name: &str, input: Value) -> Reply {
        Reply::anthropic_tool_uses(&[(name, input)])
    }

    /// A Messages API answer with several `tool_use` blocks (parallel tool use), ids
    /// `toolu_fake_0`, `toolu_fake_1`, … in order.
    pub fn anthropic_tool_uses(calls: &[(&str, Value)]) -> Reply {
        let content: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (name, input))| tool_use(i, name, input.clone()))
            .collect();
        Reply::ok(message(
            Value::Array(content),
            json!("tool_use"),
            ANTHROPIC_OUTPUT_TOKENS,
        ))
    }

    /// A Messages API answer with one text block (`stop_reason: "end_turn"`).
    pub fn anthropic_text(text_: &str) -> Reply {
        Reply::ok(message(
            json!([text(text_)]),
            json!("end_turn"),
            ANTHROPIC_OUTPUT_TOKENS,
        ))
    }

    /// Extended thinking, then a tool call: a `thinking` block (`thinking`, `signature`) and a
    /// `tool_use` block calling `name` with `input` (`stop_reason: "tool_use"`).
    pub fn anthropic_thinking_tool_use(
        thinking: &str,
        signature: &str,
        name: &str,
        input: Value,
    ) -> Reply {
        Reply::ok(message(
            json!([
                {"type": "thinking", "thinking": thinking, "signature": signature},
                tool_use(0, name, input),
            ]),
            json!("tool_use"),
            ANTHROPIC_OUTPUT_TOKENS,
        ))
    }

    /// A text answer cut off by the token limit (`stop_reason: "max_tokens"`).
    pub fn anthropic_max_tokens(text_: &str) -> Reply {
        Reply::ok(message(
            json!([text(text_)]),
            json!("max_tokens"),
            ANTHROPIC_OUTPUT_TOKENS,
        ))
    }

    /// A refusal: `stop_reason: "refusal"` with `stop_details: {type: "refusal", …}`, and the
    /// text streamed before the refusal (no content block when `text` is empty).
    pub fn anthropic_refusal(text_: &str) -> Reply {
        let content = if text_.is_empty() {
            json!([])
        } else {
            json!([text(text_)])
        };
        let mut body = message(content, json!("refusal"), ANTHROPIC_OUTPUT_TOKENS);
        body["stop_details"] = json!({"type": "refusal", "category": null, "explanation": null});
        Reply::ok(body)
    }

    /// An Anthropic error body `{"type": "error", "error": {"type", "message"}, "request_id"}`
    /// with `status`: 400 `invalid_request_error`, 401 `authentication_error`, 403
    /// `permission_error`, 404 `not_found_error`, 413 `request_too_large`, 429
    /// `rate_limit_error`, 500 `api_error`, 529 `overloaded_error`. Add headers with
    /// [`Reply::with_header`].
    pub fn anthropic_error(status: u16, error_type: &str, message: &str) -> Reply {
        error_reply(status, error_type, message)
    }

    /// 429 `rate_limit_error` with a `retry-after` header (seconds or an HTTP date).
    pub fn anthropic_rate_limited(retry_after: &str) -> Reply {
        error_reply(
            429,
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 50 requests \
             per minute.",
        )
        .with_header("retry-after", retry_after)
    }

    /// A streamed tool call: `message_start`, a `tool_use` block whose input arrives as
    /// `input_json_delta` pieces of `n` characters (after a first empty one),
    /// `message_delta` (`stop_reason: "tool_use"`) and `message_stop`.
    pub fn anthropic_stream_tool_use(name: &str, arguments: &str, n: usize) -> Reply {
        stream(vec![streamed_tool(0, name, arguments, n)], "tool_use")
    }

    /// Streamed text, `n` characters per `text_delta` (`stop_reason: "end_turn"`).
    pub fn anthropic_stream_text(text_: &str, n: usize) -> Reply {
        stream(vec![streamed_text(text_, n)], "end_turn")
    }

    /// A streamed thinking block (`thinking_delta` pieces of `n` characters, then a
    /// `signature_delta`) followed by a streamed tool call, as [`Reply::anthropic_stream_tool_use`].
    pub fn anthropic_stream_thinking_tool_use(
        thinking: &str,
        signature: &str,
        name: &str,
        arguments: &str,
        n: usize,
    ) -> Reply {
        stream(
            vec![
                streamed_thinking(thinking, signature, n),
                streamed_tool(0, name, arguments, n),
            ],
            "tool_use",
        )
    }

    /// Ends the stream after its first `n` events with an `error` event
    /// (`event: error\ndata: {"type": "error", "error": {"type", "message"}}`), as the real API
    /// does when it fails mid-stream (for instance `overloaded_error`).
    pub fn anthropic_error_after(mut self, n: usize, error_type: &str, message: &str) -> Reply {
        let s = self.script();
        s.events.truncate(n);
        s.events.push(event(&json!({
            "type": "error",
            "error": {"type": error_type, "message": message},
        })));
        self
    }
}

/// The Anthropic forms of [`Reply::from_spec`]; `None` when `kind` is not one of them.
pub(crate) fn from_spec(kind: &str, v: &Value) -> Result<Option<Reply>, String> {
    let text_of = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("`{k}` (a string) is missing in {v}"))
    };
    // Tool input: a JSON object, or its text.
    let arguments_value = || match v.get("arguments") {
        Some(Value::String(s)) => {
            serde_json::from_str::<Value>(s).map_err(|e| format!("`arguments` is not JSON: {e}"))
        }
        Some(a @ Value::Object(_)) => Ok(a.clone()),
        _ => Err(format!(
            "`arguments` (an object or its JSON text) is missing in {v}"
        )),
    };
    // Streamed tool input: raw text (may be broken JSON), or an object to serialize.
    let arguments_text = || match v.get("arguments") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(a @ Value::Object(_)) => Ok(a.to_string()),
        _ => Err(format!(
            "`arguments` (a string or an object) is missing in {v}"
        )),
    };
    let chunk = || v.get("chunk").and_then(Value::as_u64).unwrap_or(8) as usize;
    let paced = |r: Reply| match v.get("pace_ms").and_then(Value::as_u64).unwrap_or(0) {
        0 => r,
        ms => r.paced(Duration::from_millis(ms)),
    };
    Ok(Some(match kind {
        "anthropic_tool_use" => Reply::anthropic_tool_use(&text_of("name")?, arguments_value()?),
        "anthropic_text" => {
            Reply::anthropic_text(v.as_str().ok_or("`anthropic_text` is a string")?)
        }
        "anthropic_stream_tool_use" => paced(Reply::anthropic_stream_tool_use(
            &text_of("name")?,
            &arguments_text()?,
            chunk(),
        )),
        "anthropic_stream_text" => paced(Reply::anthropic_stream_text(&text_of("text")?, chunk())),
        "anthropic_error" => {
            let status = v.get("status").and_then(Value::as_u64).unwrap_or(500) as u16;
            let r = Reply::anthropic_error(status, &text_of("type")?, &text_of("message")?);
            match v.get("retry_after").and_then(Value::as_str) {
                Some(after) => r.with_header("retry-after", after),
                None => r,
            }
        }
        _ => return Ok(None),
    }))
}
