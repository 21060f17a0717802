//! Streaming end to end through the fake provider: recorded-shape SSE fixtures for every
//! stream format, partial and iterable runs, re-asks across streamed attempts, cancellation,
//! and broken streams.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{PERSON_OK, client, person_schema};
use futures_util::StreamExt;
use quarry_engine::{
    CallOptions, Canceller, Change, Error, ErrorKind, EventRecord, ExtractRequest, IterItem,
    PartialItem, ResponseSchema, RunEvent, Snapshot, StreamKind,
};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../tests/fixtures/sse/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const FIXTURE_ARGS: &str = r#"{"name": "Ada Lovelace", "age": 36, "role": "engineer", "bio": "Wrote the first program — for Babbage’s engine 🧮"}"#;

fn schema() -> Arc<ResponseSchema> {
    let mut s = person_schema();
    s["properties"]["bio"] = json!({"type": "string"});
    Arc::new(ResponseSchema::new(s).unwrap())
}

fn req(server: &FakeServer) -> ExtractRequest {
    ExtractRequest::new("openai/gpt-4o-mini")
        .base_url(server.base_url())
        .user("Extract: {{ text }}")
        .var("text", "Ada Lovelace, 36, engineer")
        .max_retries(1)
}

/// Runs a stream to its end, collecting every event.
async fn collect(
    server: &FakeServer,
    r: ExtractRequest,
    kind: StreamKind,
) -> (Vec<EventRecord>, Result<quarry_engine::Extraction, Error>) {
    let mut run = client()
        .stream(r, schema(), kind, CallOptions::default())
        .unwrap();
    let mut events = Vec::new();
    while let Some(e) = run.next_event().await {
        events.push(e);
    }
    let _ = server;
    (events, run.finish().await)
}

/// Applies the partial changes of `attempt` to a snapshot.
fn replay(events: &[EventRecord], attempt: u32) -> Value {
    let mut snap = Snapshot::new();
    for e in events {
        if let RunEvent::Partial {
            attempt: a,
            changes,
        } = &e.event
            && a.attempt == attempt
        {
            for c in changes {
                assert!(snap.apply(c), "{c:?}");
            }
        }
    }
    snap.into_value()
}

fn expected() -> Value {
    serde_json::from_str(FIXTURE_ARGS).unwrap()
}

#[tokio::test]
async fn recorded_chat_tool_stream_split_anywhere() {
    for rechunk in [None, Some(1), Some(3), Some(64)] {
        let mut reply = Reply::sse(&fixture("openai_chat_tools.sse"));
        if let Some(n) = rechunk {
            reply = reply.rechunked(n);
        }
        let server = FakeServer::start(vec![reply]).await.unwrap();
        let (events, result) = collect(&server, req(&server), StreamKind::Partial).await;
        let out = result.unwrap();
        assert_eq!(out.value, expected(), "rechunk {rechunk:?}");
        assert_eq!(
            replay(&events, 1),
            expected(),
            "the changes rebuild the object"
        );
        assert_eq!(out.usage.total_tokens, 153);
        let body = &server.requests()[0].body;
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
    }
}

#[tokio::test]
async fn fields_report_streaming_then_valid() {
    let server = FakeServer::start(vec![Reply::sse(&fixture("openai_chat_tools.sse"))])
        .await
        .unwrap();
    let (events, result) = collect(&server, req(&server), StreamKind::Partial).await;
    result.unwrap();
    let changes: Vec<Change> = events
        .iter()
        .filter_map(|e| match &e.event {
            RunEvent::Partial { changes, .. } => Some(changes.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let for_bio: Vec<&str> = changes
        .iter()
        .filter(|c| c.path().pointer() == "/bio")
        .map(|c| match c {
            Change::Set { .. } => "set",
            Change::Append { .. } => "append",
            Change::Complete { .. } => "complete",
            Change::Valid { .. } => "valid",
            Change::Invalid { .. } => "invalid",
        })
        .collect();
    assert_eq!(for_bio.first(), Some(&"set"));
    assert!(
        for_bio.iter().filter(|k| **k == "append").count() >= 3,
        "{for_bio:?}"
    );
    assert_eq!(&for_bio[for_bio.len() - 2..], ["complete", "valid"]);
    // The response event carries the stream's timing.
    let stats = events
        .iter()
        .find_map(|e| match &e.event {
            RunEvent::CompletionResponse { stream, .. } => *stream,
            _ => None,
        })
        .unwrap();
    assert!(stats.first_byte_ms.is_some() && stats.first_field_ms.is_some());
    assert!(stats.first_field_ms >= stats.first_byte_ms);
    assert_eq!(stats.bytes, fixture("openai_chat_tools.sse").len() as u64);
}

#[tokio::test]
async fn recorded_md_json_stream_strips_prose_and_fences() {
    let server = FakeServer::start(vec![
        Reply::sse(&fixture("openai_chat_md_json.sse")).rechunked(5),
    ])
    .await
    .unwrap();
    let (events, result) =
        collect(&server, req(&server).mode("MD_JSON"), StreamKind::Partial).await;
    assert_eq!(result.unwrap().value, expected());
    assert_eq!(replay(&events, 1), expected());
}

#[tokio::test]
async fn recorded_responses_stream() {
    let server = FakeServer::start(vec![
        Reply::sse(&fixture("openai_responses_tools.sse")).rechunked(11),
    ])
    .await
    .unwrap();
    let (events, result) = collect(
        &server,
        req(&server).mode("RESPONSES_TOOLS"),
        StreamKind::Partial,
    )
    .await;
    let out = result.unwrap();
    assert_eq!(out.value, expected());
    assert_eq!(out.usage.cached_tokens, Some(64));
    assert_eq!(replay(&events, 1), expected());
    assert_eq!(server.requests()[0].path, "/v1/responses");
    assert_eq!(server.requests()[0].body["stream"], true);
}

#[tokio::test]
async fn recorded_mid_stream_error_is_a_provider_error_keeping_what_arrived() {
    let server = FakeServer::start(vec![Reply::sse(&fixture(
        "openai_chat_error_midstream.sse",
    ))])
    .await
    .unwrap();
    let (_, result) = collect(&server, req(&server), StreamKind::Partial).await;
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Provider);
    match &err {
        Error::StreamError(b) => {
            assert!(b.reason.contains("The server had an error"), "{}", b.reason);
            assert_eq!(b.partial["name"], "Ada Lovelace");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "not retried, not re-asked");
}

#[tokio::test]
async fn recorded_truncated_stream_is_incomplete_keeping_what_arrived() {
    let server = FakeServer::start(vec![Reply::sse(&fixture("openai_chat_truncated.sse"))])
        .await
        .unwrap();
    let (_, result) = collect(&server, req(&server), StreamKind::Partial).await;
    match result.unwrap_err() {
        Error::IncompleteStream(b) => {
            assert_eq!(b.partial["name"], "Ada Lovelace");
            assert!(b.raw.unwrap().starts_with("{\"name\": \"Ada Lovelace\""));
            assert_eq!(b.bytes, fixture("openai_chat_truncated.sse").len() as u64);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_invalid_streamed_attempt_is_reasked_and_streamed_again() {
    let server = FakeServer::start(vec![
        Reply::stream_tool_call(
            "Person",
            r#"{"name": "Ada", "age": -1, "role": "engineer"}"#,
            8,
        ),
        Reply::stream_tool_call("Person", PERSON_OK, 8),
    ])
    .await
    .unwrap();
    let (events, result) = collect(&server, req(&server), StreamKind::Partial).await;
    let out = result.unwrap();
    assert_eq!(out.attempts, 2);
    assert_eq!(replay(&events, 1)["age"], -1);
    assert_eq!(
        replay(&events, 2),
        serde_json::from_str::<Value>(PERSON_OK).unwrap()
    );
    // /age was flagged invalid while attempt 1 streamed, before the stream ended.
    let age_invalid = events.iter().position(|e| matches!(&e.event,
        RunEvent::Partial { attempt, changes } if attempt.attempt == 1
            && changes.iter().any(|c| matches!(c, Change::Invalid { path, .. } if path.pointer() == "/age"))));
    let first_response = events
        .iter()
        .position(|e| matches!(e.event, RunEvent::CompletionResponse { .. }));
    assert!(age_invalid.unwrap() < first_response.unwrap());
    // The re-ask echoes the streamed tool call and answers it.
    let msgs = server.requests()[1].body["messages"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(msgs[1]["tool_calls"][0]["id"], "call_0");
    assert_eq!(
        msgs[1]["tool_calls"][0]["function"]["arguments"],
        r#"{"name": "Ada", "age": -1, "role": "engineer"}"#
    );
    assert_eq!(msgs[2]["role"], "tool");
}

#[tokio::test]
async fn cancellation_aborts_within_100_ms_and_keeps_the_partial_object() {
    let server = FakeServer::start(vec![
        Reply::stream_tool_call("Person", FIXTURE_ARGS, 4).paced(Duration::from_millis(100)),
    ])
    .await
    .unwrap();
    let canceller = Canceller::new();
    let options = CallOptions {
        cancel: Some(canceller.clone()),
        ..Default::default()
    };
    let mut run = client()
        .stream(req(&server), schema(), StreamKind::Partial, options)
        .unwrap();
    // Wait until the name has started arriving.
    while let Some(e) = run.next_event().await {
        if matches!(&e.event, RunEvent::Partial { changes, .. } if changes.iter().any(|c| c.path().pointer() == "/name"))
        {
            break;
        }
    }
    let t0 = Instant::now();
    canceller.cancel();
    let err = run.finish().await.unwrap_err();
    assert!(
        t0.elapsed() < Duration::from_millis(100),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    match err {
        Error::Cancelled {
            partial: Some(p), ..
        } => assert!(p["name"].is_string(), "{p}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn dropping_the_stream_aborts_the_request() {
    let server = FakeServer::start(vec![
        Reply::stream_tool_call("Person", FIXTURE_ARGS, 4).paced(Duration::from_millis(20)),
    ])
    .await
    .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let options = CallOptions {
        observer: Some(Arc::new(move |e: &EventRecord| {
            let _ = tx.send(e.event.clone());
        })),
        ..Default::default()
    };
    let mut run = client()
        .stream(req(&server), schema(), StreamKind::Partial, options)
        .unwrap();
    run.next_event().await;
    drop(run);
    // The whole stream takes ~0.6 s; an aborted run stops emitting at once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut seen = Vec::new();
    while let Ok(e) = rx.try_recv() {
        seen.push(e);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rx.try_recv().is_err(), "events kept coming after the drop");
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, RunEvent::RunSucceeded { .. }))
    );
}

#[tokio::test]
async fn iterable_reports_each_item_and_the_invalid_one() {
    let list = r#"{"tasks": [{"name": "A", "age": 1, "role": "engineer"}, {"name": "B", "age": -5, "role": "engineer"}, {"name": "C", "age": 3, "role": "other"}]}"#;
    let server = FakeServer::start(vec![Reply::stream_tool_call("People", list, 8)])
        .await
        .unwrap();
    let mut item = person_schema();
    let defs = item.as_object_mut().unwrap().remove("$defs").unwrap();
    let schema = Arc::new(
        ResponseSchema::new(
            json!({"title": "People", "type": "array", "items": item, "$defs": defs}),
        )
        .unwrap(),
    );
    let mut run = client()
        .stream(
            req(&server).max_retries(0),
            schema,
            StreamKind::Iterable,
            CallOptions::default(),
        )
        .unwrap();
    let mut items = Vec::new();
    while let Some(e) = run.next_event().await {
        match e.event {
            RunEvent::Item { index, value, .. } => items.push((index, Ok(value["name"].clone()))),
            RunEvent::ItemInvalid { index, issues, .. } => {
                items.push((index, Err(issues[0].to_string())))
            }
            _ => {}
        }
    }
    assert_eq!(items.len(), 3);
    assert_eq!(items[0], (0, Ok(json!("A"))));
    assert_eq!(items[1].0, 1);
    assert!(
        items[1]
            .1
            .as_ref()
            .unwrap_err()
            .contains("at /age: -5 is less than the minimum of 0"),
        "{items:?}"
    );
    assert_eq!(items[2], (2, Ok(json!("C"))));
    // The whole list is still invalid at the end.
    assert_eq!(run.finish().await.unwrap_err().kind(), ErrorKind::Invalid);
}

#[derive(Debug, serde::Deserialize, schemars::JsonSchema, PartialEq)]
struct Person {
    name: String,
    age: u8,
}

#[tokio::test]
async fn typed_partial_and_iterable() {
    let server = FakeServer::start(vec![Reply::stream_tool_call(
        "Person",
        r#"{"name": "Ada Lovelace", "age": 36}"#,
        5,
    )])
    .await
    .unwrap();
    let stream = client().extract_partial::<Person>(req(&server)).unwrap();
    let items: Vec<_> = stream.collect().await;
    let mut names = Vec::new();
    let mut done = None;
    for item in items {
        match item.unwrap() {
            PartialItem::Update { snapshot, .. } => names.push(snapshot["name"].clone()),
            PartialItem::Done(ex) => done = Some(ex.value),
        }
    }
    assert!(names.contains(&json!("Ada L")), "{names:?}");
    assert_eq!(
        done,
        Some(Person {
            name: "Ada Lovelace".into(),
            age: 36
        })
    );

    let list = r#"[{"name": "A", "age": 1}, {"name": "B", "age": 300}, {"name": "C", "age": 3}]"#;
    let server = FakeServer::start(vec![Reply::stream_content(list, 6)])
        .await
        .unwrap();
    let stream = client()
        .extract_iterable::<Person>(req(&server).mode("JSON").max_retries(0))
        .unwrap();
    let items: Vec<_> = stream.collect().await;
    assert!(matches!(&items[0], Ok(IterItem::Item(p)) if p.name == "A"));
    assert!(matches!(&items[1], Ok(IterItem::Invalid(i)) if i.index == 1));
    assert!(matches!(&items[2], Ok(IterItem::Item(p)) if p.name == "C"));
    assert!(matches!(&items[3], Err(e) if e.kind() == ErrorKind::Invalid));
}

#[tokio::test]
async fn stream_stop_reasons() {
    let mut r = Reply::stream_tool_call("Person", r#"{"name": "Ad"#, 4);
    if let Reply::Stream(s) = &mut r {
        let n = s.events.len();
        s.events[n - 3] = s.events[n - 3].replace("\"tool_calls\"}", "\"length\"}");
    }
    let server = FakeServer::start(vec![r]).await.unwrap();
    let (_, result) = collect(&server, req(&server), StreamKind::Partial).await;
    assert!(matches!(
        result.unwrap_err(),
        Error::IncompleteOutput { .. }
    ));
}

#[tokio::test]
async fn parallel_tools_cannot_stream() {
    let server = FakeServer::start(vec![]).await.unwrap();
    let (_, result) = collect(
        &server,
        req(&server).mode("PARALLEL_TOOLS"),
        StreamKind::Partial,
    )
    .await;
    assert_eq!(result.unwrap_err().code(), "invalid_setting");
}
