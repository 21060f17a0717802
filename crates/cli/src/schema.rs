//! `quarry schema …`: tools for designing a schema. `infer` reads sample JSON documents and
//! prints the schema they fit (see `quarry_design::infer`).

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::Value;

use crate::report::Failure;

#[derive(Subcommand)]
pub enum SchemaCommand {
    /// Print a JSON Schema (draft 2020-12) that sample JSON documents fit: types, nesting,
    /// arrays, fields present in every sample required, formats (date, date-time, email, uri,
    /// uuid) where every value has one. A file holds one document, or one per line (JSON
    /// Lines).
    Infer {
        /// Sample documents; `-` reads standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

pub fn run(cmd: SchemaCommand) -> i32 {
    let result = match cmd {
        SchemaCommand::Infer { files } => infer(&files),
    };
    match result {
        Ok(schema) => {
            crate::out(serde_json::to_string_pretty(&schema).unwrap_or_default());
            0
        }
        Err(f) => {
            eprint!("{}", f.render());
            f.exit_code()
        }
    }
}

fn infer(files: &[PathBuf]) -> Result<Value, Failure> {
    let mut samples = Vec::new();
    for path in files {
        let text = if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text).map_err(
                |e| {
                    Failure::input(
                        format!("cannot read standard input: {e}"),
                        "pipe JSON text in",
                    )
                },
            )?;
            text
        } else {
            crate::input::read_text(path, "sample")?
        };
        let name = if path.as_os_str() == "-" {
            "standard input".to_string()
        } else {
            path.display().to_string()
        };
        samples.extend(documents(&text, &name)?);
    }
    quarry_design::infer::infer(&samples)
        .map_err(|e| Failure::input(e.to_string(), "give one or more files of JSON documents"))
}

/// One JSON document, or JSON Lines (blank lines skipped). A file that is neither is reported
/// where the single-document reading failed, unless it looks like JSON Lines (its first line
/// is a document), where the first bad line is named.
fn documents(text: &str, name: &str) -> Result<Vec<Value>, Failure> {
    let whole = match serde_json::from_str::<Value>(text) {
        Ok(v) => return Ok(vec![v]),
        Err(e) => e,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .peekable();
    let first_is_document = lines
        .peek()
        .is_some_and(|(_, l)| serde_json::from_str::<Value>(l).is_ok());
    if !first_is_document {
        return Err(Failure::input(
            format!("sample `{name}` is not JSON: {whole}"),
            "give a JSON document, or one document per line",
        ));
    }
    lines
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| {
                Failure::input(
                    format!("sample `{name}` line {}: not a JSON document: {e}", i + 1),
                    "give one whole JSON document per line (JSON Lines)",
                )
            })
        })
        .collect()
}
