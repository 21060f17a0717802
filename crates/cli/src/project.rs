//! `quarry project export|import DIR`: the saved schemas, prompts and profiles as a folder of
//! plain files (see `quarry_workbench::project`).

use std::path::PathBuf;

use clap::Subcommand;
use quarry_workbench::CommandError;
use quarry_workbench::project::ProjectReport;

use crate::report::Failure;

#[derive(Subcommand)]
pub enum ProjectCommand {
    /// Write the latest version of every saved schema, prompt and profile (never a key) to
    /// DIR: schemas as .json, prompts as .jinja templates, profiles as TOML.
    Export {
        #[arg(value_name = "DIR")]
        folder: PathBuf,
        #[command(flatten)]
        db: crate::runs::DbArgs,
    },
    /// Read such a folder: changed schemas and prompts become new versions, profiles are
    /// created or replaced. A broken file is named and nothing is saved.
    Import {
        #[arg(value_name = "DIR")]
        folder: PathBuf,
        #[command(flatten)]
        db: crate::runs::DbArgs,
    },
}

fn failure(e: CommandError) -> Failure {
    let hint = e.details["hint"].as_str().unwrap_or_default().to_string();
    Failure::input(e.message, hint)
}

pub fn run(cmd: ProjectCommand) -> i32 {
    let done = match cmd {
        ProjectCommand::Export { folder, db } => db
            .open()
            .and_then(|store| quarry_workbench::project::export(&store, &folder).map_err(failure))
            .map(|r| ("wrote", r)),
        ProjectCommand::Import { folder, db } => db
            .open()
            .and_then(|mut store| {
                quarry_workbench::project::import(&mut store, &folder).map_err(failure)
            })
            .map(|r| ("read", r)),
    };
    match done {
        Ok((
            verb,
            ProjectReport {
                folder,
                schemas,
                prompts,
                profiles,
                notes,
            },
        )) => {
            crate::out(format!(
                "{verb} {folder}: {schemas} schema(s), {prompts} prompt(s), {profiles} profile(s)"
            ));
            for note in notes {
                crate::out(format!("  {note}"));
            }
            0
        }
        Err(f) => {
            eprint!("{}", f.render());
            f.exit_code()
        }
    }
}
