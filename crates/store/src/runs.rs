//! Runs: creating one with its versioned schema and prompt, and reading runs back.

use quarry_engine::{ExtractRequest, StreamKind, Usage};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::Store;
use crate::error::StoreError;
use crate::payload::{Payloads, event_text, load_json, load_text};

pub type RunId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> RunStatus {
        match s {
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "cancelled" => RunStatus::Cancelled,
            "interrupted" => RunStatus::Interrupted,
            _ => RunStatus::Running,
        }
    }
}

/// A search: words to find (all of them, in the prompt, variables, result or error) and
/// filters. Empty fields do not filter.
#[derive(Debug, Clone, Default, Deserialize, ts_rs::TS)]
#[serde(default)]
#[ts(optional_fields)]
pub struct SearchQuery {
    pub text: Option<String>,
    pub schema: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub status: Option<RunStatus>,
    /// ISO 8601 date or time, inclusive (`2026-11-01`).
    pub since: Option<String>,
    /// ISO 8601 date or time, exclusive.
    pub until: Option<String>,
    #[ts(as = "Option<_>", optional)]
    pub limit: u32,
    #[ts(as = "Option<_>", optional)]
    pub offset: u32,
}

/// Words as an FTS5 query: each word quoted (so punctuation and FTS operators in what a person
/// typed are just text), all required.
fn match_expression(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// What full-text search indexes of each field (prompt, variables, result, error): its first
/// 256 KiB. The index keeps its own copy of what it indexes and an index entry per word, which
/// for a long answer (or a base64 blob in one) costs more than the answer itself; words past
/// the first 256 KiB of a field are not found.
pub const SEARCH_FIELD_MAX: usize = 256 * 1024;

/// `text` cut to [`SEARCH_FIELD_MAX`] bytes, on a character boundary.
pub(crate) fn searchable(mut text: String) -> String {
    text.truncate(text.floor_char_boundary(SEARCH_FIELD_MAX));
    text
}

fn prompt_text(req: &ExtractRequest) -> String {
    searchable(
        req.messages
            .iter()
            .map(|m| m.text())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

fn variables_text(req: &ExtractRequest) -> String {
    searchable(
        req.context
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// What a new run is: the request as given (templates and variables, no key), and the
/// schema it extracts.
pub struct NewRun<'a> {
    pub project: &'a str,
    pub schema_name: &'a str,
    /// The schema's JSON text, as written.
    pub schema_body: &'a str,
    pub prompt_name: &'a str,
    pub request: &'a ExtractRequest,
    pub stream: Option<StreamKind>,
    /// The saved profile the request came from, if any (it must exist).
    pub profile: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct RunSummary {
    pub id: RunId,
    pub status: RunStatus,
    pub provider: String,
    pub model: String,
    pub mode: Option<String>,
    pub schema: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub latency_ms: Option<f64>,
    pub attempts: u32,
    pub usage: Usage,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Estimated from the price table when the run was recorded (no price known: none).
    pub cost_usd: Option<f64>,
    /// The saved profile the run was started from.
    pub profile: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct AttemptRow {
    pub number: u32,
    pub latency_ms: Option<f64>,
    pub usage: Usage,
    pub error: Option<String>,
    pub raw: Option<String>,
    pub cost_usd: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct EventRow {
    pub seq: u64,
    #[serde(rename = "type")]
    pub kind: String,
    pub t_ms: f64,
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct RunDetail {
    #[serde(flatten)]
    pub summary: RunSummary,
    /// `partial` or `iterable` for streamed runs.
    pub stream: Option<String>,
    pub spec: Value,
    pub schema_body: Value,
    /// Each attempt's cost, errors and raw answer (`attempts` is the count, in the summary).
    #[serde(rename = "attempt_details")]
    pub attempts: Vec<AttemptRow>,
    pub events: Vec<EventRow>,
    pub result: Option<Value>,
}

const SUMMARY_COLUMNS: &str = "r.id, r.status, r.provider, r.model, r.mode, s.name, r.created_at,
    r.finished_at, r.latency_ms, r.attempts, r.prompt_tokens, r.completion_tokens,
    r.total_tokens, r.cached_tokens, r.reasoning_tokens, r.error_code, r.error_message, r.cost_usd,
    (SELECT name FROM profiles WHERE id = r.profile_id)";

const SUMMARY_FROM: &str = "FROM runs r
    JOIN schema_versions sv ON sv.id = r.schema_version_id
    JOIN schemas s ON s.id = sv.schema_id";

/// SQLite integers are i64; token counts are never negative.
fn tokens(n: i64) -> u64 {
    n.max(0) as u64
}

fn summary(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunSummary> {
    let status: String = r.get(1)?;
    Ok(RunSummary {
        id: r.get(0)?,
        status: RunStatus::parse(&status),
        provider: r.get(2)?,
        model: r.get(3)?,
        mode: r.get(4)?,
        schema: r.get(5)?,
        created_at: r.get(6)?,
        finished_at: r.get(7)?,
        latency_ms: r.get(8)?,
        attempts: r.get(9)?,
        usage: Usage {
            prompt_tokens: tokens(r.get(10)?),
            completion_tokens: tokens(r.get(11)?),
            total_tokens: tokens(r.get(12)?),
            cached_tokens: r.get::<_, Option<i64>>(13)?.map(tokens),
            reasoning_tokens: r.get::<_, Option<i64>>(14)?.map(tokens),
            cache_write_tokens: None,
        },
        error_code: r.get(15)?,
        error_message: r.get(16)?,
        cost_usd: r.get(17)?,
        profile: r.get(18)?,
    })
}

/// The id of `name` in `table` under `project`, created if missing.
pub(crate) fn named(
    tx: &Transaction<'_>,
    table: &str,
    project: i64,
    name: &str,
) -> Result<i64, StoreError> {
    tx.execute(
        &format!(
            "INSERT OR IGNORE INTO {table} (project_id, name, created_at)
             VALUES (?1, ?2, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
        ),
        params![project, name],
    )?;
    Ok(tx.query_row(
        &format!("SELECT id FROM {table} WHERE project_id = ?1 AND name = ?2"),
        params![project, name],
        |r| r.get(0),
    )?)
}

/// A version's text as stored (`stored`, its large parts moved out) and as written
/// (`original`, which is how versions saved before migration 4 were kept).
pub(crate) struct Body<'a> {
    pub stored: &'a str,
    pub original: &'a str,
}

/// The id of the version of `parent` whose `column` is `body`: the latest version when it is
/// the same text, else a new version.
pub(crate) fn version(
    tx: &Transaction<'_>,
    table: &str,
    parent_column: &str,
    column: &str,
    parent: i64,
    body: Body<'_>,
) -> Result<i64, StoreError> {
    let latest: Option<(i64, i64, String)> = tx
        .query_row(
            &format!(
                "SELECT id, version, {column} FROM {table} WHERE {parent_column} = ?1
                 ORDER BY version DESC LIMIT 1"
            ),
            [parent],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((id, _, existing)) = &latest
        && (existing == body.stored || existing == body.original)
    {
        return Ok(*id);
    }
    let next = latest.map_or(1, |(_, v, _)| v + 1);
    tx.execute(
        &format!(
            "INSERT INTO {table} ({parent_column}, version, {column}, created_at)
             VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
        ),
        params![parent, next, body.stored],
    )?;
    Ok(tx.last_insert_rowid())
}

impl Store {
    /// Records a new run as `running`, owned by this process. Another process holding the
    /// database for longer than the busy timeout makes this [`StoreError::Busy`]: the run can
    /// go on without being recorded.
    pub fn start_run(&mut self, new: &NewRun<'_>) -> Result<RunId, StoreError> {
        self.writing(|tx| Self::insert_run(tx, new))
    }

    fn insert_run(tx: &Transaction<'_>, new: &NewRun<'_>) -> Result<RunId, StoreError> {
        let payloads = Payloads::new(tx);
        tx.execute(
            "INSERT OR IGNORE INTO projects (name, created_at)
             VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            [new.project],
        )?;
        let project: i64 = tx.query_row(
            "SELECT id FROM projects WHERE name = ?1",
            [new.project],
            |r| r.get(0),
        )?;
        let schema = named(tx, "schemas", project, new.schema_name)?;
        let schema_version = version(
            tx,
            "schema_versions",
            "schema_id",
            "body",
            schema,
            Body {
                stored: &payloads.text(new.schema_body)?,
                original: new.schema_body,
            },
        )?;
        let prompt = named(tx, "prompts", project, new.prompt_name)?;
        let prompt_version = version(
            tx,
            "prompt_versions",
            "prompt_id",
            "messages",
            prompt,
            Body {
                stored: &payloads.json(&new.request.messages)?,
                original: &serde_json::to_string(&new.request.messages)?,
            },
        )?;
        let profile: Option<i64> = match new.profile {
            Some(name) => Some(
                tx.query_row(
                    "SELECT id FROM profiles WHERE project_id = ?1 AND name = ?2",
                    params![project, name],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("no profile named `{name}`")))?,
            ),
            None => None,
        };
        let (pid, start) = crate::owner::current();
        let stream = new.stream.map(|k| match k {
            StreamKind::Partial => "partial",
            StreamKind::Iterable => "iterable",
        });
        tx.execute(
            "INSERT INTO runs (project_id, schema_version_id, prompt_version_id, provider, model,
                 mode, spec, stream, status, owner_pid, owner_start, profile_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'running', ?9, ?10, ?11,
                 strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            params![
                project,
                schema_version,
                prompt_version,
                new.request.provider,
                new.request.model,
                new.request.mode,
                payloads.json_text(serde_json::to_string(&new.request.redacted())?)?,
                stream,
                pid,
                start.map(|s| s as i64),
                profile,
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO run_search (rowid, prompt, variables) VALUES (?1, ?2, ?3)",
            params![id, prompt_text(new.request), variables_text(new.request)],
        )?;
        Ok(id)
    }

    /// Runs matching `query`, newest first.
    pub fn search_runs(&self, query: &SearchQuery) -> Result<Vec<RunSummary>, StoreError> {
        let mut sql = format!("SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM}");
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        let mut filters: Vec<String> = Vec::new();
        if let Some(text) = query.text.as_deref().and_then(match_expression) {
            sql.push_str(" JOIN run_search ON run_search.rowid = r.id");
            args.push(Box::new(text));
            filters.push(format!("run_search MATCH ?{}", args.len()));
        }
        let mut eq = |column: &str, value: Option<String>| {
            if let Some(v) = value {
                args.push(Box::new(v));
                filters.push(format!("{column} = ?{}", args.len()));
            }
        };
        eq("s.name", query.schema.clone());
        eq("r.provider", query.provider.clone());
        eq("r.model", query.model.clone());
        eq("r.status", query.status.map(|s| s.as_str().to_string()));
        if let Some(since) = &query.since {
            args.push(Box::new(since.clone()));
            filters.push(format!("r.created_at >= ?{}", args.len()));
        }
        if let Some(until) = &query.until {
            args.push(Box::new(until.clone()));
            filters.push(format!("r.created_at < ?{}", args.len()));
        }
        if !filters.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&filters.join(" AND "));
        }
        args.push(Box::new(query.limit.max(1)));
        args.push(Box::new(query.offset));
        sql.push_str(&format!(
            " ORDER BY r.id DESC LIMIT ?{} OFFSET ?{}",
            args.len() - 1,
            args.len()
        ));
        let params: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let rows = self
            .conn
            .prepare(&sql)?
            .query_map(params.as_slice(), summary)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The schema text a run used, exactly as saved (a rerun reuses its version).
    pub fn schema_text(&self, id: RunId) -> Result<String, StoreError> {
        let stored = self
            .conn
            .query_row(
                "SELECT sv.body FROM runs r JOIN schema_versions sv ON sv.id = r.schema_version_id
                 WHERE r.id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(StoreError::NoSuchRun(id))?;
        load_text(&self.conn, stored)
    }

    /// Deletes runs with their attempts, events, result and search entry; returns how many
    /// existed. Payloads they shared with other runs stay.
    pub fn delete_runs(&mut self, ids: &[RunId]) -> Result<usize, StoreError> {
        self.writing(|tx| {
            let mut deleted = 0;
            for id in ids {
                tx.execute("DELETE FROM run_search WHERE rowid = ?1", [id])?;
                deleted += tx.execute("DELETE FROM runs WHERE id = ?1", [id])?;
            }
            Ok(deleted)
        })
    }

    /// Runs, newest first.
    pub fn list_runs(&self, limit: u32, offset: u32) -> Result<Vec<RunSummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} {SUMMARY_FROM} ORDER BY r.id DESC LIMIT ?1 OFFSET ?2"
        );
        let rows = self
            .conn
            .prepare(&sql)?
            .query_map(params![limit, offset], summary)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One run with its spec, schema, attempts, events and result.
    pub fn show_run(&self, id: RunId) -> Result<RunDetail, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS}, r.spec, sv.body, r.stream {SUMMARY_FROM} WHERE r.id = ?1"
        );
        let (summary, spec, schema_body, stream): (RunSummary, String, String, Option<String>) =
            self.conn
                .query_row(&sql, [id], |r| {
                    Ok((summary(r)?, r.get(19)?, r.get(20)?, r.get(21)?))
                })
                .optional()?
                .ok_or(StoreError::NoSuchRun(id))?;
        let attempts = self
            .conn
            .prepare(
                "SELECT number, latency_ms, prompt_tokens, completion_tokens, total_tokens, error, raw,
                        cost_usd
                 FROM attempts WHERE run_id = ?1 ORDER BY number",
            )?
            .query_map([id], |r| {
                Ok(AttemptRow {
                    number: r.get(0)?,
                    latency_ms: r.get(1)?,
                    usage: Usage {
                        prompt_tokens: tokens(r.get(2)?),
                        completion_tokens: tokens(r.get(3)?),
                        total_tokens: tokens(r.get(4)?),
                        cached_tokens: None,
                        reasoning_tokens: None,
                        cache_write_tokens: None,
                    },
                    error: r.get(5)?,
                    raw: r.get(6)?,
                    cost_usd: r.get(7)?,
                })
            })?
            .map(|row| {
                let mut a = row?;
                a.error = a.error.map(|t| load_text(&self.conn, t)).transpose()?;
                a.raw = a.raw.map(|t| load_text(&self.conn, t)).transpose()?;
                Ok(a)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // Bodies may be compressed against the event before them: read in order.
        let mut previous: Option<(i64, String)> = None;
        let events = self
            .conn
            .prepare("SELECT seq, type, t_ms, body FROM events WHERE run_id = ?1 ORDER BY seq")?
            .query_and_then([id], |r| {
                let seq: i64 = r.get(0)?;
                let before = previous
                    .as_ref()
                    .filter(|(s, _)| s + 1 == seq)
                    .map(|(_, text)| text.as_str());
                let text = event_text(&self.conn, r.get_ref(3)?, before)?;
                let body = load_json(&self.conn, &text)?;
                previous = Some((seq, text));
                Ok(EventRow {
                    seq: seq as u64,
                    kind: r.get(1)?,
                    t_ms: r.get(2)?,
                    body,
                })
            })?
            .collect::<Result<Vec<_>, StoreError>>()?;
        let result: Option<String> = self
            .conn
            .query_row("SELECT value FROM results WHERE run_id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        let schema_body = load_text(&self.conn, schema_body)?;
        Ok(RunDetail {
            summary,
            stream,
            spec: load_json(&self.conn, &spec)?,
            schema_body: serde_json::from_str(&schema_body).unwrap_or(Value::String(schema_body)),
            attempts,
            events,
            result: result.map(|r| load_json(&self.conn, &r)).transpose()?,
        })
    }
}
