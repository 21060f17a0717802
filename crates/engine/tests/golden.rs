//! The exact request each mode sends, for a fixed schema and messages, compared with golden
//! files under tests/fixtures/golden/. `UPDATE_GOLDEN=1 cargo test --test golden` rewrites
//! them; review the diff before committing.

mod common;

use std::path::PathBuf;

use common::{PERSON_OK, client, person_schema};
use quarry_engine::{ExtractRequest, ResponseSchema};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::{Value, json};

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/golden")
}

fn check(name: &str, actual: &Value) {
    let path = golden_dir().join(format!("{name}.json"));
    let pretty = serde_json::to_string_pretty(actual).unwrap() + "\n";
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, &pretty).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    assert_eq!(
        expected,
        pretty,
        "request for `{name}` differs from {}",
        path.display()
    );
}

fn request(provider: &str, server: &FakeServer, mode: &str) -> ExtractRequest {
    // The OpenAI SDKs take the base URL with its `/v1`; the others take the service root.
    let base = if ["anthropic/", "gemini/", "cohere/"]
        .iter()
        .any(|p| provider.starts_with(p))
    {
        format!("http://{}", server.addr())
    } else {
        server.base_url()
    };
    let mut req = ExtractRequest::new(provider)
        .base_url(base)
        .mode(mode)
        .system("You extract people from text.")
        .user("Extract the person: {{ text }}")
        .var("text", "Ada Lovelace (36) was an engineer.")
        .max_tokens(512)
        .max_retries(0);
    // Extended thinking takes no temperature, and its budget (≥ 1024) comes out of max_tokens.
    if mode == "reasoning_tools" {
        req = req.max_tokens(4096);
    } else {
        req = req.temperature(0.0);
    }
    req
}

/// Sends one request in `mode` and returns what the server received, with the path, the
/// query and the auth header (redacted to its scheme) alongside the body.
async fn sent(provider: &str, mode: &str, reply: Reply, schema: Value) -> Value {
    let server = FakeServer::start(vec![reply]).await.unwrap();
    let schema = ResponseSchema::new(schema).unwrap();
    client()
        .extract_value(&request(provider, &server, mode), &schema)
        .await
        .unwrap_or_else(|e| panic!("{mode}: {e}"));
    let r = &server.requests()[0];
    let auth = r
        .header("authorization")
        .map(|v| v.split(' ').next().unwrap_or("").to_string())
        .or_else(|| r.header("api-key").map(|_| "api-key".to_string()))
        .or_else(|| r.header("x-api-key").map(|_| "x-api-key".to_string()))
        .or_else(|| {
            r.header("x-goog-api-key")
                .map(|_| "x-goog-api-key".to_string())
        });
    let mut sent = json!({"path": r.path, "query": r.query, "auth": auth, "body": r.body});
    for name in ["anthropic-version", "anthropic-beta"] {
        if let Some(v) = r.header(name) {
            sent[name] = json!(v);
        }
    }
    sent
}

#[tokio::test]
async fn openai_modes() {
    let person = || Reply::tool_call("Person", PERSON_OK);
    let text = || Reply::content(PERSON_OK);
    let md = || Reply::content(&format!("Here you go:\n```json\n{PERSON_OK}\n```"));
    let cases: Vec<(&str, Reply)> = vec![
        ("tools", person()),
        ("tools_strict", person()),
        ("functions", Reply::function_call("Person", PERSON_OK)),
        ("json", text()),
        ("json_schema", text()),
        ("md_json", md()),
        ("json_o1", text()),
        (
            "responses_tools",
            Reply::responses_call("Person", PERSON_OK),
        ),
    ];
    for (mode, reply) in cases {
        let got = sent("openai/gpt-4o-mini", mode, reply, person_schema()).await;
        check(&format!("openai_{mode}"), &got);
    }
}

#[tokio::test]
async fn anthropic_modes() {
    let person: Value = serde_json::from_str(PERSON_OK).unwrap();
    let tool = || Reply::anthropic_tool_use("Person", person.clone());
    let cases: Vec<(&str, Reply)> = vec![
        ("tools", tool()),
        (
            "json",
            Reply::anthropic_text(&format!("Here it is: {PERSON_OK}")),
        ),
        ("json_schema", Reply::anthropic_text(PERSON_OK)),
        (
            "reasoning_tools",
            Reply::anthropic_thinking_tool_use("Ada is 36.", "sig-1", "Person", person.clone()),
        ),
    ];
    for (mode, reply) in cases {
        let mut req = sent("anthropic/claude-sonnet-4-5", mode, reply, person_schema()).await;
        req["mode"] = json!(mode);
        check(&format!("anthropic_{mode}"), &req);
    }
}

#[tokio::test]
async fn gemini_modes() {
    let person: Value = serde_json::from_str(PERSON_OK).unwrap();
    let cases: Vec<(&str, Reply)> = vec![
        (
            "tools",
            Reply::gemini_function_call("Person", person.clone()),
        ),
        ("json", Reply::gemini_text(PERSON_OK)),
        ("json_schema", Reply::gemini_text(PERSON_OK)),
    ];
    for (mode, reply) in cases {
        let mut req = sent("gemini/gemini-2.5-flash", mode, reply, person_schema()).await;
        req["mode"] = json!(mode);
        check(&format!("gemini_{mode}"), &req);
    }
}

#[tokio::test]
async fn cohere_modes() {
    let cases: Vec<(&str, Reply)> = vec![
        ("tools", Reply::cohere_tool_call("Person", PERSON_OK)),
        ("json_schema", Reply::cohere_text(PERSON_OK)),
    ];
    for (mode, reply) in cases {
        let mut req = sent("cohere/command-a-03-2025", mode, reply, person_schema()).await;
        req["mode"] = json!(mode);
        check(&format!("cohere_{mode}"), &req);
    }
}

#[tokio::test]
async fn parallel_tools_sends_one_tool_per_union_member() {
    let schema = json!({"anyOf": [{"$ref": "#/$defs/Weather"}, {"$ref": "#/$defs/Search"}],
        "$defs": {
          "Weather": {"type": "object", "description": "Look up the weather",
                      "properties": {"city": {"type": "string"}}, "required": ["city"]},
          "Search": {"type": "object", "description": "Search the web",
                     "properties": {"query": {"type": "string"}}, "required": ["query"]}}});
    let reply = Reply::tool_calls(&[
        ("Weather", r#"{"city": "Oslo"}"#),
        ("Search", r#"{"query": "x"}"#),
    ]);
    let got = sent("openai/gpt-4o-mini", "parallel_tools", reply, schema).await;
    check("openai_parallel_tools", &got);
}

#[tokio::test]
async fn preset_quirks() {
    let person = || Reply::tool_call("Person", PERSON_OK);
    let text = || Reply::content(PERSON_OK);
    let cases: Vec<(&str, &str, &str, Reply)> = vec![
        (
            "mistral_tools",
            "mistral/mistral-large-latest",
            "MISTRAL_TOOLS",
            person(),
        ),
        (
            "writer_tools",
            "writer/palmyra-x5",
            "WRITER_TOOLS",
            person(),
        ),
        ("writer_json", "writer/palmyra-x5", "WRITER_JSON", text()),
        (
            "perplexity_json",
            "perplexity/sonar",
            "PERPLEXITY_JSON",
            text(),
        ),
        (
            "openrouter_structured_outputs",
            "openrouter/openai/gpt-4o-mini",
            "OPENROUTER_STRUCTURED_OUTPUTS",
            text(),
        ),
        (
            "azure_openai_tools",
            "azure_openai/my-deployment",
            "tools",
            person(),
        ),
        (
            "ollama_json_schema",
            "ollama/llama3.1",
            "json_schema",
            text(),
        ),
    ];
    for (name, provider, mode, reply) in cases {
        let got = sent(provider, mode, reply, person_schema()).await;
        check(&format!("preset_{name}"), &got);
    }
}

#[tokio::test]
async fn simple_types_are_wrapped_on_the_wire() {
    let schema = json!({"title": "Sentiment", "type": "string", "enum": ["positive", "negative"]});
    let got = sent(
        "openai/gpt-4o-mini",
        "tools",
        Reply::tool_call("Sentiment", r#"{"content": "positive"}"#),
        schema,
    )
    .await;
    check("openai_tools_wrapped_enum", &got);
}
