//! `quarry schema …`: tools for designing a schema. `infer` reads sample JSON documents and
//! prints the schema they fit (see `quarry_design::infer`); `lint` says what a provider and
//! mode will refuse, ignore or change in a schema (see `quarry_design::lint`).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use quarry_design::infer::InferError;
use quarry_design::lint::{self, Severity};
use quarry_engine::ExtractRequest;
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
    /// Print a schema from elsewhere as JSON Schema draft 2020-12: a JSON Schema of an older
    /// draft (04, 06, 07), Pydantic's model_json_schema() output, or one schema of an OpenAPI
    /// document (3.1, 3.0, Swagger 2.0) with the schemas it refers to. JSON or YAML. What was
    /// changed goes to stderr.
    Import {
        /// The schema of an OpenAPI document to import (needed when it has several).
        #[arg(long, value_name = "NAME")]
        component: Option<String>,
        /// The file; `-` reads standard input.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Design a schema from a plain-English description with a provider's model, through
    /// Quarry's engine: the model's answer is validated (and re-asked) like any run, and the
    /// printed schema is checked. Needs the provider's key, as `quarry extract` does.
    Generate {
        /// PROVIDER/MODEL, e.g. openai/gpt-4o-mini.
        #[arg(long, value_name = "PROVIDER/MODEL")]
        provider: String,
        #[arg(long, value_name = "MODE")]
        mode: Option<String>,
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Reads the API key from this environment variable instead of the provider's.
        #[arg(long, value_name = "NAME")]
        api_key_env: Option<String>,
        /// Re-asks after the first attempt when the answer does not validate.
        #[arg(long, default_value_t = 2, value_name = "N")]
        max_retries: u32,
        /// What the schema should hold, e.g. "an invoice: number, date, lines with amounts".
        #[arg(value_name = "DESCRIPTION")]
        description: String,
    },
    /// Check a schema against what a provider and mode accept: each finding with its place (a
    /// JSON Pointer), the provider's rule and its source, and a fix where one exists. Exits 0
    /// when nothing needs acting on, 1 with errors or warnings, 2 on bad input.
    Lint {
        /// PROVIDER/MODEL, e.g. openai/gpt-4o-mini (the rules depend on the provider and mode).
        #[arg(long, value_name = "PROVIDER/MODEL")]
        provider: String,
        /// The mode (the provider's default when absent); see `quarry modes`.
        #[arg(long, value_name = "MODE")]
        mode: Option<String>,
        /// The provider's base URL, when it comes from the environment (Azure, Databricks).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
        /// Print the findings, and the schema exactly as it would be sent, as JSON.
        #[arg(long)]
        json: bool,
        /// Apply every fix and print the fixed schema on stdout; what is left goes to stderr.
        #[arg(long, conflicts_with = "json")]
        fix: bool,
        /// The JSON Schema file; `-` reads standard input.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

pub fn run(cmd: SchemaCommand) -> i32 {
    let result = match cmd {
        SchemaCommand::Infer { files } => infer(&files),
        SchemaCommand::Import { component, file } => import(&file, component.as_deref()),
        SchemaCommand::Generate {
            provider,
            mode,
            base_url,
            api_key_env,
            max_retries,
            description,
        } => {
            let mut draft = ExtractRequest::new(&provider).max_retries(max_retries);
            draft.mode = mode;
            draft.base_url = base_url;
            draft.api_key_env = api_key_env;
            generate(&draft, &description)
        }
        SchemaCommand::Lint {
            provider,
            mode,
            base_url,
            json,
            fix,
            file,
        } => {
            let mut draft = ExtractRequest::new(&provider);
            draft.mode = mode;
            draft.base_url = base_url;
            return finish(lint(&draft, &file, json, fix));
        }
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

fn finish(result: Result<i32, Failure>) -> i32 {
    result.unwrap_or_else(|f| {
        eprint!("{}", f.render());
        f.exit_code()
    })
}

fn read(path: &Path, what: &str) -> Result<String, Failure> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text).map_err(|e| {
            Failure::input(
                format!("cannot read standard input: {e}"),
                "pipe JSON text in",
            )
        })?;
        Ok(text)
    } else {
        crate::input::read_text(path, what)
    }
}

fn generate(draft: &ExtractRequest, description: &str) -> Result<Value, Failure> {
    if draft.model.is_empty() {
        return Err(Failure::input(
            format!("--provider `{}` has no model", draft.provider),
            "write PROVIDER/MODEL, for example openai/gpt-4o-mini",
        ));
    }
    let client = quarry_engine::Client::new();
    let generated = crate::runtime()?
        .block_on(quarry_design::generate::generate(
            &client,
            draft,
            description,
        ))
        .map_err(Failure::from)?;
    crate::term::eprintln(format!(
        "quarry: designed by {}/{} in {} attempt{}",
        draft.provider,
        draft.model,
        generated.attempts,
        if generated.attempts == 1 { "" } else { "s" }
    ));
    for note in &generated.notes {
        crate::term::eprintln(format!("quarry: note: {note}"));
    }
    Ok(generated.schema)
}

fn import(file: &Path, component: Option<&str>) -> Result<Value, Failure> {
    let text = read(file, "schema")?;
    let imported = quarry_design::import::import(&text, component).map_err(|e| {
        let hint = match e.code() {
            "import_which_component" | "import_no_component" => {
                format!("{} with --component NAME", e.hint())
            }
            _ => e.hint(),
        };
        Failure::input(format!("`{}`: {e}", file.display()), hint)
    })?;
    crate::term::eprintln(format!("quarry: read as {}", imported.source));
    for note in &imported.notes {
        crate::term::eprintln(format!("quarry: note: {note}"));
    }
    Ok(imported.schema)
}

fn lint(draft: &ExtractRequest, file: &Path, json: bool, fix: bool) -> Result<i32, Failure> {
    if draft.model.is_empty() {
        return Err(Failure::input(
            format!("--provider `{}` has no model", draft.provider),
            "write PROVIDER/MODEL, for example openai/gpt-4o-mini",
        ));
    }
    let text = read(file, "schema")?;
    let client = quarry_engine::Client::new();
    let runtime = crate::runtime()?;
    let checked = runtime
        .block_on(lint::target::lint_for(&client, draft, &text))
        .map_err(|e| Failure::Engine {
            error: Box::new(e),
            at: Some(file.display().to_string()),
        })?;
    if json {
        crate::out(serde_json::to_string_pretty(&checked).unwrap_or_default());
        return Ok(i32::from(checked.has_problems()));
    }
    if fix {
        let schema: Value = serde_json::from_str(&text).unwrap_or_default();
        let (fixed, applied) = lint::fix_all(&schema, checked.ruleset, &checked.mode);
        let left = lint::target::SchemaLint {
            findings: lint::lint(&fixed, checked.ruleset, &checked.mode),
            ..checked
        };
        crate::out(serde_json::to_string_pretty(&fixed).unwrap_or_default());
        crate::term::eprintln(format!(
            "quarry: {applied} fix{} applied",
            if applied == 1 { "" } else { "es" }
        ));
        if !left.findings.is_empty() {
            crate::term::eprintln(report(&left).trim_end());
        }
        return Ok(i32::from(left.has_problems()));
    }
    crate::out(report(&checked).trim_end());
    Ok(i32::from(checked.has_problems()))
}

/// The findings as a person reads them: a heading, then one block per finding.
fn report(checked: &lint::target::SchemaLint) -> String {
    let mut out = format!(
        "{} in the {} mode: {}\n",
        checked.provider, checked.mode, checked.about
    );
    if let Some(why) = &checked.unsendable {
        out += &format!("cannot be sent: {why}\n");
    }
    for f in &checked.findings {
        let severity = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        let at = if f.at.is_empty() { "(root)" } else { &f.at };
        out += &format!("\n{severity}: {at}: {}\n", f.message);
        out += &format!("  rule: {} ({})\n", f.provider_rule, f.source);
        if let Some(fix) = &f.fix {
            out += &format!("  fix: {}\n", fix.label);
        }
    }
    let count = |s: Severity| checked.findings.iter().filter(|f| f.severity == s).count();
    out += &format!(
        "\n{} error(s), {} warning(s), {} note(s)\n",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    out
}

fn failure(e: InferError) -> Failure {
    Failure::input(e.to_string(), e.hint())
}

fn infer(files: &[PathBuf]) -> Result<Value, Failure> {
    let mut samples = Vec::new();
    for path in files {
        let text = read(path, "sample")?;
        let name = if path.as_os_str() == "-" {
            "standard input".to_string()
        } else {
            path.display().to_string()
        };
        samples.extend(quarry_design::infer::documents(&text, &name).map_err(failure)?);
    }
    quarry_design::infer::infer(&samples).map_err(failure)
}
