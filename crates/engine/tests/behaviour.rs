//! One test per user-visible behaviour of the attempt loop, each against a fake provider
//! started by the test on 127.0.0.1.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{PERSON_OK, TEST_KEY, client, person_schema};
use quarry_engine::{
    CallOptions, Error, ErrorKind, EventRecord, ExtractRequest, HookName, Hooks, ResponseSchema,
    RunEvent, TransportRetry,
};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::{Value, json};

fn req(server: &FakeServer) -> ExtractRequest {
    ExtractRequest::new("openai/gpt-4o-mini")
        .base_url(server.base_url())
        .user("Extract: {{ text }}")
        .var("text", "Ada Lovelace, 36, engineer")
        .transport(TransportRetry {
            max_retries: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_secs(5),
            ..TransportRetry::default()
        })
}

fn schema() -> ResponseSchema {
    ResponseSchema::new(person_schema()).unwrap()
}

/// Runs the default request against a server scripted with `replies`; expects success.
async fn succeeds(replies: Vec<Reply>) -> (quarry_engine::Extraction, FakeServer) {
    let server = FakeServer::start(replies).await.unwrap();
    let out = client()
        .extract_value(&req(&server), &schema())
        .await
        .unwrap();
    (out, server)
}

/// Runs the default request against a server scripted with `replies`; expects an error.
async fn fails(replies: Vec<Reply>) -> (Error, FakeServer) {
    let server = FakeServer::start(replies).await.unwrap();
    let err = client()
        .extract_value(&req(&server), &schema())
        .await
        .unwrap_err();
    (err, server)
}

/// The messages of the `i`-th request the server received.
fn messages_sent(server: &FakeServer, i: usize) -> Vec<Value> {
    server.requests()[i].body["messages"]
        .as_array()
        .unwrap()
        .clone()
}

/// Collects every event of a call.
fn recorder() -> (CallOptions, Arc<Mutex<Vec<EventRecord>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let options = CallOptions {
        hooks: Hooks::new(),
        observer: Some(Arc::new(move |e: &EventRecord| {
            sink.lock().unwrap().push(e.clone())
        })),
        cancel: None,
    };
    (options, events)
}

fn types(events: &[EventRecord]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn valid_first_time() {
    let (out, server) = succeeds(vec![Reply::tool_call("Person", PERSON_OK)]).await;
    assert_eq!(out.value, serde_json::from_str::<Value>(PERSON_OK).unwrap());
    assert_eq!(out.attempts, 1);
    assert_eq!(out.usage.total_tokens, 60);
    let r = &server.requests()[0];
    assert_eq!(
        r.header("authorization"),
        Some(format!("Bearer {TEST_KEY}").as_str())
    );
    assert_eq!(
        r.body["messages"][0]["content"],
        "Extract: Ada Lovelace, 36, engineer"
    );
}

#[tokio::test]
async fn invalid_then_valid_is_reasked_with_the_errors() {
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", r#"{"name": "Ada", "age": -3, "role": "wizard"}"#),
        Reply::tool_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    let (options, events) = recorder();
    let out = client()
        .extract_value_with(&req(&server), &schema(), &options)
        .await
        .unwrap();
    assert_eq!(out.attempts, 2);
    assert_eq!(out.usage.total_tokens, 120, "usage is summed over attempts");

    // The second request echoes the failed tool call and answers it with the errors.
    let second = &server.requests()[1].body["messages"];
    let msgs = second.as_array().unwrap();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[1]["role"], "assistant");
    assert_eq!(msgs[1]["tool_calls"][0]["id"], "call_0");
    assert_eq!(msgs[2]["role"], "tool");
    assert_eq!(msgs[2]["tool_call_id"], "call_0");
    let feedback = msgs[2]["content"].as_str().unwrap();
    assert!(
        feedback.contains("at /age: -3 is less than the minimum of 0"),
        "{feedback}"
    );
    assert!(
        feedback.contains("at /role: \"wizard\" is not one of"),
        "{feedback}"
    );

    let kinds = types(&events.lock().unwrap());
    assert_eq!(
        kinds,
        [
            "run_started",
            "completion:kwargs",
            "completion:response",
            "parse:error",
            "reask",
            "completion:kwargs",
            "completion:response",
            "run_succeeded"
        ]
    );
}

#[tokio::test]
async fn json_modes_reask_with_a_user_message() {
    let server = FakeServer::start(vec![
        Reply::content("```json\n{\"name\": \"Ada\"}\n```"),
        Reply::content(&format!("```json\n{PERSON_OK}\n```")),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server).mode("MD_JSON"), &schema())
        .await
        .unwrap();
    assert_eq!(out.attempts, 2);
    let msgs = messages_sent(&server, 1);
    let n = msgs.len();
    assert_eq!(msgs[n - 2]["role"], "assistant");
    assert_eq!(msgs[n - 1]["role"], "user");
    assert!(
        msgs[n - 1]["content"]
            .as_str()
            .unwrap()
            .contains("\"age\" is a required property")
    );
    // The ```json request stays right after the caller's message, before the re-ask.
    assert!(msgs[2]["content"].as_str().unwrap().contains("```json"));
}

#[tokio::test]
async fn exhausted_reasks_report_every_attempt() {
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", "{not json"),
        Reply::tool_call("Person", ""),
        Reply::tool_call("Human", PERSON_OK),
    ])
    .await
    .unwrap();
    let (mut options, events) = recorder();
    let last = Arc::new(Mutex::new(None));
    let seen = last.clone();
    options.hooks.on(HookName::CompletionLastAttempt, move |e| {
        *seen.lock().unwrap() = Some(e.clone());
    });
    let err = client()
        .extract_value_with(&req(&server).max_retries(2), &schema(), &options)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    let Error::RetriesExhausted(ex) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(server.requests().len(), 3, "max_retries = 2 means 3 calls");
    let errors: Vec<_> = ex
        .failed_attempts
        .iter()
        .map(|a| (a.number, a.error.as_str()))
        .collect();
    assert!(errors[0].1.contains("not valid JSON"), "{errors:?}");
    assert!(
        errors[1].1.contains("arguments of `Person` are empty"),
        "{errors:?}"
    );
    assert!(errors[2].1.contains("called was `Human`"), "{errors:?}");
    assert_eq!(ex.failed_attempts[0].raw.as_deref(), Some("{not json"));
    assert_eq!(ex.usage.total_tokens, 180);
    assert_eq!(
        ex.messages.len(),
        1 + 2 * 2,
        "the prompt plus two re-asks of two messages"
    );
    match last.lock().unwrap().clone() {
        Some(RunEvent::CompletionLastAttempt { attempt, .. }) => {
            assert_eq!(
                (attempt.attempt, attempt.max_attempts, attempt.is_last),
                (3, 3, true)
            );
        }
        other => panic!("{other:?}"),
    }
    let kinds = types(&events.lock().unwrap());
    assert_eq!(kinds.iter().filter(|k| *k == "parse:error").count(), 3);
    assert_eq!(kinds.last().unwrap(), "run_failed");
}

#[tokio::test]
async fn an_answer_that_copies_the_schema_is_called_out() {
    let echoed = serde_json::to_string(&person_schema()).unwrap();
    let server = FakeServer::start(vec![
        Reply::content(&format!("```json\n{echoed}\n```")),
        Reply::content(PERSON_OK),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server).mode("MD_JSON"), &schema())
        .await
        .unwrap();
    assert_eq!(out.attempts, 2);
    let msgs = messages_sent(&server, 1);
    let feedback = msgs.last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        feedback.starts_with("the answer is a JSON Schema, not data"),
        "{feedback}"
    );
}

#[tokio::test]
async fn no_tool_call_is_reasked_with_a_user_message() {
    let server = FakeServer::start(vec![
        Reply::content("Ada is 36."),
        Reply::tool_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    client()
        .extract_value(&req(&server), &schema())
        .await
        .unwrap();
    let msgs = messages_sent(&server, 1);
    assert_eq!(
        msgs[1],
        json!({"role": "assistant", "content": "Ada is 36."})
    );
    assert!(
        msgs[2]["content"]
            .as_str()
            .unwrap()
            .contains("no function was called")
    );
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let server = FakeServer::start(vec![
        Reply::rate_limited("1"),
        Reply::tool_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    let (options, events) = recorder();
    let c = client();
    let t0 = Instant::now();
    let out = c
        .extract_value_with(&req(&server), &schema(), &options)
        .await
        .unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        t0.elapsed()
    );
    assert_eq!(out.attempts, 1, "a transport retry is not a re-ask");
    let events = events.lock().unwrap();
    let retry = events
        .iter()
        .find_map(|e| match &e.event {
            RunEvent::CompletionError {
                error, retry_in_ms, ..
            } => Some((error.code.clone(), *retry_in_ms)),
            _ => None,
        })
        .unwrap();
    assert_eq!(retry, ("rate_limited".to_string(), Some(1000)));
}

#[tokio::test]
async fn server_errors_and_dropped_connections_are_retried() {
    let (out, server) = succeeds(vec![
        Reply::error(500, "server_error", "boom"),
        Reply::Drop,
        Reply::error(503, "overloaded", "busy"),
        Reply::tool_call("Person", PERSON_OK),
    ])
    .await;
    assert_eq!(out.attempts, 1);
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn transport_retries_are_bounded_and_keep_the_status_and_body() {
    let (err, server) = fails(vec![Reply::error(502, "bad_gateway", "upstream died")]).await;
    assert_eq!(server.requests().len(), 4, "1 try + 3 retries");
    match &err {
        Error::Http {
            status,
            message,
            body,
            retries,
            ..
        } => {
            assert_eq!(
                (*status, message.as_str(), *retries),
                (502, "upstream died", 3)
            );
            assert!(body.contains("bad_gateway"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.kind(), ErrorKind::Provider);
}

#[tokio::test]
async fn client_errors_and_exhausted_quota_are_not_retried() {
    for reply in [
        Reply::error(
            401,
            "invalid_api_key",
            &format!("Incorrect API key provided: {TEST_KEY}"),
        ),
        Reply::error(400, "invalid_request_error", "bad field"),
        Reply::error(404, "model_not_found", "no such model"),
        Reply::error(429, "insufficient_quota", "You exceeded your current quota"),
    ] {
        let (err, server) = fails(vec![reply]).await;
        assert_eq!(server.requests().len(), 1, "{err}");
        let text = format!("{err} {:?} {}", err.details(), err.hint());
        assert!(
            !text.contains(TEST_KEY) && !text.contains("0123456789"),
            "key leaked: {text}"
        );
    }
}

#[tokio::test]
async fn long_retry_after_is_reported_not_waited_for() {
    let server = FakeServer::start(vec![Reply::rate_limited("3600")])
        .await
        .unwrap();
    let c = client();
    let t0 = Instant::now();
    let err = c.extract_value(&req(&server), &schema()).await.unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    assert_eq!(err.code(), "rate_limited");
}

#[tokio::test]
async fn total_timeout_cuts_a_slow_answer() {
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", PERSON_OK).delayed(Duration::from_secs(5)),
    ])
    .await
    .unwrap();
    let c = client();
    let t0 = Instant::now();
    let err = c
        .extract_value(&req(&server).timeout(Duration::from_millis(300)), &schema())
        .await
        .unwrap_err();
    // The answer would come after 5 s.
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
    assert!(
        matches!(err, Error::Timeout { limit_ms: 300, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn total_timeout_keeps_failed_attempts() {
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", "{}"),
        Reply::tool_call("Person", PERSON_OK).delayed(Duration::from_secs(5)),
    ])
    .await
    .unwrap();
    let err = client()
        .extract_value(&req(&server).timeout(Duration::from_millis(400)), &schema())
        .await
        .unwrap_err();
    let Error::Timeout {
        failed_attempts,
        usage,
        ..
    } = err
    else {
        panic!()
    };
    assert_eq!(failed_attempts.len(), 1);
    assert_eq!(usage.total_tokens, 60);
}

#[tokio::test]
async fn a_request_that_times_out_is_retried() {
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", PERSON_OK).delayed(Duration::from_secs(5)),
        Reply::tool_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    let mut r = req(&server);
    r.transport.request_timeout = Duration::from_millis(200);
    let (options, events) = recorder();
    let c = client();
    let t0 = Instant::now();
    let out = c.extract_value_with(&r, &schema(), &options).await.unwrap();
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
    assert_eq!((out.attempts, server.requests().len()), (1, 2));
    let codes: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match &e.event {
            RunEvent::CompletionError { error, .. } => Some(error.message.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(codes.len(), 1);
    assert!(codes[0].contains("no answer within 0.2 s"), "{codes:?}");
}

#[tokio::test]
async fn transport_retries_are_bounded_in_time() {
    let server = FakeServer::start(vec![Reply::error(503, "overloaded", "busy")])
        .await
        .unwrap();
    let mut r = req(&server);
    r.transport = TransportRetry {
        max_retries: 100,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(100),
        max_elapsed: Duration::from_millis(450),
        ..TransportRetry::default()
    };
    // Unbounded, 100 retries would take about 7.5 s; the 450 ms budget stops it near there.
    let c = client();
    let t0 = Instant::now();
    let err = c.extract_value(&r, &schema()).await.unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    let n = server.requests().len();
    assert!((2..=10).contains(&n), "{n} sends");
    assert!(matches!(err, Error::Http { status: 503, .. }));
}

#[tokio::test]
async fn length_is_incomplete_and_not_reasked() {
    let (err, server) = fails(vec![Reply::length("Person", r#"{"name": "Ada", "ag"#)]).await;
    assert_eq!(server.requests().len(), 1);
    assert_eq!(err.kind(), ErrorKind::Incomplete);
    assert!(
        matches!(&err, Error::IncompleteOutput { raw: Some(r), .. } if r.contains("\"ag")),
        "{err:?}"
    );
}

#[tokio::test]
async fn refusal_carries_the_text() {
    let (err, _) = fails(vec![Reply::refusal("I can't help with that.")]).await;
    assert!(matches!(&err, Error::Refusal { text, .. } if text == "I can't help with that."));
    assert_eq!(err.kind(), ErrorKind::Incomplete);
}

#[tokio::test]
async fn garbage_answers_are_provider_errors() {
    let (err, _) = fails(vec![Reply::garbage(200, "<html>hello</html>")]).await;
    assert_eq!(err.code(), "malformed_response");
    assert!(err.to_string().contains("not JSON"), "{err}");
    assert!(err.hint().contains("base URL"));
}

#[tokio::test]
async fn hooks_see_attempt_numbers_and_panics_do_not_break_the_run() {
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", "{}"),
        Reply::tool_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    let c = client();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let client_hook = c.on(HookName::CompletionKwargs, move |e| {
        if let RunEvent::CompletionKwargs { attempt, request } = e {
            assert_eq!(request.headers[0].1, "<redacted>");
            s.lock().unwrap().push(format!(
                "kwargs {}/{} last={}",
                attempt.attempt, attempt.max_attempts, attempt.is_last
            ));
        }
    });
    let (mut options, events) = recorder();
    let s = seen.clone();
    options.hooks.on(HookName::ParseError, move |e| {
        if let RunEvent::ParseError { attempt, .. } = e {
            s.lock().unwrap().push(format!("parse {}", attempt.attempt));
        }
    });
    options
        .hooks
        .on(HookName::CompletionResponse, |_| panic!("handler bug"));
    let out = c
        .extract_value_with(&req(&server).max_retries(1), &schema(), &options)
        .await
        .unwrap();
    assert_eq!(out.attempts, 2);
    assert_eq!(
        *seen.lock().unwrap(),
        ["kwargs 1/2 last=false", "parse 1", "kwargs 2/2 last=true"]
    );
    let failures: Vec<_> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match &e.event {
            RunEvent::HookFailed { hook, message } => Some((hook.clone(), message.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(failures.len(), 2);
    assert_eq!(
        failures[0],
        ("completion:response".to_string(), "handler bug".to_string())
    );

    // Removing the client hook stops it.
    assert!(c.off(client_hook));
    seen.lock().unwrap().clear();
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    c.extract_value(&req(&server), &schema()).await.unwrap();
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn events_never_contain_the_key() {
    let server = FakeServer::start(vec![
        Reply::error(500, "x", &format!("echo {TEST_KEY}")),
        Reply::tool_call("Person", "{}"),
        Reply::tool_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    let (options, events) = recorder();
    client()
        .extract_value_with(&req(&server), &schema(), &options)
        .await
        .unwrap();
    let all = serde_json::to_string(&*events.lock().unwrap()).unwrap();
    assert!(all.contains("<redacted>"));
    assert!(!all.contains("0123456789abcdef"), "{all}");
    // Events are versioned and numbered.
    let events = events.lock().unwrap();
    assert!(
        events
            .iter()
            .all(|e| e.v == quarry_engine::RUN_EVENT_VERSION)
    );
    assert!(events.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    // And they round-trip through JSON.
    for e in events.iter() {
        let back: EventRecord = serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap();
        assert_eq!(&back, e);
    }
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema, PartialEq)]
struct Person {
    name: String,
    age: u8,
    tags: Vec<String>,
}

#[tokio::test]
async fn typed_extract_reasks_on_validation_errors() {
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", r#"{"name": "Ada", "age": 300, "tags": []}"#),
        Reply::tool_call("Person", r#"{"name": "Ada", "age": 36, "tags": ["math"]}"#),
    ])
    .await
    .unwrap();
    let p: Person = client().extract(&req(&server)).await.unwrap();
    assert_eq!(
        p,
        Person {
            name: "Ada".into(),
            age: 36,
            tags: vec!["math".into()]
        }
    );
    let feedback = server.requests()[1].body["messages"][2]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(feedback.contains("/age"), "{feedback}");
}

#[tokio::test]
async fn strict_mode_nulls_for_optional_fields_are_dropped() {
    let server = FakeServer::start(vec![Reply::tool_call(
        "Person",
        r#"{"name": "Ada", "age": 36, "role": "engineer", "address": null}"#,
    )])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server).mode("TOOLS_STRICT"), &schema())
        .await
        .unwrap();
    assert_eq!(
        out.value,
        json!({"name": "Ada", "age": 36, "role": "engineer"})
    );
}

#[tokio::test]
async fn simple_types_and_lists_are_unwrapped() {
    let server = FakeServer::start(vec![Reply::tool_call("Response", r#"{"content": 42}"#)])
        .await
        .unwrap();
    let out = client()
        .extract_value(
            &req(&server),
            &ResponseSchema::new(json!({"type": "integer"})).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(out.value, json!(42));

    let server = FakeServer::start(vec![Reply::tool_call("Tasks", r#"{"tasks": ["a", "b"]}"#)])
        .await
        .unwrap();
    let list = ResponseSchema::new(
        json!({"title": "Tasks", "type": "array", "items": {"type": "string"}}),
    )
    .unwrap();
    let out = client().extract_value(&req(&server), &list).await.unwrap();
    assert_eq!(out.value, json!(["a", "b"]));
}

#[tokio::test]
async fn parallel_tools_return_a_list_and_validate_each_call() {
    let schema = ResponseSchema::new(json!({"anyOf": [{"$ref": "#/$defs/Weather"}, {"$ref": "#/$defs/Search"}],
        "$defs": {
          "Weather": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
          "Search": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}))
    .unwrap();
    let server = FakeServer::start(vec![
        Reply::tool_calls(&[
            ("Weather", r#"{"city": 1}"#),
            ("Search", r#"{"query": "x"}"#),
        ]),
        Reply::tool_calls(&[
            ("Weather", r#"{"city": "Oslo"}"#),
            ("Search", r#"{"query": "x"}"#),
        ]),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server).mode("PARALLEL_TOOLS"), &schema)
        .await
        .unwrap();
    assert_eq!(out.value, json!([{"city": "Oslo"}, {"query": "x"}]));
    let msgs = messages_sent(&server, 1);
    assert_eq!(
        msgs.iter().filter(|m| m["role"] == "tool").count(),
        2,
        "each call answered"
    );
    assert!(
        msgs[2]["content"]
            .as_str()
            .unwrap()
            .contains("at /0/city: (Weather)")
    );
}

#[tokio::test]
async fn responses_api_reasks_with_function_call_output() {
    let server = FakeServer::start(vec![
        Reply::responses_call("Person", r#"{"name": "Ada"}"#),
        Reply::responses_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server).mode("RESPONSES_TOOLS"), &schema())
        .await
        .unwrap();
    assert_eq!(out.usage.cached_tokens, Some(32));
    let input = server.requests()[1].body["input"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(input[1]["type"], "function_call");
    assert_eq!(input[1]["call_id"], "call_1");
    assert_eq!(input[2]["type"], "function_call_output");
    assert!(
        input[2]["output"]
            .as_str()
            .unwrap()
            .contains("\"age\" is a required property")
    );
}

#[tokio::test]
async fn functions_mode_reads_function_call() {
    let server = FakeServer::start(vec![Reply::function_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let out = client()
        .extract_value(&req(&server).mode("FUNCTIONS"), &schema())
        .await
        .unwrap();
    assert_eq!(out.value["name"], "Ada Lovelace");
}

#[tokio::test]
async fn bad_requests_fail_before_sending() {
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let c = client();
    let cases: Vec<(ExtractRequest, &str)> = vec![
        (ExtractRequest::new("nosuch/model"), "unknown_provider"),
        (ExtractRequest::new("openai"), "invalid_request"),
        (req(&server).mode("ANTHROPIC_TOOLS"), "unsupported_mode"),
        (
            ExtractRequest::new("perplexity/sonar").mode("tools"),
            "unsupported_mode",
        ),
        (req(&server).mode("yaml_please"), "unknown_mode"),
        (
            req(&server).user("{{ missing }}"),
            "template_undefined_variable",
        ),
        (req(&server).user("{% for %}"), "template_syntax_error"),
    ];
    for (r, code) in cases {
        let err = c.extract_value(&r, &schema()).await.unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        assert_eq!(err.kind(), ErrorKind::BadInput);
    }
    assert!(server.requests().is_empty());
}
