//! The provider registry: every preset of every wire protocol, by name. `provider/model`
//! strings choose one; the CLI's tables, `quarry keys`, the workbench's provider picker and
//! [`crate::Client`] read this list and nothing else.

use crate::error::Error;
use crate::mode::Mode;
use crate::provider::Protocol;
use crate::provider::anthropic::{self, Anthropic};
use crate::provider::bedrock::{self, Bedrock};
use crate::provider::cohere::{self, Cohere};
use crate::provider::gemini::{self, Gemini};
use crate::provider::openai::{self, OpenAi};

/// Which wire protocol a preset speaks (with the OpenAI-compatible services' quirks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    OpenAi(openai::presets::Quirks),
    Anthropic,
    Gemini,
    /// The Gemini body on Vertex AI, with OAuth credentials.
    Vertex,
    Cohere,
    Bedrock,
}

impl Wire {
    pub fn name(self) -> &'static str {
        match self {
            Wire::OpenAi(_) => "openai",
            Wire::Anthropic => "anthropic",
            Wire::Gemini => "gemini",
            Wire::Vertex => "vertexai",
            Wire::Cohere => "cohere",
            Wire::Bedrock => "bedrock",
        }
    }
}

/// One provider as people name it: where it lives, how it is reached, what it accepts.
#[derive(Debug)]
pub struct Preset {
    pub name: &'static str,
    pub wire: Wire,
    /// The default base URL (the service root as the provider's SDK takes it); empty when it
    /// must come from `base_url_env` or `--base-url`.
    pub base_url: &'static str,
    /// A variable holding the base URL (resource-specific services), with a suffix appended.
    pub base_url_env: Option<(&'static str, &'static str)>,
    /// The variable holding the key (the keychain entry is named after the preset).
    pub key_env: &'static str,
    /// Another variable read when `key_env` is unset (`GOOGLE_API_KEY` for Gemini).
    pub alt_key_env: Option<&'static str>,
    /// Local servers usually run without a key: send none when the variable is unset.
    pub key_required: bool,
    pub default_mode: Mode,
    pub modes: &'static [Mode],
    /// For local servers: how to start one serving `{model}`, for the error when none answers.
    pub start: Option<&'static str>,
    /// Local servers: the modes in which the server constrains generation to the schema
    /// (a grammar or guided decoding), so even a small model answers a valid object.
    pub constrained: &'static [Mode],
}

impl Preset {
    /// The variables a key is read from, in order.
    pub fn key_envs(&self) -> Vec<&'static str> {
        std::iter::once(self.key_env)
            .chain(self.alt_key_env)
            .collect()
    }
}

/// Every preset, OpenAI's family first.
pub fn all() -> impl Iterator<Item = &'static Preset> {
    openai::presets::PRESETS
        .iter()
        .chain(anthropic::PRESETS)
        .chain(gemini::PRESETS)
        .chain(cohere::PRESETS)
        .chain(bedrock::PRESETS)
}

/// The preset called `name` (or one of its aliases).
pub fn find(name: &str) -> Option<&'static Preset> {
    let name = name.replace('-', "_");
    let alias = match name.as_str() {
        "azure" => "azure_openai",
        "llama_cpp" | "llama.cpp" => "llamacpp",
        "grok" => "xai",
        "claude" => "anthropic",
        "google" | "genai" | "google_genai" => "gemini",
        "vertex" | "vertex_ai" | "google_vertex" => "vertexai",
        "aws" | "aws_bedrock" | "amazon_bedrock" => "bedrock",
        other => other,
    };
    all().find(|p| p.name == alias)
}

pub fn names() -> Vec<&'static str> {
    all().map(|p| p.name).collect()
}

/// One preset of each wire protocol, in registry order (for per-protocol tables and tests).
pub fn one_per_wire() -> Vec<&'static Preset> {
    let mut out: Vec<&'static Preset> = Vec::new();
    for p in all() {
        if !out.iter().any(|seen| seen.wire.name() == p.wire.name()) {
            out.push(p);
        }
    }
    out
}

/// The presets that take `kind` of file in their default mode (for the error that tells a
/// user where a file can go).
pub fn takers(kind: crate::attachment::Kind) -> Vec<&'static str> {
    all()
        .filter(|p| {
            protocol(p, "http://127.0.0.1".into())
                .is_ok_and(|proto| proto.attachments(p.default_mode).get(kind).is_some())
        })
        .map(|p| p.name)
        .collect()
}

/// What `mode` sends and where its answer is read, in `wire` (`None`: the protocol has no
/// such mode).
pub fn describe(wire: Wire, mode: Mode) -> Option<(&'static str, &'static str)> {
    match wire {
        Wire::OpenAi(_) => openai::describe(mode),
        Wire::Anthropic => anthropic::describe(mode),
        Wire::Gemini | Wire::Vertex => gemini::describe(mode),
        Wire::Cohere => cohere::describe(mode),
        Wire::Bedrock => bedrock::describe(mode),
    }
}

/// The protocol that serves `preset` at `base_url` (fails when its settings are missing: a
/// Vertex AI project).
pub fn protocol(preset: &'static Preset, base_url: String) -> Result<Box<dyn Protocol>, Error> {
    Ok(match preset.wire {
        Wire::OpenAi(quirks) => Box::new(OpenAi::new(
            preset,
            quirks,
            base_url,
            std::env::var("AZURE_OPENAI_API_VERSION").ok(),
        )),
        Wire::Anthropic => Box::new(Anthropic::new(preset, base_url)),
        Wire::Gemini => Box::new(Gemini::new(preset, base_url)),
        Wire::Vertex => Box::new(Gemini::vertex(preset, base_url)?),
        Wire::Cohere => Box::new(Cohere::new(preset, base_url)),
        Wire::Bedrock => Box::new(Bedrock::new(preset, base_url)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_accepts_its_default_mode_and_names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for p in all() {
            assert!(p.modes.contains(&p.default_mode), "{}", p.name);
            assert!(seen.insert(p.name), "{} twice", p.name);
        }
    }

    #[test]
    fn every_instructor_mode_name_has_its_provider_and_mode() {
        for name in crate::mode::ModeName::all() {
            if let Some(family) = name.family {
                let preset = find(family.provider())
                    .unwrap_or_else(|| panic!("{} has no provider", name.instructor_name));
                assert!(
                    preset.modes.contains(&name.mode),
                    "{} is {} on {}, which lacks it",
                    name.instructor_name,
                    name.mode,
                    preset.name
                );
            }
        }
    }

    #[test]
    fn aliases() {
        assert_eq!(find("azure").unwrap().name, "azure_openai");
        assert_eq!(find("llama-cpp").unwrap().name, "llamacpp");
        assert_eq!(find("claude").unwrap().wire, Wire::Anthropic);
        assert!(find("nonesuch").is_none());
    }
}
