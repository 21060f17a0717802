//! The public entry point: a [`Client`] holds the HTTP connection pool, the client-wide hooks
//! and where API keys come from; each call resolves its provider and mode, then runs the
//! attempt loop.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;
use crate::events::{Emitter, EventObserver};
use crate::hooks::{HookId, HookName, Hooks};
use crate::mode::{Mode, ModeName};
use crate::provider::Protocol;
use crate::provider::openai::OpenAi;
use crate::provider::presets::{self, Preset};
use crate::request::ExtractRequest;
use crate::run::{Extraction, Run};
use crate::schema::ResponseSchema;
use crate::secret::{ApiKey, EnvKeys, KeySource};

/// Per-call additions: hooks for this call only, and an observer of every event.
#[derive(Clone, Default)]
pub struct CallOptions {
    pub hooks: Hooks,
    pub observer: Option<EventObserver>,
}

pub struct ClientBuilder {
    keys: Arc<dyn KeySource>,
    hooks: Hooks,
    http: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// Where API keys come from (the environment by default).
    pub fn keys(mut self, keys: Arc<dyn KeySource>) -> Self {
        self.keys = keys;
        self
    }
    pub fn hooks(mut self, hooks: Hooks) -> Self {
        self.hooks = hooks;
        self
    }
    /// A preconfigured reqwest client (proxies, certificates).
    pub fn http(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }
    pub fn build(self) -> Client {
        let http = self.http.unwrap_or_else(|| {
            reqwest::Client::builder()
                .user_agent(concat!("quarry/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(10))
                .tcp_nodelay(true)
                .pool_idle_timeout(Duration::from_secs(90))
                .build()
                .unwrap_or_default()
        });
        Client {
            http,
            hooks: Mutex::new(self.hooks),
            keys: self.keys,
        }
    }
}

pub struct Client {
    http: reqwest::Client,
    hooks: Mutex<Hooks>,
    keys: Arc<dyn KeySource>,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

/// A request's provider, mode and key, checked before anything is sent.
#[derive(Debug)]
pub struct Resolved {
    pub preset: &'static Preset,
    pub mode: Mode,
    pub base_url: String,
    protocol: OpenAi,
    key: Option<ApiKey>,
}

impl Client {
    pub fn new() -> Self {
        Self::builder().build()
    }

    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            keys: Arc::new(EnvKeys),
            hooks: Hooks::new(),
            http: None,
        }
    }

    fn with_hooks<R>(&self, f: impl FnOnce(&mut Hooks) -> R) -> R {
        f(&mut self.hooks.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Adds a client-wide hook.
    pub fn on(
        &self,
        name: HookName,
        handler: impl Fn(&crate::events::RunEvent) + Send + Sync + 'static,
    ) -> HookId {
        self.with_hooks(|h| h.on(name, handler))
    }

    /// Removes a client-wide hook.
    pub fn off(&self, id: HookId) -> bool {
        self.with_hooks(|h| h.off(id))
    }

    /// Clears client-wide hooks for one name, or all of them.
    pub fn clear_hooks(&self, name: Option<HookName>) {
        self.with_hooks(|h| h.clear(name))
    }

    /// Checks the provider, mode, base URL and key of a request.
    pub fn resolve(&self, req: &ExtractRequest) -> Result<Resolved, Error> {
        let preset = presets::find(&req.provider).ok_or_else(|| Error::UnknownProvider {
            name: req.provider.clone(),
            known: presets::names(),
        })?;
        if req.model.is_empty() {
            return Err(Error::InvalidRequest(format!(
                "no model given for `{}`: write PROVIDER/MODEL, for example `{}/MODEL_NAME`",
                req.provider, preset.name
            )));
        }
        let mode = match &req.mode {
            None => preset.default_mode,
            Some(name) => {
                let parsed = ModeName::parse(name)?;
                if let Some(family) = parsed.family
                    && family.provider() != preset.name
                {
                    return Err(Error::UnsupportedMode {
                        provider: preset.name.into(),
                        mode: parsed.instructor_name.into(),
                        valid: preset.modes.to_vec(),
                        note: Some(format!(
                            "{} is a mode of the {} provider",
                            parsed.instructor_name,
                            family.provider()
                        )),
                    });
                }
                parsed.mode
            }
        };
        if !preset.modes.contains(&mode) {
            return Err(Error::UnsupportedMode {
                provider: preset.name.into(),
                mode: mode.as_str().into(),
                valid: preset.modes.to_vec(),
                note: None,
            });
        }
        let base_url = match (&req.base_url, preset.base_url_env) {
            (Some(url), _) => url.clone(),
            (None, Some((var, suffix))) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => {
                    format!("{}{suffix}", v.trim().trim_end_matches('/'))
                }
                _ => {
                    return Err(Error::MissingBaseUrl {
                        provider: preset.name.into(),
                        env_var: var.into(),
                    });
                }
            },
            (None, None) => preset.base_url.to_string(),
        };
        let key_env = req.api_key_env.as_deref().unwrap_or(preset.key_env);
        let key = self.keys.key(preset.name, key_env);
        if key.is_none() && (preset.key_required || req.api_key_env.is_some()) {
            return Err(Error::MissingApiKey {
                provider: preset.name.into(),
                env_var: key_env.into(),
            });
        }
        let api_version = std::env::var("AZURE_OPENAI_API_VERSION").ok();
        Ok(Resolved {
            preset,
            mode,
            protocol: OpenAi::new(preset, base_url.clone(), api_version),
            base_url,
            key,
        })
    }

    /// Extracts JSON matching `schema`.
    pub async fn extract_value(
        &self,
        req: &ExtractRequest,
        schema: &ResponseSchema,
    ) -> Result<Extraction<Value>, Error> {
        self.extract_value_with(req, schema, &CallOptions::default())
            .await
    }

    /// As [`Client::extract_value`], with per-call hooks and an event observer.
    pub async fn extract_value_with(
        &self,
        req: &ExtractRequest,
        schema: &ResponseSchema,
        options: &CallOptions,
    ) -> Result<Extraction<Value>, Error> {
        self.run(req, schema, options, Ok).await
    }

    /// Extracts a `T`: its JSON Schema (schemars) is sent, the answer validated against it and
    /// deserialized; a deserialization error is re-asked like a validation error.
    pub async fn extract<T>(&self, req: &ExtractRequest) -> Result<T, Error>
    where
        T: schemars::JsonSchema + DeserializeOwned,
    {
        Ok(self
            .extract_with::<T>(req, &CallOptions::default())
            .await?
            .value)
    }

    pub async fn extract_with<T>(
        &self,
        req: &ExtractRequest,
        options: &CallOptions,
    ) -> Result<Extraction<T>, Error>
    where
        T: schemars::JsonSchema + DeserializeOwned,
    {
        let schema = ResponseSchema::for_type::<T>()?;
        self.run(req, &schema, options, |v| {
            serde_json::from_value::<T>(v).map_err(|e| e.to_string())
        })
        .await
    }

    async fn run<T>(
        &self,
        req: &ExtractRequest,
        schema: &ResponseSchema,
        options: &CallOptions,
        finish: impl Fn(Value) -> Result<T, String>,
    ) -> Result<Extraction<T>, Error> {
        let hooks = self.with_hooks(|h| h.merged(&options.hooks));
        let resolved = self.resolve(req)?;
        let protocol: &dyn Protocol = &resolved.protocol;
        Run {
            http: &self.http,
            protocol,
            key: resolved.key.as_ref(),
            mode: resolved.mode,
            request: req,
            schema,
            emitter: Emitter::new(hooks, options.observer.clone()),
        }
        .execute(finish)
        .await
    }
}
