//! Which rules a provider and mode are checked against, read from the request Quarry would
//! really send for them (`Client::preview`, which sends nothing): where the schema sits in the
//! body, and whether it is marked `strict`. Reading the built request, rather than keeping a
//! second table of providers and modes here, means the lint cannot drift from what is sent.

use quarry_engine::{Client, ExtractRequest, Message};
use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use super::{Finding, Ruleset, Severity};

/// Where a request body carries the response schema, by protocol and mode. The first that is
/// present is the one.
const LOCATIONS: &[&str] = &[
    // OpenAI chat tools (and Cohere's), legacy functions, the Responses API's tools.
    "/tools/0/function/parameters",
    "/functions/0/parameters",
    "/tools/0/parameters",
    // OpenAI's response_format, named or bare; local servers' json_object with a schema.
    "/response_format/json_schema/schema",
    "/response_format/schema",
    "/text/format/schema",
    // Cohere's json_schema response format.
    "/response_format/json_schema",
    // Anthropic.
    "/tools/0/input_schema",
    "/output_config/format/schema",
    // Gemini and Vertex AI.
    "/generationConfig/responseSchema",
    "/generationConfig/responseJsonSchema",
    "/tools/0/functionDeclarations/0/parameters",
    // Bedrock Converse.
    "/toolConfig/tools/0/toolSpec/inputSchema/json",
];

/// The schema as it goes out: after Quarry's normalization and the provider's dialect.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SentSchema {
    /// Where in the request body, as a JSON Pointer.
    pub location: String,
    pub schema: Value,
    /// Marked `strict: true` beside it (OpenAI's structured outputs).
    pub strict: bool,
}

/// The schema in a request body, if the mode sends it as a schema rather than as text.
pub fn locate(body: &Value) -> Option<SentSchema> {
    LOCATIONS.iter().find_map(|&location| {
        let schema = body.pointer(location).filter(|s| s.is_object())?;
        let parent = &location[..location.rfind('/').unwrap_or(0)];
        let strict = body.pointer(&format!("{parent}/strict")) == Some(&Value::Bool(true));
        Some(SentSchema {
            location: location.to_string(),
            schema: schema.clone(),
            strict,
        })
    })
}

/// The rule book for `provider` given the schema as sent (`None`: only in the prompt).
pub fn choose(provider: &str, sent: Option<&SentSchema>) -> Ruleset {
    let Some(sent) = sent else {
        return Ruleset::PromptOnly;
    };
    let at = sent.location.as_str();
    if at.ends_with("/responseSchema") || at.contains("/functionDeclarations/") {
        Ruleset::GeminiSubset
    } else if provider == "anthropic" && at.starts_with("/output_config") {
        Ruleset::AnthropicStrict
    } else if sent.strict {
        Ruleset::OpenaiStrict
    } else if matches!(provider, "llamacpp" | "ollama") && at.starts_with("/response_format") {
        Ruleset::LlamacppGrammar
    } else {
        Ruleset::AsIs
    }
}

/// A schema checked for one provider and mode.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SchemaLint {
    pub provider: String,
    /// The mode the request would use (the provider's default when none was chosen).
    pub mode: String,
    pub ruleset: Ruleset,
    /// What the rule book covers, in a sentence.
    pub about: String,
    pub findings: Vec<Finding>,
    /// The schema exactly as it would be sent; absent when the mode sends it as prompt text,
    /// or when it cannot be sent at all (`unsendable` says why).
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent: Option<SentSchema>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsendable: Option<String>,
}

impl SchemaLint {
    /// Errors or warnings: something the user should act on.
    pub fn has_problems(&self) -> bool {
        self.findings.iter().any(|f| f.severity != Severity::Info)
    }
}

/// Checks `schema_text` for the provider, model, mode and base URL of `draft` (its messages,
/// variables and files play no part: a lint needs no prompt, and a broken template must not
/// stop it). Bad input — an unknown provider, a mode it lacks, a schema that is not one —
/// is the engine's error, as for a run.
pub async fn lint_for(
    client: &Client,
    draft: &ExtractRequest,
    schema_text: &str,
) -> Result<SchemaLint, quarry_engine::Error> {
    let schema = quarry_engine::ResponseSchema::from_json_str(schema_text)?;
    let user: Value = serde_json::from_str(schema_text).map_err(|e| {
        quarry_engine::Error::Schema(quarry_engine::schema::SchemaError::NotJson {
            detail: e.to_string(),
            line: e.line(),
            column: e.column(),
        })
    })?;
    let request = ExtractRequest {
        provider: draft.provider.clone(),
        model: draft.model.clone(),
        base_url: draft.base_url.clone(),
        api_key_env: draft.api_key_env.clone(),
        mode: draft.mode.clone(),
        messages: vec![Message::user("(the schema is checked; no prompt)")],
        context: Default::default(),
        max_retries: 0,
        transport: Default::default(),
        timeout: None,
        sampling: draft.sampling.clone(),
        extra_body: draft.extra_body.clone(),
        extra_headers: Vec::new(),
    };
    let (mode, sent, unsendable) = match client.preview(&request, &schema, None).await {
        Ok(preview) => (
            preview.mode.as_str().to_string(),
            locate(&preview.request.body),
            None,
        ),
        // A schema the provider's dialect cannot say (Gemini and recursion): the findings say
        // where; everything else is a plain error.
        Err(
            e @ quarry_engine::Error::InvalidSetting {
                setting: quarry_engine::Setting::Schema,
                ..
            },
        ) => {
            // The mode the run would use: the one chosen, else the provider's default.
            let mode = draft.mode.clone().unwrap_or_else(|| {
                quarry_engine::provider::registry::find(&draft.provider)
                    .map(|p| p.default_mode.as_str().to_string())
                    .unwrap_or_default()
            });
            (mode, None, Some(e.to_string()))
        }
        Err(e) => return Err(e),
    };
    let ruleset = match (&unsendable, draft.provider.as_str()) {
        (Some(_), "gemini" | "vertexai") => Ruleset::GeminiSubset,
        _ => choose(&draft.provider, sent.as_ref()),
    };
    Ok(SchemaLint {
        provider: draft.provider.clone(),
        findings: super::lint(&user, ruleset, &mode),
        mode,
        ruleset,
        about: ruleset.about().into(),
        sent,
        unsendable,
    })
}
