//! Anthropic's Messages API end to end against the fake, which refuses what the real API
//! refuses (a `system` role in messages, no `max_tokens`, a tool result without its call, a
//! thinking turn sent back without its thinking): every mode extracts, re-asks and streams;
//! usage (sent in two halves when streamed) is merged; errors come out as the right kinds.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{PERSON_OK, TEST_KEY, client, person_schema};
use quarry_engine::{
    CallOptions, Error, ExtractRequest, ResponseSchema, RunEvent, StreamKind, TransportRetry,
};
use quarry_fake_provider::{
    ANTHROPIC_CACHE_CREATION_TOKENS, ANTHROPIC_CACHE_READ_TOKENS, ANTHROPIC_INPUT_TOKENS,
    ANTHROPIC_OUTPUT_TOKENS, FakeServer, Reply,
};
use serde_json::{Value, json};

fn person() -> Value {
    serde_json::from_str(PERSON_OK).unwrap()
}

fn schema() -> Arc<ResponseSchema> {
    Arc::new(ResponseSchema::new(person_schema()).unwrap())
}

fn req(server: &FakeServer, mode: &str) -> ExtractRequest {
    ExtractRequest::new("anthropic/claude-sonnet-4-5")
        .base_url(format!("http://{}", server.addr()))
        .mode(mode)
        .system("You extract people.")
        .user("Extract: {{ text }}")
        .var("text", "Ada Lovelace, 36, engineer")
        .max_retries(2)
        .transport(TransportRetry {
            initial_backoff: Duration::from_millis(10),
            ..TransportRetry::default()
        })
}

/// The prompt tokens every fake answer reports: input, cache reads and cache writes.
const PROMPT: u64 =
    ANTHROPIC_INPUT_TOKENS + ANTHROPIC_CACHE_READ_TOKENS + ANTHROPIC_CACHE_CREATION_TOKENS;

#[tokio::test]
async fn tools_extract_with_the_key_header_and_usage_with_cache_tokens() {
    let server = FakeServer::start(vec![Reply::anthropic_tool_use("Person", person())])
        .await
        .unwrap();
    let out = client()
        .extract_value(&req(&server, "tools"), &schema())
        .await
        .unwrap();
    assert_eq!(out.value, person());
    let r = &server.requests()[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.header("x-api-key"), Some(TEST_KEY));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(r.header("authorization"), None);
    assert_eq!(r.body["system"], "You extract people.");
    assert_eq!(out.usage.prompt_tokens, PROMPT);
    assert_eq!(out.usage.completion_tokens, ANTHROPIC_OUTPUT_TOKENS);
    assert_eq!(out.usage.cached_tokens, Some(ANTHROPIC_CACHE_READ_TOKENS));
    assert_eq!(
        out.usage.cache_write_tokens,
        Some(ANTHROPIC_CACHE_CREATION_TOKENS)
    );
}

#[tokio::test]
async fn an_invalid_tool_input_is_reasked_with_an_error_tool_result_the_api_accepts() {
    let server = FakeServer::start(vec![
        Reply::anthropic_tool_use(
            "Person",
            json!({"name": "Ada", "age": -3, "role": "engineer"}),
        ),
        Reply::anthropic_tool_use("Person", person()),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server, "ANTHROPIC_TOOLS"), &schema())
        .await
        .unwrap();
    assert_eq!((out.attempts, out.value), (2, person()));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the fake refused the re-ask");
    let turns = requests[1].body["messages"].as_array().unwrap().clone();
    assert_eq!(turns[1]["role"], "assistant");
    assert_eq!(turns[1]["content"][0]["type"], "tool_use");
    let result = &turns[2]["content"][0];
    assert_eq!(result["type"], "tool_result");
    assert_eq!(result["tool_use_id"], turns[1]["content"][0]["id"]);
    assert_eq!(result["is_error"], true);
    assert!(result["content"].as_str().unwrap().contains("/age"));
    assert_eq!(out.usage.prompt_tokens, 2 * PROMPT);
}

#[tokio::test]
async fn extended_thinking_goes_back_with_the_reask() {
    let server = FakeServer::start(vec![
        Reply::anthropic_thinking_tool_use(
            "The role is missing.",
            "sig-abc",
            "Person",
            json!({"name": "Ada", "age": 36}),
        ),
        Reply::anthropic_thinking_tool_use("Now complete.", "sig-def", "Person", person()),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server, "reasoning_tools"), &schema())
        .await
        .unwrap();
    assert_eq!((out.attempts, out.value), (2, person()));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the fake refused the re-ask");
    let body = &requests[1].body;
    assert_eq!(body["tool_choice"], json!({"type": "auto"}));
    let assistant = &body["messages"][1]["content"];
    assert_eq!(
        assistant[0],
        json!({"type": "thinking", "thinking": "The role is missing.", "signature": "sig-abc"})
    );
    assert_eq!(assistant[1]["type"], "tool_use");
}

#[tokio::test]
async fn json_modes_read_the_text_and_structured_outputs_send_a_closed_schema() {
    let server = FakeServer::start(vec![
        Reply::anthropic_text(&format!("Here is the person:\n{PERSON_OK}")),
        Reply::anthropic_text(PERSON_OK),
    ])
    .await
    .unwrap();
    let c = client();
    let json = c
        .extract_value(&req(&server, "json"), &schema())
        .await
        .unwrap();
    assert_eq!(json.value, person());
    let structured = c
        .extract_value(&req(&server, "json_schema"), &schema())
        .await
        .unwrap();
    // The optional address came back as null in strict form and is dropped.
    assert_eq!(structured.value, person());
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the fake refused a request");
    assert!(
        requests[0].body["system"]
            .as_str()
            .unwrap()
            .contains("JSON Schema")
    );
    let format = &requests[1].body["output_config"]["format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["schema"]["additionalProperties"], false);
}

#[tokio::test]
async fn parallel_tools_return_every_call() {
    let schema = Arc::new(
        ResponseSchema::new(json!({"anyOf": [
            {"title": "Weather", "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            {"title": "Search", "type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
        ]}))
        .unwrap(),
    );
    let server = FakeServer::start(vec![Reply::anthropic_tool_uses(&[
        ("Weather", json!({"city": "Oslo"})),
        ("Search", json!({"query": "fjords"})),
    ])])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server, "parallel_tools"), &schema)
        .await
        .unwrap();
    assert_eq!(out.value, json!([{"city": "Oslo"}, {"query": "fjords"}]));
    assert_eq!(
        server.requests()[0].body["tool_choice"],
        json!({"type": "any"})
    );
}

/// Streams `reply` in `mode`; returns the partial objects' last state, the result and the
/// usage the `completion:response` event reported.
async fn stream(reply: Reply, mode: &str) -> (Value, Result<Value, Error>, Value) {
    let server = FakeServer::start(vec![reply]).await.unwrap();
    let mut run = client()
        .stream(
            req(&server, mode),
            schema(),
            StreamKind::Partial,
            CallOptions::default(),
        )
        .unwrap();
    let mut snapshot = quarry_engine::Snapshot::new();
    let mut usage = Value::Null;
    while let Some(record) = run.next_event().await {
        match record.event {
            RunEvent::Partial { changes, .. } => {
                for c in &changes {
                    snapshot.apply(c);
                }
            }
            RunEvent::CompletionResponse { usage: u, .. } => usage = json!(u),
            _ => {}
        }
    }
    let result = run.finish().await.map(|e| e.value);
    (snapshot.value().clone(), result, usage)
}

#[tokio::test]
async fn streamed_tool_input_builds_the_object_and_merges_the_two_halves_of_usage() {
    let (partial, result, usage) = stream(
        Reply::anthropic_stream_tool_use("Person", PERSON_OK, 3).rechunked(7),
        "tools",
    )
    .await;
    assert_eq!(result.unwrap(), person());
    assert_eq!(partial, person());
    assert_eq!(usage["prompt_tokens"], PROMPT);
    assert_eq!(usage["completion_tokens"], ANTHROPIC_OUTPUT_TOKENS);
}

#[tokio::test]
async fn streamed_thinking_and_text_answers() {
    let (_, result, _) = stream(
        Reply::anthropic_stream_thinking_tool_use("Reading…", "sig-1", "Person", PERSON_OK, 5),
        "reasoning_tools",
    )
    .await;
    assert_eq!(result.unwrap(), person());
    let (partial, result, _) = stream(
        Reply::anthropic_stream_text(&format!("Sure: {PERSON_OK}"), 4),
        "json",
    )
    .await;
    assert_eq!((partial, result.unwrap()), (person(), person()));
}

#[tokio::test]
async fn recorded_streams_are_read() {
    let fixture = |name: &str| {
        std::fs::read_to_string(format!(
            "{}/../../tests/fixtures/sse/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let user_info = Arc::new(
        ResponseSchema::new(json!({"title": "UserInfo", "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["name", "age"]}))
        .unwrap(),
    );
    for (file, mode) in [
        ("anthropic_tools.sse", "tools"),
        ("anthropic_text_json.sse", "json"),
        ("anthropic_thinking_tools.sse", "reasoning_tools"),
    ] {
        let server = FakeServer::start(vec![Reply::sse(&fixture(file)).rechunked(5)])
            .await
            .unwrap();
        let run = client()
            .stream(
                req(&server, mode),
                user_info.clone(),
                StreamKind::Partial,
                CallOptions::default(),
            )
            .unwrap();
        let out = run.finish().await.unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(out.value["name"], "Ada Lovelace", "{file}");
    }
    let server = FakeServer::start(vec![Reply::sse(&fixture("anthropic_error_midstream.sse"))])
        .await
        .unwrap();
    let e = client()
        .stream(
            req(&server, "tools"),
            user_info,
            StreamKind::Partial,
            CallOptions::default(),
        )
        .unwrap()
        .finish()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::StreamError(_)), "{e}");
    assert!(e.to_string().contains("Overloaded"), "{e}");
}

#[tokio::test]
async fn overload_and_rate_limits_are_retried_then_reported() {
    let server = FakeServer::start(vec![
        Reply::anthropic_error(529, "overloaded_error", "Overloaded"),
        Reply::anthropic_rate_limited("0"),
        Reply::anthropic_tool_use("Person", person()),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server, "tools"), &schema())
        .await
        .unwrap();
    assert_eq!(out.value, person());
    assert_eq!(server.requests().len(), 3);

    let server = FakeServer::start(vec![Reply::anthropic_error(
        400,
        "invalid_request_error",
        "prompt is too long: 250000 tokens > 200000 maximum",
    )])
    .await
    .unwrap();
    let e = client()
        .extract_value(&req(&server, "tools"), &schema())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http { status: 400, .. }), "{e}");
    assert!(e.to_string().contains("prompt is too long"), "{e}");
    assert_eq!(server.requests().len(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn the_token_limit_and_refusals_end_the_run_without_a_reask() {
    let server = FakeServer::start(vec![Reply::anthropic_max_tokens("{\"name\": \"Ad")])
        .await
        .unwrap();
    let e = client()
        .extract_value(&req(&server, "json"), &schema())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::IncompleteOutput { .. }), "{e}");
    let server = FakeServer::start(vec![Reply::anthropic_refusal("I can't help with that.")])
        .await
        .unwrap();
    let e = client()
        .extract_value(&req(&server, "json"), &schema())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Refusal { .. }), "{e}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn settings_anthropic_cannot_take_fail_before_sending() {
    let server = FakeServer::start(vec![Reply::anthropic_tool_use("Person", person())])
        .await
        .unwrap();
    let c = client();
    let hot = req(&server, "reasoning_tools").temperature(0.5);
    let e = c.extract_value(&hot, &schema()).await.unwrap_err();
    assert!(e.to_string().contains("temperature"), "{e}");
    let mut seeded = req(&server, "tools");
    seeded.sampling.seed = Some(7);
    let e = c.extract_value(&seeded, &schema()).await.unwrap_err();
    assert!(e.to_string().contains("seed"), "{e}");
    let e = c
        .extract_value(&req(&server, "md_json"), &schema())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UnsupportedMode { .. }), "{e}");
    assert!(server.requests().is_empty());
}

/// Structured outputs refuse numeric bounds, string lengths and array bounds (the fake, as the
/// real API, answers 400): Quarry moves them into the description, and still checks the
/// answer against them, so a broken bound is re-asked.
#[tokio::test]
async fn structured_outputs_send_refused_constraints_as_descriptions_and_still_check_them() {
    let schema = Arc::new(
        ResponseSchema::new(json!({
            "title": "Person", "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 2},
                "age": {"type": "integer", "minimum": 0, "maximum": 150, "description": "Years"},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2}
            },
            "required": ["name", "age", "tags"]
        }))
        .unwrap(),
    );
    let server = FakeServer::start(vec![
        Reply::anthropic_text(r#"{"name": "Ada", "age": 200, "tags": ["a", "b"]}"#),
        Reply::anthropic_text(r#"{"name": "Ada", "age": 36, "tags": ["a", "b"]}"#),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server, "json_schema"), &schema)
        .await
        .unwrap();
    assert_eq!(out.value["age"], 36);
    assert_eq!(out.attempts, 2, "the bound was checked and re-asked");
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the fake refused a request");
    let sent = &requests[0].body["output_config"]["format"]["schema"]["properties"];
    assert_eq!(
        sent["age"],
        json!({"type": "integer", "description": "Years (minimum: 0, maximum: 150)"})
    );
    assert_eq!(sent["name"]["description"], "minLength: 2");
    assert_eq!(sent["tags"]["description"], "minItems: 2");

    // The fake refuses them when they are sent, as the real API does.
    let raw = reqwest::Client::new()
        .post(format!("http://{}/v1/messages", server.addr()))
        .header("x-api-key", TEST_KEY)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({
            "model": "claude-sonnet-4-5", "max_tokens": 100,
            "messages": [{"role": "user", "content": "hi"}],
            "output_config": {"format": {"type": "json_schema", "schema": {
                "type": "object", "properties": {"age": {"type": "integer", "minimum": 0}},
                "required": ["age"], "additionalProperties": false}}}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    let body: Value = raw.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "output_config.format.schema: For 'integer' type, property 'minimum' is not supported"
    );
}
