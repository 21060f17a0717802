//! The OpenAI protocol: Chat Completions for most modes and the Responses API for the
//! `RESPONSES_*` modes, with the quirks of every OpenAI-compatible preset.

use std::borrow::Cow;

use serde_json::{Value, json};

pub mod presets;

use presets::{Endpoint, Files, JsonMode, JsonSchemaFormat, Quirks, ToolChoice};

use super::auth::Auth;
use super::body::{Body, Field};
use super::instructions::{JSON_REASK, TOOL_REASK, schema_instruction};
use super::registry::Preset;
use super::{
    CallSpec, Completion, Delta, Finish, Frame, HttpRequest, Protocol, ProviderFailure, Reading,
    StreamDecoder, StreamFailure,
};
use crate::attachment::{Accepts, Inline};
use crate::error::Error;
use crate::message::{Message, Part, Role, ToolCall};
use crate::mode::Mode;
use crate::retry::is_quota_exhausted;
use crate::schema::ToolSpec;
use crate::secret::ApiKey;
use crate::usage::Usage;

#[derive(Debug)]
pub struct OpenAi {
    preset: &'static Preset,
    quirks: Quirks,
    base_url: String,
    /// Azure only.
    api_version: String,
}

impl OpenAi {
    pub fn new(
        preset: &'static Preset,
        quirks: Quirks,
        base_url: String,
        api_version: Option<String>,
    ) -> Self {
        OpenAi {
            preset,
            quirks,
            base_url: base_url.trim_end_matches('/').to_string(),
            api_version: api_version
                .unwrap_or_else(|| presets::AZURE_DEFAULT_API_VERSION.to_string()),
        }
    }

    fn url(&self, mode: Mode, model: &str) -> String {
        match self.quirks.endpoint {
            Endpoint::Azure => format!(
                "{}/openai/deployments/{model}/{}?api-version={}",
                self.base_url,
                if mode.is_responses_api() {
                    "responses"
                } else {
                    "chat/completions"
                },
                self.api_version
            ),
            Endpoint::Standard if mode.is_responses_api() => format!("{}/responses", self.base_url),
            Endpoint::Standard => format!("{}/chat/completions", self.base_url),
        }
    }
}

const MD_JSON_REQUEST: &str = "Return the JSON answer inside a single ```json code block, and nothing that is not JSON inside it.";

fn function_def(tool: &ToolSpec, strict: bool) -> Field {
    let mut pairs = vec![
        ("name".to_string(), Field::Json(json!(tool.name))),
        (
            "description".to_string(),
            Field::Json(json!(tool.description)),
        ),
        (
            "parameters".to_string(),
            Field::Raw(tool.raw_parameters(strict)),
        ),
    ];
    if strict {
        pairs.push(("strict".to_string(), Field::Json(json!(true))));
    }
    Field::Object(pairs)
}

fn chat_tool(tool: &ToolSpec, strict: bool) -> Field {
    Field::object([
        ("type", json!("function").into()),
        ("function", function_def(tool, strict)),
    ])
}

fn chat_content(m: &Message, images: bool) -> Value {
    if m.is_plain_text() || !images {
        return Value::String(m.text());
    }
    Value::Array(m.content.iter().map(chat_part).collect())
}

/// One content part of a chat message. PDFs and audio reach here only for presets that take
/// them (`attachments`); the run turned them into text or refused them for the rest.
fn chat_part(p: &Part) -> Value {
    match p {
        Part::Text { text } => json!({"type": "text", "text": text}),
        Part::Image { url, detail } => {
            let mut image = json!({"url": url});
            if let Some(d) = detail {
                image["detail"] = json!(d);
            }
            json!({"type": "image_url", "image_url": image})
        }
        Part::Document { url, name } => json!({"type": "file", "file": {
            "filename": name.as_deref().unwrap_or("document.pdf"), "file_data": url}}),
        Part::Audio { url, .. } => {
            let inline = Inline::parse(url);
            json!({"type": "input_audio", "input_audio": {
                "data": inline.map_or("", |i| i.base64),
                "format": inline.map_or("wav", |i| audio_format(i.media_type)),
            }})
        }
    }
}

/// Whether an error message is a local server refusing tools outright: Ollama for a model
/// whose template has no tools (server/images.go: "<model> does not support tools"),
/// llama.cpp started without `--jinja` (tools/server/server-common.cpp), vLLM started
/// without a tool parser (serving_chat.py).
fn refuses_tools(message: &str) -> bool {
    [
        "does not support tools",
        "tools param requires --jinja",
        "tool_choice param requires --jinja",
        "requires --enable-auto-tool-choice",
        "requires --tool-call-parser",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// `input_audio.format`: OpenAI takes `wav` and `mp3`.
fn audio_format(media_type: &str) -> &'static str {
    if media_type == "audio/mpeg" {
        "mp3"
    } else {
        "wav"
    }
}

fn chat_message(m: &Message, mode: Mode) -> Value {
    match m.role {
        Role::Assistant if !m.tool_calls.is_empty() => {
            let content = if m.content.is_empty() {
                Value::Null
            } else {
                Value::String(m.text())
            };
            if mode == Mode::Functions {
                let call = &m.tool_calls[0];
                json!({"role": "assistant", "content": content,
                       "function_call": {"name": call.name, "arguments": call.arguments}})
            } else {
                let calls: Vec<Value> = m
                    .tool_calls
                    .iter()
                    .map(|c| {
                        json!({"id": c.id, "type": "function",
                                    "function": {"name": c.name, "arguments": c.arguments}})
                    })
                    .collect();
                json!({"role": "assistant", "content": content, "tool_calls": calls})
            }
        }
        Role::Tool => json!({
            "role": "tool",
            "tool_call_id": m.tool_call_id.clone().unwrap_or_default(),
            "content": m.text(),
        }),
        role => json!({"role": role.as_str(), "content": chat_content(m, role == Role::User)}),
    }
}

/// Puts the schema instruction first: as a new system message, or appended to the first one.
fn with_system_instruction(messages: &[Message], instruction: String) -> Vec<Message> {
    let mut out = messages.to_vec();
    match out.first_mut() {
        Some(first) if first.role == Role::System => {
            match first.content.iter_mut().find_map(|p| match p {
                Part::Text { text } => Some(text),
                _ => None,
            }) {
                Some(text) => {
                    text.push_str("\n\n");
                    text.push_str(&instruction);
                }
                None => first.content.push(Part::Text { text: instruction }),
            }
        }
        _ => out.insert(0, Message::system(instruction)),
    }
    out
}

impl OpenAi {
    fn chat_body(&self, call: &CallSpec<'_>) -> Body {
        let mode = call.mode;
        let schema = call.schema;
        let tool = schema.tool();
        let mut body = Body::new();
        body.set("model", json!(call.model));

        let messages: Vec<Message> = match mode {
            Mode::Json | Mode::MdJson => {
                let mut m = with_system_instruction(call.messages, schema_instruction(schema));
                if mode == Mode::MdJson {
                    // After the caller's turns, before any re-ask. A system message may have
                    // been inserted in front, hence the +1 when the caller had none.
                    let inserted =
                        usize::from(call.messages.first().map(|m| m.role) != Some(Role::System));
                    let at = (call.prompt_len + inserted).min(m.len());
                    m.insert(at, Message::user(MD_JSON_REQUEST));
                }
                m
            }
            Mode::JsonO1 => {
                // Reasoning models of the o1 family take no system message: its text goes
                // into the user turn that carries the schema.
                let (system, mut rest): (Vec<Message>, Vec<Message>) = call
                    .messages
                    .iter()
                    .cloned()
                    .partition(|m| m.role == Role::System);
                let mut text: Vec<String> = system.iter().map(Message::text).collect();
                text.push(schema_instruction(schema));
                let at = rest
                    .iter()
                    .position(|m| m.role != Role::User)
                    .unwrap_or(rest.len());
                rest.insert(at, Message::user(text.join("\n\n")));
                rest
            }
            _ => call.messages.to_vec(),
        };
        body.set(
            "messages",
            Value::Array(messages.iter().map(|m| chat_message(m, mode)).collect()),
        );

        match mode {
            Mode::Tools | Mode::ToolsStrict | Mode::ReasoningTools => {
                let strict = mode == Mode::ToolsStrict;
                body.set("tools", Field::Array(vec![chat_tool(tool, strict)]));
                let choice = match self.quirks.tool_choice {
                    ToolChoice::Named => {
                        json!({"type": "function", "function": {"name": tool.name}})
                    }
                    ToolChoice::Any => json!("any"),
                    ToolChoice::Auto => json!("auto"),
                };
                body.set("tool_choice", choice);
            }
            Mode::ParallelTools => {
                let tools = schema
                    .parallel_tools()
                    .iter()
                    .map(|t| chat_tool(t, false))
                    .collect();
                body.set("tools", Field::Array(tools));
                body.set("tool_choice", json!("auto"));
            }
            Mode::Functions => {
                body.set("functions", Field::Array(vec![function_def(tool, false)]));
                body.set("function_call", json!({"name": tool.name}));
            }
            Mode::Json => match self.quirks.json_mode {
                JsonMode::Object => body.set("response_format", json!({"type": "json_object"})),
                JsonMode::ObjectWithSchema => body.set(
                    "response_format",
                    Field::object([
                        ("type", json!("json_object").into()),
                        ("schema", Field::Raw(tool.raw_parameters(false))),
                    ]),
                ),
                JsonMode::SchemaFormat => self.json_schema_format(&mut body, tool),
            },
            Mode::JsonSchema => self.json_schema_format(&mut body, tool),
            Mode::JsonO1
            | Mode::MdJson
            | Mode::ResponsesTools
            | Mode::ResponsesToolsWithInbuiltTools => {}
        }
        self.sampling_and_extras(&mut body, call);
        body
    }

    /// `response_format` carrying the schema, in the form the preset takes.
    fn json_schema_format(&self, body: &mut Body, tool: &ToolSpec) {
        let name = || Field::Json(json!(tool.name));
        let format = match self.quirks.json_schema_format {
            JsonSchemaFormat::Named => Field::object([
                ("name", name()),
                ("schema", Field::Raw(tool.raw_parameters(false))),
            ]),
            JsonSchemaFormat::NamedStrict => Field::object([
                ("name", name()),
                ("schema", Field::Raw(tool.raw_parameters(true))),
                ("strict", json!(true).into()),
            ]),
            JsonSchemaFormat::SchemaOnly => {
                Field::object([("schema", Field::Raw(tool.raw_parameters(false)))])
            }
        };
        body.set(
            "response_format",
            Field::object([
                ("type", json!("json_schema").into()),
                ("json_schema", format),
            ]),
        );
    }

    /// Sampling settings, streaming, and the caller's extra fields (last: they win).
    fn sampling_and_extras(&self, body: &mut Body, call: &CallSpec<'_>) {
        let s = call.sampling;
        if let Some(t) = s.temperature {
            body.set("temperature", json!(t));
        }
        if let Some(n) = s.max_tokens {
            body.set("max_tokens", json!(n));
        }
        if let Some(p) = s.top_p {
            body.set("top_p", json!(p));
        }
        if let Some(seed) = s.seed {
            body.set("seed", json!(seed));
        }
        if !s.stop.is_empty() {
            body.set("stop", json!(s.stop));
        }
        if call.stream {
            body.set("stream", json!(true));
            // Without this, streamed chat answers carry no token counts.
            body.set("stream_options", json!({"include_usage": true}));
        }
        for (k, v) in call.extra_body {
            body.set(k, v.clone());
        }
    }

    fn responses_body(&self, call: &CallSpec<'_>) -> Body {
        let tool = call.schema.tool();
        let mut body = Body::new();
        body.set("model", json!(call.model));
        let mut input = Vec::new();
        for m in call.messages {
            match m.role {
                Role::Assistant if !m.tool_calls.is_empty() => {
                    if !m.content.is_empty() {
                        input.push(json!({"role": "assistant", "content": m.text()}));
                    }
                    for c in &m.tool_calls {
                        input.push(json!({"type": "function_call", "call_id": c.id,
                                          "name": c.name, "arguments": c.arguments}));
                    }
                }
                Role::Tool => input.push(json!({
                    "type": "function_call_output",
                    "call_id": m.tool_call_id.clone().unwrap_or_default(),
                    "output": m.text(),
                })),
                Role::User if !m.is_plain_text() => {
                    let parts: Vec<Value> = m
                        .content
                        .iter()
                        .map(|p| match p {
                            Part::Text { text } => json!({"type": "input_text", "text": text}),
                            Part::Image { url, detail } => json!({"type": "input_image",
                                "image_url": url, "detail": detail.as_deref().unwrap_or("auto")}),
                            Part::Document { url, name } => match Inline::parse(url) {
                                Some(_) => json!({"type": "input_file",
                                    "filename": name.as_deref().unwrap_or("document.pdf"),
                                    "file_data": url}),
                                None => json!({"type": "input_file", "file_url": url}),
                            },
                            // The Responses API takes no audio; `attachments` says so, and the
                            // run refuses it before a request is built.
                            Part::Audio { .. } => json!({"type": "input_text", "text": ""}),
                        })
                        .collect();
                    input.push(json!({"role": "user", "content": parts}));
                }
                role => input.push(json!({"role": role.as_str(), "content": m.text()})),
            }
        }
        body.set("input", Value::Array(input));
        let function = Field::object([
            ("type", json!("function").into()),
            ("name", json!(tool.name).into()),
            ("description", json!(tool.description).into()),
            ("parameters", Field::Raw(tool.raw_parameters(false))),
        ]);
        let inbuilt = call.mode == Mode::ResponsesToolsWithInbuiltTools;
        let mut extra = call.extra_body.clone();
        match extra.remove("tools") {
            // The caller's built-in tools (web search, file search, …) stay; ours joins them
            // and the model chooses.
            Some(Value::Array(tools)) if inbuilt => {
                let mut all: Vec<Field> = tools.into_iter().map(Field::Json).collect();
                all.push(function);
                body.set("tools", Field::Array(all));
            }
            other => {
                if let Some(o) = other {
                    extra.insert("tools".into(), o);
                }
                body.set("tools", Field::Array(vec![function]));
                body.set(
                    "tool_choice",
                    json!({"type": "function", "name": tool.name}),
                );
            }
        }
        let s = call.sampling;
        if let Some(t) = s.temperature {
            body.set("temperature", json!(t));
        }
        if let Some(n) = s.max_tokens {
            body.set("max_output_tokens", json!(n));
        }
        if let Some(p) = s.top_p {
            body.set("top_p", json!(p));
        }
        if call.stream {
            body.set("stream", json!(true));
        }
        for (k, v) in extra {
            body.set(&k, v);
        }
        body
    }
}

fn finish(reason: Option<&str>) -> Option<Finish> {
    Some(match reason? {
        "stop" | "tool_calls" | "function_call" => Finish::Complete,
        "length" | "max_output_tokens" => Finish::Length,
        "content_filter" => Finish::ContentFilter,
        other => Finish::Other(other.to_string()),
    })
}

fn u(v: &Value, path: &str) -> Option<u64> {
    v.pointer(path).and_then(Value::as_u64)
}

fn chat_usage(v: &Value) -> Usage {
    Usage {
        prompt_tokens: u(v, "/prompt_tokens").unwrap_or(0),
        completion_tokens: u(v, "/completion_tokens").unwrap_or(0),
        total_tokens: u(v, "/total_tokens").unwrap_or(0),
        cached_tokens: u(v, "/prompt_tokens_details/cached_tokens"),
        reasoning_tokens: u(v, "/completion_tokens_details/reasoning_tokens"),
        cache_write_tokens: None,
    }
}

fn responses_usage(v: &Value) -> Usage {
    Usage {
        prompt_tokens: u(v, "/input_tokens").unwrap_or(0),
        completion_tokens: u(v, "/output_tokens").unwrap_or(0),
        total_tokens: u(v, "/total_tokens").unwrap_or(0),
        cached_tokens: u(v, "/input_tokens_details/cached_tokens"),
        reasoning_tokens: u(v, "/output_tokens_details/reasoning_tokens"),
        cache_write_tokens: None,
    }
}

fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}

fn string_at(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Tool-call arguments are a JSON string on the wire; some servers send an object instead.
fn arguments(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn parse_chat(root: &Value) -> Result<Completion, String> {
    let choice = root
        .get("choices")
        .and_then(Value::as_array)
        .ok_or("the body has no `choices` array")?
        .first()
        .ok_or("`choices` is empty")?;
    let message = choice
        .get("message")
        .ok_or("`choices[0]` has no `message`")?;
    let mut tool_calls: Vec<ToolCall> = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .map(|calls| {
            calls
                .iter()
                .enumerate()
                .map(|(i, c)| ToolCall {
                    id: string_at(c, "id").unwrap_or_else(|| format!("call_{i}")),
                    name: c
                        .pointer("/function/name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    arguments: arguments(c.pointer("/function/arguments")),
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(fc) = message.get("function_call").filter(|v| v.is_object()) {
        tool_calls.push(ToolCall {
            id: "function_call".into(),
            name: string_at(fc, "name").unwrap_or_default(),
            arguments: arguments(fc.get("arguments")),
        });
    }
    Ok(Completion {
        text: string_at(message, "content"),
        tool_calls,
        finish: finish(choice.get("finish_reason").and_then(Value::as_str)),
        refusal: string_at(message, "refusal").filter(|r| !r.is_empty()),
        reasoning: Vec::new(),
        usage: root.get("usage").map(chat_usage).unwrap_or_default(),
    })
}

fn parse_responses(root: &Value) -> Result<Completion, String> {
    let output = root
        .get("output")
        .and_then(Value::as_array)
        .ok_or("the body has no `output` array")?;
    let mut text = String::new();
    let mut refusal = None;
    let mut tool_calls = Vec::new();
    for item in output {
        match item.get("type").and_then(Value::as_str) {
            Some("function_call") => tool_calls.push(ToolCall {
                id: string_at(item, "call_id")
                    .or_else(|| string_at(item, "id"))
                    .unwrap_or_default(),
                name: string_at(item, "name").unwrap_or_default(),
                arguments: arguments(item.get("arguments")),
            }),
            Some("message") => {
                for part in item
                    .get("content")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    match part.get("type").and_then(Value::as_str) {
                        Some("output_text") => {
                            text.push_str(part.get("text").and_then(Value::as_str).unwrap_or(""))
                        }
                        Some("refusal") => refusal = string_at(part, "refusal"),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let finish = match root.get("status").and_then(Value::as_str) {
        Some("incomplete") => finish(
            root.pointer("/incomplete_details/reason")
                .and_then(Value::as_str)
                .or(Some("incomplete")),
        ),
        Some(_) => Some(Finish::Complete),
        None => None,
    };
    Ok(Completion {
        text: (!text.is_empty()).then_some(text),
        tool_calls,
        finish,
        refusal,
        reasoning: Vec::new(),
        usage: root.get("usage").map(responses_usage).unwrap_or_default(),
    })
}

/// A Chat Completions stream chunk, read without building a JSON tree: strings are borrowed
/// from the event text unless they contain escapes. Unknown fields are skipped.
#[derive(serde::Deserialize)]
struct WireChunk<'a> {
    #[serde(default, borrow)]
    choices: Vec<WireChoice<'a>>,
    #[serde(default)]
    usage: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(serde::Deserialize)]
struct WireChoice<'a> {
    #[serde(default, borrow)]
    delta: Option<WireDelta<'a>>,
    #[serde(default, borrow)]
    finish_reason: Option<Cow<'a, str>>,
}

#[derive(serde::Deserialize)]
struct WireDelta<'a> {
    #[serde(default, borrow)]
    content: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    refusal: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    tool_calls: Option<Vec<WireToolCall<'a>>>,
    #[serde(default, borrow)]
    function_call: Option<WireFunction<'a>>,
}

#[derive(serde::Deserialize)]
struct WireToolCall<'a> {
    #[serde(default)]
    index: Option<usize>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    function: Option<WireFunction<'a>>,
}

#[derive(serde::Deserialize)]
struct WireFunction<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    arguments: Option<Cow<'a, str>>,
}

/// More parallel tool calls than any model makes: an index past it is a broken (or hostile)
/// stream, and taking it at its word would allocate a slot per index.
const MAX_TOOL_CALLS: usize = 1024;

fn check_index(index: usize) -> Result<usize, StreamFailure> {
    if index < MAX_TOOL_CALLS {
        Ok(index)
    } else {
        Err(StreamFailure::Malformed(format!(
            "a tool call has index {index}; at most {MAX_TOOL_CALLS} tool calls are read"
        )))
    }
}

fn chat_deltas(chunk: WireChunk<'_>, out: &mut dyn FnMut(Delta<'_>)) -> Result<(), StreamFailure> {
    if let Some(usage) = chunk.usage.as_ref().filter(|u| u.is_object()) {
        out(Delta::Usage(chat_usage(usage)));
    }
    let Some(choice) = chunk.choices.into_iter().next() else {
        return Ok(());
    };
    if let Some(delta) = choice.delta {
        if let Some(text) = delta.content.filter(|t| !t.is_empty()) {
            out(Delta::Text(text));
        }
        if let Some(text) = delta.refusal {
            out(Delta::Refusal(text));
        }
        for (i, call) in delta.tool_calls.into_iter().flatten().enumerate() {
            let (name, text) = match call.function {
                Some(f) => (f.name, f.arguments),
                None => (None, None),
            };
            out(Delta::ToolArgs {
                index: check_index(call.index.unwrap_or(i))?,
                id: call.id,
                name,
                text: text.unwrap_or_default(),
            });
        }
        if let Some(fc) = delta.function_call {
            out(Delta::ToolArgs {
                index: 0,
                id: None,
                name: fc.name,
                text: fc.arguments.unwrap_or_default(),
            });
        }
    }
    if let Some(f) = finish(choice.finish_reason.as_deref()) {
        out(Delta::Finish(f));
    }
    Ok(())
}

/// Chat Completions and Responses streams carry everything in each event: no state is kept.
struct Decoder {
    responses: bool,
}

impl StreamDecoder for Decoder {
    fn decode(
        &mut self,
        frame: Frame<'_>,
        out: &mut dyn FnMut(Delta<'_>),
    ) -> Result<(), StreamFailure> {
        let data = frame.data.trim();
        if data == "[DONE]" {
            out(Delta::Done);
            return Ok(());
        }
        let malformed = |e: serde_json::Error| {
            StreamFailure::Malformed(format!("a stream event is not JSON ({e}): {}", clip(data)))
        };
        if self.responses {
            let root: Value = serde_json::from_str(data).map_err(malformed)?;
            if let Some(err) = root.get("error").filter(|e| !e.is_null()) {
                return Err(stream_error(err));
            }
            return responses_deltas(&root, out);
        }
        let chunk: WireChunk<'_> = serde_json::from_str(data).map_err(malformed)?;
        if let Some(err) = chunk.error.as_ref().filter(|e| !e.is_null()) {
            return Err(stream_error(err));
        }
        chat_deltas(chunk, out)
    }
}

fn stream_error(err: &Value) -> StreamFailure {
    let message = err
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| err.to_string());
    StreamFailure::Provider(message)
}

fn responses_deltas(root: &Value, out: &mut dyn FnMut(Delta<'_>)) -> Result<(), StreamFailure> {
    let kind = root.get("type").and_then(Value::as_str).unwrap_or("");
    let index = || {
        let i = root
            .get("output_index")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        check_index(usize::try_from(i).unwrap_or(usize::MAX))
    };
    let text = |key: &str| Cow::Borrowed(root.get(key).and_then(Value::as_str).unwrap_or(""));
    match kind {
        "response.output_text.delta" => out(Delta::Text(text("delta"))),
        "response.refusal.delta" => out(Delta::Refusal(text("delta"))),
        "response.function_call_arguments.delta" => out(Delta::ToolArgs {
            index: index()?,
            id: None,
            name: None,
            text: text("delta"),
        }),
        "response.output_item.added" => {
            if let Some(item) = root.get("item")
                && item.get("type").and_then(Value::as_str) == Some("function_call")
            {
                out(Delta::ToolArgs {
                    index: index()?,
                    id: string_at(item, "call_id")
                        .or_else(|| string_at(item, "id"))
                        .map(Cow::Owned),
                    name: string_at(item, "name").map(Cow::Owned),
                    text: Cow::Borrowed(""),
                });
            }
        }
        "response.completed" | "response.incomplete" => {
            let response = root.get("response").unwrap_or(&Value::Null);
            if let Some(usage) = response.get("usage").filter(|u| u.is_object()) {
                out(Delta::Usage(responses_usage(usage)));
            }
            let f = if kind == "response.completed" {
                Finish::Complete
            } else {
                finish(
                    response
                        .pointer("/incomplete_details/reason")
                        .and_then(Value::as_str)
                        .or(Some("incomplete")),
                )
                .unwrap_or(Finish::Length)
            };
            out(Delta::Finish(f));
            out(Delta::Done);
        }
        "response.failed" => {
            let message = root
                .pointer("/response/error/message")
                .and_then(Value::as_str)
                .unwrap_or("the response failed");
            return Err(StreamFailure::Provider(message.to_string()));
        }
        "error" => {
            let message = root
                .get("message")
                .or_else(|| root.pointer("/error/message"))
                .and_then(Value::as_str)
                .unwrap_or("error event");
            return Err(StreamFailure::Provider(message.to_string()));
        }
        _ => {}
    }
    Ok(())
}

/// What `mode` sends and where its answer is read, in the OpenAI protocol (README's and
/// `quarry modes`' table); `None` for modes of other protocols.
pub fn describe(mode: Mode) -> Option<(&'static str, &'static str)> {
    Some(match mode {
        Mode::Tools => (
            "one function tool from the schema, `tool_choice` forcing it",
            "`tool_calls[].function.arguments`",
        ),
        Mode::ToolsStrict => (
            "as `tools`, `strict: true`, schema normalized (objects closed, all properties required, optional ones nullable; nulls for optional fields are dropped before validation)",
            "same",
        ),
        Mode::ParallelTools => (
            "one tool per member of a top-level `anyOf`/`oneOf`, `tool_choice: auto`; result is a list",
            "every matching tool call",
        ),
        Mode::Json => (
            "`response_format: json_object` + the schema in the system message",
            "message content",
        ),
        Mode::JsonO1 => (
            "the schema (and any system text) in a user message, for models without system messages",
            "message content",
        ),
        Mode::JsonSchema => (
            "`response_format: {type: json_schema, json_schema: {name, schema}}`",
            "message content",
        ),
        Mode::MdJson => (
            "the schema in the system message + a request for a ```json block",
            "the JSON value in the text: inside a ```json fence, on a line of its own, or after prose when it looks like JSON (`{\"`, `[{`)",
        ),
        Mode::Functions => (
            "legacy `functions` + `function_call`",
            "`function_call.arguments`",
        ),
        Mode::ResponsesTools => (
            "Responses API: `input`, function tool, forced `tool_choice`, `max_output_tokens`",
            "first `function_call` output item",
        ),
        Mode::ResponsesToolsWithInbuiltTools => (
            "as above, beside the built-in tools given in the request's extra body",
            "same",
        ),
        Mode::ReasoningTools => return None,
    })
}

impl Protocol for OpenAi {
    fn name(&self) -> &str {
        self.preset.name
    }

    fn modes(&self) -> &[Mode] {
        self.preset.modes
    }

    fn default_mode(&self) -> Mode {
        self.preset.default_mode
    }

    fn start_hint(&self, model: &str) -> Option<String> {
        self.preset.start.map(|s| s.replace("{model}", model))
    }

    fn auth(&self, key: Option<ApiKey>) -> Result<Auth, Error> {
        Ok(match self.quirks.endpoint {
            Endpoint::Azure => Auth::header("api-key", "", key),
            Endpoint::Standard => Auth::header("authorization", "Bearer ", key),
        })
    }

    fn build(&self, call: &CallSpec<'_>) -> Result<HttpRequest, Error> {
        let body = if call.mode.is_responses_api() {
            self.responses_body(call)
        } else {
            self.chat_body(call)
        };
        Ok(HttpRequest {
            url: self.url(call.mode, call.model),
            headers: Vec::new(),
            body,
        })
    }

    fn sends_strict_schema(&self, mode: Mode) -> bool {
        mode == Mode::ToolsStrict
            || (mode == Mode::JsonSchema
                && self.quirks.json_schema_format == JsonSchemaFormat::NamedStrict)
    }

    fn reading(&self, mode: Mode) -> Reading {
        match mode {
            Mode::ParallelTools => Reading::ParallelTools,
            Mode::MdJson => Reading::Text { anywhere: false },
            m if m.is_tool_mode() => Reading::Tool,
            _ => Reading::Text { anywhere: true },
        }
    }

    fn parse(&self, mode: Mode, body: &[u8]) -> Result<Completion, String> {
        let root: Value =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON ({e})"))?;
        if mode.is_responses_api() {
            parse_responses(&root)
        } else {
            parse_chat(&root)
        }
    }

    fn decoder(&self, mode: Mode) -> Box<dyn StreamDecoder> {
        Box::new(Decoder {
            responses: mode.is_responses_api(),
        })
    }

    fn failure(&self, _status: u16, body: &str) -> ProviderFailure {
        let message = serde_json::from_str::<Value>(body).ok().and_then(|v| {
            v.pointer("/error/message")
                .or_else(|| v.get("error").filter(|e| e.is_string()))
                .or_else(|| v.get("message"))
                .or_else(|| v.get("detail"))
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        ProviderFailure {
            mode_unsupported: message.as_deref().is_some_and(refuses_tools),
            message,
            quota_exhausted: is_quota_exhausted(body),
            retry_after: None,
        }
    }

    fn template_caps_url(&self) -> Option<String> {
        self.quirks.template_caps.then(|| {
            let root = self.base_url.strip_suffix("/v1").unwrap_or(&self.base_url);
            format!("{root}/props")
        })
    }

    fn attachments(&self, mode: Mode) -> Accepts {
        use crate::attachment::{IMAGE_TYPES, Limit, MB, PDF_TYPES};
        use crate::limits::MAX_ATTACHMENT_BYTES as ANY;
        // No size or count limits are documented for OpenAI-compatible servers: Quarry's own
        // cap applies and the server judges the rest.
        let images = Limit {
            media_types: IMAGE_TYPES,
            max_bytes: ANY,
            max_count: usize::MAX,
            by_url: true,
        };
        match self.quirks.files {
            Files::Images => Accepts {
                image: Some(images),
                ..Accepts::NOTHING
            },
            Files::ImagesAndPdfs => Accepts {
                image: Some(images),
                pdf: Some(Limit {
                    media_types: PDF_TYPES,
                    by_url: true,
                    ..images
                }),
                ..Accepts::NOTHING
            },
            // https://platform.openai.com/docs/guides/pdf-files: up to 50 MB per file and
            // 50 MB of files in one request. https://platform.openai.com/docs/guides/images-vision:
            // PNG, JPEG, WebP, GIF, up to 500 images (50 MB in all) per request. Chat
            // Completions takes PDFs inline only; the Responses API also by address, and no
            // audio.
            Files::OpenAi => Accepts {
                image: Some(Limit {
                    max_bytes: 50 * MB,
                    max_count: 500,
                    ..images
                }),
                pdf: Some(Limit {
                    media_types: PDF_TYPES,
                    max_bytes: 50 * MB,
                    max_count: usize::MAX,
                    by_url: mode.is_responses_api(),
                }),
                audio: (!mode.is_responses_api()).then_some(Limit {
                    media_types: &["audio/wav", "audio/mpeg"],
                    max_bytes: 50 * MB,
                    max_count: usize::MAX,
                    by_url: false,
                }),
                request_bytes: Some(50 * MB),
                source: "https://platform.openai.com/docs/guides/pdf-files",
            },
        }
    }

    fn reask(&self, mode: Mode, completion: &Completion, error: &str) -> Vec<Message> {
        if mode.is_tool_mode() {
            if completion.tool_calls.is_empty() {
                let mut out = Vec::new();
                if let Some(text) = completion.text.as_ref().filter(|t| !t.is_empty()) {
                    out.push(Message::assistant(text.clone()));
                }
                out.push(Message::user(format!(
                    "{error}\nAnswer by calling the function, not with text."
                )));
                return out;
            }
            let mut out = vec![Message::assistant_tool_calls(
                completion.text.clone(),
                completion.tool_calls.clone(),
            )];
            if mode == Mode::Functions {
                out.push(Message::user(format!("{error}\n{TOOL_REASK}")));
            } else {
                for call in &completion.tool_calls {
                    out.push(Message::tool_result(call, format!("{error}\n{TOOL_REASK}")));
                }
            }
            return out;
        }
        vec![
            Message::assistant(completion.text.clone().unwrap_or_default()),
            Message::user(format!("{error}\n{JSON_REASK}")),
        ]
    }
}
