//! The fake speaks Anthropic's Messages API: real HTTP to `/v1/messages`, refused the way the
//! real API refuses, scripted answers in the documented shapes.

use std::time::Duration;

use quarry_fake_provider::{
    ANTHROPIC_CACHE_CREATION_TOKENS, ANTHROPIC_CACHE_READ_TOKENS, ANTHROPIC_INPUT_TOKENS,
    ANTHROPIC_OUTPUT_TOKENS, FakeServer, Reply, anthropic_tool_id,
};
use serde_json::{Value, json};

const KEY: (&str, &str) = ("x-api-key", "sk-ant-test");
const VERSION: (&str, &str) = ("anthropic-version", "2023-06-01");

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

async fn send(server: &FakeServer, path: &str, headers: &[(&str, &str)], body: String) -> Answer {
    let mut req = reqwest::Client::new()
        .post(format!("http://{}{path}", server.addr()))
        .header("content-type", "application/json")
        .body(body);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let resp = req.send().await.expect("the fake answers");
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        text: resp.text().await.expect("a body"),
    }
}

async fn post(server: &FakeServer, body: &Value) -> Answer {
    send(server, "/v1/messages", &[KEY, VERSION], body.to_string()).await
}

/// The smallest valid request.
fn base() -> Value {
    json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "Extract: Ada Lovelace, 36."}],
    })
}

fn user_info_tool() -> Value {
    json!({
        "name": "UserInfo",
        "description": "Correctly extracted `UserInfo` with all the required parameters",
        "input_schema": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["name", "age"],
        },
    })
}

/// A finished tool loop: the assistant called `UserInfo`, the user answered it.
fn tool_loop(assistant: Value, result_id: &str) -> Value {
    json!([
        {"role": "user", "content": "Extract: Ada Lovelace, 36."},
        {"role": "assistant", "content": assistant},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": result_id, "content": "age must be a number", "is_error": true},
        ]},
    ])
}

fn with(mut body: Value, edit: impl FnOnce(&mut Value)) -> Value {
    edit(&mut body);
    body
}

/// Two scripted answers; a refused request must leave the first one queued.
async fn scripted() -> FakeServer {
    FakeServer::start(vec![
        Reply::anthropic_text("first"),
        Reply::anthropic_text("second"),
    ])
    .await
    .unwrap()
}

/// `body` sent with `headers` is refused with `status`, `kind` and `message`, the refusal is
/// recorded, and the scripted answer is still the first one afterwards.
async fn refused(headers: &[(&str, &str)], body: &Value, status: u16, kind: &str, message: &str) {
    let server = scripted().await;
    let a = send(&server, "/v1/messages", headers, body.to_string()).await;
    assert_eq!(a.status, status, "{body}\n→ {}", a.text);
    let v = a.json();
    assert_eq!(v["type"], "error", "{v}");
    assert_eq!(v["error"]["type"], kind, "{v}");
    assert_eq!(v["error"]["message"], message, "{body}");
    assert!(v["request_id"].as_str().unwrap().starts_with("req_"));
    assert_eq!(
        server.requests().len(),
        1,
        "the refused request is recorded"
    );
    let ok = post(&server, &base()).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        ok.json()["content"][0]["text"],
        "first",
        "the refusal did not consume the script"
    );
}

async fn invalid(body: &Value, message: &str) {
    refused(&[KEY, VERSION], body, 400, "invalid_request_error", message).await;
}

async fn accepted(headers: &[(&str, &str)], body: &Value) {
    let server = scripted().await;
    let a = send(&server, "/v1/messages", headers, body.to_string()).await;
    assert_eq!(a.status, 200, "{body}\n→ {}", a.text);
    assert_eq!(a.json()["content"][0]["text"], "first");
}

#[tokio::test]
async fn headers_are_required() {
    let body = base();
    refused(
        &[VERSION],
        &body,
        401,
        "authentication_error",
        "x-api-key header is required",
    )
    .await;
    refused(
        &[("x-api-key", ""), VERSION],
        &body,
        401,
        "authentication_error",
        "x-api-key header is required",
    )
    .await;
    refused(
        &[KEY, ("authorization", "Bearer sk-ant-oat01-x"), VERSION],
        &body,
        401,
        "authentication_error",
        "Both `x-api-key` and `Authorization: Bearer` were sent; send only one of them.",
    )
    .await;
    refused(
        &[KEY],
        &body,
        400,
        "invalid_request_error",
        "anthropic-version: header is required",
    )
    .await;
    refused(
        &[KEY, ("anthropic-version", "2024-01-01")],
        &body,
        400,
        "invalid_request_error",
        "anthropic-version: \"2024-01-01\" is not a valid version",
    )
    .await;
    // OAuth bearer tokens are accepted instead of a key.
    accepted(
        &[("authorization", "Bearer sk-ant-oat01-x"), VERSION],
        &body,
    )
    .await;
    accepted(&[KEY, VERSION], &body).await;
}

#[tokio::test]
async fn body_shape() {
    let server = scripted().await;
    let a = send(&server, "/v1/messages", &[KEY, VERSION], "{not json".into()).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["error"]["type"], "invalid_request_error");

    let without = |field: &str| with(base(), |b| drop(b.as_object_mut().unwrap().remove(field)));
    invalid(&without("model"), "model: Field required").await;
    invalid(&without("max_tokens"), "max_tokens: Field required").await;
    invalid(&without("messages"), "messages: Field required").await;
    invalid(
        &with(base(), |b| b["max_tokens"] = json!(0)),
        "max_tokens: Input should be greater than or equal to 1",
    )
    .await;
    invalid(
        &with(base(), |b| b["max_tokens"] = json!("1024")),
        "max_tokens: Input should be a valid integer",
    )
    .await;
    invalid(
        &with(base(), |b| b["messages"] = json!([])),
        "messages: at least one message is required",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["response_format"] = json!({"type": "json_object"})
        }),
        "response_format: Extra inputs are not permitted",
    )
    .await;
    invalid(
        &with(base(), |b| b["temperature"] = json!(1.5)),
        "temperature: Input should be less than or equal to 1",
    )
    .await;
    invalid(
        &with(base(), |b| b["stream"] = json!("yes")),
        "stream: Input should be a valid boolean",
    )
    .await;
    invalid(
        &with(base(), |b| b["metadata"] = json!({"session": "x"})),
        "metadata.session: Extra inputs are not permitted",
    )
    .await;
    // Every documented optional field is accepted.
    accepted(
        &[KEY, VERSION],
        &with(base(), |b| {
            b["system"] = json!([{"type": "text", "text": "Extract.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]);
            b["metadata"] = json!({"user_id": "u-1"});
            b["stop_sequences"] = json!(["\n\nHuman:"]);
            b["temperature"] = json!(0.2);
            b["top_p"] = json!(0.9);
            b["top_k"] = json!(40);
            b["stream"] = json!(false);
            b["cache_control"] = json!({"type": "ephemeral"});
        }),
    )
    .await;
}

#[tokio::test]
async fn message_roles_and_content() {
    invalid(
        &with(base(), |b| {
            b["messages"] = json!([
                {"role": "system", "content": "Extract."},
                {"role": "user", "content": "Ada, 36"},
            ])
        }),
        "messages: Unexpected role \"system\". The Messages API accepts a top-level `system` \
         parameter, not \"system\" as an input message role.",
    )
    .await;
    invalid(
        &with(base(), |b| b["messages"][0]["role"] = json!("tool")),
        "messages.0.role: Input should be 'user' or 'assistant'",
    )
    .await;
    invalid(
        &with(base(), |b| b["messages"][0]["name"] = json!("ada")),
        "messages.0.name: Extra inputs are not permitted",
    )
    .await;
    invalid(
        &with(base(), |b| b["messages"][0]["content"] = json!("")),
        "messages.0: all messages must have non-empty content except for the optional final \
         assistant message",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"][0]["content"] = json!([{"type": "text", "text": ""}])
        }),
        "messages: text content blocks must be non-empty",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"] = json!([
                {"role": "user", "content": "Ada, 36"},
                {"role": "assistant", "content": "{\"name\": "},
            ])
        }),
        "messages: final assistant content cannot end with trailing whitespace",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"][0]["content"] = json!([{"type": "input_text", "text": "hi"}])
        }),
        "messages.0.content.0: Input tag 'input_text' found using 'type' does not match any of \
         the expected tags: 'text', 'image', 'document', 'search_result', 'thinking', \
         'redacted_thinking', 'tool_use', 'tool_result', 'server_tool_use', \
         'web_search_tool_result', 'web_fetch_tool_result', 'code_execution_tool_result', \
         'bash_code_execution_tool_result', 'text_editor_code_execution_tool_result', \
         'tool_search_tool_result', 'container_upload'",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"][0]["content"] = json!([{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral", "scope": "global"}}])
        }),
        "messages.0.content.0.text.cache_control.ephemeral.scope: Extra inputs are not permitted",
    )
    .await;
    // A prefill (final assistant message) is fine, empty or not.
    accepted(
        &[KEY, VERSION],
        &with(base(), |b| {
            b["messages"] = json!([
                {"role": "user", "content": "Ada, 36"},
                {"role": "assistant", "content": "{\"name\":"},
            ])
        }),
    )
    .await;
}

#[tokio::test]
async fn images_and_documents() {
    let image = |source: Value| {
        with(
            base(),
            |b| {
                b["messages"][0]["content"] =
                    json!([{"type": "image", "source": source}, {"type": "text", "text": "Who?"}])
            },
        )
    };
    accepted(
        &[KEY, VERSION],
        &image(json!({"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="})),
    )
    .await;
    accepted(
        &[KEY, VERSION],
        &image(json!({"type": "url", "url": "https://example.com/a.jpg"})),
    )
    .await;
    invalid(
        &image(json!({"type": "base64", "media_type": "image/bmp", "data": "Qk0="})),
        "messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg', \
         'image/png', 'image/gif' or 'image/webp'",
    )
    .await;
    invalid(
        &image(json!({"type": "base64", "media_type": "image/png"})),
        "messages.0.content.0.image.source.base64.data: Field required",
    )
    .await;
    invalid(
        &image(json!({"type": "file", "file_id": "file_1"})),
        "messages.0.content.0.image.source: Input tag 'file' found using 'type' does not match \
         any of the expected tags: 'base64', 'url'",
    )
    .await;
    let document = |source: Value| {
        with(
            base(),
            |b| b["messages"][0]["content"] = json!([{"type": "document", "source": source}, {"type": "text", "text": "Sum up."}]),
        )
    };
    accepted(
        &[KEY, VERSION],
        &document(json!({"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="})),
    )
    .await;
    accepted(
        &[KEY, VERSION],
        &document(json!({"type": "text", "media_type": "text/plain", "data": "Ada, 36"})),
    )
    .await;
    invalid(
        &document(json!({"type": "base64", "media_type": "text/plain", "data": "QWRh"})),
        "messages.0.content.0.document.source.base64.media_type: Input should be \
         'application/pdf'",
    )
    .await;
}

#[tokio::test]
async fn tool_use_and_tool_result_pairing() {
    let call = json!([{"type": "tool_use", "id": "toolu_1", "name": "UserInfo", "input": {"name": "Ada"}}]);
    let with_tools = |messages: Value| {
        with(base(), |b| {
            b["tools"] = json!([user_info_tool()]);
            b["messages"] = messages;
        })
    };
    // A complete loop, and a re-ask with text after the results.
    accepted(
        &[KEY, VERSION],
        &with_tools(tool_loop(call.clone(), "toolu_1")),
    )
    .await;
    let mut reask = tool_loop(call.clone(), "toolu_1");
    reask[2]["content"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "text", "text": "Fix the errors."}));
    accepted(&[KEY, VERSION], &with_tools(reask)).await;
    // The conversation may end with the assistant's call (nothing after it to check).
    accepted(
        &[KEY, VERSION],
        &with_tools(json!([
            {"role": "user", "content": "Ada, 36"},
            {"role": "assistant", "content": call.clone()},
        ])),
    )
    .await;

    invalid(
        &with_tools(tool_loop(call.clone(), "toolu_2")),
        "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_2. \
         Each `tool_result` block must have a corresponding `tool_use` block in the previous \
         message.",
    )
    .await;
    // Answered with text instead of a result.
    invalid(
        &with_tools(json!([
            {"role": "user", "content": "Ada, 36"},
            {"role": "assistant", "content": call.clone()},
            {"role": "user", "content": "age must be a number"},
        ])),
        "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: \
         toolu_1. Each `tool_use` block must have a corresponding `tool_result` block in the \
         next message.",
    )
    .await;
    // Results must come first in the next message.
    invalid(
        &with_tools(json!([
            {"role": "user", "content": "Ada, 36"},
            {"role": "assistant", "content": call.clone()},
            {"role": "user", "content": [
                {"type": "text", "text": "Here:"},
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"},
            ]},
        ])),
        "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: \
         toolu_1. Each `tool_use` block must have a corresponding `tool_result` block in the \
         next message.",
    )
    .await;
    // Parallel calls: every one needs its result.
    let two = json!([
        {"type": "tool_use", "id": "toolu_a", "name": "UserInfo", "input": {}},
        {"type": "tool_use", "id": "toolu_b", "name": "UserInfo", "input": {}},
    ]);
    invalid(
        &with_tools(tool_loop(two, "toolu_a")),
        "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: \
         toolu_b. Each `tool_use` block must have a corresponding `tool_result` block in the \
         next message.",
    )
    .await;
    // A result with nothing asked before it.
    invalid(
        &with_tools(json!([{"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_9", "content": "x"}
        ]}])),
        "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9. \
         Each `tool_result` block must have a corresponding `tool_use` block in the previous \
         message.",
    )
    .await;
    invalid(
        &with_tools(tool_loop(
            json!([{"type": "tool_use", "id": "toolu_1", "name": "UserInfo", "input": "{\"name\": \"Ada\"}"}]),
            "toolu_1",
        )),
        "messages.1.content.0.tool_use.input: Input should be a valid dictionary",
    )
    .await;
    invalid(
        &with_tools(tool_loop(
            json!([{"type": "tool_use", "id": "toolu_1", "name": "UserInfo"}]),
            "toolu_1",
        )),
        "messages.1.content.0.tool_use.input: Field required",
    )
    .await;
    invalid(
        &with_tools(tool_loop(
            json!([{"type": "tool_use", "id": "toolu_1", "name": "UserInfo", "input": {}, "text": ""}]),
            "toolu_1",
        )),
        "messages.1.content.0.tool_use.text: Extra inputs are not permitted",
    )
    .await;
    invalid(
        &with_tools(
            json!([{"role": "user", "content": [{"type": "tool_result", "content": "x"}]}]),
        ),
        "messages.0.content.0.tool_result.tool_use_id: Field required",
    )
    .await;
    invalid(
        &with_tools(tool_loop(
            json!([{"type": "thinking", "thinking": "Hmm."}, {"type": "tool_use", "id": "toolu_1", "name": "UserInfo", "input": {}}]),
            "toolu_1",
        )),
        "messages.1.content.0.thinking.signature: Field required",
    )
    .await;
}

#[tokio::test]
async fn tools_and_tool_choice() {
    let tools = |list: Value| with(base(), |b| b["tools"] = list);
    accepted(&[KEY, VERSION], &tools(json!([user_info_tool()]))).await;
    accepted(
        &[KEY, VERSION],
        &tools(json!([user_info_tool(), {"type": "web_search_20250305", "name": "web_search"}])),
    )
    .await;
    invalid(
        &tools(json!([
            with(user_info_tool(), |t| t["name"] = json!("user.info"))
        ])),
        "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
    )
    .await;
    invalid(
        &tools(json!([
            with(user_info_tool(), |t| t["name"] = json!("x".repeat(129)))
        ])),
        "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'",
    )
    .await;
    accepted(
        &[KEY, VERSION],
        &tools(json!([
            with(user_info_tool(), |t| t["name"] = json!("x".repeat(128)))
        ])),
    )
    .await;
    invalid(
        &tools(json!([with(
            user_info_tool(),
            |t| t["input_schema"]["type"] = json!("array")
        )])),
        "tools.0.custom.input_schema.type: Input should be 'object'",
    )
    .await;
    invalid(
        &tools(json!([with(user_info_tool(), |t| drop(
            t.as_object_mut().unwrap().remove("input_schema")
        ))])),
        "tools.0.custom.input_schema: Field required",
    )
    .await;
    invalid(
        &tools(json!([{"type": "function", "function": {"name": "UserInfo", "parameters": {}}}])),
        "tools.0: Input tag 'function' found using 'type' does not match any of the expected \
         tags: 'custom'",
    )
    .await;
    invalid(
        &tools(json!([user_info_tool(), user_info_tool()])),
        "tools: Tool names must be unique.",
    )
    .await;
    invalid(
        &tools(json!([
            with(user_info_tool(), |t| t["strict"] = json!(true))
        ])),
        "tools.0.custom.input_schema: For 'object' type, 'additionalProperties' must be \
         explicitly set to false",
    )
    .await;

    let choice = |c: Value| {
        with(base(), |b| {
            b["tools"] = json!([user_info_tool()]);
            b["tool_choice"] = c;
        })
    };
    for c in [
        json!({"type": "auto"}),
        json!({"type": "any", "disable_parallel_tool_use": true}),
        json!({"type": "tool", "name": "UserInfo"}),
        json!({"type": "none"}),
    ] {
        accepted(&[KEY, VERSION], &choice(c)).await;
    }
    invalid(
        &choice(json!({"type": "required"})),
        "tool_choice: Input tag 'required' found using 'type' does not match any of the expected \
         tags: 'auto', 'any', 'tool', 'none'",
    )
    .await;
    invalid(
        &choice(json!({"type": "tool"})),
        "tool_choice.tool.name: Field required",
    )
    .await;
    invalid(
        &choice(json!({"type": "tool", "name": "Other"})),
        "tool_choice.tool.name: Tool 'Other' not found in the provided tools",
    )
    .await;
    invalid(
        &with(base(), |b| b["tool_choice"] = json!({"type": "auto"})),
        "tool_choice: tool_choice may only be specified while providing tools.",
    )
    .await;
    invalid(
        &choice(Value::Null),
        "tool_choice: Input should be a valid dictionary",
    )
    .await;
}

#[tokio::test]
async fn thinking_rules() {
    let thinking = |budget: u64, max: u64| {
        with(base(), |b| {
            b["max_tokens"] = json!(max);
            b["thinking"] = json!({"type": "enabled", "budget_tokens": budget});
        })
    };
    accepted(&[KEY, VERSION], &thinking(1024, 2048)).await;
    invalid(
        &thinking(1000, 2048),
        "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
    )
    .await;
    invalid(
        &thinking(2048, 2048),
        "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our \
         documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking\
         #max-tokens-and-context-window-size",
    )
    .await;
    invalid(
        &with(thinking(1024, 4096), |b| {
            b["thinking"] = json!({"type": "sometimes"})
        }),
        "thinking: Input tag 'sometimes' found using 'type' does not match any of the expected \
         tags: 'enabled', 'disabled', 'adaptive'",
    )
    .await;
    let forced = |c: Value| {
        with(thinking(1024, 4096), |b| {
            b["tools"] = json!([user_info_tool()]);
            b["tool_choice"] = c;
        })
    };
    for c in [
        json!({"type": "any"}),
        json!({"type": "tool", "name": "UserInfo"}),
    ] {
        invalid(
            &forced(c),
            "Thinking may not be enabled when tool_choice forces tool use.",
        )
        .await;
    }
    accepted(&[KEY, VERSION], &forced(json!({"type": "auto"}))).await;
    invalid(
        &with(base(), |b| {
            b["thinking"] = json!({"type": "adaptive"});
            b["tools"] = json!([user_info_tool()]);
            b["tool_choice"] = json!({"type": "any"});
        }),
        "Thinking may not be enabled when tool_choice forces tool use.",
    )
    .await;
    let temperature = "`temperature` may only be set to 1 when thinking is enabled or in \
                       adaptive mode. Please consult our documentation at \
                       https://platform.claude.com/docs/en/build-with-claude/extended-thinking";
    invalid(
        &with(thinking(1024, 4096), |b| b["temperature"] = json!(0.0)),
        temperature,
    )
    .await;
    accepted(
        &[KEY, VERSION],
        &with(thinking(1024, 4096), |b| b["temperature"] = json!(1)),
    )
    .await;

    // The last assistant turn of a tool loop starts with its thinking block.
    let tool_call = json!({"type": "tool_use", "id": "toolu_1", "name": "UserInfo", "input": {}});
    let looped = |assistant: Value| {
        with(thinking(1024, 4096), |b| {
            b["tools"] = json!([user_info_tool()]);
            b["messages"] = tool_loop(assistant, "toolu_1");
        })
    };
    invalid(
        &looped(json!([tool_call.clone()])),
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found \
         `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a \
         thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). \
         We recommend you include thinking blocks from previous turns. To avoid this \
         requirement, disable `thinking`. Please consult our documentation at \
         https://docs.claude.com/en/docs/build-with-claude/extended-thinking",
    )
    .await;
    accepted(
        &[KEY, VERSION],
        &looped(json!([
            {"type": "thinking", "thinking": "Age is 36.", "signature": "EqQBCgIYAhIM"},
            tool_call.clone(),
        ])),
    )
    .await;
    accepted(
        &[KEY, VERSION],
        &looped(json!([{"type": "redacted_thinking", "data": "EmwKAhgB"}, tool_call.clone()])),
    )
    .await;
    // Without thinking, a final assistant message may not carry thinking.
    invalid(
        &with(base(), |b| {
            b["messages"] = json!([
                {"role": "user", "content": "Ada, 36"},
                {"role": "assistant", "content": [{"type": "thinking", "thinking": "Hm.", "signature": "sig"}]},
            ])
        }),
        "messages.1.content.0: When thinking is disabled, an `assistant` message in the final \
         position cannot contain `thinking`. To use thinking blocks, enable `thinking` in your \
         request.",
    )
    .await;
}

fn user_info_schema(closed: Option<Value>) -> Value {
    let mut s = json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "age": {"type": "integer"},
            "address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false},
        },
        "required": ["name", "age", "address"],
    });
    if let Some(c) = closed {
        s["additionalProperties"] = c;
    }
    s
}

#[tokio::test]
async fn structured_outputs() {
    let config = |schema: Value| {
        with(base(), |b| {
            b["output_config"] = json!({"format": {"type": "json_schema", "schema": schema}})
        })
    };
    accepted(
        &[KEY, VERSION],
        &config(user_info_schema(Some(json!(false)))),
    )
    .await;
    invalid(
        &config(user_info_schema(None)),
        "output_config.format.schema: For 'object' type, 'additionalProperties' must be \
         explicitly set to false",
    )
    .await;
    invalid(
        &config(user_info_schema(Some(json!(true)))),
        "output_config.format.schema: For 'object' type, 'additionalProperties: true' is not \
         supported. Please set 'additionalProperties' to false",
    )
    .await;
    // Nested objects too (in `$defs`, through `anyOf`).
    let nested = json!({
        "type": "object", "additionalProperties": false,
        "properties": {"pet": {"anyOf": [{"$ref": "#/$defs/Pet"}, {"type": "null"}]}},
        "required": ["pet"],
        "$defs": {"Pet": {"type": "object", "properties": {"kind": {"type": "string"}}}},
    });
    invalid(
        &config(nested),
        "output_config.format.schema: For 'object' type, 'additionalProperties' must be \
         explicitly set to false",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["output_config"] = json!({"format": {"type": "json_object"}})
        }),
        "output_config.format.type: Input should be 'json_schema'",
    )
    .await;
    accepted(
        &[KEY, VERSION],
        &with(base(), |b| b["output_config"] = json!({"effort": "high"})),
    )
    .await;

    // The beta `output_format` needs its beta header.
    let beta = with(
        base(),
        |b| {
            b["output_format"] =
                json!({"type": "json_schema", "schema": user_info_schema(Some(json!(false)))})
        },
    );
    invalid(&beta, "output_format: Extra inputs are not permitted").await;
    for header in [
        "structured-outputs-2025-11-13",
        "structured-outputs-2025-12-15",
    ] {
        accepted(
            &[
                KEY,
                VERSION,
                (
                    "anthropic-beta",
                    &format!("interleaved-thinking-2025-05-14, {header}"),
                ),
            ],
            &beta,
        )
        .await;
    }
    refused(
        &[
            KEY,
            VERSION,
            ("anthropic-beta", "structured-outputs-2025-11-13"),
        ],
        &with(
            base(),
            |b| {
                b["output_format"] =
                    json!({"type": "json_schema", "schema": user_info_schema(None)})
            },
        ),
        400,
        "invalid_request_error",
        "output_format.schema: For 'object' type, 'additionalProperties' must be explicitly set \
         to false",
    )
    .await;
}

#[tokio::test]
async fn other_paths() {
    let server = scripted().await;
    // Another Anthropic path: not found, script untouched.
    let a = send(&server, "/v1/complete", &[KEY, VERSION], "{}".into()).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.json()["error"]["type"], "not_found_error");
    // OpenAI paths are not checked: no key, no version, any body.
    let a = send(&server, "/v1/chat/completions", &[], "{}".into()).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["content"][0]["text"], "first");
    // A prefix before /v1 (a gateway) is still the Messages API.
    let a = send(
        &server,
        "/anthropic/v1/messages",
        &[VERSION],
        base().to_string(),
    )
    .await;
    assert_eq!(a.status, 401);
    let a = send(
        &server,
        "/anthropic/v1/messages?beta=true",
        &[KEY, VERSION],
        base().to_string(),
    )
    .await;
    assert_eq!(a.json()["content"][0]["text"], "second");
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn answers_have_the_documented_shape() {
    let input = json!({"name": "Ada Lovelace", "age": 36});
    let server = FakeServer::start(vec![
        Reply::anthropic_tool_use("UserInfo", input.clone()),
        Reply::anthropic_tool_uses(&[
            ("UserInfo", input.clone()),
            ("UserInfo", json!({"name": "Grace", "age": 85})),
        ]),
        Reply::anthropic_thinking_tool_use("Ada is 36.", "EqQBsig", "UserInfo", input.clone()),
        Reply::anthropic_max_tokens("{\"name\": \"Ada"),
        Reply::anthropic_refusal(""),
        Reply::anthropic_error(529, "overloaded_error", "Overloaded"),
        Reply::anthropic_rate_limited("7"),
        Reply::anthropic_error(500, "api_error", "Internal server error"),
    ])
    .await
    .unwrap();
    let body = with(base(), |b| b["tools"] = json!([user_info_tool()]));

    let v = post(&server, &body).await.json();
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert!(v["id"].as_str().unwrap().starts_with("msg_"));
    assert!(v["model"].as_str().unwrap().starts_with("claude-"));
    assert_eq!(v["stop_reason"], "tool_use");
    assert_eq!(v["stop_sequence"], Value::Null);
    assert_eq!(
        v["content"],
        json!([{"type": "tool_use", "id": anthropic_tool_id(0), "name": "UserInfo", "input": input}])
    );
    assert_eq!(
        v["usage"],
        json!({
            "input_tokens": ANTHROPIC_INPUT_TOKENS,
            "cache_creation_input_tokens": ANTHROPIC_CACHE_CREATION_TOKENS,
            "cache_read_input_tokens": ANTHROPIC_CACHE_READ_TOKENS,
            "output_tokens": ANTHROPIC_OUTPUT_TOKENS,
        })
    );
    assert_eq!(v["usage"]["input_tokens"], 50);
    assert_eq!(v["usage"]["output_tokens"], 10);
    assert_eq!(v["usage"]["cache_read_input_tokens"], 20);
    assert_eq!(v["usage"]["cache_creation_input_tokens"], 5);

    let v = post(&server, &body).await.json();
    assert_eq!(v["content"][1]["id"], "toolu_fake_1");
    assert_eq!(v["content"][1]["input"]["name"], "Grace");

    let v = post(&server, &body).await.json();
    assert_eq!(
        v["content"][0],
        json!({"type": "thinking", "thinking": "Ada is 36.", "signature": "EqQBsig"})
    );
    assert_eq!(v["content"][1]["type"], "tool_use");

    let v = post(&server, &body).await.json();
    assert_eq!(v["stop_reason"], "max_tokens");
    assert_eq!(v["content"][0]["text"], "{\"name\": \"Ada");

    let v = post(&server, &body).await.json();
    assert_eq!(v["stop_reason"], "refusal");
    assert_eq!(v["content"], json!([]));
    assert_eq!(v["stop_details"]["type"], "refusal");

    let a = post(&server, &body).await;
    assert_eq!(a.status, 529);
    assert_eq!(
        a.json(),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"},
               "request_id": quarry_fake_provider::ANTHROPIC_REQUEST_ID})
    );
    let a = post(&server, &body).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.json()["error"]["type"], "rate_limit_error");
    assert_eq!(a.headers["retry-after"], "7");
    let a = post(&server, &body).await;
    assert_eq!(a.status, 500);
    assert_eq!(a.json()["error"]["type"], "api_error");
}

/// An SSE text split into `(event name, data)` pairs, each event name checked against its
/// data's `type`.
fn events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let mut lines = e.lines();
            let name = lines
                .next()
                .and_then(|l| l.strip_prefix("event: "))
                .unwrap_or_else(|| panic!("no event line in {e:?}"));
            let data = lines
                .next()
                .and_then(|l| l.strip_prefix("data: "))
                .unwrap_or_else(|| panic!("no data line in {e:?}"));
            assert!(lines.next().is_none(), "one data line per event: {e:?}");
            let data: Value = serde_json::from_str(data).unwrap();
            assert_eq!(data["type"], name, "event name is the data's type");
            (name.to_string(), data)
        })
        .collect()
}

fn names(evs: &[(String, Value)]) -> Vec<&str> {
    evs.iter().map(|(n, _)| n.as_str()).collect()
}

/// The concatenated deltas of block `index`, by delta field.
fn joined(evs: &[(String, Value)], index: u64, field: &str) -> String {
    evs.iter()
        .filter(|(n, d)| n == "content_block_delta" && d["index"] == index)
        .filter_map(|(_, d)| d["delta"][field].as_str())
        .collect()
}

async fn stream_text(reply: Reply) -> (Answer, Vec<(String, Value)>) {
    let server = FakeServer::start(vec![reply]).await.unwrap();
    let a = post(&server, &with(base(), |b| b["stream"] = json!(true))).await;
    let evs = events(&a.text);
    (a, evs)
}

#[tokio::test]
async fn streamed_tool_use() {
    let args = r#"{"name": "Ada Lovelace", "age": 36}"#;
    let (a, evs) = stream_text(Reply::anthropic_stream_tool_use("UserInfo", args, 8)).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.headers["content-type"], "text/event-stream");
    let n = args.chars().count().div_ceil(8);
    let mut expected = vec!["message_start", "content_block_start", "ping"];
    expected.extend(std::iter::repeat_n("content_block_delta", n + 1));
    expected.extend(["content_block_stop", "message_delta", "message_stop"]);
    assert_eq!(names(&evs), expected);

    let start = &evs[0].1["message"];
    assert_eq!(start["content"], json!([]));
    assert_eq!(start["stop_reason"], Value::Null);
    assert_eq!(start["usage"]["input_tokens"], 50);
    assert_eq!(start["usage"]["cache_read_input_tokens"], 20);
    assert_eq!(start["usage"]["cache_creation_input_tokens"], 5);
    assert_eq!(start["usage"]["output_tokens"], 1);
    assert_eq!(
        evs[1].1["content_block"],
        json!({"type": "tool_use", "id": "toolu_fake_0", "name": "UserInfo", "input": {}})
    );
    assert_eq!(
        evs[3].1["delta"],
        json!({"type": "input_json_delta", "partial_json": ""})
    );
    assert_eq!(joined(&evs, 0, "partial_json"), args);
    let delta = &evs[evs.len() - 2].1;
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(delta["usage"]["output_tokens"], 10);
}

#[tokio::test]
async fn streamed_text_and_thinking() {
    let text = "```json\n{\"name\": \"Ada\", \"age\": 36}\n``` 🧮";
    let (_, evs) = stream_text(Reply::anthropic_stream_text(text, 5)).await;
    assert_eq!(
        evs[1].1["content_block"],
        json!({"type": "text", "text": ""})
    );
    assert_eq!(joined(&evs, 0, "text"), text);
    assert_eq!(evs[evs.len() - 2].1["delta"]["stop_reason"], "end_turn");

    let args = r#"{"name": "Ada", "age": 36}"#;
    let (_, evs) = stream_text(Reply::anthropic_stream_thinking_tool_use(
        "The user is Ada; 36 years.",
        "EqQBCgIYAhIMsig==",
        "UserInfo",
        args,
        6,
    ))
    .await;
    assert_eq!(
        evs[1].1["content_block"],
        json!({"type": "thinking", "thinking": "", "signature": ""})
    );
    assert_eq!(joined(&evs, 0, "thinking"), "The user is Ada; 36 years.");
    assert_eq!(joined(&evs, 0, "signature"), "EqQBCgIYAhIMsig==");
    let starts: Vec<&Value> = evs
        .iter()
        .filter(|(n, _)| n == "content_block_start")
        .map(|(_, d)| &d["content_block"]["type"])
        .collect();
    assert_eq!(starts, [&json!("thinking"), &json!("tool_use")]);
    assert_eq!(joined(&evs, 1, "partial_json"), args);
    assert_eq!(names(&evs).iter().filter(|n| **n == "ping").count(), 1);
    assert_eq!(names(&evs).last(), Some(&"message_stop"));
}

#[tokio::test]
async fn streams_cut_fail_pace_and_rechunk() {
    let args = r#"{"name": "Ada", "age": 36}"#;
    let whole = Reply::anthropic_stream_tool_use("UserInfo", args, 4);
    let (full, _) = stream_text(whole.clone()).await;

    let (_, evs) = stream_text(whole.clone().cut_after(5)).await;
    assert_eq!(evs.len(), 5);
    assert!(!names(&evs).contains(&"message_stop"));

    let (_, evs) = stream_text(whole.clone().anthropic_error_after(
        5,
        "overloaded_error",
        "Overloaded",
    ))
    .await;
    assert_eq!(evs.len(), 6);
    assert_eq!(
        evs[5].1,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );

    let (a, _) = stream_text(whole.clone().rechunked(3)).await;
    assert_eq!(a.text, full.text, "re-cut on the wire, same bytes");

    let started = std::time::Instant::now();
    let (a, _) = stream_text(whole.paced(Duration::from_millis(5))).await;
    assert_eq!(a.text, full.text);
    assert!(started.elapsed() >= Duration::from_millis(50));
}

#[tokio::test]
async fn script_forms() {
    let spec = |v: Value| Reply::from_spec(&v).unwrap();
    let body = |r: Reply| match r {
        Reply::Json { body, .. } => body,
        other => panic!("not JSON: {other:?}"),
    };
    let events = |r: Reply| match r {
        Reply::Stream(s) => s,
        other => panic!("not a stream: {other:?}"),
    };

    let v = body(spec(
        json!({"anthropic_tool_use": {"name": "UserInfo", "arguments": "{\"name\": \"Ada\", \"age\": 36}"}}),
    ));
    assert_eq!(v["content"][0]["input"], json!({"name": "Ada", "age": 36}));
    let v = body(spec(
        json!({"anthropic_tool_use": {"name": "UserInfo", "arguments": {"name": "Ada"}}}),
    ));
    assert_eq!(v["content"][0]["input"], json!({"name": "Ada"}));
    assert_eq!(v["stop_reason"], "tool_use");

    let v = body(spec(json!({"anthropic_text": "Hello"})));
    assert_eq!(v["content"][0], json!({"type": "text", "text": "Hello"}));

    let s = events(spec(
        json!({"anthropic_stream_tool_use": {"name": "UserInfo", "arguments": "{\"a\": 1}", "chunk": 2, "pace_ms": 3}}),
    ));
    assert_eq!(s.pace, Some(Duration::from_millis(3)));
    let evs = events_of(&s.events.concat());
    assert_eq!(joined(&evs, 0, "partial_json"), "{\"a\": 1}");
    assert_eq!(
        evs.iter()
            .filter(|(n, _)| n == "content_block_delta")
            .count(),
        1 + 4
    );

    let s = events(spec(
        json!({"anthropic_stream_text": {"text": "Hello there"}}),
    ));
    assert_eq!(s.pace, None);
    assert_eq!(
        joined(&events_of(&s.events.concat()), 0, "text"),
        "Hello there"
    );

    match spec(
        json!({"anthropic_error": {"status": 429, "type": "rate_limit_error", "message": "Slow down", "retry_after": "3"}}),
    ) {
        Reply::Json {
            status,
            body,
            headers,
        } => {
            assert_eq!(status, 429);
            assert_eq!(
                body["error"],
                json!({"type": "rate_limit_error", "message": "Slow down"})
            );
            assert!(headers.contains(&("retry-after".into(), "3".into())));
        }
        other => panic!("{other:?}"),
    }
    // Through a delay too.
    assert!(matches!(
        spec(json!({"delay_ms": 5, "then": {"anthropic_text": "late"}})),
        Reply::Delay(_, _)
    ));
    assert!(Reply::from_spec(&json!({"anthropic_tool_use": {"name": "X"}})).is_err());
    assert!(Reply::from_spec(&json!({"anthropic_text": 3})).is_err());
}

fn events_of(text: &str) -> Vec<(String, Value)> {
    events(text)
}

/// The recorded-shape fixtures are well-formed Anthropic streams.
#[test]
fn fixtures_are_well_formed() {
    let dir = format!("{}/../fixtures/sse", env!("CARGO_MANIFEST_DIR"));
    for (file, ends_in_error) in [
        ("anthropic_tools.sse", false),
        ("anthropic_text_json.sse", false),
        ("anthropic_thinking_tools.sse", false),
        ("anthropic_error_midstream.sse", true),
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        assert!(text.ends_with("\n\n"), "{file} ends its last event");
        let evs = events(&text);
        assert_eq!(evs[0].0, "message_start", "{file}");
        let usage = &evs[0].1["message"]["usage"];
        assert!(
            usage["input_tokens"].is_u64() && usage["output_tokens"].is_u64(),
            "{file}"
        );
        let mut open: Option<u64> = None;
        let mut kinds = Vec::new();
        for (name, d) in &evs {
            match name.as_str() {
                "content_block_start" => {
                    assert!(open.is_none(), "{file}: blocks do not overlap");
                    assert_eq!(d["index"], kinds.len() as u64, "{file}");
                    open = d["index"].as_u64();
                    kinds.push(d["content_block"]["type"].as_str().unwrap().to_string());
                }
                "content_block_delta" => assert_eq!(d["index"].as_u64(), open, "{file}"),
                "content_block_stop" => {
                    assert_eq!(d["index"].as_u64(), open, "{file}");
                    open = None;
                }
                _ => {}
            }
        }
        for (i, kind) in kinds.iter().enumerate() {
            if kind == "tool_use" && !ends_in_error {
                let input = joined(&evs, i as u64, "partial_json");
                let input: Value = serde_json::from_str(&input).unwrap();
                assert!(
                    input["name"].is_string() && input["age"].is_u64(),
                    "{file}: {input}"
                );
            }
        }
        if ends_in_error {
            let (name, d) = evs.last().unwrap();
            assert_eq!(name, "error", "{file}");
            assert_eq!(d["error"]["type"], "overloaded_error");
            assert!(!names(&evs).contains(&"message_stop"));
        } else {
            let n = names(&evs);
            assert_eq!(
                &n[n.len() - 2..],
                ["message_delta", "message_stop"],
                "{file}"
            );
        }
    }
}
