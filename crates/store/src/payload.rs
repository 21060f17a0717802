//! Large values, stored once.
//!
//! A run carries the same bytes many times: an image sits in the request, the prompt version and
//! every attempt's `completion:kwargs`; a streamed answer arrives in pieces (`partial` events),
//! then again whole (`completion:response`), parsed (`run_succeeded`) and as the result. Before
//! a JSON value is written, every string of [`STRING_MIN`] bytes or more and every array or
//! object whose JSON is [`TREE_MIN`] bytes or more (counted after its own large parts moved out)
//! is moved to the `payloads` table and replaced by a marker string, `"\u0000qp:s:<sha256>"` for
//! a string and `"\u0000qp:j:<sha256>"` for JSON. A payload is a list of content-defined chunks
//! (FastCDC), each stored once by its SHA-256 and zstd-compressed, so equal stretches of
//! different payloads — the streamed pieces and the assembled answer — are kept once too.
//!
//! Markers cannot be forged: a string that starts with the marker prefix is always moved out,
//! whatever its length, so every such string in stored JSON is one Quarry wrote. Reading puts
//! the values back; text without the prefix (every small row, and every row written before
//! migration 4) is read as it is.

use std::path::PathBuf;

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::StoreError;

/// Strings this long (in bytes) or longer are stored as payloads.
pub const STRING_MIN: usize = 4 * 1024;
/// Arrays and objects whose JSON is this long or longer are stored as payloads.
pub const TREE_MIN: usize = 16 * 1024;

/// What every marker starts with. U+0000 does not occur in text people or models write, so the
/// rule that such strings are always moved out costs nothing in practice.
const PREFIX: &str = "\u{0}qp:";
const STRING_MARK: &str = "\u{0}qp:s:";
const JSON_MARK: &str = "\u{0}qp:j:";
/// The prefix as serde_json writes it inside JSON text: stored JSON without it has no markers.
const PREFIX_IN_JSON: &str = "\\u0000qp:";

/// Content-defined chunk sizes. An answer streamed in pieces shares all but about two chunks
/// per piece with the assembled answer, so chunks must be small next to a streamed piece; and
/// a chunk row a quarter of a database page or less leaves little of the page unused. The
/// price: about 70 bytes per chunk (its hash, twice) and zstd working on 1 KiB at a time.
const CHUNK_MIN: u32 = 256;
const CHUNK_AVG: u32 = 1024;
const CHUNK_MAX: u32 = 4096;

/// zstd level: fast enough for the recorder to keep up with a local model's stream.
const LEVEL: i32 = 3;
/// Event bodies shorter than this are stored as text: compressing them costs the recorder more
/// time (a few microseconds each, 6% of the recording benchmark) than the bytes are worth.
const BODY_COMPRESS_MIN: usize = 256;
/// The first byte of a compressed event body: compressed alone, or with the body of the run's
/// event before it as zstd dictionary. A stream's events differ by little (the same paths, the
/// next piece of text), so each one compressed against the last takes a fraction of its size.
const PACKED_ALONE: u8 = 1;
const PACKED_AFTER_PREVIOUS: u8 = 2;
/// Every this many events one is compressed alone, so that a damaged row can take at most
/// this many others with it.
pub(crate) const CHAIN_MAX: u32 = 256;
/// The largest compressed value read back (a streamed answer's event is far smaller).
const MAX_PACKED: usize = 1 << 30;

/// `bytes` zstd-compressed, with `prefix` as the history it continues (a raw prefix: unlike a
/// loaded dictionary it builds no tables of its own, so it costs next to nothing for small
/// events); `None` when that does not save 10%.
fn compress<'p>(
    cctx: &mut zstd::zstd_safe::CCtx<'p>,
    bytes: &[u8],
    prefix: Option<&'p [u8]>,
) -> Option<Vec<u8>> {
    cctx.set_parameter(zstd::zstd_safe::CParameter::CompressionLevel(LEVEL))
        .ok()?;
    if let Some(p) = prefix {
        cctx.ref_prefix(p).ok()?;
    }
    let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(bytes.len()));
    cctx.compress2(&mut out, bytes).ok()?;
    (out.len() * 10 <= bytes.len() * 9).then_some(out)
}

/// The bytes [`compress`] packed, with the same prefix.
pub(crate) fn decompress(packed: &[u8], prefix: Option<&[u8]>) -> Result<Vec<u8>, String> {
    use zstd::zstd_safe::{DCtx, get_frame_content_size};
    let size = get_frame_content_size(packed)
        .map_err(|_| "not a zstd frame".to_string())?
        .ok_or("a zstd frame without its size")?;
    // Quarry writes nothing this large in one piece; a bigger size is damage, not a reason to
    // allocate it.
    let size = usize::try_from(size)
        .ok()
        .filter(|s| *s <= MAX_PACKED)
        .ok_or("an implausible size")?;
    let mut dctx = DCtx::create();
    if let Some(p) = prefix {
        dctx.ref_prefix(p)
            .map_err(zstd::zstd_safe::get_error_name)?;
    }
    let mut out = Vec::with_capacity(size);
    dctx.decompress(&mut out, packed)
        .map_err(zstd::zstd_safe::get_error_name)?;
    Ok(out)
}

fn hex(hash: &[u8]) -> String {
    use std::fmt::Write;
    hash.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    (0..32)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
        .collect()
}

pub(crate) fn damaged(conn: &Connection, detail: String) -> StoreError {
    StoreError::Damaged {
        path: PathBuf::from(conn.path().filter(|p| !p.is_empty()).unwrap_or(":memory:")),
        detail,
    }
}

/// The run's event written last (its sequence number and stored text), which the next one is
/// compressed against, and how many events since one was compressed alone.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    seq: u64,
    text: String,
    length: u32,
}

/// Writes payloads; used inside a write transaction, so a row and the payloads its markers
/// name are committed together.
pub(crate) struct Payloads<'c> {
    conn: &'c Connection,
}

impl<'c> Payloads<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Payloads { conn }
    }

    /// `value` as stored JSON text.
    pub(crate) fn json<T: Serialize + ?Sized>(&self, value: &T) -> Result<String, StoreError> {
        self.stored(value, true)
    }

    /// `value` as stored JSON text; large strings always move out, large arrays and objects
    /// only with `trees`.
    fn stored<T: Serialize + ?Sized>(&self, value: &T, trees: bool) -> Result<String, StoreError> {
        // Most values are small: written directly, they need no walk.
        let text = serde_json::to_string(value)?;
        if text.len() < STRING_MIN && !text.contains(PREFIX_IN_JSON) {
            return Ok(text);
        }
        let value = serde_json::to_value(value)?;
        let mut out = Vec::new();
        self.emit(&value, trees, &mut out)?;
        // Only serde_json's output and marker strings were written: valid UTF-8.
        String::from_utf8(out).map_err(|e| StoreError::Invalid(e.to_string()))
    }

    /// JSON text as serde_json writes it, as stored JSON text: unchanged (and not parsed) when
    /// it is too short to hold anything large and has no marker look-alike.
    pub(crate) fn json_text(&self, text: String) -> Result<String, StoreError> {
        if text.len() < STRING_MIN && !text.contains(PREFIX_IN_JSON) {
            return Ok(text);
        }
        self.json(&serde_json::from_str::<Value>(&text)?)
    }

    /// A plain-text column's value (a raw answer, an error, a schema's text): the text, or the
    /// marker of its payload.
    pub(crate) fn text(&self, text: &str) -> Result<String, StoreError> {
        if text.len() < STRING_MIN && !text.starts_with(PREFIX) {
            return Ok(text.to_string());
        }
        Ok(format!("{STRING_MARK}{}", self.put(text.as_bytes())?))
    }

    /// The column values of a run's events, in order (`seq`, body, whether it is a `partial`
    /// event): each body's JSON text (large strings moved out; large arrays and objects too,
    /// except in `partial` events, whose changes are shared with nothing and shrink far more
    /// compressed next to the event before), zstd-compressed when that saves 10%, against the
    /// body of the event before it when that is event `seq - 1`. `chain` is the event written
    /// before the first, and becomes the last.
    pub(crate) fn events<'e, T: Serialize + 'e>(
        &self,
        chain: &mut Option<Chain>,
        events: impl IntoIterator<Item = (u64, &'e T, bool)>,
    ) -> Result<Vec<SqlValue>, StoreError> {
        let mut texts = Vec::new();
        for (seq, body, partial) in events {
            texts.push((seq, self.stored(body, !partial)?));
        }
        let mut values = Vec::with_capacity(texts.len());
        let old = chain.take();
        // One context for the batch: creating one costs more than compressing a small event.
        let mut cctx = zstd::zstd_safe::CCtx::create();
        let mut before: Option<(u64, u32, &str)> =
            old.as_ref().map(|c| (c.seq, c.length, c.text.as_str()));
        for (seq, text) in &texts {
            let previous = before
                .filter(|(s, length, _)| s.checked_add(1) == Some(*seq) && *length < CHAIN_MAX);
            let packed = match previous {
                _ if text.len() < BODY_COMPRESS_MIN => None,
                Some((_, _, p)) => compress(&mut cctx, text.as_bytes(), Some(p.as_bytes()))
                    .map(|z| (PACKED_AFTER_PREVIOUS, z)),
                None => compress(&mut cctx, text.as_bytes(), None).map(|z| (PACKED_ALONE, z)),
            };
            let length = match packed {
                Some((tag, z)) => {
                    let mut blob = Vec::with_capacity(z.len() + 1);
                    blob.push(tag);
                    blob.extend_from_slice(&z);
                    values.push(SqlValue::Blob(blob));
                    match (tag, previous) {
                        (PACKED_AFTER_PREVIOUS, Some((_, length, _))) => length + 1,
                        _ => 0,
                    }
                }
                None => {
                    values.push(SqlValue::Text(text.clone()));
                    0
                }
            };
            before = Some((*seq, length, text));
        }
        *chain = before.map(|(seq, length, text)| Chain {
            seq,
            length,
            text: text.to_string(),
        });
        Ok(values)
    }

    /// Writes `value` as JSON into `out`, moving large parts out bottom-up: a container's size
    /// is judged after its own large children were replaced by markers.
    fn emit(&self, value: &Value, trees: bool, out: &mut Vec<u8>) -> Result<(), StoreError> {
        match value {
            Value::String(s) if s.len() >= STRING_MIN || s.starts_with(PREFIX) => {
                let marker = format!("{STRING_MARK}{}", self.put(s.as_bytes())?);
                serde_json::to_writer(&mut *out, &marker)?;
            }
            Value::Array(items) => {
                let start = out.len();
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.emit(item, trees, out)?;
                }
                out.push(b']');
                if trees {
                    self.tree(out, start)?;
                }
            }
            Value::Object(map) => {
                let start = out.len();
                out.push(b'{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut *out, k)?;
                    out.push(b':');
                    self.emit(v, trees, out)?;
                }
                out.push(b'}');
                if trees {
                    self.tree(out, start)?;
                }
            }
            scalar => serde_json::to_writer(&mut *out, scalar)?,
        }
        Ok(())
    }

    /// Moves the container written at `out[start..]` out when it is large.
    fn tree(&self, out: &mut Vec<u8>, start: usize) -> Result<(), StoreError> {
        if out.len() - start >= TREE_MIN {
            let marker = format!("{JSON_MARK}{}", self.put(&out[start..])?);
            out.truncate(start);
            serde_json::to_writer(&mut *out, &marker)?;
        }
        Ok(())
    }

    /// Stores `bytes` once; returns its SHA-256 in hex.
    fn put(&self, bytes: &[u8]) -> Result<String, StoreError> {
        let hash = Sha256::digest(bytes);
        let known: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM payloads WHERE hash = ?1")?
            .query_row([hash.as_slice()], |r| r.get(0))
            .optional()?;
        if known.is_none() {
            let mut ids = Vec::new();
            // Without normalization a cut depends on the bytes around it only (not on the
            // distance from the last cut), so a copy that starts elsewhere finds the same cuts
            // sooner.
            let cuts = fastcdc::v2020::FastCDC::with_level(
                bytes,
                CHUNK_MIN,
                CHUNK_AVG,
                CHUNK_MAX,
                fastcdc::v2020::Normalization::Level0,
            );
            let mut cctx = zstd::zstd_safe::CCtx::create();
            for c in cuts {
                let id = self.chunk(&mut cctx, &bytes[c.offset..c.offset + c.length])?;
                ids.extend_from_slice(&id.to_le_bytes());
            }
            self.conn
                .prepare_cached("INSERT INTO payloads (hash, size, chunks) VALUES (?1, ?2, ?3)")?
                .execute(params![hash.as_slice(), bytes.len() as i64, ids])?;
        }
        Ok(hex(&hash))
    }

    /// The id of the chunk holding `bytes`, stored if new.
    fn chunk(&self, cctx: &mut zstd::zstd_safe::CCtx<'_>, bytes: &[u8]) -> Result<i64, StoreError> {
        let hash = Sha256::digest(bytes);
        let known: Option<i64> = self
            .conn
            .prepare_cached("SELECT id FROM chunks WHERE hash = ?1")?
            .query_row([hash.as_slice()], |r| r.get(0))
            .optional()?;
        if let Some(id) = known {
            return Ok(id);
        }
        let packed = compress(cctx, bytes, None);
        let (zstd, data) = match &packed {
            Some(p) => (true, p.as_slice()),
            None => (false, bytes),
        };
        self.conn
            .prepare_cached("INSERT INTO chunks (hash, zstd, data) VALUES (?1, ?2, ?3)")?
            .execute(params![hash.as_slice(), zstd, data])?;
        Ok(self.conn.last_insert_rowid())
    }
}

/// The bytes of the payload whose SHA-256 is `hex`.
fn get(conn: &Connection, hex: &str) -> Result<Vec<u8>, StoreError> {
    let hash = unhex(hex).ok_or_else(|| damaged(conn, format!("a malformed marker `{hex}`")))?;
    let (size, ids): (i64, Vec<u8>) = conn
        .prepare_cached("SELECT size, chunks FROM payloads WHERE hash = ?1")?
        .query_row([&hash], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| damaged(conn, format!("payload {hex} is missing")))?;
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut stmt = conn.prepare_cached("SELECT zstd, data FROM chunks WHERE id = ?1")?;
    for id in ids.chunks_exact(8) {
        let id = i64::from_le_bytes(id.try_into().unwrap_or_default());
        let (zstd, data): (bool, Vec<u8>) = stmt
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| damaged(conn, format!("chunk {id} of payload {hex} is missing")))?;
        if zstd {
            let raw =
                decompress(&data, None).map_err(|e| damaged(conn, format!("chunk {id}: {e}")))?;
            out.extend_from_slice(&raw);
        } else {
            out.extend_from_slice(&data);
        }
    }
    if out.len() as i64 != size {
        return Err(damaged(conn, format!("payload {hex} has the wrong length")));
    }
    Ok(out)
}

/// The value a marker stands for, its own markers resolved.
fn resolve(conn: &Connection, marker: &str) -> Result<Value, StoreError> {
    if let Some(hex) = marker.strip_prefix(STRING_MARK) {
        let bytes = get(conn, hex)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| damaged(conn, format!("payload {hex} is not text")))?;
        return Ok(Value::String(text));
    }
    if let Some(hex) = marker.strip_prefix(JSON_MARK) {
        let bytes = get(conn, hex)?;
        let mut value: Value = serde_json::from_slice(&bytes)?;
        rehydrate(conn, &mut value)?;
        return Ok(value);
    }
    Err(damaged(
        conn,
        format!("an unknown marker `{}`", marker.escape_debug()),
    ))
}

fn rehydrate(conn: &Connection, value: &mut Value) -> Result<(), StoreError> {
    match value {
        Value::String(s) if s.starts_with(PREFIX) => *value = resolve(conn, s)?,
        Value::Array(items) => {
            for item in items {
                rehydrate(conn, item)?;
            }
        }
        Value::Object(map) => {
            for v in map.values_mut() {
                rehydrate(conn, v)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Stored JSON text as the value that was written.
pub(crate) fn load_json(conn: &Connection, stored: &str) -> Result<Value, StoreError> {
    let mut value: Value = serde_json::from_str(stored)?;
    if stored.contains(PREFIX_IN_JSON) {
        rehydrate(conn, &mut value)?;
    }
    Ok(value)
}

/// Stored JSON text as the JSON text that was written (re-serialized only when it holds
/// markers).
pub(crate) fn load_json_text(conn: &Connection, stored: String) -> Result<String, StoreError> {
    if !stored.contains(PREFIX_IN_JSON) {
        return Ok(stored);
    }
    Ok(serde_json::to_string(&load_json(conn, &stored)?)?)
}

/// A plain-text column's value as it was written.
pub(crate) fn load_text(conn: &Connection, stored: String) -> Result<String, StoreError> {
    match stored.strip_prefix(STRING_MARK) {
        Some(hex) => {
            let bytes = get(conn, hex)?;
            String::from_utf8(bytes)
                .map_err(|_| damaged(conn, format!("payload {hex} is not text")))
        }
        None => Ok(stored),
    }
}

/// An event body as stored (text, or a compressed BLOB) as its JSON text. `previous` is the
/// stored text of the run's event just before, which a body compressed against it needs.
pub(crate) fn event_text(
    conn: &Connection,
    stored: ValueRef<'_>,
    previous: Option<&str>,
) -> Result<String, StoreError> {
    let blob = match stored {
        ValueRef::Text(t) => return Ok(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => b,
        other => {
            return Err(damaged(
                conn,
                format!("an event body of type {:?}", other.data_type()),
            ));
        }
    };
    let unpacked = match blob.split_first() {
        Some((&PACKED_ALONE, z)) => decompress(z, None),
        Some((&PACKED_AFTER_PREVIOUS, z)) => {
            let Some(before) = previous else {
                return Err(damaged(
                    conn,
                    "an event body refers to a missing event before it".into(),
                ));
            };
            decompress(z, Some(before.as_bytes()))
        }
        _ => return Err(damaged(conn, "an event body of unknown packing".into())),
    };
    let raw = unpacked.map_err(|e| damaged(conn, format!("an event body: {e}")))?;
    String::from_utf8(raw).map_err(|_| damaged(conn, "an event body is not text".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn db() -> crate::Store {
        crate::Store::open_in_memory().unwrap()
    }

    #[test]
    fn small_values_are_written_as_serde_json_writes_them() {
        let store = db();
        let p = Payloads::new(&store.conn);
        let v = json!({"a": [1, 2.5, null, true], "b": {"c": "d\n\"e\""}, "é": -0.0});
        assert_eq!(p.json(&v).unwrap(), serde_json::to_string(&v).unwrap());
        assert_eq!(store.query_i64("SELECT COUNT(*) FROM payloads").unwrap(), 0);
    }

    #[test]
    fn large_strings_and_trees_are_stored_once_and_read_back() {
        let store = db();
        let p = Payloads::new(&store.conn);
        let image = "iVBOR".repeat(2000);
        let rows: Vec<Value> = (0..2000).map(|i| json!({"id": i, "name": "x"})).collect();
        let v = json!({"image": image, "again": image, "rows": rows, "small": "s"});
        let stored = p.json(&v).unwrap();
        assert!(stored.len() < 300, "{stored}");
        assert_eq!(store.query_i64("SELECT COUNT(*) FROM payloads").unwrap(), 2);
        assert_eq!(load_json(&store.conn, &stored).unwrap(), v);
        // The same value again adds nothing.
        assert_eq!(p.json(&v).unwrap(), stored);
        assert_eq!(store.query_i64("SELECT COUNT(*) FROM payloads").unwrap(), 2);
    }

    #[test]
    fn a_marker_look_alike_from_outside_is_stored_and_comes_back_as_it_was() {
        let store = db();
        let p = Payloads::new(&store.conn);
        let forged = format!("{STRING_MARK}{}", "0".repeat(64));
        let v = json!({"answer": forged, "list": [forged]});
        let stored = p.json(&v).unwrap();
        assert_eq!(load_json(&store.conn, &stored).unwrap(), v);
        let text = p.text(&forged).unwrap();
        assert_ne!(text, forged);
        assert_eq!(load_text(&store.conn, text).unwrap(), forged);
    }

    #[test]
    fn content_shared_by_different_payloads_is_stored_once() {
        let store = db();
        let p = Payloads::new(&store.conn);
        let mut rng = fastrand::Rng::with_seed(3);
        let data: String = (0..400_000)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.usize(0..36)]))
            .collect();
        p.json(&json!({ "data": data })).unwrap();
        let one = store
            .query_i64("SELECT SUM(length(data)) FROM chunks")
            .unwrap();
        // The same text inside a larger one (an answer's JSON text, or its streamed pieces).
        p.text(&format!("{{\"data\": \"{data}\"}}")).unwrap();
        for piece in data.as_bytes().chunks(64 * 1024) {
            p.text(std::str::from_utf8(piece).unwrap()).unwrap();
        }
        let all = store
            .query_i64("SELECT SUM(length(data)) FROM chunks")
            .unwrap();
        assert!(
            (all as f64) < one as f64 * 1.35,
            "{all} bytes of chunks for three copies of {one}"
        );
    }

    #[test]
    fn event_bodies_are_compressed_against_the_event_before() {
        let store = db();
        let p = Payloads::new(&store.conn);
        // A stream's events: the same envelope, the next 200 characters of text.
        let mut rng = fastrand::Rng::with_seed(9);
        let words: Vec<String> = (0..12)
            .map(|_| (0..200).map(|_| rng.lowercase()).collect())
            .collect();
        let event = |i: u64| {
            json!({"v": 1, "seq": i, "t_ms": 12.5 * i as f64, "type": "partial", "attempt": 1,
                   "max_attempts": 4, "is_last": false,
                   "changes": [{"op": "append", "path": "/text", "text": words[i as usize]}]})
        };
        let mut chain = None;
        let (one, two) = (event(1), event(2));
        let written = p
            .events(&mut chain, [(1, &one, true), (2, &two, true)])
            .unwrap();
        let first = p.stored(&one, false).unwrap();
        let [SqlValue::Blob(alone), SqlValue::Blob(after)] = &written[..] else {
            panic!("not compressed")
        };
        assert_eq!((alone[0], after[0]), (PACKED_ALONE, PACKED_AFTER_PREVIOUS));
        assert!(
            after.len() * 4 < alone.len() * 3,
            "{} vs {}",
            after.len(),
            alone.len()
        );
        let read = |b: &[u8], prev| event_text(&store.conn, ValueRef::Blob(b), prev).unwrap();
        assert_eq!(read(alone, None), first);
        let second = read(after, Some(&first));
        assert_eq!(load_json(&store.conn, &second).unwrap(), event(2));
        assert!(event_text(&store.conn, ValueRef::Blob(after), None).is_err());
        // Not the next event: compressed alone; the chain goes on across calls.
        let (nine, ten, small) = (event(9), event(10), json!({"a": 1}));
        let written = p
            .events(&mut chain, [(9, &nine, true), (10, &ten, true)])
            .unwrap();
        let [SqlValue::Blob(gap), SqlValue::Blob(next)] = &written[..] else {
            panic!("not compressed")
        };
        assert_eq!((gap[0], next[0]), (PACKED_ALONE, PACKED_AFTER_PREVIOUS));
        let written = p.events(&mut chain, [(11, &small, false)]).unwrap();
        assert!(matches!(written[0], SqlValue::Text(_)));
    }
}
