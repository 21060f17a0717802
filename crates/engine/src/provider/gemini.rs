//! Google's Gemini API (`generateContent` / `streamGenerateContent?alt=sse` under
//! `/v1beta/models/MODEL`): `contents` of `user` and `model` turns made of parts, the system
//! text in `systemInstruction`, the schema translated into Gemini's OpenAPI subset
//! ([`crate::dialect::gemini`]) for function declarations and `responseSchema`, a re-ask as a
//! `functionResponse` carrying the error, and a stream whose every event is a whole
//! `GenerateContentResponse` (the last one with the finish reason and the final usage).
//! Vertex AI serves the same body under `/v1/projects/P/locations/L/publishers/google/models/M`
//! with an OAuth bearer token ([`super::google_auth`]).

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use super::auth::Auth;
use super::body::Body;
use super::instructions::{reask_with_results, schema_instruction};
use super::registry::{Preset, Wire};
use super::turns::{Conversation, arguments_object};
use super::{
    CallSpec, Completion, Delta, Finish, Frame, HttpRequest, Protocol, ProviderFailure, Reading,
    StreamDecoder, StreamFailure,
};
use crate::attachment::{Accepts, Inline, Limit, MB, PDF_TYPES};
use crate::error::{Error, Setting};
use crate::message::{Message, Part, Reasoning, Role, ToolCall};
use crate::mode::Mode;
use crate::retry::is_quota_exhausted;
use crate::secret::ApiKey;
use crate::usage::Usage;
use std::sync::Arc;

use super::google_auth::GoogleTokens;

use Mode::*;

pub static PRESETS: &[Preset] = &[
    Preset {
        name: "gemini",
        wire: Wire::Gemini,
        base_url: "https://generativelanguage.googleapis.com",
        base_url_env: None,
        key_env: "GEMINI_API_KEY",
        alt_key_env: Some("GOOGLE_API_KEY"),
        key_required: true,
        default_mode: Tools,
        modes: &[Tools, Json, JsonSchema],
        start: None,
        constrained: &[],
    },
    Preset {
        name: "vertexai",
        wire: Wire::Vertex,
        // Regional: `https://LOCATION-aiplatform.googleapis.com`, made from the location.
        base_url: "",
        base_url_env: None,
        // A token given outright; without one, Application Default Credentials.
        key_env: "GOOGLE_OAUTH_ACCESS_TOKEN",
        alt_key_env: None,
        key_required: false,
        default_mode: Tools,
        modes: &[Tools, ParallelTools, Json, JsonSchema],
        start: None,
        constrained: &[],
    },
];

/// Which of Google's two services serves the model.
#[derive(Debug)]
enum Service {
    GeminiApi,
    Vertex {
        project: String,
        location: String,
        /// Application Default Credentials, when found (used without a token given).
        adc: Option<Arc<GoogleTokens>>,
    },
}

#[derive(Debug)]
pub struct Gemini {
    preset: &'static Preset,
    base_url: String,
    service: Service,
}

impl Gemini {
    pub fn new(preset: &'static Preset, base_url: String) -> Self {
        Gemini {
            preset,
            base_url: base_url.trim_end_matches('/').to_string(),
            service: Service::GeminiApi,
        }
    }

    /// Vertex AI for `GOOGLE_CLOUD_PROJECT` (else the credentials file's project) in
    /// `GOOGLE_CLOUD_LOCATION` (default `us-central1`); `base_url` empty means Google's
    /// regional address.
    pub fn vertex(preset: &'static Preset, base_url: String) -> Result<Self, Error> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let adc = GoogleTokens::find()?;
        let project = env("GOOGLE_CLOUD_PROJECT")
            .or_else(|| adc.as_ref().and_then(|a| a.project_id.clone()))
            .ok_or_else(|| {
                invalid(
                    Setting::Provider,
                    "Vertex AI needs a Google Cloud project, and none is set".into(),
                    "set GOOGLE_CLOUD_PROJECT to your project's id",
                )
            })?;
        let location = env("GOOGLE_CLOUD_LOCATION").unwrap_or_else(|| "us-central1".into());
        Self::vertex_with(preset, base_url, project, location, adc)
    }

    /// Vertex AI for a given project and location, with given credentials (for Rust callers
    /// that do not configure it through the environment): `adc` is used when the request
    /// brings no token.
    pub fn vertex_with(
        preset: &'static Preset,
        base_url: String,
        project: String,
        location: String,
        adc: Option<Arc<GoogleTokens>>,
    ) -> Result<Self, Error> {
        let ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if !ok(&project) || !ok(&location) {
            return Err(invalid(
                Setting::Provider,
                format!(
                    "the Vertex AI project `{project}` or location `{location}` has characters an address cannot carry"
                ),
                "set GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION to ids such as my-project and us-central1",
            ));
        }
        let base_url = match base_url.trim_end_matches('/') {
            "" if location == "global" => "https://aiplatform.googleapis.com".to_string(),
            "" => format!("https://{location}-aiplatform.googleapis.com"),
            given => given.to_string(),
        };
        Ok(Gemini {
            preset,
            base_url,
            service: Service::Vertex {
                project,
                location,
                adc,
            },
        })
    }
}

fn invalid(setting: Setting, message: String, hint: &str) -> Error {
    Error::InvalidSetting {
        setting,
        message,
        hint: hint.into(),
    }
}

/// The schema in Gemini's subset, or why it cannot be sent.
fn translated(schema: &Value) -> Result<Value, Error> {
    crate::dialect::gemini(schema).map_err(|e| {
        invalid(
            Setting::Schema,
            format!("the schema cannot be sent to Gemini: {e}"),
            "use the json_schema mode (responseJsonSchema takes JSON Schema as is), or write the recursive part out to a fixed depth",
        )
    })
}

/// An image part: inline data from a `data:` URL (Gemini fetches no URLs of ours).
/// An image, PDF or audio file as inline data (the run fetched any address first: Gemini
/// fetches only some kinds on some models itself).
fn inline_part(url: &str) -> Result<Value, Error> {
    if let Some(i) = Inline::parse(url) {
        // Gemini lists MP3 as `audio/mp3`.
        let mime = if i.media_type == "audio/mpeg" {
            "audio/mp3"
        } else {
            i.media_type
        };
        return Ok(json!({"inlineData": {"mimeType": mime, "data": i.base64}}));
    }
    Err(invalid(
        Setting::Files,
        format!(
            "Gemini takes files as inline data, not by address: `{}`",
            crate::limits::clip(url, 80)
        ),
        "attach the file itself instead of a URL",
    ))
}

/// The conversation as Gemini takes it: system text apart; `user` and `model` turns of parts,
/// consecutive turns of one role merged (function responses lead the user turn after the
/// calls they answer).
fn contents(messages: &[Message]) -> Result<Conversation<&'static str>, Error> {
    let mut c = Conversation::new();
    for m in messages {
        let (role, parts) = match m.role {
            Role::System => {
                c.system.push(m.text());
                continue;
            }
            Role::User => {
                let mut parts = Vec::new();
                for p in &m.content {
                    match p {
                        Part::Text { text } if text.is_empty() => {}
                        Part::Text { text } => parts.push(json!({"text": text})),
                        Part::Image { url, .. }
                        | Part::Document { url, .. }
                        | Part::Audio { url, .. } => parts.push(inline_part(url)?),
                    }
                }
                ("user", parts)
            }
            Role::Assistant => {
                let mut parts = Vec::new();
                let text = m.text();
                if !text.is_empty() {
                    parts.push(json!({"text": text}));
                }
                let signature = m.reasoning.iter().find_map(|r| match r {
                    Reasoning::Signature { signature } => Some(signature.as_str()),
                    _ => None,
                });
                for (i, c) in m.tool_calls.iter().enumerate() {
                    let mut part = json!({"functionCall": {"name": c.name, "args": arguments_object(&c.arguments)}});
                    // The signature goes back on the turn's first call, where it came from.
                    if i == 0
                        && let Some(s) = signature
                    {
                        part["thoughtSignature"] = json!(s);
                    }
                    parts.push(part);
                }
                ("model", parts)
            }
            Role::Tool => (
                "user",
                vec![json!({"functionResponse": {
                    "name": m.name.clone().unwrap_or_default(),
                    // Function results only come from re-asks: the call was wrong.
                    "response": {"error": m.text()},
                }})],
            ),
        };
        c.push(role, parts);
    }
    Ok(c)
}

impl Gemini {
    fn url(&self, model: &str, stream: bool) -> String {
        let method = if stream {
            "streamGenerateContent?alt=sse"
        } else {
            "generateContent"
        };
        match &self.service {
            Service::GeminiApi => format!("{}/v1beta/models/{model}:{method}", self.base_url),
            Service::Vertex {
                project, location, ..
            } => format!(
                "{}/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:{method}",
                self.base_url
            ),
        }
    }

    fn body(&self, call: &CallSpec<'_>) -> Result<Body, Error> {
        let mode = call.mode;
        let tool = call.schema.tool();
        let Conversation { mut system, turns } = contents(call.messages)?;
        if mode == Json {
            system.push(schema_instruction(call.schema));
        }
        let mut body = Body::new();
        body.set(
            "contents",
            Value::Array(
                turns
                    .into_iter()
                    .map(|(role, parts)| json!({"role": role, "parts": parts}))
                    .collect(),
            ),
        );
        if !system.is_empty() {
            body.set(
                "systemInstruction",
                json!({"parts": [{"text": system.join("\n\n")}]}),
            );
        }
        let mut config = Map::new();
        match mode {
            Tools => {
                body.set(
                    "tools",
                    json!([{"functionDeclarations": [{
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": translated(&tool.parameters)?,
                    }]}]),
                );
                body.set(
                    "toolConfig",
                    json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [tool.name]}}),
                );
            }
            ParallelTools => {
                let tools = call.schema.parallel_tools();
                let declarations = tools
                    .iter()
                    .map(|t| {
                        Ok(json!({"name": t.name, "description": t.description,
                                  "parameters": translated(&t.parameters)?}))
                    })
                    .collect::<Result<Vec<_>, Error>>()?;
                let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
                body.set("tools", json!([{"functionDeclarations": declarations}]));
                body.set(
                    "toolConfig",
                    json!({"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": names}}),
                );
            }
            Json => {
                config.insert("responseMimeType".into(), json!("application/json"));
                config.insert("responseSchema".into(), translated(&tool.parameters)?);
            }
            JsonSchema => {
                config.insert("responseMimeType".into(), json!("application/json"));
                config.insert("responseJsonSchema".into(), tool.parameters.clone());
            }
            _ => {}
        }
        let s = call.sampling;
        if let Some(t) = s.temperature {
            config.insert("temperature".into(), json!(t));
        }
        if let Some(p) = s.top_p {
            config.insert("topP".into(), json!(p));
        }
        if let Some(n) = s.max_tokens {
            config.insert("maxOutputTokens".into(), json!(n));
        }
        if let Some(seed) = s.seed {
            config.insert("seed".into(), json!(seed));
        }
        if !s.stop.is_empty() {
            config.insert("stopSequences".into(), json!(s.stop));
        }
        if !config.is_empty() {
            body.set("generationConfig", Value::Object(config));
        }
        for (k, v) in call.extra_body {
            body.set(k, v.clone());
        }
        Ok(body)
    }
}

fn finish(reason: Option<&str>) -> Option<Finish> {
    Some(match reason? {
        "STOP" => Finish::Complete,
        "MAX_TOKENS" => Finish::Length,
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => {
            Finish::ContentFilter
        }
        // MALFORMED_FUNCTION_CALL and the like: the answer is read (and re-asked) as it is.
        other => Finish::Other(other.to_string()),
    })
}

fn usage(v: &Value) -> Usage {
    let n = |k: &str| v.get(k).and_then(Value::as_u64);
    let thoughts = n("thoughtsTokenCount");
    let completion = n("candidatesTokenCount").unwrap_or(0) + thoughts.unwrap_or(0);
    let prompt = n("promptTokenCount").unwrap_or(0);
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: n("totalTokenCount").unwrap_or(prompt + completion),
        cached_tokens: n("cachedContentTokenCount"),
        cache_write_tokens: None,
        reasoning_tokens: thoughts,
    }
}

/// What one response (or one stream event) says, in the order it says it.
fn read_response(root: &Value, calls_so_far: usize, out: &mut dyn FnMut(Delta<'_>)) -> usize {
    let mut calls = calls_so_far;
    let candidate = root
        .get("candidates")
        .and_then(Value::as_array)
        .and_then(|c| c.first());
    if let Some(parts) = candidate
        .and_then(|c| c.pointer("/content/parts"))
        .and_then(Value::as_array)
    {
        for part in parts {
            if let Some(signature) = part.get("thoughtSignature").and_then(Value::as_str) {
                out(Delta::Reasoning(Reasoning::Signature {
                    signature: signature.to_string(),
                }));
            }
            // Thought summaries are the model's notes, not its answer.
            if part.get("thought").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            if let Some(text) = part.get("text").and_then(Value::as_str) {
                if !text.is_empty() {
                    out(Delta::Text(Cow::Borrowed(text)));
                }
            } else if let Some(fc) = part.get("functionCall") {
                let name = fc.get("name").and_then(Value::as_str).unwrap_or("");
                let id = fc
                    .get("id")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("call_{calls}"), str::to_string);
                out(Delta::ToolArgs {
                    index: calls,
                    id: Some(Cow::Owned(id)),
                    name: Some(Cow::Borrowed(name)),
                    text: Cow::Owned(fc.get("args").unwrap_or(&json!({})).to_string()),
                });
                calls += 1;
            }
        }
    }
    if let Some(u) = root.get("usageMetadata").filter(|u| u.is_object()) {
        out(Delta::Usage(usage(u)));
    }
    let reason = candidate
        .and_then(|c| c.get("finishReason"))
        .and_then(Value::as_str);
    if let Some(f) = finish(reason) {
        out(Delta::Finish(f));
        out(Delta::Done);
    } else if candidate.is_none()
        && let Some(block) = root
            .pointer("/promptFeedback/blockReason")
            .and_then(Value::as_str)
    {
        out(Delta::Refusal(Cow::Owned(format!(
            "Gemini blocked the prompt ({block})"
        ))));
        out(Delta::Finish(Finish::ContentFilter));
        out(Delta::Done);
    }
    calls
}

/// A tool-call index past this is a broken (or hostile) stream.
const MAX_CALLS: usize = 1024;

#[derive(Default)]
struct Decoder {
    calls: usize,
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
        if let Some(err) = root.get("error").filter(|e| e.is_object()) {
            let message = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("the provider sent an error event");
            return Err(StreamFailure::Provider(message.to_string()));
        }
        self.calls = read_response(&root, self.calls, out);
        if self.calls > MAX_CALLS {
            return Err(StreamFailure::Malformed(format!(
                "more than {MAX_CALLS} function calls in one answer"
            )));
        }
        Ok(())
    }
}

/// What `mode` sends and where its answer is read, in the Gemini protocol.
pub fn describe(mode: Mode) -> Option<(&'static str, &'static str)> {
    Some(match mode {
        Tools => (
            "one function declaration (schema in Gemini's OpenAPI subset: `$ref`s inlined, `anyOf [X, null]` as `nullable`), `toolConfig` mode `ANY` allowing only it",
            "the `functionCall` part's `args`",
        ),
        ParallelTools => (
            "one function declaration per member of a top-level `anyOf`/`oneOf`, mode `ANY` allowing them all; result is a list (Vertex AI)",
            "every `functionCall` part",
        ),
        Json => (
            "the schema in `systemInstruction` + `generationConfig.responseMimeType: application/json` and `responseSchema` (the subset)",
            "the text parts",
        ),
        JsonSchema => (
            "`generationConfig.responseMimeType: application/json` and `responseJsonSchema` (JSON Schema as is)",
            "the text parts",
        ),
        _ => return None,
    })
}

impl Protocol for Gemini {
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
        match (&self.service, key) {
            (Service::GeminiApi, key) => Ok(Auth::header("x-goog-api-key", "", key)),
            (Service::Vertex { .. }, Some(token)) => {
                Ok(Auth::header("authorization", "Bearer ", Some(token)))
            }
            (Service::Vertex { adc: Some(adc), .. }, None) => Ok(Auth::Google(adc.clone())),
            (Service::Vertex { adc: None, .. }, None) => Err(invalid(
                Setting::ApiKey,
                "Vertex AI needs Google credentials: GOOGLE_OAUTH_ACCESS_TOKEN is not set, and there is no GOOGLE_APPLICATION_CREDENTIALS file or gcloud application-default login".into(),
                "run `gcloud auth application-default login`, point GOOGLE_APPLICATION_CREDENTIALS at a service-account key file, or set GOOGLE_OAUTH_ACCESS_TOKEN",
            )),
        }
    }

    fn stand_in_auth(&self) -> Option<Auth> {
        Some(Auth::header(
            "authorization",
            "Bearer ",
            Some(ApiKey::new("$GOOGLE_OAUTH_ACCESS_TOKEN")),
        ))
    }

    fn build(&self, call: &CallSpec<'_>) -> Result<HttpRequest, Error> {
        Ok(HttpRequest {
            url: self.url(call.model, call.stream),
            headers: Vec::new(),
            body: self.body(call)?,
        })
    }

    fn parse(&self, _mode: Mode, body: &[u8]) -> Result<Completion, String> {
        let root: Value =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON ({e})"))?;
        if !root.is_object() {
            return Err("the body is not a JSON object".into());
        }
        if root.get("candidates").is_none() && root.get("promptFeedback").is_none() {
            return Err("the body has no `candidates`".into());
        }
        let mut completion = Completion::default();
        let (mut text, mut refusal) = (String::new(), String::new());
        read_response(&root, 0, &mut |delta| match delta {
            Delta::Text(t) => text.push_str(&t),
            Delta::Refusal(t) => refusal.push_str(&t),
            Delta::ToolArgs { id, name, text, .. } => completion.tool_calls.push(ToolCall {
                id: id.map(Cow::into_owned).unwrap_or_default(),
                name: name.map(Cow::into_owned).unwrap_or_default(),
                arguments: text.into_owned(),
            }),
            Delta::Reasoning(r) => completion.reasoning.push(r),
            Delta::Usage(u) => completion.usage = u,
            Delta::Finish(f) => completion.finish = Some(f),
            Delta::Done => {}
        });
        completion.text = (!text.is_empty()).then_some(text);
        completion.refusal = (!refusal.is_empty()).then_some(refusal);
        Ok(completion)
    }

    fn decoder(&self, _mode: Mode) -> Box<dyn StreamDecoder> {
        Box::new(Decoder::default())
    }

    fn failure(&self, _status: u16, body: &str) -> ProviderFailure {
        // Google's errors come as an object, and (a stream asked without `alt=sse`) as a
        // one-element list.
        let root = serde_json::from_str::<Value>(body).ok();
        let error = root
            .as_ref()
            .map(|v| v.as_array().and_then(|a| a.first()).unwrap_or(v))
            .and_then(|v| v.get("error"));
        let message = error
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string);
        // `RetryInfo.retryDelay` ("13s", "0.5s") in the details: Google sends no Retry-After.
        let retry_after = error
            .and_then(|e| e.get("details"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|d| d.get("retryDelay").and_then(Value::as_str))
            .find_map(|d| d.strip_suffix('s')?.parse::<f64>().ok())
            .filter(|s| {
                s.is_finite() && *s >= 0.0 && *s <= crate::limits::MAX_TIMEOUT.as_secs_f64()
            })
            .map(std::time::Duration::from_secs_f64);
        ProviderFailure {
            message,
            quota_exhausted: is_quota_exhausted(body),
            retry_after,
            ..Default::default()
        }
    }

    fn stream_trailer(&self, tail: &str) -> Option<String> {
        let key = tail.rfind("\"error\"")?;
        let start = tail[..key].rfind('{')?;
        let root: Value = serde_json::from_str(tail[start..].trim().trim_end_matches(']')).ok()?;
        root.pointer("/error/message")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// https://ai.google.dev/gemini-api/docs/file-input-methods: inline data up to 100 MB
    /// per request (since January 2026), PDFs up to 50 MB; image types from
    /// …/image-understanding (no GIF), audio types from …/audio. Vertex AI documents no one
    /// inline request limit (it differs per model), so only the per-file ones apply there.
    fn attachments(&self, _mode: Mode) -> Accepts {
        let any = crate::limits::MAX_ATTACHMENT_BYTES;
        Accepts {
            image: Some(Limit {
                media_types: &["image/png", "image/jpeg", "image/webp"],
                max_bytes: any,
                max_count: 3600,
                by_url: false,
            }),
            pdf: Some(Limit {
                media_types: PDF_TYPES,
                max_bytes: 50 * MB,
                max_count: usize::MAX,
                by_url: false,
            }),
            audio: Some(Limit {
                media_types: &[
                    "audio/wav",
                    "audio/mpeg",
                    "audio/aiff",
                    "audio/aac",
                    "audio/ogg",
                    "audio/flac",
                ],
                max_bytes: any,
                max_count: usize::MAX,
                by_url: false,
            }),
            request_bytes: match self.service {
                Service::GeminiApi => Some(100 * MB),
                _ => None,
            },
            source: match self.service {
                Service::GeminiApi => "https://ai.google.dev/gemini-api/docs/file-input-methods",
                _ => {
                    "https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/document-understanding"
                }
            },
        }
    }

    fn reading(&self, mode: Mode) -> Reading {
        match mode {
            Tools => Reading::Tool,
            ParallelTools => Reading::ParallelTools,
            _ => Reading::Text { anywhere: true },
        }
    }

    fn sends_strict_schema(&self, _mode: Mode) -> bool {
        false
    }

    fn reask(&self, mode: Mode, completion: &Completion, error: &str) -> Vec<Message> {
        reask_with_results(
            matches!(mode, Tools | ParallelTools),
            "function",
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

    fn build(mode: Mode, messages: &[Message], stream: bool) -> HttpRequest {
        let schema = ResponseSchema::new(json!({"title": "User", "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": ["integer", "null"]}},
            "required": ["name"]}))
        .unwrap();
        Gemini::new(&PRESETS[0], "http://127.0.0.1:1".into())
            .build(&CallSpec {
                mode,
                model: "gemini-2.5-flash",
                messages,
                prompt_len: messages.len(),
                schema: &schema,
                sampling: &Sampling::default(),
                extra_body: &Map::new(),
                stream,
            })
            .unwrap()
    }

    #[test]
    fn tools_declare_the_translated_schema_and_force_the_call() {
        let req = build(
            Tools,
            &[Message::system("Be exact."), Message::user("Ada, 36")],
            false,
        );
        assert_eq!(
            req.url,
            "http://127.0.0.1:1/v1beta/models/gemini-2.5-flash:generateContent"
        );
        let body = req.body.to_value();
        assert_eq!(body["systemInstruction"]["parts"][0]["text"], "Be exact.");
        assert_eq!(
            body["contents"],
            json!([{"role": "user", "parts": [{"text": "Ada, 36"}]}])
        );
        let params = &body["tools"][0]["functionDeclarations"][0]["parameters"];
        assert_eq!(
            params["properties"]["age"],
            json!({"type": "INTEGER", "nullable": true})
        );
        assert_eq!(
            body["toolConfig"]["functionCallingConfig"],
            json!({"mode": "ANY", "allowedFunctionNames": ["User"]})
        );
        assert!(
            build(Json, &[Message::user("x")], true)
                .url
                .ends_with(":streamGenerateContent?alt=sse")
        );
    }

    #[test]
    fn a_reask_answers_the_call_with_a_function_response_and_keeps_the_signature() {
        let completion = Completion {
            tool_calls: vec![ToolCall {
                id: "call_0".into(),
                name: "User".into(),
                arguments: r#"{"name": 1}"#.into(),
            }],
            reasoning: vec![Reasoning::Signature {
                signature: "c2ln".into(),
            }],
            ..Default::default()
        };
        let mut messages = vec![Message::user("Ada")];
        let p = Gemini::new(&PRESETS[0], String::new());
        messages.extend(p.reask(Tools, &completion, "/name: not a string"));
        let body = build(Tools, &messages, false).body.to_value();
        let turns = body["contents"].as_array().unwrap();
        assert_eq!(turns[1]["role"], "model");
        assert_eq!(turns[1]["parts"][0]["thoughtSignature"], "c2ln");
        assert_eq!(
            turns[1]["parts"][0]["functionCall"]["args"],
            json!({"name": 1})
        );
        assert_eq!(turns[2]["role"], "user");
        let response = &turns[2]["parts"][0]["functionResponse"];
        assert_eq!(response["name"], "User");
        assert!(
            response["response"]["error"]
                .as_str()
                .unwrap()
                .contains("/name")
        );
    }

    #[test]
    fn responses_blocks_and_usage_are_read() {
        let p = Gemini::new(&PRESETS[0], String::new());
        let c = p
            .parse(
                Tools,
                br#"{"candidates": [{"content": {"role": "model", "parts": [
                    {"functionCall": {"name": "User", "args": {"name": "Ada"}}, "thoughtSignature": "sig"}]},
                    "finishReason": "STOP"}],
                  "usageMetadata": {"promptTokenCount": 40, "candidatesTokenCount": 12,
                    "thoughtsTokenCount": 5, "cachedContentTokenCount": 8, "totalTokenCount": 57}}"#,
            )
            .unwrap();
        assert_eq!(c.tool_calls[0].arguments, r#"{"name":"Ada"}"#);
        assert_eq!(c.finish, Some(Finish::Complete));
        assert_eq!(
            (
                c.usage.prompt_tokens,
                c.usage.completion_tokens,
                c.usage.total_tokens
            ),
            (40, 17, 57)
        );
        assert_eq!(
            (c.usage.cached_tokens, c.usage.reasoning_tokens),
            (Some(8), Some(5))
        );
        let blocked = p
            .parse(Json, br#"{"promptFeedback": {"blockReason": "SAFETY"}}"#)
            .unwrap();
        assert_eq!(blocked.finish, Some(Finish::ContentFilter));
        assert!(blocked.refusal.unwrap().contains("SAFETY"));
    }
}
