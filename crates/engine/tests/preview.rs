//! `Client::preview`: the request a run's first attempt sends, built without sending. For each
//! protocol the preview's body is byte for byte what the fake then receives from a real run,
//! its URL and plain headers are the ones sent, its credentials are masked, and nothing at all
//! reaches the server (or any other address) while previewing.

mod common;

use std::sync::Arc;

use common::{PERSON_OK, TEST_KEY, client, person_schema};
use quarry_engine::preview::RequestPreview;
use quarry_engine::provider::aws::AwsCredentials;
use quarry_engine::provider::bedrock::Bedrock;
use quarry_engine::provider::registry;
use quarry_engine::{ApiKey, Client, ExtractRequest, KeySource, Part, ResponseSchema, StreamKind};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::Value;

fn person() -> Value {
    serde_json::from_str(PERSON_OK).unwrap()
}

fn request(provider: &str, server: &FakeServer, mode: &str) -> ExtractRequest {
    // The OpenAI SDKs take the base URL with its `/v1`; the others take the service root.
    let base = if provider.starts_with("openai/") {
        server.base_url()
    } else {
        format!("http://{}", server.addr())
    };
    ExtractRequest::new(provider)
        .base_url(base)
        .mode(mode)
        .system("You extract people from text.")
        .user("Extract the person: {{ text }}")
        .var("text", "Ada Lovelace (36) wasn't \"an engineer\".")
        .max_tokens(512)
        .header("x-trace", "preview-1")
        .max_retries(0)
}

/// Previews, checks nothing was sent, runs, and compares the preview with what arrived.
async fn check(
    client: &Client,
    req: &ExtractRequest,
    server: &FakeServer,
    stream: Option<StreamKind>,
) -> RequestPreview {
    let schema = Arc::new(ResponseSchema::new(person_schema()).unwrap());
    let preview = client.preview(req, &schema, stream).await.unwrap();
    assert!(server.requests().is_empty(), "a preview sends nothing");
    match stream {
        None => {
            client.extract_value(req, &schema).await.unwrap();
        }
        Some(kind) => {
            client
                .stream(req.clone(), schema.clone(), kind, Default::default())
                .unwrap()
                .finish()
                .await
                .unwrap();
        }
    }
    let sent = &server.requests()[0];
    assert_eq!(
        preview.body_text.as_bytes(),
        &sent.raw[..],
        "{}: the preview's body is the body sent",
        req.provider
    );
    let url = format!(
        "{}{}",
        sent.path,
        sent.query
            .as_ref()
            .map(|q| format!("?{q}"))
            .unwrap_or_default()
    );
    assert!(
        preview.request.url.ends_with(&url),
        "{} sent to {url}",
        preview.request.url
    );
    for (name, value) in &preview.request.headers {
        if value == "<redacted>" {
            assert!(
                sent.header(name).is_some_and(|v| v != "<redacted>"),
                "{name} is sent, and only shown masked"
            );
        } else {
            assert_eq!(sent.header(name), Some(value.as_str()), "header {name}");
        }
    }
    assert!(!serde_json::to_string(&preview).unwrap().contains(TEST_KEY));
    preview
}

#[tokio::test]
async fn every_protocol_previews_the_bytes_it_then_sends() {
    let cases: Vec<(&str, &str, Reply)> = vec![
        (
            "openai/gpt-4o-mini",
            "tools",
            Reply::tool_call("Person", PERSON_OK),
        ),
        (
            "openai/gpt-4o-mini",
            "json_schema",
            Reply::content(PERSON_OK),
        ),
        (
            "anthropic/claude-sonnet-4-5",
            "tools",
            Reply::anthropic_tool_use("Person", person()),
        ),
        (
            "gemini/gemini-2.5-flash",
            "json",
            Reply::gemini_text(PERSON_OK),
        ),
        (
            "cohere/command-a-03-2025",
            "json_schema",
            Reply::cohere_text(PERSON_OK),
        ),
    ];
    for (provider, mode, reply) in cases {
        let server = FakeServer::start(vec![reply]).await.unwrap();
        let preview = check(&client(), &request(provider, &server, mode), &server, None).await;
        assert!(preview.curl.starts_with("curl '"), "{}", preview.curl);
        assert!(preview.notes.is_empty(), "{:?}", preview.notes);
        // OpenAI's models have their tokenizer; the others are estimated, and say so.
        let tokens = &preview.prompt_tokens;
        assert_eq!(
            tokens.tokenizer,
            provider.starts_with("openai/"),
            "{tokens:?}"
        );
        assert!(tokens.count > 20, "{tokens:?}");
    }
}

#[tokio::test]
async fn a_stream_previews_its_accept_header_and_stream_flag() {
    let server = FakeServer::start(vec![Reply::stream_tool_call("Person", PERSON_OK, 5)])
        .await
        .unwrap();
    let req = request("openai/gpt-4o-mini", &server, "tools");
    let preview = check(&client(), &req, &server, Some(StreamKind::Partial)).await;
    assert_eq!(preview.request.body["stream"], true);
    assert!(preview.curl.contains("--no-buffer"));
    let server = FakeServer::start(vec![Reply::anthropic_stream_tool_use(
        "Person", PERSON_OK, 4,
    )])
    .await
    .unwrap();
    let req = request("anthropic/claude-sonnet-4-5", &server, "tools");
    check(&client(), &req, &server, Some(StreamKind::Partial)).await;
}

#[tokio::test]
async fn bedrock_is_signed_at_each_try_and_curl_signs_it_too() {
    let server = FakeServer::start(vec![Reply::bedrock_tool_use("Person", person())])
        .await
        .unwrap();
    let (id, secret) = server.aws_credentials();
    let bedrock = Bedrock::with(
        registry::find("bedrock").unwrap(),
        format!("http://{}", server.addr()),
        "us-west-2".into(),
        Some(AwsCredentials {
            access_key_id: id,
            secret_access_key: ApiKey::new(&secret),
            session_token: None,
        }),
    );
    let client = Client::builder().protocol(Arc::new(bedrock)).build();
    let model = "anthropic.claude-3-5-sonnet-20240620-v1:0";
    let req = request(&format!("bedrock/{model}"), &server, "tools");
    let preview = check(&client, &req, &server, None).await;
    assert!(!preview.curl.contains(&secret) && !preview.body_text.contains(&secret));
    assert!(
        preview
            .curl
            .contains("--aws-sigv4 'aws:amz:us-west-2:bedrock'"),
        "{}",
        preview.curl
    );
    assert!(preview.notes.iter().any(|n| n.contains("signature")));
}

/// No key anywhere: a run would refuse, a preview shows where the key goes.
struct NoKeys;
impl KeySource for NoKeys {
    fn key(&self, _: &str, _: &str) -> Option<ApiKey> {
        None
    }
}

#[tokio::test]
async fn a_preview_needs_no_key_and_fetches_no_file() {
    let server = FakeServer::start(vec![]).await.unwrap();
    let client = Client::builder().keys(Arc::new(NoKeys)).build();
    let mut req = request("openai/gpt-4o-mini", &server, "tools");
    // Groq fetches nothing itself: a run would fetch this address; a preview leaves it.
    req.provider = "groq".into();
    req.messages
        .last_mut()
        .unwrap()
        .content
        .push(Part::Document {
            url: format!("{}/report.pdf", server.base_url()),
            name: Some("report.pdf".into()),
        });
    let schema = ResponseSchema::new(person_schema()).unwrap();
    let preview = client.preview(&req, &schema, None).await.unwrap();
    assert!(server.requests().is_empty(), "nothing was fetched or sent");
    assert!(
        preview
            .curl
            .contains("\"authorization: Bearer $GROQ_API_KEY\""),
        "{}",
        preview.curl
    );
    assert!(
        preview
            .notes
            .iter()
            .any(|n| n.contains("report.pdf") && n.contains("fetched when the run starts")),
        "{:?}",
        preview.notes
    );
    // The run itself says the key is missing.
    let e = client.extract_value(&req, &schema).await.unwrap_err();
    assert_eq!(e.code(), "missing_api_key");
}

#[tokio::test]
async fn a_key_pasted_into_the_prompt_is_masked_in_the_preview() {
    let server = FakeServer::start(vec![]).await.unwrap();
    let req = request("openai/gpt-4o-mini", &server, "tools")
        .var("text", format!("my key is {TEST_KEY}"));
    let schema = ResponseSchema::new(person_schema()).unwrap();
    let preview = client().preview(&req, &schema, None).await.unwrap();
    let shown = serde_json::to_string(&preview).unwrap();
    assert!(!shown.contains(TEST_KEY), "{shown}");
    assert!(preview.body_text.contains("my key is <redacted>"));
}
