//! Compacting the history: deleting runs leaves the large values they stored (payloads and
//! their chunks, shared between runs and so not deleted with any one of them); compacting
//! removes those no row uses any more and gives the space back to the file system.

use std::collections::HashSet;

use rusqlite::types::ValueRef;
use serde::Serialize;

use crate::db::Store;
use crate::error::StoreError;
use crate::payload::{damaged, decompress, event_text};

/// What [`Store::compact`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Compacted {
    /// Stored values (payloads) no run, schema or prompt used any more, removed.
    pub payloads_removed: u64,
    /// Their chunks no remaining value shares.
    pub chunks_removed: u64,
    /// The database's size before and after, in bytes.
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// Tables that hold no markers of their own: the payload store itself, SQLite's and the search
/// index's (its text is a copy of what the runs hold).
fn scanned(table: &str) -> bool {
    !(table == "payloads"
        || table == "chunks"
        || table.starts_with("sqlite_")
        || table.starts_with("run_search"))
}

/// The payload hashes `text` names: every `qp:s:` or `qp:j:` followed by 64 hex digits. A
/// look-alike that is no marker only keeps a value that could have gone, never the reverse.
fn markers(text: &str, found: &mut Vec<Vec<u8>>) {
    for (at, _) in text.match_indices("qp:") {
        let rest = &text.as_bytes()[at + 3..];
        if rest.len() < 66 || !(rest[0] == b's' || rest[0] == b'j') || rest[1] != b':' {
            continue;
        }
        let hex = &rest[2..66];
        if let Some(hash) = unhex(hex) {
            found.push(hash);
        }
    }
}

fn unhex(hex: &[u8]) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    hex.chunks_exact(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

impl Store {
    /// Removes the payloads and chunks nothing refers to any more, then shrinks the file
    /// (`VACUUM`). Holds the write lock while it looks, so nothing is added meanwhile; other
    /// writers wait (up to the busy timeout), readers go on.
    pub fn compact(&mut self) -> Result<Compacted, StoreError> {
        let bytes_before = self.size()?;
        let (payloads_removed, chunks_removed) = self.writing(|tx| {
            // Mark: every marker in every row, then in the JSON of each payload marked.
            let mut found = Vec::new();
            let tables: Vec<String> = tx
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for table in tables.iter().filter(|t| scanned(t)) {
                if table == "events" {
                    // Bodies may be compressed against the run's event before them.
                    let mut rows =
                        tx.prepare("SELECT run_id, body FROM events ORDER BY run_id, seq")?;
                    let mut rows = rows.query([])?;
                    let mut previous: Option<(i64, String)> = None;
                    while let Some(row) = rows.next()? {
                        let run: i64 = row.get(0)?;
                        let before = previous
                            .as_ref()
                            .filter(|(r, _)| *r == run)
                            .map(|(_, t)| t.as_str());
                        let text = event_text(tx, row.get_ref(1)?, before)?;
                        markers(&text, &mut found);
                        previous = Some((run, text));
                    }
                    continue;
                }
                let mut stmt =
                    tx.prepare(&format!("SELECT * FROM \"{}\"", table.replace('"', "\"\"")))?;
                let columns = stmt.column_count();
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    for i in 0..columns {
                        match row.get_ref(i)? {
                            ValueRef::Text(t) | ValueRef::Blob(t) => {
                                markers(&String::from_utf8_lossy(t), &mut found)
                            }
                            _ => {}
                        }
                    }
                }
            }
            let mut marked: HashSet<Vec<u8>> = HashSet::new();
            let mut read = tx.prepare("SELECT size, chunks FROM payloads WHERE hash = ?1")?;
            let mut chunk = tx.prepare("SELECT zstd, data FROM chunks WHERE id = ?1")?;
            while let Some(hash) = found.pop() {
                if !marked.insert(hash.clone()) {
                    continue;
                }
                // A payload's own markers (a tree holding large strings) are in its bytes.
                let Some((_, ids)) = read
                    .query_row([&hash], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
                    })
                    .map(Some)
                    .or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        e => Err(e),
                    })?
                else {
                    continue;
                };
                let mut bytes = Vec::new();
                for id in ids.chunks_exact(8) {
                    let id = i64::from_le_bytes(id.try_into().unwrap_or_default());
                    let part = chunk.query_row([id], |r| {
                        Ok((r.get::<_, bool>(0)?, r.get::<_, Vec<u8>>(1)?))
                    });
                    match part {
                        // A chunk that cannot be read stops the compaction: what it names
                        // cannot be told, so nothing is removed.
                        Ok((true, data)) => bytes.extend(
                            decompress(&data, None)
                                .map_err(|e| damaged(tx, format!("chunk {id}: {e}")))?,
                        ),
                        Ok((false, data)) => bytes.extend(data),
                        Err(rusqlite::Error::QueryReturnedNoRows) => {
                            return Err(damaged(tx, format!("chunk {id} is missing")));
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                markers(&String::from_utf8_lossy(&bytes), &mut found);
            }
            // Sweep: unmarked payloads, then chunks no remaining payload lists.
            let all: Vec<(i64, Vec<u8>)> = tx
                .prepare("SELECT id, hash FROM payloads")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let mut payloads_removed = 0;
            let mut delete = tx.prepare("DELETE FROM payloads WHERE id = ?1")?;
            for (id, hash) in all {
                if !marked.contains(&hash) {
                    payloads_removed += delete.execute([id])? as u64;
                }
            }
            let mut used: HashSet<i64> = HashSet::new();
            let mut lists = tx.prepare("SELECT chunks FROM payloads")?;
            let mut lists = lists.query([])?;
            while let Some(row) = lists.next()? {
                let ids: Vec<u8> = row.get(0)?;
                used.extend(
                    ids.chunks_exact(8)
                        .map(|id| i64::from_le_bytes(id.try_into().unwrap_or_default())),
                );
            }
            let chunk_ids: Vec<i64> = tx
                .prepare("SELECT id FROM chunks")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut chunks_removed = 0;
            let mut delete = tx.prepare("DELETE FROM chunks WHERE id = ?1")?;
            for id in chunk_ids.into_iter().filter(|id| !used.contains(id)) {
                chunks_removed += delete.execute([id])? as u64;
            }
            Ok((payloads_removed, chunks_removed))
        })?;
        // The freed pages go back to the file system; the WAL is folded in first so the file
        // shows its real size.
        self.conn
            .execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(|e| StoreError::from(e).at(&self.error_path(), std::time::Duration::ZERO))?;
        Ok(Compacted {
            payloads_removed,
            chunks_removed,
            bytes_before,
            bytes_after: self.size()?,
        })
    }

    /// The database's size in bytes (its pages, and what its write-ahead log holds).
    fn size(&self) -> Result<u64, StoreError> {
        let pages: i64 = self
            .conn
            .pragma_query_value(None, "page_count", |r| r.get(0))?;
        let page_size: i64 = self
            .conn
            .pragma_query_value(None, "page_size", |r| r.get(0))?;
        let wal = self
            .path()
            .and_then(|p| std::fs::metadata(format!("{}-wal", p.display())).ok())
            .map_or(0, |m| m.len());
        Ok((pages * page_size) as u64 + wal)
    }
}
