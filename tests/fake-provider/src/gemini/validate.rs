//! What the real Gemini API (and Vertex AI's form of it) refuses, refused the same way: HTTP
//! status, Google status string and (where a public report of the real wording was found) the
//! message text.
//!
//! The real API refuses in stages, and so does the fake:
//! 1. Credentials (403 / 401 / 400, see [`authenticate`]).
//! 2. The proto-JSON parser: unknown fields (`Invalid JSON payload received. Unknown name "X"
//!    at 'path': Cannot find field.`), values of the wrong type (`Invalid value at 'path'
//!    (TYPE_STRING), 2`), two members of a oneof. Field names are accepted in lowerCamelCase and
//!    in snake_case (the protobuf JSON mapping accepts both), `null` means "not set" (the
//!    protobuf JSON mapping again), a single value is accepted where a list is expected (guessed:
//!    Vertex AI's curl samples have sent `"contents": {…}`), and enum values are matched
//!    case-insensitively (lowercase `"string"` and `"object"` types work on the real API,
//!    [ISSUE Joouis/agent-maestro#129]; extending that to every enum is guessed). Every
//!    violation of this stage is listed, one per line, as the real parser does
//!    ([ISSUE zed-industries/zed#44875]), with a `google.rpc.BadRequest` detail.
//! 3. Field validation: `* GenerateContentRequest.path: message\n` per violation on the Gemini
//!    API, `The GenerateContentRequest proto is invalid:\n  * path: [FIELD_INVALID] message` on
//!    Vertex (both framings seen in real answers); every violation is listed.
//! 4. Conversation rules (roles, function call / response turns, thought signatures): the
//!    first violation, as a plain message.
//!
//! Paths name proto fields in snake_case with list indexes (`contents[2].parts[0].function_call`)
//! and map entries by position (`parameters.properties[1].value`), as in every quoted error.
//!
//! Sources, read in 2026:
//! - [PROTO] `googleapis/googleapis` `google/ai/generativelanguage/v1beta/content.proto` (2025)
//!   and the field lists of the generated clients: `@google-ai/generativelanguage` 3.7
//!   `v1beta.ISchema`, `googleapis` Dart `aiplatform_v1` `GoogleCloudAiplatformV1Schema`,
//!   google-genai `FunctionCall` / `FunctionCallingConfig` / `GenerationConfig` docs.
//! - [TS] Gemini API "Thought signatures" docs (ai.google.dev/gemini-api/docs/thought-signatures)
//!   and Vertex AI's page of the same name.
//! - [ISSUE …] the exact message the real API returned, as quoted in a public issue.
//! - [CODE: "…"] the exact message as quoted in public code (a regression test, a fix's
//!   comment, a recorded error) of several unrelated projects.
//!
//! Messages marked "guessed" have no public example; the others are quoted.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::{error_value, json_reply};
use crate::Reply;

/// The credentials the fake accepts; set through [`crate::FakeServer::accept_bearer`],
/// [`crate::FakeServer::reject_bearer`] and [`crate::FakeServer::accept_api_key`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Auth {
    /// `None`: any non-empty bearer token is accepted.
    bearers: Option<HashSet<String>>,
    /// Tokens refused whatever else is set (an expired or revoked token).
    revoked: HashSet<String>,
    /// `None`: any non-empty API key is accepted.
    api_keys: Option<HashSet<String>>,
}

impl Auth {
    pub(crate) fn accept_bearer(&mut self, token: &str) {
        self.revoked.remove(token);
        self.bearers
            .get_or_insert_with(HashSet::new)
            .insert(token.to_string());
    }

    pub(crate) fn reject_bearer(&mut self, token: &str) {
        if let Some(b) = &mut self.bearers {
            b.remove(token);
        }
        self.revoked.insert(token.to_string());
    }

    pub(crate) fn accept_api_key(&mut self, key: &str) {
        self.api_keys
            .get_or_insert_with(HashSet::new)
            .insert(key.to_string());
    }

    fn bearer_ok(&self, token: &str) -> bool {
        !token.is_empty()
            && !self.revoked.contains(token)
            && self.bearers.as_ref().is_none_or(|b| b.contains(token))
    }

    fn key_ok(&self, key: &str) -> bool {
        !key.is_empty() && self.api_keys.as_ref().is_none_or(|k| k.contains(key))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    /// generativelanguage.googleapis.com: `/v1beta/models/{MODEL}:…` (`v1` and `v1alpha` are
    /// checked the same way).
    Gemini,
    /// aiplatform.googleapis.com: `/v1/projects/{P}/locations/{L}/publishers/google/models/…`,
    /// or `/v1/publishers/google/models/…` (express mode, which takes an API key).
    Vertex,
}

/// A `generateContent` / `streamGenerateContent` call.
#[derive(Debug)]
struct Route<'a> {
    api: Api,
    /// `v1beta`, `v1`, `v1beta1`, … (names the proto package in enum errors).
    version: &'a str,
    model: &'a str,
    stream: bool,
    /// Vertex without `projects/…/locations/…`: express mode.
    express: bool,
}

fn route<'a>(path: &'a str) -> Option<Route<'a>> {
    let (prefix, rest) = path.rsplit_once("/models/")?;
    let (model, method) = rest.split_once(':')?;
    let stream = match method {
        "generateContent" => false,
        "streamGenerateContent" => true,
        _ => return None,
    };
    if model.is_empty() || model.contains('/') {
        return None;
    }
    let last = |p: &'a str| p.rsplit('/').next().unwrap_or("");
    if let Some(before) = prefix.strip_suffix("/publishers/google") {
        let (version, express) = match before.split_once("/projects/") {
            Some((v, _)) => (last(v), false),
            None => (last(before), true),
        };
        return version.starts_with('v').then_some(Route {
            api: Api::Vertex,
            version,
            model,
            stream,
            express,
        });
    }
    let version = last(prefix);
    matches!(version, "v1beta" | "v1" | "v1alpha").then_some(Route {
        api: Api::Gemini,
        version,
        model,
        stream,
        express: false,
    })
}

fn query_param<'q>(query: Option<&'q str>, name: &str) -> Option<&'q str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `streamGenerateContent` request that will be answered with a JSON array: asked without
/// `alt=sse` (the REST default is `alt=json`).
pub(crate) fn json_array_stream(method: &str, path: &str, query: Option<&str>) -> bool {
    method == "POST"
        && route(path).is_some_and(|r| r.stream)
        && query_param(query, "alt") != Some("sse")
}

/// A request the real API would refuse.
#[derive(Debug)]
struct Invalid {
    code: u16,
    status: &'static str,
    message: String,
    details: Vec<Value>,
    headers: Vec<(String, String)>,
}

fn bad(message: impl Into<String>) -> Invalid {
    Invalid {
        code: 400,
        status: "INVALID_ARGUMENT",
        message: message.into(),
        details: Vec::new(),
        headers: Vec::new(),
    }
}

type Checked = Result<(), Invalid>;

/// The refusal the real API would give this request, if any. Only `POST` to a
/// `:generateContent` / `:streamGenerateContent` path of the Gemini API or Vertex AI is checked.
pub(crate) fn check(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
    auth: &Auth,
) -> Option<Reply> {
    if method != "POST" {
        return None;
    }
    let route = route(path)?;
    let refusal = request(&route, query, headers, body, auth).err()?;
    Some(json_reply(
        refusal.code,
        &error_value(
            refusal.code,
            refusal.status,
            &refusal.message,
            &refusal.details,
        ),
        refusal.headers,
    ))
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn request(
    route: &Route<'_>,
    query: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
    auth: &Auth,
) -> Checked {
    authenticate(route, query, headers, auth)?;
    let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
        // An empty body is an empty request message (then: contents is not specified).
        json!({})
    } else {
        // ESF names the offending token and position; this wording is guessed.
        serde_json::from_slice(body).map_err(|e| {
            bad(format!(
                "Invalid JSON payload received. Unexpected token.\n{e}"
            ))
        })?
    };
    let Some(obj) = body.as_object() else {
        // guessed wording
        return Err(bad(
            "Invalid JSON payload received. Unknown name \"\": Root element must be a message.",
        ));
    };
    let mut walk = Walk::new(route);
    walk.request(obj);
    walk.into_result()?;
    conversation(route, obj)
}

/// `google.rpc.ErrorInfo` for a credentials refusal.
fn error_info(route: &Route<'_>, reason: &str) -> Value {
    let method = if route.stream {
        "StreamGenerateContent"
    } else {
        "GenerateContent"
    };
    let (service, method) = match route.api {
        Api::Gemini => (
            "generativelanguage.googleapis.com",
            format!(
                "google.ai.generativelanguage.{}.GenerativeService.{method}",
                route.version
            ),
        ),
        Api::Vertex => (
            "aiplatform.googleapis.com",
            format!(
                "google.cloud.aiplatform.{}.PredictionService.{method}",
                route.version
            ),
        ),
    };
    json!({
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"method": method, "service": service},
    })
}

fn unauthenticated(route: &Route<'_>, message: &str, reason: &str) -> Invalid {
    Invalid {
        code: 401,
        status: "UNAUTHENTICATED",
        message: message.into(),
        details: vec![error_info(route, reason)],
        headers: Vec::new(),
    }
}

/// [ISSUE googleapis/java-aiplatform#1056, GoogleCloudPlatform/cloud-logging-data-source-plugin#126]
/// (reason `ACCESS_TOKEN_TYPE_UNSUPPORTED` for a token the server cannot use, as
/// [ISSUE BerriAI/litellm#23512] reports for a stale one; an expired token may carry another
/// reason). The `www-authenticate` header is the OAuth 2 bearer convention Google follows
/// (its value is guessed).
const INVALID_TOKEN: &str = "Request had invalid authentication credentials. Expected OAuth 2 \
    access token, login cookie or other valid authentication credential. See \
    https://developers.google.com/identity/sign-in/web/devconsole-project.";

/// [ISSUE google-github-actions/run-gemini-cli#123] (Vertex, reason `CREDENTIALS_MISSING`).
const NO_CREDENTIALS: &str = "Request is missing required authentication credential. Expected \
    OAuth 2 access token, login cookie or other valid authentication credential. See \
    https://developers.google.com/identity/sign-in/web/devconsole-project.";

/// [ISSUE google-gemini/gemini-cli#1463, a2aproject/a2a-samples#43, QwenLM/qwen-code#9016]
/// (Vertex with an API key on a project path, reason `CREDENTIALS_MISSING`).
const KEYS_NOT_SUPPORTED: &str = "API keys are not supported by this API. Expected OAuth2 access \
    token or other authentication credentials that assert a principal. See \
    https://cloud.google.com/docs/authentication";

/// Credentials: an API key (`x-goog-api-key` header or `key=` query) or `Authorization: Bearer`.
fn authenticate(
    route: &Route<'_>,
    query: Option<&str>,
    headers: &[(String, String)],
    auth: &Auth,
) -> Checked {
    let key = header(headers, "x-goog-api-key")
        .or_else(|| query_param(query, "key"))
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let bearer = header(headers, "authorization").map(|v| {
        let v = v.trim();
        match v.get(..7) {
            Some(scheme) if scheme.eq_ignore_ascii_case("bearer ") => v[7..].trim(),
            _ => "",
        }
    });
    if let Some(token) = bearer {
        if auth.bearer_ok(token) {
            return Ok(());
        }
        let mut refusal = unauthenticated(route, INVALID_TOKEN, "ACCESS_TOKEN_TYPE_UNSUPPORTED");
        refusal.headers.push((
            "www-authenticate".into(),
            "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"".into(),
        ));
        return Err(refusal);
    }
    match (route.api, key) {
        (Api::Gemini, None) => Err(Invalid {
            code: 403,
            status: "PERMISSION_DENIED",
            // [ISSUE gunpal5/Google_GenerativeAI#15, PublicAffairs/openai-gemini#92]
            message: "Method doesn't allow unregistered callers (callers without established \
                      identity). Please use API Key or other form of API consumer identity to \
                      call this API."
                .into(),
            details: Vec::new(),
            headers: Vec::new(),
        }),
        (Api::Vertex, None) => Err(unauthenticated(
            route,
            NO_CREDENTIALS,
            "CREDENTIALS_MISSING",
        )),
        (Api::Vertex, Some(_)) if !route.express => Err(unauthenticated(
            route,
            KEYS_NOT_SUPPORTED,
            "CREDENTIALS_MISSING",
        )),
        (_, Some(key)) if !auth.key_ok(key) => {
            // [ISSUE cequence-io/openai-scala-client#109, zeroclaw-labs/zeroclaw#194]
            let message = "API key not valid. Please pass a valid API key.";
            let mut info = error_info(route, "API_KEY_INVALID");
            info["metadata"]
                .as_object_mut()
                .expect("an object")
                .remove("method");
            Err(Invalid {
                details: vec![
                    info,
                    json!({
                        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                        "locale": "en-US",
                        "message": message,
                    }),
                ],
                ..bad(message)
            })
        }
        _ => Ok(()),
    }
}

/// `snake_case` → `lowerCamelCase` (the protobuf JSON name).
fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The field of `obj` named `snake` in either spelling (`null` is "not set").
fn get<'a>(obj: &'a Map<String, Value>, snake: &str) -> Option<&'a Value> {
    obj.get(snake)
        .or_else(|| obj.get(&camel(snake)))
        .filter(|v| !v.is_null())
}

/// A repeated field: a list, or one value standing for a list of one.
fn list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

fn at(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

/// `GenerateContentRequest` [PROTO]; Vertex adds `labels` and `model_armor_config`.
const REQUEST: &[&str] = &[
    "model",
    "contents",
    "system_instruction",
    "tools",
    "tool_config",
    "safety_settings",
    "generation_config",
    "cached_content",
];
const VERTEX_REQUEST: &[&str] = &["labels", "model_armor_config"];

const CONTENT: &[&str] = &["parts", "role"];

/// The members of `Part.data` (a oneof) [PROTO].
const PART_DATA: &[&str] = &[
    "text",
    "inline_data",
    "function_call",
    "function_response",
    "file_data",
    "executable_code",
    "code_execution_result",
];
/// `Part`'s other fields (2025-26: `thought`, `thought_signature`, media options).
const PART_OTHER: &[&str] = &[
    "thought",
    "thought_signature",
    "video_metadata",
    "part_metadata",
    "media_resolution",
];

/// `FunctionCall` / `FunctionResponse` [PROTO]. Vertex has no `id` on either: it refuses it
/// with `Unknown name "id"` [ISSUE pydantic/pydantic-ai#5081, vercel/ai#15664,
/// charmbracelet/fantasy#265]; it has `partial_args` / `will_continue` (argument streaming)
/// instead.
const FUNCTION_CALL: &[&str] = &["id", "name", "args"];
const VERTEX_FUNCTION_CALL: &[&str] = &["name", "args", "partial_args", "will_continue"];
const FUNCTION_RESPONSE: &[&str] = &[
    "id",
    "name",
    "response",
    "parts",
    "will_continue",
    "scheduling",
];
const VERTEX_FUNCTION_RESPONSE: &[&str] = &["name", "response", "parts"];

/// `Tool`: the union of both APIs' tool kinds (only `function_declarations` is looked into).
const TOOL: &[&str] = &[
    "function_declarations",
    "google_search_retrieval",
    "code_execution",
    "google_search",
    "url_context",
    "computer_use",
    "file_search",
    "google_maps",
    "retrieval",
    "enterprise_web_search",
];
const FUNCTION_DECLARATION: &[&str] = &[
    "name",
    "description",
    "parameters",
    "parameters_json_schema",
    "response",
    "response_json_schema",
    "behavior",
];

/// The Gemini API's `Schema` (an OpenAPI 3.0 subset) [PROTO, `v1beta.ISchema`]: no `$ref`,
/// `$defs`, `additionalProperties`, `oneOf`, `allOf`, `const`, `$schema` — each refused as an
/// unknown name [ISSUE musistudio/claude-code-router#187, zed-industries/zed#44875,
/// router-for-me/CLIProxyAPI#97].
const SCHEMA: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "max_items",
    "min_items",
    "properties",
    "required",
    "min_properties",
    "max_properties",
    "min_length",
    "max_length",
    "pattern",
    "example",
    "any_of",
    "property_ordering",
    "default",
    "items",
    "minimum",
    "maximum",
];
/// Vertex's `Schema` also has `additionalProperties`, and references as `ref` / `defs` (without
/// the `$`: `"$ref"` is still an unknown name) [googleapis Dart `aiplatform_v1`].
const VERTEX_SCHEMA: &[&str] = &["additional_properties", "ref", "defs"];

/// `Type` [PROTO] (`NULL` since 2025).
const TYPES: &[&str] = &[
    "TYPE_UNSPECIFIED",
    "STRING",
    "NUMBER",
    "INTEGER",
    "BOOLEAN",
    "ARRAY",
    "OBJECT",
    "NULL",
];

const TOOL_CONFIG: &[&str] = &["function_calling_config", "retrieval_config"];
const FUNCTION_CALLING_CONFIG: &[&str] = &["mode", "allowed_function_names"];
/// Argument streaming is Vertex's only ("This field is not supported in Gemini API").
const VERTEX_FUNCTION_CALLING_CONFIG: &[&str] = &["stream_function_call_arguments"];
const MODES: &[&str] = &["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"];

/// `GenerationConfig` [PROTO, google-genai `GenerationConfig`]; Vertex adds its own options.
const GENERATION_CONFIG: &[&str] = &[
    "stop_sequences",
    "response_mime_type",
    "response_schema",
    "response_json_schema",
    "response_modalities",
    "candidate_count",
    "max_output_tokens",
    "temperature",
    "top_p",
    "top_k",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "response_logprobs",
    "logprobs",
    "enable_enhanced_civic_answers",
    "speech_config",
    "thinking_config",
    "image_config",
    "media_resolution",
];
const VERTEX_GENERATION_CONFIG: &[&str] = &[
    "audio_timestamp",
    "routing_config",
    "model_config",
    "enable_affective_dialog",
];
const THINKING_CONFIG: &[&str] = &["include_thoughts", "thinking_budget", "thinking_level"];
const THINKING_LEVELS: &[&str] = &[
    "THINKING_LEVEL_UNSPECIFIED",
    "MINIMAL",
    "LOW",
    "MEDIUM",
    "HIGH",
];
const SAFETY_SETTING: &[&str] = &["category", "threshold", "method"];

/// A function name the API accepts: a letter or `_`, then letters, digits, `_ . : -`, 64 at most
/// (the colon is allowed since late 2025: [ISSUE kaitranntt/ccs#25, maximhq/bifrost#1979]).
fn function_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
}

/// Base64, standard or URL-safe, padded or not (what the proto-JSON parser takes for `bytes`).
fn base64_ok(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    text.len() - body.len() <= 2
        && body.len() % 4 != 1
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'))
}

/// The walk of the request message: stage 2 (parse) and stage 3 (field) violations.
struct Walk<'r> {
    api: Api,
    /// `google.ai.generativelanguage.v1beta` / `google.cloud.aiplatform.v1`.
    package: String,
    parse: Vec<(String, String)>,
    fields: Vec<(String, String)>,
    /// Declared function names, for `allowed_function_names`.
    declared: Vec<&'r str>,
}

impl<'r> Walk<'r> {
    fn new(route: &Route<'_>) -> Self {
        let package = match route.api {
            Api::Gemini => format!("google.ai.generativelanguage.{}", route.version),
            Api::Vertex => format!("google.cloud.aiplatform.{}", route.version),
        };
        Walk {
            api: route.api,
            package,
            parse: Vec::new(),
            fields: Vec::new(),
            declared: Vec::new(),
        }
    }

    /// Stage 2 first (every parse violation, with a `BadRequest` detail), then stage 3.
    fn into_result(self) -> Checked {
        if !self.parse.is_empty() {
            let message = self
                .parse
                .iter()
                .map(|(_, d)| d.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            let violations: Vec<Value> = self
                .parse
                .iter()
                .map(|(field, description)| {
                    if field.is_empty() {
                        json!({"description": description})
                    } else {
                        json!({"field": field, "description": description})
                    }
                })
                .collect();
            return Err(Invalid {
                details: vec![json!({
                    "@type": "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations": violations,
                })],
                ..bad(message)
            });
        }
        if self.fields.is_empty() {
            return Ok(());
        }
        let message = match self.api {
            // [CODE: "* GenerateContentRequest.contents: contents is not specified\n"]
            Api::Gemini => self
                .fields
                .iter()
                .map(|(p, m)| format!("* GenerateContentRequest.{p}: {m}\n"))
                .collect::<String>(),
            // [ISSUE kaitranntt/ccs#219, google-gemini/gemini-cli#12425]
            Api::Vertex => format!(
                "The GenerateContentRequest proto is invalid:\n{}",
                self.fields
                    .iter()
                    .map(|(p, m)| format!("  * {p}: [FIELD_INVALID] {m}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        };
        Err(bad(message))
    }

    /// `Invalid JSON payload received. Unknown name "X" at 'path': Cannot find field.`
    /// (at the top level: `Unknown name "X": Cannot find field.`) [ISSUE
    /// google-gemini/gemini-cli#13972, Alishahryar1/free-claude-code#542].
    fn unknown(&mut self, path: &str, key: &str) {
        let description = if path.is_empty() {
            format!("Invalid JSON payload received. Unknown name \"{key}\": Cannot find field.")
        } else {
            format!(
                "Invalid JSON payload received. Unknown name \"{key}\" at '{path}': Cannot find field."
            )
        };
        self.parse.push((path.to_string(), description));
    }

    /// `Invalid value at 'path' (KIND), value` [ISSUE microsoft/azure-devops-mcp#139:
    /// `(TYPE_STRING), 2`; google-gemini/deprecated-generative-ai-js#320:
    /// `(type.googleapis.com/google.ai.generativelanguage.v1beta.Type), "enum"`].
    fn invalid(&mut self, path: &str, kind: &str, value: &Value) {
        self.parse.push((
            path.to_string(),
            format!("Invalid value at '{path}' ({kind}), {value}"),
        ));
    }

    fn field(&mut self, path: &str, message: impl Into<String>) {
        self.fields.push((path.to_string(), message.into()));
    }

    /// The fields of `obj` in document order, by their snake_case names; an unknown key comes
    /// with the field name `""`, for the caller to report in its place (the real parser lists
    /// the violations in the order it meets them).
    fn known<'a>(
        &self,
        obj: &'a Map<String, Value>,
        allowed: &[&'static str],
        vertex_only: &[&'static str],
    ) -> Vec<(&'static str, &'a str, &'a Value)> {
        let mut out = Vec::new();
        for (key, value) in obj {
            let found = allowed
                .iter()
                .chain(if self.api == Api::Vertex {
                    vertex_only
                } else {
                    &[][..]
                })
                .find(|f| key == **f || *key == camel(f));
            match found {
                Some(f) if !value.is_null() => out.push((*f, key.as_str(), value)),
                Some(_) => {}
                None => out.push(("", key.as_str(), value)),
            }
        }
        out
    }

    /// The known fields of a message whose fields are not looked into; unknown keys reported.
    fn leaf<'a>(
        &mut self,
        path: &str,
        obj: &'a Map<String, Value>,
        allowed: &[&'static str],
        vertex_only: &[&'static str],
    ) -> Vec<(&'static str, &'a str, &'a Value)> {
        let mut out = self.known(obj, allowed, vertex_only);
        for (_, key, _) in out.iter().filter(|(f, _, _)| f.is_empty()) {
            self.unknown(path, key);
        }
        out.retain(|(f, _, _)| !f.is_empty());
        out
    }

    /// A message-typed field at `path`: an object, or an `Invalid value` (guessed kind name).
    fn message<'a>(
        &mut self,
        path: &str,
        v: &'a Value,
        kind: &str,
    ) -> Option<&'a Map<String, Value>> {
        let obj = v.as_object();
        if obj.is_none() {
            let kind = format!("type.googleapis.com/{}.{kind}", self.package);
            self.invalid(path, &kind, v);
        }
        obj
    }

    fn string(&mut self, path: &str, v: &Value) -> bool {
        let ok = v.is_string();
        if !ok {
            self.invalid(path, "TYPE_STRING", v);
        }
        ok
    }

    fn boolean(&mut self, path: &str, v: &Value) {
        if !v.is_boolean() {
            self.invalid(path, "TYPE_BOOL", v);
        }
    }

    /// A number (or its text, which the proto-JSON parser takes too).
    fn number(&mut self, path: &str, v: &Value, kind: &str) {
        let ok = match v {
            Value::Number(_) => true,
            Value::String(s) => s.trim().parse::<f64>().is_ok(),
            _ => false,
        };
        if !ok {
            self.invalid(path, kind, v);
        }
    }

    /// An enum value, matched case-insensitively; returns it upper-cased.
    fn enumeration(
        &mut self,
        path: &str,
        v: &Value,
        kind: &str,
        values: &[&str],
    ) -> Option<String> {
        let upper = v.as_str().map(str::to_ascii_uppercase);
        match upper {
            Some(u) if values.contains(&u.as_str()) => Some(u),
            _ => {
                let kind = format!("type.googleapis.com/{}.{kind}", self.package);
                self.invalid(path, &kind, v);
                None
            }
        }
    }

    fn request(&mut self, obj: &'r Map<String, Value>) {
        let mut saw_contents = false;
        for (field, key, v) in self.known(obj, REQUEST, VERTEX_REQUEST) {
            if field.is_empty() {
                self.unknown("", key);
                continue;
            }
            match field {
                "contents" => {
                    let items = list(v);
                    saw_contents = !items.is_empty();
                    for (i, c) in items.into_iter().enumerate() {
                        self.content(&format!("contents[{i}]"), c);
                    }
                }
                "system_instruction" => self.system_instruction(v),
                "tools" => {
                    for (i, t) in list(v).into_iter().enumerate() {
                        self.tool(&format!("tools[{i}]"), t);
                    }
                }
                "tool_config" => self.tool_config(v),
                "generation_config" => self.generation_config(v),
                "safety_settings" => {
                    for (i, s) in list(v).into_iter().enumerate() {
                        let path = format!("safety_settings[{i}]");
                        if let Some(s) = self.message(&path, s, "SafetySetting") {
                            self.leaf(&path, s, SAFETY_SETTING, &[]);
                        }
                    }
                }
                "model" | "cached_content" => {
                    self.string(field, v);
                }
                _ => {}
            }
        }
        if !saw_contents {
            self.field("contents", "contents is not specified");
        }
        if let Some(config) = get(obj, "tool_config").and_then(Value::as_object) {
            self.allowed_names(config);
        }
    }

    fn content(&mut self, path: &str, v: &Value) {
        let Some(obj) = self.message(path, v, "Content") else {
            return;
        };
        let mut parts = 0;
        for (field, key, v) in self.known(obj, CONTENT, &[]) {
            if field.is_empty() {
                self.unknown(path, key);
                continue;
            }
            match field {
                "role" => {
                    self.string(&at(path, "role"), v);
                }
                _ => {
                    for (j, p) in list(v).into_iter().enumerate() {
                        parts += 1;
                        self.part(&format!("{path}.parts[{j}]"), p);
                    }
                }
            }
        }
        if parts == 0 {
            // [CODE: "* GenerateContentRequest.contents[1].parts: contents.parts must not be empty.\n"]
            self.field(&at(path, "parts"), "contents.parts must not be empty.");
        }
    }

    fn part(&mut self, path: &str, v: &Value) {
        let Some(obj) = self.message(path, v, "Part") else {
            return;
        };
        let all: Vec<&'static str> = PART_DATA.iter().chain(PART_OTHER).copied().collect();
        let mut data: Option<&str> = None;
        for (field, key, v) in self.known(obj, &all, &[]) {
            if field.is_empty() {
                self.unknown(path, key);
                continue;
            }
            let sub = at(path, field);
            if PART_DATA.contains(&field) {
                if data.is_some() {
                    // [CODE: "Invalid value at 'contents[N].parts[0]' (oneof), oneof field
                    // 'data' is already set. Cannot set 'text'"]
                    self.parse.push((
                        path.to_string(),
                        format!(
                            "Invalid value at '{path}' (oneof), oneof field 'data' is already set. \
                             Cannot set '{key}'"
                        ),
                    ));
                    continue;
                }
                data = Some(field);
            }
            match field {
                "text" => {
                    self.string(&sub, v);
                }
                "inline_data" => self.blob(&sub, v),
                "file_data" => {
                    if let Some(f) = self.message(&sub, v, "FileData") {
                        let got = self.leaf(&sub, f, &["mime_type", "file_uri"], &["display_name"]);
                        if !got.iter().any(|(f, _, _)| *f == "file_uri") {
                            // guessed wording
                            self.field(&at(&sub, "file_uri"), "file_uri is not specified");
                        }
                    }
                }
                "function_call" => self.function_call(&sub, v),
                "function_response" => self.function_response(&sub, v),
                "thought" => self.boolean(&sub, v),
                "thought_signature" => self.bytes(&sub, v),
                _ => {}
            }
        }
        if data.is_none() {
            // guessed wording (Vertex words the same rule for `Tool` as "tools[0].tool_type:
            // required one_of 'tool_type' must have one initialized field")
            self.field(
                &at(path, "data"),
                "required oneof field 'data' must have one initialized field",
            );
        }
    }

    /// A `bytes` field: base64 text [CODE: "Invalid value at 'contents[0].parts[1].inline_data.data'
    /// (TYPE_BYTES), Base64 decoding failed for \"[object ArrayBuffer]\""].
    fn bytes(&mut self, path: &str, v: &Value) {
        match v.as_str() {
            Some(s) if base64_ok(s) => {}
            Some(s) => self.parse.push((
                path.to_string(),
                format!(
                    "Invalid value at '{path}' (TYPE_BYTES), Base64 decoding failed for {}",
                    Value::String(s.to_string())
                ),
            )),
            None => self.invalid(path, "TYPE_BYTES", v),
        }
    }

    fn blob(&mut self, path: &str, v: &Value) {
        let Some(b) = self.message(path, v, "Blob") else {
            return;
        };
        for (field, key, v) in self.known(b, &["mime_type", "data"], &["display_name"]) {
            if field.is_empty() {
                self.unknown(path, key);
                continue;
            }
            match field {
                "data" => self.bytes(&at(path, "data"), v),
                "mime_type" => {
                    self.string(&at(path, "mime_type"), v);
                }
                _ => {}
            }
        }
        // Vertex refuses a blob without data (in `conversation`); the Gemini API's answer is
        // unknown, and a missing `mime_type` is not refused either.
    }

    fn function_call(&mut self, path: &str, v: &Value) {
        let Some(c) = self.message(path, v, "FunctionCall") else {
            return;
        };
        let (allowed, vertex) = match self.api {
            Api::Gemini => (FUNCTION_CALL, &[][..]),
            Api::Vertex => (&[][..], VERTEX_FUNCTION_CALL),
        };
        let mut named = false;
        for (field, key, v) in self.known(c, allowed, vertex) {
            if field.is_empty() {
                self.unknown(path, key);
                continue;
            }
            match field {
                "name" => named = self.string(&at(path, "name"), v) && v.as_str() != Some(""),
                "args" if !v.is_object() => self.invalid(
                    &at(path, "args"),
                    "type.googleapis.com/google.protobuf.Struct",
                    v,
                ),
                _ => {}
            }
        }
        if !named {
            // guessed wording
            self.field(&at(path, "name"), "Name cannot be empty.");
        }
    }

    fn function_response(&mut self, path: &str, v: &Value) {
        let Some(r) = self.message(path, v, "FunctionResponse") else {
            return;
        };
        let (allowed, vertex) = match self.api {
            Api::Gemini => (FUNCTION_RESPONSE, &[][..]),
            Api::Vertex => (&[][..], VERTEX_FUNCTION_RESPONSE),
        };
        let mut named = false;
        for (field, key, v) in self.known(r, allowed, vertex) {
            if field.is_empty() {
                self.unknown(path, key);
                continue;
            }
            match field {
                "name" => named = self.string(&at(path, "name"), v) && v.as_str() != Some(""),
                "response" if !v.is_object() => self.invalid(
                    &at(path, "response"),
                    "type.googleapis.com/google.protobuf.Struct",
                    v,
                ),
                _ => {}
            }
        }
        if !named {
            // guessed wording
            self.field(&at(path, "name"), "Name cannot be empty.");
        }
    }

    /// `system_instruction`: a `Content` of text parts (its role is ignored).
    fn system_instruction(&mut self, v: &Value) {
        let path = "system_instruction";
        self.content(path, v);
        let Some(obj) = v.as_object() else {
            return;
        };
        for (j, p) in get(obj, "parts")
            .map(list)
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let text = p.as_object().is_some_and(|p| get(p, "text").is_some());
            let data = p
                .as_object()
                .is_some_and(|p| PART_DATA.iter().any(|f| get(p, f).is_some()));
            if data && !text {
                // guessed wording
                self.field(
                    &format!("{path}.parts[{j}]"),
                    "system_instruction only supports text parts",
                );
            }
        }
    }

    fn tool(&mut self, path: &str, v: &'r Value) {
        let Some(t) = self.message(path, v, "Tool") else {
            return;
        };
        for (field, key, v) in self.known(t, TOOL, &[]) {
            if field.is_empty() {
                self.unknown(path, key);
                continue;
            }
            if field != "function_declarations" {
                continue;
            }
            for (j, d) in list(v).into_iter().enumerate() {
                self.declaration(&format!("{path}.function_declarations[{j}]"), d);
            }
        }
    }

    fn declaration(&mut self, path: &str, v: &'r Value) {
        let Some(d) = self.message(path, v, "FunctionDeclaration") else {
            return;
        };
        let mut name = None;
        let mut schemas = 0;
        for (field, key, v) in self.known(d, FUNCTION_DECLARATION, &[]) {
            if field.is_empty() {
                self.unknown(path, key);
                continue;
            }
            let sub = at(path, field);
            match field {
                "name" if self.string(&sub, v) => name = v.as_str(),
                "parameters" => {
                    schemas += 1;
                    self.schema(&sub, v);
                }
                "response" => self.schema(&sub, v),
                "parameters_json_schema" => schemas += 1,
                "behavior" => {
                    self.enumeration(
                        &sub,
                        v,
                        "FunctionDeclaration.Behavior",
                        &["UNSPECIFIED", "BLOCKING", "NON_BLOCKING"],
                    );
                }
                _ => {}
            }
        }
        let name = name.unwrap_or("");
        if !function_name_ok(name) {
            let message = match self.api {
                // [ISSUE lbjlaq/Antigravity-Manager#1440, maximhq/bifrost#1979]
                Api::Gemini => {
                    "Invalid function name. Must start with a letter or an underscore. Must be \
                     alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or dashes \
                     (-), with a maximum length of 64."
                }
                // [ISSUE kaitranntt/ccs#25, #219]
                Api::Vertex => {
                    "Invalid function name. Must start with a letter or an underscore. Must be \
                     a-z, A-Z, 0-9, or contain underscores (_), dots (.), colons (:), or dashes \
                     (-), with a maximum length of 64."
                }
            };
            self.field(&at(path, "name"), message);
        } else {
            self.declared.push(name);
        }
        if schemas > 1 {
            // guessed wording
            self.field(
                &at(path, "parameters_json_schema"),
                "parameters and parameters_json_schema cannot both be set",
            );
        }
    }

    /// A `Schema` at `path` (function parameters, `responseSchema`).
    fn schema(&mut self, path: &str, v: &Value) {
        let Some(s) = self.message(path, v, "Schema") else {
            return;
        };
        for (field, key, v) in self.known(s, SCHEMA, VERTEX_SCHEMA) {
            if field.is_empty() {
                self.unknown(path, key);
                continue;
            }
            let sub = at(path, field);
            match field {
                "type" => match v {
                    // [ISSUE zed-industries/zed#53919]: a JSON Schema type list.
                    Value::Array(_) => self.parse.push((
                        path.to_string(),
                        format!(
                            "Invalid JSON payload received. Unknown name \"{key}\" at '{path}': \
                             Proto field is not repeating, cannot start list."
                        ),
                    )),
                    _ => {
                        self.enumeration(&sub, v, "Type", TYPES);
                    }
                },
                "enum" | "required" | "property_ordering" => {
                    for (i, e) in list(v).into_iter().enumerate() {
                        self.string(&format!("{sub}[{i}]"), e);
                    }
                }
                "nullable" => self.boolean(&sub, v),
                "format" | "title" | "description" | "pattern" | "ref" => {
                    self.string(&sub, v);
                }
                "items" => self.schema(&sub, v),
                "any_of" => {
                    for (i, e) in list(v).into_iter().enumerate() {
                        self.schema(&format!("{sub}[{i}]"), e);
                    }
                }
                "properties" | "defs" => {
                    if let Some(map) = self.message(&sub, v, "Schema") {
                        for (i, (_, e)) in map.iter().enumerate() {
                            self.schema(&format!("{sub}[{i}].value"), e);
                        }
                    }
                }
                "additional_properties" if v.is_object() => self.schema(&sub, v),
                "min_items" | "max_items" | "min_properties" | "max_properties" | "min_length"
                | "max_length" => self.number(&sub, v, "TYPE_INT64"),
                "minimum" | "maximum" => self.number(&sub, v, "TYPE_DOUBLE"),
                _ => {}
            }
        }
    }

    fn tool_config(&mut self, v: &Value) {
        let path = "tool_config";
        let Some(c) = self.message(path, v, "ToolConfig") else {
            return;
        };
        for (field, key, v) in self.known(c, TOOL_CONFIG, &[]) {
            if field.is_empty() {
                self.unknown(path, key);
                continue;
            }
            if field != "function_calling_config" {
                continue;
            }
            let sub = at(path, field);
            let Some(f) = self.message(&sub, v, "FunctionCallingConfig") else {
                continue;
            };
            for (field, key, v) in
                self.known(f, FUNCTION_CALLING_CONFIG, VERTEX_FUNCTION_CALLING_CONFIG)
            {
                if field.is_empty() {
                    self.unknown(&sub, key);
                    continue;
                }
                match field {
                    "mode" => {
                        self.enumeration(&at(&sub, "mode"), v, "FunctionCallingConfig.Mode", MODES);
                    }
                    "allowed_function_names" => {
                        for (i, n) in list(v).into_iter().enumerate() {
                            self.string(&format!("{sub}.allowed_function_names[{i}]"), n);
                        }
                    }
                    "stream_function_call_arguments" => self.boolean(&at(&sub, field), v),
                    _ => {}
                }
            }
        }
    }

    /// `allowed_function_names` only with mode `ANY`, each one declared (both guessed wordings;
    /// the rule is the proto's: "This should only be set when the Mode is ANY. Function names
    /// should match [FunctionDeclaration.name]").
    fn allowed_names(&mut self, config: &Map<String, Value>) {
        let Some(f) = get(config, "function_calling_config").and_then(Value::as_object) else {
            return;
        };
        let names = get(f, "allowed_function_names")
            .map(list)
            .unwrap_or_default();
        if names.is_empty() {
            return;
        }
        let path = "tool_config.function_calling_config.allowed_function_names";
        let mode = get(f, "mode")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .unwrap_or_default();
        if mode != "ANY" {
            self.field(
                path,
                "allowed_function_names can only be set when the function calling mode is ANY",
            );
            return;
        }
        for (i, n) in names.into_iter().enumerate() {
            if let Some(n) = n.as_str()
                && !self.declared.contains(&n)
            {
                self.field(
                    &format!("{path}[{i}]"),
                    format!("function name `{n}` is not declared in tools"),
                );
            }
        }
    }

    fn generation_config(&mut self, v: &Value) {
        let path = "generation_config";
        let Some(c) = self.message(path, v, "GenerationConfig") else {
            return;
        };
        let mut mime = None;
        let (mut schema, mut json_schema) = (false, false);
        for (field, key, v) in self.known(c, GENERATION_CONFIG, VERTEX_GENERATION_CONFIG) {
            if field.is_empty() {
                self.unknown(path, key);
                continue;
            }
            let sub = at(path, field);
            match field {
                "temperature" | "top_p" | "presence_penalty" | "frequency_penalty" => {
                    self.number(&sub, v, "TYPE_FLOAT")
                }
                "top_k" | "candidate_count" | "seed" | "logprobs" => {
                    self.number(&sub, v, "TYPE_INT32")
                }
                "max_output_tokens" => {
                    self.number(&sub, v, "TYPE_INT32");
                    // [CODE, one project's list of real messages: "* GenerateContentRequest.
                    // generation_config.max_output_tokens: must be positive"]; 0 is "not set".
                    if v.as_f64().is_some_and(|n| n < 0.0) {
                        self.field(&sub, "must be positive");
                    }
                }
                "stop_sequences" => {
                    for (i, s) in list(v).into_iter().enumerate() {
                        self.string(&format!("{sub}[{i}]"), s);
                    }
                }
                "response_mime_type" if self.string(&sub, v) => mime = v.as_str(),
                "response_schema" => {
                    schema = true;
                    self.schema(&sub, v);
                }
                "response_json_schema" => json_schema = true,
                "thinking_config" => {
                    if let Some(t) = self.message(&sub, v, "ThinkingConfig") {
                        for (field, key, v) in self.known(t, THINKING_CONFIG, &[]) {
                            if field.is_empty() {
                                self.unknown(&sub, key);
                                continue;
                            }
                            let at = at(&sub, field);
                            match field {
                                "include_thoughts" => self.boolean(&at, v),
                                "thinking_budget" => self.number(&at, v, "TYPE_INT32"),
                                _ => {
                                    self.enumeration(
                                        &at,
                                        v,
                                        "ThinkingConfig.ThinkingLevel",
                                        THINKING_LEVELS,
                                    );
                                }
                            }
                        }
                    }
                }
                "response_logprobs" | "enable_enhanced_civic_answers" | "audio_timestamp" => {
                    self.boolean(&sub, v)
                }
                _ => {}
            }
        }
        // All three wordings guessed; the rules are the structured-output docs': a schema
        // needs a JSON (or `text/x.enum`) MIME type, and `responseJsonSchema` is "an
        // alternative to `response_schema`".
        if schema && json_schema {
            self.field(
                &at(path, "response_json_schema"),
                "response_schema and response_json_schema cannot both be set",
            );
        }
        if schema && !matches!(mime, Some("application/json" | "text/x.enum")) {
            self.field(
                &at(path, "response_mime_type"),
                "response_mime_type must be one of [\"application/json\", \"text/x.enum\"] when \
                 response_schema is set",
            );
        }
        if json_schema && mime != Some("application/json") {
            self.field(
                &at(path, "response_mime_type"),
                "response_mime_type must be \"application/json\" when response_json_schema is set",
            );
        }
    }
}

fn parts(content: &Value) -> Vec<&Value> {
    content
        .as_object()
        .and_then(|c| get(c, "parts"))
        .map(list)
        .unwrap_or_default()
}

fn has(part: &Value, field: &str) -> bool {
    part.as_object().is_some_and(|p| get(p, field).is_some())
}

fn role(content: &Value) -> &str {
    content
        .as_object()
        .and_then(|c| get(c, "role"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// A `user` content (an unset role is the user's).
fn is_user(content: &Value) -> bool {
    matches!(role(content), "" | "user")
}

fn calls(content: &Value) -> Vec<&Value> {
    parts(content)
        .into_iter()
        .filter(|p| has(p, "function_call"))
        .collect()
}

fn responses(content: &Value) -> usize {
    parts(content)
        .into_iter()
        .filter(|p| has(p, "function_response"))
        .count()
}

/// [TS]: the Gemini 3 models enforce thought signatures; Gemini 3 Pro Image does not.
fn signs(model: &str) -> bool {
    model.starts_with("gemini-3") && !model.contains("-image")
}

/// Stage 4: rules across the conversation (and one across request parts).
fn conversation(route: &Route<'_>, obj: &Map<String, Value>) -> Checked {
    let contents = get(obj, "contents").map(list).unwrap_or_default();
    for c in &contents {
        // [ISSUE router-for-me/CLIProxyAPI#17, the-open-agent/openagent#1666]
        if !matches!(role(c), "" | "user" | "model") {
            return Err(bad("Please use a valid role: user, model."));
        }
    }
    if route.api == Api::Vertex {
        // [CODE: "Unable to submit request because it has an empty text parameter. Add a value
        // to the parameter and try again. Learn more: https://cloud.google.com/…/gemini"]
        let empty_text = contents
            .iter()
            .flat_map(|c| parts(c))
            .any(|p| p.as_object().and_then(|p| get(p, "text")) == Some(&json!("")));
        if empty_text {
            return Err(bad(
                "Unable to submit request because it has an empty text parameter. Add a value to \
                 the parameter and try again. Learn more: \
                 https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini",
            ));
        }
        // [CODE: "Unable to submit request because it has an empty inlineData parameter. Add a
        // value to the parameter and try again."]
        let empty_blob = contents.iter().flat_map(|c| parts(c)).any(|p| {
            p.as_object()
                .and_then(|p| get(p, "inline_data"))
                .and_then(Value::as_object)
                .is_some_and(|b| get(b, "data").is_none_or(|d| d == ""))
        });
        if empty_blob {
            return Err(bad(
                "Unable to submit request because it has an empty inlineData parameter. Add a \
                 value to the parameter and try again.",
            ));
        }
    }
    for (i, c) in contents.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| contents[p]);
        if !is_user(c) && !calls(c).is_empty() && !prev.is_some_and(is_user) {
            // [ISSUE google-gemini/gemini-cli#26956 and many more]
            return Err(bad(
                "Please ensure that function call turn comes immediately after a user turn or \
                 after a function response turn.",
            ));
        }
        if is_user(c) && responses(c) > 0 {
            let asked = prev.filter(|p| !is_user(p)).map(calls).unwrap_or_default();
            if asked.is_empty() {
                // [CODE: the Vertex AI Node SDK's own check and many reports]
                return Err(bad(
                    "Please ensure that function response turn comes immediately after a \
                     function call turn.",
                ));
            }
            // Only the counts are compared: no public report shows the names being checked.
            if asked.len() != responses(c) {
                return Err(bad(
                    "Please ensure that the number of function response parts is equal to the \
                     number of function call parts of the function call turn.",
                ));
            }
        }
    }
    if signs(route.model) {
        thought_signatures(&contents)?;
    }
    // [ISSUE snailyp/gemini-balance#264, tbphp/gpt-load#188] (Gemini 2.5 era; Gemini 3
    // combines structured output with tools).
    let json_mime = get(obj, "generation_config")
        .and_then(Value::as_object)
        .and_then(|g| get(g, "response_mime_type"))
        .is_some_and(|m| m == "application/json");
    let functions = get(obj, "tools")
        .map(list)
        .unwrap_or_default()
        .iter()
        .any(|t| {
            t.as_object()
                .and_then(|t| get(t, "function_declarations"))
                .is_some_and(|d| !list(d).is_empty())
        });
    if json_mime && functions && !route.model.starts_with("gemini-3") {
        return Err(bad(
            "Tool use with a response mime type: 'application/json' is unsupported",
        ));
    }
    Ok(())
}

/// [TS]: "The API looks back through the history (newest to oldest) to find the most recent User
/// message that contains standard content (e.g., `text`) ... This will not be a
/// `functionResponse`. All model `functionCall` turns occurring after that specific user
/// message are considered part of the turn. The first `functionCall` part in each step of the
/// current turn must include its `thought_signature`." The message is the real one
/// [ISSUE manthanabc/paws#103, niki914/zafiro#100, csells/dartantic#86]; its `position` is read
/// as the 1-based index of the model content (every report's conversation fits, e.g. position 2
/// for `[user, model, user]`).
fn thought_signatures(contents: &[&Value]) -> Checked {
    let start = contents
        .iter()
        .rposition(|c| is_user(c) && parts(c).iter().any(|p| !has(p, "function_response")))
        .map_or(0, |u| u + 1);
    for (i, c) in contents.iter().enumerate().skip(start) {
        if is_user(c) {
            continue;
        }
        let Some(first) = calls(c).into_iter().next() else {
            continue;
        };
        let signed = first
            .as_object()
            .and_then(|p| get(p, "thought_signature"))
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty());
        if !signed {
            let name = first
                .as_object()
                .and_then(|p| get(p, "function_call"))
                .and_then(Value::as_object)
                .and_then(|f| get(f, "name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            return Err(bad(format!(
                "Function call is missing a thought_signature in functionCall parts. This is \
                 required for tools to work correctly, and missing thought_signature may lead to \
                 degraded model performance. Additional data, function call `default_api:{name}` \
                 , position {}. Please refer to \
                 https://ai.google.dev/gemini-api/docs/thought-signatures for more details.",
                i + 1
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let r = route("/v1beta/models/gemini-2.5-flash:generateContent").unwrap();
        assert_eq!(
            (r.api, r.version, r.model, r.stream),
            (Api::Gemini, "v1beta", "gemini-2.5-flash", false)
        );
        let r = route(
            "/v1/projects/p-1/locations/us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent",
        )
        .unwrap();
        assert_eq!(
            (r.api, r.version, r.model, r.stream, r.express),
            (Api::Vertex, "v1", "gemini-2.5-pro", true, false)
        );
        assert!(
            route("/v1/publishers/google/models/m:generateContent")
                .unwrap()
                .express
        );
        assert!(route("/v1beta/models/m:countTokens").is_none());
        assert!(route("/v1/chat/completions").is_none());
        assert!(route("/v2/models/m:generateContent").is_none());
    }

    #[test]
    fn names_and_bytes() {
        assert_eq!(camel("function_declarations"), "functionDeclarations");
        for ok in ["get_weather", "_x", "a.b:c-d", &"a".repeat(64)] {
            assert!(function_name_ok(ok), "{ok}");
        }
        for bad in ["", "1abc", "has space", "a/b", &"a".repeat(65)] {
            assert!(!function_name_ok(bad), "{bad}");
        }
        for ok in [
            "c2lnLTE=",
            "c2ln",
            "skip_thought_signature_validator",
            "ab-_",
        ] {
            assert!(base64_ok(ok), "{ok}");
        }
        for bad in ["a", "not base64!", "abc==="] {
            assert!(!base64_ok(bad), "{bad}");
        }
    }
}
