//! Opening a database: pragmas, migrations, and marking runs whose writer died.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use crate::error::StoreError;

/// Ordered, embedded migrations; the database's `user_version` is the last one applied.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_search.sql")),
    (3, include_str!("../migrations/0003_cost.sql")),
];

/// Runs `f` again while SQLite reports the database busy or locked, for up to 10 s.
fn retry_busy<T>(mut f: impl FnMut() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let start = std::time::Instant::now();
    loop {
        match f() {
            Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && start.elapsed() < Duration::from_secs(10) =>
            {
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
    /// transaction, and marks runs whose writing process is gone as interrupted.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path)?;
        let mut store = Store {
            conn,
            path: Some(path.to_path_buf()),
        };
        store.prepare()?;
        Ok(store)
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

    fn prepare(&mut self) -> Result<(), StoreError> {
        // First, so that every later statement waits for another process's lock instead of
        // failing (two CLIs, or the CLI and the desktop app, on one file).
        self.conn.busy_timeout(Duration::from_secs(10))?;
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

    /// A write transaction that holds the write lock from its start. A deferred one would
    /// start as a reader and could fail at once, without waiting, when another process wrote
    /// in between (a stale WAL snapshot): two CLIs, or the CLI and the desktop app, share files.
    pub(crate) fn write(&mut self) -> Result<rusqlite::Transaction<'_>, StoreError> {
        Ok(self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
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
        let found = self.schema_version()?;
        if found > supported {
            return Err(StoreError::NewerDatabase {
                path: self.path.clone().unwrap_or_else(|| ":memory:".into()),
                found,
                supported,
            });
        }
        if found == supported {
            return Ok(());
        }
        // IMMEDIATE takes the write lock up front; another process migrating the same new
        // file at the same moment waits, then finds the work done.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let found: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
            tx.execute_batch(sql)?;
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
        let tx = self.write()?;
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
        tx.commit()?;
        Ok(marked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_an_empty_file_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/q.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), 3);
        drop(store);
        assert_eq!(Store::open(&path).unwrap().schema_version().unwrap(), 3);
        let mode: String = Store::open(&path)
            .unwrap()
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn refuses_a_database_from_a_newer_quarry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        drop(Store::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = Store::open(&path).err().unwrap();
        assert!(matches!(
            err,
            StoreError::NewerDatabase {
                found: 99,
                supported: 3,
                ..
            }
        ));
        assert!(
            err.to_string().contains("written by a newer Quarry"),
            "{err}"
        );
        assert!(err.hint().contains("upgrade Quarry"));
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
            assert_eq!(t.join().unwrap().unwrap(), 3);
        }
    }

    #[test]
    fn in_memory_works() {
        assert_eq!(
            Store::open_in_memory().unwrap().schema_version().unwrap(),
            3
        );
    }
}
