//! AWS Bedrock's Converse API end to end against the fake, which checks every request's SigV4
//! signature with its own implementation (and refuses what Bedrock refuses): both modes
//! extract and re-ask, ConverseStream's binary event-stream builds the object, an exception
//! inside the stream and a wrong secret are errors of their own kind.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{PERSON_OK, person_schema};
use quarry_engine::provider::aws::AwsCredentials;
use quarry_engine::provider::bedrock::Bedrock;
use quarry_engine::provider::registry;
use quarry_engine::{
    ApiKey, CallOptions, Client, Error, ExtractRequest, ResponseSchema, RunEvent, StreamKind,
    TransportRetry,
};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::{Value, json};

const MODEL: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";

fn person() -> Value {
    serde_json::from_str(PERSON_OK).unwrap()
}

fn schema() -> Arc<ResponseSchema> {
    Arc::new(ResponseSchema::new(person_schema()).unwrap())
}

/// A client whose `bedrock` provider signs with `secret` (the fake's own unless told).
fn client(server: &FakeServer, secret: Option<&str>) -> Client {
    let (id, real) = server.aws_credentials();
    let credentials = AwsCredentials {
        access_key_id: id,
        secret_access_key: ApiKey::new(secret.unwrap_or(&real)),
        session_token: None,
    };
    let bedrock = Bedrock::with(
        registry::find("bedrock").unwrap(),
        format!("http://{}", server.addr()),
        "us-west-2".into(),
        Some(credentials),
    );
    Client::builder().protocol(Arc::new(bedrock)).build()
}

fn req(mode: &str) -> ExtractRequest {
    ExtractRequest::new(&format!("bedrock/{MODEL}"))
        .mode(mode)
        .system("You extract people.")
        .user("Extract: {{ text }}")
        .var("text", "Ada Lovelace, 36, engineer")
        .max_tokens(512)
        .max_retries(2)
        .transport(TransportRetry {
            initial_backoff: Duration::from_millis(10),
            ..TransportRetry::default()
        })
}

#[tokio::test]
async fn tools_are_signed_forced_and_reasked_with_an_error_tool_result() {
    let server = FakeServer::start(vec![
        Reply::bedrock_tool_use(
            "Person",
            json!({"name": "Ada", "age": -1, "role": "engineer"}),
        ),
        Reply::bedrock_tool_use("Person", person()),
    ])
    .await
    .unwrap();
    let out = client(&server, None)
        .extract_value(&req("BEDROCK_TOOLS"), &schema())
        .await
        .unwrap();
    assert_eq!((out.attempts, out.value), (2, person()));
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the fake refused a request");
    assert_eq!(
        requests[0].path,
        "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
    );
    let auth = requests[0].header("authorization").unwrap();
    assert!(auth.contains("/us-west-2/bedrock/aws4_request"), "{auth}");
    assert_eq!(
        requests[0].body["toolConfig"]["toolChoice"],
        json!({"tool": {"name": "Person"}})
    );
    let turns = requests[1].body["messages"].as_array().unwrap().clone();
    let call = &turns[1]["content"][0]["toolUse"];
    let result = &turns[2]["content"][0]["toolResult"];
    assert_eq!(result["toolUseId"], call["toolUseId"]);
    assert_eq!(result["status"], "error");
    assert!(out.usage.total_tokens > 0);
}

#[tokio::test]
async fn json_mode_reads_the_block_in_the_text() {
    let server = FakeServer::start(vec![Reply::bedrock_text(&format!(
        "Here it is:\n```json\n{PERSON_OK}\n```"
    ))])
    .await
    .unwrap();
    let out = client(&server, None)
        .extract_value(&req("BEDROCK_JSON"), &schema())
        .await
        .unwrap();
    assert_eq!(out.value, person());
    let system = server.requests()[0].body["system"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        system.contains("JSON Schema") && system.contains("```json"),
        "{system}"
    );
}

async fn stream(server: &FakeServer, mode: &str) -> (Value, Result<Value, Error>, Value) {
    let mut run = client(server, None)
        .stream(
            req(mode),
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
    (
        snapshot.value().clone(),
        run.finish().await.map(|e| e.value),
        usage,
    )
}

#[tokio::test]
async fn converse_stream_frames_build_the_object() {
    for (reply, mode) in [
        (
            Reply::bedrock_stream_tool_use("Person", PERSON_OK, 5),
            "tools",
        ),
        (Reply::bedrock_stream_text(PERSON_OK, 4), "json"),
    ] {
        let server = FakeServer::start(vec![reply.rechunked(7)]).await.unwrap();
        let (partial, result, usage) = stream(&server, mode).await;
        assert_eq!(result.unwrap_or_else(|e| panic!("{mode}: {e}")), person());
        assert_eq!(partial, person(), "{mode}");
        assert!(
            usage["total_tokens"].as_u64().unwrap() > 0,
            "{mode}: {usage}"
        );
        let r = &server.requests()[0];
        assert!(r.path.ends_with("/converse-stream"), "{}", r.path);
    }
}

#[tokio::test]
async fn an_exception_inside_the_stream_is_a_provider_error_keeping_what_arrived() {
    let server = FakeServer::start(vec![
        Reply::bedrock_stream_tool_use("Person", PERSON_OK, 5).bedrock_exception_after(
            6,
            "throttlingException",
            "Too many tokens, please wait before trying again.",
        ),
    ])
    .await
    .unwrap();
    let (_, result, _) = stream(&server, "tools").await;
    let e = result.unwrap_err();
    assert!(matches!(e, Error::StreamError(_)), "{e}");
    assert!(e.to_string().contains("Too many tokens"), "{e}");
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_never_shown_and_throttling_is_retried() {
    let server = FakeServer::start(vec![Reply::bedrock_tool_use("Person", person())])
        .await
        .unwrap();
    let wrong = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let e = client(&server, Some(wrong))
        .extract_value(&req("tools"), &schema())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Http { status: 403, .. }), "{e}");
    assert!(e.to_string().contains("signature"), "{e}");
    assert!(!format!("{e:?}").contains(wrong));
    assert_eq!(server.requests().len(), 1, "a 403 is not retried");

    let server = FakeServer::start(vec![
        Reply::bedrock_error(
            429,
            "ThrottlingException",
            "Too many requests, please wait before trying your request again.",
        ),
        Reply::bedrock_tool_use("Person", person()),
    ])
    .await
    .unwrap();
    let out = client(&server, None)
        .extract_value(&req("tools"), &schema())
        .await
        .unwrap();
    assert_eq!(out.value, person());
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_pdf_is_a_named_document_beside_the_text_and_six_are_too_many() {
    let server = FakeServer::start(vec![Reply::bedrock_tool_use("Person", person())])
        .await
        .unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/files/invoice.pdf");
    let pdf = quarry_engine::attachment::part_from_bytes(
        "Invoice_2026 (final).pdf",
        &std::fs::read(path).unwrap(),
    )
    .unwrap();
    let mut r = req("tools");
    r.messages.last_mut().unwrap().content.push(pdf.clone());
    let out = client(&server, None)
        .extract_value(&r, &schema())
        .await
        .unwrap();
    assert_eq!(out.value, person());
    let body = &server.requests()[0].body;
    let document = &body["messages"][0]["content"][1]["document"];
    assert_eq!(document["format"], "pdf");
    // Bedrock refuses underscores and dots in document names.
    assert_eq!(document["name"], "Invoice 2026 (final)");
    assert!(
        document["source"]["bytes"]
            .as_str()
            .unwrap()
            .starts_with("JVBERi0")
    );

    let mut r = req("tools");
    r.messages
        .last_mut()
        .unwrap()
        .content
        .extend(std::iter::repeat_n(pdf, 6));
    let e = client(&server, None)
        .extract_value(&r, &schema())
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("takes at most 5 PDFs in one request"),
        "{e}"
    );
    assert_eq!(server.requests().len(), 1, "nothing more was sent");
}
