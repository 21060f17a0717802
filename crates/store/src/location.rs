//! Where Quarry keeps its data: a folder holding the run history (`quarry.db`) and the user's
//! price table (`prices.json`).
//!
//! The CLI, `quarry serve` and the desktop app share one history: the default database in the
//! platform's data folder (`~/.local/share/quarry/quarry.db` on Linux). A user who moves the data
//! elsewhere (another disk, a synced folder) chooses the folder in the app; the choice is kept
//! in the default database, so every front end started later finds the same folder. A database
//! named explicitly (`--db`, `QUARRY_DB`) is used as it is and cannot be moved from the app.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::db::{BUSY_TIMEOUT, Store, default_path};
use crate::error::StoreError;

/// The history's file name inside a data folder.
pub const DB_FILE: &str = "quarry.db";
/// The user's price table's file name inside a data folder.
pub const PRICES_FILE: &str = "prices.json";
/// The setting, in the default database, that names the chosen data folder.
const FOLDER_SETTING: &str = "data_folder";

/// The database Quarry uses, and how it was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub db: PathBuf,
    /// What named the database when the user did (`QUARRY_DB`, `--db`): then the app cannot
    /// move it.
    pub pinned_by: Option<String>,
    /// The default database, which remembers a chosen folder (`None` when the platform has no
    /// data folder, or the database is pinned).
    pub home: Option<PathBuf>,
    /// A chosen folder that is not there now (an unplugged disk): the default is used instead,
    /// and the app says so rather than starting an empty history in its place.
    pub missing: Option<PathBuf>,
}

impl Location {
    /// The folder holding the database (and the price table).
    pub fn folder(&self) -> PathBuf {
        self.db.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// A database named explicitly, by `by` (`QUARRY_DB`, `--db`).
    pub fn pinned(db: PathBuf, by: &str) -> Location {
        Location {
            db,
            pinned_by: Some(by.into()),
            home: None,
            missing: None,
        }
    }

    /// The data folder recorded in the default database at `home`, else `home` itself.
    pub fn chosen_in(home: PathBuf) -> Location {
        let chosen = recorded_folder(&home);
        let (db, missing) = match chosen {
            Some(folder) if folder.is_dir() => (folder.join(DB_FILE), None),
            Some(folder) => (home.clone(), Some(folder)),
            None => (home.clone(), None),
        };
        Location {
            db,
            pinned_by: None,
            home: Some(home),
            missing,
        }
    }

    /// The platform's default database and the folder chosen in it (see
    /// [`Location::chosen_in`]); `None` when the platform has no data folder for this user.
    pub fn platform() -> Option<Location> {
        default_path().map(Location::chosen_in)
    }

    /// `explicit` when given (named by `by`), else [`Location::platform`].
    pub fn resolve(explicit: Option<PathBuf>, by: &str) -> Option<Location> {
        match explicit {
            Some(db) => Some(Location::pinned(db, by)),
            None => Location::platform(),
        }
    }
}

/// The folder recorded in the default database at `home`. Read with a bare connection, not
/// [`Store::open`]: every CLI command starts here and then opens the history it uses, which
/// would otherwise be migrated and checked for interrupted runs twice. A home that does not
/// exist is not created; one this version cannot read records no folder (opening it as the
/// history then says what is wrong with it).
fn recorded_folder(home: &Path) -> Option<PathBuf> {
    let conn = Connection::open_with_flags(home, OpenFlags::SQLITE_OPEN_READ_WRITE).ok()?;
    conn.busy_timeout(BUSY_TIMEOUT).ok()?;
    let text: String = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [FOLDER_SETTING],
            |r| r.get(0),
        )
        .ok()?;
    serde_json::from_str(&text).ok()
}

/// Records `folder` as the data folder in the default database at `home`; `None`, or the
/// home's own folder, goes back to the default.
pub fn remember_folder(home: &Path, folder: Option<&Path>) -> Result<(), StoreError> {
    let mut store = Store::open(home)?;
    match folder.filter(|f| Some(*f) != home.parent()) {
        Some(f) => store.set_setting(FOLDER_SETTING, &f),
        None => store.clear_setting(FOLDER_SETTING),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_folder_is_found_from_the_home_database_and_a_missing_one_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home").join(DB_FILE);
        // Nothing recorded, and the home database is not created by reading.
        let found = Location::chosen_in(home.clone());
        assert_eq!(found.db, home);
        assert!(!home.exists());

        let elsewhere = dir.path().join("disk");
        std::fs::create_dir(&elsewhere).unwrap();
        remember_folder(&home, Some(&elsewhere)).unwrap();
        let found = Location::chosen_in(home.clone());
        assert_eq!(found.db, elsewhere.join(DB_FILE));
        assert_eq!(found.missing, None);
        assert_eq!(found.folder(), elsewhere);

        // The disk is gone: the default is used and the missing folder named.
        std::fs::remove_dir(&elsewhere).unwrap();
        let found = Location::chosen_in(home.clone());
        assert_eq!(found.db, home);
        assert_eq!(found.missing, Some(elsewhere.clone()));

        // Choosing the home folder again forgets the choice.
        remember_folder(&home, Some(home.parent().unwrap())).unwrap();
        assert_eq!(Location::chosen_in(home.clone()).missing, None);
    }

    #[test]
    fn an_explicit_database_is_pinned() {
        let found = Location::resolve(Some("/tmp/x.db".into()), "QUARRY_DB").unwrap();
        assert_eq!(found.pinned_by.as_deref(), Some("QUARRY_DB"));
        assert_eq!(found.home, None);
    }
}
