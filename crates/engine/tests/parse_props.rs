//! No bytes a provider sends can panic Quarry: arbitrary bytes and JSON-shaped noise go to
//! every parse path of every protocol (plain bodies, stream events, error bodies, the SSE
//! reader) in every mode, and arbitrary bodies and event streams go through a whole run over
//! real HTTP. Every run ends with a result or an error of its own kind, never a panic.

mod common;

use std::sync::Arc;

use common::{TEST_KEY, client, person_schema};
use proptest::prelude::*;
use quarry_engine::provider::bedrock::Bedrock;
use quarry_engine::provider::registry::{self, Wire};
use quarry_engine::provider::{Frame, Protocol};
use quarry_engine::sse::SseReader;
use quarry_engine::{
    ApiKey, CallOptions, ErrorKind, ExtractRequest, Mode, Redactor, ResponseSchema, StreamKind,
    TransportRetry,
};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::{Map, Value, json};

/// One protocol of each wire kind.
fn protocols() -> Vec<Box<dyn Protocol>> {
    let mut out: Vec<Box<dyn Protocol>> = registry::one_per_wire()
        .into_iter()
        // Vertex AI and Bedrock need settings from the environment (Vertex's body is Gemini's).
        .filter_map(|p| registry::protocol(p, "http://127.0.0.1:1".into()).ok())
        .collect();
    out.push(Box::new(Bedrock::with(
        registry::find("bedrock").unwrap(),
        "http://127.0.0.1:1".into(),
        "us-east-1".into(),
        None,
    )));
    out
}

/// JSON built from the words the protocol looks for, so random documents reach deep into the
/// parsers instead of failing at the first key.
fn wire_json() -> impl Strategy<Value = Value> {
    let words = prop::sample::select(vec![
        "choices",
        "message",
        "delta",
        "content",
        "tool_calls",
        "function",
        "name",
        "arguments",
        "index",
        "id",
        "finish_reason",
        "refusal",
        "usage",
        "prompt_tokens",
        "output",
        "type",
        "function_call",
        "response",
        "error",
        "status",
        "incomplete_details",
        "reason",
        "item",
        "output_index",
        "call_id",
        "text",
        "response.completed",
        "response.output_text.delta",
        "response.function_call_arguments.delta",
        "response.output_item.added",
        "length",
        "stop",
        "tool_calls",
        "content_filter",
        // Anthropic's
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "tool_use",
        "input_json_delta",
        "partial_json",
        "text_delta",
        "thinking",
        "thinking_delta",
        "signature_delta",
        "signature",
        "content_block",
        "input",
        "stop_reason",
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "end_turn",
        "max_tokens",
        // Gemini's
        "candidates",
        "parts",
        "functionCall",
        "args",
        "finishReason",
        "STOP",
        "MAX_TOKENS",
        "SAFETY",
        "usageMetadata",
        "promptTokenCount",
        "candidatesTokenCount",
        "promptFeedback",
        "blockReason",
        "thoughtSignature",
        "thought",
        // Bedrock's
        "contentBlockIndex",
        "toolUse",
        "toolUseId",
        "stopReason",
        "inputTokens",
        "outputTokens",
        "output",
        // Cohere's
        "content-delta",
        "tool-call-start",
        "tool-call-delta",
        "tool-plan-delta",
        "message-end",
        "tool_plan",
        "COMPLETE",
        "TOOL_CALL",
        "billed_units",
        "tokens",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        words.clone().prop_map(|w| Value::String(w.to_string())),
        "\\PC{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((words.clone(), inner), 0..6).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// An event's type: one a protocol looks for (Bedrock's are only in the frame header), or noise.
fn event_kind() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "contentBlockStart",
            "contentBlockDelta",
            "contentBlockStop",
            "messageStop",
            "metadata",
            "message_start",
            "content_block_delta",
        ])
        .prop_map(str::to_string),
        "[a-z._]{0,24}",
    ]
}

/// A body: arbitrary bytes, or JSON-shaped noise, or JSON cut short.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        wire_json().prop_map(|v| v.to_string().into_bytes()),
        (wire_json(), any::<prop::sample::Index>()).prop_map(|(v, i)| {
            let mut b = v.to_string().into_bytes();
            b.truncate(i.index(b.len() + 1));
            b
        }),
    ]
}

/// An event stream: well-formed events with noisy data, raw lines, arbitrary bytes.
fn sse_body() -> impl Strategy<Value = Vec<u8>> {
    let part = prop_oneof![
        wire_json().prop_map(|v| format!("data: {v}\n\n").into_bytes()),
        body().prop_map(|b| {
            let mut e = b"data: ".to_vec();
            e.extend(b);
            e.extend(b"\n\n");
            e
        }),
        Just(b"data: [DONE]\n\n".to_vec()),
        Just(b": keep-alive\r\n\r\n".to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
    ];
    prop::collection::vec(part, 0..12).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn plain_bodies_never_panic(bytes in body()) {
        for p in protocols() {
            for mode in Mode::ALL {
                let _ = p.parse(mode, &bytes);
            }
        }
    }

    #[test]
    fn error_bodies_never_panic(bytes in body(), status in 100u16..600) {
        for p in protocols() {
            let _ = p.failure(status, &String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn stream_events_never_panic(events in prop::collection::vec((body(), proptest::option::of(event_kind())), 1..8)) {
        // A decoder keeps state across events: feed it a sequence.
        for p in protocols() {
            for mode in Mode::ALL {
                let mut decoder = p.decoder(mode);
                for (data, kind) in &events {
                    let data = String::from_utf8_lossy(data);
                    let _ = decoder.decode(Frame { kind: kind.as_deref(), data: &data }, &mut |_| {});
                }
            }
        }
    }

    #[test]
    fn the_sse_reader_never_panics(bytes in sse_body(), cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6)) {
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        at.sort_unstable();
        let mut r = SseReader::with_limit(256);
        let mut last = 0;
        for cut in at.into_iter().chain([bytes.len()]) {
            if r.feed(&bytes[last..cut], |_| {}).is_err() {
                break;
            }
            last = cut;
        }
    }

    #[test]
    fn masking_never_panics_and_never_shows_the_key(key in "\\PC{1,40}", text in "\\PC{0,80}", body in body()) {
        let mut r = Redactor::new();
        r.add_key(&ApiKey::new(key.clone()));
        let shown = format!("{text}{key}{text}");
        let masked = r.mask(&shown);
        if key.trim().len() >= 4 {
            prop_assert!(!masked.contains(key.trim()));
        }
        let _ = r.mask_body(&String::from_utf8_lossy(&body));
        let _ = ApiKey::new(key).problem();
    }
}

/// One runtime for the HTTP properties below (a runtime per case would dominate their cost).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn request(server: &FakeServer, wire: Wire, mode: Mode) -> ExtractRequest {
    let (provider, base) = match wire {
        Wire::OpenAi(_) => ("openai/gpt-4o-mini", server.base_url()),
        Wire::Anthropic => ("anthropic/claude-x", format!("http://{}", server.addr())),
        Wire::Gemini => ("gemini/gemini-x", format!("http://{}", server.addr())),
        Wire::Cohere => ("cohere/command-x", format!("http://{}", server.addr())),
        // These need settings and credentials from the environment (tests/vertex.rs,
        // tests/bedrock.rs).
        Wire::Vertex | Wire::Bedrock => unreachable!("not selected"),
    };
    ExtractRequest::new(provider)
        .base_url(base)
        .mode(mode.as_str())
        .user("Extract the person")
        .max_retries(1)
        .transport(TransportRetry::none())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn whole_runs_over_http_end_in_a_result_or_an_error(
        plain in body(),
        stream in sse_body(),
        status in prop::sample::select(vec![200u16, 200, 400, 401, 429, 500, 503]),
        (wire, mode) in prop::sample::select(registry::all()
            .filter(|p| !matches!(p.wire, Wire::Vertex | Wire::Bedrock))
            .flat_map(|p| p.modes.iter().map(move |m| (p.wire, *m)))
            .collect::<Vec<_>>()),
    ) {
        runtime().block_on(async {
            let schema = Arc::new(ResponseSchema::new(person_schema()).unwrap());
            let server = FakeServer::start(vec![
                Reply::bytes(status, plain.clone(), "application/json"),
                Reply::bytes(200, stream.clone(), "text/event-stream"),
            ])
            .await
            .unwrap();
            let c = client();
            let plain_result = c.extract_value(&request(&server, wire, mode), &schema).await;
            if let Err(e) = &plain_result {
                prop_assert_ne!(e.kind(), ErrorKind::BadInput, "{}", e);
                prop_assert!(!e.info().message.contains(&TEST_KEY[3..]));
            }
            if mode != Mode::ParallelTools {
                let run = c
                    .stream(request(&server, wire, mode), schema.clone(), StreamKind::Partial, CallOptions::default())
                    .unwrap();
                if let Err(e) = run.finish().await {
                    prop_assert_ne!(e.kind(), ErrorKind::BadInput, "{}", e);
                }
            }
            Ok(())
        })?;
    }
}
