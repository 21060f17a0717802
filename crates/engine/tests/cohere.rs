//! Cohere's v2 Chat API end to end against the fake, which refuses what the real API refuses
//! (a tool result without its call, fields the API does not know): both modes extract,
//! re-ask and stream, with usage from the counted tokens.

mod common;

use std::sync::Arc;

use common::{PERSON_OK, TEST_KEY, client, person_schema};
use quarry_engine::{CallOptions, Error, ExtractRequest, ResponseSchema, RunEvent, StreamKind};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::Value;

fn person() -> Value {
    serde_json::from_str(PERSON_OK).unwrap()
}

fn schema() -> Arc<ResponseSchema> {
    Arc::new(ResponseSchema::new(person_schema()).unwrap())
}

fn req(server: &FakeServer, mode: &str) -> ExtractRequest {
    ExtractRequest::new("cohere/command-a-03-2025")
        .base_url(format!("http://{}", server.addr()))
        .mode(mode)
        .system("You extract people.")
        .user("Extract: {{ text }}")
        .var("text", "Ada Lovelace, 36, engineer")
        .max_retries(2)
}

#[tokio::test]
async fn tools_extract_and_a_wrong_call_is_reasked_with_a_tool_result() {
    let server = FakeServer::start(vec![
        Reply::cohere_tool_call(
            "Person",
            r#"{"name": "Ada", "age": "thirty-six", "role": "engineer"}"#,
        ),
        Reply::cohere_tool_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server, "COHERE_TOOLS"), &schema())
        .await
        .unwrap();
    assert_eq!((out.attempts, out.value), (2, person()));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the fake refused the re-ask");
    let first = &requests[0];
    assert_eq!(first.path, "/v2/chat");
    assert_eq!(
        first.header("authorization"),
        Some(format!("Bearer {TEST_KEY}").as_str())
    );
    assert_eq!(first.body["tool_choice"], "REQUIRED");
    let turns = requests[1].body["messages"].as_array().unwrap().clone();
    let call_id = &turns[2]["tool_calls"][0]["id"];
    assert_eq!(turns[3]["role"], "tool");
    assert_eq!(&turns[3]["tool_call_id"], call_id);
    assert!(out.usage.prompt_tokens > 0 && out.usage.completion_tokens > 0);
}

#[tokio::test]
async fn json_schema_sends_the_schema_in_response_format() {
    let server = FakeServer::start(vec![Reply::cohere_text(PERSON_OK)])
        .await
        .unwrap();
    let out = client()
        .extract_value(&req(&server, "COHERE_JSON_SCHEMA"), &schema())
        .await
        .unwrap();
    assert_eq!(out.value, person());
    let format = &server.requests()[0].body["response_format"];
    assert_eq!(format["type"], "json_object");
    assert_eq!(format["json_schema"]["type"], "object");
}

#[tokio::test]
async fn streams_build_the_object() {
    for (reply, mode) in [
        (
            Reply::cohere_stream_tool_call("Person", PERSON_OK, 5),
            "tools",
        ),
        (Reply::cohere_stream_text(PERSON_OK, 4), "json_schema"),
    ] {
        let server = FakeServer::start(vec![reply.rechunked(9)]).await.unwrap();
        let mut run = client()
            .stream(
                req(&server, mode),
                schema(),
                StreamKind::Partial,
                CallOptions::default(),
            )
            .unwrap();
        let mut snapshot = quarry_engine::Snapshot::new();
        let mut usage = None;
        while let Some(record) = run.next_event().await {
            match record.event {
                RunEvent::Partial { changes, .. } => {
                    for c in &changes {
                        snapshot.apply(c);
                    }
                }
                RunEvent::CompletionResponse { usage: u, .. } => usage = Some(u),
                _ => {}
            }
        }
        let out = run.finish().await.unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert_eq!(out.value, person(), "{mode}");
        assert_eq!(snapshot.value(), &person(), "{mode}");
        assert!(usage.unwrap().total_tokens > 0, "{mode}");
    }
}

#[tokio::test]
async fn recorded_streams_are_read_and_a_cut_stream_is_broken() {
    let fixture = |name: &str| {
        std::fs::read_to_string(format!(
            "{}/../../tests/fixtures/sse/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let user_info = Arc::new(
        ResponseSchema::new(serde_json::json!({"title": "UserInfo", "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["name", "age"]}))
        .unwrap(),
    );
    for (file, mode) in [
        ("cohere_tool_call.sse", "tools"),
        ("cohere_text_json.sse", "json_schema"),
    ] {
        let server = FakeServer::start(vec![Reply::sse(&fixture(file)).rechunked(5)])
            .await
            .unwrap();
        let out = client()
            .stream(
                req(&server, mode),
                user_info.clone(),
                StreamKind::Partial,
                CallOptions::default(),
            )
            .unwrap()
            .finish()
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(out.value["name"], "Ada Lovelace", "{file}");
    }
    let server = FakeServer::start(vec![
        Reply::cohere_stream_tool_call("Person", PERSON_OK, 5).cut_after(4),
    ])
    .await
    .unwrap();
    let e = client()
        .stream(
            req(&server, "tools"),
            schema(),
            StreamKind::Partial,
            CallOptions::default(),
        )
        .unwrap()
        .finish()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::IncompleteStream(_)), "{e}");
}

#[tokio::test]
async fn the_token_limit_ends_the_run_and_errors_are_reported() {
    let server = FakeServer::start(vec![Reply::cohere_max_tokens("{\"name\": \"Ad")])
        .await
        .unwrap();
    let e = client()
        .extract_value(&req(&server, "json_schema"), &schema())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::IncompleteOutput { .. }), "{e}");
    let server = FakeServer::start(vec![Reply::cohere_error(
        400,
        "invalid request: model 'nope' not found",
    )])
    .await
    .unwrap();
    let e = client()
        .extract_value(&req(&server, "tools"), &schema())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not found"), "{e}");
}
