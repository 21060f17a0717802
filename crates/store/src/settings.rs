//! App settings the workbench keeps in the history database (theme, …), one JSON value per key.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::db::Store;
use crate::error::StoreError;

impl Store {
    /// The setting `key`, if it was ever set (and still reads as a `T`).
    pub fn setting<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?;
        // A value this version cannot read (written by another version) counts as unset.
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    pub fn set_setting<T: Serialize>(&mut self, key: &str, value: &T) -> Result<(), StoreError> {
        let text = serde_json::to_string(value)?;
        self.writing(|tx| {
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = ?2",
                params![key, text],
            )?;
            Ok(())
        })
    }

    /// Forgets the setting `key` (reads as unset afterwards).
    pub fn clear_setting(&mut self, key: &str) -> Result<(), StoreError> {
        self.writing(|tx| {
            tx.execute("DELETE FROM settings WHERE key = ?1", [key])?;
            Ok(())
        })
    }

    /// A compact copy of the whole database at `target` (which must not exist), taken in one
    /// consistent read: runs being written meanwhile land in this database, not the copy.
    pub fn copy_to(&self, target: &std::path::Path) -> Result<(), StoreError> {
        let target_text = target.to_str().ok_or_else(|| {
            StoreError::Invalid(format!(
                "the folder {} has a name SQLite cannot take (not UTF-8)",
                target.display()
            ))
        })?;
        self.conn.execute("VACUUM INTO ?1", [target_text])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_unknown_values_read_as_unset() {
        let mut s = Store::open_in_memory().unwrap();
        assert_eq!(s.setting::<String>("theme").unwrap(), None);
        s.set_setting("theme", &"dark").unwrap();
        s.set_setting("theme", &"light").unwrap();
        assert_eq!(
            s.setting::<String>("theme").unwrap().as_deref(),
            Some("light")
        );
        assert_eq!(s.setting::<u32>("theme").unwrap(), None);
    }
}
