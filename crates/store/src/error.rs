use std::path::PathBuf;
use std::time::Duration;

use crate::runs::RunId;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error(
        "{} was written by a newer Quarry (schema version {found}; this one knows up to {supported})",
        path.display()
    )]
    NewerDatabase {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error("{} is not a Quarry run history: it is not an SQLite database", path.display())]
    NotADatabase { path: PathBuf },

    #[error("{} is a folder, not a run-history file", path.display())]
    IsADirectory { path: PathBuf },

    #[error("the run history {} cannot be written: the file or its folder is read-only", path.display())]
    ReadOnly { path: PathBuf },

    #[error("cannot open the run history {}: {source}", path.display())]
    CannotOpen {
        path: PathBuf,
        source: rusqlite::Error,
    },

    #[error("the run history {} is damaged: {detail}", path.display())]
    Damaged { path: PathBuf, detail: String },

    /// Another connection held the write lock for longer than this one would wait.
    #[error(
        "the run history {} stayed locked by another process for {:.1} s",
        path.display(),
        waited.as_secs_f64()
    )]
    Busy { path: PathBuf, waited: Duration },

    /// The recorder gave up: `events` events of `run` are not in the history (the run's own
    /// result is unaffected; the run stays `running` until its process ends, then
    /// `interrupted`).
    #[error("{events} event(s) of run {run} were not recorded: {source}")]
    NotRecorded {
        run: RunId,
        events: usize,
        source: Box<StoreError>,
    },

    /// The recorder's thread panicked; what it had not committed is lost.
    #[error("the recorder of run {run} stopped unexpectedly: {message}")]
    RecorderPanicked { run: RunId, message: String },

    #[error("cannot create the database folder {}: {source}", path.display())]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("stored JSON is unreadable: {0}")]
    Json(#[from] serde_json::Error),

    #[error("no run {0}")]
    NoSuchRun(i64),

    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),

    #[error("not a Quarry run archive: {0}")]
    NotAnArchive(String),

    /// `--explode FIELD` where no exported result has an array at FIELD.
    #[error("no exported result has an array at `{field}`{}", match arrays.as_slice() {
        [] => " (they have no array fields)".to_string(),
        some => format!("; array fields: {}", some.join(", ")),
    })]
    NoSuchArray { field: String, arrays: Vec<String> },

    #[error("{0}")]
    Invalid(String),

    #[error("{0}")]
    NotFound(String),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Sqlite(_) => "store_sqlite",
            StoreError::NewerDatabase { .. } => "store_newer_database",
            StoreError::NotADatabase { .. } => "store_not_a_database",
            StoreError::IsADirectory { .. } => "store_is_a_directory",
            StoreError::ReadOnly { .. } => "store_read_only",
            StoreError::CannotOpen { .. } => "store_cannot_open",
            StoreError::Damaged { .. } => "store_damaged",
            StoreError::Busy { .. } => "store_busy",
            StoreError::NotRecorded { .. } => "run_not_recorded",
            StoreError::RecorderPanicked { .. } => "store_recorder_panicked",
            StoreError::Folder { .. } => "store_folder",
            StoreError::Json(_) => "store_json",
            StoreError::NoSuchRun(_) => "no_such_run",
            StoreError::Io(_) => "store_io",
            StoreError::NotAnArchive(_) => "not_an_archive",
            StoreError::NoSuchArray { .. } => "export_no_such_array",
            StoreError::Invalid(_) => "invalid",
            StoreError::NotFound(_) => "not_found",
        }
    }

    /// True when another process's lock was the cause: the history can be written again once
    /// it lets go, and a run that ran meanwhile is simply not (fully) recorded.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Busy { .. } => true,
            StoreError::NotRecorded { source, .. } => source.is_busy(),
            _ => false,
        }
    }

    /// How to fix it, in words that name no front end (the CLI adds its flag, the UI its
    /// field: see [`StoreError::setting`]).
    pub fn hint(&self) -> String {
        match self {
            StoreError::NewerDatabase { .. } => {
                "upgrade Quarry, or use another run-history file".into()
            }
            StoreError::NotADatabase { .. } => {
                "Quarry left the file as it was; use another run-history file, or move this one away".into()
            }
            StoreError::IsADirectory { path } => format!(
                "give the path of a file, for example {}",
                path.join("quarry.db").display()
            ),
            StoreError::ReadOnly { path } => format!(
                "make {} and its folder writable (Quarry keeps -wal and -shm files beside it), or use a run-history file in a writable folder",
                path.display()
            ),
            StoreError::CannotOpen { .. } => {
                "check that the path and its folder exist and are readable, or use another run-history file"
                    .into()
            }
            StoreError::Damaged { .. } => {
                "restore the file from a backup (`sqlite3 FILE .recover` saves what is readable), or use a new run-history file".into()
            }
            StoreError::Busy { .. } => {
                "another Quarry, or a tool with the database open in a transaction, is writing to it; wait for it to finish, or record into another run-history file".into()
            }
            StoreError::NotRecorded { source, .. } => source.hint(),
            StoreError::RecorderPanicked { .. } => {
                "the run itself is not affected; please report this as a bug with the message above"
                    .into()
            }
            StoreError::Folder { .. } => {
                "check the folder's permissions, or use another run-history file".into()
            }
            StoreError::NoSuchRun(_) => "list the runs in the history to find its id".into(),
            StoreError::Io(_) => "check the output path and free space".into(),
            StoreError::Invalid(_) => "correct the text and save again".into(),
            StoreError::NotFound(_) => "check the name and version".into(),
            StoreError::NotAnArchive(_) => {
                "import a file Quarry exported as a run archive".into()
            }
            StoreError::NoSuchArray { arrays, .. } => match arrays.as_slice() {
                [] => "export without exploding a field".into(),
                [first, ..] => format!("explode one of the array fields, for example {first}"),
            },
            StoreError::Sqlite(_) | StoreError::Json(_) => {
                "the database may be damaged or locked; try again, or use a new run-history file"
                    .into()
            }
        }
    }

    /// Whether the run-history file itself is the problem (so the fix is another file: the
    /// CLI's `--db`, the app's data folder).
    pub fn is_about_the_file(&self) -> bool {
        match self {
            StoreError::NewerDatabase { .. }
            | StoreError::NotADatabase { .. }
            | StoreError::IsADirectory { .. }
            | StoreError::ReadOnly { .. }
            | StoreError::CannotOpen { .. }
            | StoreError::Damaged { .. }
            | StoreError::Busy { .. }
            | StoreError::Folder { .. }
            | StoreError::Sqlite(_) => true,
            StoreError::NotRecorded { source, .. } => source.is_about_the_file(),
            _ => false,
        }
    }

    /// The specific error for an SQLite failure on the file at `path`, after waiting `waited`
    /// for it: a lock, a read-only file, a file that is not a database, damage. Other errors
    /// are returned as they are.
    pub(crate) fn at(self, path: &std::path::Path, waited: Duration) -> StoreError {
        use rusqlite::ErrorCode as C;
        let StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, detail)) = &self else {
            return self;
        };
        let path = path.to_path_buf();
        match e.code {
            C::DatabaseBusy | C::DatabaseLocked => StoreError::Busy { path, waited },
            C::ReadOnly => StoreError::ReadOnly { path },
            C::NotADatabase => StoreError::NotADatabase { path },
            C::DatabaseCorrupt => StoreError::Damaged {
                path,
                detail: detail.clone().unwrap_or_else(|| e.to_string()),
            },
            C::CannotOpen | C::PermissionDenied if read_only(&path) => {
                StoreError::ReadOnly { path }
            }
            C::CannotOpen | C::PermissionDenied => match self {
                StoreError::Sqlite(source) => StoreError::CannotOpen { path, source },
                other => other,
            },
            _ => self,
        }
    }
}

/// Whether the file at `path`, or the folder it is in, cannot be written by this process
/// (SQLite needs both: it creates its -wal and -shm files beside the database). `access`
/// answers for this user, and also for a read-only mount.
fn read_only(path: &std::path::Path) -> bool {
    use nix::unistd::{AccessFlags, access};
    let denied = |p: &std::path::Path| access(p, AccessFlags::W_OK).is_err();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    (path.exists() && denied(path)) || denied(dir)
}
