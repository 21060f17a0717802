//! Vertex AI with a service account's key file, against the fake's Vertex endpoint and its
//! OAuth token endpoint (which checks the JWT's RS256 signature with the public key): a token
//! is fetched once and shared by calls; a token Vertex refuses (401) is replaced once, within
//! the same run; the key file's private key never reaches an event.

use std::sync::{Arc, Mutex};

use quarry_engine::provider::gemini::Gemini;
use quarry_engine::provider::google_auth::GoogleTokens;
use quarry_engine::provider::registry;
use quarry_engine::{
    ApiKey, CallOptions, Client, ExtractRequest, KeySource, ResponseSchema, RunEvent,
};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::json;

#[tokio::test]
async fn a_refused_token_is_replaced_once_and_the_key_never_shows() {
    let person = json!({"name": "Ada Lovelace"});
    let server = FakeServer::start(vec![Reply::gemini_function_call("Person", person.clone())])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("sa.json");
    let key = server.google_service_account();
    std::fs::write(&key_file, key.to_string()).unwrap();
    let tokens = Arc::new(GoogleTokens::from_file(&key_file).unwrap());
    let vertex = Gemini::vertex_with(
        registry::find("vertexai").unwrap(),
        format!("http://{}", server.addr()),
        "fake-project".into(),
        "europe-west4".into(),
        Some(tokens),
    )
    .unwrap();
    let client = Client::builder().protocol(Arc::new(vertex)).build();
    let schema = ResponseSchema::new(json!({"title": "Person", "type": "object",
        "properties": {"name": {"type": "string"}}, "required": ["name"]}))
    .unwrap();
    let req = ExtractRequest::new("vertexai/gemini-2.5-flash")
        .user("Ada Lovelace")
        .max_retries(0);
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let options = CallOptions {
        observer: Some(Arc::new(move |r: &quarry_engine::EventRecord| {
            seen.lock().unwrap().push(r.event.clone());
        })),
        ..Default::default()
    };

    for _ in 0..2 {
        let out = client
            .extract_value_with(&req, &schema, &options)
            .await
            .unwrap();
        assert_eq!(out.value, person);
    }
    assert_eq!(server.token_requests(), 1, "one token for both calls");
    let call = server
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with(":generateContent"))
        .unwrap();
    assert_eq!(
        call.path,
        "/v1/projects/fake-project/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent"
    );

    server.expire_tokens();
    let out = client
        .extract_value_with(&req, &schema, &options)
        .await
        .unwrap();
    assert_eq!(out.value, person);
    assert_eq!(server.token_requests(), 2, "the refused token was replaced");
    let events = events.lock().unwrap();
    assert!(events.iter().any(|e| matches!(
        e,
        RunEvent::CompletionError { error, retry_in_ms: Some(0), .. } if error.message.contains("401") || error.code == "unauthorized"
    )));
    let recorded = serde_json::to_string(&*events).unwrap();
    let pem_line = key["private_key"].as_str().unwrap().lines().nth(1).unwrap();
    assert!(!recorded.contains(pem_line));
    assert!(
        !recorded.contains("ya29.fake"),
        "the access token is masked in events"
    );
}

/// A key source holding one token for every provider (the keychain, in the app).
struct Token;

impl KeySource for Token {
    fn key(&self, _provider: &str, _env_var: &str) -> Option<ApiKey> {
        Some(ApiKey::new("ya29.from-the-keychain"))
    }
}

#[tokio::test]
async fn parallel_tools_declare_every_union_member_and_return_every_call() {
    let server = FakeServer::start(vec![Reply::gemini_function_calls(&[
        ("Weather", json!({"city": "Oslo"})),
        ("Search", json!({"query": "fjords"})),
    ])])
    .await
    .unwrap();
    let vertex = Gemini::vertex_with(
        registry::find("vertexai").unwrap(),
        format!("http://{}", server.addr()),
        "fake-project".into(),
        "global".into(),
        None,
    )
    .unwrap();
    let schema = ResponseSchema::new(json!({"anyOf": [
        {"title": "Weather", "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        {"title": "Search", "type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}
    ]}))
    .unwrap();
    let req = ExtractRequest::new("vertexai/gemini-2.5-pro")
        .mode("VERTEXAI_PARALLEL_TOOLS")
        .user("Weather in Oslo, and search fjords");
    // Without a token or a key file, it says what to do.
    let bare = Client::builder().protocol(Arc::new(vertex)).build();
    let e = bare.extract_value(&req, &schema).await.unwrap_err();
    assert!(e.to_string().contains("Google credentials"), "{e}");
    assert!(server.requests().is_empty());

    let vertex = Gemini::vertex_with(
        registry::find("vertexai").unwrap(),
        format!("http://{}", server.addr()),
        "fake-project".into(),
        "global".into(),
        None,
    )
    .unwrap();
    let client = Client::builder()
        .keys(Arc::new(Token))
        .protocol(Arc::new(vertex))
        .build();
    let out = client.extract_value(&req, &schema).await.unwrap();
    assert_eq!(out.value, json!([{"city": "Oslo"}, {"query": "fjords"}]));
    let r = &server.requests()[0];
    assert_eq!(
        r.header("authorization"),
        Some("Bearer ya29.from-the-keychain")
    );
    assert_eq!(
        r.body["toolConfig"]["functionCallingConfig"]["allowedFunctionNames"],
        json!(["Weather", "Search"])
    );
}
