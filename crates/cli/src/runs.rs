//! `quarry runs …`: the run history.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use quarry_store::{RunStatus, RunSummary, SearchQuery, Store, StoreError, default_path};

use crate::report::Failure;

#[derive(Args, Clone)]
pub struct DbArgs {
    /// The run-history database (default: the platform data folder, quarry/quarry.db).
    #[arg(long, env = "QUARRY_DB", value_name = "PATH")]
    db: Option<PathBuf>,
}

impl DbArgs {
    pub fn open(&self) -> Result<Store, Failure> {
        let path = self.db.clone().or_else(default_path).ok_or_else(|| {
            Failure::input(
                "no data folder is known for this user",
                "pass --db PATH (or set QUARRY_DB)",
            )
        })?;
        Store::open(&path).map_err(store_failure)
    }
}

pub fn store_failure(e: StoreError) -> Failure {
    Failure::input(e.to_string(), e.hint())
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
            let runs = db.open()?.list_runs(limit, offset).map_err(store_failure)?;
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
            print_runs(&runs, json);
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
                "{} attempt(s) · {} tokens · {} events",
                s.attempts,
                s.usage.total_tokens,
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

fn print_runs(runs: &[RunSummary], json: bool) {
    if json {
        crate::out(serde_json::to_string_pretty(runs).unwrap_or_default());
        return;
    }
    crate::out(format!(
        "{:>5}  {:<11} {:<32} {:<13} {:<16} {:<24} {:>3} {:>7} {:>9}",
        "id", "status", "provider/model", "mode", "schema", "created", "try", "tokens", "ms"
    ));
    for r in runs {
        crate::out(format!(
            "{:>5}  {:<11} {:<32} {:<13} {:<16} {:<24} {:>3} {:>7} {:>9}",
            r.id,
            r.status.as_str(),
            format!("{}/{}", r.provider, r.model),
            r.mode.as_deref().unwrap_or("default"),
            r.schema,
            r.created_at,
            r.attempts,
            r.usage.total_tokens,
            r.latency_ms.map(|l| format!("{l:.0}")).unwrap_or_default()
        ));
    }
}
