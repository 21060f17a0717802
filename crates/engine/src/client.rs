//! The public entry point: a [`Client`] holds the HTTP connection pool, the client-wide hooks
//! and where API keys come from; each call resolves its provider and mode, then runs the
//! attempt loop.

use crate::fetch::FetchPolicy;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Setting};
use crate::events::{Emitter, EventObserver, EventRecord, RunEvent};
use crate::hooks::{HookId, HookName, Hooks};
use crate::mode::{Mode, ModeName};
use crate::partial::Snapshot;
use crate::provider::auth::Auth;
use crate::provider::registry;
use crate::provider::{Header, Protocol};
use crate::request::ExtractRequest;
use crate::run::{Extraction, Run};
use crate::schema::ResponseSchema;
use crate::secret::{EnvKeys, KeySource, Redactor, header_secrets, is_credential_name};
use crate::stream::StreamKind;
use crate::validate::Issue;

/// Per-call additions: hooks for this call only, an observer of every event, and a way to
/// cancel the call.
#[derive(Clone, Default)]
pub struct CallOptions {
    pub hooks: Hooks,
    pub observer: Option<EventObserver>,
    pub cancel: Option<Canceller>,
}

/// Cancels a run: the HTTP request is aborted and the run ends with [`Error::Cancelled`],
/// keeping the partial object a stream had built.
#[derive(Clone, Debug, Default)]
pub struct Canceller(CancellationToken);

impl Canceller {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.cancel();
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// A streamed run in progress: its events as they happen and, at the end, its result.
/// Dropping it aborts the run and its HTTP request.
pub struct RunStream {
    events: mpsc::UnboundedReceiver<EventRecord>,
    task: Option<tokio::task::JoinHandle<Result<Extraction<Value>, Error>>>,
    cancel: Canceller,
}

impl RunStream {
    /// The next event; `None` once the run has ended and every event was taken.
    pub async fn next_event(&mut self) -> Option<EventRecord> {
        self.events.recv().await
    }

    pub fn canceller(&self) -> Canceller {
        self.cancel.clone()
    }

    /// Waits for the run's result (events not yet taken are dropped).
    pub async fn finish(mut self) -> Result<Extraction<Value>, Error> {
        let Some(task) = self.task.take() else {
            return Err(Error::Cancelled {
                partial: None,
                usage: Default::default(),
            });
        };
        match task.await {
            Ok(result) => result,
            // A panic is a bug, and hiding it as a cancellation would hide the bug (tests feed
            // every kind of garbage through here to prove there is none).
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Error::Cancelled {
                partial: None,
                usage: Default::default(),
            }),
        }
    }
}

impl Stream for RunStream {
    type Item = EventRecord;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<EventRecord>> {
        self.events.poll_recv(cx)
    }
}

impl Drop for RunStream {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// One item of [`Client::extract_partial`].
#[derive(Debug, Clone)]
pub enum PartialItem<T> {
    /// The object as it stands after a network chunk (fields still arriving are absent or
    /// partial). A new attempt (after a re-ask) starts from an empty object.
    Update { attempt: u32, snapshot: Value },
    /// The validated result.
    Done(Extraction<T>),
}

/// A list item that closed but failed its schema, from [`Client::extract_iterable`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("item {index} is invalid: {}", crate::validate::render_issues(issues))]
pub struct InvalidItem {
    pub index: usize,
    pub issues: Vec<Issue>,
}

/// One item of [`Client::extract_iterable`].
#[derive(Debug)]
pub enum IterItem<T> {
    Item(T),
    Invalid(InvalidItem),
}

type Check = Arc<dyn Fn(&Value) -> Result<(), String> + Send + Sync>;

pub struct ClientBuilder {
    keys: Arc<dyn KeySource>,
    hooks: Hooks,
    http: Option<reqwest::Client>,
    protocols: Vec<Arc<dyn Protocol>>,
    fetch: FetchPolicy,
}

impl ClientBuilder {
    /// Which addresses files attached by URL may be fetched from (public ones only, unless
    /// this says otherwise; see [`crate::fetch`]).
    pub fn fetch_policy(mut self, policy: FetchPolicy) -> Self {
        self.fetch = policy;
        self
    }
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
    /// A protocol of your own, chosen by its [`Protocol::name`] as the provider (before the
    /// registry's presets). Its key comes from the request's `api_key_env` when it names one,
    /// else from the key source under the protocol's name.
    pub fn protocol(mut self, protocol: Arc<dyn Protocol>) -> Self {
        self.protocols.push(protocol);
        self
    }

    pub fn build(self) -> Client {
        let http = OnceLock::new();
        if let Some(given) = self.http {
            let _ = http.set(Ok(given));
        }
        Client {
            http,
            hooks: Mutex::new(self.hooks),
            keys: self.keys,
            protocols: self.protocols,
            fetch: self.fetch,
        }
    }
}

/// The HTTP client Quarry makes when none is given. Made at the first request, not with the
/// [`Client`]: a command that sends nothing needs none. Its TLS configuration reads the system's
/// certificates only at the first TLS handshake (see `tls`).
fn default_http() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(crate::tls::client_config()?)
        .user_agent(concat!("quarry/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(90))
        // A redirect would resend the body and the provider's key header (`api-key`,
        // `x-api-key`) to wherever it points; an API that moved is reported instead.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        // Kept as an error for the first request to report: a client without these settings
        // (reqwest's default) would silently drop the timeouts and send redirects on.
        .map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        })
}

pub struct Client {
    http: OnceLock<Result<reqwest::Client, String>>,
    hooks: Mutex<Hooks>,
    keys: Arc<dyn KeySource>,
    protocols: Vec<Arc<dyn Protocol>>,
    fetch: FetchPolicy,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

/// Where a request's protocol comes from.
enum Chosen {
    Custom(Arc<dyn Protocol>),
    Preset(&'static registry::Preset),
}

/// A request's provider, mode and credentials, checked before anything is sent.
#[derive(Debug)]
pub struct Resolved {
    pub mode: Mode,
    protocol: Arc<dyn Protocol>,
    auth: Auth,
    /// Every secret of the request, masked out of what the run records and returns.
    redactor: Redactor,
    /// The variable the key is read from, for the curl command of a preview.
    key_env: String,
}

/// Whether a request without its key is refused when resolved.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    Required,
    /// A preview shows where the key goes without having it.
    Optional,
}

impl Client {
    pub fn new() -> Self {
        Self::builder().build()
    }

    fn http(&self, provider: &str) -> Result<&reqwest::Client, Error> {
        self.http
            .get_or_init(default_http)
            .as_ref()
            .map_err(|e| Error::Transport {
                provider: provider.to_string(),
                url: String::new(),
                message: format!("the HTTP client could not be set up: {e}"),
                retries: 0,
                local_server: None,
            })
    }

    /// Makes the HTTP client now, so the first request does not pay for it (apps call this
    /// once they are up; it blocks while the TLS configuration loads). A failure is kept and
    /// reported by the first request.
    pub fn warm_up(&self) {
        self.http.get_or_init(default_http);
    }

    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            keys: Arc::new(EnvKeys),
            hooks: Hooks::new(),
            http: None,
            protocols: Vec::new(),
            fetch: FetchPolicy::default(),
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
        self.resolve_with(req, Keys::Required)
    }

    fn resolve_with(&self, req: &ExtractRequest, keys: Keys) -> Result<Resolved, Error> {
        let chosen = match self.protocols.iter().find(|p| p.name() == req.provider) {
            Some(p) => Chosen::Custom(p.clone()),
            None => Chosen::Preset(registry::find(&req.provider).ok_or_else(|| {
                Error::UnknownProvider {
                    name: req.provider.clone(),
                    known: registry::names(),
                }
            })?),
        };
        let name = match &chosen {
            Chosen::Custom(_) => req.provider.as_str(),
            Chosen::Preset(p) => p.name,
        };
        if req.model.is_empty() {
            return Err(Error::InvalidRequest(format!(
                "no model given for `{}`: write PROVIDER/MODEL, for example `{name}/MODEL_NAME`",
                req.provider
            )));
        }
        let (modes, default_mode) = match &chosen {
            Chosen::Custom(p) => (p.modes().to_vec(), p.default_mode()),
            Chosen::Preset(p) => (p.modes.to_vec(), p.default_mode),
        };
        let mode = match &req.mode {
            None => default_mode,
            Some(mode_name) => {
                let parsed = ModeName::parse(mode_name)?;
                if let Some(family) = parsed.family
                    && family.provider() != name
                {
                    return Err(Error::UnsupportedMode {
                        provider: name.into(),
                        mode: parsed.instructor_name.into(),
                        valid: modes,
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
        if !modes.contains(&mode) {
            return Err(Error::UnsupportedMode {
                provider: name.into(),
                mode: mode.as_str().into(),
                valid: modes,
                note: None,
            });
        }
        check_settings(req)?;
        let mut redactor = Redactor::new();
        let key_env = match &chosen {
            Chosen::Preset(p) => req.api_key_env.as_deref().unwrap_or(p.key_env),
            Chosen::Custom(_) => req.api_key_env.as_deref().unwrap_or_default(),
        }
        .to_string();
        let (protocol, key) = match chosen {
            Chosen::Custom(protocol) => {
                // The variable the request names, else whatever the key source holds for
                // this provider's name (a keychain entry).
                let key = match req.api_key_env.as_deref() {
                    Some(var) => {
                        Some(EnvKeys.key(name, var).ok_or_else(|| Error::MissingApiKey {
                            provider: name.into(),
                            env_var: var.into(),
                            keychain: false,
                        })?)
                    }
                    None => self.keys.key(name, ""),
                };
                (protocol, key)
            }
            Chosen::Preset(preset) => {
                let base_url = base_url(req, preset)?;
                crate::transport::add_url_secrets(&base_url, &mut redactor);
                let key = match self.preset_key(req, preset) {
                    // Any stand-in will do: the preview masks the key and curl reads the
                    // variable.
                    Err(Error::MissingApiKey { .. }) if keys == Keys::Optional => {
                        Some(crate::secret::ApiKey::new(format!("${key_env}")))
                    }
                    other => other?,
                };
                (Arc::from(registry::protocol(preset, base_url)?), key)
            }
        };
        if let Some(key) = &key {
            redactor.add_key(key);
        }
        for (name, value) in &req.extra_headers {
            if is_credential_name(name) {
                header_secrets(value)
                    .into_iter()
                    .for_each(|s| redactor.add(s));
            }
        }
        let auth = match protocol.auth(key) {
            Err(Error::InvalidSetting {
                setting: Setting::ApiKey,
                ..
            }) if keys == Keys::Optional && protocol.stand_in_auth().is_some() => {
                protocol.stand_in_auth().unwrap_or(Auth::None)
            }
            other => other?,
        };
        for secret in auth.secrets() {
            redactor.add(&secret);
        }
        Ok(Resolved {
            mode,
            auth,
            protocol,
            redactor,
            key_env,
        })
    }

    /// A preset's key: from the variable the request names, else the keychain, else the
    /// preset's variable; checked for characters no header can carry.
    fn preset_key(
        &self,
        req: &ExtractRequest,
        preset: &'static registry::Preset,
    ) -> Result<Option<crate::secret::ApiKey>, Error> {
        let key_env = req.api_key_env.as_deref().unwrap_or(preset.key_env);
        // A variable named explicitly is the caller's choice of key: use it alone.
        let key = match &req.api_key_env {
            Some(var) => EnvKeys.key(preset.name, var),
            None => self
                .keys
                .key(preset.name, key_env)
                .or_else(|| preset.alt_key_env.and_then(|v| EnvKeys.key(preset.name, v))),
        };
        if key.is_none() && (preset.key_required || req.api_key_env.is_some()) {
            return Err(Error::MissingApiKey {
                provider: preset.name.into(),
                env_var: key_env.into(),
                keychain: req.api_key_env.is_none() && self.keys.keychain_available(),
            });
        }
        if let Some(problem) = key.as_ref().and_then(|k| k.problem()) {
            let from = match &req.api_key_env {
                Some(var) => var.clone(),
                None => format!("the keychain or {key_env}"),
            };
            return Err(Error::InvalidSetting {
                setting: Setting::ApiKey,
                message: format!(
                    "the API key for `{}` (from {from}) {problem}, so it cannot be sent",
                    preset.name
                ),
                hint: format!(
                    "store the key again without that character (in the keychain, or in {key_env})"
                ),
            });
        }
        Ok(key)
    }

    /// Whether `schema` can be streamed as `kind`: an iterable stream needs a list.
    pub fn check_stream(schema: &ResponseSchema, kind: StreamKind) -> Result<(), Error> {
        if kind == StreamKind::Iterable && schema.iterable_field().is_none() {
            return Err(Error::InvalidSetting {
                setting: Setting::Stream,
                message: format!(
                    "an iterable stream needs a list, and the schema `{}` has none: its top level is neither an array nor an object whose only property is an array",
                    schema.name()
                ),
                hint: "stream it as partial instead, or give the schema a list: {\"type\": \"array\", \"items\": …} or {\"type\": \"object\", \"properties\": {\"items\": {\"type\": \"array\", …}}}".into(),
            });
        }
        Ok(())
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
        Run {
            http: self.http(resolved.protocol.name())?,
            protocol: &*resolved.protocol,
            auth: &resolved.auth,
            mode: resolved.mode,
            request: req,
            schema: schema.clone(),
            emitter: Emitter::new(hooks, options.observer.clone())
                .with_redactor(resolved.redactor.clone()),
            stream: None,
            cancel: options.cancel.clone().unwrap_or_default().0,
            redactor: resolved.redactor.clone(),
            fetch: self.fetch,
        }
        .execute(finish)
        .await
    }

    /// The local model servers (see [`crate::discover`]): every local preset on its default
    /// address, or only `provider`, at `base_url` when given.
    pub async fn discover_local(
        &self,
        provider: Option<&str>,
        base_url: Option<&str>,
    ) -> Result<Vec<crate::discover::LocalServer>, Error> {
        let presets = crate::discover::local_presets();
        let chosen: Vec<_> = match provider {
            None => presets.clone(),
            Some(name) => presets.iter().copied().filter(|p| p.name == name).collect(),
        };
        if chosen.is_empty() {
            return Err(Error::InvalidSetting {
                setting: Setting::Provider,
                message: format!(
                    "`{}` is not a local server Quarry can list models of",
                    provider.unwrap_or_default()
                ),
                hint: format!(
                    "use one of: {}",
                    presets
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        if let Some(url) = base_url {
            if chosen.len() > 1 {
                return Err(Error::InvalidSetting {
                    setting: Setting::BaseUrl,
                    message: "a base URL is for one server, and no provider was named".into(),
                    hint: "name the server too, for example --provider ollama".into(),
                });
            }
            check_base_url(url, "the base URL")?;
        }
        let servers: Vec<_> = chosen
            .into_iter()
            .map(|p| (p, base_url.map_or(p.base_url, str::trim).to_string()))
            .collect();
        let http = self.http("local servers")?;
        Ok(crate::discover::probe_all(http, &servers).await)
    }

    /// The exact request the first attempt of this run would send (URL, headers with secrets
    /// masked, body byte for byte), built by the run's own code and sent nowhere: no request to
    /// the provider, no file fetched, no access token asked for. A missing API key is no error
    /// here: the preview shows where it goes.
    pub async fn preview(
        &self,
        req: &ExtractRequest,
        schema: &ResponseSchema,
        stream: Option<StreamKind>,
    ) -> Result<crate::preview::RequestPreview, Error> {
        let resolved = self.resolve_with(req, Keys::Optional)?;
        if let Some(kind) = stream {
            Self::check_stream(schema, kind)?;
        }
        let (http, events, unfetched) = Run {
            http: self.http(resolved.protocol.name())?,
            protocol: &*resolved.protocol,
            auth: &resolved.auth,
            mode: resolved.mode,
            request: req,
            schema: schema.clone(),
            emitter: Emitter::new(Hooks::default(), None),
            stream,
            cancel: Default::default(),
            redactor: resolved.redactor.clone(),
            fetch: self.fetch,
        }
        .first_request()
        .await?;
        // The headers as the transport sends them; curl sends the content type itself and the
        // credentials from the environment.
        let mut headers: Vec<Header> =
            crate::transport::added_headers(&http.headers, stream.is_some())
                .into_iter()
                .map(|(name, value)| Header {
                    name: name.into(),
                    value: value.into(),
                    secret: false,
                })
                .chain(http.headers.iter().cloned())
                .collect();
        let bytes = crate::transport::body_bytes(&http.body)?;
        let mut plain_headers = crate::transport::shown_headers(&headers[1..]);
        let auth_args =
            resolved
                .auth
                .preview(&http.url, &bytes, &mut headers, &resolved.key_env)?;
        let mut request = crate::transport::record(&http.url, &headers, &http.body);
        let redactor = &resolved.redactor;
        let sent_body = request.body.clone();
        redactor.mask_value(&mut request.body);
        for (_, value) in request.headers.iter_mut().chain(plain_headers.iter_mut()) {
            redactor.mask_string(value);
        }
        // The bytes themselves unless a secret had to be masked in them (then the masked
        // JSON, which can no longer be the exact bytes).
        let body_text = if request.body == sent_body {
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            serde_json::to_string(&request.body).unwrap_or_default()
        };
        let mut notes = crate::preview::file_notes(&events, &unfetched);
        if matches!(resolved.auth, Auth::SigV4 { .. }) {
            notes.push(
                "the AWS signature headers are made again at each try, over the exact bytes sent"
                    .into(),
            );
        }
        if matches!(resolved.auth, Auth::Google(_)) {
            notes.push(
                "the access token is fetched when the run starts (and renewed before it expires)"
                    .into(),
            );
        }
        let curl = crate::preview::curl(
            &request.url,
            &plain_headers,
            &auth_args,
            &body_text,
            stream.is_some(),
        );
        let (model, body, text) = (req.model.clone(), request.body.clone(), body_text.clone());
        let prompt_tokens = tokio::task::spawn_blocking(move || {
            crate::preview::prompt_tokens(&model, &body, &text)
        })
        .await
        .map_err(|e| Error::InvalidRequest(format!("counting the prompt's tokens failed: {e}")))?;
        Ok(crate::preview::RequestPreview {
            request,
            body_text,
            curl,
            mode: resolved.mode,
            notes,
            prompt_tokens,
        })
    }

    /// Starts a streamed run: partial changes (and, for [`StreamKind::Iterable`], items) arrive
    /// as events while the answer streams in. Bad input fails here, before anything is sent.
    /// Needs a Tokio runtime.
    pub fn stream(
        &self,
        req: ExtractRequest,
        schema: Arc<ResponseSchema>,
        kind: StreamKind,
        options: CallOptions,
    ) -> Result<RunStream, Error> {
        self.stream_checked(req, schema, kind, options, None)
    }

    fn stream_checked(
        &self,
        req: ExtractRequest,
        schema: Arc<ResponseSchema>,
        kind: StreamKind,
        options: CallOptions,
        check: Option<Check>,
    ) -> Result<RunStream, Error> {
        let resolved = self.resolve(&req)?;
        Self::check_stream(&schema, kind)?;
        let hooks = self.with_hooks(|h| h.merged(&options.hooks));
        let http = self.http(resolved.protocol.name())?.clone();
        let (tx, rx) = mpsc::unbounded_channel();
        let cancel = options.cancel.clone().unwrap_or_default();
        let token = cancel.0.clone();
        let observer = options.observer.clone();
        let fetch = self.fetch;
        let task = tokio::spawn(async move {
            Run {
                http: &http,
                protocol: &*resolved.protocol,
                auth: &resolved.auth,
                mode: resolved.mode,
                request: &req,
                schema: (*schema).clone(),
                emitter: Emitter::new(hooks, observer)
                    .with_channel(tx)
                    .with_redactor(resolved.redactor.clone()),
                stream: Some(kind),
                cancel: token,
                redactor: resolved.redactor.clone(),
                fetch,
            }
            .execute(|v| match &check {
                Some(check) => check(&v).map(|()| v),
                None => Ok(v),
            })
            .await
        });
        Ok(RunStream {
            events: rx,
            task: Some(task),
            cancel,
        })
    }

    /// Streams a `T`: a snapshot of the object after every network chunk, then the validated,
    /// deserialized result.
    pub fn extract_partial<T>(
        &self,
        req: ExtractRequest,
    ) -> Result<impl Stream<Item = Result<PartialItem<T>, Error>> + Send + use<T>, Error>
    where
        T: schemars::JsonSchema + DeserializeOwned + Send + 'static,
    {
        let schema = Arc::new(ResponseSchema::for_type::<T>()?);
        let run = self.stream_checked(
            req,
            schema,
            StreamKind::Partial,
            CallOptions::default(),
            Some(deserializes::<T>()),
        )?;
        Ok(futures_util::stream::unfold(
            Some((run, Snapshot::new(), 0u32)),
            |state| async move {
                let (mut run, mut snap, mut attempt) = state?;
                while let Some(record) = run.next_event().await {
                    if let RunEvent::Partial {
                        attempt: a,
                        changes,
                    } = record.event
                    {
                        if a.attempt != attempt {
                            snap = Snapshot::new();
                            attempt = a.attempt;
                        }
                        for c in &changes {
                            snap.apply(c);
                        }
                        let item = PartialItem::Update {
                            attempt,
                            snapshot: snap.value().clone(),
                        };
                        return Some((Ok(item), Some((run, snap, attempt))));
                    }
                }
                let done = run
                    .finish()
                    .await
                    .and_then(typed::<T>)
                    .map(PartialItem::Done);
                Some((done, None))
            },
        ))
    }

    /// Streams the items of a list of `T`, each as soon as it closes and validates (an item
    /// that fails its schema arrives as [`IterItem::Invalid`]); ends with an error if the run
    /// fails. After a re-ask the model starts the list again.
    pub fn extract_iterable<T>(
        &self,
        req: ExtractRequest,
    ) -> Result<impl Stream<Item = Result<IterItem<T>, Error>> + Send + use<T>, Error>
    where
        T: schemars::JsonSchema + DeserializeOwned + Send + 'static,
    {
        let schema = Arc::new(ResponseSchema::for_type::<Vec<T>>()?);
        let run = self.stream_checked(
            req,
            schema,
            StreamKind::Iterable,
            CallOptions::default(),
            Some(deserializes::<Vec<T>>()),
        )?;
        Ok(futures_util::stream::unfold(
            Some(run),
            |state| async move {
                let mut run = state?;
                while let Some(record) = run.next_event().await {
                    match record.event {
                        RunEvent::Item { index, value, .. } => {
                            let item = serde_json::from_value::<T>(value)
                                .map(IterItem::Item)
                                .unwrap_or_else(|e| {
                                    IterItem::Invalid(InvalidItem {
                                        index,
                                        issues: vec![Issue {
                                            path: format!("/{index}"),
                                            message: e.to_string(),
                                        }],
                                    })
                                });
                            return Some((Ok(item), Some(run)));
                        }
                        RunEvent::ItemInvalid { index, issues, .. } => {
                            let item = IterItem::Invalid(InvalidItem { index, issues });
                            return Some((Ok(item), Some(run)));
                        }
                        _ => {}
                    }
                }
                match run.finish().await {
                    Ok(_) => None,
                    Err(e) => Some((Err(e), None)),
                }
            },
        ))
    }
}

/// The base URL a request goes to: the one given, else the preset's (from its variable for
/// resource-specific services).
fn base_url(req: &ExtractRequest, preset: &registry::Preset) -> Result<String, Error> {
    Ok(match (&req.base_url, preset.base_url_env) {
        (Some(url), _) => {
            check_base_url(url, "the base URL")?;
            url.trim().to_string()
        }
        (None, Some((var, suffix))) => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => {
                check_base_url(&v, &format!("the base URL in {var}"))?;
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
    })
}

/// A base URL must be an http(s) address with a host; anything else fails before a request is
/// built (reqwest would refuse it at send time, which looked like a network error).
fn check_base_url(url: &str, what: &str) -> Result<(), Error> {
    let shown = crate::transport::redact_url(url.trim());
    let bad = |why: String| {
        Error::InvalidSetting {
        setting: Setting::BaseUrl,
        message: format!("{what} `{shown}` {why}"),
        hint: "give the server's address, for example http://localhost:11434/v1 or https://api.example.com/v1".into(),
    }
    };
    match reqwest::Url::parse(url.trim()) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => Err(bad(format!(
            "uses the `{}:` scheme; Quarry talks to servers over http:// or https://",
            u.scheme()
        ))),
        Ok(u) if u.host_str().is_none_or(str::is_empty) => Err(bad("has no host".into())),
        Ok(_) => Ok(()),
        Err(e) => Err(bad(format!("is not a URL ({e})"))),
    }
}

/// Checks the numbers and texts of a request that would otherwise fail (or panic) later:
/// headers reqwest refuses, timeouts out of range, sampling values that are not numbers.
fn check_settings(req: &ExtractRequest) -> Result<(), Error> {
    // A request read back from the run history has its credentials masked.
    if req
        .base_url
        .as_deref()
        .is_some_and(|u| u.contains(crate::secret::REDACTED))
    {
        return Err(Error::InvalidSetting {
            setting: Setting::BaseUrl,
            message: "the base URL's credentials were not kept in the run history".into(),
            hint: "give the base URL again, with its user name and password".into(),
        });
    }
    for (name, value) in &req.extra_headers {
        if value == crate::secret::REDACTED {
            return Err(Error::InvalidSetting {
                setting: Setting::Headers,
                message: format!(
                    "the header `{name}` holds a credential, which was not kept in the run history"
                ),
                hint: format!("give the header `{name}` again"),
            });
        }
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(Error::InvalidSetting {
                setting: Setting::Headers,
                message: format!(
                    "the header name `{}` is not a valid HTTP header name",
                    name.escape_debug()
                ),
                hint: "header names are letters, digits and - (for example X-Team); write the header as `Name: value`".into(),
            });
        }
        if reqwest::header::HeaderValue::from_str(value).is_err() {
            return Err(Error::InvalidSetting {
                setting: Setting::Headers,
                message: format!(
                    "the value of header `{name}` contains a line break or another control character"
                ),
                hint: "remove the line break (\\r or \\n) from the header's value".into(),
            });
        }
    }
    let max = crate::limits::MAX_TIMEOUT;
    match req.timeout {
        Some(t) if t.is_zero() || t > max => {
            return Err(Error::InvalidSetting {
                setting: Setting::Timeout,
                message: format!(
                    "the total timeout must be more than 0 s and at most {}",
                    crate::limits::human_duration(max)
                ),
                hint: "give a timeout in seconds, for example 60".into(),
            });
        }
        _ => {}
    }
    let rt = req.transport.request_timeout;
    if rt.is_zero() || rt > max {
        return Err(Error::InvalidSetting {
            setting: Setting::RequestTimeout,
            message: format!(
                "the request timeout must be more than 0 s and at most {}",
                crate::limits::human_duration(max)
            ),
            hint: "give a request timeout in seconds, for example 120".into(),
        });
    }
    let max = crate::limits::MAX_RETRIES;
    for (what, n) in [
        ("re-asks", req.max_retries),
        ("transport retries", req.transport.max_retries),
    ] {
        if n > max {
            return Err(Error::InvalidSetting {
                setting: Setting::MaxRetries,
                message: format!("{n} {what} is more than the {max} Quarry makes"),
                hint: format!("ask for at most {max} (3 is the default)"),
            });
        }
    }
    let s = &req.sampling;
    for (name, v) in [("temperature", s.temperature), ("top_p", s.top_p)] {
        if v.is_some_and(|v| !v.is_finite()) {
            return Err(Error::InvalidSetting {
                setting: Setting::Sampling,
                message: format!("{name} must be a finite number"),
                hint: format!("give {name} a number such as 0.2, or leave it out"),
            });
        }
    }
    Ok(())
}

/// A check that the validated JSON deserializes into `T` (re-asked when it does not).
fn deserializes<T: DeserializeOwned>() -> Check {
    Arc::new(|v: &Value| T::deserialize(v).map(|_| ()).map_err(|e| e.to_string()))
}

fn typed<T: DeserializeOwned>(ex: Extraction<Value>) -> Result<Extraction<T>, Error> {
    let value = serde_json::from_value::<T>(ex.value)
        .map_err(|e| Error::InvalidRequest(format!("the result does not deserialize: {e}")))?;
    Ok(Extraction {
        value,
        attempts: ex.attempts,
        usage: ex.usage,
        latencies_ms: ex.latencies_ms,
        raw: ex.raw,
    })
}
