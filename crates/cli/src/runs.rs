//! `quarry runs …`: the run history.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use std::io::{IsTerminal, Write};

use quarry_store::diff::diff;
use quarry_store::location::Location;
use quarry_store::{
    ExportFormat, RunArchive, RunStatus, RunSummary, SearchQuery, Store, StoreError,
};

use quarry_workbench::orchestrate::{RunSpec, StartError};

use crate::report::Failure;

#[derive(Args, Clone)]
pub struct DbArgs {
    /// The run-history database (default: quarry.db in the data folder chosen in the app,
    /// else in the platform data folder, ~/.local/share/quarry on Linux).
    #[arg(long, env = "QUARRY_DB", value_name = "PATH")]
    db: Option<PathBuf>,
}

impl DbArgs {
    /// `QUARRY_DB` alone (for commands without a `--db` flag).
    pub fn from_env() -> DbArgs {
        DbArgs {
            db: std::env::var_os("QUARRY_DB").map(PathBuf::from),
        }
    }

    /// Where the history is: `--db`, `QUARRY_DB`, or the data folder (the one chosen in the
    /// app, else the platform's).
    pub fn location(&self) -> Result<Location, Failure> {
        Location::resolve(self.db.clone(), "--db (or QUARRY_DB)").ok_or_else(|| {
            Failure::input(
                "no data folder is known for this user",
                "pass --db PATH (or set QUARRY_DB)",
            )
        })
    }

    /// The database file (see [`DbArgs::location`]).
    pub fn path(&self) -> Result<PathBuf, Failure> {
        Ok(self.location()?.db)
    }

    pub fn open(&self) -> Result<Store, Failure> {
        Store::open(&self.path()?).map_err(store_failure)
    }
}

/// A store error as the CLI reports it: the store's hint, with the flags that carry it out.
pub fn store_failure(e: StoreError) -> Failure {
    if let StoreError::Io(io) = &e {
        quiet_on_closed_pipe(io);
    }
    let with_flags = match &e {
        e if e.is_about_the_file() => Some("--db PATH (or QUARRY_DB) for another file".to_string()),
        StoreError::NoSuchRun(_) => Some("quarry runs list".into()),
        StoreError::NotAnArchive(_) => Some("quarry runs export ID --format run".into()),
        StoreError::NoSuchArray { arrays, .. } => Some(match arrays.first() {
            Some(first) => format!("--explode {first}"),
            None => "leave out --explode".into(),
        }),
        _ => None,
    };
    let hint = match with_flags {
        Some(f) => format!("{}\n  try: {f}", e.hint()),
        None => e.hint(),
    };
    Failure::input(e.to_string(), hint)
}

/// A reader that went away (`quarry runs export | head`) ends the program quietly.
fn quiet_on_closed_pipe(e: &std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
}

fn write_failure(e: std::io::Error) -> Failure {
    quiet_on_closed_pipe(&e);
    Failure::input(
        format!("cannot write the export: {e}"),
        "check the path and free space",
    )
}

#[derive(Subcommand)]
pub enum RunsCommand {
    /// Runs, newest first.
    List {
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
        /// An array of runs as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Runs whose prompt, variables, result or error contain every word, with filters;
    /// newest first.
    Search {
        /// Words to find (all of them).
        words: Vec<String>,
        #[arg(long)]
        schema: Option<String>,
        #[arg(long)]
        provider: Option<String>,
        #[arg(long)]
        model: Option<String>,
        #[arg(long, value_parser = ["running", "succeeded", "failed", "cancelled", "interrupted"])]
        status: Option<String>,
        /// Created on or after this ISO date or time (2026-11-01).
        #[arg(long)]
        since: Option<String>,
        /// Created before this ISO date or time.
        #[arg(long)]
        until: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Export results: one as JSON, many as JSONL or CSV; `--format run` writes a whole run
    /// (spec, attempts, events) for `quarry runs import`.
    Export {
        /// Runs to export (default: every run that has a result).
        ids: Vec<i64>,
        #[arg(long, value_parser = ["json", "jsonl", "csv", "run"], default_value = "json")]
        format: String,
        /// With csv: one row per element of the array at this dotted field (e.g. line_items).
        #[arg(long, value_name = "FIELD")]
        explode: Option<String>,
        /// Write here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// The same as `--format json`.
        #[arg(long, conflicts_with = "format")]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Add runs exported with `--format run` (as new runs).
    Import {
        files: Vec<PathBuf>,
        /// Print `[{"file", "run_id"}]`.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Run a recorded run again: same request, schema and prompt (the key comes from the
    /// keychain or the environment); recorded as a new run.
    Rerun {
        id: i64,
        /// Print the result on one line.
        #[arg(long)]
        compact: bool,
        /// Print `{"run_id": NEW, "result": …}`.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// What differs between two runs, field by field: their results and their requests.
    Diff {
        a: i64,
        b: i64,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Delete runs with their attempts and events. The large values they stored stay until
    /// `quarry runs compact` (other runs may share them).
    Delete {
        #[arg(required = true)]
        ids: Vec<i64>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Remove the stored values no run, schema or prompt uses any more (deleted runs leave
    /// them) and shrink the history's file.
    Compact {
        /// Print what was freed as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// One run with its attempts, events and result.
    Show {
        id: i64,
        /// The run as JSON (with every event).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub fn run(cmd: RunsCommand) -> i32 {
    match execute(cmd) {
        Ok(()) => 0,
        Err(f) => {
            eprint!("{}", f.render());
            f.exit_code()
        }
    }
}

fn execute(cmd: RunsCommand) -> Result<(), Failure> {
    match cmd {
        RunsCommand::List {
            limit,
            offset,
            json,
            db,
        } => {
            let store = db.open()?;
            let runs = store.list_runs(limit, offset).map_err(store_failure)?;
            if runs.is_empty() && !json {
                crate::out(if offset > 0 {
                    format!("no runs past the first {offset}")
                } else {
                    format!(
                        "no runs yet in {}. Every extraction is recorded; make one with\n  \
                         quarry extract --provider PROVIDER/MODEL --schema SCHEMA\n\
                         for example: quarry extract --provider ollama/llama3.1 --schema invoice",
                        store
                            .path()
                            .map_or("memory".into(), |p| p.display().to_string())
                    )
                });
                return Ok(());
            }
            print_runs(&runs, json);
        }
        RunsCommand::Search {
            words,
            schema,
            provider,
            model,
            status,
            since,
            until,
            limit,
            offset,
            json,
            db,
        } => {
            let query = SearchQuery {
                text: (!words.is_empty()).then(|| words.join(" ")),
                schema,
                provider,
                model,
                status: status.as_deref().map(RunStatus::parse),
                since,
                until,
                limit,
                offset,
            };
            let runs = db.open()?.search_runs(&query).map_err(store_failure)?;
            if runs.is_empty() && !json {
                crate::out("no runs match");
                return Ok(());
            }
            print_runs(&runs, json);
        }
        RunsCommand::Export {
            ids,
            format,
            explode,
            out,
            json,
            db,
        } => {
            let format = if json { "json" } else { format.as_str() };
            if explode.is_some() && format != "csv" {
                return Err(Failure::input(
                    format!(
                        "--explode writes one CSV row per array element; it does not apply to --format {format}"
                    ),
                    "add --format csv, or leave out --explode",
                ));
            }
            export(ids, format, explode.as_deref(), out, &db)?
        }
        RunsCommand::Import { files, json, db } => {
            let mut store = db.open()?;
            let mut imported = Vec::new();
            for file in files {
                let text = crate::input::read_text_up_to(
                    &file,
                    crate::input::MAX_ARCHIVE_BYTES,
                    "run archive",
                )?;
                let archive: RunArchive = serde_json::from_str(&text).map_err(|e| {
                    Failure::input(
                        format!("{} is not a Quarry run archive: {e}", file.display()),
                        "import a file written by `quarry runs export ID --format run`",
                    )
                })?;
                let id = store.import_run(&archive).map_err(store_failure)?;
                if !json {
                    crate::out(format!("imported {} as run {id}", file.display()));
                }
                imported.push(serde_json::json!({"file": file, "run_id": id}));
            }
            if json {
                crate::out(serde_json::to_string_pretty(&imported).unwrap_or_default());
            }
        }
        RunsCommand::Rerun {
            id,
            compact,
            json,
            db,
        } => return rerun(id, compact, json, &db),
        RunsCommand::Diff { a, b, json, db } => {
            let store = db.open()?;
            let (ra, rb) = (
                store.show_run(a).map_err(store_failure)?,
                store.show_run(b).map_err(store_failure)?,
            );
            let null = serde_json::Value::Null;
            let results = diff(
                ra.result.as_ref().unwrap_or(&null),
                rb.result.as_ref().unwrap_or(&null),
            );
            let specs = diff(&ra.spec, &rb.spec);
            if json {
                let value = serde_json::json!({"a": a, "b": b, "result": results, "spec": specs});
                crate::out(serde_json::to_string_pretty(&value).unwrap_or_default());
                return Ok(());
            }
            for (title, list) in [("result", &results), ("request", &specs)] {
                if list.is_empty() {
                    crate::out(format!("{title}: the same"));
                    continue;
                }
                crate::out(format!("{title}: {} difference(s)", list.len()));
                let show = |v: &Option<serde_json::Value>| {
                    v.as_ref().map_or("—".to_string(), |v| v.to_string())
                };
                for d in list {
                    let path = if d.path.is_empty() { "/" } else { &d.path };
                    crate::out(format!(
                        "  {path}: {} → {}",
                        show(&d.before),
                        show(&d.after)
                    ));
                }
            }
        }
        RunsCommand::Delete { ids, db } => {
            let deleted = db.open()?.delete_runs(&ids).map_err(store_failure)?;
            crate::out(format!("deleted {deleted} run(s)"));
            if deleted < ids.len() {
                crate::term::eprintln(format!(
                    "quarry: {} of the ids given are not in the history (quarry runs list shows the ids)",
                    ids.len() - deleted
                ));
            }
        }
        RunsCommand::Compact { json, db } => {
            let done = db.open()?.compact().map_err(store_failure)?;
            if json {
                crate::out(serde_json::to_string(&done).unwrap_or_default());
            } else {
                crate::out(format!(
                    "removed {} stored value(s) no run used; the history went from {} to {} bytes",
                    done.payloads_removed, done.bytes_before, done.bytes_after
                ));
            }
        }
        RunsCommand::Show { id, json, db } => {
            let run = db.open()?.show_run(id).map_err(store_failure)?;
            if json {
                crate::out(serde_json::to_string_pretty(&run).unwrap_or_default());
                return Ok(());
            }
            let s = &run.summary;
            crate::out(format!(
                "run {}: {} · {}/{} · schema {}",
                s.id,
                s.status.as_str(),
                s.provider,
                s.model,
                s.schema
            ));
            crate::out(format!(
                "created {} · finished {}",
                s.created_at,
                s.finished_at.as_deref().unwrap_or("-")
            ));
            crate::out(format!(
                "{} attempt(s) · {} tokens · {} · {} events",
                s.attempts,
                s.usage.total_tokens,
                s.cost_usd
                    .map_or("cost unknown (no price)".to_string(), |c| format!(
                        "${c:.6}"
                    )),
                run.events.len()
            ));
            for a in &run.attempts {
                let verdict = a
                    .error
                    .as_deref()
                    .map_or("valid".to_string(), |e| e.replace('\n', "\n      "));
                crate::out(format!("  attempt {}: {verdict}", a.number));
            }
            if let Some(e) = &s.error_message {
                crate::out(format!("error: {e}"));
            }
            if let Some(v) = &run.result {
                crate::out(serde_json::to_string_pretty(v).unwrap_or_default());
            }
        }
    }
    Ok(())
}

fn rerun(id: i64, compact: bool, json: bool, db: &DbArgs) -> Result<(), Failure> {
    let location = db.location()?;
    let path = location.db.clone();
    let store = Store::open(&path).map_err(store_failure)?;
    let run = store.show_run(id).map_err(store_failure)?;
    let schema_text = store.schema_text(id).map_err(store_failure)?;
    drop(store);
    let request: quarry_engine::ExtractRequest =
        serde_json::from_value(run.spec.clone()).map_err(|e| {
            Failure::input(
                format!("run {id}'s request cannot be read back: {e}"),
                "rerun it with `quarry extract`",
            )
        })?;
    // Through the workbench's one orchestration, like every other run.
    let wb = crate::record::workbench(location, false, None, false)?;
    let prepared = wb
        .prepare(RunSpec {
            request,
            schema_name: run.summary.schema.clone(),
            schema_text,
            stream: None,
            profile: None,
            prompt_name: "cli".into(),
            record: true,
        })
        .map_err(|e| match e {
            StartError::Engine(quarry_engine::Error::Schema(e)) => Failure::Engine {
                error: Box::new(quarry_engine::Error::Schema(e)),
                at: Some(format!("run {id}'s schema")),
            },
            other => crate::record::start_failure(other),
        })?;
    let new_id = prepared.run_id();
    let runtime = crate::runtime()?;
    let finished = runtime.block_on(wb.execute(prepared, "cli", quarry_engine::Canceller::new()));
    let value = finished.result?.value;
    if json {
        let out = serde_json::json!({"run_id": new_id, "result": value});
        crate::out(serde_json::to_string_pretty(&out).unwrap_or_default());
    } else {
        crate::out(
            if compact {
                serde_json::to_string(&value)
            } else {
                serde_json::to_string_pretty(&value)
            }
            .unwrap_or_default(),
        );
    }
    match finished.not_recorded {
        Some(e) => Err(Failure::Reported {
            code: crate::record::report(&e),
        }),
        None => Ok(()),
    }
}

/// Exports of more results than this show a progress bar on a terminal.
const PROGRESS_FROM: usize = 1000;

fn export(
    ids: Vec<i64>,
    format: &str,
    explode: Option<&str>,
    out: Option<PathBuf>,
    db: &DbArgs,
) -> Result<(), Failure> {
    let store = db.open()?;
    let mut sink: Box<dyn Write> = match &out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| {
                Failure::input(
                    format!("cannot write {}: {e}", path.display()),
                    "check the path",
                )
            })?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    if format == "run" {
        let [id] = ids.as_slice() else {
            return Err(Failure::input(
                "--format run exports exactly one run",
                "give one run id: quarry runs export 12 --format run --out run-12.json",
            ));
        };
        let archive = store.export_run(*id).map_err(store_failure)?;
        let write = serde_json::to_writer_pretty(&mut sink, &archive)
            .map_err(|e| match e.io_error_kind() {
                Some(kind) => std::io::Error::from(kind),
                None => std::io::Error::other(e),
            })
            .and_then(|()| writeln!(sink))
            .and_then(|()| sink.flush());
        return write.map_err(write_failure);
    }
    let format = match format {
        "jsonl" => ExportFormat::Jsonl,
        "csv" => ExportFormat::Csv,
        _ => ExportFormat::Json,
    };
    let ids = if ids.is_empty() {
        store.runs_with_results().map_err(store_failure)?
    } else {
        ids
    };
    let bar = (ids.len() >= PROGRESS_FROM && std::io::stderr().is_terminal())
        .then(|| indicatif::ProgressBar::new(ids.len() as u64));
    let rows = store
        .export_results(&ids, format, explode, &mut sink, &mut |done, _| {
            if let Some(b) = &bar {
                b.set_position(done as u64);
            }
        })
        .map_err(store_failure)?;
    sink.flush().map_err(write_failure)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(path) = out {
        eprintln!("quarry: wrote {rows} row(s) to {}", path.display());
    }
    Ok(())
}

fn print_runs(runs: &[RunSummary], json: bool) {
    if json {
        crate::out(serde_json::to_string_pretty(runs).unwrap_or_default());
        return;
    }
    crate::out(format!(
        "{:>5}  {:<11} {:<32} {:<13} {:<16} {:<24} {:>3} {:>7} {:>9} {:>10}",
        "id", "status", "provider/model", "mode", "schema", "created", "try", "tokens", "ms", "usd"
    ));
    for r in runs {
        crate::out(format!(
            "{:>5}  {:<11} {:<32} {:<13} {:<16} {:<24} {:>3} {:>7} {:>9} {:>10}",
            r.id,
            r.status.as_str(),
            format!("{}/{}", r.provider, r.model),
            r.mode.as_deref().unwrap_or("default"),
            r.schema,
            r.created_at,
            r.attempts,
            r.usage.total_tokens,
            r.latency_ms.map(|l| format!("{l:.0}")).unwrap_or_default(),
            r.cost_usd.map(|c| format!("{c:.6}")).unwrap_or_default()
        ));
    }
}
