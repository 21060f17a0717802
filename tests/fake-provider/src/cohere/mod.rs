//! Cohere's v2 Chat API (`POST /v2/chat`): scripted answers in the documented shapes, and a
//! check that refuses what the real API refuses (see [`validate`]).
//!
//! Shapes follow the API's own records, read in 2026:
//! - [SPEC] Cohere's OpenAPI spec (`cohere-ai/cohere-developer-experience`, `cohere-openapi.yaml`):
//!   `ChatResponseV2`, `AssistantMessageResponse`, `Usage`, `ChatFinishReason`, the
//!   `StreamedChatResponseV2` events and the `/v2/chat` streaming example (`event:` + `data:`).
//! - [REC] responses recorded from the real API by the Vercel AI SDK
//!   (`vercel/ai`, `packages/cohere/src/__fixtures__/cohere-{text,tool-call,max-tokens}.*`): a
//!   tool-call answer has `tool_plan` and `tool_calls` and no `content`; a stream opens with
//!   `message-start` carrying `{role, content: [], tool_plan: "", tool_calls: [], citations: []}`;
//!   `tool-plan-delta` has no `index`; `tool-call-start` opens the call with `arguments: ""`; tool
//!   call ids are `NAME_` and 12 lowercase letters and digits (`weather_e8p4pn45zt0t`).
//! - [SDK] `cohere-ai/cohere-python` `v2/raw_client.py`: a stream ends with `data: [DONE]`
//!   (and [ISSUE cohere-ai/cohere-python#730]: "The Cohere API sends `[DONE]` as the final SSE
//!   data value").
//! - [ERR] Cohere's error reference (`fern/pages/cohere-api/errors.mdx`): error bodies are
//!   `{"message": …}` (with an `id` in 2025 and later reports), and the messages quoted there.
//!
//! Every answer reports the same usage, so tests can predict it: `usage.billed_units` is
//! [`COHERE_BILLED_INPUT_TOKENS`] (30) in and [`COHERE_BILLED_OUTPUT_TOKENS`] (9) out,
//! `usage.tokens` is [`COHERE_INPUT_TOKENS`] (60) in and [`COHERE_OUTPUT_TOKENS`] (9) out, and
//! `usage.cached_tokens` is [`COHERE_CACHED_TOKENS`] (16). A stream reports it only in its
//! `message-end` event (`delta.usage`).

pub(crate) mod validate;

use std::time::Duration;

use serde_json::{Value, json};

use crate::{FakeServer, Reply, StreamScript, pieces};

/// `usage.billed_units.input_tokens` of every Cohere answer.
pub const COHERE_BILLED_INPUT_TOKENS: u64 = 30;
/// `usage.billed_units.output_tokens` of every Cohere answer.
pub const COHERE_BILLED_OUTPUT_TOKENS: u64 = 9;
/// `usage.tokens.input_tokens` of every Cohere answer (what the model read, prompt template
/// included: more than what is billed, as in every real answer).
pub const COHERE_INPUT_TOKENS: u64 = 60;
/// `usage.tokens.output_tokens` of every Cohere answer.
pub const COHERE_OUTPUT_TOKENS: u64 = 9;
/// `usage.cached_tokens` of every Cohere answer.
pub const COHERE_CACHED_TOKENS: u64 = 16;
/// The `id` of every Cohere answer (the real ones are UUIDs).
pub const COHERE_RESPONSE_ID: &str = "5f0c2a9e-1b7d-4e3a-9c62-0a1fa4e5b7d3";
/// The `id` of every Cohere error body (a UUID too).
pub const COHERE_ERROR_ID: &str = "0d3b8f6a-2c41-4e9b-8a7e-6f52c1d09e84";
/// The `tool_plan` of every Cohere tool-call answer made by [`Reply::cohere_tool_calls`] and
/// [`Reply::cohere_stream_tool_call`].
pub const COHERE_TOOL_PLAN: &str = "I will extract the details with the tool.";
/// The 429 message of a Trial key over its limit ([ERR], verbatim).
pub const COHERE_TRIAL_RATE_LIMIT: &str = "You are using a Trial key, which is limited to 40 API \
    calls / minute. You can continue to use the Trial key for free or upgrade to a Production key \
    with higher rate limits at 'https://dashboard.cohere.com/api-keys'. Contact us on \
    'https://discord.gg/XW44jPfYJu' or email us at support@cohere.com with any questions";

/// The id of the `i`-th tool call of an answer calling `name`: `NAME_fake0000000i`, the real
/// shape (`NAME_` and 12 lowercase letters and digits).
pub fn cohere_tool_id(name: &str, i: usize) -> String {
    format!("{name}_fake{i:08}")
}

impl FakeServer {
    /// `http://127.0.0.1:PORT`, the base a Cohere client takes (it appends `/v2/chat`).
    pub fn cohere_base_url(&self) -> String {
        format!("http://{}", self.addr())
    }
}

fn usage() -> Value {
    json!({
        "billed_units": {
            "input_tokens": COHERE_BILLED_INPUT_TOKENS,
            "output_tokens": COHERE_BILLED_OUTPUT_TOKENS,
        },
        "tokens": {"input_tokens": COHERE_INPUT_TOKENS, "output_tokens": COHERE_OUTPUT_TOKENS},
        "cached_tokens": COHERE_CACHED_TOKENS,
    })
}

fn answer(message: Value, finish_reason: &str) -> Reply {
    Reply::ok(json!({
        "id": COHERE_RESPONSE_ID,
        "message": message,
        "finish_reason": finish_reason,
        "usage": usage(),
    }))
}

/// `{"id", "message"}` with `status` ([ERR]); a 401 has no `id`, as in every public report of
/// one (`{'message': 'invalid api token'}`).
pub(crate) fn error_reply(status: u16, message: &str) -> Reply {
    let body = if status == 401 {
        json!({"message": message})
    } else {
        json!({"id": COHERE_ERROR_ID, "message": message})
    };
    Reply::Json {
        status,
        body,
        headers: Vec::new(),
    }
}

fn tool_calls(calls: &[(&str, &str)]) -> Value {
    calls
        .iter()
        .enumerate()
        .map(|(i, (name, arguments))| {
            json!({"id": cohere_tool_id(name, i), "type": "function",
                   "function": {"name": name, "arguments": arguments}})
        })
        .collect()
}

/// One SSE event, named after its data's `type`: `event: NAME\ndata: JSON\n\n` ([SPEC] example).
fn event(data: &Value) -> String {
    format!(
        "event: {}\ndata: {data}\n\n",
        data["type"].as_str().unwrap_or("")
    )
}

/// The stream's last line ([SDK]). Whether the real API names it with an `event:` line is not
/// recorded anywhere public; the fake sends the bare `data:` line (guessed).
const DONE: &str = "data: [DONE]\n\n";

fn message_start() -> String {
    event(&json!({
        "id": COHERE_RESPONSE_ID,
        "type": "message-start",
        "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "",
                              "tool_calls": [], "citations": []}},
    }))
}

fn message_end(finish_reason: &str) -> String {
    event(&json!({
        "type": "message-end",
        "delta": {"finish_reason": finish_reason, "usage": usage()},
    }))
}

fn script(events: Vec<String>) -> Reply {
    Reply::Stream(StreamScript {
        events,
        pace: None,
        rechunk: None,
    })
}

/// `message-start`, a text block (`content-start`, `content-delta` pieces of `n` characters,
/// `content-end`), `message-end` with `finish_reason` and usage, `[DONE]`.
fn text_stream(text: &str, n: usize, finish_reason: &str) -> Reply {
    let mut events = vec![
        message_start(),
        event(&json!({"type": "content-start", "index": 0,
                      "delta": {"message": {"content": {"type": "text", "text": ""}}}})),
    ];
    for p in pieces(text, n) {
        events.push(event(&json!({"type": "content-delta", "index": 0,
                                  "delta": {"message": {"content": {"text": p}}}})));
    }
    events.push(event(&json!({"type": "content-end", "index": 0})));
    events.push(message_end(finish_reason));
    events.push(DONE.into());
    script(events)
}

impl Reply {
    /// A v2 chat answer that calls `name` with `arguments` (raw text, may be broken JSON):
    /// `finish_reason: "TOOL_CALL"`, `message: {role, tool_plan, tool_calls}` and no `content`,
    /// as the real API answers. Its call id is [`cohere_tool_id`]`(name, 0)`.
    pub fn cohere_tool_call(name: &str, arguments: &str) -> Reply {
        Reply::cohere_tool_calls(&[(name, arguments)])
    }

    /// A v2 chat answer with several tool calls (parallel tool use), in order, with the
    /// [`COHERE_TOOL_PLAN`] plan.
    pub fn cohere_tool_calls(calls: &[(&str, &str)]) -> Reply {
        Reply::cohere_tool_calls_planned(COHERE_TOOL_PLAN, calls)
    }

    /// As [`Reply::cohere_tool_calls`] with the plan `plan`; an empty `plan` leaves `tool_plan`
    /// out (newer models put their reasoning in a `thinking` content block instead).
    pub fn cohere_tool_calls_planned(plan: &str, calls: &[(&str, &str)]) -> Reply {
        let mut message = json!({"role": "assistant", "tool_calls": tool_calls(calls)});
        if !plan.is_empty() {
            message["tool_plan"] = json!(plan);
        }
        answer(message, "TOOL_CALL")
    }

    /// A v2 chat answer whose message is one text block (`finish_reason: "COMPLETE"`).
    pub fn cohere_text(text: &str) -> Reply {
        answer(
            json!({"role": "assistant", "content": [{"type": "text", "text": text}]}),
            "COMPLETE",
        )
    }

    /// A text answer cut off by `max_tokens` (`finish_reason: "MAX_TOKENS"`).
    pub fn cohere_max_tokens(text: &str) -> Reply {
        answer(
            json!({"role": "assistant", "content": [{"type": "text", "text": text}]}),
            "MAX_TOKENS",
        )
    }

    /// A Cohere error body `{"id", "message"}` with `status` (`{"message"}` alone for a 401):
    /// 400 bad request, 401 unauthorized, 402 payment required, 404 not found, 422 unprocessable
    /// entity, 429 too many requests, 498 blocked input, 499 cancelled, 500, 503, 504 ([SPEC],
    /// [ERR]). Add headers with [`Reply::with_header`].
    pub fn cohere_error(status: u16, message: &str) -> Reply {
        error_reply(status, message)
    }

    /// 429 with the real Trial-key message ([`COHERE_TRIAL_RATE_LIMIT`]). No rate-limit header
    /// is documented; add one with [`Reply::with_header`] to test a client that reads it.
    pub fn cohere_rate_limited() -> Reply {
        error_reply(429, COHERE_TRIAL_RATE_LIMIT)
    }

    /// Streamed text, `n` characters per `content-delta`, `finish_reason: "COMPLETE"`.
    pub fn cohere_stream_text(text: &str, n: usize) -> Reply {
        text_stream(text, n, "COMPLETE")
    }

    /// Streamed text cut off by `max_tokens` (`finish_reason: "MAX_TOKENS"`).
    pub fn cohere_stream_max_tokens(text: &str, n: usize) -> Reply {
        text_stream(text, n, "MAX_TOKENS")
    }

    /// A streamed tool call: `message-start`, the [`COHERE_TOOL_PLAN`] in `tool-plan-delta`
    /// pieces of `n` characters, `tool-call-start` (id, name, `arguments: ""`), the arguments
    /// in `tool-call-delta` pieces of `n` characters, `tool-call-end`, `message-end`
    /// (`finish_reason: "TOOL_CALL"`, usage) and `[DONE]`.
    pub fn cohere_stream_tool_call(name: &str, arguments: &str, n: usize) -> Reply {
        Reply::cohere_stream_tool_calls(&[(name, arguments)], n)
    }

    /// Several streamed tool calls, one after the other (`index` 0, 1, …), as
    /// [`Reply::cohere_stream_tool_call`].
    pub fn cohere_stream_tool_calls(calls: &[(&str, &str)], n: usize) -> Reply {
        let mut events = vec![message_start()];
        for p in pieces(COHERE_TOOL_PLAN, n) {
            events.push(event(
                &json!({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": p}}}),
            ));
        }
        for (index, (name, arguments)) in calls.iter().enumerate() {
            events.push(event(&json!({
                "type": "tool-call-start", "index": index,
                "delta": {"message": {"tool_calls": {
                    "id": cohere_tool_id(name, index), "type": "function",
                    "function": {"name": name, "arguments": ""},
                }}},
            })));
            for p in pieces(arguments, n) {
                events.push(event(&json!({
                    "type": "tool-call-delta", "index": index,
                    "delta": {"message": {"tool_calls": {"function": {"arguments": p}}}},
                })));
            }
            events.push(event(&json!({"type": "tool-call-end", "index": index})));
        }
        events.push(message_end("TOOL_CALL"));
        events.push(DONE.into());
        script(events)
    }

    /// Ends the stream after its first `n` events with a failed `message-end`
    /// (`delta: {finish_reason: "ERROR", error: message}`, the spec's field for "an error message
    /// if an error occurred during the generation") and `[DONE]`. The spec documents the field;
    /// no recorded failure shows whether usage or `[DONE]` come with it (guessed: no usage, then
    /// `[DONE]`).
    pub fn cohere_error_after(mut self, n: usize, message: &str) -> Reply {
        let s = self.script();
        s.events.truncate(n);
        s.events.push(event(&json!({
            "type": "message-end",
            "delta": {"finish_reason": "ERROR", "error": message},
        })));
        s.events.push(DONE.into());
        self
    }
}

/// The Cohere forms of [`Reply::from_spec`]; `None` when `kind` is not one of them:
/// `{"cohere_tool_call": {"name", "arguments"}}` (arguments as JSON text, or an object to
/// serialize), `{"cohere_text": "…"}`,
/// `{"cohere_stream_tool_call": {"name", "arguments", "chunk"?, "pace_ms"?}}`,
/// `{"cohere_stream_text": {"text", "chunk"?, "pace_ms"?}}` and
/// `{"cohere_error": {"status", "message"}}`.
pub(crate) fn from_spec(kind: &str, v: &Value) -> Result<Option<Reply>, String> {
    let text_of = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("`{k}` (a string) is missing in {v}"))
    };
    let arguments = || match v.get("arguments") {
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
        "cohere_tool_call" => Reply::cohere_tool_call(&text_of("name")?, &arguments()?),
        "cohere_text" => Reply::cohere_text(v.as_str().ok_or("`cohere_text` is a string")?),
        "cohere_stream_tool_call" => paced(Reply::cohere_stream_tool_call(
            &text_of("name")?,
            &arguments()?,
            chunk(),
        )),
        "cohere_stream_text" => paced(Reply::cohere_stream_text(&text_of("text")?, chunk())),
        "cohere_error" => {
            let status = v.get("status").and_then(Value::as_u64).unwrap_or(500) as u16;
            Reply::cohere_error(status, &text_of("message")?)
        }
        _ => return Ok(None),
    }))
}
