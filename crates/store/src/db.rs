//! Opening a database: pragmas, migrations, and marking runs whose writer died.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, Transaction};

use crate::error::StoreError;
use crate::payload::Payloads;

/// Ordered, embedded migrations; the database's `user_version` is the last one applied.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_search.sql")),
    (3, include_str!("../migrations/0003_cost.sql")),
    (4, include_str!("../migrations/0004_payloads.sql")),
    (5, include_str!("../migrations/0005_settings.sql")),
];

/// How long a write waits for another process's lock before it fails with
/// [`StoreError::Busy`] (SQLite's busy timeout), unless [`Store::set_busy_timeout`] says
/// otherwise.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

fn is_busy(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _))
            if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Runs `f` again while SQLite reports the database busy or locked, for up to 10 s.
fn retry_busy<T>(mut f: impl FnMut() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let start = Instant::now();
    loop {
        match f() {
            Err(e) if is_busy(&e) && start.elapsed() < Duration::from_secs(10) => {
                // Jitter, so retrying processes do not collide again in step.
                std::thread::sleep(Duration::from_millis(fastrand::u64(5..25)));
            }
            other => return other,
        }
    }
}

pub struct Store {
    pub(crate) conn: Connection,
    path: Option<PathBuf>,
}

/// `$XDG_DATA_HOME/quarry/quarry.db` (or the platform's data folder).
pub fn default_path() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("quarry").join("quarry.db"))
}

impl Store {
    /// Opens (creating if needed) the database at `path`, applies pending migrations in one
    /// transaction, and marks runs whose writing process is gone as interrupted. A file that
    /// is not a database, was written by a newer Quarry, is read-only or is a folder is refused
    /// with its own error, and left as it was.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if path.is_dir() {
            return Err(StoreError::IsADirectory {
                path: path.to_path_buf(),
            });
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let start = Instant::now();
        Connection::open(path)
            .map_err(StoreError::from)
            .and_then(|conn| {
                let mut store = Store {
                    conn,
                    path: Some(path.to_path_buf()),
                };
                store.prepare()?;
                Ok(store)
            })
            .map_err(|e| e.at(path, start.elapsed()))
    }

    /// A private database in memory (tests, throwaway runs).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let mut store = Store {
            conn: Connection::open_in_memory()?,
            path: None,
        };
        store.prepare()?;
        Ok(store)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// How long each write waits for another process's lock before failing with
    /// [`StoreError::Busy`] (default [`BUSY_TIMEOUT`]).
    pub fn set_busy_timeout(&mut self, wait: Duration) -> Result<(), StoreError> {
        Ok(self.conn.busy_timeout(wait)?)
    }

    pub(crate) fn error_path(&self) -> PathBuf {
        self.path.clone().unwrap_or_else(|| ":memory:".into())
    }

    fn prepare(&mut self) -> Result<(), StoreError> {
        // First, so that every later statement waits for another process's lock instead of
        // failing (two CLIs, or the CLI and the desktop app, on one file).
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        // Then the schema version: reading it writes nothing, so a file this Quarry must not
        // change (written by a newer Quarry, or not a database at all) is refused untouched.
        let found = retry_busy(|| self.schema_version())?;
        refuse_newer(&self.error_path(), found)?;
        // WAL lets readers work while a run is written. The mode is stored in the file, so it
        // is switched once, when the file is new: asking again on every open takes a lock that
        // can fail at once while another process writes.
        // SQLite does not apply the busy timeout to a journal-mode change, so processes opening
        // a new file at the same moment retry it themselves.
        retry_busy(|| {
            let mode: String = self
                .conn
                .pragma_query_value(None, "journal_mode", |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                self.conn.pragma_update(None, "journal_mode", "WAL")?;
            }
            Ok(())
        })?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        self.conn.pragma_update(None, "foreign_keys", "ON")?;
        retry_busy(|| self.migrate())?;
        self.mark_interrupted()?;
        Ok(())
    }

    /// Runs `f` in a transaction that holds the write lock from its start, and commits it.
    /// A deferred transaction would start as a reader and could fail at once, without waiting,
    /// when another process wrote in between (a stale WAL snapshot): two CLIs, or the CLI and
    /// the desktop app, share files. A lock held elsewhere for longer than the busy timeout
    /// becomes [`StoreError::Busy`]; a read-only file [`StoreError::ReadOnly`].
    pub(crate) fn writing<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let path = self.error_path();
        let start = Instant::now();
        let run = || {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        };
        run().map_err(|e: StoreError| e.at(&path, start.elapsed()))
    }

    /// A single integer from `sql` (counts and checks in tests and tools).
    pub fn query_i64(&self, sql: &str) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(sql, [], |r| r.get(0))?)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let supported = MIGRATIONS.last().map_or(0, |m| m.0);
        if self.schema_version()? == supported {
            return Ok(());
        }
        // IMMEDIATE takes the write lock up front; another process migrating the same new
        // file at the same moment waits, then finds the work done.
        let path = self.error_path();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        refuse_newer(&path, found)?;
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
            tx.execute_batch(sql)?;
            if *version == 4 {
                move_look_alikes_out(&tx)?;
            }
            tx.pragma_update(None, "user_version", version)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Runs still marked running whose process is gone become `interrupted` (kept, with every
    /// event they recorded). Runs of live processes are left alone.
    pub fn mark_interrupted(&mut self) -> Result<usize, StoreError> {
        let running: Vec<(i64, Option<i64>, Option<i64>)> = self
            .conn
            .prepare("SELECT id, owner_pid, owner_start FROM runs WHERE status = 'running'")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let dead: Vec<i64> = running
            .into_iter()
            .filter(|(_, pid, start)| {
                !pid.is_some_and(|p| crate::owner::alive(p as u32, start.map(|s| s as u64)))
            })
            .map(|(id, _, _)| id)
            .collect();
        if dead.is_empty() {
            return Ok(0);
        }
        self.writing(|tx| {
            let mut marked = 0;
            for id in dead {
                marked += tx.execute(
                    "UPDATE runs SET status = 'interrupted',
                         finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
                         error_code = 'interrupted',
                         error_message = 'the process recording this run ended before it finished'
                     WHERE id = ?1 AND status = 'running'",
                    [id],
                )?;
            }
            Ok(marked)
        })
    }
}

fn refuse_newer(path: &Path, found: i64) -> Result<(), StoreError> {
    let supported = MIGRATIONS.last().map_or(0, |m| m.0);
    if found > supported {
        return Err(StoreError::NewerDatabase {
            path: path.to_path_buf(),
            found,
            supported,
        });
    }
    Ok(())
}

/// Rows written before migration 4 may hold text that looks like a payload marker (a provider
/// can answer anything). Stored again through [`Payloads`], such strings become payloads
/// themselves, so that every marker-looking string in the database is one Quarry wrote.
fn move_look_alikes_out(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let payloads = Payloads::new(tx);
    for (table, key, column) in [
        ("events", "id", "body"),
        ("runs", "id", "spec"),
        ("results", "run_id", "value"),
        ("prompt_versions", "id", "messages"),
    ] {
        // A backslash is an ordinary character in SQL text: this is the escaped U+0000.
        let rows: Vec<(i64, String)> = tx
            .prepare(&format!(
                "SELECT {key}, {column} FROM {table} WHERE instr({column}, '\\u0000qp:') > 0"
            ))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (k, text) in rows {
            let stored = payloads.json_text(text)?;
            tx.execute(
                &format!("UPDATE {table} SET {column} = ?2 WHERE {key} = ?1"),
                rusqlite::params![k, stored],
            )?;
        }
    }
    // Plain-text columns: a look-alike is text that starts with U+0000 `qp:` (compared as
    // bytes: SQLite's text functions stop at U+0000).
    let starts = |c: &str| format!("substr(CAST({c} AS BLOB), 1, 4) = X'0071703A'");
    let rows: Vec<(i64, String)> = tx
        .prepare(&format!(
            "SELECT id, body FROM schema_versions WHERE {}",
            starts("body")
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, body) in rows {
        tx.execute(
            "UPDATE schema_versions SET body = ?2 WHERE id = ?1",
            rusqlite::params![id, payloads.text(&body)?],
        )?;
    }
    type Attempt = (i64, i64, Option<String>, Option<String>);
    let rows: Vec<Attempt> = tx
        .prepare(&format!(
            "SELECT run_id, number, raw, error FROM attempts WHERE {} OR {}",
            starts("raw"),
            starts("error")
        ))?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (run, number, raw, error) in rows {
        let text = |t: Option<String>| t.map(|t| payloads.text(&t)).transpose();
        tx.execute(
            "UPDATE attempts SET raw = ?3, error = ?4 WHERE run_id = ?1 AND number = ?2",
            rusqlite::params![run, number, text(raw)?, text(error)?],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LATEST: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

    /// The files SQLite keeps beside a database, that exist.
    fn companions(path: &Path) -> Vec<String> {
        ["-wal", "-shm", "-journal"]
            .iter()
            .map(|s| format!("{}{s}", path.display()))
            .filter(|p| Path::new(p).exists())
            .collect()
    }

    #[test]
    fn migrates_an_empty_file_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/q.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), LATEST);
        drop(store);
        assert_eq!(
            Store::open(&path).unwrap().schema_version().unwrap(),
            LATEST
        );
        let mode: String = Store::open(&path)
            .unwrap()
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_database_from_a_newer_quarry_is_refused_before_the_file_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;")
                .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        assert_eq!(before[18], 1, "a rollback-journal file to begin with");
        let err = Store::open(&path).err().unwrap();
        assert!(matches!(
            err,
            StoreError::NewerDatabase {
                found: 99,
                supported: LATEST,
                ..
            }
        ));
        assert!(
            err.to_string().contains("written by a newer Quarry"),
            "{err}"
        );
        assert!(err.hint().contains("upgrade Quarry"));
        assert_eq!(std::fs::read(&path).unwrap(), before, "the bytes changed");
        assert!(companions(&path).is_empty(), "{:?}", companions(&path));
        let mode: String = Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_by_name_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, "Shopping: eggs, flour, milk.\n".repeat(40)).unwrap();
        let before = std::fs::read(&path).unwrap();
        let err = Store::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
        assert_eq!(err.code(), "store_not_a_database");
        let message = err.to_string();
        assert!(
            message.contains("notes.txt") && message.contains("not an SQLite database"),
            "{message}"
        );
        assert!(
            err.hint().contains("another run-history file"),
            "{}",
            err.hint()
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(companions(&path).is_empty(), "{:?}", companions(&path));
    }

    #[test]
    fn an_empty_file_becomes_a_new_history() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        std::fs::write(&path, "").unwrap();
        assert_eq!(
            Store::open(&path).unwrap().schema_version().unwrap(),
            LATEST
        );
    }

    #[test]
    fn a_folder_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let err = Store::open(dir.path()).err().unwrap();
        assert!(matches!(err, StoreError::IsADirectory { .. }), "{err:?}");
        assert_eq!(err.code(), "store_is_a_directory");
        assert!(err.to_string().contains("is a folder"), "{err}");
        assert!(err.hint().contains("quarry.db"), "{}", err.hint());
    }

    #[test]
    fn processes_opening_a_new_file_at_once_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Store::open(&path).map(|s| s.schema_version().unwrap()))
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap().unwrap(), LATEST);
        }
    }

    #[test]
    fn in_memory_works() {
        assert_eq!(
            Store::open_in_memory().unwrap().schema_version().unwrap(),
            LATEST
        );
    }
}
