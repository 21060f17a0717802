//! Instructor's modes. A [`Mode`] is *how* the schema is sent and the answer read; instructor
//! also has provider-prefixed names (`ANTHROPIC_TOOLS`, `MISTRAL_STRUCTURED_OUTPUTS`, …) that
//! are the same generic modes tied to one provider family. [`ModeName::parse`] accepts every
//! instructor name (upper or lower case) and its wire value (`tool_call`, `json_mode`, …).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One forced function tool; JSON read from the tool call's arguments.
    Tools,
    /// As `Tools`, with `strict: true` and a strict-normalized schema.
    ToolsStrict,
    /// One tool per union member, `tool_choice: auto`; the result is a list.
    ParallelTools,
    /// `response_format: json_object` plus the schema in a system instruction.
    Json,
    /// For reasoning models without system messages: the schema in a user message.
    JsonO1,
    /// `response_format: json_schema` (structured outputs).
    JsonSchema,
    /// The schema in the system instruction and a ```json block asked for; JSON read from text.
    MdJson,
    /// Legacy `functions` + `function_call`.
    Functions,
    /// The OpenAI Responses API with a forced function tool.
    ResponsesTools,
    /// The Responses API: the extraction tool beside the caller's built-in tools.
    ResponsesToolsWithInbuiltTools,
    /// Anthropic tools with extended thinking (tool choice left to the model).
    ReasoningTools,
}

impl Mode {
    pub const ALL: [Mode; 11] = [
        Mode::Tools,
        Mode::ToolsStrict,
        Mode::ParallelTools,
        Mode::Json,
        Mode::JsonO1,
        Mode::JsonSchema,
        Mode::MdJson,
        Mode::Functions,
        Mode::ResponsesTools,
        Mode::ResponsesToolsWithInbuiltTools,
        Mode::ReasoningTools,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Tools => "tools",
            Mode::ToolsStrict => "tools_strict",
            Mode::ParallelTools => "parallel_tools",
            Mode::Json => "json",
            Mode::JsonO1 => "json_o1",
            Mode::JsonSchema => "json_schema",
            Mode::MdJson => "md_json",
            Mode::Functions => "functions",
            Mode::ResponsesTools => "responses_tools",
            Mode::ResponsesToolsWithInbuiltTools => "responses_tools_with_inbuilt_tools",
            Mode::ReasoningTools => "reasoning_tools",
        }
    }

    /// Modes whose answer arrives as a function/tool call rather than as text.
    pub fn is_tool_mode(self) -> bool {
        matches!(
            self,
            Mode::Tools
                | Mode::ToolsStrict
                | Mode::ParallelTools
                | Mode::Functions
                | Mode::ResponsesTools
                | Mode::ResponsesToolsWithInbuiltTools
                | Mode::ReasoningTools
        )
    }

    /// Modes served by OpenAI's Responses API instead of Chat Completions.
    pub fn is_responses_api(self) -> bool {
        matches!(
            self,
            Mode::ResponsesTools | Mode::ResponsesToolsWithInbuiltTools
        )
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The provider family a provider-prefixed instructor mode name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Anthropic,
    Mistral,
    VertexAi,
    Gemini,
    GenAi,
    Cohere,
    Cerebras,
    Fireworks,
    Writer,
    Bedrock,
    Perplexity,
    OpenRouter,
    Xai,
}

impl Family {
    /// The provider (preset) name this family's modes are meant for.
    pub fn provider(self) -> &'static str {
        match self {
            Family::Anthropic => "anthropic",
            Family::Mistral => "mistral",
            Family::VertexAi => "vertexai",
            Family::Gemini => "gemini",
            // The google-genai SDK's names: the same Gemini API.
            Family::GenAi => "gemini",
            Family::Cohere => "cohere",
            Family::Cerebras => "cerebras",
            Family::Fireworks => "fireworks",
            Family::Writer => "writer",
            Family::Bedrock => "bedrock",
            Family::Perplexity => "perplexity",
            Family::OpenRouter => "openrouter",
            Family::Xai => "xai",
        }
    }
}

/// A parsed mode name: the generic mode and, for provider-prefixed names, the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeName {
    pub mode: Mode,
    pub family: Option<Family>,
    /// Instructor's enum member name (`ANTHROPIC_TOOLS`).
    pub instructor_name: &'static str,
}

/// (instructor name, instructor wire value, generic mode, family)
const NAMES: &[(&str, &str, Mode, Option<Family>)] = &[
    ("FUNCTIONS", "function_call", Mode::Functions, None),
    (
        "PARALLEL_TOOLS",
        "parallel_tool_call",
        Mode::ParallelTools,
        None,
    ),
    ("TOOLS", "tool_call", Mode::Tools, None),
    ("TOOLS_STRICT", "tools_strict", Mode::ToolsStrict, None),
    ("JSON", "json_mode", Mode::Json, None),
    ("JSON_O1", "json_o1", Mode::JsonO1, None),
    ("MD_JSON", "markdown_json_mode", Mode::MdJson, None),
    ("JSON_SCHEMA", "json_schema_mode", Mode::JsonSchema, None),
    (
        "RESPONSES_TOOLS",
        "responses_tools",
        Mode::ResponsesTools,
        None,
    ),
    (
        "RESPONSES_TOOLS_WITH_INBUILT_TOOLS",
        "responses_tools_with_inbuilt_tools",
        Mode::ResponsesToolsWithInbuiltTools,
        None,
    ),
    ("XAI_JSON", "xai_json", Mode::Json, Some(Family::Xai)),
    ("XAI_TOOLS", "xai_tools", Mode::Tools, Some(Family::Xai)),
    (
        "ANTHROPIC_TOOLS",
        "anthropic_tools",
        Mode::Tools,
        Some(Family::Anthropic),
    ),
    (
        "ANTHROPIC_REASONING_TOOLS",
        "anthropic_reasoning_tools",
        Mode::ReasoningTools,
        Some(Family::Anthropic),
    ),
    (
        "ANTHROPIC_JSON",
        "anthropic_json",
        Mode::Json,
        Some(Family::Anthropic),
    ),
    (
        "ANTHROPIC_PARALLEL_TOOLS",
        "anthropic_parallel_tools",
        Mode::ParallelTools,
        Some(Family::Anthropic),
    ),
    (
        "MISTRAL_TOOLS",
        "mistral_tools",
        Mode::Tools,
        Some(Family::Mistral),
    ),
    (
        "MISTRAL_STRUCTURED_OUTPUTS",
        "mistral_structured_outputs",
        Mode::JsonSchema,
        Some(Family::Mistral),
    ),
    (
        "VERTEXAI_TOOLS",
        "vertexai_tools",
        Mode::Tools,
        Some(Family::VertexAi),
    ),
    (
        "VERTEXAI_JSON",
        "vertexai_json",
        Mode::Json,
        Some(Family::VertexAi),
    ),
    (
        "VERTEXAI_PARALLEL_TOOLS",
        "vertexai_parallel_tools",
        Mode::ParallelTools,
        Some(Family::VertexAi),
    ),
    (
        "GEMINI_JSON",
        "gemini_json",
        Mode::Json,
        Some(Family::Gemini),
    ),
    (
        "GEMINI_TOOLS",
        "gemini_tools",
        Mode::Tools,
        Some(Family::Gemini),
    ),
    (
        "GENAI_TOOLS",
        "genai_tools",
        Mode::Tools,
        Some(Family::GenAi),
    ),
    (
        "GENAI_STRUCTURED_OUTPUTS",
        "genai_structured_outputs",
        Mode::JsonSchema,
        Some(Family::GenAi),
    ),
    (
        "COHERE_TOOLS",
        "cohere_tools",
        Mode::Tools,
        Some(Family::Cohere),
    ),
    (
        "COHERE_JSON_SCHEMA",
        "json_object",
        Mode::JsonSchema,
        Some(Family::Cohere),
    ),
    (
        "CEREBRAS_TOOLS",
        "cerebras_tools",
        Mode::Tools,
        Some(Family::Cerebras),
    ),
    (
        "CEREBRAS_JSON",
        "cerebras_json",
        Mode::Json,
        Some(Family::Cerebras),
    ),
    (
        "FIREWORKS_TOOLS",
        "fireworks_tools",
        Mode::Tools,
        Some(Family::Fireworks),
    ),
    (
        "FIREWORKS_JSON",
        "fireworks_json",
        Mode::Json,
        Some(Family::Fireworks),
    ),
    (
        "WRITER_TOOLS",
        "writer_tools",
        Mode::Tools,
        Some(Family::Writer),
    ),
    (
        "WRITER_JSON",
        "writer_json",
        Mode::JsonSchema,
        Some(Family::Writer),
    ),
    (
        "BEDROCK_TOOLS",
        "bedrock_tools",
        Mode::Tools,
        Some(Family::Bedrock),
    ),
    (
        "BEDROCK_JSON",
        "bedrock_json",
        Mode::Json,
        Some(Family::Bedrock),
    ),
    (
        "PERPLEXITY_JSON",
        "perplexity_json",
        Mode::JsonSchema,
        Some(Family::Perplexity),
    ),
    (
        "OPENROUTER_STRUCTURED_OUTPUTS",
        "openrouter_structured_outputs",
        Mode::JsonSchema,
        Some(Family::OpenRouter),
    ),
];

impl ModeName {
    /// Parses `tools`, `TOOLS`, `md-json`, `ANTHROPIC_TOOLS`, `tool_call`, … .
    pub fn parse(input: &str) -> Result<ModeName, Error> {
        let upper = input.trim().to_ascii_uppercase().replace('-', "_");
        let lower = upper.to_ascii_lowercase();
        NAMES
            .iter()
            .find(|(name, value, _, _)| *name == upper || *value == lower)
            .map(|&(instructor_name, _, mode, family)| ModeName {
                mode,
                family,
                instructor_name,
            })
            .or_else(|| {
                // Quarry's own lower-case names (`reasoning_tools`) for modes whose only
                // instructor name is provider-prefixed.
                Mode::ALL
                    .into_iter()
                    .find(|m| m.as_str() == lower)
                    .map(|mode| ModeName {
                        mode,
                        family: None,
                        instructor_name: "",
                    })
            })
            .ok_or_else(|| Error::UnknownMode {
                name: input.to_string(),
            })
    }

    /// Every instructor mode name with its generic mode and family, for tables and docs.
    pub fn all() -> impl Iterator<Item = ModeName> {
        NAMES
            .iter()
            .map(|&(instructor_name, _, mode, family)| ModeName {
                mode,
                family,
                instructor_name,
            })
    }
}

impl std::str::FromStr for ModeName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        ModeName::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        for s in ["tools", "TOOLS", "tool_call", " Tools "] {
            assert_eq!(ModeName::parse(s).unwrap().mode, Mode::Tools, "{s}");
        }
        assert_eq!(ModeName::parse("md-json").unwrap().mode, Mode::MdJson);
        assert_eq!(
            ModeName::parse("markdown_json_mode").unwrap().mode,
            Mode::MdJson
        );
        let m = ModeName::parse("MISTRAL_STRUCTURED_OUTPUTS").unwrap();
        assert_eq!(
            (m.mode, m.family),
            (Mode::JsonSchema, Some(Family::Mistral))
        );
        assert!(matches!(
            ModeName::parse("yamlish"),
            Err(Error::UnknownMode { .. })
        ));
    }

    #[test]
    fn every_generic_mode_has_a_name_that_round_trips() {
        for mode in Mode::ALL {
            assert_eq!(ModeName::parse(mode.as_str()).unwrap().mode, mode);
        }
    }
}
