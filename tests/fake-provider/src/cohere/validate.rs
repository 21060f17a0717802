//! What the real v2 Chat API refuses, refused the same way: status and (where a public record of
//! the real wording was found) the message text.
//!
//! Sources, read in 2026:
//! - [SPEC] Cohere's OpenAPI spec (`cohere-ai/cohere-developer-experience`, `cohere-openapi.yaml`,
//!   `/v2/chat`): the request fields, which are required, their types, enums and ranges.
//! - [ERR] Cohere's error reference (`fern/pages/cohere-api/errors.mdx`): the messages quoted
//!   there are real ones (which request triggers a few of them is inferred, as noted).
//! - [ISSUE …] the exact message the real API returned, as quoted in a public issue.
//!
//! The wordings follow the API's three families: 401 `no api key supplied` / `invalid api
//! token`; 422 for the body's shape, `unknown field: parameter 'X' is not a valid field. For
//! proper usage, please refer to …` (a nested field named by its bare key) and `invalid type:
//! parameter 'a.b' is of type T but should be of type U. For proper usage, please refer to …`
//! (a nested field named by its dotted path, no indices); 400 `invalid request: …` for the
//! rest. Messages marked "guessed" have no public example; they follow these families.
//!
//! A `null` field counts as absent: the API is written in Go (its type names are Go's: `int32`,
//! `[]Object`), whose JSON decoder leaves a field untouched on `null` (inferred).

use serde_json::{Map, Value};

use super::error_reply;
use crate::Reply;

/// A request the real API would refuse.
#[derive(Debug)]
pub(crate) struct Invalid {
    status: u16,
    message: String,
}

type Checked = Result<(), Invalid>;

fn bad(message: impl Into<String>) -> Invalid {
    Invalid {
        status: 400,
        message: message.into(),
    }
}

/// Where the 422 messages send the reader ([ISSUE OpenRouterTeam/openrouter-examples#71], 2026).
const DOCS: &str = "https://docs.cohere.com/reference/chat";

/// 422 for a field the endpoint does not know ([ISSUE OpenRouterTeam/openrouter-examples#71]:
/// `unknown field: parameter 'strict' is not a valid field. …` for `tools[].function.strict`).
fn unknown(key: &str) -> Invalid {
    Invalid {
        status: 422,
        message: format!(
            "unknown field: parameter '{key}' is not a valid field. For proper usage, please \
             refer to {DOCS}"
        ),
    }
}

/// 422 for a field of the wrong JSON type ([ISSUE BerriAI/litellm#14691]: `invalid type:
/// parameter 'max_tokens' is of type string but should be of type int32. …`;
/// [ISSUE RailtownAI/railtracks#693]: `parameter 'tool_results.outputs' is of type number but
/// should be of type Object`; [ISSUE BerriAI/litellm#10939]: `… should be of type []Object`).
fn wrong_type(at: &str, v: &Value, want: Want) -> Invalid {
    Invalid {
        status: 422,
        message: format!(
            "invalid type: parameter '{at}' is of type {} but should be of type {}. For proper \
             usage, please refer to {DOCS}",
            json_type(v),
            want.name()
        ),
    }
}

/// 422 for a value outside an enum (422: [ISSUE pydantic/pydantic-ai#5833], "the API returns
/// 422 for a tool-name string" as `tool_choice`; [ISSUE langchain-ai/langchain-cohere#161],
/// `tool_choice="any"` → 422). Wording guessed.
fn not_one_of(at: &str, v: &str, allowed: &[&str]) -> Invalid {
    let list: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    Invalid {
        status: 422,
        message: format!(
            "invalid value: parameter '{at}' is '{v}' but should be one of {}. For proper usage, \
             please refer to {DOCS}",
            list.join(", ")
        ),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The Go type a field decodes into, as the 422 message names it. `string`, `int32`, `Object`
/// and `[]Object` are seen in real messages; the others are guessed after them.
#[derive(Clone, Copy)]
enum Want {
    Str,
    Int32,
    Int64,
    Float,
    Bool,
    Object,
    Objects,
    Strings,
}

impl Want {
    fn name(self) -> &'static str {
        match self {
            Want::Str => "string",
            Want::Int32 => "int32",
            Want::Int64 => "int64",
            Want::Float => "float32",
            Want::Bool => "bool",
            Want::Object => "Object",
            Want::Objects => "[]Object",
            Want::Strings => "[]string",
        }
    }

    fn fits(self, v: &Value) -> bool {
        match self {
            Want::Str => v.is_string(),
            Want::Int32 | Want::Int64 => v.is_i64() || v.is_u64(),
            Want::Float => v.is_number(),
            Want::Bool => v.is_boolean(),
            Want::Object => v.is_object(),
            Want::Objects => v.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
            Want::Strings => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        }
    }
}

/// The field `key` of `obj` when present and not `null`, checked to be a `want`.
fn field<'a>(
    obj: &'a Map<String, Value>,
    at: &str,
    key: &str,
    want: Want,
) -> Result<Option<&'a Value>, Invalid> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) if want.fits(v) => Ok(Some(v)),
        Some(v) => {
            // An array of the wrong items is named by its items' type ([]Object ← number).
            let shown = match v.as_array() {
                Some(items) => items.iter().find(|i| !i.is_null()).unwrap_or(v),
                None => v,
            };
            Err(wrong_type(&join(at, key), shown, want))
        }
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// Every key of `obj` must be one of `allowed`.
fn known(obj: &Map<String, Value>, allowed: &[&str]) -> Checked {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(unknown(k)),
        None => Ok(()),
    }
}

/// The refusal the real API would give this request, if any. Only `POST …/v2/chat` is checked;
/// another `…/v2/…` path is a 404 (the fake serves only chat), and every other request (the
/// OpenAI, Anthropic and Gemini paths) is left alone.
pub(crate) fn check(
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<Reply> {
    let refusal = if path.ends_with("/v2/chat") {
        if method != "POST" {
            return None;
        }
        request(headers, body).err()?
    } else if path.contains("/v2/") {
        // [ERR] lists `404 page not found` among the 404 messages.
        Invalid {
            status: 404,
            message: "404 page not found".into(),
        }
    } else {
        return None;
    };
    Some(error_reply(refusal.status, &refusal.message))
}

/// Top-level fields of the `/v2/chat` body [SPEC].
const TOP_LEVEL: &[&str] = &[
    "stream",
    "model",
    "messages",
    "tools",
    "strict_tools",
    "documents",
    "citation_options",
    "response_format",
    "safety_mode",
    "max_tokens",
    "stop_sequences",
    "temperature",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "k",
    "p",
    "logprobs",
    "tool_choice",
    "thinking",
    "priority",
];

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `Authorization: Bearer KEY` ([SPEC]; the docs' curl examples write `bearer`, so the scheme is
/// not case-sensitive). Missing: `no api key supplied`; anything else that is not a bearer
/// token: `invalid api token` (both [ERR], 401; the fake cannot tell a wrong key from a right
/// one, so any non-empty bearer token passes).
fn auth(headers: &[(String, String)]) -> Checked {
    let unauthorized = |m: &str| Invalid {
        status: 401,
        message: m.into(),
    };
    let Some(value) = header(headers, "authorization").map(str::trim) else {
        return Err(unauthorized("no api key supplied"));
    };
    if value.is_empty() {
        return Err(unauthorized("no api key supplied"));
    }
    let token = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    match token {
        Some(t) if !t.is_empty() => Ok(()),
        _ => Err(unauthorized("invalid api token")),
    }
}

fn request(headers: &[(String, String)], body: &[u8]) -> Checked {
    auth(headers)?;
    // [ERR]: `invalid json syntax: invalid character '\a' in string literal` (Go's decoder
    // error after the prefix; the fake's tail is serde's, guessed).
    let body: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("invalid json syntax: {e}")))?;
    let Some(obj) = body.as_object() else {
        return Err(wrong_type("body", &body, Want::Object)); // guessed
    };
    known(obj, TOP_LEVEL)?;

    // Types first (the body is decoded before it is checked), then what is required, then the
    // rules across fields.
    let model = field(obj, "", "model", Want::Str)?;
    let messages = field(obj, "", "messages", Want::Objects)?;
    let tools = field(obj, "", "tools", Want::Objects)?;
    field(obj, "", "stream", Want::Bool)?;
    let strict_tools = field(obj, "", "strict_tools", Want::Bool)?.and_then(Value::as_bool);
    let max_tokens = field(obj, "", "max_tokens", Want::Int32)?;
    let stop_sequences = field(obj, "", "stop_sequences", Want::Strings)?;
    let temperature = field(obj, "", "temperature", Want::Float)?;
    let seed = field(obj, "", "seed", Want::Int64)?;
    let frequency_penalty = field(obj, "", "frequency_penalty", Want::Float)?;
    let presence_penalty = field(obj, "", "presence_penalty", Want::Float)?;
    let k = field(obj, "", "k", Want::Int32)?;
    let p = field(obj, "", "p", Want::Float)?;
    field(obj, "", "logprobs", Want::Bool)?;
    let priority = field(obj, "", "priority", Want::Int32)?;
    let tool_choice = field(obj, "", "tool_choice", Want::Str)?.and_then(Value::as_str);
    let safety_mode = field(obj, "", "safety_mode", Want::Str)?.and_then(Value::as_str);
    let response_format = field(obj, "", "response_format", Want::Object)?;
    let thinking = field(obj, "", "thinking", Want::Object)?;
    let citation_options = field(obj, "", "citation_options", Want::Object)?;
    let documents = match obj.get("documents") {
        None | Some(Value::Null) => None,
        Some(Value::Array(d)) => Some(d),
        Some(v) => return Err(wrong_type("documents", v, Want::Objects)),
    };

    // [ERR]: `a model parameter is required for this endpoint.`
    if model.is_none() {
        return Err(bad("a model parameter is required for this endpoint."));
    }
    let Some(messages) = messages.and_then(Value::as_array) else {
        return Err(bad("invalid request: messages is required.")); // guessed
    };
    if messages.is_empty() {
        return Err(bad("invalid request: messages must not be empty.")); // guessed
    }
    for (i, m) in messages.iter().enumerate() {
        message(i, m.as_object().expect("checked to be objects"))?;
    }
    conversation(messages)?;

    let tool_names = match tools.and_then(Value::as_array) {
        Some(tools) => tool_list(tools, strict_tools == Some(true))?,
        None => Vec::new(),
    };
    if let Some(c) = tool_choice {
        if c != "REQUIRED" && c != "NONE" {
            return Err(not_one_of("tool_choice", c, &["REQUIRED", "NONE"]));
        }
        // [SPEC]: "When `REQUIRED` is specified, … the `tools` parameter must be passed in the
        // request." Wording guessed.
        if c == "REQUIRED" && tool_names.is_empty() {
            return Err(bad(
                "invalid request: tool_choice 'REQUIRED' can only be used when tools are \
                 specified.",
            ));
        }
    }
    if let Some(format) = response_format.and_then(Value::as_object) {
        let json = response_format_shape(format)?;
        // [SPEC] `ResponseFormatV2`: "Limitation: The parameter is not supported when used in
        // combinations with the `documents` or `tools` parameters."
        if json && !tool_names.is_empty() {
            // guessed, after the RAG wording below
            return Err(bad(
                "invalid request: response_format is not supported with tools.",
            ));
        }
        if json && documents.is_some_and(|d| !d.is_empty()) {
            // [ERR]
            return Err(bad(
                "invalid request: response_format is not supported with RAG.",
            ));
        }
    }
    if let Some(mode) = safety_mode
        && !["CONTEXTUAL", "STRICT", "OFF"].contains(&mode)
    {
        return Err(not_one_of(
            "safety_mode",
            mode,
            &["CONTEXTUAL", "STRICT", "OFF"],
        ));
    }
    if let Some(t) = thinking.and_then(Value::as_object) {
        thinking_shape(t)?;
    }
    if let Some(c) = citation_options.and_then(Value::as_object) {
        known(c, &["mode"])?;
        let modes = ["ENABLED", "DISABLED", "FAST", "ACCURATE", "OFF"];
        if let Some(m) = field(c, "citation_options", "mode", Want::Str)?.and_then(Value::as_str)
            && !modes.contains(&m)
        {
            return Err(not_one_of("citation_options.mode", m, &modes));
        }
    }
    if let Some(documents) = documents {
        for d in documents {
            document(d, "documents")?;
        }
    }

    // Sampling ranges [SPEC]. The temperature and presence_penalty wordings are real [ERR];
    // the others are guessed after them.
    let number = |v: Option<&Value>| v.and_then(Value::as_f64);
    if number(temperature).is_some_and(|t| !(0.0..=1.0).contains(&t)) {
        return Err(bad(
            "invalid request: temperature must be between 0 and 1.0 inclusive.",
        ));
    }
    if number(presence_penalty).is_some_and(|t| !(0.0..=1.0).contains(&t)) {
        return Err(bad(
            "invalid request: presence_penalty must be between 0 and 1 inclusive.",
        ));
    }
    if number(frequency_penalty).is_some_and(|t| !(0.0..=1.0).contains(&t)) {
        return Err(bad(
            "invalid request: frequency_penalty must be between 0 and 1 inclusive.",
        ));
    }
    if number(p).is_some_and(|t| !(0.01..=0.99).contains(&t)) {
        return Err(bad(
            "invalid request: p must be between 0.01 and 0.99 inclusive.",
        ));
    }
    if number(k).is_some_and(|t| !(0.0..=500.0).contains(&t)) {
        return Err(bad(
            "invalid request: k must be between 0 and 500 inclusive.",
        ));
    }
    if number(max_tokens).is_some_and(|t| t < 1.0) {
        return Err(bad("invalid request: max_tokens must be greater than 0."));
    }
    if number(seed).is_some_and(|t| t < 0.0) {
        return Err(bad("invalid request: seed must be a non-negative integer."));
    }
    if number(priority).is_some_and(|t| !(0.0..=999.0).contains(&t)) {
        return Err(bad(
            "invalid request: priority must be between 0 and 999 inclusive.",
        ));
    }
    // [SPEC]: "A list of up to 5 strings".
    if stop_sequences
        .and_then(Value::as_array)
        .is_some_and(|s| s.len() > 5)
    {
        return Err(bad(
            "invalid request: stop_sequences can contain at most 5 sequences.",
        ));
    }
    Ok(())
}

/// The message roles and the fields each may carry [SPEC] `ChatMessageV2`.
fn role_fields(role: &str) -> Option<&'static [&'static str]> {
    Some(match role {
        "user" | "system" => &["role", "content"],
        "assistant" => &["role", "content", "tool_calls", "tool_plan", "citations"],
        "tool" => &["role", "tool_call_id", "content"],
        _ => return None,
    })
}

/// Content block types per role [SPEC]: `UserMessageV2` (text, image_url), `SystemMessageV2`
/// (text), `AssistantMessageV2` (text, thinking), `ToolMessageV2` (`ToolContent`: text, document).
fn block_types(role: &str) -> &'static [&'static str] {
    match role {
        "user" => &["text", "image_url"],
        "assistant" => &["text", "thinking"],
        "tool" => &["text", "document"],
        _ => &["text"],
    }
}

/// [ERR] `message must not be empty in a turn` (applied to an empty user, system or tool turn
/// and to an assistant turn with neither content nor tool calls: inferred).
const EMPTY_TURN: &str = "message must not be empty in a turn";

fn message(i: usize, m: &Map<String, Value>) -> Checked {
    // Modeled on v1's real `invalid request: Invalid role in chat_history at index 2. Role must
    // be one of the following: User, Chatbot, System, Tool` [ERR] (guessed for v2).
    let role = m.get("role").and_then(Value::as_str).unwrap_or("");
    let Some(allowed) = role_fields(role) else {
        return Err(bad(format!(
            "invalid request: Invalid role in messages at index {i}. Role must be one of the \
             following: user, assistant, system, tool"
        )));
    };
    known(m, allowed)?;
    let content = match m.get("content") {
        None | Some(Value::Null) => None,
        Some(c @ (Value::String(_) | Value::Array(_))) => Some(c),
        Some(c) => return Err(wrong_type("messages.content", c, Want::Str)),
    };
    let empty = match content {
        None => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(b)) => b.is_empty(),
        Some(_) => false,
    };
    if let Some(Value::Array(blocks)) = content {
        for b in blocks {
            block(b, role)?;
        }
    }
    match role {
        "assistant" => {
            field(m, "messages", "tool_plan", Want::Str)?;
            field(m, "messages", "citations", Want::Objects)?;
            let calls = field(m, "messages", "tool_calls", Want::Objects)?
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            for c in calls {
                tool_call(c.as_object().expect("checked to be objects"))?;
            }
            if empty && calls.is_empty() {
                return Err(bad(EMPTY_TURN));
            }
        }
        "tool" => {
            // [ERR] `tool call id must be provided with tool message`
            match field(m, "messages", "tool_call_id", Want::Str)?.and_then(Value::as_str) {
                Some(id) if !id.is_empty() => {}
                _ => return Err(bad("tool call id must be provided with tool message")),
            }
            if empty {
                return Err(bad(EMPTY_TURN));
            }
        }
        _ => {
            if empty {
                return Err(bad(EMPTY_TURN));
            }
        }
    }
    Ok(())
}

fn block(b: &Value, role: &str) -> Checked {
    let Some(b) = b.as_object() else {
        return Err(wrong_type("messages.content", b, Want::Object));
    };
    let t = b.get("type").and_then(Value::as_str).unwrap_or("");
    if !block_types(role).contains(&t) {
        // guessed
        return Err(bad(format!(
            "invalid request: content type '{t}' is not supported in a {role} message."
        )));
    }
    match t {
        "text" => {
            known(b, &["type", "text"])?;
            if field(b, "messages.content", "text", Want::Str)?.is_none() {
                return Err(bad("invalid request: text content must have a text field.")); // guessed
            }
        }
        "thinking" => {
            known(b, &["type", "thinking"])?;
            field(b, "messages.content", "thinking", Want::Str)?;
        }
        "image_url" => {
            known(b, &["type", "image_url"])?;
            let Some(image) =
                field(b, "messages.content", "image_url", Want::Object)?.and_then(Value::as_object)
            else {
                return Err(bad(
                    "invalid request: image_url content must have an image_url.",
                )); // guessed
            };
            known(image, &["url", "detail"])?;
            if field(image, "messages.content.image_url", "url", Want::Str)?.is_none() {
                return Err(bad("invalid request: image_url must have a url.")); // guessed
            }
            if let Some(d) = field(image, "messages.content.image_url", "detail", Want::Str)?
                .and_then(Value::as_str)
                && !["auto", "low", "high"].contains(&d)
            {
                return Err(not_one_of(
                    "messages.content.image_url.detail",
                    d,
                    &["auto", "low", "high"],
                ));
            }
        }
        _ => {
            known(b, &["type", "document"])?;
            match b.get("document") {
                Some(d) => document(d, "messages.content.document")?,
                None => {
                    return Err(bad(
                        "invalid request: document content must have a document.",
                    )); // guessed
                }
            }
        }
    }
    Ok(())
}

/// A document: a string, or `{data: {…}, id?}` [SPEC] `Document`.
fn document(d: &Value, at: &str) -> Checked {
    match d {
        Value::String(_) => Ok(()),
        Value::Object(d) => {
            known(d, &["data", "id"])?;
            field(d, at, "id", Want::Str)?;
            match d.get("data") {
                Some(Value::Object(_)) => Ok(()),
                None | Some(Value::Null) => {
                    Err(bad("invalid request: document must have a data field.")) // guessed
                }
                Some(v) => Err(wrong_type(&join(at, "data"), v, Want::Object)),
            }
        }
        other => Err(wrong_type(at, other, Want::Object)),
    }
}

/// `{id, type: "function", function: {name, arguments}}` [SPEC] `ToolCallV2`.
fn tool_call(c: &Map<String, Value>) -> Checked {
    let at = "messages.tool_calls";
    known(c, &["id", "type", "function"])?;
    if field(c, at, "id", Want::Str)?
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(bad("invalid request: tool call id must be provided.")); // guessed
    }
    // [ERR] `tool call must be of type function`
    if field(c, at, "type", Want::Str)?.and_then(Value::as_str) != Some("function") {
        return Err(bad("tool call must be of type function"));
    }
    if let Some(f) = field(c, at, "function", Want::Object)?.and_then(Value::as_object) {
        let at = "messages.tool_calls.function";
        known(f, &["name", "arguments"])?;
        field(f, at, "name", Want::Str)?;
        // The arguments are JSON text, as the API sends them, never an object.
        field(f, at, "arguments", Want::Str)?;
    }
    Ok(())
}

fn role(m: &Value) -> &str {
    m["role"].as_str().unwrap_or("")
}

fn call_ids(m: &Value) -> Vec<&str> {
    m["tool_calls"]
        .as_array()
        .map(|calls| calls.iter().filter_map(|c| c["id"].as_str()).collect())
        .unwrap_or_default()
}

/// Rules across messages.
fn conversation(messages: &[Value]) -> Checked {
    // [ERR] `system turn must be the first in the list` (a system message after a user,
    // assistant or tool one; a leading run of system messages passes: inferred).
    if let Some(first_other) = messages.iter().position(|m| role(m) != "system")
        && messages[first_other..].iter().any(|m| role(m) == "system")
    {
        return Err(bad("system turn must be the first in the list"));
    }
    // [ERR] `cannot have duplicate tool ids`
    let mut all: Vec<&str> = messages.iter().flat_map(call_ids).collect();
    all.sort_unstable();
    if all.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad("cannot have duplicate tool ids"));
    }
    // [ERR] `tool call id not found in previous tool calls`: a tool message answers a call of
    // the assistant message before it (other tool messages may come between).
    for (i, m) in messages.iter().enumerate() {
        if role(m) != "tool" {
            continue;
        }
        let asked = messages[..i]
            .iter()
            .rev()
            .find(|p| role(p) != "tool")
            .filter(|p| role(p) == "assistant")
            .map(call_ids)
            .unwrap_or_default();
        if !asked.contains(&m["tool_call_id"].as_str().unwrap_or("")) {
            return Err(bad("tool call id not found in previous tool calls"));
        }
    }
    Ok(())
}

/// `[{type: "function", function: {name, description?, parameters}}]` [SPEC] `ToolV2`; returns
/// the names.
fn tool_list(tools: &[Value], strict: bool) -> Result<Vec<String>, Invalid> {
    let mut names = Vec::new();
    for t in tools {
        let t = t.as_object().expect("checked to be objects");
        known(t, &["type", "function"])?;
        if field(t, "tools", "type", Want::Str)?.and_then(Value::as_str) != Some("function") {
            return Err(bad("invalid request: tool must be of type function.")); // guessed
        }
        let Some(f) = field(t, "tools", "function", Want::Object)?.and_then(Value::as_object)
        else {
            return Err(bad("invalid request: tool must have a function.")); // guessed
        };
        let at = "tools.function";
        // [ISSUE OpenRouterTeam/openrouter-examples#71]: OpenAI's `strict` is refused here.
        known(f, &["name", "description", "parameters"])?;
        field(f, at, "description", Want::Str)?;
        let name = field(f, at, "name", Want::Str)?
            .and_then(Value::as_str)
            .unwrap_or("");
        // [ERR], the real wording.
        let valid = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(bad(format!(
                "invalid request: tool names can only contain certain characters (A-Za-z0-9_) \
                 and can't begin with a digit (provided name: '{name}')."
            )));
        }
        let Some(parameters) = field(f, at, "parameters", Want::Object)? else {
            // [SPEC] `ToolV2.function` requires `name` and `parameters`; wording guessed.
            return Err(bad(format!(
                "invalid request: tool '{name}' must have parameters."
            )));
        };
        if strict {
            schema_rules(parameters)?;
        }
        if names.contains(&name.to_string()) {
            return Err(bad(format!(
                "invalid request: duplicate tool name '{name}'." // guessed
            )));
        }
        names.push(name.to_string());
    }
    Ok(names)
}

/// `{type: "text" | "json_object", json_schema?}` [SPEC] `ResponseFormatV2`; true for JSON.
///
/// The spec and the SDK (`JsonResponseFormatV2.json_schema`) name the schema `json_schema`;
/// Cohere's own v2 guides (`structured-outputs.mdx`, `parameter-types-in-json.mdx`) send it as
/// `schema`, with the answers they got. Both are taken.
fn response_format_shape(format: &Map<String, Value>) -> Result<bool, Invalid> {
    known(format, &["type", "json_schema", "schema"])?;
    let kind = field(format, "response_format", "type", Want::Str)?.and_then(Value::as_str);
    let schema_key = if format.get("json_schema").is_some_and(|s| !s.is_null()) {
        "json_schema"
    } else {
        "schema"
    };
    let schema = field(format, "response_format", schema_key, Want::Object)?;
    match kind {
        Some("json_object") => {}
        Some("text") => {
            if schema.is_some() {
                // [SPEC]: "This field must not be specified when the `type` is set to
                // `"text"`." Wording guessed.
                return Err(bad(
                    "invalid request: response_format json_schema must not be specified when \
                     type is text.",
                ));
            }
            return Ok(false);
        }
        Some(other) => {
            return Err(not_one_of(
                "response_format.type",
                other,
                &["text", "json_object"],
            ));
        }
        None => {
            return Err(bad(
                "invalid request: response_format must have a type.", // guessed
            ));
        }
    }
    if let Some(schema) = schema {
        // [ISSUE koharu-rs/koharu#1128] (through Cohere's compatibility API): a schema without
        // a `type` is refused with this wording.
        if schema.get("type").is_none() {
            return Err(bad(
                "invalid request: response_format validation: invalid 'json_schema' provided: \
                 missing required field 'type'",
            ));
        }
        // "the top level json structure must always be a json object" (v2 structured-outputs
        // guide); [ERR] `schema must be an object`.
        if schema["type"] != "object" {
            return Err(bad("schema must be an object"));
        }
        schema_rules(schema)?;
    }
    Ok(true)
}

/// Rules of a schema the API compiles (a JSON schema, or strict tools' parameters), both [ERR]
/// wordings: `required field name not found in properties` and `property title must have a
/// type` (to which schemas they apply is inferred: these two).
fn schema_rules(schema: &Value) -> Checked {
    let Some(obj) = schema.as_object() else {
        if let Some(items) = schema.as_array() {
            for s in items {
                schema_rules(s)?;
            }
        }
        return Ok(());
    };
    let properties = obj.get("properties").and_then(Value::as_object);
    if let Some(required) = obj.get("required").and_then(Value::as_array) {
        for r in required.iter().filter_map(Value::as_str) {
            if !properties.is_some_and(|p| p.contains_key(r)) {
                return Err(bad(format!("required field {r} not found in properties")));
            }
        }
    }
    if let Some(properties) = properties {
        for (name, p) in properties {
            let typed = p.as_object().is_some_and(|p| {
                ["type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const"]
                    .iter()
                    .any(|k| p.contains_key(*k))
            });
            if !typed {
                return Err(bad(format!("property {name} must have a type")));
            }
            schema_rules(p)?;
        }
    }
    for key in ["items", "anyOf", "oneOf", "allOf", "$defs", "definitions"] {
        match obj.get(key) {
            Some(Value::Object(defs)) if key == "$defs" || key == "definitions" => {
                for s in defs.values() {
                    schema_rules(s)?;
                }
            }
            Some(s) => schema_rules(s)?,
            None => {}
        }
    }
    Ok(())
}

/// `{type: "enabled" | "disabled", token_budget?: ≥ 1}` [SPEC] `Thinking`.
fn thinking_shape(t: &Map<String, Value>) -> Checked {
    known(t, &["type", "token_budget"])?;
    match field(t, "thinking", "type", Want::Str)?.and_then(Value::as_str) {
        Some("enabled" | "disabled") => {}
        Some(other) => return Err(not_one_of("thinking.type", other, &["enabled", "disabled"])),
        None => return Err(bad("invalid request: thinking must have a type.")), // guessed
    }
    if field(t, "thinking", "token_budget", Want::Int32)?
        .and_then(Value::as_i64)
        .is_some_and(|b| b < 1)
    {
        return Err(bad(
            "invalid request: thinking.token_budget must be a positive integer.", // guessed
        ));
    }
    Ok(())
}
