//! The lint reads where the schema sits from the request Quarry really builds: for every
//! provider and every mode it has, the location found is where the schema is in the body, a
//! mode that sends the schema only as prompt text is linted as such, and each rule book is
//! chosen for the providers and modes it is written for.

use quarry_design::lint::target::{lint_for, locate};
use quarry_design::lint::{Ruleset, Severity};
use quarry_engine::provider::registry;
use quarry_engine::{Client, ExtractRequest, Message, ResponseSchema};
use serde_json::{Value, json};

const SCHEMA: &str = r#"{"title": "Probe", "type": "object", "properties": {"probe_field": {"type": "string"}}, "required": ["probe_field"]}"#;

/// Vertex AI needs a Google Cloud project, and Bedrock a region, from the environment: a test that previews it runs
/// itself again in a child process with one set (a test cannot set a variable for itself
/// without `unsafe`, and others run beside it). True in the child, which does the checks.
fn in_child_with_project(test: &str) -> bool {
    if std::env::var_os("GOOGLE_CLOUD_PROJECT").is_some()
        && std::env::var_os("AWS_REGION").is_some()
    {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture"])
        .env("GOOGLE_CLOUD_PROJECT", "lint-test")
        .env("GOOGLE_CLOUD_LOCATION", "us-central1")
        // No credentials: a preview needs none, Vertex AI's and Bedrock's included.
        .env_remove("GOOGLE_OAUTH_ACCESS_TOKEN")
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env(
            "HOME",
            std::env::temp_dir().join("quarry-lint-test-no-home"),
        )
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("quarry-lint-test-no-home"),
        )
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("1 passed"),
        "{test} in a child process:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    false
}

fn draft(provider: &str, mode: &str) -> ExtractRequest {
    ExtractRequest {
        provider: provider.into(),
        model: "some-model".into(),
        // Presets whose address comes from the environment (Azure, Databricks, Vertex AI,
        // Bedrock) need one; nothing is sent to it.
        base_url: Some("http://127.0.0.1:9".into()),
        api_key_env: None,
        mode: Some(mode.into()),
        messages: vec![Message::user("hi")],
        context: Default::default(),
        max_retries: 0,
        transport: Default::default(),
        timeout: None,
        sampling: Default::default(),
        extra_body: Default::default(),
        extra_headers: Vec::new(),
    }
}

/// Pointers of every object in `v` whose `properties` name the probe field, outside message
/// text (where the prompt-only modes write the schema as a string, which this never enters).
fn schema_places(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if m.get("properties")
                .and_then(|p| p.get("probe_field"))
                .is_some()
            {
                out.push(at.clone());
            }
            for (k, child) in m {
                schema_places(child, format!("{at}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                schema_places(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn every_provider_and_mode_is_located_where_its_body_has_the_schema() {
    if !in_child_with_project("every_provider_and_mode_is_located_where_its_body_has_the_schema") {
        return;
    }
    let client = Client::new();
    let schema = ResponseSchema::from_json_str(SCHEMA).unwrap();
    let mut checked = 0;
    for preset in registry::all() {
        for mode in preset.modes {
            let req = draft(preset.name, mode.as_str());
            let preview = client
                .preview(&req, &schema, None)
                .await
                .unwrap_or_else(|e| panic!("{} {}: {e}", preset.name, mode.as_str()));
            let body = &preview.request.body;
            let mut places = Vec::new();
            schema_places(body, String::new(), &mut places);
            let located = locate(body);
            match &located {
                Some(sent) => assert!(
                    places.contains(&sent.location),
                    "{} {}: located {} but the schema is at {places:?}",
                    preset.name,
                    mode.as_str(),
                    sent.location
                ),
                None => assert!(
                    places.is_empty(),
                    "{} {}: not located, but the schema is at {places:?}",
                    preset.name,
                    mode.as_str()
                ),
            }
            let lint = lint_for(&client, &req, SCHEMA).await.unwrap();
            assert_eq!(lint.mode, mode.as_str());
            if located.is_none() {
                assert_eq!(
                    lint.ruleset,
                    Ruleset::PromptOnly,
                    "{} {}",
                    preset.name,
                    mode.as_str()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} provider and mode pairs");
}

#[tokio::test]
async fn each_rule_book_is_chosen_for_its_providers() {
    if !in_child_with_project("each_rule_book_is_chosen_for_its_providers") {
        return;
    }
    let client = Client::new();
    for (provider, mode, expected) in [
        ("openai", "tools_strict", Ruleset::OpenaiStrict),
        ("openai", "tools", Ruleset::AsIs),
        ("openai", "json", Ruleset::PromptOnly),
        ("openai", "md_json", Ruleset::PromptOnly),
        ("azure_openai", "tools_strict", Ruleset::OpenaiStrict),
        ("openrouter", "json_schema", Ruleset::OpenaiStrict),
        ("anthropic", "json_schema", Ruleset::AnthropicStrict),
        ("anthropic", "tools", Ruleset::AsIs),
        ("gemini", "tools", Ruleset::GeminiSubset),
        ("gemini", "json", Ruleset::GeminiSubset),
        ("gemini", "json_schema", Ruleset::AsIs),
        ("vertexai", "tools", Ruleset::GeminiSubset),
        ("llamacpp", "json_schema", Ruleset::LlamacppGrammar),
        ("llamacpp", "json", Ruleset::LlamacppGrammar),
        ("ollama", "json_schema", Ruleset::LlamacppGrammar),
        ("ollama", "tools", Ruleset::AsIs),
        ("bedrock", "tools", Ruleset::AsIs),
    ] {
        let lint = lint_for(&client, &draft(provider, mode), SCHEMA)
            .await
            .unwrap();
        assert_eq!(lint.ruleset, expected, "{provider} {mode}");
    }
}

#[tokio::test]
async fn the_schema_as_sent_is_the_normalized_one() {
    let client = Client::new();
    let schema = r#"{"type": "object", "properties": {"a": {"type": "string", "format": "uri"}, "b": {"type": "integer"}}, "required": ["a"]}"#;
    let lint = lint_for(&client, &draft("openai", "tools_strict"), schema)
        .await
        .unwrap();
    let sent = lint.sent.clone().unwrap();
    assert_eq!(sent.location, "/tools/0/function/parameters");
    assert!(sent.strict);
    assert_eq!(
        sent.schema,
        json!({"type": "object", "properties": {"a": {"type": "string", "format": "uri"}, "b": {"type": ["integer", "null"]}}, "required": ["a", "b"], "additionalProperties": false})
    );
    let rules: Vec<&str> = lint.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(
        rules,
        ["openai.unsupported_format", "openai.optional_made_nullable"]
    );
    assert!(lint.has_problems());

    // Gemini cannot be sent a recursive schema in its tools mode: the lint says where.
    let recursive = r##"{"type": "object", "properties": {"next": {"$ref": "#"}}}"##;
    let mut no_mode = draft("gemini", "tools");
    no_mode.mode = None;
    let lint = lint_for(&client, &no_mode, recursive).await.unwrap();
    assert_eq!(lint.mode, "tools", "the provider's default");
    assert!(lint.sent.is_none());
    assert!(lint.unsendable.unwrap().contains("Gemini"));
    assert_eq!(lint.findings[0].rule, "gemini.recursive");
    assert_eq!(lint.findings[0].at, "/properties/next");
    assert_eq!(lint.findings[0].severity, Severity::Error);
}

#[tokio::test]
async fn bad_input_is_the_engines_error() {
    let client = Client::new();
    for (provider, mode, schema, code) in [
        ("nope", "tools", SCHEMA, "unknown_provider"),
        ("groq", "json_schema", SCHEMA, "unsupported_mode"),
        ("openai", "tools", "{\"type\": ", "schema_not_json"),
        ("openai", "tools", "{\"type\": 5}", "schema_invalid"),
    ] {
        let err = lint_for(&client, &draft(provider, mode), schema)
            .await
            .unwrap_err();
        assert_eq!(err.code(), code, "{provider} {mode}: {err}");
    }
}

struct Key;

impl quarry_engine::KeySource for Key {
    fn key(&self, _: &str, _: &str) -> Option<quarry_engine::ApiKey> {
        Some(quarry_engine::ApiKey::new("sk-lint-test-0123456789"))
    }
}

/// The lint and the fake of OpenAI's API (which refuses what the documentation says strict
/// mode refuses) agree: a schema with an error finding is refused when a run sends it in the
/// tools_strict mode, and one with none, warnings included, is taken.
#[tokio::test]
async fn openai_strict_errors_are_what_the_provider_refuses() {
    use quarry_fake_provider::{FakeServer, Reply};
    let schemas = [
        (
            r#"{"title": "T", "type": "object", "properties": {"a": {"type": "string"}}}"#,
            false,
        ),
        (
            r#"{"title": "T", "type": "object", "properties": {"a": {"type": "string", "minLength": 2, "format": "uri"}}, "required": ["a"]}"#,
            false,
        ),
        (
            r#"{"title": "T", "type": "object", "properties": {"a": {"type": "integer", "not": {"const": 0}}}, "required": ["a"]}"#,
            true,
        ),
        (
            r#"{"title": "T", "type": "object", "properties": {"a": {"allOf": [{"type": "string"}, {"maxLength": 3}]}}, "required": ["a"]}"#,
            true,
        ),
        (
            r#"{"title": "T", "type": "object", "properties": {"a": {"type": "string"}}, "if": {"required": ["a"]}, "then": {"required": ["a"]}}"#,
            true,
        ),
        (
            r#"{"title": "T", "anyOf": [{"type": "string"}, {"type": "integer"}]}"#,
            false,
        ),
    ];
    let client = Client::builder().keys(std::sync::Arc::new(Key)).build();
    for (schema_text, refused) in schemas {
        let server = FakeServer::start(vec![Reply::tool_call("T", r#"{"a": "abc"}"#)])
            .await
            .unwrap();
        let mut req = draft("openai", "tools_strict");
        req.base_url = Some(server.base_url());
        let lint = lint_for(&client, &req, schema_text).await.unwrap();
        let errors = lint.findings.iter().any(|f| f.severity == Severity::Error);
        assert_eq!(errors, refused, "{schema_text}: {:?}", lint.findings);
        let schema = ResponseSchema::from_json_str(schema_text).unwrap();
        let outcome = client.extract_value(&req, &schema).await;
        match outcome {
            Err(quarry_engine::Error::Http {
                status: 400,
                message,
                ..
            }) => {
                assert!(refused, "{schema_text}: refused: {message}");
                assert!(message.contains("is not permitted"), "{message}");
            }
            Err(other) => assert!(
                !refused && !matches!(other, quarry_engine::Error::Http { .. }),
                "{schema_text}: {other}"
            ),
            Ok(_) => assert!(!refused, "{schema_text}: taken"),
        }
    }
}
