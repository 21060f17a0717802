//! What the real Messages API refuses, refused the same way: status, error type and (where a
//! public report of the real wording was found) the message text.
//!
//! Sources, read in 2026:
//! - [SDK] the request types of `anthropics/anthropic-sdk-python` (generated from Anthropic's
//!   OpenAPI spec): `types/message_create_params.py`, `message_param.py`, the block params,
//!   `tool_param.py`, `tool_choice_*_param.py`, `thinking_config_*_param.py`,
//!   `output_config_param.py`, `beta/message_create_params.py`.
//! - [ERR] Anthropic's error-codes reference (`anthropics/skills`, `claude-api/shared/error-codes.md`).
//! - [ISSUE …] the exact message the real API returned, as quoted in a public issue.
//!
//! A message cited with [ISSUE …] is the real wording. The others follow the API's pydantic-style
//! wording (`X: Field required`, `X: Extra inputs are not permitted`, `X: Input should be …`,
//! all seen in real answers) on the real path scheme: `messages.3.content.1.tool_use.text` (a
//! union member is named by its tag), `system.1.cache_control.ephemeral.scope`,
//! `tools.7.custom.name`. Those marked "guessed" have no public example at all.

use serde_json::{Map, Value};

use super::error_reply;
use crate::Reply;

/// A request the real API would refuse.
#[derive(Debug)]
pub(crate) struct Invalid {
    status: u16,
    kind: &'static str,
    message: String,
}

fn bad(message: impl Into<String>) -> Invalid {
    Invalid {
        status: 400,
        kind: "invalid_request_error",
        message: message.into(),
    }
}

type Checked = Result<(), Invalid>;

/// The refusal the real API would give this request, if any. Only `POST …/v1/messages` is
/// checked; another `…/v1/…` path asked with an `anthropic-version` header is a 404, and every
/// other request (the OpenAI paths) is left alone.
pub(crate) fn check(
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<Reply> {
    let refusal = if path.ends_with("/v1/messages") {
        if method != "POST" {
            return None;
        }
        let betas: Vec<&str> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("anthropic-beta"))
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .collect();
        request(headers, &betas, body).err()?
    } else if path.contains("/v1/") && header(headers, "anthropic-version").is_some() {
        // The fake serves only the Messages API: any other Anthropic path is unknown here
        // (message guessed).
        Invalid {
            status: 404,
            kind: "not_found_error",
            message: "Not Found".into(),
        }
    } else {
        return None;
    };
    Some(error_reply(refusal.status, refusal.kind, &refusal.message))
}

/// `anthropic-version` values the API accepts ([ISSUE decolua/9router#2357] shows the refusal
/// of anything else; 2023-06-01 is the current one, 2023-01-01 the initial one).
const VERSIONS: &[&str] = &["2023-06-01", "2023-01-01"];

/// Beta values that enable the beta `output_format` parameter: the SDK sent
/// `structured-outputs-2025-11-13` (commit c94119ba, 2025-11-19), and its `parse` helper sends
/// `structured-outputs-2025-12-15` since 2026-01.
const STRUCTURED_OUTPUT_BETAS: &[&str] = &[
    "structured-outputs-2025-11-13",
    "structured-outputs-2025-12-15",
];

/// Top-level fields of `MessageCreateParams` [SDK, 2026-08]. `output_format` is added when a
/// structured-outputs beta is on; anything else is `X: Extra inputs are not permitted`
/// ([ISSUE amrit110/oli#7]: `response_format: Extra inputs are not permitted`).
const TOP_LEVEL: &[&str] = &[
    "model",
    "max_tokens",
    "messages",
    "system",
    "metadata",
    "stop_sequences",
    "stream",
    "temperature",
    "top_p",
    "top_k",
    "tools",
    "tool_choice",
    "thinking",
    "cache_control",
    "container",
    "inference_geo",
    "output_config",
    "service_tier",
];

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn request(headers: &[(String, String)], betas: &[&str], body: &[u8]) -> Checked {
    let get = |name: &str| header(headers, name);
    // 401 `x-api-key header is required` [ISSUE n8n-io/n8n#37930, karthink/gptel#354]. OAuth
    // tokens come as `Authorization: Bearer`, and sending both is refused [ERR, 401 causes].
    let present = |name: &str| get(name).is_some_and(|v| !v.trim().is_empty());
    let bearer = get("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !t.trim().is_empty());
    match (present("x-api-key"), bearer) {
        (false, false) => {
            return Err(Invalid {
                status: 401,
                kind: "authentication_error",
                message: "x-api-key header is required".into(),
            });
        }
        (true, true) => {
            return Err(Invalid {
                status: 401,
                kind: "authentication_error",
                // guessed wording
                message: "Both `x-api-key` and `Authorization: Bearer` were sent; send only one \
                          of them."
                    .into(),
            });
        }
        _ => {}
    }
    // [ISSUE PipedreamHQ/pipedream#9697, envoyproxy/ai-gateway#1909]
    match get("anthropic-version") {
        None => return Err(bad("anthropic-version: header is required")),
        Some(v) if !VERSIONS.contains(&v.trim()) => {
            return Err(bad(format!(
                "anthropic-version: \"{v}\" is not a valid version"
            )));
        }
        Some(_) => {}
    }
    let body: Value = serde_json::from_slice(body)
        // guessed wording
        .map_err(|e| bad(format!("There was an issue with your request body: {e}")))?;
    let Some(obj) = body.as_object() else {
        return Err(bad("Input should be a valid dictionary")); // guessed
    };
    let structured_beta = betas.iter().any(|b| STRUCTURED_OUTPUT_BETAS.contains(b));

    // Required fields ([ISSUE tickernelz/opencode-mem#50]: `max_tokens: Field required`).
    match obj.get("model") {
        None => return Err(bad("model: Field required")),
        Some(Value::String(_)) => {}
        Some(_) => return Err(bad("model: Input should be a valid string")),
    }
    let max_tokens = match obj.get("max_tokens") {
        None => return Err(bad("max_tokens: Field required")),
        Some(v) => match v.as_i64() {
            None => return Err(bad("max_tokens: Input should be a valid integer")),
            Some(n) if n < 1 => {
                return Err(bad(
                    "max_tokens: Input should be greater than or equal to 1",
                ));
            }
            Some(n) => n,
        },
    };
    let messages = match obj.get("messages") {
        None => return Err(bad("messages: Field required")),
        Some(Value::Array(m)) => m,
        Some(_) => return Err(bad("messages: Input should be a valid list")),
    };
    // [ISSUE devoxx/DevoxxGenieIDEAPlugin#567, langgenius/dify#25953]
    if messages.is_empty() {
        return Err(bad("messages: at least one message is required"));
    }
    for (i, m) in messages.iter().enumerate() {
        message(i, m)?;
    }

    optional_fields(obj)?;
    if let Some(system) = obj.get("system") {
        system_prompt(system)?;
    }
    let tool_names = match obj.get("tools") {
        Some(tools) => tool_list(tools)?,
        None => Vec::new(),
    };
    // `tool_choice` and `thinking` are not nullable in the spec [SDK]: `null` is refused like
    // any other non-object.
    let choice = match obj.get("tool_choice") {
        Some(c) => Some(tool_choice(c, &tool_names)?),
        None => None,
    };
    let thinking = match obj.get("thinking") {
        Some(t) => thinking_config(t, max_tokens)?,
        None => Thinking::Off,
    };
    if let Some(config) = obj.get("output_config") {
        output_config(config)?;
    }
    if let Some(format) = obj.get("output_format") {
        if !structured_beta {
            return Err(bad("output_format: Extra inputs are not permitted"));
        }
        if !format.is_null() {
            json_format(format, "output_format")?;
            if obj
                .get("output_config")
                .and_then(|c| c.get("format"))
                .is_some_and(|f| !f.is_null())
            {
                // guessed wording
                return Err(bad(
                    "output_format: cannot be used together with `output_config.format`",
                ));
            }
        }
    }
    for key in obj.keys() {
        if !TOP_LEVEL.contains(&key.as_str()) && key != "output_format" {
            return Err(bad(format!("{key}: Extra inputs are not permitted")));
        }
    }

    conversation(messages, thinking)?;
    if thinking != Thinking::Off {
        // [ISSUE mastra-ai/mastra#7507, can1357/oh-my-pi#341]; extended-thinking docs: only
        // `auto` and `none` work with thinking.
        if matches!(choice, Some("any") | Some("tool")) {
            return Err(bad(
                "Thinking may not be enabled when tool_choice forces tool use.",
            ));
        }
        // [ISSUE MayDay-wpf/snow-app#42] (2026 wording, adaptive mode included)
        if obj
            .get("temperature")
            .and_then(Value::as_f64)
            .is_some_and(|t| t != 1.0)
        {
            return Err(bad(
                "`temperature` may only be set to 1 when thinking is enabled or in adaptive \
                 mode. Please consult our documentation at \
                 https://platform.claude.com/docs/en/build-with-claude/extended-thinking",
            ));
        }
    }
    Ok(())
}

/// Checks the fields in `allowed` order: a missing required one, then any key not allowed.
/// `at` is the path with the union tag (`messages.0.content.1.tool_use`).
fn shape(at: &str, obj: &Map<String, Value>, allowed: &[&str], required: &[&str]) -> Checked {
    for field in required {
        if obj.get(*field).is_none() {
            return Err(bad(format!("{at}.{field}: Field required")));
        }
    }
    for key in obj.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(bad(format!("{at}.{key}: Extra inputs are not permitted")));
        }
    }
    Ok(())
}

fn string_field(at: &str, obj: &Map<String, Value>, field: &str) -> Checked {
    match obj.get(field) {
        Some(Value::String(_)) | None => Ok(()),
        Some(_) => Err(bad(format!("{at}.{field}: Input should be a valid string"))),
    }
}

/// `at` must be an object (`Input should be a valid dictionary`, pydantic's wording).
fn object<'a>(at: &str, v: &'a Value) -> Result<&'a Map<String, Value>, Invalid> {
    v.as_object()
        .ok_or_else(|| bad(format!("{at}: Input should be a valid dictionary")))
}

/// The tag of a tagged union member (`type`), or pydantic's complaint.
fn tag<'a>(at: &str, obj: &'a Map<String, Value>, expected: &[&str]) -> Result<&'a str, Invalid> {
    let Some(t) = obj.get("type").and_then(Value::as_str) else {
        return Err(bad(format!(
            "{at}: Unable to extract tag using discriminator 'type'"
        )));
    };
    if expected.contains(&t) {
        Ok(t)
    } else {
        let list: Vec<String> = expected.iter().map(|e| format!("'{e}'")).collect();
        Err(bad(format!(
            "{at}: Input tag '{t}' found using 'type' does not match any of the expected tags: {}",
            list.join(", ")
        )))
    }
}

/// `cache_control: {type: "ephemeral", ttl?: "5m" | "1h"}` (`CacheControlEphemeralParam`
/// [SDK]; extra keys: [ISSUE caozhiyuan/copilot-api#145]
/// `system.1.cache_control.ephemeral.scope: Extra inputs are not permitted`).
fn cache_control(at: &str, obj: &Map<String, Value>) -> Checked {
    let Some(cc) = obj.get("cache_control").filter(|c| !c.is_null()) else {
        return Ok(());
    };
    let at = format!("{at}.cache_control");
    let cc = object(&at, cc)?;
    tag(&at, cc, &["ephemeral"])?;
    let at = format!("{at}.ephemeral");
    shape(&at, cc, &["type", "ttl"], &[])?;
    match cc.get("ttl") {
        None => Ok(()),
        Some(t) if t == "5m" || t == "1h" => Ok(()),
        Some(_) => Err(bad(format!("{at}.ttl: Input should be '5m' or '1h'"))),
    }
}

/// Block types a message may hold ([SDK] `MessageParam.content`). The tool-result and server
/// tool blocks past `tool_result` are accepted without a closer look.
const BLOCK_TYPES: &[&str] = &[
    "text",
    "image",
    "document",
    "search_result",
    "thinking",
    "redacted_thinking",
    "tool_use",
    "tool_result",
    "server_tool_use",
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "tool_search_tool_result",
    "container_upload",
];

/// What a `tool_result` may carry ([SDK] `tool_result_block_param.py`).
const TOOL_RESULT_CONTENT: &[&str] = &["text", "image", "document", "search_result"];

/// `messages: Unexpected role "system". …` [ISSUE Maol-1997/cursor-claude-connector#3]. Claude
/// Opus 4.8 and later accept a `system` message right after a user turn ("mid-conversation
/// system messages"); the fake refuses every one, as the older models (and every model for a
/// leading system message) do: Quarry sends its system prompt as the top-level `system`.
pub(crate) const SYSTEM_ROLE: &str = "messages: Unexpected role \"system\". The Messages API \
    accepts a top-level `system` parameter, not \"system\" as an input message role.";

fn message(i: usize, m: &Value) -> Checked {
    let at = format!("messages.{i}");
    let m = object(&at, m)?;
    match m.get("role").map(|r| r.as_str()) {
        None => return Err(bad(format!("{at}.role: Field required"))),
        Some(Some("user" | "assistant")) => {}
        Some(Some("system")) => return Err(bad(SYSTEM_ROLE)),
        Some(_) => {
            return Err(bad(format!(
                "{at}.role: Input should be 'user' or 'assistant'"
            )));
        }
    }
    shape(&at, m, &["role", "content"], &["content"])?;
    match &m["content"] {
        Value::String(_) => Ok(()),
        Value::Array(blocks) => {
            for (j, b) in blocks.iter().enumerate() {
                block(&format!("{at}.content.{j}"), b, BLOCK_TYPES)?;
            }
            Ok(())
        }
        _ => Err(bad(format!("{at}.content: Input should be a valid list"))),
    }
}

/// One content block at `at` (`messages.0.content.2`), one of the `allowed` types.
fn block(at: &str, b: &Value, allowed: &[&str]) -> Checked {
    let b = object(at, b)?;
    let t = tag(at, b, allowed)?;
    let tagged = format!("{at}.{t}");
    let at = tagged.as_str();
    match t {
        // `TextBlockParam`
        "text" => {
            shape(
                at,
                b,
                &["type", "text", "cache_control", "citations"],
                &["text"],
            )?;
            string_field(at, b, "text")?;
            cache_control(at, b)
        }
        // `ImageBlockParam`: base64 (jpeg, png, gif, webp) or url.
        "image" => {
            shape(at, b, &["type", "source", "cache_control"], &["source"])?;
            let source_at = format!("{at}.source");
            let source = object(&source_at, &b["source"])?;
            match tag(&source_at, source, &["base64", "url"])? {
                "base64" => {
                    let at = format!("{source_at}.base64");
                    shape(
                        &at,
                        source,
                        &["type", "media_type", "data"],
                        &["media_type", "data"],
                    )?;
                    string_field(&at, source, "data")?;
                    let media = source["media_type"].as_str().unwrap_or("");
                    if !["image/jpeg", "image/png", "image/gif", "image/webp"].contains(&media) {
                        return Err(bad(format!(
                            "{at}.media_type: Input should be 'image/jpeg', 'image/png', \
                             'image/gif' or 'image/webp'"
                        )));
                    }
                }
                _ => {
                    let at = format!("{source_at}.url");
                    shape(&at, source, &["type", "url"], &["url"])?;
                    string_field(&at, source, "url")?;
                }
            }
            cache_control(at, b)
        }
        // `DocumentBlockParam`: base64 PDF, plain text, content blocks, or url.
        "document" => {
            shape(
                at,
                b,
                &[
                    "type",
                    "source",
                    "cache_control",
                    "citations",
                    "context",
                    "title",
                ],
                &["source"],
            )?;
            let source_at = format!("{at}.source");
            let source = object(&source_at, &b["source"])?;
            match tag(&source_at, source, &["base64", "text", "content", "url"])? {
                "base64" => {
                    let at = format!("{source_at}.base64");
                    shape(
                        &at,
                        source,
                        &["type", "media_type", "data"],
                        &["media_type", "data"],
                    )?;
                    string_field(&at, source, "data")?;
                    if source["media_type"] != "application/pdf" {
                        return Err(bad(format!(
                            "{at}.media_type: Input should be 'application/pdf'"
                        )));
                    }
                }
                "text" => {
                    let at = format!("{source_at}.text");
                    shape(
                        &at,
                        source,
                        &["type", "media_type", "data"],
                        &["media_type", "data"],
                    )?;
                    string_field(&at, source, "data")?;
                    if source["media_type"] != "text/plain" {
                        return Err(bad(format!(
                            "{at}.media_type: Input should be 'text/plain'"
                        )));
                    }
                }
                "content" => {
                    let at = format!("{source_at}.content");
                    shape(&at, source, &["type", "content"], &["content"])?;
                }
                _ => {
                    let at = format!("{source_at}.url");
                    shape(&at, source, &["type", "url"], &["url"])?;
                    string_field(&at, source, "url")?;
                }
            }
            cache_control(at, b)
        }
        // `ToolUseBlockParam`: `input` is an object.
        "tool_use" => {
            shape(
                at,
                b,
                &["type", "id", "name", "input", "cache_control", "caller"],
                &["id", "name", "input"],
            )?;
            string_field(at, b, "id")?;
            string_field(at, b, "name")?;
            if !b["input"].is_object() {
                return Err(bad(format!(
                    "{at}.input: Input should be a valid dictionary"
                )));
            }
            cache_control(at, b)
        }
        // `ToolResultBlockParam`: `content` is a string or text/image/document blocks.
        "tool_result" => {
            shape(
                at,
                b,
                &[
                    "type",
                    "tool_use_id",
                    "content",
                    "is_error",
                    "cache_control",
                ],
                &["tool_use_id"],
            )?;
            string_field(at, b, "tool_use_id")?;
            match b.get("content") {
                None | Some(Value::String(_)) => {}
                Some(Value::Array(inner)) => {
                    for (k, c) in inner.iter().enumerate() {
                        block(&format!("{at}.content.{k}"), c, TOOL_RESULT_CONTENT)?;
                    }
                }
                Some(_) => return Err(bad(format!("{at}.content: Input should be a valid list"))),
            }
            if b.get("is_error").is_some_and(|e| !e.is_boolean()) {
                return Err(bad(format!(
                    "{at}.is_error: Input should be a valid boolean"
                )));
            }
            cache_control(at, b)
        }
        // `ThinkingBlockParam` (no `cache_control`: [ISSUE router-for-me/CLIProxyAPI#512]).
        "thinking" => {
            shape(
                at,
                b,
                &["type", "thinking", "signature"],
                &["thinking", "signature"],
            )?;
            string_field(at, b, "thinking")?;
            string_field(at, b, "signature")
        }
        "redacted_thinking" => {
            shape(at, b, &["type", "data"], &["data"])?;
            string_field(at, b, "data")
        }
        _ => Ok(()),
    }
}

fn optional_fields(obj: &Map<String, Value>) -> Checked {
    if obj.get("stream").is_some_and(|s| !s.is_boolean()) {
        return Err(bad("stream: Input should be a valid boolean"));
    }
    for (field, hi) in [("temperature", 1.0), ("top_p", 1.0)] {
        if let Some(v) = obj.get(field) {
            let Some(x) = v.as_f64() else {
                return Err(bad(format!("{field}: Input should be a valid number")));
            };
            if x < 0.0 {
                return Err(bad(format!(
                    "{field}: Input should be greater than or equal to 0"
                )));
            }
            if x > hi {
                return Err(bad(format!(
                    "{field}: Input should be less than or equal to 1"
                )));
            }
        }
    }
    if let Some(k) = obj.get("top_k") {
        match k.as_i64() {
            None => return Err(bad("top_k: Input should be a valid integer")),
            Some(k) if k < 0 => {
                return Err(bad("top_k: Input should be greater than or equal to 0"));
            }
            Some(_) => {}
        }
    }
    if let Some(stops) = obj.get("stop_sequences") {
        let Some(stops) = stops.as_array() else {
            return Err(bad("stop_sequences: Input should be a valid list"));
        };
        if let Some(i) = stops.iter().position(|s| !s.is_string()) {
            return Err(bad(format!(
                "stop_sequences.{i}: Input should be a valid string"
            )));
        }
    }
    if let Some(meta) = obj.get("metadata") {
        let meta = object("metadata", meta)?;
        shape("metadata", meta, &["user_id"], &[])?;
        if meta
            .get("user_id")
            .is_some_and(|u| !u.is_null() && !u.is_string())
        {
            return Err(bad("metadata.user_id: Input should be a valid string"));
        }
    }
    if let Some(tier) = obj.get("service_tier")
        && tier != "auto"
        && tier != "standard_only"
    {
        return Err(bad(
            "service_tier: Input should be 'auto' or 'standard_only'",
        ));
    }
    cache_control_top(obj)
}

/// Top-level `cache_control` (automatic placement on the last cacheable block).
fn cache_control_top(obj: &Map<String, Value>) -> Checked {
    let Some(cc) = obj.get("cache_control").filter(|c| !c.is_null()) else {
        return Ok(());
    };
    let cc = object("cache_control", cc)?;
    tag("cache_control", cc, &["ephemeral"])?;
    shape("cache_control.ephemeral", cc, &["type", "ttl"], &[])
}

/// `system`: a string or a list of text blocks ([SDK] `Union[str, Iterable[TextBlockParam]]`).
fn system_prompt(system: &Value) -> Checked {
    match system {
        Value::String(_) => Ok(()),
        Value::Array(blocks) => {
            for (i, b) in blocks.iter().enumerate() {
                let at = format!("system.{i}");
                let b = object(&at, b)?;
                if b.get("type").and_then(Value::as_str) != Some("text") {
                    return Err(bad(format!("{at}.type: Input should be 'text'")));
                }
                shape(
                    &at,
                    b,
                    &["type", "text", "cache_control", "citations"],
                    &["text"],
                )?;
                string_field(&at, b, "text")?;
                cache_control(&at, b)?;
            }
            Ok(())
        }
        _ => Err(bad("system: Input should be a valid string")),
    }
}

/// A server tool's `type` (`web_search_20250305`, `bash_20250124`, …): a name and a date.
fn is_server_tool(t: &str) -> bool {
    t.rsplit_once('_').is_some_and(|(name, date)| {
        !name.is_empty()
            && name.bytes().all(|c| c.is_ascii_lowercase() || c == b'_')
            && date.len() == 8
            && date.bytes().all(|c| c.is_ascii_digit())
    })
}

/// `^[a-zA-Z0-9_-]{1,128}$`: the limit was 64 until mid-2025 ([ISSUE apify/tester-mcp-client#11],
/// 2025-03) and is 128 since ([ISSUE modelcontextprotocol/modelcontextprotocol#1345],
/// 2025-08; BerriAI/litellm#26788, 2026-05).
fn tool_name_ok(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// The tools, checked; returns their names.
fn tool_list(tools: &Value) -> Result<Vec<String>, Invalid> {
    let Some(tools) = tools.as_array() else {
        return Err(bad("tools: Input should be a valid list"));
    };
    let mut names = Vec::new();
    for (k, t) in tools.iter().enumerate() {
        let at = format!("tools.{k}");
        let t = object(&at, t)?;
        match t.get("type").and_then(Value::as_str) {
            None | Some("custom") => {
                let at = format!("{at}.custom");
                // `ToolParam` [SDK]
                shape(
                    &at,
                    t,
                    &[
                        "type",
                        "name",
                        "description",
                        "input_schema",
                        "cache_control",
                        "strict",
                        "input_examples",
                        "allowed_callers",
                        "defer_loading",
                        "eager_input_streaming",
                    ],
                    &["name", "input_schema"],
                )?;
                let name = t["name"].as_str().unwrap_or("");
                // [ISSUE modelcontextprotocol/modelcontextprotocol#1345]
                if !tool_name_ok(name) {
                    return Err(bad(format!(
                        "{at}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'"
                    )));
                }
                let schema_at = format!("{at}.input_schema");
                let schema = object(&schema_at, &t["input_schema"])?;
                // `InputSchemaTyped.type: Required[Literal["object"]]` [SDK] (wording guessed)
                match schema.get("type") {
                    None => return Err(bad(format!("{schema_at}.type: Field required"))),
                    Some(v) if v == "object" => {}
                    Some(_) => {
                        return Err(bad(format!("{schema_at}.type: Input should be 'object'")));
                    }
                }
                if t.get("strict") == Some(&Value::Bool(true)) {
                    // Strict tools follow the structured-outputs schema rules.
                    closed_objects(&t["input_schema"], &schema_at)?;
                }
                cache_control(&at, t)?;
                names.push(name.to_string());
            }
            Some(s) if is_server_tool(s) => {
                if let Some(n) = t.get("name").and_then(Value::as_str) {
                    names.push(n.to_string());
                }
            }
            Some(_) => {
                // An OpenAI-shaped `{"type": "function", "function": {…}}` lands here.
                tag(&at, t, &["custom"])?;
            }
        }
    }
    // [ISSUE eclipse-theia/theia#16122, danny-avila/LibreChat#13162]
    let mut sorted = names.clone();
    sorted.sort();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad("tools: Tool names must be unique."));
    }
    Ok(names)
}

/// `tool_choice` ([SDK] `ToolChoiceParam`); returns its type.
fn tool_choice<'a>(c: &'a Value, tools: &[String]) -> Result<&'a str, Invalid> {
    let obj = object("tool_choice", c)?;
    let t = tag("tool_choice", obj, &["auto", "any", "tool", "none"])?;
    let at = format!("tool_choice.{t}");
    match t {
        "auto" | "any" => shape(&at, obj, &["type", "disable_parallel_tool_use"], &[])?,
        "none" => shape(&at, obj, &["type"], &[])?,
        _ => {
            shape(
                &at,
                obj,
                &["type", "name", "disable_parallel_tool_use"],
                &["name"],
            )?;
            string_field(&at, obj, "name")?;
        }
    }
    if obj
        .get("disable_parallel_tool_use")
        .is_some_and(|d| !d.is_boolean())
    {
        return Err(bad(format!(
            "{at}.disable_parallel_tool_use: Input should be a valid boolean"
        )));
    }
    if tools.is_empty() {
        // guessed wording
        return Err(bad(
            "tool_choice: tool_choice may only be specified while providing tools.",
        ));
    }
    if t == "tool" {
        let name = obj["name"].as_str().unwrap_or("");
        if !tools.iter().any(|n| n == name) {
            // guessed wording
            return Err(bad(format!(
                "tool_choice.tool.name: Tool '{name}' not found in the provided tools"
            )));
        }
    }
    Ok(t)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Thinking {
    Off,
    /// `{type: "enabled", budget_tokens}` (extended thinking).
    Enabled,
    /// `{type: "adaptive"}` (the model decides; Opus 4.6 and later).
    Adaptive,
}

/// `thinking` ([SDK] `ThinkingConfigParam`: enabled, disabled, adaptive).
fn thinking_config(t: &Value, max_tokens: i64) -> Result<Thinking, Invalid> {
    let obj = object("thinking", t)?;
    let kind = tag("thinking", obj, &["enabled", "disabled", "adaptive"])?;
    let at = format!("thinking.{kind}");
    match kind {
        "enabled" => shape(
            &at,
            obj,
            &["type", "budget_tokens", "display"],
            &["budget_tokens"],
        )?,
        "adaptive" => shape(&at, obj, &["type", "display"], &[])?,
        _ => shape(&at, obj, &["type"], &[])?,
    }
    if let Some(d) = obj.get("display").filter(|d| !d.is_null())
        && d != "summarized"
        && d != "omitted"
    {
        return Err(bad(format!(
            "{at}.display: Input should be 'summarized' or 'omitted'"
        )));
    }
    Ok(match kind {
        "enabled" => {
            let Some(budget) = obj["budget_tokens"].as_i64() else {
                return Err(bad(format!(
                    "{at}.budget_tokens: Input should be a valid integer"
                )));
            };
            // [ISSUE danny-avila/LibreChat#8346]; "Must be ≥1024 and less than max_tokens" [SDK]
            if budget < 1024 {
                return Err(bad(
                    "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
                ));
            }
            // [ISSUE liuw1535/antigravity2api-nodejs#150]
            if budget >= max_tokens {
                return Err(bad(
                    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult \
                     our documentation at https://docs.claude.com/en/docs/build-with-claude/\
                     extended-thinking#max-tokens-and-context-window-size",
                ));
            }
            Thinking::Enabled
        }
        "adaptive" => Thinking::Adaptive,
        _ => Thinking::Off,
    })
}

/// `output_config` ([SDK] `OutputConfigParam`: `effort`, `format`), the GA place of structured
/// outputs since SDK 0.77.0 (2026-01-29, "migrate sending message format in output_config
/// rather than output_format").
fn output_config(c: &Value) -> Checked {
    let obj = object("output_config", c)?;
    shape("output_config", obj, &["effort", "format"], &[])?;
    if let Some(e) = obj.get("effort").filter(|e| !e.is_null()) {
        let known = ["low", "medium", "high", "xhigh", "max"];
        if !e.as_str().is_some_and(|e| known.contains(&e)) {
            return Err(bad(
                "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'",
            ));
        }
    }
    match obj.get("format") {
        Some(f) if !f.is_null() => json_format(f, "output_config.format"),
        _ => Ok(()),
    }
}

/// `{type: "json_schema", schema: {…}}` at `at`, its schema closed everywhere.
fn json_format(f: &Value, at: &str) -> Checked {
    let obj = object(at, f)?;
    if obj.get("type").and_then(Value::as_str) != Some("json_schema") {
        return Err(bad(format!("{at}.type: Input should be 'json_schema'")));
    }
    shape(at, obj, &["type", "schema"], &["schema"])?;
    let schema_at = format!("{at}.schema");
    object(&schema_at, &obj["schema"])?;
    closed_objects(&obj["schema"], &schema_at)?;
    supported_constraints(&obj["schema"], &schema_at, 0)
}

/// Structured outputs refuse numeric bounds, string lengths, array bounds beyond `minItems` 0
/// or 1, and formats outside their list: "If you use an unsupported feature, you'll receive a
/// 400 error with details" (structured-outputs docs, "JSON Schema limitations", quoted in
/// [ISSUE laravel/ai#715]). Real wordings: a number's bound [ISSUE agentjido/req_llm#302],
/// `minItems` [ISSUE ghostlobster/memorize-everything#93]; the string and format ones follow
/// them (guessed).
fn supported_constraints(schema: &Value, at: &str, depth: usize) -> Checked {
    const FORMATS: &[&str] = &[
        "date-time",
        "time",
        "date",
        "duration",
        "email",
        "hostname",
        "uri",
        "ipv4",
        "ipv6",
        "uuid",
    ];
    let Some(obj) = schema.as_object() else {
        return Ok(());
    };
    if depth > 64 {
        return Ok(());
    }
    let ty = match obj.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or(""),
        _ => "",
    };
    let refused: &[&str] = match ty {
        "integer" | "number" => &[
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
        ],
        "string" => &["minLength", "maxLength"],
        "array" => &["maxItems", "uniqueItems"],
        _ => &[],
    };
    if let Some(key) = refused.iter().find(|k| obj.contains_key(**k)) {
        return Err(bad(format!(
            "{at}: For '{ty}' type, property '{key}' is not supported"
        )));
    }
    if ty == "array"
        && obj
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|n| n > 1)
    {
        return Err(bad(format!(
            "{at}: For 'array' type, 'minItems' values other than 0 or 1 are not supported"
        )));
    }
    if let Some(format) = obj.get("format").and_then(Value::as_str)
        && !FORMATS.contains(&format)
    {
        return Err(bad(format!(
            "{at}: For 'string' type, format '{format}' is not supported"
        )));
    }
    for key in ["properties", "$defs", "definitions"] {
        if let Some(map) = obj.get(key).and_then(Value::as_object) {
            for s in map.values() {
                supported_constraints(s, at, depth + 1)?;
            }
        }
    }
    for key in ["anyOf", "allOf", "oneOf", "prefixItems"] {
        for s in obj.get(key).and_then(Value::as_array).into_iter().flatten() {
            supported_constraints(s, at, depth + 1)?;
        }
    }
    if let Some(items) = obj.get("items") {
        supported_constraints(items, at, depth + 1)?;
    }
    Ok(())
}

/// Structured outputs need `"additionalProperties": false` on every object schema: "`required`
/// and `additionalProperties` (must be set to `false` for objects)" (structured-outputs docs,
/// quoted in [ISSUE BerriAI/litellm#35808]). The wordings are the real ones: missing
/// [ISSUE ax-llm/ax#458], `true` [ISSUE BerriAI/litellm#35808]; both name the schema's root.
fn closed_objects(schema: &Value, at: &str) -> Checked {
    let Some(obj) = schema.as_object() else {
        if let Some(items) = schema.as_array() {
            for s in items {
                closed_objects(s, at)?;
            }
        }
        return Ok(());
    };
    let is_object = match obj.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => false,
    };
    if is_object {
        match obj.get("additionalProperties") {
            Some(Value::Bool(false)) => {}
            Some(Value::Bool(true)) => {
                return Err(bad(format!(
                    "{at}: For 'object' type, 'additionalProperties: true' is not supported. \
                     Please set 'additionalProperties' to false"
                )));
            }
            _ => {
                return Err(bad(format!(
                    "{at}: For 'object' type, 'additionalProperties' must be explicitly set to \
                     false"
                )));
            }
        }
    }
    for key in ["properties", "$defs", "definitions", "patternProperties"] {
        if let Some(map) = obj.get(key).and_then(Value::as_object) {
            for s in map.values() {
                closed_objects(s, at)?;
            }
        }
    }
    for key in [
        "items",
        "prefixItems",
        "anyOf",
        "allOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "additionalProperties",
    ] {
        if let Some(s) = obj.get(key) {
            closed_objects(s, at)?;
        }
    }
    Ok(())
}

fn blocks(m: &Value) -> &[Value] {
    m["content"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn role(m: &Value) -> &str {
    m["role"].as_str().unwrap_or("")
}

fn ids<'a>(m: &'a Value, kind: &str, field: &str) -> Vec<&'a str> {
    blocks(m)
        .iter()
        .filter(|b| b["type"] == kind)
        .filter_map(|b| b[field].as_str())
        .collect()
}

/// Rules across messages, once each message has the right shape.
fn conversation(messages: &[Value], thinking: Thinking) -> Checked {
    let last = messages.len() - 1;
    for (i, m) in messages.iter().enumerate() {
        let final_assistant = i == last && role(m) == "assistant";
        // [ISSUE anthropics/claude-code#6774, tidyverse/ellmer#709]
        let empty = match &m["content"] {
            Value::String(s) => s.is_empty(),
            Value::Array(b) => b.is_empty(),
            _ => false,
        };
        if empty && !final_assistant {
            return Err(bad(format!(
                "messages.{i}: all messages must have non-empty content except for the optional \
                 final assistant message"
            )));
        }
        // [ISSUE anthropics/claude-code#59812, #23440]
        let texts = match &m["content"] {
            Value::String(s) if !s.is_empty() => vec![s.as_str()],
            _ => blocks(m)
                .iter()
                .filter(|b| b["type"] == "text")
                .filter_map(|b| b["text"].as_str())
                .collect(),
        };
        for t in texts {
            if t.is_empty() {
                return Err(bad("messages: text content blocks must be non-empty"));
            }
            if t.trim().is_empty() {
                return Err(bad(
                    "messages: text content blocks must contain non-whitespace text",
                ));
            }
        }
    }
    // A prefill may not end in whitespace [ISSUE tailcallhq/forgecode#1872, anomalyco/opencode#1295].
    let final_text = match &messages[last]["content"] {
        Value::String(s) => Some(s.as_str()),
        Value::Array(b) => b
            .last()
            .filter(|b| b["type"] == "text")
            .and_then(|b| b["text"].as_str()),
        _ => None,
    };
    if role(&messages[last]) == "assistant"
        && final_text.is_some_and(|t| t.ends_with(char::is_whitespace))
    {
        return Err(bad(
            "messages: final assistant content cannot end with trailing whitespace",
        ));
    }

    for (i, m) in messages.iter().enumerate() {
        let prev = i.checked_sub(1).map(|p| &messages[p]);
        let asked_before = match prev {
            Some(prev) if role(prev) == "assistant" => ids(prev, "tool_use", "id"),
            _ => Vec::new(),
        };
        if role(m) == "user" {
            // Every `tool_result` answers a `tool_use` of the message just before
            // [ISSUE router-for-me/CLIProxyAPI#497, anthropics/claude-code#13460].
            for (j, b) in blocks(m).iter().enumerate() {
                if b["type"] != "tool_result" {
                    continue;
                }
                let id = b["tool_use_id"].as_str().unwrap_or("");
                if !asked_before.contains(&id) {
                    return Err(bad(format!(
                        "messages.{i}.content.{j}: unexpected `tool_use_id` found in \
                         `tool_result` blocks: {id}. Each `tool_result` block must have a \
                         corresponding `tool_use` block in the previous message."
                    )));
                }
            }
        }
        // Every `tool_use` is answered by the `tool_result` blocks that start the next message
        // [ISSUE anthropics/claude-code#1237, #5989]. The index named is the message that lacks
        // them: a user text turn appended after `[user, assistant (tool_use)]` is refused as
        // `messages.2` (a public report of the same error through Bedrock).
        let answered: Vec<&str> = if role(m) == "user" {
            blocks(m)
                .iter()
                .take_while(|b| b["type"] == "tool_result")
                .filter_map(|b| b["tool_use_id"].as_str())
                .collect()
        } else {
            Vec::new()
        };
        let missing: Vec<&str> = asked_before
            .into_iter()
            .filter(|id| !answered.contains(id))
            .collect();
        if !missing.is_empty() {
            return Err(bad(format!(
                "messages.{i}: `tool_use` ids were found without `tool_result` blocks \
                 immediately after: {}. Each `tool_use` block must have a corresponding \
                 `tool_result` block in the next message.",
                missing.join(", ")
            )));
        }
    }

    match thinking {
        // With extended thinking, the last assistant turn of a tool loop starts with its
        // thinking block [ISSUE deepset-ai/haystack-core-integrations#2146, Kilo-Org/kilocode#5219].
        Thinking::Enabled => {
            if let Some(i) = messages.iter().rposition(|m| role(m) == "assistant") {
                let content = blocks(&messages[i]);
                let first = content
                    .first()
                    .and_then(|b| b["type"].as_str())
                    .unwrap_or("");
                if content.iter().any(|b| b["type"] == "tool_use")
                    && first != "thinking"
                    && first != "redacted_thinking"
                {
                    return Err(bad(format!(
                        "messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, \
                         but found `{first}`. When `thinking` is enabled, a final `assistant` \
                         message must start with a thinking block (preceeding the lastmost set \
                         of `tool_use` and `tool_result` blocks). We recommend you include \
                         thinking blocks from previous turns. To avoid this requirement, disable \
                         `thinking`. Please consult our documentation at \
                         https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
                    )));
                }
            }
        }
        // Without thinking, a final (prefill) assistant message may not hold thinking
        // [ISSUE tailcallhq/forgecode#1853].
        Thinking::Off if role(&messages[last]) == "assistant" => {
            if let Some(j) = blocks(&messages[last])
                .iter()
                .position(|b| b["type"] == "thinking" || b["type"] == "redacted_thinking")
            {
                return Err(bad(format!(
                    "messages.{last}.content.{j}: When thinking is disabled, an `assistant` \
                     message in the final position cannot contain `thinking`. To use thinking \
                     blocks, enable `thinking` in your request."
                )));
            }
        }
        _ => {}
    }
    Ok(())
}
