//! The fake speaks Cohere's v2 Chat API: real HTTP to `/v2/chat`, refused the way the real API
//! refuses, scripted answers in the documented shapes.

use std::time::Duration;

use quarry_fake_provider::{
    COHERE_BILLED_INPUT_TOKENS, COHERE_BILLED_OUTPUT_TOKENS, COHERE_CACHED_TOKENS, COHERE_ERROR_ID,
    COHERE_INPUT_TOKENS, COHERE_OUTPUT_TOKENS, COHERE_RESPONSE_ID, COHERE_TOOL_PLAN,
    COHERE_TRIAL_RATE_LIMIT, FakeServer, Reply, cohere_tool_id,
};
use serde_json::{Value, json};

const KEY: (&str, &str) = ("authorization", "Bearer co-test-key");
const DOCS: &str = "For proper usage, please refer to https://docs.cohere.com/reference/chat";

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
        .post(format!("{}{path}", server.cohere_base_url()))
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
    send(server, "/v2/chat", &[KEY], body.to_string()).await
}

/// The smallest valid request.
fn base() -> Value {
    json!({
        "model": "command-a-03-2025",
        "messages": [{"role": "user", "content": "Extract: Ada Lovelace, 36."}],
    })
}

fn user_info_tool() -> Value {
    json!({
        "type": "function",
        "function": {
            "name": "UserInfo",
            "description": "Correctly extracted `UserInfo` with all the required parameters",
            "parameters": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                "required": ["name", "age"],
            },
        },
    })
}

fn user_info_schema() -> Value {
    user_info_tool()["function"]["parameters"].clone()
}

/// The assistant's call of `UserInfo`, as a client sends it back.
fn call(id: &str) -> Value {
    json!({"id": id, "type": "function",
           "function": {"name": "UserInfo", "arguments": "{\"name\": \"Ada\", \"age\": \"36\"}"}})
}

/// A finished tool loop: the assistant called `UserInfo`, the tool answered `result_id`.
fn tool_loop(result_id: &str) -> Value {
    json!([
        {"role": "system", "content": "Extract the user."},
        {"role": "user", "content": "Extract: Ada Lovelace, 36."},
        {"role": "assistant", "tool_plan": "I will extract the user.",
         "tool_calls": [call("UserInfo_abc123def456")]},
        {"role": "tool", "tool_call_id": result_id, "content": "age must be an integer"},
    ])
}

fn with(mut body: Value, edit: impl FnOnce(&mut Value)) -> Value {
    edit(&mut body);
    body
}

/// Two scripted answers; a refused request must leave the first one queued.
async fn scripted() -> FakeServer {
    FakeServer::start(vec![
        Reply::cohere_text("first"),
        Reply::cohere_text("second"),
    ])
    .await
    .unwrap()
}

/// `body` sent with `headers` is refused with `status` and `message`, the refusal is recorded,
/// and the scripted answer is still the first one afterwards.
async fn refused(headers: &[(&str, &str)], body: &Value, status: u16, message: &str) {
    let server = scripted().await;
    let a = send(&server, "/v2/chat", headers, body.to_string()).await;
    assert_eq!(a.status, status, "{body}\n→ {}", a.text);
    let v = a.json();
    assert_eq!(v["message"], message, "{body}");
    if status == 401 {
        assert_eq!(v, json!({"message": message}), "a 401 has no id");
    } else {
        assert_eq!(v["id"], COHERE_ERROR_ID);
    }
    assert_eq!(
        server.requests().len(),
        1,
        "the refused request is recorded"
    );
    let ok = post(&server, &base()).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        ok.json()["message"]["content"][0]["text"],
        "first",
        "the refusal did not consume the script"
    );
}

async fn invalid(body: &Value, message: &str) {
    refused(&[KEY], body, 400, message).await;
}

async fn unprocessable(body: &Value, message: &str) {
    refused(&[KEY], body, 422, &format!("{message}. {DOCS}")).await;
}

async fn accepted(body: &Value) {
    let server = scripted().await;
    let a = post(&server, body).await;
    assert_eq!(a.status, 200, "{body}\n→ {}", a.text);
    assert_eq!(a.json()["message"]["content"][0]["text"], "first");
}

#[tokio::test]
async fn a_bearer_key_is_required() {
    let body = base();
    refused(&[], &body, 401, "no api key supplied").await;
    refused(&[("authorization", "")], &body, 401, "no api key supplied").await;
    refused(
        &[("authorization", "co-test-key")],
        &body,
        401,
        "invalid api token",
    )
    .await;
    refused(
        &[("authorization", "Token co-test-key")],
        &body,
        401,
        "invalid api token",
    )
    .await;
    refused(
        &[("authorization", "Bearer ")],
        &body,
        401,
        "invalid api token",
    )
    .await;
    // Cohere's own curl examples write `bearer`.
    let server = scripted().await;
    let a = send(
        &server,
        "/v2/chat",
        &[("authorization", "bearer co-test-key")],
        body.to_string(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn body_shape() {
    let server = scripted().await;
    let a = send(&server, "/v2/chat", &[KEY], "{not json".into()).await;
    assert_eq!(a.status, 400);
    let message = a.json()["message"].as_str().unwrap().to_string();
    assert!(message.starts_with("invalid json syntax: "), "{message}");

    let without = |field: &str| with(base(), |b| drop(b.as_object_mut().unwrap().remove(field)));
    invalid(
        &without("model"),
        "a model parameter is required for this endpoint.",
    )
    .await;
    invalid(
        &without("messages"),
        "invalid request: messages is required.",
    )
    .await;
    invalid(
        &with(base(), |b| b["messages"] = json!([])),
        "invalid request: messages must not be empty.",
    )
    .await;
    unprocessable(
        &with(base(), |b| b["n"] = json!(2)),
        "unknown field: parameter 'n' is not a valid field",
    )
    .await;
    // v1's fields are not v2's.
    unprocessable(
        &with(base(), |b| b["message"] = json!("Ada, 36")),
        "unknown field: parameter 'message' is not a valid field",
    )
    .await;
    unprocessable(
        &with(base(), |b| b["max_tokens"] = json!("1024")),
        "invalid type: parameter 'max_tokens' is of type string but should be of type int32",
    )
    .await;
    unprocessable(
        &with(base(), |b| b["stream"] = json!("yes")),
        "invalid type: parameter 'stream' is of type string but should be of type bool",
    )
    .await;
    unprocessable(
        &with(base(), |b| b["messages"] = json!("Ada, 36")),
        "invalid type: parameter 'messages' is of type string but should be of type []Object",
    )
    .await;
    unprocessable(
        &with(base(), |b| b["stop_sequences"] = json!("\n\n")),
        "invalid type: parameter 'stop_sequences' is of type string but should be of type \
         []string",
    )
    .await;
    invalid(
        &with(base(), |b| b["temperature"] = json!(1.5)),
        "invalid request: temperature must be between 0 and 1.0 inclusive.",
    )
    .await;
    invalid(
        &with(base(), |b| b["presence_penalty"] = json!(1.5)),
        "invalid request: presence_penalty must be between 0 and 1 inclusive.",
    )
    .await;
    invalid(
        &with(base(), |b| b["p"] = json!(1.0)),
        "invalid request: p must be between 0.01 and 0.99 inclusive.",
    )
    .await;
    invalid(
        &with(base(), |b| b["k"] = json!(501)),
        "invalid request: k must be between 0 and 500 inclusive.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["stop_sequences"] = json!(["a", "b", "c", "d", "e", "f"])
        }),
        "invalid request: stop_sequences can contain at most 5 sequences.",
    )
    .await;
    unprocessable(
        &with(base(), |b| b["safety_mode"] = json!("NONE")),
        "invalid value: parameter 'safety_mode' is 'NONE' but should be one of 'CONTEXTUAL', \
         'STRICT', 'OFF'",
    )
    .await;
    // Every documented optional field is accepted, and `null` counts as absent.
    accepted(&with(base(), |b| {
        b["stream"] = json!(false);
        b["max_tokens"] = json!(1024);
        b["stop_sequences"] = json!(["\n\n"]);
        b["temperature"] = json!(0.2);
        b["seed"] = json!(42);
        b["frequency_penalty"] = json!(0.1);
        b["presence_penalty"] = json!(0.1);
        b["k"] = json!(40);
        b["p"] = json!(0.75);
        b["logprobs"] = json!(false);
        b["safety_mode"] = json!("CONTEXTUAL");
        b["thinking"] = json!({"type": "enabled", "token_budget": 512});
        b["citation_options"] = json!({"mode": "FAST"});
        b["priority"] = json!(0);
        b["documents"] = json!(["Ada Lovelace was 36.", {"id": "d1", "data": {"text": "x"}}]);
        b["tools"] = Value::Null;
        b["tool_choice"] = Value::Null;
        b["response_format"] = Value::Null;
    }))
    .await;
}

#[tokio::test]
async fn message_roles_and_content() {
    invalid(
        &with(base(), |b| b["messages"][0]["role"] = json!("developer")),
        "invalid request: Invalid role in messages at index 0. Role must be one of the \
         following: user, assistant, system, tool",
    )
    .await;
    // An OpenAI-style `name` is not a field of a v2 message.
    unprocessable(
        &with(base(), |b| b["messages"][0]["name"] = json!("ada")),
        "unknown field: parameter 'name' is not a valid field",
    )
    .await;
    invalid(
        &with(base(), |b| b["messages"][0]["content"] = json!("")),
        "message must not be empty in a turn",
    )
    .await;
    unprocessable(
        &with(base(), |b| b["messages"][0]["content"] = json!(36)),
        "invalid type: parameter 'messages.content' is of type number but should be of type \
         string",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"] = json!([
                {"role": "user", "content": "Ada, 36"},
                {"role": "system", "content": "Extract."},
            ])
        }),
        "system turn must be the first in the list",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"][0]["content"] = json!([{"type": "input_text", "text": "hi"}])
        }),
        "invalid request: content type 'input_text' is not supported in a user message.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"] = json!([{"role": "system", "content": [{"type": "image_url",
                "image_url": {"url": "https://example.com/a.png"}}]}, base()["messages"][0]])
        }),
        "invalid request: content type 'image_url' is not supported in a system message.",
    )
    .await;
    // Text and image blocks, a system prompt first, a plain assistant turn.
    accepted(&with(base(), |b| {
        b["messages"] = json!([
            {"role": "system", "content": [{"type": "text", "text": "Extract."}]},
            {"role": "user", "content": [
                {"type": "text", "text": "Who is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
            ]},
            {"role": "assistant", "content": "Ada Lovelace."},
            {"role": "user", "content": "Her age?"},
        ])
    }))
    .await;
}

#[tokio::test]
async fn tool_calls_and_tool_results() {
    let with_tools = |messages: Value| {
        with(base(), |b| {
            b["tools"] = json!([user_info_tool()]);
            b["messages"] = messages;
        })
    };
    accepted(&with_tools(tool_loop("UserInfo_abc123def456"))).await;
    // A re-ask: the tool answers with content blocks, then the user speaks again.
    let mut reask = tool_loop("UserInfo_abc123def456");
    reask[3]["content"] = json!([
        {"type": "text", "text": "age must be an integer"},
        {"type": "document", "document": {"id": "err", "data": {"error": "age"}}},
    ]);
    reask
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "user", "content": "Fix the errors."}));
    accepted(&with_tools(reask)).await;

    let mut missing = tool_loop("x");
    drop(missing[3].as_object_mut().unwrap().remove("tool_call_id"));
    invalid(
        &with_tools(missing),
        "tool call id must be provided with tool message",
    )
    .await;
    invalid(
        &with_tools(tool_loop("UserInfo_other")),
        "tool call id not found in previous tool calls",
    )
    .await;
    // A tool result must follow the assistant turn that made the call.
    let mut late = tool_loop("UserInfo_abc123def456");
    late.as_array_mut()
        .unwrap()
        .insert(3, json!({"role": "user", "content": "Go on."}));
    invalid(
        &with_tools(late),
        "tool call id not found in previous tool calls",
    )
    .await;
    let mut twice = tool_loop("UserInfo_abc123def456");
    twice[2]["tool_calls"] = json!([call("UserInfo_abc123def456"), call("UserInfo_abc123def456")]);
    invalid(&with_tools(twice), "cannot have duplicate tool ids").await;
    let mut typed = tool_loop("UserInfo_abc123def456");
    typed[2]["tool_calls"][0]["type"] = json!("tool_use");
    invalid(&with_tools(typed), "tool call must be of type function").await;
    // The arguments go back as the JSON text the API sent, not as an object.
    let mut object_args = tool_loop("UserInfo_abc123def456");
    object_args[2]["tool_calls"][0]["function"]["arguments"] = json!({"name": "Ada"});
    unprocessable(
        &with_tools(object_args),
        "invalid type: parameter 'messages.tool_calls.function.arguments' is of type object but \
         should be of type string",
    )
    .await;
    // An OpenAI-style `content: null` with the calls is fine; nothing at all is not.
    let mut nothing = tool_loop("UserInfo_abc123def456");
    nothing[2] = json!({"role": "assistant", "content": null});
    nothing.as_array_mut().unwrap().truncate(3);
    invalid(&with_tools(nothing), "message must not be empty in a turn").await;
    let mut null_content = tool_loop("UserInfo_abc123def456");
    null_content[2]["content"] = Value::Null;
    accepted(&with_tools(null_content)).await;
}

#[tokio::test]
async fn tools_and_tool_choice() {
    let with_tool = |tool: Value| with(base(), |b| b["tools"] = json!([tool]));
    accepted(&with(with_tool(user_info_tool()), |b| {
        b["tool_choice"] = json!("REQUIRED");
        b["strict_tools"] = json!(true);
    }))
    .await;
    accepted(&with(base(), |b| b["tool_choice"] = json!("NONE"))).await;
    for choice in ["required", "auto", "any", "UserInfo"] {
        unprocessable(
            &with(with_tool(user_info_tool()), |b| {
                b["tool_choice"] = json!(choice)
            }),
            &format!(
                "invalid value: parameter 'tool_choice' is '{choice}' but should be one of \
                 'REQUIRED', 'NONE'"
            ),
        )
        .await;
    }
    unprocessable(
        &with(with_tool(user_info_tool()), |b| {
            b["tool_choice"] = json!({"type": "function", "function": {"name": "UserInfo"}})
        }),
        "invalid type: parameter 'tool_choice' is of type object but should be of type string",
    )
    .await;
    invalid(
        &with(base(), |b| b["tool_choice"] = json!("REQUIRED")),
        "invalid request: tool_choice 'REQUIRED' can only be used when tools are specified.",
    )
    .await;
    // OpenAI's `strict` is not Cohere's (that is `strict_tools`).
    unprocessable(
        &with_tool(with(user_info_tool(), |t| {
            t["function"]["strict"] = json!(true)
        })),
        "unknown field: parameter 'strict' is not a valid field",
    )
    .await;
    // Anthropic's tool shape.
    unprocessable(
        &with_tool(json!({"name": "UserInfo", "input_schema": user_info_schema()})),
        "unknown field: parameter 'name' is not a valid field",
    )
    .await;
    invalid(
        &with_tool(with(user_info_tool(), |t| {
            t["function"]["name"] = json!("user-info")
        })),
        "invalid request: tool names can only contain certain characters (A-Za-z0-9_) and \
         can't begin with a digit (provided name: 'user-info').",
    )
    .await;
    invalid(
        &with_tool(with(user_info_tool(), |t| {
            drop(t["function"].as_object_mut().unwrap().remove("parameters"))
        })),
        "invalid request: tool 'UserInfo' must have parameters.",
    )
    .await;
    // Strict tools compile their schemas.
    invalid(
        &with(
            with_tool(with(user_info_tool(), |t| {
                t["function"]["parameters"]["required"] = json!(["name", "email"])
            })),
            |b| b["strict_tools"] = json!(true),
        ),
        "required field email not found in properties",
    )
    .await;
    invalid(
        &with(
            with_tool(with(user_info_tool(), |t| {
                t["function"]["parameters"]["properties"]["age"] = json!({"description": "years"})
            })),
            |b| b["strict_tools"] = json!(true),
        ),
        "property age must have a type",
    )
    .await;
}

#[tokio::test]
async fn response_format() {
    let format = |f: Value| with(base(), |b| b["response_format"] = f);
    accepted(&format(json!({"type": "json_object"}))).await;
    accepted(&format(json!({"type": "text"}))).await;
    accepted(&format(
        json!({"type": "json_object", "json_schema": user_info_schema()}),
    ))
    .await;
    // Cohere's own v2 guides send the schema as `schema`.
    accepted(&format(
        json!({"type": "json_object", "schema": user_info_schema()}),
    ))
    .await;
    // OpenAI's shape.
    unprocessable(
        &format(json!({"type": "json_schema", "json_schema": {"name": "UserInfo", "schema": user_info_schema()}})),
        "invalid value: parameter 'response_format.type' is 'json_schema' but should be one of \
         'text', 'json_object'",
    )
    .await;
    unprocessable(
        &format(json!({"type": "json_object", "strict": true})),
        "unknown field: parameter 'strict' is not a valid field",
    )
    .await;
    invalid(
        &format(json!({"type": "json_object", "json_schema": {"properties": {}}})),
        "invalid request: response_format validation: invalid 'json_schema' provided: missing \
         required field 'type'",
    )
    .await;
    invalid(
        &format(json!({"type": "json_object", "json_schema": {"type": "array", "items": {"type": "string"}}})),
        "schema must be an object",
    )
    .await;
    invalid(
        &format(json!({"type": "json_object", "json_schema": with(user_info_schema(), |s| s["required"] = json!(["name", "email"]))})),
        "required field email not found in properties",
    )
    .await;
    invalid(
        &format(json!({"type": "text", "json_schema": user_info_schema()})),
        "invalid request: response_format json_schema must not be specified when type is text.",
    )
    .await;
    invalid(
        &with(format(json!({"type": "json_object"})), |b| {
            b["tools"] = json!([user_info_tool()])
        }),
        "invalid request: response_format is not supported with tools.",
    )
    .await;
    invalid(
        &with(format(json!({"type": "json_object"})), |b| {
            b["documents"] = json!(["Ada Lovelace was 36."])
        }),
        "invalid request: response_format is not supported with RAG.",
    )
    .await;
}

#[tokio::test]
async fn other_paths() {
    let server = scripted().await;
    let a = send(&server, "/v2/embed", &[KEY], base().to_string()).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.json()["message"], "404 page not found");
    // OpenAI's paths are not Cohere's business.
    let a = send(&server, "/v1/chat/completions", &[], "{}".into()).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["message"]["content"][0]["text"], "first");
}

fn usage() -> Value {
    json!({
        "billed_units": {"input_tokens": 30, "output_tokens": 9},
        "tokens": {"input_tokens": 60, "output_tokens": 9},
        "cached_tokens": 16,
    })
}

#[tokio::test]
async fn answers_have_the_documented_shape() {
    assert_eq!(
        (
            COHERE_BILLED_INPUT_TOKENS,
            COHERE_BILLED_OUTPUT_TOKENS,
            COHERE_INPUT_TOKENS,
            COHERE_OUTPUT_TOKENS,
            COHERE_CACHED_TOKENS
        ),
        (30, 9, 60, 9, 16)
    );
    let args = r#"{"name": "Ada Lovelace", "age": 36}"#;
    let server = FakeServer::start(vec![
        Reply::cohere_tool_call("UserInfo", args),
        Reply::cohere_tool_calls(&[("UserInfo", args), ("UserInfo", "{\"name\": ")]),
        Reply::cohere_tool_calls_planned("", &[("UserInfo", args)]),
        Reply::cohere_text(args),
        Reply::cohere_max_tokens("{\"name\": \"Ada"),
        Reply::cohere_error(500, "internal server error"),
        Reply::cohere_rate_limited(),
    ])
    .await
    .unwrap();
    let body = with(base(), |b| b["tools"] = json!([user_info_tool()]));

    let v = post(&server, &body).await.json();
    assert_eq!(
        v,
        json!({
            "id": COHERE_RESPONSE_ID,
            "message": {
                "role": "assistant",
                "tool_plan": COHERE_TOOL_PLAN,
                "tool_calls": [{"id": "UserInfo_fake00000000", "type": "function",
                                "function": {"name": "UserInfo", "arguments": args}}],
            },
            "finish_reason": "TOOL_CALL",
            "usage": usage(),
        })
    );
    assert_eq!(cohere_tool_id("UserInfo", 0), "UserInfo_fake00000000");

    let v = post(&server, &body).await.json();
    let calls = v["message"]["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1]["id"], cohere_tool_id("UserInfo", 1));
    assert_eq!(calls[1]["function"]["arguments"], "{\"name\": ");

    let v = post(&server, &body).await.json();
    assert!(v["message"].get("tool_plan").is_none(), "{v}");

    let v = post(&server, &base()).await.json();
    assert_eq!(
        v["message"],
        json!({"role": "assistant", "content": [{"type": "text", "text": args}]})
    );
    assert_eq!(v["finish_reason"], "COMPLETE");
    assert_eq!(v["usage"], usage());

    let v = post(&server, &base()).await.json();
    assert_eq!(v["finish_reason"], "MAX_TOKENS");
    assert_eq!(v["message"]["content"][0]["text"], "{\"name\": \"Ada");

    let a = post(&server, &base()).await;
    assert_eq!(a.status, 500);
    assert_eq!(
        a.json(),
        json!({"id": COHERE_ERROR_ID, "message": "internal server error"})
    );

    let a = post(&server, &base()).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.json()["message"], COHERE_TRIAL_RATE_LIMIT);
    assert!(COHERE_TRIAL_RATE_LIMIT.starts_with("You are using a Trial key"));
}

/// The events of an SSE text: `(name, data)`, with `[DONE]` as `("[DONE]", null)`.
fn events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            if e == "data: [DONE]" {
                return ("[DONE]".to_string(), Value::Null);
            }
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

/// The concatenated text of `kind` events at `index` (`None`: events without an index), read at
/// `delta.message.` + `path`.
fn joined(evs: &[(String, Value)], kind: &str, index: Option<u64>, path: &str) -> String {
    evs.iter()
        .filter(|(n, d)| n == kind && d["index"].as_u64() == index)
        .filter_map(|(_, d)| d["delta"]["message"].pointer(path).and_then(Value::as_str))
        .collect()
}

async fn stream_text(reply: Reply) -> (Answer, Vec<(String, Value)>) {
    let server = FakeServer::start(vec![reply]).await.unwrap();
    let a = post(&server, &with(base(), |b| b["stream"] = json!(true))).await;
    let evs = events(&a.text);
    (a, evs)
}

#[tokio::test]
async fn streamed_tool_call() {
    let args = r#"{"name": "Ada Lovelace", "age": 36}"#;
    let (a, evs) = stream_text(Reply::cohere_stream_tool_call("UserInfo", args, 8)).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.headers["content-type"], "text/event-stream");
    let plan = COHERE_TOOL_PLAN.chars().count().div_ceil(8);
    let n = args.chars().count().div_ceil(8);
    let mut expected = vec!["message-start"];
    expected.extend(std::iter::repeat_n("tool-plan-delta", plan));
    expected.push("tool-call-start");
    expected.extend(std::iter::repeat_n("tool-call-delta", n));
    expected.extend(["tool-call-end", "message-end", "[DONE]"]);
    assert_eq!(names(&evs), expected);

    assert_eq!(
        evs[0].1,
        json!({"id": COHERE_RESPONSE_ID, "type": "message-start",
               "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "",
                                     "tool_calls": [], "citations": []}}})
    );
    assert_eq!(
        joined(&evs, "tool-plan-delta", None, "/tool_plan"),
        COHERE_TOOL_PLAN
    );
    let start = &evs[1 + plan].1;
    assert_eq!(start["index"], 0);
    assert_eq!(
        start["delta"]["message"]["tool_calls"],
        json!({"id": "UserInfo_fake00000000", "type": "function",
               "function": {"name": "UserInfo", "arguments": ""}})
    );
    assert_eq!(
        joined(
            &evs,
            "tool-call-delta",
            Some(0),
            "/tool_calls/function/arguments"
        ),
        args
    );
    assert_eq!(
        evs[evs.len() - 3].1,
        json!({"type": "tool-call-end", "index": 0})
    );
    assert_eq!(
        evs[evs.len() - 2].1,
        json!({"type": "message-end", "delta": {"finish_reason": "TOOL_CALL", "usage": usage()}})
    );

    // Two calls, one after the other.
    let (_, evs) = stream_text(Reply::cohere_stream_tool_calls(
        &[("UserInfo", args), ("UserInfo", "{}")],
        5,
    ))
    .await;
    let starts: Vec<&Value> = evs
        .iter()
        .filter(|(n, _)| n == "tool-call-start")
        .map(|(_, d)| &d["delta"]["message"]["tool_calls"]["id"])
        .collect();
    assert_eq!(
        starts,
        [
            &json!("UserInfo_fake00000000"),
            &json!("UserInfo_fake00000001")
        ]
    );
    assert_eq!(
        joined(
            &evs,
            "tool-call-delta",
            Some(1),
            "/tool_calls/function/arguments"
        ),
        "{}"
    );
}

#[tokio::test]
async fn streamed_text() {
    let text = "```json\n{\"name\": \"Ada Lovelace\", \"age\": 36}\n``` 🧮";
    let (_, evs) = stream_text(Reply::cohere_stream_text(text, 5)).await;
    assert_eq!(
        &names(&evs)[..2],
        ["message-start", "content-start"],
        "{evs:?}"
    );
    assert_eq!(
        evs[1].1,
        json!({"type": "content-start", "index": 0,
               "delta": {"message": {"content": {"type": "text", "text": ""}}}})
    );
    assert_eq!(
        joined(&evs, "content-delta", Some(0), "/content/text"),
        text
    );
    let n = names(&evs);
    assert_eq!(&n[n.len() - 3..], ["content-end", "message-end", "[DONE]"]);
    assert_eq!(evs[evs.len() - 2].1["delta"]["finish_reason"], "COMPLETE");
    assert_eq!(evs[evs.len() - 2].1["delta"]["usage"], usage());

    let (_, evs) = stream_text(Reply::cohere_stream_max_tokens("{\"name\": \"Ad", 4)).await;
    assert_eq!(evs[evs.len() - 2].1["delta"]["finish_reason"], "MAX_TOKENS");
}

#[tokio::test]
async fn streams_cut_fail_pace_and_rechunk() {
    let args = r#"{"name": "Ada", "age": 36}"#;
    let whole = Reply::cohere_stream_tool_call("UserInfo", args, 4);
    let (full, evs) = stream_text(whole.clone()).await;
    let total = evs.len();

    let (_, evs) = stream_text(whole.clone().cut_after(5)).await;
    assert_eq!(evs.len(), 5);
    assert!(!names(&evs).contains(&"message-end"));
    assert!(!names(&evs).contains(&"[DONE]"));

    let (_, evs) = stream_text(
        whole
            .clone()
            .cohere_error_after(total - 4, "internal server error"),
    )
    .await;
    assert_eq!(evs.len(), total - 2);
    assert_eq!(
        evs[evs.len() - 2].1,
        json!({"type": "message-end",
               "delta": {"finish_reason": "ERROR", "error": "internal server error"}})
    );
    assert_eq!(names(&evs).last(), Some(&"[DONE]"));

    let (a, _) = stream_text(whole.clone().rechunked(3)).await;
    assert_eq!(a.text, full.text, "re-cut on the wire, same bytes");

    let started = std::time::Instant::now();
    let (a, _) = stream_text(whole.paced(Duration::from_millis(2))).await;
    assert_eq!(a.text, full.text);
    assert!(started.elapsed() >= Duration::from_millis(2 * total as u64));
}

#[tokio::test]
async fn script_forms() {
    let spec = |v: Value| Reply::from_spec(&v).unwrap();
    let body = |r: Reply| match r {
        Reply::Json { body, .. } => body,
        other => panic!("not JSON: {other:?}"),
    };
    let script = |r: Reply| match r {
        Reply::Stream(s) => s,
        other => panic!("not a stream: {other:?}"),
    };

    let v = body(spec(
        json!({"cohere_tool_call": {"name": "UserInfo", "arguments": "{\"name\": \"Ada\", \"age\": 36}"}}),
    ));
    assert_eq!(
        v["message"]["tool_calls"][0]["function"],
        json!({"name": "UserInfo", "arguments": "{\"name\": \"Ada\", \"age\": 36}"})
    );
    assert_eq!(v["finish_reason"], "TOOL_CALL");
    // An object is sent as its JSON text.
    let v = body(spec(
        json!({"cohere_tool_call": {"name": "UserInfo", "arguments": {"name": "Ada"}}}),
    ));
    assert_eq!(
        v["message"]["tool_calls"][0]["function"]["arguments"],
        "{\"name\":\"Ada\"}"
    );

    let v = body(spec(json!({"cohere_text": "Hello"})));
    assert_eq!(
        v["message"]["content"],
        json!([{"type": "text", "text": "Hello"}])
    );

    let s = script(spec(
        json!({"cohere_stream_tool_call": {"name": "UserInfo", "arguments": "{\"a\": 1}", "chunk": 2, "pace_ms": 3}}),
    ));
    assert_eq!(s.pace, Some(Duration::from_millis(3)));
    let evs = events(&s.events.concat());
    assert_eq!(
        joined(
            &evs,
            "tool-call-delta",
            Some(0),
            "/tool_calls/function/arguments"
        ),
        "{\"a\": 1}"
    );
    assert_eq!(
        evs.iter().filter(|(n, _)| n == "tool-call-delta").count(),
        4
    );

    let s = script(spec(json!({"cohere_stream_text": {"text": "Hello there"}})));
    assert_eq!(s.pace, None);
    assert_eq!(
        joined(
            &events(&s.events.concat()),
            "content-delta",
            Some(0),
            "/content/text"
        ),
        "Hello there"
    );

    match spec(
        json!({"cohere_error": {"status": 429, "message": "Please wait and try again later"}}),
    ) {
        Reply::Json { status, body, .. } => {
            assert_eq!(status, 429);
            assert_eq!(body["message"], "Please wait and try again later");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        spec(json!({"delay_ms": 5, "then": {"cohere_text": "late"}})),
        Reply::Delay(_, _)
    ));
    assert!(Reply::from_spec(&json!({"cohere_tool_call": {"name": "X"}})).is_err());
    assert!(Reply::from_spec(&json!({"cohere_text": 3})).is_err());
}

/// The recorded-shape fixtures are well-formed v2 streams.
#[test]
fn fixtures_are_well_formed() {
    let dir = format!("{}/../fixtures/sse", env!("CARGO_MANIFEST_DIR"));
    for (file, finish) in [
        ("cohere_tool_call.sse", "TOOL_CALL"),
        ("cohere_text_json.sse", "COMPLETE"),
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        assert!(
            text.ends_with("data: [DONE]\n\n"),
            "{file} ends with [DONE]"
        );
        let evs = events(&text);
        assert_eq!(evs[0].0, "message-start", "{file}");
        assert_eq!(evs[0].1["delta"]["message"]["role"], "assistant", "{file}");
        let n = names(&evs);
        assert_eq!(&n[n.len() - 2..], ["message-end", "[DONE]"], "{file}");
        let end = &evs[evs.len() - 2].1["delta"];
        assert_eq!(end["finish_reason"], finish, "{file}");
        for part in ["billed_units", "tokens"] {
            assert!(
                end["usage"][part]["input_tokens"].is_u64()
                    && end["usage"][part]["output_tokens"].is_u64(),
                "{file}"
            );
        }
        let json_text = if finish == "TOOL_CALL" {
            assert!(!joined(&evs, "tool-plan-delta", None, "/tool_plan").is_empty());
            let start = evs.iter().find(|(n, _)| n == "tool-call-start").unwrap();
            assert_eq!(
                start.1["delta"]["message"]["tool_calls"]["function"]["name"],
                "UserInfo"
            );
            joined(
                &evs,
                "tool-call-delta",
                Some(0),
                "/tool_calls/function/arguments",
            )
        } else {
            joined(&evs, "content-delta", Some(0), "/content/text")
        };
        let user: Value = serde_json::from_str(&json_text).unwrap();
        assert_eq!(user, json!({"name": "Ada Lovelace", "age": 36}), "{file}");
    }
}
