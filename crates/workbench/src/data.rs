//! The data folder a workbench works in — the run history and the user's price table — which
//! the user can move while the app runs (to another disk, a synced folder).
//!
//! Every command opens the history afresh from [`DataFolder::db_path`], so after a move the
//! next command reads the new folder. A run already going keeps writing to the history it
//! started in; a move is refused while one is going, so none is split across two files.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use quarry_store::Store;
use quarry_store::location::{DB_FILE, Location, PRICES_FILE, remember_folder};
use quarry_store::prices::{Price, PriceTable};
use serde::Serialize;
use serde_json::json;
use ts_rs::TS;

use crate::CommandError;

pub struct DataFolder {
    state: RwLock<State>,
    /// A price file named explicitly (`QUARRY_PRICES`) stays, wherever the data goes.
    prices_file: Option<PathBuf>,
}

struct State {
    location: Location,
    prices: PriceTable,
    /// Why the user's price file could not be read (the built-in prices stand meanwhile).
    prices_problem: Option<String>,
}

/// What moving the data folder did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Moved {
    /// The folder is the one in use already.
    Unchanged,
    /// The folder had a history of its own, which is now the one in use.
    OpenedExisting,
    /// The history in use was copied into the folder.
    Copied,
    /// The folder starts with an empty history.
    StartedEmpty,
}

impl DataFolder {
    /// The data in `location`, with prices from `prices_file` when given (`QUARRY_PRICES`),
    /// else `prices.json` beside the database.
    pub fn new(location: Location, prices_file: Option<PathBuf>) -> DataFolder {
        let folder = DataFolder {
            state: RwLock::new(State {
                location,
                prices: PriceTable::builtin(),
                prices_problem: None,
            }),
            prices_file,
        };
        folder.reload_prices();
        folder
    }

    /// A pinned database with the built-in prices (tests, tools).
    pub fn at(db: PathBuf) -> DataFolder {
        DataFolder {
            state: RwLock::new(State {
                location: Location::pinned(db, "the host"),
                prices: PriceTable::builtin(),
                prices_problem: None,
            }),
            prices_file: None,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The run-history database in use.
    pub fn db_path(&self) -> PathBuf {
        self.read().location.db.clone()
    }

    pub fn location(&self) -> Location {
        self.read().location.clone()
    }

    /// The price table in effect: the built-in prices with the user's entries over them.
    pub fn prices(&self) -> PriceTable {
        self.read().prices.clone()
    }

    /// Why the user's price file was not used, if it was not.
    pub fn prices_problem(&self) -> Option<String> {
        self.read().prices_problem.clone()
    }

    /// The user's price file.
    pub fn prices_file(&self) -> PathBuf {
        self.prices_file
            .clone()
            .unwrap_or_else(|| self.read().location.folder().join(PRICES_FILE))
    }

    /// The user's own price entries (none when the file is missing or unreadable).
    pub fn user_prices(&self) -> Vec<Price> {
        PriceTable::user_entries(&self.prices_file()).unwrap_or_default()
    }

    /// Reads the user's price file again. A broken file leaves the built-in prices in effect
    /// and says why (the app still opens; the CLI refuses to run with it).
    pub fn reload_prices(&self) {
        let (prices, problem) = match PriceTable::with_overrides(&self.prices_file()) {
            Ok(table) => (table, None),
            Err(e) => (PriceTable::builtin(), Some(e.to_string())),
        };
        let mut state = self.write();
        state.prices = prices;
        state.prices_problem = problem;
    }

    /// Saves the user's price entries and puts them in effect.
    pub fn save_prices(&self, entries: &[Price]) -> Result<(), CommandError> {
        PriceTable::save_user_entries(&self.prices_file(), entries).map_err(|e| {
            CommandError::new(
                "prices_invalid",
                e.to_string(),
                "give each price a provider, a model and amounts of 0 or more dollars",
            )
        })?;
        self.reload_prices();
        Ok(())
    }

    /// Makes `folder` the data folder: its own history if it has one, else a copy of the
    /// history in use (`copy`) or an empty one. The choice is remembered in the default
    /// database, so the CLI and every later start use the same folder.
    pub fn move_to(&self, folder: &Path, copy: bool) -> Result<Moved, CommandError> {
        let current = self.location();
        if let Some(by) = &current.pinned_by {
            return Err(folder_error(
                "data_folder_pinned",
                format!(
                    "the run history {} was named by {by}, so Quarry does not move it",
                    current.db.display()
                ),
                format!("start Quarry without {by} to choose the data folder here"),
            ));
        }
        let Some(home) = current.home.clone() else {
            return Err(folder_error(
                "data_folder_unknown",
                "this system has no data folder for this user to remember the choice in",
                "name the run history's file when starting Quarry (QUARRY_DB)",
            ));
        };
        if !folder.is_absolute() {
            return Err(folder_error(
                "data_folder_relative",
                format!("“{}” is not a full path", folder.display()),
                "give the folder's full path (for example /home/me/Documents/quarry)",
            ));
        }
        if folder.is_file() {
            return Err(folder_error(
                "data_folder_is_a_file",
                format!("{} is a file, not a folder", folder.display()),
                "choose a folder (Quarry creates it if it does not exist)",
            ));
        }
        std::fs::create_dir_all(folder).map_err(|e| {
            folder_error(
                "data_folder_unusable",
                format!("cannot create the folder {}: {e}", folder.display()),
                "check the folder's permissions, or choose another one",
            )
        })?;
        let target = folder.join(DB_FILE);
        if same_file(&target, &current.db) {
            return Ok(Moved::Unchanged);
        }
        let moved = if target.exists() {
            // Opening checks it is a Quarry history this version can use, before switching.
            Store::open(&target)?;
            Moved::OpenedExisting
        } else if copy {
            Store::open(&current.db)?.copy_to(&target)?;
            // The copy is a history of its own: finishing it (migrations, WAL) now makes a
            // failure show here rather than on the next command.
            Store::open(&target)?;
            let (from, to) = (current.folder().join(PRICES_FILE), folder.join(PRICES_FILE));
            if self.prices_file.is_none() && from.is_file() && !to.exists() {
                std::fs::copy(&from, &to).map_err(|e| {
                    folder_error(
                        "data_folder_unusable",
                        format!("the history was copied, but not the price table: {e}"),
                        "copy prices.json into the new folder yourself",
                    )
                })?;
            }
            Moved::Copied
        } else {
            Store::open(&target)?;
            Moved::StartedEmpty
        };
        remember_folder(&home, Some(folder))?;
        self.write().location = Location {
            db: target,
            pinned_by: None,
            home: Some(home),
            missing: None,
        };
        self.reload_prices();
        Ok(moved)
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn folder_error(code: &str, message: impl Into<String>, hint: impl Into<String>) -> CommandError {
    let mut e = CommandError::new(code, message, hint);
    e.details["setting"] = json!(quarry_engine::Setting::Database);
    e
}
