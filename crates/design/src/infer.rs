//! A JSON Schema (draft 2020-12) from sample documents: each value's types, objects' properties
//! in the order first seen, array items merged over every element of every sample, a property
//! required when every object at its place has it, and a string format (date, date-time,
//! email, uri, uuid) when every string at its place has that format. Nothing is guessed from
//! one value alone beyond its type: no enums, no lengths, no ranges.
//!
//! Hand-written: the crates that infer schemas (genson-rs) panic on some inputs, order
//! `required` by hash, and know no formats; the formats are confirmed by jsonschema's checks. Documents parsed by serde_json are at most 128
//! levels deep, which bounds the recursion here.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

/// The merged shape of every value seen at one place of the documents.
#[derive(Debug, Default)]
struct Shape {
    null: bool,
    boolean: bool,
    integer: bool,
    /// A number with a fraction or exponent (an integer and a number together are a number).
    number: bool,
    string: Option<Strings>,
    /// The merged shape of every element of every array seen here, once an array is.
    array: Option<Box<Shape>>,
    object: Option<Object>,
}

#[derive(Debug)]
struct Strings {
    /// The one format every string so far has, if any.
    format: Option<Format>,
}

#[derive(Debug, Default)]
struct Object {
    /// How many objects were seen here.
    seen: u64,
    /// Properties in the order first seen, with how many of those objects had each.
    properties: Vec<(String, Shape, u64)>,
    index: HashMap<String, usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Date,
    DateTime,
    Email,
    Uri,
    Uuid,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Date => "date",
            Format::DateTime => "date-time",
            Format::Email => "email",
            Format::Uri => "uri",
            Format::Uuid => "uuid",
        }
    }

    /// The format `s` has: it has the plain form checked here (narrower than the standards:
    /// `uri` is an http(s) address, not any `scheme:rest`) and it passes the format check of
    /// the validator Quarry validates answers with, so an inferred format never rejects the
    /// sample it came from.
    fn of(s: &str) -> Option<Format> {
        let format = if is_date(s) {
            Format::Date
        } else if is_date_time(s) {
            Format::DateTime
        } else if is_uuid(s) {
            Format::Uuid
        } else if is_email(s) {
            Format::Email
        } else if is_uri(s) {
            Format::Uri
        } else {
            return None;
        };
        validates(format, s).then_some(format)
    }
}

/// Whether the validator's own check of `format` passes `s`.
fn validates(format: Format, s: &str) -> bool {
    static CHECKS: OnceLock<Vec<(Format, Option<jsonschema::Validator>)>> = OnceLock::new();
    let checks = CHECKS.get_or_init(|| {
        [
            Format::Date,
            Format::DateTime,
            Format::Email,
            Format::Uri,
            Format::Uuid,
        ]
        .into_iter()
        .map(|f| {
            let schema = json!({"type": "string", "format": f.name()});
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .ok();
            (f, validator)
        })
        .collect()
    });
    checks
        .iter()
        .find(|(f, _)| *f == format)
        .and_then(|(_, v)| v.as_ref())
        .is_some_and(|v| v.is_valid(&Value::String(s.to_string())))
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let (Some(y), Some(m), Some(d)) = (s.get(0..4), s.get(5..7), s.get(8..10)) else {
        return false;
    };
    if !(digits(y) && digits(m) && digits(d)) {
        return false;
    }
    let (y, m, d): (u32, u32, u32) = (
        y.parse().unwrap_or(0),
        m.parse().unwrap_or(0),
        d.parse().unwrap_or(0),
    );
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// RFC 3339: `2024-05-01T12:30:00Z`, with optional fractions and a `±hh:mm` offset.
fn is_date_time(s: &str) -> bool {
    let Some((date, time)) = s.split_once(['T', 't']) else {
        return false;
    };
    if !is_date(date) {
        return false;
    }
    let (clock, offset) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        (clock, None)
    } else if let Some(at) = time.rfind(['+', '-']) {
        (&time[..at], Some(&time[at + 1..]))
    } else {
        return false;
    };
    let clock = clock.split_once('.').map_or(
        clock,
        |(whole, fraction)| {
            if digits(fraction) { whole } else { "" }
        },
    );
    let hms: Vec<&str> = clock.split(':').collect();
    let in_range = |part: &str, max: u32| {
        part.len() == 2 && digits(part) && part.parse::<u32>().is_ok_and(|v| v <= max)
    };
    let clock_ok =
        hms.len() == 3 && in_range(hms[0], 23) && in_range(hms[1], 59) && in_range(hms[2], 60);
    let offset_ok = offset.is_none_or(|o| {
        o.split_once(':')
            .is_some_and(|(h, m)| in_range(h, 23) && in_range(m, 59))
    });
    clock_ok && offset_ok
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A plain address: one `@`, a local part, a domain with a dot, no spaces. Deliberately
/// narrower than RFC 5322: a sample that only might be an address should not make every value
/// at its place have to be one.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let ok_chars = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c))
    };
    ok_chars(local)
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
}

fn is_uri(s: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| {
        s.len() > scheme.len()
            && s.get(..scheme.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(scheme))
            && !s.contains(char::is_whitespace)
    })
}

impl Shape {
    fn add(&mut self, value: &Value) {
        match value {
            Value::Null => self.null = true,
            Value::Bool(_) => self.boolean = true,
            Value::Number(n) if n.is_i64() || n.is_u64() => self.integer = true,
            Value::Number(_) => self.number = true,
            Value::String(s) => {
                let format = Format::of(s);
                match &mut self.string {
                    None => self.string = Some(Strings { format }),
                    Some(seen) if seen.format != format => seen.format = None,
                    Some(_) => {}
                }
            }
            Value::Array(items) => {
                let merged = self.array.get_or_insert_with(Box::default);
                for item in items {
                    merged.add(item);
                }
            }
            Value::Object(map) => {
                let object = self.object.get_or_insert_with(Object::default);
                object.seen += 1;
                for (name, v) in map {
                    let at = *object.index.entry(name.clone()).or_insert_with(|| {
                        object.properties.push((name.clone(), Shape::default(), 0));
                        object.properties.len() - 1
                    });
                    let (_, shape, count) = &mut object.properties[at];
                    shape.add(v);
                    *count += 1;
                }
            }
        }
    }

    /// The schema of this place. An empty shape (the items of arrays that were always empty)
    /// is `{}`: anything.
    fn schema(&self) -> Value {
        let mut kinds: Vec<Map<String, Value>> = Vec::new();
        let mut scalars: Vec<&str> = Vec::new();
        if self.boolean {
            scalars.push("boolean");
        }
        if self.number {
            scalars.push("number");
        } else if self.integer {
            scalars.push("integer");
        }
        let mut format = None;
        if let Some(strings) = &self.string {
            scalars.push("string");
            format = strings.format;
        }
        if let Some(items) = &self.array {
            let mut m = Map::new();
            m.insert("type".into(), json!("array"));
            let items = items.schema();
            if items.as_object().is_some_and(|o| !o.is_empty()) {
                m.insert("items".into(), items);
            }
            kinds.push(m);
        }
        if let Some(object) = &self.object {
            kinds.push(object.schema());
        }
        let scalar_count = scalars.len();
        match (kinds.len(), scalar_count) {
            // Only scalars (and perhaps null): one `type`, a list when there are several.
            (0, _) => {
                let mut types: Vec<Value> = scalars.into_iter().map(|t| json!(t)).collect();
                if self.null {
                    types.push(json!("null"));
                }
                let mut m = Map::new();
                match types.len() {
                    0 => {}
                    1 => {
                        m.insert("type".into(), types.remove(0));
                    }
                    _ => {
                        m.insert("type".into(), Value::Array(types));
                    }
                }
                if let Some(f) = format {
                    m.insert("format".into(), json!(f.name()));
                }
                Value::Object(m)
            }
            // One array or object kind, perhaps null: its schema, `null` added to its type.
            (1, 0) => {
                let mut m = kinds.remove(0);
                if self.null
                    && let Some(t) = m.get("type").cloned()
                {
                    m.insert("type".into(), json!([t, "null"]));
                }
                Value::Object(m)
            }
            // Several kinds: one branch each.
            _ => {
                let mut branches: Vec<Value> = Vec::new();
                for t in scalars {
                    let mut m = Map::new();
                    m.insert("type".into(), json!(t));
                    if t == "string"
                        && let Some(f) = format
                    {
                        m.insert("format".into(), json!(f.name()));
                    }
                    branches.push(Value::Object(m));
                }
                branches.extend(kinds.into_iter().map(Value::Object));
                if self.null {
                    branches.push(json!({"type": "null"}));
                }
                json!({ "anyOf": branches })
            }
        }
    }
}

impl Object {
    fn schema(&self) -> Map<String, Value> {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for (name, shape, count) in &self.properties {
            properties.insert(name.clone(), shape.schema());
            if *count == self.seen {
                required.push(json!(name));
            }
        }
        let mut m = Map::new();
        m.insert("type".into(), json!("object"));
        m.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            m.insert("required".into(), Value::Array(required));
        }
        m
    }
}

/// The schema every one of `samples` is valid against, as narrow as they allow. No samples:
/// an error, since nothing can be said.
pub fn infer(samples: &[Value]) -> Result<Value, InferError> {
    if samples.is_empty() {
        return Err(InferError::NoSamples);
    }
    let mut shape = Shape::default();
    for sample in samples {
        shape.add(sample);
    }
    let mut schema = Map::new();
    schema.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    if let Value::Object(body) = shape.schema() {
        schema.extend(body);
    }
    Ok(Value::Object(schema))
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InferError {
    #[error("no sample documents were given; a schema is inferred from at least one")]
    NoSamples,
    #[error("sample `{name}` is not JSON: {detail}")]
    NotJson { name: String, detail: String },
    #[error("sample `{name}` line {line}: not a JSON document: {detail}")]
    BadLine {
        name: String,
        line: usize,
        detail: String,
    },
}

impl InferError {
    pub fn hint(&self) -> &'static str {
        match self {
            InferError::NoSamples => "give one or more JSON documents",
            InferError::NotJson { .. } => "give a JSON document, or one document per line",
            InferError::BadLine { .. } => "give one whole JSON document per line (JSON Lines)",
        }
    }
}

/// The documents in `text` (named `name` in errors): one JSON document, or JSON Lines (blank
/// lines skipped). A text that is neither is reported where reading it as one document failed,
/// unless it looks like JSON Lines (its first line is a document): then the first bad line.
pub fn documents(text: &str, name: &str) -> Result<Vec<Value>, InferError> {
    let whole = match serde_json::from_str::<Value>(text) {
        Ok(v) => return Ok(vec![v]),
        Err(e) => e,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .peekable();
    let first_is_document = lines
        .peek()
        .is_some_and(|(_, l)| serde_json::from_str::<Value>(l).is_ok());
    if !first_is_document {
        return Err(InferError::NotJson {
            name: name.into(),
            detail: whole.to_string(),
        });
    }
    lines
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| InferError::BadLine {
                name: name.into(),
                line: i + 1,
                detail: e.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_checked_strictly() {
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && !is_date("2024-13-01"));
        assert!(is_date_time("2024-05-01T12:30:00Z"));
        assert!(is_date_time("2024-05-01T12:30:00.123+02:00"));
        assert!(!is_date_time("2024-05-01T25:30:00Z") && !is_date_time("2024-05-01 12:30"));
        assert!(is_email("ada@example.org") && !is_email("ada at example.org"));
        assert!(!is_email("a@b") && !is_email("a@@b.c"));
        // The validator's own check has the last word.
        assert_eq!(Format::of(".@a.a"), None);
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000") && !is_uuid("123e4567"));
        assert!(is_uri("https://example.org/x") && !is_uri("https://"));
        // Multi-byte text where a format's fixed positions would fall inside a character.
        assert_eq!(Format::of("ééééé-é-é"), None);
        assert_eq!(Format::of("htt€ps://x"), None);
    }
}
