//! Anthropic's Messages API (`POST /v1/messages`): system turns lifted into `system`,
//! `max_tokens` always sent, tool results as `tool_result` blocks (re-asks mark them
//! `is_error`), extended thinking kept and sent back with the turn it belongs to, and a
//! stream of typed events whose usage arrives in two halves (`message_start` has the input
//! tokens, `message_delta` the output tokens).

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Auth;
use super::body::{Body, Field};
use super::instructions::{reask_with_results, schema_instruction};
use super::registry::{Preset, Wire};
use super::turns::{Conversation, arguments_object};
use super::{
    CallSpec, Completion, Delta, Finish, Frame, Header, HttpRequest, Protocol, ProviderFailure,
    Reading, StreamDecoder, StreamFailure,
};
use crate::attachment::{Accepts, IMAGE_TYPES, Inline, Limit, MB, PDF_TYPES};
use crate::error::{Error, Setting};
use crate::message::{Message, Part, Reasoning, Role, ToolCall};
use crate::mode::Mode;
use crate::retry::is_quota_exhausted;
use crate::schema::ToolSpec;
use crate::secret::ApiKey;
use crate::usage::Usage;

use Mode::*;

pub static PRESETS: &[Preset] = &[Preset {
    name: "anthropic",
    wire: Wire::Anthropic,
    base_url: "https://api.anthropic.com",
    base_url_env: None,
    key_env: "ANTHROPIC_API_KEY",
    alt_key_env: None,
    key_required: true,
    default_mode: Tools,
    modes: &[Tools, ParallelTools, ReasoningTools, Json, JsonSchema],
    start: None,
    constrained: &[],
}];

/// The API version every request names (the only one Anthropic has published).
const API_VERSION: &str = "2023-06-01";
/// `max_tokens` is required; this is sent when the request sets none.
const DEFAULT_MAX_TOKENS: u32 = 4096;
/// With extended thinking the budget comes out of `max_tokens`, so the default is larger.
const DEFAULT_REASONING_MAX_TOKENS: u32 = 8192;
/// The smallest thinking budget the API accepts.
const MIN_THINKING_BUDGET: u32 = 1024;
/// A prompt this long (about 1,000 tokens, the smallest prefix Anthropic caches) is marked
/// for caching: re-asks resend it whole, and read it from the cache at a tenth of the price.
const CACHE_MIN_CHARS: usize = 4096;

#[derive(Debug)]
pub struct Anthropic {
    preset: &'static Preset,
    base_url: String,
}

impl Anthropic {
    pub fn new(preset: &'static Preset, base_url: String) -> Self {
        Anthropic {
            preset,
            base_url: base_url.trim_end_matches('/').to_string(),
        }
    }
}

fn invalid(setting: Setting, message: String, hint: &str) -> Error {
    Error::InvalidSetting {
        setting,
        message,
        hint: hint.into(),
    }
}

/// An image part as Anthropic takes it: inline base64 from a `data:` URL, else the URL
/// (which Anthropic fetches itself).
/// An `image` or `document` block: inline bytes, or an address Anthropic fetches itself.
fn file_block(kind: &str, url: &str) -> Value {
    match Inline::parse(url) {
        Some(i) => json!({"type": kind, "source": {"type": "base64",
            "media_type": i.media_type, "data": i.base64}}),
        None => json!({"type": kind, "source": {"type": "url", "url": url}}),
    }
}

/// A reasoning block as Anthropic takes it back (another provider's signature has no place).
fn reasoning_block(r: &Reasoning) -> Option<Value> {
    Some(match r {
        Reasoning::Thinking {
            thinking,
            signature,
        } => json!({"type": "thinking", "thinking": thinking, "signature": signature}),
        Reasoning::Redacted { data } => json!({"type": "redacted_thinking", "data": data}),
        Reasoning::Signature { .. } => return None,
    })
}

/// The conversation as Anthropic takes it: system text apart, and user/assistant turns of
/// content blocks. Tool results travel in a user turn, first in it; consecutive turns of one
/// role are merged (the API would merge them too, but a tool result must lead its turn).
fn conversation(messages: &[Message], prompt_len: usize) -> Conversation<Role> {
    let mut c = Conversation::new();
    let mut prompt_chars = 0;
    let mut last_prompt_turn = None;
    for (i, m) in messages.iter().enumerate() {
        let (role, blocks) = match m.role {
            Role::System => {
                c.system.push(m.text());
                continue;
            }
            Role::User => {
                let blocks: Vec<Value> = m
                    .content
                    .iter()
                    .filter_map(|p| match p {
                        // Refused: "text content blocks must contain non-whitespace text".
                        Part::Text { text } if text.trim().is_empty() => None,
                        Part::Text { text } => Some(json!({"type": "text", "text": text})),
                        Part::Image { url, .. } => Some(file_block("image", url)),
                        Part::Document { url, name } => {
                            let mut block = file_block("document", url);
                            if let Some(name) = name {
                                block["title"] = json!(name);
                            }
                            Some(block)
                        }
                        // Refused before any request is built (`attachments` has no audio).
                        Part::Audio { .. } => None,
                    })
                    .collect();
                (Role::User, blocks)
            }
            Role::Assistant => {
                let mut blocks: Vec<Value> =
                    m.reasoning.iter().filter_map(reasoning_block).collect();
                let text = m.text();
                if !text.trim().is_empty() {
                    blocks.push(json!({"type": "text", "text": text}));
                }
                blocks.extend(m.tool_calls.iter().map(|c| {
                    json!({"type": "tool_use", "id": c.id, "name": c.name,
                           "input": arguments_object(&c.arguments)})
                }));
                (Role::Assistant, blocks)
            }
            Role::Tool => (
                Role::User,
                vec![json!({
                    "type": "tool_result",
                    "tool_use_id": m.tool_call_id.clone().unwrap_or_default(),
                    "content": m.text(),
                    // Tool results only come from re-asks: the call's input was wrong.
                    "is_error": true,
                })],
            ),
        };
        // An empty turn is refused ("all messages must have non-empty content").
        if c.push(role, blocks) && i < prompt_len {
            prompt_chars += m.text().len();
            last_prompt_turn = Some(c.turns.len() - 1);
        }
    }
    if prompt_chars >= CACHE_MIN_CHARS
        && let Some(turn) = last_prompt_turn
        && let Some(block) = c.turns[turn].1.last_mut()
    {
        block["cache_control"] = json!({"type": "ephemeral"});
    }
    c
}

fn turn_value((role, mut blocks): (Role, Vec<Value>)) -> Value {
    // One text block reads better as a plain string (and is what people write by hand).
    let content = if blocks.len() == 1 && blocks[0].get("type") == Some(&json!("text")) {
        blocks[0]
            .as_object_mut()
            .filter(|b| !b.contains_key("cache_control"))
            .and_then(|b| b.remove("text"))
            .unwrap_or_else(|| Value::Array(blocks))
    } else {
        Value::Array(blocks)
    };
    json!({"role": role.as_str(), "content": content})
}

fn tool_def(tool: &ToolSpec) -> Field {
    Field::object([
        ("name", json!(tool.name).into()),
        ("description", json!(tool.description).into()),
        ("input_schema", Field::Raw(tool.raw_parameters(false))),
    ])
}

impl Anthropic {
    fn body(&self, call: &CallSpec<'_>) -> Result<Body, Error> {
        let mode = call.mode;
        let tool = call.schema.tool();
        let s = call.sampling;
        let reasoning = mode == ReasoningTools;
        if s.seed.is_some() {
            return Err(invalid(
                Setting::Sampling,
                "Anthropic's API takes no seed".into(),
                "leave the seed out for this provider",
            ));
        }
        let max_tokens = s.max_tokens.unwrap_or(if reasoning {
            DEFAULT_REASONING_MAX_TOKENS
        } else {
            DEFAULT_MAX_TOKENS
        });
        let mut body = Body::new();
        body.set("model", json!(call.model));
        body.set("max_tokens", json!(max_tokens));

        let Conversation { mut system, turns } = conversation(call.messages, call.prompt_len);
        if mode == Json {
            system.push(schema_instruction(call.schema));
        }
        if !system.is_empty() {
            body.set("system", json!(system.join("\n\n")));
        }
        body.set(
            "messages",
            Value::Array(turns.into_iter().map(turn_value).collect()),
        );

        match mode {
            Tools => {
                body.set("tools", Field::Array(vec![tool_def(tool)]));
                body.set("tool_choice", json!({"type": "tool", "name": tool.name}));
            }
            ParallelTools => {
                let tools = call.schema.parallel_tools().into_iter().map(tool_def);
                body.set("tools", Field::Array(tools.collect()));
                body.set("tool_choice", json!({"type": "any"}));
            }
            ReasoningTools => {
                if s.temperature.is_some() {
                    return Err(invalid(
                        Setting::Sampling,
                        "Anthropic takes no temperature with extended thinking (reasoning_tools)"
                            .into(),
                        "leave the temperature out, or use the tools mode",
                    ));
                }
                if max_tokens <= MIN_THINKING_BUDGET {
                    return Err(invalid(
                        Setting::MaxTokens,
                        format!(
                            "reasoning_tools needs max_tokens above {MIN_THINKING_BUDGET}: the thinking budget (at least {MIN_THINKING_BUDGET} tokens) comes out of it"
                        ),
                        "raise max_tokens (8192 is the default for this mode)",
                    ));
                }
                let budget = (max_tokens / 2).max(MIN_THINKING_BUDGET);
                body.set("tools", Field::Array(vec![tool_def(tool)]));
                // Forcing a tool is refused with thinking on: the model chooses, and a reply
                // without the call is re-asked.
                body.set("tool_choice", json!({"type": "auto"}));
                body.set(
                    "thinking",
                    json!({"type": "enabled", "budget_tokens": budget}),
                );
            }
            JsonSchema => {
                // Structured outputs as generally available (`output_config.format`); the
                // beta's `output_format` and its header are deprecated.
                body.set(
                    "output_config",
                    Field::object([(
                        "format",
                        Field::object([
                            ("type", json!("json_schema").into()),
                            (
                                "schema",
                                Field::Json(crate::dialect::anthropic(&tool.strict_parameters)),
                            ),
                        ]),
                    )]),
                );
            }
            _ => {}
        }
        if let Some(t) = s.temperature {
            body.set("temperature", json!(t));
        }
        if let Some(p) = s.top_p {
            body.set("top_p", json!(p));
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
        "end_turn" | "tool_use" | "stop_sequence" | "pause_turn" => Finish::Complete,
        "max_tokens" | "model_context_window_exceeded" => Finish::Length,
        "refusal" => Finish::ContentFilter,
        other => Finish::Other(other.to_string()),
    })
}

/// The token counts of a `usage` object, as far as it has them.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    input: Option<u64>,
    output: Option<u64>,
    cache_read: Option<u64>,
    cache_write: Option<u64>,
}

impl Counts {
    fn read(v: &Value) -> Counts {
        let n = |k: &str| v.get(k).and_then(Value::as_u64);
        Counts {
            input: n("input_tokens"),
            output: n("output_tokens"),
            cache_read: n("cache_read_input_tokens"),
            cache_write: n("cache_creation_input_tokens"),
        }
    }

    /// Later counts win where they are given (`message_delta` repeats or completes those of
    /// `message_start`).
    fn merge(&mut self, later: Counts) {
        self.input = later.input.or(self.input);
        self.output = later.output.or(self.output);
        self.cache_read = later.cache_read.or(self.cache_read);
        self.cache_write = later.cache_write.or(self.cache_write);
    }

    /// Anthropic's `input_tokens` leaves out the cached part: the prompt is all three.
    fn usage(self) -> Usage {
        let prompt =
            self.input.unwrap_or(0) + self.cache_read.unwrap_or(0) + self.cache_write.unwrap_or(0);
        let completion = self.output.unwrap_or(0);
        Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: prompt + completion,
            cached_tokens: self.cache_read,
            cache_write_tokens: self.cache_write,
            reasoning_tokens: None,
        }
    }
}

fn string_at(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn parse_message(root: &Value) -> Result<Completion, String> {
    let content = root
        .get("content")
        .and_then(Value::as_array)
        .ok_or("the body has no `content` array")?;
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    let mut reasoning = Vec::new();
    for block in content {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => text.push_str(block.get("text").and_then(Value::as_str).unwrap_or("")),
            Some("tool_use") => tool_calls.push(ToolCall {
                id: string_at(block, "id"),
                name: string_at(block, "name"),
                arguments: block.get("input").map(Value::to_string).unwrap_or_default(),
            }),
            Some("thinking") => reasoning.push(Reasoning::Thinking {
                thinking: string_at(block, "thinking"),
                signature: string_at(block, "signature"),
            }),
            Some("redacted_thinking") => reasoning.push(Reasoning::Redacted {
                data: string_at(block, "data"),
            }),
            _ => {}
        }
    }
    let finish = finish(root.get("stop_reason").and_then(Value::as_str));
    let refusal = (finish == Some(Finish::ContentFilter))
        .then(|| text.clone())
        .filter(|t| !t.is_empty());
    Ok(Completion {
        text: (!text.is_empty()).then_some(text),
        tool_calls,
        finish,
        refusal,
        reasoning,
        usage: root
            .get("usage")
            .map(|u| Counts::read(u).usage())
            .unwrap_or_default(),
    })
}

/// One stream event, read without building a JSON tree for the hot ones (deltas).
#[derive(Deserialize)]
struct WireEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default)]
    index: Option<u64>,
    #[serde(default, borrow)]
    delta: Option<WireDelta<'a>>,
    #[serde(default)]
    content_block: Option<Value>,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct WireDelta<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    partial_json: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    thinking: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    signature: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    stop_reason: Option<Cow<'a, str>>,
}

/// What one content block of the stream is.
enum Block {
    Text,
    /// The n-th tool call; whether any argument text arrived for it.
    Tool {
        call: usize,
        got_input: bool,
    },
    Thinking {
        thinking: String,
        signature: String,
    },
    Other,
}

/// More content blocks than any answer has: an index past it is a broken (or hostile)
/// stream, and a slot per index must not be taken on its word.
const MAX_BLOCKS: u64 = 1024;

#[derive(Default)]
struct Decoder {
    /// Content blocks by stream index.
    blocks: Vec<(u64, Block)>,
    calls: usize,
    counts: Counts,
}

impl Decoder {
    fn block(&mut self, index: Option<u64>) -> Option<&mut Block> {
        let index = index?;
        self.blocks
            .iter_mut()
            .find(|(i, _)| *i == index)
            .map(|(_, b)| b)
    }
}

impl StreamDecoder for Decoder {
    fn decode(
        &mut self,
        frame: Frame<'_>,
        out: &mut dyn FnMut(Delta<'_>),
    ) -> Result<(), StreamFailure> {
        let data = frame.data.trim();
        if data.is_empty() {
            return Ok(());
        }
        let event: WireEvent<'_> = serde_json::from_str(data).map_err(|e| {
            let clipped: String = data.chars().take(200).collect();
            StreamFailure::Malformed(format!("a stream event is not JSON ({e}): {clipped}"))
        })?;
        match event.kind.as_ref() {
            "message_start" => {
                if let Some(u) = event.message.as_ref().and_then(|m| m.get("usage")) {
                    self.counts.merge(Counts::read(u));
                    out(Delta::Usage(self.counts.usage()));
                }
            }
            "content_block_start" => {
                let index = event.index.unwrap_or(0);
                if index >= MAX_BLOCKS || self.blocks.len() as u64 >= MAX_BLOCKS {
                    return Err(StreamFailure::Malformed(format!(
                        "a content block has index {index}; at most {MAX_BLOCKS} blocks are read"
                    )));
                }
                let start = event.content_block.unwrap_or(Value::Null);
                let block = match start.get("type").and_then(Value::as_str) {
                    Some("tool_use") => {
                        let call = self.calls;
                        self.calls += 1;
                        out(Delta::ToolArgs {
                            index: call,
                            id: Some(Cow::Owned(string_at(&start, "id"))),
                            name: Some(Cow::Owned(string_at(&start, "name"))),
                            text: Cow::Borrowed(""),
                        });
                        Block::Tool {
                            call,
                            got_input: false,
                        }
                    }
                    Some("text") => {
                        let text = string_at(&start, "text");
                        if !text.is_empty() {
                            out(Delta::Text(Cow::Owned(text)));
                        }
                        Block::Text
                    }
                    Some("thinking") => Block::Thinking {
                        thinking: string_at(&start, "thinking"),
                        signature: string_at(&start, "signature"),
                    },
                    Some("redacted_thinking") => {
                        out(Delta::Reasoning(Reasoning::Redacted {
                            data: string_at(&start, "data"),
                        }));
                        Block::Other
                    }
                    _ => Block::Other,
                };
                self.blocks.retain(|(i, _)| *i != index);
                self.blocks.push((index, block));
            }
            "content_block_delta" => {
                let Some(delta) = event.delta else {
                    return Ok(());
                };
                let kind = delta.kind.as_deref().unwrap_or("");
                match (self.block(event.index), kind) {
                    (Some(Block::Tool { call, got_input }), "input_json_delta") => {
                        *got_input = true;
                        out(Delta::ToolArgs {
                            index: *call,
                            id: None,
                            name: None,
                            text: delta.partial_json.unwrap_or_default(),
                        });
                    }
                    (Some(Block::Thinking { thinking, .. }), "thinking_delta") => {
                        thinking.push_str(delta.thinking.as_deref().unwrap_or(""));
                    }
                    (Some(Block::Thinking { signature, .. }), "signature_delta") => {
                        signature.push_str(delta.signature.as_deref().unwrap_or(""));
                    }
                    // Text arrives for text blocks; a delta for a block never started is
                    // still text (servers that skip `content_block_start`).
                    (Some(Block::Text) | None, "text_delta") => {
                        if let Some(text) = delta.text.filter(|t| !t.is_empty()) {
                            out(Delta::Text(text));
                        }
                    }
                    _ => {}
                }
            }
            "content_block_stop" => {
                let index = event.index.unwrap_or(0);
                let Some(at) = self.blocks.iter().position(|(i, _)| *i == index) else {
                    return Ok(());
                };
                match std::mem::replace(&mut self.blocks[at].1, Block::Other) {
                    Block::Thinking {
                        thinking,
                        signature,
                    } => out(Delta::Reasoning(Reasoning::Thinking {
                        thinking,
                        signature,
                    })),
                    // A call with no arguments streams none; its answer is the empty object
                    // that the same answer unstreamed would carry.
                    Block::Tool {
                        call,
                        got_input: false,
                    } => out(Delta::ToolArgs {
                        index: call,
                        id: None,
                        name: None,
                        text: Cow::Borrowed("{}"),
                    }),
                    other => self.blocks[at].1 = other,
                }
            }
            "message_delta" => {
                if let Some(u) = &event.usage {
                    self.counts.merge(Counts::read(u));
                    out(Delta::Usage(self.counts.usage()));
                }
                if let Some(f) = finish(event.delta.as_ref().and_then(|d| d.stop_reason.as_deref()))
                {
                    out(Delta::Finish(f));
                }
            }
            "message_stop" => out(Delta::Done),
            "error" => {
                let message = event
                    .error
                    .as_ref()
                    .and_then(|e| e.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or("the provider sent an error event");
                return Err(StreamFailure::Provider(message.to_string()));
            }
            // `ping`, and event types added later.
            _ => {}
        }
        Ok(())
    }
}

/// What `mode` sends and where its answer is read, in the Anthropic protocol (the mode
/// table of `quarry modes` and README).
pub fn describe(mode: Mode) -> Option<(&'static str, &'static str)> {
    Some(match mode {
        Tools => (
            "one tool (`input_schema`), `tool_choice: {type: tool, name}`",
            "the `tool_use` block's `input`",
        ),
        ParallelTools => (
            "one tool per member of a top-level `anyOf`/`oneOf`, `tool_choice: {type: any}`; result is a list",
            "every `tool_use` block",
        ),
        ReasoningTools => (
            "as `tools` with `thinking: {type: enabled, budget_tokens}` and `tool_choice: auto` (forcing a tool is refused with thinking); thinking blocks are sent back with a re-ask",
            "the `tool_use` block's `input`",
        ),
        Json => (
            "the schema in `system`",
            "the JSON value in the text blocks",
        ),
        JsonSchema => (
            "structured outputs: `output_config: {format: {type: json_schema, schema}}` (strict-normalized: objects closed; the constraints it refuses moved into descriptions)",
            "the text blocks",
        ),
        _ => return None,
    })
}

impl Protocol for Anthropic {
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
        Ok(Auth::header("x-api-key", "", key))
    }

    fn build(&self, call: &CallSpec<'_>) -> Result<HttpRequest, Error> {
        let headers = vec![Header {
            name: "anthropic-version".into(),
            value: API_VERSION.into(),
            secret: false,
        }];
        Ok(HttpRequest {
            url: format!("{}/v1/messages", self.base_url),
            headers,
            body: self.body(call)?,
        })
    }

    fn parse(&self, _mode: Mode, body: &[u8]) -> Result<Completion, String> {
        let root: Value =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON ({e})"))?;
        parse_message(&root)
    }

    fn decoder(&self, _mode: Mode) -> Box<dyn StreamDecoder> {
        Box::new(Decoder::default())
    }

    fn failure(&self, _status: u16, body: &str) -> ProviderFailure {
        let message = serde_json::from_str::<Value>(body).ok().and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.get("message"))
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

    /// https://docs.claude.com/en/docs/build-with-claude/pdf-support: 32 MB per request;
    /// https://docs.claude.com/en/docs/build-with-claude/vision: JPEG, PNG, GIF, WebP, 5 MB
    /// per image (10 MB on the API itself since; the lower figure holds everywhere), 100
    /// images per request. Both by address too. No audio.
    fn attachments(&self, _mode: Mode) -> Accepts {
        Accepts {
            image: Some(Limit {
                media_types: IMAGE_TYPES,
                max_bytes: 5 * MB,
                max_count: 100,
                by_url: true,
            }),
            pdf: Some(Limit {
                media_types: PDF_TYPES,
                max_bytes: 32 * MB,
                max_count: usize::MAX,
                by_url: true,
            }),
            audio: None,
            request_bytes: Some(32 * MB),
            source: "https://docs.claude.com/en/docs/build-with-claude/pdf-support",
        }
    }

    fn reading(&self, mode: Mode) -> Reading {
        match mode {
            ParallelTools => Reading::ParallelTools,
            Tools | ReasoningTools => Reading::Tool,
            _ => Reading::Text { anywhere: true },
        }
    }

    fn sends_strict_schema(&self, mode: Mode) -> bool {
        mode == JsonSchema
    }

    fn reask(&self, mode: Mode, completion: &Completion, error: &str) -> Vec<Message> {
        reask_with_results(
            matches!(mode, Tools | ParallelTools | ReasoningTools),
            "tool",
            completion,
            error,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Sampling;
    use crate::schema::ResponseSchema;
    use serde_json::Map;

    fn protocol() -> Anthropic {
        Anthropic::new(&PRESETS[0], "http://127.0.0.1:1/".into())
    }

    fn schema() -> ResponseSchema {
        ResponseSchema::new(json!({"title": "User", "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["name"]}))
        .unwrap()
    }

    fn build(mode: Mode, messages: &[Message], sampling: &Sampling) -> Result<Value, Error> {
        let schema = schema();
        let req = protocol().build(&CallSpec {
            mode,
            model: "claude-x",
            messages,
            prompt_len: messages.len(),
            schema: &schema,
            sampling,
            extra_body: &Map::new(),
            stream: false,
        })?;
        assert_eq!(req.url, "http://127.0.0.1:1/v1/messages");
        Ok(req.body.to_value())
    }

    #[test]
    fn system_turns_are_lifted_and_max_tokens_always_sent() {
        let body = build(
            Tools,
            &[Message::system("Be exact."), Message::user("Ada, 36")],
            &Sampling::default(),
        )
        .unwrap();
        assert_eq!(body["system"], "Be exact.");
        assert_eq!(body["max_tokens"], 4096);
        assert_eq!(
            body["messages"],
            json!([{"role": "user", "content": "Ada, 36"}])
        );
        assert_eq!(body["tool_choice"], json!({"type": "tool", "name": "User"}));
        assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
    }

    #[test]
    fn reasoning_keeps_thinking_for_the_reask_and_refuses_what_the_api_refuses() {
        let thinking = Reasoning::Thinking {
            thinking: "The age is 36.".into(),
            signature: "sig".into(),
        };
        let completion = Completion {
            tool_calls: vec![ToolCall {
                id: "toolu_1".into(),
                name: "User".into(),
                arguments: r#"{"name": 1}"#.into(),
            }],
            reasoning: vec![thinking],
            ..Default::default()
        };
        let mut messages = vec![Message::user("Ada, 36")];
        messages.extend(protocol().reask(ReasoningTools, &completion, "name: not a string"));
        let body = build(ReasoningTools, &messages, &Sampling::default()).unwrap();
        let turns = body["messages"].as_array().unwrap();
        assert_eq!(turns[1]["content"][0]["type"], "thinking");
        assert_eq!(turns[1]["content"][1]["input"], json!({"name": 1}));
        assert_eq!(turns[2]["content"][0]["type"], "tool_result");
        assert_eq!(turns[2]["content"][0]["is_error"], true);
        assert_eq!(body["tool_choice"], json!({"type": "auto"}));
        assert_eq!(body["thinking"]["budget_tokens"], 4096);

        let hot = Sampling {
            temperature: Some(0.2),
            ..Default::default()
        };
        assert!(build(ReasoningTools, &messages, &hot).is_err());
        let short = Sampling {
            max_tokens: Some(1000),
            ..Default::default()
        };
        assert!(build(ReasoningTools, &messages, &short).is_err());
    }

    #[test]
    fn a_long_prompt_is_marked_for_caching() {
        let long = "x".repeat(CACHE_MIN_CHARS);
        let body = build(Json, &[Message::user(long)], &Sampling::default()).unwrap();
        assert_eq!(
            body["messages"][0]["content"][0]["cache_control"],
            json!({"type": "ephemeral"})
        );
        let body = build(Json, &[Message::user("short")], &Sampling::default()).unwrap();
        assert_eq!(body["messages"][0]["content"], "short");
        assert!(body["system"].as_str().unwrap().contains("JSON Schema"));
    }

    #[test]
    fn usage_arrives_in_two_halves_and_is_merged() {
        let mut d = Decoder::default();
        let mut usage = Usage::default();
        let mut args = String::new();
        let events = [
            r#"{"type":"message_start","message":{"id":"m","usage":{"input_tokens":50,"output_tokens":1,"cache_read_input_tokens":20,"cache_creation_input_tokens":5}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"User","input":{}}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"name\": "}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\"Ada\"}"}}"#,
            r#"{"type":"content_block_stop","index":0}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":10}}"#,
            r#"{"type":"message_stop"}"#,
        ];
        for data in events {
            d.decode(Frame { kind: None, data }, &mut |delta| match delta {
                Delta::Usage(u) => usage = u,
                Delta::ToolArgs { text, .. } => args.push_str(&text),
                _ => {}
            })
            .unwrap();
        }
        assert_eq!(args, r#"{"name": "Ada"}"#);
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            (75, 10, 85)
        );
        assert_eq!(
            (usage.cached_tokens, usage.cache_write_tokens),
            (Some(20), Some(5))
        );
    }
}
