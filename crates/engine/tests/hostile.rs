//! What a hostile provider or a careless caller can send, and what Quarry does with it: no
//! panic, no hang, no leaked key, a specific error. One test per behaviour (issue 8), each
//! against a fake provider started on 127.0.0.1.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{PERSON_OK, TEST_KEY, client, person_schema};
use quarry_engine::limits::{MAX_RESPONSE_BYTES, MAX_SSE_EVENT_BYTES, MAX_TIMEOUT};
use quarry_engine::{
    ApiKey, CallOptions, Canceller, Client, Error, ErrorKind, EventRecord, ExtractRequest,
    KeySource, ResponseSchema, RunEvent, Setting, StreamKind, TransportRetry,
};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::{Value, json};

fn req(server: &FakeServer) -> ExtractRequest {
    ExtractRequest::new("openai/gpt-4o-mini")
        .base_url(server.base_url())
        .user("Extract: {{ text }}")
        .var("text", "Ada Lovelace, 36, engineer")
        .max_retries(0)
        .transport(TransportRetry {
            max_retries: 2,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_secs(5),
            ..TransportRetry::default()
        })
}

fn schema() -> ResponseSchema {
    ResponseSchema::new(person_schema()).unwrap()
}

/// Every event of a call, as it was recorded.
fn recorder() -> (CallOptions, Arc<Mutex<Vec<EventRecord>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let options = CallOptions {
        observer: Some(Arc::new(move |e: &EventRecord| {
            sink.lock().unwrap().push(e.clone())
        })),
        ..Default::default()
    };
    (options, events)
}

/// Runs `r` (streamed when `stream` is set) and returns its error and every event.
async fn run_err(
    client: &Client,
    r: ExtractRequest,
    stream: Option<StreamKind>,
) -> (Error, Vec<EventRecord>) {
    let (options, events) = recorder();
    let err = match stream {
        None => client
            .extract_value_with(&r, &schema(), &options)
            .await
            .unwrap_err(),
        Some(kind) => client
            .stream(r, Arc::new(schema()), kind, options)
            .unwrap()
            .finish()
            .await
            .unwrap_err(),
    };
    let events = events.lock().unwrap().clone();
    (err, events)
}

/// Everything a person or a file could ever see of a run: the error, its structured form and
/// every event, as JSON text.
fn everything(err: &Error, events: &[EventRecord]) -> String {
    let mut all = format!(
        "{err}\n{err:?}\n{}\n",
        serde_json::to_string(&err.info()).unwrap()
    );
    for e in events {
        all.push_str(&serde_json::to_string(e).unwrap());
        all.push('\n');
    }
    all
}

fn chunk(delta: Value) -> String {
    format!(
        "data: {}\n\n",
        json!({"choices": [{"index": 0, "delta": delta, "finish_reason": null}]})
    )
}

#[tokio::test]
async fn retry_after_beyond_any_duration_is_reported_not_a_panic() {
    let server = FakeServer::start(vec![Reply::rate_limited("1e20")])
        .await
        .unwrap();
    let (err, _) = run_err(&client(), req(&server), None).await;
    let Error::Http {
        status,
        retry_after_ms,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 429);
    assert_eq!(*retry_after_ms, Some(MAX_TIMEOUT.as_millis() as u64));
    assert!(err.hint().contains("30 days"), "{}", err.hint());
    assert_eq!(
        server.requests().len(),
        1,
        "a wait that long is not waited for"
    );
}

#[tokio::test]
async fn retry_after_of_an_hour_says_the_provider_asked_to_wait_an_hour() {
    let server = FakeServer::start(vec![Reply::rate_limited("3600")])
        .await
        .unwrap();
    let (err, _) = run_err(&client(), req(&server), None).await;
    assert!(err.hint().contains("asked to wait 1 h"), "{}", err.hint());
    assert_eq!(err.info().details["retry_after_ms"], json!(3_600_000));
}

#[tokio::test]
async fn a_long_non_json_error_body_is_cut_on_a_character_boundary() {
    // 501 bytes of two-byte characters: a cut at byte 500 falls inside one.
    let body = format!("x{}", "é".repeat(400));
    let server = FakeServer::start(vec![Reply::garbage(500, &body)])
        .await
        .unwrap();
    let mut r = req(&server);
    r.transport.max_retries = 0;
    let (err, _) = run_err(&client(), r, None).await;
    let Error::Http { message, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(
        message.starts_with("the body is text starting \"xéé"),
        "{message}"
    );
}

/// A key source that hands out one fixed key.
struct Key(&'static str);

impl KeySource for Key {
    fn key(&self, _: &str, _: &str) -> Option<ApiKey> {
        Some(ApiKey::new(self.0))
    }
}

#[tokio::test]
async fn a_key_that_cannot_be_sent_is_bad_input_and_never_printed() {
    let server = FakeServer::start(vec![Reply::error(401, "invalid_api_key", "nope")])
        .await
        .unwrap();
    for (key, what) in [
        ("sk-abcdéfghijklmnopqrstu", "U+00E9"),
        ("sk-abcdefghijklmnop\r", "carriage return"),
        ("sk-abc def-ghijklmnop", "space"),
    ] {
        let c = Client::builder().keys(Arc::new(Key(key))).build();
        let (err, events) = run_err(&c, req(&server), None).await;
        assert!(
            matches!(
                &err,
                Error::InvalidSetting {
                    setting: Setting::ApiKey,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::BadInput);
        assert!(err.to_string().contains(what), "{err}");
        assert!(!everything(&err, &events).contains("abcd"), "{err}");
    }
    assert!(server.requests().is_empty(), "nothing is sent");
}

#[tokio::test]
async fn a_ref_cycle_is_a_schema_error_and_recursive_schemas_finish_in_strict_mode() {
    let cycle = r##"{"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}},
        "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}}"##;
    let e = ResponseSchema::from_json_str(cycle).unwrap_err();
    assert_eq!(e.code(), "schema_ref_cycle");
    // A tree and a union that lists itself are fine, and strict mode (which walks the schema
    // to drop nulls) finishes on them.
    let tree = ResponseSchema::new(json!({"title": "Tree", "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}, "x": {"$ref": "#/$defs/X"}},
        "required": ["root"],
        "$defs": {
            "Node": {"type": "object", "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
                "required": ["name"]},
            "X": {"anyOf": [{"$ref": "#/$defs/X"}, {"type": "string"}]}}}))
    .unwrap();
    let answer =
        r#"{"root": {"name": "a", "children": [{"name": "b", "children": null}]}, "x": null}"#;
    let server = FakeServer::start(vec![Reply::tool_call("Tree", answer)])
        .await
        .unwrap();
    let out = tokio::time::timeout(
        Duration::from_secs(10),
        client().extract_value(&req(&server).mode("tools_strict"), &tree),
    )
    .await
    .expect("finishes")
    .unwrap();
    assert_eq!(out.value["root"]["children"][0]["name"], "b");
}

#[tokio::test]
async fn cancelling_reaches_the_check_of_a_huge_answer() {
    // 200,000 people: parsing and validating them takes seconds in a test build.
    let people: Vec<Value> = (0..200_000)
        .map(|i| json!({"name": format!("p{i}"), "age": i % 90, "role": "other"}))
        .collect();
    let list = ResponseSchema::new(json!({"type": "array", "items": {"type": "object",
        "properties": {"name": {"type": "string", "pattern": "^p[0-9]+$"},
            "age": {"type": "integer", "minimum": 0}, "role": {"enum": ["other"]}},
        "required": ["name", "age", "role"]}}))
    .unwrap();
    let args = json!({"tasks": people}).to_string();
    let server = FakeServer::start(vec![Reply::tool_call("Response", &args)])
        .await
        .unwrap();
    let canceller = Canceller::new();
    let c2 = canceller.clone();
    let arrived = Arc::new(Mutex::new(None));
    let a2 = arrived.clone();
    let options = CallOptions {
        observer: Some(Arc::new(move |e: &EventRecord| {
            if matches!(e.event, RunEvent::CompletionResponse { .. }) {
                *a2.lock().unwrap() = Some(Instant::now());
                c2.cancel();
            }
        })),
        cancel: Some(canceller),
        ..Default::default()
    };
    let err = client()
        .extract_value_with(&req(&server), &list, &options)
        .await
        .unwrap_err();
    let waited = arrived.lock().unwrap().unwrap().elapsed();
    assert!(matches!(err, Error::Cancelled { .. }), "{err:?}");
    assert!(
        waited < Duration::from_millis(500),
        "cancel took {waited:?}"
    );
}

#[tokio::test]
async fn a_body_that_never_ends_is_cut_at_the_limit() {
    let server = FakeServer::start(vec![Reply::Endless {
        content_type: "application/json".into(),
        prefix: b"{\"x\": \"".to_vec(),
        block: vec![b'a'; 64 * 1024],
    }])
    .await
    .unwrap();
    let (err, _) = run_err(&client(), req(&server), None).await;
    let Error::TooLarge(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (t.what, t.limit),
        ("a response body", MAX_RESPONSE_BYTES as u64)
    );
    assert_eq!(
        t.raw.as_ref().unwrap().len(),
        MAX_RESPONSE_BYTES,
        "what arrived is kept"
    );
    assert_eq!(err.code(), "response_too_large");
    assert!(err.to_string().contains("64 MiB"), "{err}");
}

#[tokio::test]
async fn an_sse_line_that_never_ends_is_cut_at_the_limit() {
    let first = chunk(json!({"tool_calls": [{"index": 0, "id": "c", "function":
        {"name": "Person", "arguments": "{\"name\": \"Ada"}}]}));
    let server = FakeServer::start(vec![Reply::Endless {
        content_type: "text/event-stream".into(),
        prefix: format!("{first}data: {{\"choices\": ").into_bytes(),
        block: vec![b' '; 64 * 1024],
    }])
    .await
    .unwrap();
    let (err, _) = run_err(&client(), req(&server), Some(StreamKind::Partial)).await;
    let Error::TooLarge(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (t.what, t.limit),
        ("one stream event", MAX_SSE_EVENT_BYTES as u64)
    );
    assert_eq!(t.partial, json!({"name": "Ada"}), "what arrived is kept");
}

#[tokio::test]
async fn a_streamed_answer_past_the_limit_keeps_what_arrived() {
    let first = chunk(json!({"tool_calls": [{"index": 0, "id": "c", "function":
        {"name": "Person", "arguments": "{\"name\": \""}}]}));
    let more = chunk(json!({"tool_calls": [{"index": 0, "function":
        {"arguments": "a".repeat(1024 * 1024)}}]}));
    let server = FakeServer::start(vec![Reply::Endless {
        content_type: "text/event-stream".into(),
        prefix: first.into_bytes(),
        block: more.into_bytes(),
    }])
    .await
    .unwrap();
    let (err, _) = run_err(&client(), req(&server), Some(StreamKind::Partial)).await;
    let Error::TooLarge(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.what, "a streamed answer");
    let name = t.partial["name"].as_str().unwrap();
    assert!(name.len() > 60 * 1024 * 1024 && name.bytes().all(|b| b == b'a'));
}

#[tokio::test]
async fn a_json_escaped_key_in_an_error_body_is_masked_everywhere() {
    // `\u0073` is "s": a text search of the raw body would miss the key.
    let escaped = format!("\\u0073{}", &TEST_KEY[1..]);
    let body = format!(
        r#"{{"error": {{"message": "Incorrect API key provided: {escaped}", "type": "invalid_request_error", "code": "invalid_api_key"}}}}"#
    );
    let server = FakeServer::start(vec![Reply::Raw {
        status: 401,
        body,
        content_type: "application/json".into(),
    }])
    .await
    .unwrap();
    let (err, events) = run_err(&client(), req(&server), None).await;
    let all = everything(&err, &events);
    assert!(!all.contains(&TEST_KEY[3..]), "{all}");
    assert!(!all.contains(&escaped[6..]), "{all}");
    assert!(err.to_string().contains("<redacted>"), "{err}");
}

#[tokio::test]
async fn a_malformed_stream_event_that_echoes_the_key_is_masked() {
    let server = FakeServer::start(vec![Reply::sse(&format!(
        "data: {{not json, key={TEST_KEY}}}\n\n"
    ))])
    .await
    .unwrap();
    let (err, events) = run_err(&client(), req(&server), Some(StreamKind::Partial)).await;
    assert_eq!(err.code(), "malformed_response");
    assert!(!everything(&err, &events).contains(&TEST_KEY[3..]));
}

#[tokio::test]
async fn a_streamed_answer_that_echoes_the_key_in_pieces_is_masked() {
    let args = format!(r#"{{"name": "key {TEST_KEY} end", "age": 1, "role": "other"}}"#);
    let server = FakeServer::start(vec![Reply::stream_tool_call("Person", &args, 3)])
        .await
        .unwrap();
    let (options, events) = recorder();
    let run = client()
        .stream(
            req(&server),
            Arc::new(schema()),
            StreamKind::Partial,
            options,
        )
        .unwrap();
    let out = run.finish().await.unwrap();
    assert_eq!(out.value["name"], "key <redacted> end");
    let events = events.lock().unwrap();
    let all: String = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    // No piece of the key longer than what could be a word of prose shows anywhere.
    for window in TEST_KEY.as_bytes().windows(6) {
        let piece = std::str::from_utf8(window).unwrap();
        assert!(!all.contains(piece), "`{piece}` leaked");
    }
}

#[tokio::test]
async fn credential_headers_and_url_passwords_are_redacted_in_every_event() {
    let server = FakeServer::start(vec![Reply::error(500, "server_error", "boom")])
        .await
        .unwrap();
    let base = server
        .base_url()
        .replace("http://", "http://alice:hunter2-pass@");
    let r = req(&server)
        .base_url(base)
        .header("Authorization", "Bearer sk-header-secret-1")
        .header("X-Api-Key", "xkey-secret-2")
        .header("X-Portkey-Virtual-Key", "portkey-secret-3")
        .header("X-Team", "research");
    let (err, events) = run_err(&client(), r.clone(), None).await;
    let all = everything(&err, &events);
    for secret in [
        "sk-header-secret-1",
        "xkey-secret-2",
        "portkey-secret-3",
        "hunter2-pass",
        "alice",
    ] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
    assert!(all.contains("research"), "ordinary headers stay");
    // They were sent all the same.
    let sent = &server.requests()[0];
    assert_eq!(sent.header("x-api-key"), Some("xkey-secret-2"));
    // The request as recorded in the history, and as printed for debugging.
    let recorded = serde_json::to_string(&r.redacted()).unwrap() + &format!("{r:?}");
    for secret in [
        "sk-header-secret-1",
        "xkey-secret-2",
        "portkey-secret-3",
        "hunter2-pass",
    ] {
        assert!(!recorded.contains(secret), "{secret} in {recorded}");
    }
    // A request read back from the history asks for its credentials again.
    let e = client()
        .extract_value(&r.redacted(), &schema())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidSetting { .. }), "{e:?}");
}

#[tokio::test]
async fn url_credentials_never_reach_a_transport_error() {
    let r = ExtractRequest::new("openai/m")
        .base_url("http://bob:s3cr3t-pw@127.0.0.1:9/v1")
        .user("x")
        .max_retries(0)
        .transport(TransportRetry::none());
    let (err, events) = run_err(&client(), r, None).await;
    assert_eq!(err.code(), "transport_error");
    let all = everything(&err, &events);
    assert!(!all.contains("s3cr3t-pw") && !all.contains("bob"), "{all}");
}

#[tokio::test]
async fn request_building_failures_are_bad_input_and_never_retried() {
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let cases: Vec<(ExtractRequest, Setting)> = vec![
        (req(&server).header("X Bad Name", "v"), Setting::Headers),
        (
            req(&server).header("X-Team", "a\r\nInjected: 1"),
            Setting::Headers,
        ),
        (
            req(&server).base_url("file:///etc/passwd"),
            Setting::BaseUrl,
        ),
        (req(&server).base_url("not a url"), Setting::BaseUrl),
        (req(&server).base_url("http://"), Setting::BaseUrl),
        (req(&server).timeout(Duration::ZERO), Setting::Timeout),
        (req(&server).temperature(f64::NAN), Setting::Sampling),
        (req(&server).max_retries(u32::MAX), Setting::MaxRetries),
    ];
    for (r, setting) in cases {
        let (options, events) = recorder();
        let err = client()
            .extract_value_with(&r, &schema(), &options)
            .await
            .unwrap_err();
        match &err {
            Error::InvalidSetting { setting: s, .. } => assert_eq!(*s, setting, "{err}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(err.kind(), ErrorKind::BadInput);
        // Refused before the run began: no try, so no retry either.
        assert!(events.lock().unwrap().is_empty(), "{err}");
    }
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn an_html_page_with_status_200_is_described_by_its_title() {
    let page = "<!DOCTYPE html><html><head><title>Sign in &ndash; Corp SSO</title></head><body>…</body></html>";
    let server = FakeServer::start(vec![Reply::Raw {
        status: 200,
        body: page.into(),
        content_type: "text/html; charset=utf-8".into(),
    }])
    .await
    .unwrap();
    let (err, _) = run_err(&client(), req(&server), None).await;
    assert_eq!(err.code(), "malformed_response");
    assert!(
        err.to_string()
            .contains("an HTML page titled \"Sign in &ndash; Corp SSO\" (text/html)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_plain_json_answer_to_a_streamed_request_says_the_server_does_not_stream() {
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let (err, _) = run_err(&client(), req(&server), Some(StreamKind::Partial)).await;
    assert_eq!(err.code(), "not_streaming", "{err}");
    assert!(err.to_string().contains("does not stream"), "{err}");
    assert!(err.hint().contains("without streaming"), "{}", err.hint());
    // The same body sent as an event stream's content type, with no event in it.
    let server = FakeServer::start(vec![Reply::Raw {
        status: 200,
        body: json!({"choices": []}).to_string(),
        content_type: "text/event-stream".into(),
    }])
    .await
    .unwrap();
    let (err, _) = run_err(&client(), req(&server), Some(StreamKind::Partial)).await;
    assert_eq!(err.code(), "not_streaming", "{err}");
    // A stream of nothing but comments that closes is a broken stream, not a plain answer.
    let server = FakeServer::start(vec![Reply::sse(": keep-alive\n\n: still here\n\n")])
        .await
        .unwrap();
    let (err, _) = run_err(&client(), req(&server), Some(StreamKind::Partial)).await;
    assert_eq!(err.code(), "incomplete_stream", "{err}");
}

#[tokio::test]
async fn invalid_utf8_is_refused_streamed_and_unstreamed_alike() {
    let mut plain =
        br#"{"choices": [{"index": 0, "message": {"role": "assistant", "content": "caf"#.to_vec();
    plain.extend_from_slice(b"\xe9\"}, \"finish_reason\": \"stop\"}]}");
    let mut streamed = chunk(json!({"content": "{\"name\": \"caf"})).into_bytes();
    streamed.truncate(streamed.len() - 2);
    let cut = streamed.iter().rposition(|&b| b == b'f').unwrap() + 1;
    streamed.insert(cut, 0xe9);
    streamed.extend_from_slice(b"\n\n");
    let server = FakeServer::start(vec![
        Reply::bytes(200, plain, "application/json"),
        Reply::bytes(200, streamed, "text/event-stream"),
    ])
    .await
    .unwrap();
    let (a, _) = run_err(&client(), req(&server).mode("json"), None).await;
    let (b, _) = run_err(
        &client(),
        req(&server).mode("json"),
        Some(StreamKind::Partial),
    )
    .await;
    for e in [&a, &b] {
        assert_eq!(e.code(), "malformed_response", "{e}");
        assert!(e.to_string().contains("not valid UTF-8"), "{e}");
    }
}

#[tokio::test]
async fn md_json_prose_with_braces_streams_and_validates_on_the_first_attempt() {
    let text = format!("I read {{braces}} here.\n{PERSON_OK}\nThat is all {{ok}}.");
    let server = FakeServer::start(vec![Reply::stream_content(&text, 4)])
        .await
        .unwrap();
    let run = client()
        .stream(
            req(&server).mode("md_json"),
            Arc::new(schema()),
            StreamKind::Partial,
            CallOptions::default(),
        )
        .unwrap();
    let out = run.finish().await.unwrap();
    assert_eq!(out.attempts, 1);
    assert_eq!(out.value["name"], "Ada Lovelace");
}

#[tokio::test]
async fn iterable_streams_the_items_of_an_objects_only_list() {
    let users = ResponseSchema::new(json!({"title": "Users", "type": "object", "properties": {
        "users": {"type": "array", "items": {"type": "object",
            "properties": {"name": {"type": "string"}}, "required": ["name"]}}}}))
    .unwrap();
    let args = r#"{"users": [{"name": "Ann"}, {"nome": "x"}, {"name": "Cy"}]}"#;
    let server = FakeServer::start(vec![Reply::stream_tool_call("Users", args, 5)])
        .await
        .unwrap();
    let (options, events) = recorder();
    let run = client()
        .stream(req(&server), Arc::new(users), StreamKind::Iterable, options)
        .unwrap();
    let _ = run.finish().await;
    let items: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match &e.event {
            RunEvent::Item { index, value, .. } => Some(format!("{index}:{value}")),
            RunEvent::ItemInvalid { index, .. } => Some(format!("{index}:invalid")),
            _ => None,
        })
        .collect();
    assert_eq!(
        items,
        ["0:{\"name\":\"Ann\"}", "1:invalid", "2:{\"name\":\"Cy\"}"]
    );
}

#[tokio::test]
async fn iterable_on_a_schema_without_a_list_is_an_error_before_sending() {
    let server = FakeServer::start(vec![]).await.unwrap();
    let err = client()
        .stream(
            req(&server),
            Arc::new(schema()),
            StreamKind::Iterable,
            CallOptions::default(),
        )
        .err()
        .unwrap();
    assert!(
        matches!(
            &err,
            Error::InvalidSetting {
                setting: Setting::Stream,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("`Person`"), "{err}");
}

#[tokio::test]
async fn a_local_server_that_is_not_running_says_how_to_start_it() {
    let r = ExtractRequest::new("ollama/llama3.1")
        .base_url("http://127.0.0.1:9/v1")
        .user("x")
        .transport(TransportRetry::none());
    let err = Client::new()
        .extract_value(&r, &schema())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "transport_error");
    let hint = err.hint();
    assert!(
        hint.contains("`ollama serve`, then `ollama pull llama3.1`"),
        "{hint}"
    );
    assert!(hint.contains("base URL"), "{hint}");
}

/// A key source with no key, and a keychain reachable or not.
struct NoKey(bool);

impl KeySource for NoKey {
    fn key(&self, _: &str, _: &str) -> Option<ApiKey> {
        None
    }
    fn keychain_available(&self) -> bool {
        self.0
    }
}

#[test]
fn a_missing_key_suggests_what_works_here() {
    let r = ExtractRequest::new("openai/gpt-4o-mini").user("x");
    let without = Client::builder().keys(Arc::new(NoKey(false))).build();
    let hint = without.resolve(&r).unwrap_err().hint();
    assert!(
        hint.contains("set the environment variable OPENAI_API_KEY"),
        "{hint}"
    );
    assert!(!hint.contains("keychain,"), "{hint}");
    let with = Client::builder().keys(Arc::new(NoKey(true))).build();
    let e = with.resolve(&r).unwrap_err();
    assert!(
        e.hint().contains("store the openai key in the OS keychain"),
        "{}",
        e.hint()
    );
    assert_eq!(e.setting(), Some(quarry_engine::Setting::ApiKey));
}

#[tokio::test]
async fn a_server_that_never_answers_is_given_up_on_per_request() {
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", PERSON_OK).delayed(Duration::from_secs(3600)),
    ])
    .await
    .unwrap();
    let mut r = req(&server);
    r.transport.max_retries = 0;
    r.transport.request_timeout = Duration::from_millis(300);
    for stream in [None, Some(StreamKind::Partial)] {
        let t0 = Instant::now();
        let (err, _) = run_err(&client(), r.clone(), stream).await;
        assert_eq!(err.code(), "transport_error", "{err}");
        assert!(err.to_string().contains("no answer within 0.3 s"), "{err}");
        assert!(t0.elapsed() < Duration::from_secs(3));
    }
}

#[tokio::test]
async fn keep_alives_and_empty_events_do_not_keep_a_stream_alive_forever() {
    let first = chunk(json!({"tool_calls": [{"index": 0, "id": "c", "function":
        {"name": "Person", "arguments": "{\"name\": \"Ada"}}]}));
    for block in [": keep-alive\n\n".to_string(), chunk(json!({}))] {
        let server = FakeServer::start(vec![Reply::Endless {
            content_type: "text/event-stream".into(),
            prefix: first.clone().into_bytes(),
            block: block.repeat(64).into_bytes(),
        }])
        .await
        .unwrap();
        let mut r = req(&server);
        r.transport.max_retries = 0;
        r.transport.request_timeout = Duration::from_millis(400);
        let t0 = Instant::now();
        let (err, _) = run_err(&client(), r, Some(StreamKind::Partial)).await;
        assert_eq!(err.code(), "incomplete_stream", "{err}");
        assert!(
            err.to_string()
                .contains("no part of the answer arrived for 0.4 s"),
            "{err}"
        );
        assert_eq!(err.info().details["partial"], json!({"name": "Ada"}));
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    }
}

#[tokio::test]
async fn a_tool_call_index_in_the_billions_is_malformed_not_an_allocation() {
    let mut events = chunk(json!({"tool_calls": [{"index": 4_000_000_000u64, "id": "c",
        "function": {"name": "Person", "arguments": "{}"}}]}));
    events.push_str("data: [DONE]\n\n");
    let server = FakeServer::start(vec![Reply::sse(&events)]).await.unwrap();
    let (err, _) = run_err(&client(), req(&server), Some(StreamKind::Partial)).await;
    assert_eq!(err.code(), "malformed_response", "{err}");
    assert!(err.to_string().contains("index 4000000000"), "{err}");
}

#[test]
fn the_default_request_timeout_is_the_one_readme_states() {
    let readme = include_str!("../../../README.md");
    let secs = TransportRetry::default().request_timeout.as_secs();
    let stated = format!("{secs} s per try");
    assert!(
        readme.contains(&stated),
        "README must state the default request timeout as `{stated}`"
    );
}

#[tokio::test]
async fn a_redirect_is_reported_not_followed() {
    let elsewhere = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let server = FakeServer::start(vec![Reply::Json {
        status: 307,
        body: json!({}),
        headers: vec![(
            "location".into(),
            format!("{}/chat/completions", elsewhere.base_url()),
        )],
    }])
    .await
    .unwrap();
    let (err, _) = run_err(&client(), req(&server), None).await;
    assert!(err.to_string().contains("redirects to http://"), "{err}");
    assert!(
        elsewhere.requests().is_empty(),
        "the key never went to the other host"
    );
}
