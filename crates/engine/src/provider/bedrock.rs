//! AWS Bedrock's Converse API (`POST /model/MODEL_ID/converse`, and `/converse-stream` in
//! AWS's binary event-stream framing), signed with SigV4 ([`super::aws`]). One request shape
//! for every model Bedrock hosts: `messages` of content blocks, `system` apart, the tool in
//! `toolConfig` with a forced `toolChoice`, a re-ask as a `toolResult` with `status: error`.

use std::borrow::Cow;

use serde_json::{Value, json};

use super::auth::Auth;
use super::aws::{AwsCredentials, find_region};
use super::body::Body;
use super::instructions::{reask_with_results, schema_instruction};
use super::registry::{Preset, Wire};
use super::turns::{Conversation, arguments_object};
use super::{
    CallSpec, Completion, Delta, Finish, Frame, Header, HttpRequest, Protocol, ProviderFailure,
    Reading, StreamDecoder, StreamFailure,
};
use crate::attachment::{Accepts, IMAGE_TYPES, Inline, Limit, PDF_TYPES};
use crate::error::{Error, Setting};
use crate::framing::Framing;
use crate::message::{Message, Part, Role, ToolCall};
use crate::mode::Mode;
use crate::retry::is_quota_exhausted;
use crate::secret::ApiKey;
use crate::usage::Usage;

use Mode::*;

pub static PRESETS: &[Preset] = &[Preset {
    name: "bedrock",
    wire: Wire::Bedrock,
    // Regional: `https://bedrock-runtime.REGION.amazonaws.com`, made from the region.
    base_url: "",
    base_url_env: None,
    // The secret key may be kept in the keychain; the key id comes from the environment.
    key_env: "AWS_SECRET_ACCESS_KEY",
    alt_key_env: None,
    key_required: false,
    default_mode: Tools,
    modes: &[Tools, Json],
    start: None,
    constrained: &[],
}];

#[derive(Debug)]
pub struct Bedrock {
    preset: &'static Preset,
    base_url: String,
    region: String,
    /// Credentials given outright (else found per request, as the AWS SDKs find them).
    credentials: Option<AwsCredentials>,
}

impl Bedrock {
    /// Bedrock in the region the environment (or AWS's config file) names; an empty
    /// `base_url` means AWS's regional address.
    pub fn new(preset: &'static Preset, base_url: String) -> Result<Self, Error> {
        Ok(Self::with(preset, base_url, find_region()?, None))
    }

    /// Bedrock in a given region, with given credentials (for Rust callers that do not
    /// configure AWS through the environment).
    pub fn with(
        preset: &'static Preset,
        base_url: String,
        region: String,
        credentials: Option<AwsCredentials>,
    ) -> Self {
        let base_url = match base_url.trim_end_matches('/') {
            "" => format!("https://bedrock-runtime.{region}.amazonaws.com"),
            given => given.to_string(),
        };
        Bedrock {
            preset,
            base_url,
            region,
            credentials,
        }
    }
}

/// A model id as a path segment: everything but unreserved characters percent-encoded
/// (`anthropic.claude-3-5-sonnet-20240620-v1:0` → `…-v1%3A0`), as AWS's SDKs send it.
fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An image block from a `data:` URL (Bedrock takes image bytes, never an address).
fn image_block(url: &str) -> Result<Value, Error> {
    if let Some(rest) = url.strip_prefix("data:")
        && let Some((meta, data)) = rest.split_once(',')
        && let Some(mime) = meta.strip_suffix(";base64")
        && let Some(format) = mime.strip_prefix("image/")
        && matches!(format, "png" | "jpeg" | "gif" | "webp")
    {
        return Ok(json!({"image": {"format": format, "source": {"bytes": data}}}));
    }
    Err(Error::InvalidSetting {
        setting: Setting::Messages,
        message: format!(
            "Bedrock takes PNG, JPEG, GIF or WebP images as bytes, not `{}`",
            crate::limits::clip(url, 80)
        ),
        hint: "attach the image as a PNG, JPEG, GIF or WebP file".into(),
    })
}

/// A PDF as a Converse `document` block: bytes, and a name of the characters Bedrock allows.
fn document_block(url: &str, name: &Option<String>) -> Result<Value, Error> {
    let Some(inline) = Inline::parse(url) else {
        return Err(Error::InvalidSetting {
            setting: Setting::Files,
            message: format!(
                "Bedrock takes documents as bytes, not by address: `{}`",
                crate::limits::clip(url, 80)
            ),
            hint: "attach the PDF itself".into(),
        });
    };
    Ok(json!({"document": {"format": "pdf",
        "name": document_name(name.as_deref().unwrap_or("document")),
        "source": {"bytes": inline.base64}}}))
}

/// A document name Bedrock accepts: letters, digits, hyphens, parentheses, square brackets
/// and single spaces, 1–200 characters (API_runtime_DocumentBlock). Anything else becomes
/// a space (a file name's dots and underscores included).
fn document_name(name: &str) -> String {
    let name = name.strip_suffix(".pdf").unwrap_or(name);
    let mut out = String::new();
    for c in name.chars() {
        let keep = c.is_alphanumeric() || matches!(c, '-' | '(' | ')' | '[' | ']');
        if keep {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        if out.chars().count() >= 200 {
            break;
        }
    }
    let out = out.trim_end().to_string();
    if out.is_empty() {
        "document".into()
    } else {
        out
    }
}

/// The conversation as Converse takes it: system text apart; alternating user and
/// assistant turns of content blocks (tool results lead the user turn after the calls).
fn conversation(messages: &[Message]) -> Result<Conversation<Role>, Error> {
    let mut c = Conversation::new();
    for m in messages {
        let (role, blocks) = match m.role {
            Role::System => {
                c.system.push(m.text());
                continue;
            }
            Role::User => {
                let mut blocks = Vec::new();
                for p in &m.content {
                    match p {
                        Part::Text { text } if text.trim().is_empty() => {}
                        Part::Text { text } => blocks.push(json!({"text": text})),
                        Part::Image { url, .. } => blocks.push(image_block(url)?),
                        Part::Document { url, name } => blocks.push(document_block(url, name)?),
                        // Refused before any request is built (`attachments` has no audio).
                        Part::Audio { .. } => {}
                    }
                }
                (Role::User, blocks)
            }
            Role::Assistant => {
                let mut blocks = Vec::new();
                let text = m.text();
                if !text.trim().is_empty() {
                    blocks.push(json!({"text": text}));
                }
                blocks.extend(m.tool_calls.iter().map(|c| {
                    json!({"toolUse": {"toolUseId": c.id, "name": c.name,
                                       "input": arguments_object(&c.arguments)}})
                }));
                (Role::Assistant, blocks)
            }
            Role::Tool => (
                Role::User,
                vec![json!({"toolResult": {
                    "toolUseId": m.tool_call_id.clone().unwrap_or_default(),
                    "content": [{"text": m.text()}],
                    // Tool results only come from re-asks: the call's input was wrong.
                    "status": "error",
                }})],
            ),
        };
        c.push(role, blocks);
    }
    Ok(c)
}

impl Bedrock {
    fn body(&self, call: &CallSpec<'_>) -> Result<Body, Error> {
        let tool = call.schema.tool();
        let s = call.sampling;
        if s.seed.is_some() {
            return Err(Error::InvalidSetting {
                setting: Setting::Sampling,
                message: "Bedrock's Converse API takes no seed".into(),
                hint: "leave the seed out for this provider".into(),
            });
        }
        let Conversation { mut system, turns } = conversation(call.messages)?;
        if call.mode == Json {
            system.push(schema_instruction(call.schema));
            system.push("Return the JSON inside a single ```json code block.".into());
        }
        let mut body = Body::new();
        body.set(
            "messages",
            Value::Array(
                turns
                    .into_iter()
                    .map(|(role, content)| json!({"role": role.as_str(), "content": content}))
                    .collect(),
            ),
        );
        if !system.is_empty() {
            body.set("system", json!([{"text": system.join("\n\n")}]));
        }
        if call.mode == Tools {
            body.set(
                "toolConfig",
                json!({
                    "tools": [{"toolSpec": {
                        "name": tool.name,
                        "description": tool.description,
                        "inputSchema": {"json": tool.parameters},
                    }}],
                    "toolChoice": {"tool": {"name": tool.name}},
                }),
            );
        }
        let mut config = serde_json::Map::new();
        if let Some(n) = s.max_tokens {
            config.insert("maxTokens".into(), json!(n));
        }
        if let Some(t) = s.temperature {
            config.insert("temperature".into(), json!(t));
        }
        if let Some(p) = s.top_p {
            config.insert("topP".into(), json!(p));
        }
        if !s.stop.is_empty() {
            config.insert("stopSequences".into(), json!(s.stop));
        }
        if !config.is_empty() {
            body.set("inferenceConfig", Value::Object(config));
        }
        for (k, v) in call.extra_body {
            body.set(k, v.clone());
        }
        Ok(body)
    }
}

fn finish(reason: Option<&str>) -> Option<Finish> {
    Some(match reason? {
        "end_turn" | "tool_use" | "stop_sequence" => Finish::Complete,
        "max_tokens" | "model_context_window_exceeded" => Finish::Length,
        "guardrail_intervened" | "content_filtered" => Finish::ContentFilter,
        other => Finish::Other(other.to_string()),
    })
}

fn usage(v: &Value) -> Usage {
    let n = |k: &str| v.get(k).and_then(Value::as_u64);
    let (input, output) = (
        n("inputTokens").unwrap_or(0),
        n("outputTokens").unwrap_or(0),
    );
    let (read, write) = (n("cacheReadInputTokens"), n("cacheWriteInputTokens"));
    let prompt = input + read.unwrap_or(0) + write.unwrap_or(0);
    Usage {
        prompt_tokens: prompt,
        completion_tokens: output,
        total_tokens: n("totalTokens").unwrap_or(prompt + output),
        cached_tokens: read,
        cache_write_tokens: write,
        reasoning_tokens: None,
    }
}

fn string_at(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn parse_converse(root: &Value) -> Result<Completion, String> {
    let content = root
        .pointer("/output/message/content")
        .and_then(Value::as_array)
        .ok_or("the body has no `output.message.content`")?;
    let mut text = String::new();
    let mut tool_calls = Vec::new();
    for block in content {
        if let Some(t) = block.get("text").and_then(Value::as_str) {
            text.push_str(t);
        } else if let Some(u) = block.get("toolUse") {
            tool_calls.push(ToolCall {
                id: string_at(u, "toolUseId"),
                name: string_at(u, "name"),
                arguments: u.get("input").map(Value::to_string).unwrap_or_default(),
            });
        }
    }
    Ok(Completion {
        text: (!text.is_empty()).then_some(text),
        tool_calls,
        finish: finish(root.get("stopReason").and_then(Value::as_str)),
        refusal: None,
        reasoning: Vec::new(),
        usage: root.get("usage").map(usage).unwrap_or_default(),
    })
}

/// A content-block index past this is a broken (or hostile) stream.
const MAX_BLOCKS: u64 = 1024;

/// Tool calls by content-block index, and whether each got input.
#[derive(Default)]
struct Decoder {
    tools: Vec<(u64, usize, bool)>,
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
        let root: Value = serde_json::from_str(data).map_err(|e| {
            let clipped: String = data.chars().take(200).collect();
            StreamFailure::Malformed(format!("a stream event is not JSON ({e}): {clipped}"))
        })?;
        let index = root
            .get("contentBlockIndex")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if index >= MAX_BLOCKS {
            return Err(StreamFailure::Malformed(format!(
                "a content block has index {index}; at most {MAX_BLOCKS} are read"
            )));
        }
        match frame.kind.unwrap_or("") {
            "contentBlockStart" => {
                if let Some(start) = root.pointer("/start/toolUse") {
                    let call = self.tools.len();
                    self.tools.push((index, call, false));
                    out(Delta::ToolArgs {
                        index: call,
                        id: Some(Cow::Owned(string_at(start, "toolUseId"))),
                        name: Some(Cow::Owned(string_at(start, "name"))),
                        text: Cow::Borrowed(""),
                    });
                }
            }
            "contentBlockDelta" => {
                if let Some(text) = root.pointer("/delta/text").and_then(Value::as_str) {
                    if !text.is_empty() {
                        out(Delta::Text(Cow::Borrowed(text)));
                    }
                } else if let Some(input) =
                    root.pointer("/delta/toolUse/input").and_then(Value::as_str)
                    && let Some(tool) = self.tools.iter_mut().find(|t| t.0 == index)
                {
                    tool.2 = true;
                    out(Delta::ToolArgs {
                        index: tool.1,
                        id: None,
                        name: None,
                        text: Cow::Borrowed(input),
                    });
                }
            }
            "contentBlockStop" => {
                // A call with no input streams none; unstreamed it would be `{}`.
                if let Some(tool) = self.tools.iter_mut().find(|t| t.0 == index && !t.2) {
                    tool.2 = true;
                    out(Delta::ToolArgs {
                        index: tool.1,
                        id: None,
                        name: None,
                        text: Cow::Borrowed("{}"),
                    });
                }
            }
            "messageStop" => {
                if let Some(f) = finish(root.get("stopReason").and_then(Value::as_str)) {
                    out(Delta::Finish(f));
                }
            }
            // The last event: usage and latency, after `messageStop`.
            "metadata" => {
                if let Some(u) = root.get("usage").filter(|u| u.is_object()) {
                    out(Delta::Usage(usage(u)));
                }
                out(Delta::Done);
            }
            _ => {}
        }
        Ok(())
    }
}

/// What `mode` sends and where its answer is read, in the Bedrock protocol.
pub fn describe(mode: Mode) -> Option<(&'static str, &'static str)> {
    Some(match mode {
        Tools => (
            "Converse `toolConfig` with one `toolSpec` (`inputSchema.json`), `toolChoice: {tool: {name}}`",
            "the `toolUse` block's `input`",
        ),
        Json => (
            "the schema in `system` and a request for a ```json block",
            "the JSON value in the text",
        ),
        _ => return None,
    })
}

impl Protocol for Bedrock {
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
        let credentials = match &self.credentials {
            Some(given) => given.clone(),
            None => AwsCredentials::find(key)?,
        };
        Ok(Auth::SigV4 {
            credentials,
            region: self.region.clone(),
            service: "bedrock",
        })
    }

    fn stand_in_auth(&self) -> Option<Auth> {
        Some(Auth::SigV4 {
            credentials: AwsCredentials {
                access_key_id: "$AWS_ACCESS_KEY_ID".into(),
                secret_access_key: ApiKey::new("$AWS_SECRET_ACCESS_KEY"),
                session_token: None,
            },
            region: self.region.clone(),
            service: "bedrock",
        })
    }

    fn build(&self, call: &CallSpec<'_>) -> Result<HttpRequest, Error> {
        let method = if call.stream {
            "converse-stream"
        } else {
            "converse"
        };
        let mut headers = Vec::new();
        if call.stream {
            headers.push(Header {
                name: "accept".into(),
                value: "application/vnd.amazon.eventstream".into(),
                secret: false,
            });
        }
        Ok(HttpRequest {
            url: format!(
                "{}/model/{}/{method}",
                self.base_url,
                path_segment(call.model)
            ),
            headers,
            body: self.body(call)?,
        })
    }

    fn parse(&self, _mode: Mode, body: &[u8]) -> Result<Completion, String> {
        let root: Value =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON ({e})"))?;
        parse_converse(&root)
    }

    fn framing(&self) -> Framing {
        Framing::AwsEventStream
    }

    fn decoder(&self, _mode: Mode) -> Box<dyn StreamDecoder> {
        Box::new(Decoder::default())
    }

    fn failure(&self, _status: u16, body: &str) -> ProviderFailure {
        let message = serde_json::from_str::<Value>(body).ok().and_then(|v| {
            v.get("message")
                .or_else(|| v.get("Message"))
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

    /// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html: up
    /// to 20 images of 3.75 MB, and 5 documents of 4.5 MB, per request; bytes only. (Some
    /// models take larger PDFs; the documented limit is the one checked.) No audio.
    fn attachments(&self, _mode: Mode) -> Accepts {
        Accepts {
            image: Some(Limit {
                media_types: IMAGE_TYPES,
                max_bytes: 3_750_000,
                max_count: 20,
                by_url: false,
            }),
            pdf: Some(Limit {
                media_types: PDF_TYPES,
                max_bytes: 4_500_000,
                max_count: 5,
                by_url: false,
            }),
            audio: None,
            request_bytes: None,
            source: "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_are_encoded_as_the_sdks_do() {
        assert_eq!(
            path_segment("anthropic.claude-3-5-sonnet-20240620-v1:0"),
            "anthropic.claude-3-5-sonnet-20240620-v1%3A0"
        );
        assert_eq!(
            path_segment("arn:aws:bedrock:us-east-1:1:inference-profile/x"),
            "arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx"
        );
    }
}
