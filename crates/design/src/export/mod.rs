//! The spec — schema, messages, variables, provider, mode, retries, sampling — as a program
//! that does the same run: Python with instructor ([`python`]), or Rust with `quarry-engine`
//! ([`rust`]). (curl is the request preview's: `quarry_engine::preview`.) Each program, run as
//! it is with the key in the environment variable the spec names, prints the validated object
//! as JSON on stdout.

mod python;
mod rust;

use quarry_engine::{ExtractRequest, Part, Role};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Python,
    Rust,
}

/// A program, and the name to save it under.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Program {
    pub language: Language,
    pub file_name: String,
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the schema cannot be exported: {0}")]
    Schema(String),
    #[error("{0}")]
    Unsupported(String),
}

impl ExportError {
    pub fn code(&self) -> &'static str {
        match self {
            ExportError::Schema(_) => "export_schema",
            ExportError::Unsupported(_) => "export_unsupported",
        }
    }

    pub fn hint(&self) -> &'static str {
        match self {
            ExportError::Schema(_) => "correct the schema; a run would refuse it too",
            ExportError::Unsupported(_) => {
                "export the request as curl, which carries everything Quarry sends"
            }
        }
    }
}

/// `req` (with its mode resolved: `mode` is what a run would use) and the schema as a program.
pub fn program(
    language: Language,
    req: &ExtractRequest,
    schema_text: &str,
    mode: &str,
) -> Result<Program, ExportError> {
    let (file_name, code) = match language {
        Language::Python => ("extract.py", python::program(req, schema_text, mode)?),
        Language::Rust => ("main.rs", rust::program(req, schema_text, mode)?),
    };
    Ok(Program {
        language,
        file_name: file_name.into(),
        code,
    })
}

/// The spec's messages as (role, text) pairs, for a program that sends text only: a tool
/// message, or an attached file, is refused with `files` saying what the program would need.
fn text_messages(
    req: &ExtractRequest,
    files: &str,
) -> Result<Vec<(&'static str, String)>, ExportError> {
    req.messages
        .iter()
        .map(|m| {
            let role = match m.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
                Role::Tool => {
                    return Err(ExportError::Unsupported(
                        "a tool message (a conversation with tool results) is not exported".into(),
                    ));
                }
            };
            let mut text = String::new();
            for part in &m.content {
                match part {
                    Part::Text { text: t } => text.push_str(t),
                    _ => {
                        return Err(ExportError::Unsupported(format!(
                            "attached files (images, PDFs, audio) are not exported to {files}"
                        )));
                    }
                }
            }
            Ok((role, text))
        })
        .collect()
}
