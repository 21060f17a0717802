//! Partial JSON: an incremental parser that turns a JSON text arriving in pieces into a
//! sequence of [`Change`]s, a [`Snapshot`] that applies them, and [`FieldStates`] that say,
//! for every path, whether its value is still streaming, complete, valid or invalid.
//!
//! Cost is linear in the bytes received: the parser looks at each byte once and keeps no
//! buffer of what it has consumed (except the key being read and an unfinished number or UTF-8
//! character); a change costs O(depth) to apply, whatever the size of the object.

mod parser;
mod snapshot;

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::validate::Issue;

pub use parser::{DEFAULT_MAX_DEPTH, PartialError, PartialParser};
pub use snapshot::{FieldState, FieldStates, Snapshot};

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(Arc<str>),
    Index(usize),
}

/// Where a value sits in the document; serialized as a JSON Pointer (`/items/0/name`).
/// Shared, so the many changes at one place (a growing string) share one allocation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, ts_rs::TS)]
#[ts(type = "string")]
pub struct Path(pub Arc<[Seg]>);

impl Default for Path {
    fn default() -> Self {
        Path(Arc::from(Vec::new()))
    }
}

impl Path {
    pub fn segs(&self) -> &[Seg] {
        &self.0
    }

    /// The RFC 6901 pointer (`""` for the root).
    pub fn pointer(&self) -> String {
        let mut out = String::new();
        for seg in self.0.iter() {
            out.push('/');
            match seg {
                Seg::Key(k) => {
                    for c in k.chars() {
                        match c {
                            '~' => out.push_str("~0"),
                            '/' => out.push_str("~1"),
                            c => out.push(c),
                        }
                    }
                }
                Seg::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }

    /// Parses a pointer. Numeric tokens become indexes; a snapshot treats them as keys when
    /// the container is an object.
    pub fn parse(pointer: &str) -> Path {
        if pointer.is_empty() {
            return Path::default();
        }
        Path(
            pointer
                .split('/')
                .skip(1)
                .map(|tok| match tok.parse::<usize>() {
                    Ok(i) if tok == i.to_string() => Seg::Index(i),
                    _ => Seg::Key(Arc::from(tok.replace("~1", "/").replace("~0", "~"))),
                })
                .collect::<Vec<_>>()
                .into(),
        )
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.pointer();
        f.write_str(if p.is_empty() { "/" } else { &p })
    }
}

impl Serialize for Path {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.pointer())
    }
}

impl<'de> Deserialize<'de> for Path {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Path::parse(&String::deserialize(d)?))
    }
}

/// One change to the partial object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// A value appeared at `path`: a whole scalar (`complete`), or an empty string, object or
    /// array that will fill in (`complete: false`).
    Set {
        path: Path,
        value: Value,
        complete: bool,
    },
    /// Text arrived for the string at `path`.
    Append { path: Path, text: String },
    /// The string, object or array at `path` closed.
    Complete { path: Path },
    /// The value at `path` validated against its part of the schema.
    Valid { path: Path },
    /// The value at `path` failed its part of the schema.
    Invalid { path: Path, issues: Vec<Issue> },
}

impl Path {
    /// The path with secrets masked out of its keys (a hostile answer can use a key as a
    /// property name); unchanged, and not copied, when no key holds one.
    fn redacted(&self, r: &crate::secret::Redactor) -> Option<Path> {
        if !self
            .0
            .iter()
            .any(|s| matches!(s, Seg::Key(k) if r.finds(k)))
        {
            return None;
        }
        Some(Path(
            self.0
                .iter()
                .map(|s| match s {
                    Seg::Key(k) => Seg::Key(Arc::from(r.mask(k).as_ref())),
                    Seg::Index(i) => Seg::Index(*i),
                })
                .collect::<Vec<_>>()
                .into(),
        ))
    }
}

impl Change {
    /// Masks secrets out of the change: its path, value, text and issues.
    pub fn redact(&mut self, r: &crate::secret::Redactor) {
        if r.is_empty() {
            return;
        }
        let path = match self {
            Change::Set { path, .. }
            | Change::Append { path, .. }
            | Change::Complete { path }
            | Change::Valid { path }
            | Change::Invalid { path, .. } => path,
        };
        if let Some(masked) = path.redacted(r) {
            *path = masked;
        }
        match self {
            Change::Set { value, .. } => r.mask_value(value),
            Change::Append { text, .. } => r.mask_string(text),
            Change::Invalid { issues, .. } => issues.iter_mut().for_each(|i| i.redact(r)),
            Change::Complete { .. } | Change::Valid { .. } => {}
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Change::Set { path, .. }
            | Change::Append { path, .. }
            | Change::Complete { path }
            | Change::Valid { path }
            | Change::Invalid { path, .. } => path,
        }
    }
}
