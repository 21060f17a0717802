//! `quarry`: validated JSON out of language models, from the command line.

mod extract;
mod input;
mod keys;
mod live;
mod models;
mod project;
mod record;
mod report;
mod runs;
mod schema;
mod serve;
mod stats;
mod tables;
mod term;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Streaming and validation allocate many small, short-lived values; mimalloc serves them
// measurably faster than the system allocator (README, Benchmarks).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "quarry",
    version,
    about = "Validated, structured JSON out of language models",
    after_help = "Exit codes: 0 success; 2 bad input (flags, schema, template, provider, mode, key); \
3 provider or transport error; 4 still invalid after all re-asks; 5 incomplete output or refusal; \
130 cancelled (Ctrl-C)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract JSON matching a schema from a model's answer.
    #[command(args_override_self = true)]
    Extract(Box<extract::ExtractArgs>),
    /// List the providers (presets) with their base URL, key variable and modes.
    Providers,
    /// List instructor's mode names and what they map to.
    Modes,
    /// The local model servers running here (Ollama, llama.cpp, vLLM, LM Studio), their models
    /// and what each supports.
    Models(models::ModelsArgs),
    /// List the example schemas built into quarry (give one to `extract --schema NAME`); the
    /// schema tools are `quarry schema`.
    Schemas,
    /// Saved schemas, prompts and profiles as a folder of plain files: export, import.
    #[command(subcommand)]
    Project(project::ProjectCommand),
    /// Schema design tools: infer one from samples, import, generate from a description, lint
    /// for a provider and mode.
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
    /// The run history: list, search, show, export, import, rerun, diff, delete, compact.
    #[command(subcommand)]
    Runs(runs::RunsCommand),
    /// The price table used to estimate each run's cost.
    Prices,
    /// API keys in the OS keychain: set, list, delete.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// The workbench in a browser: serves the UI and its API on 127.0.0.1.
    Serve(serve::ServeArgs),
}

/// Prints a line on stdout, with terminal control characters made visible (`term`). A reader
/// that went away (`quarry runs list | head`) ends the program quietly, as other command-line
/// tools do, instead of a panic.
pub fn out(text: impl std::fmt::Display) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let text = text.to_string();
    if let Err(e) = writeln!(stdout, "{}", term::clean(&text)).and_then(|()| stdout.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// The async runtime for one command: a single thread is all a CLI call needs.
pub fn runtime() -> Result<tokio::runtime::Runtime, report::Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            report::Failure::input(
                format!("cannot start the async runtime: {e}"),
                "report this as a bug",
            )
        })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Extract(args) => extract::run(*args),
        Command::Providers => {
            out(tables::providers().trim_end());
            0
        }
        Command::Modes => {
            out(tables::modes().trim_end());
            0
        }
        Command::Runs(cmd) => runs::run(cmd),
        Command::Models(args) => models::run(args),
        Command::Schema(cmd) => schema::run(cmd),
        Command::Project(cmd) => project::run(cmd),
        Command::Keys(cmd) => keys::run(cmd),
        Command::Serve(args) => serve::run(args),
        Command::Prices => match runs::DbArgs::from_env().location().and_then(record::data) {
            Ok(data) => {
                out(serde_json::to_string_pretty(&data.prices()).unwrap_or_default());
                eprintln!(
                    "quarry: USD per million tokens; override or add entries in {}",
                    data.prices_file().display()
                );
                0
            }
            Err(f) => {
                eprint!("{}", f.render());
                f.exit_code()
            }
        },
        Command::Schemas => {
            for e in quarry_workbench::examples::EXAMPLES {
                out(format!("{:<16} {}", e.name, tables::schema_title(e.schema)));
            }
            0
        }
    };
    ExitCode::from(code as u8)
}
