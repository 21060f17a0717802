//! Presets of the OpenAI protocol: OpenAI-compatible services and local servers, each with its
//! base URL, key variable, accepted modes and quirks.

use crate::mode::Mode;
use crate::provider::registry::{Preset, Wire};

/// How the forced tool is requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolChoice {
    /// `{"type": "function", "function": {"name": …}}` (OpenAI).
    Named,
    /// `"any"` (Mistral: any tool, and there is only one).
    Any,
    /// `"auto"` (Writer rejects forced tools).
    Auto,
}

/// How `response_format` describes a JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonSchemaFormat {
    /// `{type: json_schema, json_schema: {name, schema}}` (OpenAI).
    Named,
    /// `{type: json_schema, json_schema: {name, schema, strict: true}}` with a closed root
    /// (OpenRouter structured outputs).
    NamedStrict,
    /// `{type: json_schema, json_schema: {schema}}` (Perplexity, Writer).
    SchemaOnly,
}

/// Where the endpoint lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `{base}/chat/completions`, `{base}/responses`.
    Standard,
    /// `{base}/openai/deployments/{model}/chat/completions?api-version=…`, `api-key` header.
    Azure,
}

/// What the JSON mode's `response_format` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonMode {
    /// `{type: json_object}`: valid JSON, any shape (OpenAI and most services).
    Object,
    /// `{type: json_object, schema}`: llama.cpp's server turns the schema into a grammar
    /// (tools/server/server-common.cpp, `oaicompat_chat_params_parse`). With a bare
    /// `json_object`, a small model answers with the schema itself instead of an object.
    ObjectWithSchema,
    /// The JSON Schema mode's `response_format`: Ollama drops a schema sent with
    /// `json_object` (openai/openai.go maps only `json_schema` to its `format`), vLLM
    /// constrains `json_schema` with guided decoding, LM Studio refuses `json_object`.
    SchemaFormat,
}

/// Which files a service takes beside text (see `OpenAi::attachments`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Files {
    /// Images only (by address or inline), as OpenAI-compatible servers take them.
    Images,
    /// Images, PDFs (`file` parts) and audio (`input_audio`): OpenAI itself.
    OpenAi,
    /// Images and PDFs (OpenRouter takes OpenAI's `file` part for every model, parsing the
    /// PDF itself for models that cannot read one).
    ImagesAndPdfs,
}

/// How an OpenAI-compatible service differs from OpenAI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quirks {
    pub tool_choice: ToolChoice,
    pub json_schema_format: JsonSchemaFormat,
    pub endpoint: Endpoint,
    pub json_mode: JsonMode,
    pub files: Files,
    /// llama-server: `/props` tells whether the chat template has tool calls.
    pub template_caps: bool,
}

impl Quirks {
    const OPENAI: Quirks = Quirks {
        tool_choice: ToolChoice::Named,
        json_schema_format: JsonSchemaFormat::Named,
        endpoint: Endpoint::Standard,
        json_mode: JsonMode::Object,
        files: Files::Images,
        template_caps: false,
    };
}

use Mode::*;

const OPENAI_MODES: &[Mode] = &[
    Tools,
    ToolsStrict,
    ParallelTools,
    Json,
    JsonO1,
    JsonSchema,
    MdJson,
    Functions,
    ResponsesTools,
    ResponsesToolsWithInbuiltTools,
];
const CHAT_MODES: &[Mode] = &[
    Tools,
    ToolsStrict,
    ParallelTools,
    Json,
    JsonO1,
    JsonSchema,
    MdJson,
    Functions,
];
const COMPAT_MODES: &[Mode] = &[Tools, ParallelTools, Json, JsonSchema, MdJson];
const NO_SCHEMA_FORMAT_MODES: &[Mode] = &[Tools, ParallelTools, Json, MdJson];

const fn preset(name: &'static str, base_url: &'static str, key_env: &'static str) -> Preset {
    Preset {
        name,
        base_url,
        base_url_env: None,
        key_env,
        alt_key_env: None,
        key_required: true,
        default_mode: Tools,
        modes: COMPAT_MODES,
        wire: Wire::OpenAi(Quirks::OPENAI),
        start: None,
        constrained: &[],
    }
}

/// A local server: no key needed, JSON modes sent in the form the server constrains
/// generation with (`constrained` lists the modes it does).
const fn local(
    name: &'static str,
    base_url: &'static str,
    key_env: &'static str,
    start: &'static str,
    quirks: Quirks,
    constrained: &'static [Mode],
) -> Preset {
    Preset {
        start: Some(start),
        key_required: false,
        // Local servers constrain output with a grammar built from `response_format`, which
        // small models need far more than tool calling.
        default_mode: JsonSchema,
        constrained,
        wire: Wire::OpenAi(quirks),
        ..preset(name, base_url, key_env)
    }
}

const fn json_mode(json_mode: JsonMode) -> Quirks {
    Quirks {
        json_mode,
        ..Quirks::OPENAI
    }
}

pub static PRESETS: &[Preset] = &[
    Preset {
        modes: OPENAI_MODES,
        wire: Wire::OpenAi(Quirks {
            files: Files::OpenAi,
            ..Quirks::OPENAI
        }),
        ..preset("openai", "https://api.openai.com/v1", "OPENAI_API_KEY")
    },
    Preset {
        base_url_env: Some(("AZURE_OPENAI_ENDPOINT", "")),
        modes: CHAT_MODES,
        wire: Wire::OpenAi(Quirks {
            endpoint: Endpoint::Azure,
            ..Quirks::OPENAI
        }),
        ..preset("azure_openai", "", "AZURE_OPENAI_API_KEY")
    },
    Preset {
        modes: NO_SCHEMA_FORMAT_MODES,
        ..preset("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY")
    },
    Preset {
        modes: NO_SCHEMA_FORMAT_MODES,
        ..preset("cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY")
    },
    Preset {
        modes: NO_SCHEMA_FORMAT_MODES,
        ..preset(
            "fireworks",
            "https://api.fireworks.ai/inference/v1",
            "FIREWORKS_API_KEY",
        )
    },
    preset(
        "together",
        "https://api.together.xyz/v1",
        "TOGETHER_API_KEY",
    ),
    Preset {
        modes: NO_SCHEMA_FORMAT_MODES,
        ..preset(
            "deepseek",
            "https://api.deepseek.com/v1",
            "DEEPSEEK_API_KEY",
        )
    },
    Preset {
        wire: Wire::OpenAi(Quirks {
            json_schema_format: JsonSchemaFormat::NamedStrict,
            files: Files::ImagesAndPdfs,
            ..Quirks::OPENAI
        }),
        ..preset(
            "openrouter",
            "https://openrouter.ai/api/v1",
            "OPENROUTER_API_KEY",
        )
    },
    preset("xai", "https://api.x.ai/v1", "XAI_API_KEY"),
    Preset {
        default_mode: JsonSchema,
        modes: &[JsonSchema, MdJson],
        wire: Wire::OpenAi(Quirks {
            json_schema_format: JsonSchemaFormat::SchemaOnly,
            ..Quirks::OPENAI
        }),
        ..preset(
            "perplexity",
            "https://api.perplexity.ai",
            "PERPLEXITY_API_KEY",
        )
    },
    Preset {
        modes: &[Tools, JsonSchema, MdJson],
        wire: Wire::OpenAi(Quirks {
            tool_choice: ToolChoice::Auto,
            json_schema_format: JsonSchemaFormat::SchemaOnly,
            ..Quirks::OPENAI
        }),
        ..preset("writer", "https://api.writer.com/v1", "WRITER_API_KEY")
    },
    Preset {
        base_url_env: Some(("DATABRICKS_HOST", "/serving-endpoints")),
        ..preset("databricks", "", "DATABRICKS_TOKEN")
    },
    Preset {
        default_mode: JsonSchema,
        ..preset(
            "anyscale",
            "https://api.endpoints.anyscale.com/v1",
            "ANYSCALE_API_KEY",
        )
    },
    Preset {
        wire: Wire::OpenAi(Quirks {
            tool_choice: ToolChoice::Any,
            ..Quirks::OPENAI
        }),
        ..preset("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY")
    },
    local(
        "ollama",
        "http://localhost:11434/v1",
        "OLLAMA_API_KEY",
        "`ollama serve`, then `ollama pull {model}`",
        json_mode(JsonMode::SchemaFormat),
        &[Json, JsonSchema],
    ),
    local(
        "llamacpp",
        "http://localhost:8080/v1",
        "LLAMACPP_API_KEY",
        "`llama-server -m MODEL_FILE.gguf --jinja`",
        Quirks {
            template_caps: true,
            ..json_mode(JsonMode::ObjectWithSchema)
        },
        &[Json, JsonSchema],
    ),
    local(
        "vllm",
        "http://localhost:8000/v1",
        "VLLM_API_KEY",
        "`vllm serve {model}`",
        json_mode(JsonMode::SchemaFormat),
        // A named tool_choice is decoded under the tool's parameters schema as well.
        &[Tools, Json, JsonSchema],
    ),
    local(
        "lmstudio",
        "http://localhost:1234/v1",
        "LMSTUDIO_API_KEY",
        "LM Studio's Developer tab (or `lms server start`), with {model} loaded",
        json_mode(JsonMode::SchemaFormat),
        &[Json, JsonSchema],
    ),
    Preset {
        key_required: false,
        modes: CHAT_MODES,
        start: Some("`litellm --model {model}`, or `litellm --config FILE`"),
        ..preset("litellm", "http://localhost:4000/v1", "LITELLM_API_KEY")
    },
];

/// The Azure api-version used when `AZURE_OPENAI_API_VERSION` is unset (a GA version).
pub const AZURE_DEFAULT_API_VERSION: &str = "2024-10-21";
