//! Cohere's v2 Chat API (`POST /v2/chat`): OpenAI-like messages with `tool_plan` (the model's
//! note before its calls) and `tool` results, tools forced with `tool_choice: REQUIRED`, JSON
//! Schema in `response_format: {type: json_object, json_schema}`, a stream of typed events
//! (`content-delta`, `tool-call-start`/`-delta`, `message-end` with the finish reason and usage).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Auth;
use super::body::{Body, Field};
use super::instructions::reask_with_results;
use super::registry::{Preset, Wire};
use super::{
    CallSpec, Completion, Delta, Finish, Frame, HttpRequest, Protocol, ProviderFailure, Reading,
    StreamDecoder, StreamFailure,
};
use crate::attachment::{Accepts, IMAGE_TYPES, Limit, MB};
use crate::error::{Error, Setting};
use crate::message::{Message, Part, Role, ToolCall};
use crate::mode::Mode;
use crate::retry::is_quota_exhausted;
use crate::secret::ApiKey;
use crate::usage::Usage;

use Mode::*;

pub static PRESETS: &[Preset] = &[Preset {
    name: "cohere",
    wire: Wire::Cohere,
    base_url: "https://api.cohere.com",
    base_url_env: None,
    key_env: "CO_API_KEY",
    alt_key_env: Some("COHERE_API_KEY"),
    key_required: true,
    default_mode: Tools,
    modes: &[Tools, JsonSchema],
    start: None,
    constrained: &[],
}];

#[derive(Debug)]
pub struct Cohere {
    preset: &'static Preset,
    base_url: String,
}

impl Cohere {
    pub fn new(preset: &'static Preset, base_url: String) -> Self {
        Cohere {
            preset,
            base_url: base_url.trim_end_matches('/').to_string(),
        }
    }
}

fn content(m: &Message) -> Result<Value, Error> {
    if m.is_plain_text() {
        return Ok(Value::String(m.text()));
    }
    m.content
        .iter()
        .map(|p| match p {
            Part::Text { text } => Ok(json!({"type": "text", "text": text})),
            Part::Image { url, .. } if m.role == Role::User => {
                Ok(json!({"type": "image_url", "image_url": {"url": url}}))
            }
            Part::Image { .. } => Err(Error::InvalidSetting {
                setting: Setting::Messages,
                message: "Cohere takes images only in user messages".into(),
                hint: "move the image into a user message".into(),
            }),
            // The run sends a PDF's text and refuses audio (`attachments`) before this.
            Part::Document { .. } | Part::Audio { .. } => Err(Error::InvalidSetting {
                setting: Setting::Files,
                message: "Cohere takes no PDF or audio parts".into(),
                hint: "send the document's text instead".into(),
            }),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn message(m: &Message) -> Result<Value, Error> {
    Ok(match m.role {
        Role::Assistant if !m.tool_calls.is_empty() => {
            let calls: Vec<Value> = m
                .tool_calls
                .iter()
                .map(|c| {
                    json!({"id": c.id, "type": "function",
                           "function": {"name": c.name, "arguments": c.arguments}})
                })
                .collect();
            let mut out = json!({"role": "assistant", "tool_calls": calls});
            let plan = m.text();
            if !plan.is_empty() {
                out["tool_plan"] = json!(plan);
            }
            out
        }
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": m.tool_call_id.clone().unwrap_or_default(),
            "content": m.text(),
        }),
        role => json!({"role": role.as_str(), "content": content(m)?}),
    })
}

impl Cohere {
    fn body(&self, call: &CallSpec<'_>) -> Result<Body, Error> {
        let tool = call.schema.tool();
        let mut body = Body::new();
        body.set("model", json!(call.model));
        let messages = call
            .messages
            .iter()
            .map(message)
            .collect::<Result<Vec<_>, _>>()?;
        body.set("messages", Value::Array(messages));
        match call.mode {
            Tools => {
                body.set(
                    "tools",
                    Field::Array(vec![Field::object([
                        ("type", json!("function").into()),
                        (
                            "function",
                            Field::object([
                                ("name", json!(tool.name).into()),
                                ("description", json!(tool.description).into()),
                                ("parameters", Field::Raw(tool.raw_parameters(false))),
                            ]),
                        ),
                    ])]),
                );
                body.set("tool_choice", json!("REQUIRED"));
            }
            JsonSchema => body.set(
                "response_format",
                Field::object([
                    ("type", json!("json_object").into()),
                    ("json_schema", Field::Raw(tool.raw_parameters(false))),
                ]),
            ),
            _ => {}
        }
        let s = call.sampling;
        if let Some(t) = s.temperature {
            body.set("temperature", json!(t));
        }
        if let Some(n) = s.max_tokens {
            body.set("max_tokens", json!(n));
        }
        if let Some(p) = s.top_p {
            body.set("p", json!(p));
        }
        if let Some(seed) = s.seed {
            body.set("seed", json!(seed));
        }
        if !s.stop.is_empty() {
            body.set("stop_sequences", json!(s.stop));
        }
        if call.stream {
            body.set("stream", json!(true));
        }
        for (k, v) in call.extra_body {
            body.set(k, v.clone());
        }
        Ok(body)
    }
}

fn finish(reason: Option<&str>) -> Option<Finish> {
    Some(match reason? {
        "COMPLETE" | "STOP_SEQUENCE" | "TOOL_CALL" => Finish::Complete,
        "MAX_TOKENS" => Finish::Length,
        "ERROR_TOXIC" => Finish::ContentFilter,
        other => Finish::Other(other.to_string()),
    })
}

/// Cohere reports what it billed and what it counted; the counted tokens are the ones a
/// person compares across providers.
fn usage(v: &Value) -> Usage {
    let n = |path: &str| v.pointer(path).and_then(Value::as_u64);
    let prompt = n("/tokens/input_tokens")
        .or(n("/billed_units/input_tokens"))
        .unwrap_or(0);
    let completion = n("/tokens/output_tokens")
        .or(n("/billed_units/output_tokens"))
        .unwrap_or(0);
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        cached_tokens: n("/cached_tokens"),
        ..Usage::default()
    }
}

fn string_at(v: &Value, path: &str) -> Option<String> {
    v.pointer(path).and_then(Value::as_str).map(str::to_string)
}

fn parse_chat(root: &Value) -> Result<Completion, String> {
    let message = root.get("message").ok_or("the body has no `message`")?;
    let mut text = String::new();
    for part in message
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if part.get("type").and_then(Value::as_str) == Some("text") {
            text.push_str(part.get("text").and_then(Value::as_str).unwrap_or(""));
        }
    }
    let tool_calls: Vec<ToolCall> = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| ToolCall {
            id: string_at(c, "/id").unwrap_or_else(|| format!("call_{i}")),
            name: string_at(c, "/function/name").unwrap_or_default(),
            arguments: match c.pointer("/function/arguments") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            },
        })
        .collect();
    // With calls, the model's text is its plan (sent back as `tool_plan` on a re-ask).
    if text.is_empty()
        && let Some(plan) = string_at(message, "/tool_plan")
    {
        text = plan;
    }
    Ok(Completion {
        text: (!text.is_empty()).then_some(text),
        tool_calls,
        finish: finish(root.get("finish_reason").and_then(Value::as_str)),
        refusal: None,
        reasoning: Vec::new(),
        usage: root.get("usage").map(usage).unwrap_or_default(),
    })
}

/// One stream event, read without building a JSON tree for the hot part (the delta).
#[derive(Deserialize)]
struct WireEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default)]
    index: Option<u64>,
    #[serde(default, borrow)]
    delta: Option<WireDelta<'a>>,
}

#[derive(Deserialize)]
struct WireDelta<'a> {
    #[serde(default, borrow)]
    message: Option<WireMessage<'a>>,
    #[serde(default, borrow)]
    finish_reason: Option<Cow<'a, str>>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct WireMessage<'a> {
    #[serde(default, borrow)]
    content: Option<WireContent<'a>>,
    #[serde(default, borrow)]
    tool_plan: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    tool_calls: Option<WireCall<'a>>,
}

#[derive(Deserialize)]
struct WireContent<'a> {
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct WireCall<'a> {
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    function: Option<WireFunction<'a>>,
}

#[derive(Deserialize)]
struct WireFunction<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    arguments: Option<Cow<'a, str>>,
}

/// More tool calls than any answer has: an index past it is a broken (or hostile) stream.
const MAX_CALLS: u64 = 1024;

struct Decoder;

impl StreamDecoder for Decoder {
    fn decode(
        &mut self,
        frame: Frame<'_>,
        out: &mut dyn FnMut(Delta<'_>),
    ) -> Result<(), StreamFailure> {
        let data = frame.data.trim();
        // `[DONE]` follows `message-end`, which already ended the answer.
        if data.is_empty() || data == "[DONE]" {
            return Ok(());
        }
        let event: WireEvent<'_> = serde_json::from_str(data).map_err(|e| {
            let clipped: String = data.chars().take(200).collect();
            StreamFailure::Malformed(format!("a stream event is not JSON ({e}): {clipped}"))
        })?;
        let index = || match event.index.unwrap_or(0) {
            i if i < MAX_CALLS => Ok(i as usize),
            i => Err(StreamFailure::Malformed(format!(
                "a tool call has index {i}; at most {MAX_CALLS} tool calls are read"
            ))),
        };
        let delta = event.delta;
        match event.kind.as_ref() {
            "content-delta" => {
                if let Some(text) = delta
                    .and_then(|d| d.message)
                    .and_then(|m| m.content)
                    .and_then(|c| c.text)
                    .filter(|t| !t.is_empty())
                {
                    out(Delta::Text(text));
                }
            }
            // The model's note before its calls: the text of the turn, as unstreamed.
            "tool-plan-delta" => {
                if let Some(plan) = delta
                    .and_then(|d| d.message)
                    .and_then(|m| m.tool_plan)
                    .filter(|t| !t.is_empty())
                {
                    out(Delta::Text(plan));
                }
            }
            "tool-call-start" | "tool-call-delta" => {
                let call = delta.and_then(|d| d.message).and_then(|m| m.tool_calls);
                let (id, function) = match call {
                    Some(c) => (c.id, c.function),
                    None => (None, None),
                };
                let (name, text) = match function {
                    Some(f) => (f.name, f.arguments),
                    None => (None, None),
                };
                out(Delta::ToolArgs {
                    index: index()?,
                    id,
                    name,
                    text: text.unwrap_or_default(),
                });
            }
            "message-end" => {
                let delta = delta.unwrap_or(WireDelta {
                    message: None,
                    finish_reason: None,
                    usage: None,
                    error: None,
                });
                if let Some(error) = delta.error.as_ref().filter(|e| !e.is_null()) {
                    let message = error
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| string_at(error, "/message"))
                        .unwrap_or_else(|| error.to_string());
                    return Err(StreamFailure::Provider(message));
                }
                if let Some(u) = &delta.usage {
                    out(Delta::Usage(usage(u)));
                }
                if let Some(f) = finish(delta.finish_reason.as_deref()) {
                    out(Delta::Finish(f));
                }
                out(Delta::Done);
            }
            // Starts and ends of blocks, and event types added later, carry nothing the
            // answer needs.
            _ => {}
        }
        Ok(())
    }
}

/// What `mode` sends and where its answer is read, in the Cohere protocol.
pub fn describe(mode: Mode) -> Option<(&'static str, &'static str)> {
    Some(match mode {
        Tools => (
            "one function tool, `tool_choice: REQUIRED`",
            "`message.tool_calls[].function.arguments`",
        ),
        JsonSchema => (
            "`response_format: {type: json_object, json_schema}`",
            "the text content",
        ),
        _ => return None,
    })
}

impl Protocol for Cohere {
    fn name(&self) -> &str {
        self.preset.name
    }

    fn modes(&self) -> &[Mode] {
        self.preset.modes
    }

    fn default_mode(&self) -> Mode {
        self.preset.default_mode
    }

    fn auth(&self, key: Option<ApiKey>) -> Result<Auth, Error> {
        Ok(Auth::header("authorization", "Bearer ", key))
    }

    fn build(&self, call: &CallSpec<'_>) -> Result<HttpRequest, Error> {
        Ok(HttpRequest {
            url: format!("{}/v2/chat", self.base_url),
            headers: Vec::new(),
            body: self.body(call)?,
        })
    }

    fn parse(&self, _mode: Mode, body: &[u8]) -> Result<Completion, String> {
        let root: Value =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON ({e})"))?;
        parse_chat(&root)
    }

    fn decoder(&self, _mode: Mode) -> Box<dyn StreamDecoder> {
        Box::new(Decoder)
    }

    fn failure(&self, _status: u16, body: &str) -> ProviderFailure {
        let message = serde_json::from_str::<Value>(body).ok().and_then(|v| {
            v.get("message")
                .or_else(|| v.pointer("/error/message"))
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        ProviderFailure {
            message,
            quota_exhausted: is_quota_exhausted(body),
            retry_after: None,
            ..Default::default()
        }
    }

    /// https://docs.cohere.com/docs/image-inputs: PNG, JPEG, WebP, GIF; 20 images or 20 MB
    /// per request, by address too. No PDF or audio parts (PDFs go as their text).
    fn attachments(&self, _mode: Mode) -> Accepts {
        Accepts {
            image: Some(Limit {
                media_types: IMAGE_TYPES,
                max_bytes: 20 * MB,
                max_count: 20,
                by_url: true,
            }),
            request_bytes: Some(20 * MB),
            source: "https://docs.cohere.com/docs/image-inputs",
            ..Accepts::NOTHING
        }
    }

    fn reading(&self, mode: Mode) -> Reading {
        match mode {
            Tools => Reading::Tool,
            _ => Reading::Text { anywhere: true },
        }
    }

    fn sends_strict_schema(&self, _mode: Mode) -> bool {
        false
    }

    fn reask(&self, mode: Mode, completion: &Completion, error: &str) -> Vec<Message> {
        reask_with_results(mode == Tools, "tool", completion, error)
    }
}
