//! Local model servers on their default ports (or given addresses): which are running, the
//! models each offers, and what each model supports where the server says so.
//!
//! - Ollama: `GET /api/tags` lists the models; `POST /api/show` gives each one's
//!   `capabilities` (`tools`, `vision`) on Ollama 0.6 and later.
//!   <https://github.com/ollama/ollama/blob/main/docs/api.md>
//! - llama.cpp's llama-server: `GET /v1/models` (the one loaded model) and `GET /props`, whose
//!   `chat_template_caps.supports_tool_calls` says whether the template has tool calls.
//!   <https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md>
//! - vLLM and LM Studio: `GET /v1/models`. vLLM decodes a named `tool_choice` under the tool's
//!   schema whatever its tool parser, so tools work with every model it serves; LM Studio's
//!   list says nothing about tools.
//!
//! Every probe has a short timeout: a port held by something else never holds the answer up.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::mode::Mode;
use crate::provider::registry::{self, Preset};

const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);
const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;

/// One local server: whether it answered, and its models.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct LocalServer {
    /// The preset (`ollama`, `llamacpp`, `vllm`, `lmstudio`).
    pub provider: String,
    /// The base URL probed (the preset's default unless another was given).
    pub base_url: String,
    pub running: bool,
    pub models: Vec<LocalModel>,
    /// Why the server is taken as not running, or what it answered that could not be read.
    #[ts(optional)]
    pub problem: Option<String>,
    /// How to start one (for a server that is not running).
    pub start: String,
    /// The modes in which this server constrains generation to the schema.
    pub constrained: Vec<Mode>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct LocalModel {
    /// The name to put after `provider/`.
    pub id: String,
    /// Whether tool calls work with it; absent when the server does not say.
    #[ts(optional)]
    pub tools: Option<bool>,
    /// Whether it reads images; absent when the server does not say.
    #[ts(optional)]
    pub vision: Option<bool>,
    /// Size, quantization, context length: what the server tells, in a few words.
    #[ts(optional)]
    pub details: Option<String>,
}

/// The local servers whose model lists are read here. LiteLLM, also local, is a proxy to
/// other providers: its models are whatever its configuration names.
const SERVERS: [&str; 4] = ["ollama", "llamacpp", "vllm", "lmstudio"];

/// The local presets, in the order they are probed and listed.
pub fn local_presets() -> Vec<&'static Preset> {
    SERVERS
        .iter()
        .filter_map(|name| registry::find(name))
        .collect()
}

/// Probes `servers` (preset, base URL) side by side.
pub async fn probe_all(
    http: &reqwest::Client,
    servers: &[(&'static Preset, String)],
) -> Vec<LocalServer> {
    futures_util::future::join_all(
        servers
            .iter()
            .map(|(preset, base)| probe(http, preset, base)),
    )
    .await
}

async fn probe(http: &reqwest::Client, preset: &'static Preset, base_url: &str) -> LocalServer {
    let root = base_url.trim_end_matches('/');
    let root = root.strip_suffix("/v1").unwrap_or(root);
    let found = match preset.name {
        "ollama" => ollama(http, root).await,
        "llamacpp" => llama_server(http, root).await,
        _ => openai_models(http, root, preset.name == "vllm").await,
    };
    let (running, models, problem) = match found {
        Ok(models) => (true, models, None),
        Err(Probe::Down(why)) => (false, Vec::new(), Some(why)),
        Err(Probe::Unreadable(why)) => (true, Vec::new(), Some(why)),
    };
    LocalServer {
        provider: preset.name.into(),
        base_url: base_url.into(),
        running,
        models,
        problem,
        start: preset.start.unwrap_or_default().replace("{model}", "MODEL"),
        constrained: preset.constrained.to_vec(),
    }
}

enum Probe {
    /// Nothing answered (refused, timed out): the server is not running.
    Down(String),
    /// Something answered, not as this server would.
    Unreadable(String),
}

async fn get_json(request: reqwest::RequestBuilder, url: &str) -> Result<Value, Probe> {
    let response = request.timeout(PROBE_TIMEOUT).send().await.map_err(|e| {
        Probe::Down(if e.is_timeout() {
            format!(
                "{url} did not answer within {} s",
                PROBE_TIMEOUT.as_secs_f32()
            )
        } else {
            format!("nothing answers at {url}")
        })
    })?;
    let status = response.status();
    if !status.is_success() {
        return Err(Probe::Unreadable(format!(
            "{url} answered HTTP {}",
            status.as_u16()
        )));
    }
    // A model list is small; anything huge is not one, and is not read past the limit.
    let (bytes, truncated) = crate::transport::read_capped(response, MAX_LIST_BYTES)
        .await
        .map_err(|_| Probe::Unreadable(format!("{url}: the answer was cut off")))?;
    if truncated {
        return Err(Probe::Unreadable(format!(
            "{url} answered more than {} MB, too much for a model list",
            MAX_LIST_BYTES / (1024 * 1024)
        )));
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| Probe::Unreadable(format!("{url} did not answer JSON ({e})")))
}

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

async fn ollama(http: &reqwest::Client, root: &str) -> Result<Vec<LocalModel>, Probe> {
    let url = format!("{root}/api/tags");
    let tags = get_json(http.get(&url), &url).await?;
    let listed = tags
        .get("models")
        .and_then(Value::as_array)
        .ok_or_else(|| Probe::Unreadable(format!("{url} has no `models` list: not Ollama?")))?;
    let mut models = Vec::new();
    for m in listed {
        let Some(id) = m.get("name").or_else(|| m.get("model")).and_then(text) else {
            continue;
        };
        let d = m.get("details").cloned().unwrap_or(Value::Null);
        let details = [
            d.get("parameter_size"),
            d.get("quantization_level"),
            d.get("family"),
        ]
        .into_iter()
        .flatten()
        .filter_map(text)
        .collect::<Vec<_>>()
        .join(", ");
        // Older Ollama has no capabilities: then nothing is claimed.
        let show_url = format!("{root}/api/show");
        let capabilities = get_json(http.post(&show_url).json(&json!({"model": id})), &show_url)
            .await
            .ok()
            .and_then(|s| s.get("capabilities").and_then(Value::as_array).cloned());
        let has = |c: &str| capabilities.as_ref().map(|cs| cs.iter().any(|x| x == c));
        models.push(LocalModel {
            tools: has("tools"),
            vision: has("vision"),
            details: (!details.is_empty()).then_some(details),
            id,
        });
    }
    Ok(models)
}

async fn llama_server(http: &reqwest::Client, root: &str) -> Result<Vec<LocalModel>, Probe> {
    let mut models = openai_models(http, root, false).await?;
    let url = format!("{root}/props");
    let tools = get_json(http.get(&url), &url).await.ok().and_then(|p| {
        p.pointer("/chat_template_caps/supports_tool_calls")
            .and_then(Value::as_bool)
    });
    for m in &mut models {
        m.tools = tools;
    }
    Ok(models)
}

/// `GET /v1/models`, as vLLM, LM Studio and llama-server answer it.
async fn openai_models(
    http: &reqwest::Client,
    root: &str,
    named_tools: bool,
) -> Result<Vec<LocalModel>, Probe> {
    let url = format!("{root}/v1/models");
    let list = get_json(http.get(&url), &url).await?;
    let data = list
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| Probe::Unreadable(format!("{url} has no `data` list of models")))?;
    Ok(data
        .iter()
        .filter_map(|m| {
            let id = m.get("id").and_then(text)?;
            let details = m
                .get("max_model_len")
                .and_then(Value::as_u64)
                .map(|n| format!("context {n} tokens"));
            Some(LocalModel {
                id,
                tools: named_tools.then_some(true),
                vision: None,
                details,
            })
        })
        .collect())
}
