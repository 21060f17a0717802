//! Export: results as JSON, JSON Lines or CSV (nested objects flattened to dotted columns;
//! arrays JSON-encoded, or one of them exploded into rows), and whole runs as archives another
//! Quarry imports.

use std::io::Write;

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::db::Store;
use crate::error::StoreError;
use crate::payload::{Payloads, load_json, load_text};
use crate::runs::{AttemptRow, Body, EventRow, RunId, RunStatus, searchable};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One result as its JSON; several as an array of `{run_id, result}`.
    Json,
    /// One `{"run_id": …, "result": …}` per line.
    Jsonl,
    /// A `run_id` column and one column per (dotted) field.
    Csv,
}

/// Flattens `value` into `(dotted key, cell)` pairs: objects recurse, arrays and scalars are
/// cells (arrays JSON-encoded).
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

/// The rows one result becomes: one, or one per element of the array at `explode`.
fn rows(result: &Value, explode: Option<&str>) -> Vec<Vec<(String, Value)>> {
    let target = explode.and_then(|path| {
        let pointer = format!("/{}", path.replace('.', "/"));
        result
            .pointer(&pointer)
            .and_then(Value::as_array)
            .map(|a| (path, pointer, a))
    });
    let Some((path, pointer, items)) = target else {
        let mut row = Vec::new();
        flatten("", result, &mut row);
        return vec![row];
    };
    let mut rest = result.clone();
    if let Some(slot) = rest.pointer_mut(&pointer) {
        *slot = Value::Null;
    }
    let mut base = Vec::new();
    flatten("", &rest, &mut base);
    base.retain(|(k, _)| k != path);
    if items.is_empty() {
        return vec![base];
    }
    items
        .iter()
        .map(|item| {
            let mut row = base.clone();
            flatten(path, item, &mut row);
            row
        })
        .collect()
}

/// The dotted fields of `value` that hold arrays (through objects, not into arrays), added to
/// `out` in order of first appearance.
fn array_fields(prefix: &str, value: &Value, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (k, v) in map {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if v.is_array() {
                if !out.contains(&key) {
                    out.push(key);
                }
            } else {
                array_fields(&key, v, out);
            }
        }
    }
}

/// Refuses to explode `field` when no result has an array there: the export would silently
/// be the same as without it. The error lists the array fields the results do have.
fn check_explode(field: &str, results: &[(RunId, Value)]) -> Result<(), StoreError> {
    let pointer = format!("/{}", field.replace('.', "/"));
    if results.is_empty()
        || results
            .iter()
            .any(|(_, v)| v.pointer(&pointer).is_some_and(Value::is_array))
    {
        return Ok(());
    }
    let mut arrays = Vec::new();
    for (_, v) in results {
        array_fields("", v, &mut arrays);
    }
    Err(StoreError::NoSuchArray {
        field: field.to_string(),
        arrays,
    })
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Store {
    /// The results of `runs` (runs without a result are skipped), in the order given.
    fn results(&self, runs: &[RunId]) -> Result<Vec<(RunId, Value)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT value FROM results WHERE run_id = ?1")?;
        let mut out = Vec::with_capacity(runs.len());
        for &id in runs {
            let text: Option<String> = stmt.query_row([id], |r| r.get(0)).optional()?;
            if let Some(text) = text {
                out.push((id, load_json(&self.conn, &text)?));
            }
        }
        Ok(out)
    }

    /// Ids of every run that has a result, oldest first.
    pub fn runs_with_results(&self) -> Result<Vec<RunId>, StoreError> {
        let ids = self
            .conn
            .prepare("SELECT run_id FROM results ORDER BY run_id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<RunId>, _>>()?;
        Ok(ids)
    }

    /// Writes the results of `runs` to `out`; returns how many rows were written.
    /// `progress(done, total)` is called as runs are written. With CSV, `explode` names an
    /// array field to write one row per element of; a field no result has as an array is
    /// [`StoreError::NoSuchArray`].
    pub fn export_results(
        &self,
        runs: &[RunId],
        format: ExportFormat,
        explode: Option<&str>,
        out: &mut dyn Write,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<u64, StoreError> {
        let results = self.results(runs)?;
        let total = results.len();
        let mut written = 0u64;
        match format {
            ExportFormat::Json => {
                let value = match results.as_slice() {
                    [(_, one)] => one.clone(),
                    many => Value::Array(
                        many.iter()
                            .map(|(id, v)| serde_json::json!({"run_id": id, "result": v}))
                            .collect(),
                    ),
                };
                serde_json::to_writer_pretty(&mut *out, &value)?;
                writeln!(out)?;
                written = total as u64;
                progress(total, total);
            }
            ExportFormat::Jsonl => {
                for (i, (id, v)) in results.iter().enumerate() {
                    serde_json::to_writer(
                        &mut *out,
                        &serde_json::json!({"run_id": id, "result": v}),
                    )?;
                    writeln!(out)?;
                    written += 1;
                    progress(i + 1, total);
                }
            }
            ExportFormat::Csv => {
                if let Some(field) = explode {
                    check_explode(field, &results)?;
                }
                // Columns are the union of every row's fields, in order of first appearance.
                let mut columns: Vec<String> = Vec::new();
                let mut seen = std::collections::HashSet::new();
                let mut all = Vec::with_capacity(total);
                for (id, v) in &results {
                    for row in rows(v, explode) {
                        for (k, _) in &row {
                            if seen.insert(k.clone()) {
                                columns.push(k.clone());
                            }
                        }
                        all.push((*id, row));
                    }
                }
                let mut w = csv::Writer::from_writer(&mut *out);
                let mut header = vec!["run_id".to_string()];
                header.extend(columns.iter().cloned());
                w.write_record(&header).map_err(std::io::Error::from)?;
                let index: std::collections::HashMap<&str, usize> = columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.as_str(), i))
                    .collect();
                let mut last_id = None;
                let mut done = 0;
                for (id, row) in &all {
                    let mut record = vec![String::new(); columns.len() + 1];
                    record[0] = id.to_string();
                    for (k, v) in row {
                        record[index[k.as_str()] + 1] = cell(v);
                    }
                    w.write_record(&record).map_err(std::io::Error::from)?;
                    written += 1;
                    if last_id != Some(*id) {
                        last_id = Some(*id);
                        done += 1;
                        progress(done, total);
                    }
                }
                w.flush()?;
            }
        }
        Ok(written)
    }
}

/// A whole run, as a file another Quarry imports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct RunArchive {
    /// Always `quarry-run`.
    pub format: String,
    pub version: u32,
    pub status: RunStatus,
    pub provider: String,
    pub model: String,
    pub mode: Option<String>,
    pub stream: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub schema_name: String,
    pub schema_body: String,
    pub prompt_name: String,
    pub messages: Value,
    pub spec: Value,
    pub attempts: Vec<AttemptArchive>,
    pub events: Vec<EventArchive>,
    pub result: Option<Value>,
    pub summary: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct AttemptArchive {
    pub number: u32,
    pub latency_ms: Option<f64>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    pub error: Option<String>,
    pub raw: Option<String>,
    #[serde(default)]
    pub cost_usd: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct EventArchive {
    pub seq: u64,
    #[serde(rename = "type")]
    pub kind: String,
    pub t_ms: f64,
    pub body: Value,
}

const ARCHIVE_FORMAT: &str = "quarry-run";
const ARCHIVE_VERSION: u32 = 1;

impl Store {
    pub fn export_run(&self, id: RunId) -> Result<RunArchive, StoreError> {
        let detail = self.show_run(id)?;
        let (stream, schema_name, schema_body, prompt_name, messages): (
            Option<String>,
            String,
            String,
            String,
            String,
        ) = self.conn.query_row(
            "SELECT r.stream, s.name, sv.body, p.name, pv.messages FROM runs r
             JOIN schema_versions sv ON sv.id = r.schema_version_id
             JOIN schemas s ON s.id = sv.schema_id
             JOIN prompt_versions pv ON pv.id = r.prompt_version_id
             JOIN prompts p ON p.id = pv.prompt_id
             WHERE r.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        let s = &detail.summary;
        Ok(RunArchive {
            format: ARCHIVE_FORMAT.into(),
            version: ARCHIVE_VERSION,
            status: s.status,
            provider: s.provider.clone(),
            model: s.model.clone(),
            mode: s.mode.clone(),
            stream,
            created_at: s.created_at.clone(),
            finished_at: s.finished_at.clone(),
            schema_name,
            schema_body: load_text(&self.conn, schema_body)?,
            prompt_name,
            messages: load_json(&self.conn, &messages)?,
            spec: detail.spec.clone(),
            attempts: detail.attempts.iter().map(attempt_archive).collect(),
            events: detail.events.iter().map(event_archive).collect(),
            result: detail.result.clone(),
            summary: serde_json::json!({
                "attempts": s.attempts, "usage": s.usage, "latency_ms": s.latency_ms,
                "error_code": s.error_code, "error_message": s.error_message, "cost_usd": s.cost_usd,
            }),
        })
    }

    /// Adds an exported run as a new run (a new id; a run that was still running when it was
    /// exported comes in as interrupted). Archives carry plain JSON; large values are stored
    /// once here as when recording.
    pub fn import_run(&mut self, archive: &RunArchive) -> Result<RunId, StoreError> {
        if archive.format != ARCHIVE_FORMAT || archive.version > ARCHIVE_VERSION {
            return Err(StoreError::NotAnArchive(format!(
                "format `{}` version {}; this Quarry reads `{ARCHIVE_FORMAT}` up to version {ARCHIVE_VERSION}",
                archive.format, archive.version
            )));
        }
        self.writing(|tx| insert_archive(tx, archive))
    }
}

fn insert_archive(tx: &Transaction<'_>, archive: &RunArchive) -> Result<RunId, StoreError> {
    let payloads = Payloads::new(tx);
    let status = match archive.status {
        RunStatus::Running => RunStatus::Interrupted,
        other => other,
    };
    let sum = &archive.summary;
    let n = |k: &str| sum.pointer(k).and_then(Value::as_i64);
    tx.execute(
        "INSERT OR IGNORE INTO projects (name, created_at)
         VALUES ('default', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        [],
    )?;
    let project: i64 = tx.query_row("SELECT id FROM projects WHERE name = 'default'", [], |r| {
        r.get(0)
    })?;
    let schema = crate::runs::named(tx, "schemas", project, &archive.schema_name)?;
    let schema_version = crate::runs::version(
        tx,
        "schema_versions",
        "schema_id",
        "body",
        schema,
        Body {
            stored: &payloads.text(&archive.schema_body)?,
            original: &archive.schema_body,
        },
    )?;
    let prompt = crate::runs::named(tx, "prompts", project, &archive.prompt_name)?;
    let prompt_version = crate::runs::version(
        tx,
        "prompt_versions",
        "prompt_id",
        "messages",
        prompt,
        Body {
            stored: &payloads.json(&archive.messages)?,
            original: &serde_json::to_string(&archive.messages)?,
        },
    )?;
    tx.execute(
        "INSERT INTO runs (project_id, schema_version_id, prompt_version_id, provider, model, mode,
             spec, stream, status, created_at, finished_at, latency_ms, attempts, prompt_tokens,
             completion_tokens, total_tokens, cached_tokens, reasoning_tokens, error_code, error_message,
             cost_usd)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
        params![
            project,
            schema_version,
            prompt_version,
            archive.provider,
            archive.model,
            archive.mode,
            payloads.json(&archive.spec)?,
            archive.stream,
            status.as_str(),
            archive.created_at,
            archive.finished_at,
            sum.pointer("/latency_ms").and_then(Value::as_f64),
            n("/attempts").unwrap_or(0),
            n("/usage/prompt_tokens").unwrap_or(0),
            n("/usage/completion_tokens").unwrap_or(0),
            n("/usage/total_tokens").unwrap_or(0),
            n("/usage/cached_tokens"),
            n("/usage/reasoning_tokens"),
            sum.pointer("/error_code").and_then(Value::as_str),
            sum.pointer("/error_message").and_then(Value::as_str),
            sum.pointer("/cost_usd").and_then(Value::as_f64),
        ],
    )?;
    let id = tx.last_insert_rowid();
    let text = |t: &Option<String>| t.as_deref().map(|t| payloads.text(t)).transpose();
    for a in &archive.attempts {
        tx.execute(
            "INSERT INTO attempts (run_id, number, latency_ms, prompt_tokens, completion_tokens, total_tokens, error, raw, cost_usd)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![id, a.number, a.latency_ms, a.prompt_tokens as i64, a.completion_tokens as i64,
                    a.total_tokens as i64, text(&a.error)?, text(&a.raw)?, a.cost_usd],
        )?;
    }
    let bodies = payloads.events(
        &mut None,
        archive
            .events
            .iter()
            .map(|e| (e.seq, &e.body, e.kind == "partial")),
    )?;
    for (e, body) in archive.events.iter().zip(bodies) {
        tx.execute(
            "INSERT INTO events (run_id, seq, type, t_ms, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, e.seq as i64, e.kind, e.t_ms, body],
        )?;
    }
    if let Some(result) = &archive.result {
        tx.execute(
            "INSERT INTO results (run_id, value) VALUES (?1, ?2)",
            params![id, payloads.json(result)?],
        )?;
    }
    let prompt_text: Vec<String> = archive
        .messages
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|m| {
            m.get("content")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|p| p.get("text").and_then(Value::as_str).map(str::to_string))
        .collect();
    let variables: Vec<String> = archive
        .spec
        .get("context")
        .and_then(Value::as_object)
        .map(|m: &Map<String, Value>| m.iter().map(|(k, v)| format!("{k}: {}", cell(v))).collect())
        .unwrap_or_default();
    let result = archive
        .result
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?
        .map(searchable);
    tx.execute(
        "INSERT INTO run_search (rowid, prompt, variables, result, error) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            id,
            searchable(prompt_text.join("\n")),
            searchable(variables.join("\n")),
            result,
            sum.pointer("/error_message")
                .and_then(Value::as_str)
                .map(|e| searchable(e.to_string()))
        ],
    )?;
    Ok(id)
}

fn attempt_archive(a: &AttemptRow) -> AttemptArchive {
    AttemptArchive {
        number: a.number,
        latency_ms: a.latency_ms,
        prompt_tokens: a.usage.prompt_tokens,
        completion_tokens: a.usage.completion_tokens,
        total_tokens: a.usage.total_tokens,
        error: a.error.clone(),
        raw: a.raw.clone(),
        cost_usd: a.cost_usd,
    }
}

fn event_archive(e: &EventRow) -> EventArchive {
    EventArchive {
        seq: e.seq,
        kind: e.kind.clone(),
        t_ms: e.t_ms,
        body: e.body.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattening_and_exploding() {
        let v = json!({"id": 7, "seller": {"name": "N", "vat": null}, "items": [{"d": "a", "q": 1}, {"d": "b", "q": 2}], "tags": ["x"]});
        let one = rows(&v, None);
        assert_eq!(one.len(), 1);
        let keys: Vec<&str> = one[0].iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["id", "seller.name", "seller.vat", "items", "tags"]);
        assert_eq!(cell(&one[0][3].1), r#"[{"d":"a","q":1},{"d":"b","q":2}]"#);
        let exploded = rows(&v, Some("items"));
        assert_eq!(exploded.len(), 2);
        let second: Vec<(String, String)> = exploded[1]
            .iter()
            .map(|(k, v)| (k.clone(), cell(v)))
            .collect();
        assert!(second.contains(&("items.d".into(), "b".into())));
        assert!(second.contains(&("seller.name".into(), "N".into())));
        assert!(!second.iter().any(|(k, _)| k == "items"));
    }
}
