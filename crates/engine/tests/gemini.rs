//! The Gemini API end to end against the fake, which refuses what the real API refuses (a
//! `$ref` or `additionalProperties` in a function's schema, a role other than `user` and
//! `model`, a function response without its call, a Gemini 3 call sent back without its thought
//! signature): every mode extracts, re-asks and streams; blocks and limits end the run.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{PERSON_OK, TEST_KEY, client, person_schema};
use quarry_engine::{
    CallOptions, Error, ExtractRequest, ResponseSchema, RunEvent, StreamKind, TransportRetry,
};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::{Value, json};

fn person() -> Value {
    serde_json::from_str(PERSON_OK).unwrap()
}

fn schema() -> Arc<ResponseSchema> {
    Arc::new(ResponseSchema::new(person_schema()).unwrap())
}

fn req_for(server: &FakeServer, model: &str, mode: &str) -> ExtractRequest {
    ExtractRequest::new(&format!("gemini/{model}"))
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

fn req(server: &FakeServer, mode: &str) -> ExtractRequest {
    req_for(server, "gemini-2.5-flash", mode)
}

#[tokio::test]
async fn tools_declare_a_schema_without_refs_and_force_the_call() {
    let server = FakeServer::start(vec![Reply::gemini_function_call("Person", person())])
        .await
        .unwrap();
    let out = client()
        .extract_value(&req(&server, "tools"), &schema())
        .await
        .unwrap();
    assert_eq!(out.value, person());
    let r = &server.requests()[0];
    assert_eq!(r.path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(r.header("x-goog-api-key"), Some(TEST_KEY));
    let declared = r.body["tools"][0]["functionDeclarations"][0].to_string();
    assert!(
        !declared.contains("$ref") && !declared.contains("$defs"),
        "{declared}"
    );
    assert_eq!(
        r.body["systemInstruction"]["parts"][0]["text"],
        "You extract people."
    );
    assert!(out.usage.prompt_tokens > 0 && out.usage.total_tokens > 0);
}

#[tokio::test]
async fn a_wrong_call_is_answered_with_a_function_response_the_api_accepts() {
    let server = FakeServer::start(vec![
        Reply::gemini_function_call(
            "Person",
            json!({"name": "Ada", "age": "old", "role": "engineer"}),
        ),
        Reply::gemini_function_call("Person", person()),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server, "GEMINI_TOOLS"), &schema())
        .await
        .unwrap();
    assert_eq!((out.attempts, out.value), (2, person()));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the fake refused the re-ask");
    let turns = requests[1].body["contents"].as_array().unwrap().clone();
    assert_eq!(turns[1]["role"], "model");
    assert_eq!(turns[1]["parts"][0]["functionCall"]["name"], "Person");
    let response = &turns[2]["parts"][0]["functionResponse"];
    assert_eq!(response["name"], "Person");
    assert!(
        response["response"]["error"]
            .as_str()
            .unwrap()
            .contains("/age")
    );
}

#[tokio::test]
async fn a_thought_signature_goes_back_with_the_reask() {
    let server = FakeServer::start(vec![
        Reply::gemini_function_call_signed("Person", json!({"name": "Ada"}), "c2lnLTE="),
        Reply::gemini_function_call("Person", person()),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(
            &req_for(&server, "gemini-3-pro-preview", "tools"),
            &schema(),
        )
        .await
        .unwrap();
    assert_eq!(out.attempts, 2);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the fake refused the re-ask");
    assert_eq!(
        requests[1].body["contents"][1]["parts"][0]["thoughtSignature"],
        "c2lnLTE="
    );
}

#[tokio::test]
async fn json_modes_send_a_response_schema() {
    let server = FakeServer::start(vec![Reply::gemini_text(PERSON_OK)])
        .await
        .unwrap();
    let c = client();
    for mode in ["json", "GENAI_STRUCTURED_OUTPUTS"] {
        let out = c
            .extract_value(&req(&server, mode), &schema())
            .await
            .unwrap();
        assert_eq!(out.value, person(), "{mode}");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the fake refused a request");
    let config = &requests[0].body["generationConfig"];
    assert_eq!(config["responseMimeType"], "application/json");
    assert_eq!(config["responseSchema"]["type"], "OBJECT");
    // JSON Schema as is: its $ref stays.
    let config = &requests[1].body["generationConfig"];
    assert!(config["responseJsonSchema"].to_string().contains("$ref"));
    assert!(config.get("responseSchema").is_none());
}

#[tokio::test]
async fn a_recursive_schema_is_refused_before_sending_in_the_subset_modes() {
    let server = FakeServer::start(vec![Reply::gemini_text("{}")])
        .await
        .unwrap();
    let tree = ResponseSchema::new(json!({"title": "Node", "type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}}))
    .unwrap();
    let e = client()
        .extract_value(&req(&server, "tools"), &tree)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("recursive"), "{e}");
    assert!(e.hint().contains("json_schema"), "{}", e.hint());
    assert!(server.requests().is_empty());
}

async fn stream(reply: Reply, mode: &str) -> (Value, Result<Value, Error>) {
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
    while let Some(record) = run.next_event().await {
        if let RunEvent::Partial { changes, .. } = record.event {
            for c in &changes {
                snapshot.apply(c);
            }
        }
    }
    let result = run.finish().await.map(|e| e.value);
    let path = &server.requests()[0].path;
    assert!(path.ends_with(":streamGenerateContent"), "{path}");
    assert_eq!(server.requests()[0].query.as_deref(), Some("alt=sse"));
    (snapshot.value().clone(), result)
}

#[tokio::test]
async fn streamed_text_and_calls_build_the_object() {
    let (partial, result) =
        stream(Reply::gemini_stream_text(PERSON_OK, 5).rechunked(7), "json").await;
    assert_eq!((partial, result.unwrap()), (person(), person()));
    let (partial, result) = stream(
        Reply::gemini_stream_function_call("Person", person()),
        "tools",
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
        ("gemini_text_json.sse", "json"),
        ("gemini_function_call.sse", "tools"),
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
        assert_eq!(out.value["age"], 36, "{file}");
    }
    let server = FakeServer::start(vec![Reply::sse(&fixture("gemini_error_midstream.sse"))])
        .await
        .unwrap();
    let e = client()
        .stream(
            req(&server, "json"),
            user_info,
            StreamKind::Partial,
            CallOptions::default(),
        )
        .unwrap()
        .finish()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::StreamError(_)), "{e}");
}

#[tokio::test]
async fn rate_limits_are_retried_and_bad_requests_reported() {
    let server = FakeServer::start(vec![
        Reply::gemini_error(
            429,
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota).",
        ),
        Reply::gemini_error(
            503,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
        ),
        Reply::gemini_function_call("Person", person()),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server, "tools"), &schema())
        .await
        .unwrap();
    assert_eq!(out.value, person());
    assert_eq!(server.requests().len(), 3);
    let server = FakeServer::start(vec![Reply::gemini_error(
        400,
        "INVALID_ARGUMENT",
        "API key not valid. Please pass a valid API key.",
    )])
    .await
    .unwrap();
    let e = client()
        .extract_value(&req(&server, "tools"), &schema())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("API key not valid"), "{e}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn safety_blocks_and_the_token_limit_end_the_run() {
    for (reply, what) in [
        (Reply::gemini_safety_block(), "safety"),
        (Reply::gemini_prompt_blocked(), "prompt blocked"),
    ] {
        let server = FakeServer::start(vec![reply]).await.unwrap();
        let e = client()
            .extract_value(&req(&server, "json"), &schema())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Refusal { .. }), "{what}: {e}");
        assert_eq!(server.requests().len(), 1, "{what} is not re-asked");
    }
    let server = FakeServer::start(vec![Reply::gemini_max_tokens("{\"name\": \"Ad")])
        .await
        .unwrap();
    let e = client()
        .extract_value(&req(&server, "json"), &schema())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::IncompleteOutput { .. }), "{e}");
}

#[tokio::test]
async fn the_retry_delay_in_the_error_details_is_honoured() {
    let server = FakeServer::start(vec![Reply::gemini_rate_limited("1.5s")])
        .await
        .unwrap();
    let mut r = req(&server, "tools");
    r.transport.max_retries = 0;
    let e = client().extract_value(&r, &schema()).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Http {
                status: 429,
                retry_after_ms: Some(1500),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.hint().contains("1.5 s") || e.hint().contains("2 s"),
        "{}",
        e.hint()
    );
}
