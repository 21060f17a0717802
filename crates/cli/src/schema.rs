//! `quarry schema …`: tools for designing a schema. `infer` reads sample JSON documents and
//! prints the schema they fit (see `quarry_design::infer`).

use std::path::PathBuf;

use clap::Subcommand;
use quarry_design::infer::InferError;
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

fn failure(e: InferError) -> Failure {
    Failure::input(e.to_string(), e.hint())
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
        samples.extend(quarry_design::infer::documents(&text, &name).map_err(failure)?);
    }
    quarry_design::infer::infer(&samples).map_err(failure)
}
