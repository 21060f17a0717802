//! The extraction request: who to ask (provider, model, mode), what to say (messages rendered
//! with a template context), and how hard to try (re-asks, transport retries, timeouts).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::message::Message;
use crate::retry::TransportRetry;

/// Sampling settings passed through to the provider when set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Sampling {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub stop: Vec<String>,
}

#[derive(Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ExtractRequest {
    /// Provider preset name (`openai`, `ollama`, …).
    pub provider: String,
    pub model: String,
    /// Overrides the preset's base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub base_url: Option<String>,
    /// Overrides the environment variable the key is read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub api_key_env: Option<String>,
    /// Any instructor mode name; the provider's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub mode: Option<String>,
    pub messages: Vec<Message>,
    /// Variables for the message templates.
    #[serde(default)]
    #[ts(as = "Option<_>", optional)]
    pub context: Map<String, Value>,
    /// Re-asks after the first attempt when the answer does not parse or validate.
    pub max_retries: u32,
    #[serde(default)]
    #[ts(as = "Option<_>", optional)]
    pub transport: TransportRetry,
    /// Total time for the whole run, all attempts and retries included.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_millis")]
    #[ts(type = "number", optional)]
    pub timeout: Option<Duration>,
    #[serde(default)]
    #[ts(as = "Option<_>", optional)]
    pub sampling: Sampling,
    /// Fields merged into the request body last (they win over Quarry's own).
    #[serde(default)]
    #[ts(as = "Option<_>", optional)]
    pub extra_body: Map<String, Value>,
    #[serde(default)]
    #[ts(as = "Option<_>", optional)]
    pub extra_headers: Vec<(String, String)>,
}

mod opt_millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

/// Debug output is for logs and panics: credentials never appear in it.
impl std::fmt::Debug for ExtractRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = self.redacted();
        f.debug_struct("ExtractRequest")
            .field("provider", &shown.provider)
            .field("model", &shown.model)
            .field("base_url", &shown.base_url)
            .field("api_key_env", &shown.api_key_env)
            .field("mode", &shown.mode)
            .field("messages", &shown.messages)
            .field("context", &shown.context)
            .field("max_retries", &shown.max_retries)
            .field("transport", &shown.transport)
            .field("timeout", &shown.timeout)
            .field("sampling", &shown.sampling)
            .field("extra_body", &shown.extra_body)
            .field("extra_headers", &shown.extra_headers)
            .finish()
    }
}

impl ExtractRequest {
    /// The request as it may be recorded (run history, exports, logs): the values of
    /// credential headers (`Authorization`, `X-Api-Key`, …) and credentials in the base URL
    /// replaced by `<redacted>`. Such a request cannot be sent again as it is: the engine
    /// refuses a `<redacted>` value and asks for the credential.
    pub fn redacted(&self) -> ExtractRequest {
        let mut out = self.clone();
        for (name, value) in &mut out.extra_headers {
            if crate::secret::is_credential_name(name) {
                *value = crate::secret::REDACTED.to_string();
            }
        }
        if let Some(url) = &mut out.base_url {
            *url = crate::transport::redact_url(url);
        }
        out
    }

    /// A request for `provider/model` (`openai/gpt-4o-mini`, `ollama/llama3.1`). Only the first
    /// `/` separates: `openrouter/meta-llama/llama-3.1-8b` is model `meta-llama/llama-3.1-8b`.
    /// A string without `/` leaves the model empty, which [`crate::Client`] reports.
    pub fn new(provider_model: &str) -> Self {
        let (provider, model) = provider_model
            .split_once('/')
            .unwrap_or((provider_model, ""));
        ExtractRequest {
            provider: provider.trim().to_ascii_lowercase(),
            model: model.trim().to_string(),
            base_url: None,
            api_key_env: None,
            mode: None,
            messages: Vec::new(),
            context: Map::new(),
            max_retries: 3,
            transport: TransportRetry::default(),
            timeout: None,
            sampling: Sampling::default(),
            extra_body: Map::new(),
            extra_headers: Vec::new(),
        }
    }

    pub fn mode(mut self, mode: impl Into<String>) -> Self {
        self.mode = Some(mode.into());
        self
    }
    pub fn system(mut self, text: impl Into<String>) -> Self {
        self.messages.push(Message::system(text));
        self
    }
    pub fn user(mut self, text: impl Into<String>) -> Self {
        self.messages.push(Message::user(text));
        self
    }
    pub fn message(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }
    pub fn var(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.context.insert(key.into(), value.into());
        self
    }
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    pub fn api_key_env(mut self, name: impl Into<String>) -> Self {
        self.api_key_env = Some(name.into());
        self
    }
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }
    pub fn transport(mut self, policy: TransportRetry) -> Self {
        self.transport = policy;
        self
    }
    pub fn timeout(mut self, total: Duration) -> Self {
        self.timeout = Some(total);
        self
    }
    pub fn temperature(mut self, t: f64) -> Self {
        self.sampling.temperature = Some(t);
        self
    }
    pub fn max_tokens(mut self, n: u32) -> Self {
        self.sampling.max_tokens = Some(n);
        self
    }
    pub fn extra_body(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extra_body.insert(key.into(), value.into());
        self
    }
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_headers.push((name.into(), value.into()));
        self
    }
}
