use std::path::PathBuf;

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
            StoreError::Folder { .. } => "store_folder",
            StoreError::Json(_) => "store_json",
            StoreError::NoSuchRun(_) => "no_such_run",
            StoreError::Io(_) => "store_io",
            StoreError::NotAnArchive(_) => "not_an_archive",
            StoreError::Invalid(_) => "invalid",
            StoreError::NotFound(_) => "not_found",
        }
    }

    pub fn hint(&self) -> String {
        match self {
            StoreError::NewerDatabase { .. } => {
                "upgrade Quarry, or point --db (QUARRY_DB) at another file".into()
            }
            StoreError::Folder { .. } => "check the folder's permissions, or pass --db PATH".into(),
            StoreError::NoSuchRun(_) => "list runs with `quarry runs list`".into(),
            StoreError::Io(_) => "check the output path and free space".into(),
            StoreError::Invalid(_) => "correct the text and save again".into(),
            StoreError::NotFound(_) => "check the name and version".into(),
            StoreError::NotAnArchive(_) => {
                "import a file written by `quarry runs export ID --format run`".into()
            }
            StoreError::Sqlite(_) | StoreError::Json(_) => {
                "the database may be damaged or locked; try again, or pass --db PATH for a new one"
                    .into()
            }
        }
    }
}
