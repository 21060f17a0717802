//! What Bedrock Runtime refuses on `POST /model/{modelId}/converse` and `…/converse-stream`,
//! refused the same way: HTTP status, `x-amzn-ErrorType` and (where a public report of the real
//! wording was found) the message.
//!
//! The checks run in stages, as the real service's do:
//! 1. The route: another operation under `/model/` is a 404 (guessed wording).
//! 2. The SigV4 signature (see [`super::sigv4`]), before the body is looked at.
//! 3. The JSON body: text that is not JSON, or a value of the wrong JSON type, is a 400
//!    `SerializationException` with `{"Message": …}` (capital M): "Start of structure or map
//!    found where not expected" [ISSUE karthink/gptel#1388, with `x-amzn-errortype:
//!    SerializationException:http://internal.amazon.com/coral/com.amazon.coral.service/`]; the
//!    wordings for the other types are guessed by analogy.
//! 4. Unknown keys: "Malformed input request: #/messages/0/content/0: extraneous key [type] is not
//!    permitted, please reformat your input and try again." The wording and the JSON-pointer path
//!    are Bedrock's [ISSUE crmne/ruby_llm#586, pingcap/autoflow#574,
//!    fumito-ito/AnthropicSwiftSDK#19 (InvokeModel bodies), zed-industries/zed#31815 (a Converse
//!    `toolConfig` path, inside "The model returned the following errors: …")]; that the Converse operation
//!    itself refuses an unknown top-level key this way (rather than ignoring it) is guessed.
//! 5. Constraints of the API model (a required member missing, an enum value, a range): Coral's
//!    standard "1 validation error detected: Value null at 'messages.1.member.role' failed to
//!    satisfy constraint: Member must not be null" form, with Coral's 1-based `.member.` list
//!    paths (the form is AWS-wide; no Bedrock example was found: guessed for Bedrock).
//! 6. Bedrock's own rules, first violation only, with their real wordings (0-based paths):
//!    - "The content field in the Message object at messages.3 is empty. Add a ContentBlock object
//!      to the content field and try again." [ISSUE theopenco/llmgateway#3127];
//!    - "The text field in the ContentBlock object at messages.1.content.0 is blank. Add text to
//!      the text field, and try again." [ISSUE langchain-ai/langchain-aws#403];
//!    - "The format of the value at toolConfig.tools.0.toolSpec.inputSchema.json is invalid.
//!      Provide a json object for the field and try again." [ISSUE aws/aws-sdk-net#3377], the same
//!      for `…toolUse.input` [ISSUE vercel/ai#19023] and `…toolResult.content.0.json`
//!      [ISSUE aws/aws-sdk-js-v3#7330];
//!    - "The content field at messages.2.content.0.toolResult cannot be empty when status value
//!      is error." [ISSUE aws-samples/sample-multi-agent-orchestration-chat-on-agentcore#15];
//!    - "User messages cannot contain tool uses. Please remove the tool uses and try again."
//!      [ISSUE strands-agents/sdk-python#2214];
//!    - "A conversation must start with a user message. Try again with a conversation that starts
//!      with a user message." [ISSUE langgenius/dify#12340];
//!    - "A conversation must alternate between user and assistant roles. Make sure the
//!      conversation alternates between user and assistant roles and try again."
//!      [ISSUE microsoft/semantic-kernel#10277]. Reports from 2026 say Bedrock now merges
//!      consecutive same-role messages [ISSUE theopenco/llmgateway#3127]; the fake keeps the
//!      older, stricter rule, which every client that merges its turns passes;
//!    - "The number of toolResult blocks at messages.2.content exceeds the number of toolUse
//!      blocks of previous turn." [ISSUE strands-agents/harness-sdk#1435];
//!    - "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_a,
//!      tooluse_b" (a blog post quoting botocore's exception, devxlabs.ai 2026);
//!    - "The toolConfig field must be defined when using toolUse and toolResult content blocks."
//!      [CODE ren8k/aws-bedrock-converse-app-use-tools README];
//!    - "A text block must be included when using documents." [ISSUE archestra-ai/archestra#4220];
//!    - a `toolChoice` naming a tool that is not defined, a tool schema whose `type` is not
//!      `object`, duplicate tool names, a document name with characters Bedrock refuses, a
//!      `system` text that is blank, bytes that are not base64: guessed wordings (the schema
//!      `type` one and the duplicate one are Anthropic's wordings inside Bedrock's "The model
//!      returned the following errors: …" wrapper [ISSUE zed-industries/zed#31815]).
//!
//! Sources, read in 2026: the Converse API reference (`API_runtime_Converse`, `Message`,
//! `ContentBlock`, `ToolConfiguration`, `ToolSpecification`, `ToolChoice`, `OutputConfig`,
//! `OutputFormat`, `JsonSchemaDefinition`, `InferenceConfiguration`) and [ISSUE …] the real
//! answer as quoted in a public issue.

use std::time::SystemTime;

use serde_json::{Map, Value};

use super::sigv4::{self, Credentials};
use super::{
    BEDROCK_ACCESS_KEY_ID, BEDROCK_SECRET_ACCESS_KEY, BEDROCK_SESSION_TOKEN,
    BEDROCK_SIGNATURE_WINDOW, error_reply,
};
use crate::Reply;

/// What the check of one Bedrock request found.
pub(crate) struct Outcome {
    /// The refusal, when the real service would refuse it.
    pub(crate) refusal: Option<Reply>,
    /// The signature, when it was good.
    pub(crate) signed: Option<sigv4::Signed>,
}

/// A refusal: status, error type and message.
#[derive(Debug)]
struct Invalid {
    status: u16,
    kind: &'static str,
    message: String,
}

type Checked = Result<(), Invalid>;

fn validation(message: impl Into<String>) -> Invalid {
    Invalid {
        status: 400,
        kind: "ValidationException",
        message: message.into(),
    }
}

fn serialization(message: impl Into<String>) -> Invalid {
    Invalid {
        status: 400,
        kind: "SerializationException",
        message: message.into(),
    }
}

/// Coral's constraint message for `value` at `path` (guessed for Bedrock, see the module notes).
fn constraint(value: &str, path: &str, rule: &str) -> Invalid {
    validation(format!(
        "1 validation error detected: Value {value} at '{path}' failed to satisfy constraint: \
         {rule}"
    ))
}

fn required(path: &str) -> Invalid {
    constraint("null", path, "Member must not be null")
}

/// "Malformed input request: #/a/b: extraneous key [k] is not permitted, …" for `pointer`.
fn extraneous(pointer: &str, key: &str) -> Invalid {
    validation(format!(
        "Malformed input request: {pointer}: extraneous key [{key}] is not permitted, please \
         reformat your input and try again."
    ))
}

/// "The format of the value at {at} is invalid. Provide a json object for the field and try
/// again."
fn not_json_object(at: &str) -> Invalid {
    validation(format!(
        "The format of the value at {at} is invalid. Provide a json object for the field and try \
         again."
    ))
}

/// The model-side refusal wrapper ("The model returned the following errors: …").
fn model_error(message: &str) -> Invalid {
    validation(format!(
        "The model returned the following errors: {message}"
    ))
}

/// The refusal of a value of the wrong JSON type where `expected` is wanted.
fn wrong_type(expected: &str, got: &Value) -> Invalid {
    match got {
        Value::Object(_) => serialization("Start of structure or map found where not expected"),
        // guessed by analogy
        Value::Array(_) => serialization("Start of list found where not expected"),
        // guessed
        other => serialization(format!(
            "Expected {expected} but found {}",
            match other {
                Value::Null => "null",
                Value::Bool(_) => "a boolean",
                Value::Number(_) => "a number",
                _ => "a string",
            }
        )),
    }
}

fn object(v: &Value) -> Result<&Map<String, Value>, Invalid> {
    v.as_object().ok_or_else(|| wrong_type("an object", v))
}

fn list(v: &Value) -> Result<&Vec<Value>, Invalid> {
    v.as_array().ok_or_else(|| wrong_type("a list", v))
}

fn string(v: &Value) -> Result<&str, Invalid> {
    v.as_str().ok_or_else(|| wrong_type("a string", v))
}

/// Refuses any key of `obj` outside `allowed` (`pointer` is the JSON pointer of `obj`).
fn keys(obj: &Map<String, Value>, allowed: &[&str], pointer: &str) -> Checked {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(extraneous(pointer, k)),
        None => Ok(()),
    }
}

/// The one member of a union object (a content block, a tool, a tool choice), or the refusal.
fn member<'a>(
    obj: &'a Map<String, Value>,
    allowed: &[&str],
    pointer: &str,
    union: &str,
    at: &str,
) -> Result<(&'a str, &'a Value), Invalid> {
    keys(obj, allowed, pointer)?;
    let mut set = obj.iter();
    match (set.next(), set.next()) {
        (Some((k, v)), None) => Ok((k.as_str(), v)),
        // guessed wordings
        (None, _) => Err(validation(format!(
            "The {union} object at {at} is empty. Set one of its members and try again."
        ))),
        (Some(_), Some(_)) => Err(validation(format!(
            "The {union} object at {at} has more than one member set. Set only one member and \
             try again."
        ))),
    }
}

/// A Bedrock request's route: the model id (percent-decoded) and whether it streams.
fn route(path: &str) -> Option<Result<(String, bool), Invalid>> {
    let at = path.find("/model/")?;
    let rest = &path[at + "/model/".len()..];
    let (model, operation) = rest.rsplit_once('/').unwrap_or((rest, ""));
    let stream = match operation {
        "converse" => false,
        "converse-stream" => true,
        // guessed wording: the fake serves only Converse and ConverseStream
        _ => {
            return Some(Err(Invalid {
                status: 404,
                kind: "UnknownOperationException",
                message: "Unknown operation".into(),
            }));
        }
    };
    if model.is_empty() || model.contains('/') {
        // A `/` in a model id (an ARN) must be sent as `%2F` (guessed wording).
        return Some(Err(Invalid {
            status: 404,
            kind: "UnknownOperationException",
            message: "Unknown operation".into(),
        }));
    }
    let model = String::from_utf8_lossy(&sigv4::percent_decode(model)).into_owned();
    Some(Ok((model, stream)))
}

/// The refusal the real service would give this request, and its signature when good; `None`
/// when `path` is not a Bedrock Runtime path (`…/model/…`).
pub(crate) fn check(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
    now: SystemTime,
) -> Option<Outcome> {
    let routed = route(path)?;
    let refuse = |i: Invalid, signed| {
        Some(Outcome {
            refusal: Some(error_reply(i.status, i.kind, &i.message)),
            signed,
        })
    };
    if method != "POST" {
        // guessed wording
        return refuse(
            Invalid {
                status: 404,
                kind: "UnknownOperationException",
                message: "Unknown operation".into(),
            },
            None,
        );
    }
    if let Err(i) = routed {
        return refuse(i, None);
    }
    let req = sigv4::Request {
        method,
        path,
        query,
        headers,
        body,
    };
    let creds = Credentials {
        access_key_id: BEDROCK_ACCESS_KEY_ID,
        secret_access_key: BEDROCK_SECRET_ACCESS_KEY,
        session_token: Some(BEDROCK_SESSION_TOKEN),
    };
    let signed = match sigv4::verify(&req, &creds, "bedrock", now, BEDROCK_SIGNATURE_WINDOW) {
        Ok(s) => s,
        Err(r) => {
            return Some(Outcome {
                refusal: Some(error_reply(r.status, r.error_type, &r.message)),
                signed: None,
            });
        }
    };
    match request(body) {
        Ok(()) => Some(Outcome {
            refusal: None,
            signed: Some(signed),
        }),
        Err(i) => refuse(i, Some(signed)),
    }
}

/// Top-level members of the Converse request body (the model id is in the path).
const TOP_LEVEL: &[&str] = &[
    "messages",
    "system",
    "inferenceConfig",
    "toolConfig",
    "guardrailConfig",
    "additionalModelRequestFields",
    "promptVariables",
    "additionalModelResponseFieldPaths",
    "requestMetadata",
    "performanceConfig",
    "serviceTier",
    "outputConfig",
];

fn request(body: &[u8]) -> Checked {
    let body: Value = serde_json::from_slice(body)
        // guessed wording
        .map_err(|e| serialization(format!("Could not parse request body into json: {e}")))?;
    let obj = object(&body)?;
    keys(obj, TOP_LEVEL, "#")?;
    let messages = match obj.get("messages") {
        None | Some(Value::Null) => return Err(required("messages")),
        Some(m) => list(m)?,
    };
    if messages.is_empty() {
        // guessed: Coral's length constraint
        return Err(constraint(
            "'[]'",
            "messages",
            "Member must have length greater than or equal to 1",
        ));
    }
    let mut tool_blocks = false;
    for (i, m) in messages.iter().enumerate() {
        tool_blocks |= message(i, m)?;
    }
    if let Some(system) = obj.get("system") {
        system_blocks(system)?;
    }
    if let Some(config) = obj.get("inferenceConfig") {
        inference_config(config)?;
    }
    let tools = match obj.get("toolConfig") {
        Some(config) => Some(tool_config(config)?),
        None => None,
    };
    if let Some(config) = obj.get("outputConfig") {
        output_config(config)?;
    }
    if let Some(fields) = obj.get("additionalModelRequestFields") {
        object(fields)?;
    }
    if let Some(paths) = obj.get("additionalModelResponseFieldPaths") {
        for p in list(paths)? {
            string(p)?;
        }
    }
    if let Some(meta) = obj.get("requestMetadata") {
        for v in object(meta)?.values() {
            string(v)?;
        }
    }
    for key in [
        "guardrailConfig",
        "promptVariables",
        "performanceConfig",
        "serviceTier",
    ] {
        if let Some(v) = obj.get(key) {
            object(v)?;
        }
    }
    if tool_blocks && tools.is_none() {
        return Err(validation(
            "The toolConfig field must be defined when using toolUse and toolResult content \
             blocks.",
        ));
    }
    conversation(messages)
}

/// One message's shape; returns whether it holds `toolUse` or `toolResult` blocks.
fn message(i: usize, m: &Value) -> Result<bool, Invalid> {
    let pointer = format!("#/messages/{i}");
    let coral = format!("messages.{}.member", i + 1);
    let m = object(m)?;
    keys(m, &["role", "content"], &pointer)?;
    let role = match m.get("role") {
        None | Some(Value::Null) => return Err(required(&format!("{coral}.role"))),
        Some(r) => string(r)?,
    };
    if role != "user" && role != "assistant" {
        return Err(constraint(
            &format!("'{role}'"),
            &format!("{coral}.role"),
            "Member must satisfy enum value set: [user, assistant]",
        ));
    }
    let content = match m.get("content") {
        None | Some(Value::Null) => return Err(required(&format!("{coral}.content"))),
        Some(c) => list(c)?,
    };
    if content.is_empty() {
        return Err(validation(format!(
            "The content field in the Message object at messages.{i} is empty. Add a \
             ContentBlock object to the content field and try again."
        )));
    }
    let mut tools = false;
    let mut texts = false;
    let mut documents = false;
    for (j, b) in content.iter().enumerate() {
        let at = format!("messages.{i}.content.{j}");
        let kind = content_block(b, &format!("{pointer}/content/{j}"), &at)?;
        match kind {
            "toolUse" if role == "user" => {
                return Err(validation(
                    "User messages cannot contain tool uses. Please remove the tool uses and try \
                     again.",
                ));
            }
            "toolResult" if role == "assistant" => {
                // guessed wording (the form of the user one)
                return Err(validation(
                    "Assistant messages cannot contain tool results. Please remove the tool \
                     results and try again.",
                ));
            }
            "toolUse" | "toolResult" => tools = true,
            "text" => texts = true,
            "document" => documents = true,
            _ => {}
        }
    }
    if documents && !texts {
        return Err(validation(
            "A text block must be included when using documents.",
        ));
    }
    Ok(tools)
}

/// Members of `ContentBlock` (the Converse API reference, 2026).
const CONTENT_BLOCKS: &[&str] = &[
    "text",
    "image",
    "document",
    "video",
    "audio",
    "toolUse",
    "toolResult",
    "guardContent",
    "cachePoint",
    "reasoningContent",
    "citationsContent",
    "searchResult",
];

/// One content block at `at` (`messages.0.content.2`); returns its member's name.
fn content_block<'a>(b: &'a Value, pointer: &str, at: &str) -> Result<&'a str, Invalid> {
    let b = object(b)?;
    let (kind, v) = member(b, CONTENT_BLOCKS, pointer, "ContentBlock", at)?;
    let pointer = format!("{pointer}/{kind}");
    match kind {
        "text" => {
            if string(v)?.trim().is_empty() {
                return Err(validation(format!(
                    "The text field in the ContentBlock object at {at} is blank. Add text to the \
                     text field, and try again."
                )));
            }
        }
        "image" => image(v, &pointer, &format!("{at}.image"))?,
        "document" => document(v, &pointer, &format!("{at}.document"))?,
        "toolUse" => {
            let t = object(v)?;
            keys(t, &["toolUseId", "name", "input", "type"], &pointer)?;
            for field in ["toolUseId", "name", "input"] {
                if t.get(field).is_none_or(Value::is_null) {
                    return Err(required(&format!("{at}.toolUse.{field}")));
                }
            }
            string(&t["toolUseId"])?;
            string(&t["name"])?;
            if !t["input"].is_object() {
                return Err(not_json_object(&format!("{at}.toolUse.input")));
            }
        }
        "toolResult" => tool_result(v, &pointer, at)?,
        "cachePoint" => {
            let c = object(v)?;
            keys(c, &["type"], &pointer)?;
            if c.get("type").and_then(Value::as_str) != Some("default") {
                return Err(constraint(
                    &c.get("type").map_or("null".into(), |t| format!("'{t}'")),
                    &format!("{at}.cachePoint.type"),
                    "Member must satisfy enum value set: [default]",
                ));
            }
        }
        _ => {
            object(v)?;
        }
    }
    Ok(kind)
}

/// `ImageBlock`: `format` (png, jpeg, gif, webp) and a `source` union (`bytes`, `s3Location`).
fn image(v: &Value, pointer: &str, at: &str) -> Checked {
    let img = object(v)?;
    keys(img, &["format", "source"], pointer)?;
    enum_member(img, "format", &["png", "jpeg", "gif", "webp"], at)?;
    source(img, &["bytes", "s3Location"], pointer, at)
}

/// `DocumentBlock`: `format`, `name`, a `source` union (`bytes`, `s3Location`, `text`,
/// `content`), and the optional `context` and `citations`.
fn document(v: &Value, pointer: &str, at: &str) -> Checked {
    let doc = object(v)?;
    keys(
        doc,
        &["format", "name", "source", "context", "citations"],
        pointer,
    )?;
    enum_member(
        doc,
        "format",
        &[
            "pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md",
        ],
        at,
    )?;
    let name = match doc.get("name") {
        None | Some(Value::Null) => return Err(required(&format!("{at}.name"))),
        Some(n) => string(n)?,
    };
    // The documented name rule: alphanumerics, single whitespace characters, hyphens,
    // parentheses and square brackets (wording recalled, not found in public: guessed).
    let allowed = |c: char| c.is_ascii_alphanumeric() || " -()[]".contains(c);
    if name.is_empty() || !name.chars().all(allowed) || name.contains("  ") {
        return Err(validation(
            "The document file name can only contain alphanumeric characters, whitespace \
             characters, hyphens, parentheses, and square brackets. The name can't contain more \
             than one consecutive whitespace character.",
        ));
    }
    source(
        doc,
        &["bytes", "s3Location", "text", "content"],
        pointer,
        at,
    )
}

/// An enum-valued required member.
fn enum_member(obj: &Map<String, Value>, field: &str, values: &[&str], at: &str) -> Checked {
    let v = match obj.get(field) {
        None | Some(Value::Null) => return Err(required(&format!("{at}.{field}"))),
        Some(v) => string(v)?,
    };
    if values.contains(&v) {
        Ok(())
    } else {
        Err(constraint(
            &format!("'{v}'"),
            &format!("{at}.{field}"),
            &format!(
                "Member must satisfy enum value set: [{}]",
                values.join(", ")
            ),
        ))
    }
}

/// A `source` union; `bytes` must be base64 (a blob in the JSON protocol).
fn source(obj: &Map<String, Value>, members: &[&str], pointer: &str, at: &str) -> Checked {
    let src = match obj.get("source") {
        None | Some(Value::Null) => return Err(required(&format!("{at}.source"))),
        Some(s) => object(s)?,
    };
    let (kind, v) = member(
        src,
        members,
        &format!("{pointer}/source"),
        "Source",
        &format!("{at}.source"),
    )?;
    if kind == "bytes" {
        use base64::Engine as _;
        let text = string(v)?;
        if base64::engine::general_purpose::STANDARD
            .decode(text)
            .is_err()
        {
            // guessed wording
            return Err(serialization(format!(
                "Invalid Base64 value at {at}.source.bytes"
            )));
        }
    }
    Ok(())
}

/// `ToolResultBlock`: `toolUseId`, `content` (`text`, `json` (an object), `image`, `document`,
/// `video`, `searchResult`), `status` (`success` or `error`).
fn tool_result(v: &Value, pointer: &str, at: &str) -> Checked {
    let r = object(v)?;
    keys(r, &["toolUseId", "content", "status", "type"], pointer)?;
    match r.get("toolUseId") {
        None | Some(Value::Null) => return Err(required(&format!("{at}.toolResult.toolUseId"))),
        Some(id) => {
            string(id)?;
        }
    }
    let content = match r.get("content") {
        None | Some(Value::Null) => return Err(required(&format!("{at}.toolResult.content"))),
        Some(c) => list(c)?,
    };
    let error = match r.get("status") {
        None | Some(Value::Null) => false,
        Some(s) => match string(s)? {
            "success" => false,
            "error" => true,
            other => {
                return Err(constraint(
                    &format!("'{other}'"),
                    &format!("{at}.toolResult.status"),
                    "Member must satisfy enum value set: [success, error]",
                ));
            }
        },
    };
    if error && content.is_empty() {
        return Err(validation(format!(
            "The content field at {at}.toolResult cannot be empty when status value is error."
        )));
    }
    for (k, c) in content.iter().enumerate() {
        let c_at = format!("{at}.toolResult.content.{k}");
        let c_pointer = format!("{pointer}/content/{k}");
        let c = object(c)?;
        let (kind, v) = member(
            c,
            &["text", "json", "image", "document", "video", "searchResult"],
            &c_pointer,
            "ToolResultContentBlock",
            &c_at,
        )?;
        match kind {
            "text" => {
                string(v)?;
            }
            "json" if !v.is_object() => return Err(not_json_object(&format!("{c_at}.json"))),
            "image" => image(v, &format!("{c_pointer}/image"), &format!("{c_at}.image"))?,
            "document" => document(
                v,
                &format!("{c_pointer}/document"),
                &format!("{c_at}.document"),
            )?,
            _ => {}
        }
    }
    Ok(())
}

/// `system`: a list of `SystemContentBlock` (`text`, `guardContent`, `cachePoint`).
fn system_blocks(v: &Value) -> Checked {
    for (i, b) in list(v)?.iter().enumerate() {
        let at = format!("system.{i}");
        let (kind, v) = member(
            object(b)?,
            &["text", "guardContent", "cachePoint"],
            &format!("#/system/{i}"),
            "SystemContentBlock",
            &at,
        )?;
        if kind == "text" && string(v)?.trim().is_empty() {
            // guessed wording (the form of the ContentBlock one)
            return Err(validation(format!(
                "The text field in the SystemContentBlock object at {at} is blank. Add text to \
                 the text field, and try again."
            )));
        }
    }
    Ok(())
}

/// `inferenceConfig`: `maxTokens` (≥ 1), `temperature` and `topP` (0 to 1), `stopSequences`.
fn inference_config(v: &Value) -> Checked {
    let c = object(v)?;
    keys(
        c,
        &["maxTokens", "temperature", "topP", "stopSequences"],
        "#/inferenceConfig",
    )?;
    if let Some(m) = c.get("maxTokens") {
        let n = m.as_i64().ok_or_else(|| wrong_type("an integer", m))?;
        if n < 1 {
            return Err(constraint(
                &format!("'{n}'"),
                "inferenceConfig.maxTokens",
                "Member must have value greater than or equal to 1",
            ));
        }
    }
    for field in ["temperature", "topP"] {
        if let Some(t) = c.get(field) {
            let x = t.as_f64().ok_or_else(|| wrong_type("a number", t))?;
            let rule = if x < 0.0 {
                "Member must have value greater than or equal to 0"
            } else if x > 1.0 {
                "Member must have value less than or equal to 1"
            } else {
                continue;
            };
            return Err(constraint(
                &format!("'{t}'"),
                &format!("inferenceConfig.{field}"),
                rule,
            ));
        }
    }
    if let Some(s) = c.get("stopSequences") {
        for x in list(s)? {
            string(x)?;
        }
    }
    Ok(())
}

/// `toolConfig`: `tools` (at least one; `toolSpec`, `systemTool` or `cachePoint`) and
/// `toolChoice` (`auto`, `any` or `tool {name}`). Returns the tool names.
fn tool_config(v: &Value) -> Result<Vec<String>, Invalid> {
    let c = object(v)?;
    keys(c, &["tools", "toolChoice"], "#/toolConfig")?;
    let tools = match c.get("tools") {
        None | Some(Value::Null) => return Err(required("toolConfig.tools")),
        Some(t) => list(t)?,
    };
    if tools.is_empty() {
        return Err(constraint(
            "'[]'",
            "toolConfig.tools",
            "Member must have length greater than or equal to 1",
        ));
    }
    let mut names: Vec<String> = Vec::new();
    for (i, t) in tools.iter().enumerate() {
        let at = format!("toolConfig.tools.{i}");
        let pointer = format!("#/toolConfig/tools/{i}");
        let (kind, spec) = member(
            object(t)?,
            &["toolSpec", "systemTool", "cachePoint"],
            &pointer,
            "Tool",
            &at,
        )?;
        if kind != "toolSpec" {
            object(spec)?;
            continue;
        }
        let pointer = format!("{pointer}/toolSpec");
        let at = format!("{at}.toolSpec");
        let coral = format!("toolConfig.tools.{}.member.toolSpec", i + 1);
        let s = object(spec)?;
        keys(
            s,
            &["name", "description", "inputSchema", "strict"],
            &pointer,
        )?;
        let name = match s.get("name") {
            None | Some(Value::Null) => return Err(required(&format!("{coral}.name"))),
            Some(n) => string(n)?,
        };
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
        if !name_ok {
            return Err(constraint(
                &format!("'{name}'"),
                &format!("{coral}.name"),
                "Member must satisfy regular expression pattern: ^[a-zA-Z0-9_-]{1,64}$",
            ));
        }
        if let Some(d) = s.get("description") {
            string(d)?;
        }
        if let Some(b) = s.get("strict")
            && !b.is_boolean()
        {
            return Err(wrong_type("a boolean", b));
        }
        let schema = match s.get("inputSchema") {
            None | Some(Value::Null) => return Err(required(&format!("{coral}.inputSchema"))),
            Some(x) => object(x)?,
        };
        let (_, json) = member(
            schema,
            &["json"],
            &format!("{pointer}/inputSchema"),
            "ToolInputSchema",
            &format!("{at}.inputSchema"),
        )?;
        let Some(json) = json.as_object() else {
            return Err(not_json_object(&format!("{at}.inputSchema.json")));
        };
        if json.get("type").and_then(Value::as_str) != Some("object") {
            // guessed: Anthropic's wording inside Bedrock's model-error wrapper
            return Err(model_error(&format!(
                "tools.{i}.custom.input_schema.type: Input should be 'object'"
            )));
        }
        if names.iter().any(|n| n == name) {
            // guessed: Anthropic's wording inside Bedrock's model-error wrapper
            return Err(model_error("tools: Tool names must be unique."));
        }
        names.push(name.to_string());
    }
    if let Some(choice) = c.get("toolChoice") {
        let (kind, v) = member(
            object(choice)?,
            &["auto", "any", "tool"],
            "#/toolConfig/toolChoice",
            "ToolChoice",
            "toolConfig.toolChoice",
        )?;
        let v = object(v)?;
        if kind == "tool" {
            keys(v, &["name"], "#/toolConfig/toolChoice/tool")?;
            let name = match v.get("name") {
                None | Some(Value::Null) => {
                    return Err(required("toolConfig.toolChoice.tool.name"));
                }
                Some(n) => string(n)?,
            };
            if !names.iter().any(|n| n == name) {
                // guessed wording
                return Err(validation(format!(
                    "The tool {name} in toolConfig.toolChoice is not defined in \
                     toolConfig.tools. Define the tool or choose another one, and try again."
                )));
            }
        } else {
            keys(v, &[], &format!("#/toolConfig/toolChoice/{kind}"))?;
        }
    }
    Ok(names)
}

/// `outputConfig.textFormat`: `{type: "json_schema", structure: {jsonSchema: {schema, name?,
/// description?}}}`, `schema` being a JSON object *as text* (`JsonSchemaDefinition.schema` is a
/// string).
fn output_config(v: &Value) -> Checked {
    let c = object(v)?;
    keys(c, &["textFormat"], "#/outputConfig")?;
    let Some(format) = c.get("textFormat") else {
        return Ok(());
    };
    let f = object(format)?;
    keys(f, &["type", "structure"], "#/outputConfig/textFormat")?;
    enum_member(f, "type", &["json_schema"], "outputConfig.textFormat")?;
    let structure = match f.get("structure") {
        None | Some(Value::Null) => return Err(required("outputConfig.textFormat.structure")),
        Some(s) => object(s)?,
    };
    let (_, def) = member(
        structure,
        &["jsonSchema"],
        "#/outputConfig/textFormat/structure",
        "OutputFormatStructure",
        "outputConfig.textFormat.structure",
    )?;
    let def = object(def)?;
    keys(
        def,
        &["schema", "name", "description"],
        "#/outputConfig/textFormat/structure/jsonSchema",
    )?;
    let schema = match def.get("schema") {
        None | Some(Value::Null) => {
            return Err(required(
                "outputConfig.textFormat.structure.jsonSchema.schema",
            ));
        }
        Some(s) => string(s)?,
    };
    match serde_json::from_str::<Value>(schema) {
        Ok(Value::Object(_)) => Ok(()),
        // guessed wording
        _ => Err(validation(
            "The format of the value at outputConfig.textFormat.structure.jsonSchema.schema is \
             invalid. Provide a JSON schema object as a string and try again.",
        )),
    }
}

/// The ids of the `toolUse` blocks of a message, and the `toolUseId`s of its `toolResult`s.
fn tool_ids(m: &Value, kind: &str, id: &str) -> Vec<String> {
    m["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b.get(kind)?.get(id)?.as_str().map(str::to_string))
        .collect()
}

/// Roles and tool turns across messages (their shapes were checked before).
fn conversation(messages: &[Value]) -> Checked {
    if messages[0]["role"] != "user" {
        return Err(validation(
            "A conversation must start with a user message. Try again with a conversation that \
             starts with a user message.",
        ));
    }
    for (i, pair) in messages.windows(2).enumerate() {
        if pair[0]["role"] == pair[1]["role"] {
            return Err(validation(
                "A conversation must alternate between user and assistant roles. Make sure the \
                 conversation alternates between user and assistant roles and try again.",
            ));
        }
        let (prev, cur) = (&pair[0], &pair[1]);
        let at = i + 1;
        if cur["role"] != "user" {
            continue;
        }
        let uses = tool_ids(prev, "toolUse", "toolUseId");
        let results = tool_ids(cur, "toolResult", "toolUseId");
        if results.len() > uses.len() {
            return Err(validation(format!(
                "The number of toolResult blocks at messages.{at}.content exceeds the number of \
                 toolUse blocks of previous turn."
            )));
        }
        let missing: Vec<&str> = uses
            .iter()
            .filter(|u| !results.contains(u))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(validation(format!(
                "Expected toolResult blocks at messages.{at}.content for the following Ids: {}",
                missing.join(", ")
            )));
        }
    }
    // A first user message holding results answers no tool use.
    if !tool_ids(&messages[0], "toolResult", "toolUseId").is_empty() {
        return Err(validation(
            "The number of toolResult blocks at messages.0.content exceeds the number of toolUse \
             blocks of previous turn.",
        ));
    }
    Ok(())
}
