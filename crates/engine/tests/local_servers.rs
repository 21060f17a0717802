//! Local servers (llama.cpp, Ollama, vLLM, LM Studio): the JSON modes carry the schema in the
//! form each server constrains generation with, and a server that refuses tool calls ends
//! the run at once with the mode that works, instead of retrying or re-asking into the same
//! refusal.

mod common;

use std::time::Duration;

use common::{PERSON_OK, client, person_schema};
use quarry_engine::provider::registry;
use quarry_engine::{Error, ExtractRequest, Mode, ResponseSchema, TransportRetry};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::{Value, json};

fn req(server: &FakeServer, provider: &str, mode: &str) -> ExtractRequest {
    ExtractRequest::new(provider)
        .base_url(server.base_url())
        .mode(mode)
        .user("Extract: Ada Lovelace, 36, engineer")
        .max_retries(2)
        .transport(TransportRetry {
            initial_backoff: Duration::from_millis(10),
            ..TransportRetry::default()
        })
}

fn schema() -> ResponseSchema {
    ResponseSchema::new(person_schema()).unwrap()
}

#[tokio::test]
async fn json_mode_sends_the_schema_where_each_server_constrains_with_it() {
    for (provider, expected_type, schema_at) in [
        // llama-server: `json_object` with `schema`, turned into a grammar.
        ("llamacpp/qwen", "json_object", "/response_format/schema"),
        // Ollama drops a schema sent with json_object; json_schema becomes its `format`.
        (
            "ollama/llama3.2",
            "json_schema",
            "/response_format/json_schema/schema",
        ),
        // vLLM: guided decoding from json_schema.
        (
            "vllm/Qwen/Qwen2.5-7B-Instruct",
            "json_schema",
            "/response_format/json_schema/schema",
        ),
        // LM Studio refuses json_object.
        (
            "lmstudio/qwen2.5-7b-instruct",
            "json_schema",
            "/response_format/json_schema/schema",
        ),
    ] {
        let server = FakeServer::start(vec![Reply::content(PERSON_OK)])
            .await
            .unwrap();
        let out = client()
            .extract_value(&req(&server, provider, "json"), &schema())
            .await
            .unwrap();
        assert_eq!(out.value["name"], "Ada Lovelace");
        let body = &server.requests()[0].body;
        assert_eq!(body["response_format"]["type"], expected_type, "{provider}");
        let sent: &Value = body
            .pointer(schema_at)
            .unwrap_or_else(|| panic!("{provider}: {body}"));
        assert_eq!(
            sent["properties"]["age"],
            json!({"type": "integer", "minimum": 0})
        );
    }
    // OpenAI's JSON mode is unchanged: a bare json_object.
    let server = FakeServer::start(vec![Reply::content(PERSON_OK)])
        .await
        .unwrap();
    client()
        .extract_value(&req(&server, "openai/gpt-4o-mini", "json"), &schema())
        .await
        .unwrap();
    assert_eq!(
        server.requests()[0].body["response_format"],
        json!({"type": "json_object"})
    );
}

#[test]
fn the_registry_says_which_modes_each_local_server_constrains() {
    let constrained = |name: &str| registry::find(name).unwrap().constrained.to_vec();
    assert_eq!(constrained("llamacpp"), vec![Mode::Json, Mode::JsonSchema]);
    assert_eq!(constrained("ollama"), vec![Mode::Json, Mode::JsonSchema]);
    assert_eq!(
        constrained("vllm"),
        vec![Mode::Tools, Mode::Json, Mode::JsonSchema]
    );
    assert_eq!(constrained("lmstudio"), vec![Mode::Json, Mode::JsonSchema]);
    assert!(constrained("openai").is_empty());
}

#[tokio::test]
async fn a_server_that_refuses_tools_ends_the_run_at_once_naming_the_mode_that_works() {
    for (provider, status, body) in [
        // Ollama, for a model whose template has no tools (server/images.go).
        (
            "ollama/gemma:2b",
            400,
            r#"{"error":{"message":"registry.ollama.ai/library/gemma:2b does not support tools","type":"invalid_request_error"}}"#,
        ),
        // llama-server started without --jinja: a 500, which would otherwise be retried.
        (
            "llamacpp/qwen",
            500,
            r#"{"error":{"code":500,"message":"tools param requires --jinja flag","type":"server_error"}}"#,
        ),
        // vLLM without a tool parser.
        (
            "vllm/Qwen/Qwen2.5-7B-Instruct",
            400,
            r#"{"object":"error","message":"\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set","type":"BadRequestError","code":400}"#,
        ),
    ] {
        let server = FakeServer::start(vec![Reply::bytes(
            status,
            body.as_bytes().to_vec(),
            "application/json",
        )])
        .await
        .unwrap();
        let e = client()
            .extract_value(&req(&server, provider, "tools"), &schema())
            .await
            .unwrap_err();
        assert_eq!(
            server.requests().len(),
            1,
            "{provider}: no retry, no re-ask"
        );
        match &e {
            Error::UnsupportedMode { mode, note, .. } => {
                assert_eq!(mode, "tools");
                let note = note.as_deref().unwrap();
                assert!(
                    note.contains("the server refuses tool calls for this model"),
                    "{note}"
                );
                assert!(note.contains("use the json_schema mode"), "{note}");
            }
            other => panic!("{provider}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn llama_server_whose_template_has_no_tool_calls_is_asked_once_then_the_run_ends() {
    let server = FakeServer::start(vec![
        Reply::content("Ada Lovelace is 36."),
        Reply::ok(
            json!({"chat_template_caps": {"supports_tool_calls": false, "supports_tools": false}}),
        ),
    ])
    .await
    .unwrap();
    let e = client()
        .extract_value(&req(&server, "llamacpp/smollm2", "tools"), &schema())
        .await
        .unwrap_err();
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the answer, then /props; no re-ask");
    assert_eq!(
        (requests[1].method.as_str(), requests[1].path.as_str()),
        ("GET", "/props")
    );
    match &e {
        Error::UnsupportedMode { note, valid, .. } => {
            let note = note.as_deref().unwrap();
            assert!(note.contains("chat template has no tool calls"), "{note}");
            assert!(note.contains("use the json_schema mode"), "{note}");
            assert!(valid.iter().all(|m| !m.is_tool_mode()), "{valid:?}");
        }
        other => panic!("{other:?}"),
    }

    // A template with tool calls (or a server without /props): the usual re-ask.
    let server = FakeServer::start(vec![
        Reply::content("Ada Lovelace is 36."),
        Reply::ok(json!({"chat_template_caps": {"supports_tool_calls": true}})),
        Reply::tool_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    let out = client()
        .extract_value(&req(&server, "llamacpp/qwen", "tools"), &schema())
        .await
        .unwrap();
    assert_eq!(out.attempts, 2);
    // Other servers are not asked.
    let server = FakeServer::start(vec![
        Reply::content("Ada Lovelace is 36."),
        Reply::tool_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    client()
        .extract_value(&req(&server, "ollama/llama3.2", "tools"), &schema())
        .await
        .unwrap();
    assert!(server.requests().iter().all(|r| r.method == "POST"));
}

/// Shapes as the servers answer them (Ollama 0.6+, llama-server, vLLM), trimmed.
#[tokio::test]
async fn local_servers_list_their_models_with_what_each_supports() {
    let ollama = FakeServer::start(vec![
        Reply::ok(json!({"models": [
            {"name": "qwen3:8b", "model": "qwen3:8b", "size": 5_225_388_164u64,
             "details": {"format": "gguf", "family": "qwen3", "parameter_size": "8.2B",
                         "quantization_level": "Q4_K_M"}},
            {"name": "llava:7b", "model": "llava:7b", "details": {"parameter_size": "7B"}}
        ]})),
        Reply::ok(json!({"capabilities": ["completion", "tools", "thinking"]})),
        // An Ollama before 0.6 shows no capabilities: nothing is claimed.
        Reply::ok(json!({"modelfile": "FROM llava"})),
    ])
    .await
    .unwrap();
    let servers = client()
        .discover_local(Some("ollama"), Some(&format!("http://{}", ollama.addr())))
        .await
        .unwrap();
    let s = &servers[0];
    assert!(s.running && s.problem.is_none(), "{s:?}");
    assert_eq!(s.constrained, vec![Mode::Json, Mode::JsonSchema]);
    assert_eq!(
        (
            s.models[0].id.as_str(),
            s.models[0].tools,
            s.models[0].vision
        ),
        ("qwen3:8b", Some(true), Some(false))
    );
    assert_eq!(s.models[0].details.as_deref(), Some("8.2B, Q4_K_M, qwen3"));
    assert_eq!((s.models[1].tools, s.models[1].vision), (None, None));
    let asked: Vec<_> = ollama
        .requests()
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.path.clone(),
                r.body.get("model").cloned(),
            )
        })
        .collect();
    assert_eq!(
        asked,
        vec![
            ("GET".into(), "/api/tags".into(), None),
            ("POST".into(), "/api/show".into(), Some(json!("qwen3:8b"))),
            ("POST".into(), "/api/show".into(), Some(json!("llava:7b"))),
        ]
    );

    // llama-server: its one model, tools as its chat template says.
    let llama = FakeServer::start(vec![
        Reply::ok(json!({"object": "list", "data": [
            {"id": "SmolLM2-135M-Instruct-Q8_0.gguf", "object": "model", "owned_by": "llamacpp"}]})),
        Reply::ok(json!({"chat_template_caps": {"supports_tool_calls": false}})),
    ])
    .await
    .unwrap();
    let s = &client()
        .discover_local(Some("llamacpp"), Some(&llama.base_url()))
        .await
        .unwrap()[0];
    assert_eq!(s.models[0].tools, Some(false));
    assert_eq!(llama.requests()[1].path, "/props");

    // vLLM: named tool calls work with every model; its context length is told.
    let vllm = FakeServer::start(vec![Reply::ok(json!({"object": "list", "data": [
        {"id": "Qwen/Qwen2.5-7B-Instruct", "object": "model", "owned_by": "vllm",
         "max_model_len": 32768}]}))])
    .await
    .unwrap();
    let s = &client()
        .discover_local(Some("vllm"), Some(&vllm.base_url()))
        .await
        .unwrap()[0];
    assert_eq!(s.models[0].tools, Some(true));
    assert_eq!(s.models[0].details.as_deref(), Some("context 32768 tokens"));
}

#[tokio::test]
async fn a_server_that_is_down_or_answers_garbage_is_said_so() {
    // A port nothing listens on: not running, with how to start one.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let s = &client()
        .discover_local(Some("ollama"), Some(&format!("http://127.0.0.1:{port}")))
        .await
        .unwrap()[0];
    assert!(!s.running && s.models.is_empty(), "{s:?}");
    assert!(s.problem.as_deref().unwrap().contains("nothing answers"));
    assert!(s.start.contains("ollama serve"), "{}", s.start);

    // Something else on the port: running, and what it answered.
    let other = FakeServer::start(vec![Reply::bytes(
        200,
        b"<html>hi</html>".to_vec(),
        "text/html",
    )])
    .await
    .unwrap();
    let s = &client()
        .discover_local(Some("lmstudio"), Some(&other.base_url()))
        .await
        .unwrap()[0];
    assert!(s.running && s.models.is_empty());
    assert!(
        s.problem
            .as_deref()
            .unwrap()
            .contains("did not answer JSON"),
        "{s:?}"
    );

    // Only the local servers can be listed.
    let e = client()
        .discover_local(Some("openai"), None)
        .await
        .unwrap_err();
    assert!(
        e.hint().contains("ollama, llamacpp, vllm, lmstudio"),
        "{}",
        e.hint()
    );
}
