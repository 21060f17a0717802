//! Applying changes: the current object, and the state of every field.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Change, Path, Seg};

/// The object as it stands after the changes applied so far.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    root: Option<Value>,
}

impl Snapshot {
    pub fn new() -> Self {
        Self::default()
    }

    /// The current value (`Null` before anything arrived).
    pub fn value(&self) -> &Value {
        self.root.as_ref().unwrap_or(&Value::Null)
    }

    pub fn into_value(self) -> Value {
        self.root.unwrap_or(Value::Null)
    }

    /// The value at `path`, if it has arrived.
    pub fn get(&self, path: &Path) -> Option<&Value> {
        let mut v = self.root.as_ref()?;
        for seg in path.segs() {
            v = step(v, seg)?;
        }
        Some(v)
    }

    fn get_mut(&mut self, segs: &[Seg]) -> Option<&mut Value> {
        let mut v = self.root.as_mut()?;
        for seg in segs {
            v = match (v, seg) {
                (Value::Object(m), Seg::Key(k)) => m.get_mut(k.as_ref())?,
                (Value::Object(m), Seg::Index(i)) => m.get_mut(&i.to_string())?,
                (Value::Array(a), Seg::Index(i)) => a.get_mut(*i)?,
                _ => return None,
            };
        }
        Some(v)
    }

    /// Applies one change; O(depth). Returns false when the change does not fit the snapshot
    /// (which a change stream from one parser never produces).
    pub fn apply(&mut self, change: &Change) -> bool {
        match change {
            Change::Set { path, value, .. } => {
                let Some((last, parent)) = path.segs().split_last() else {
                    self.root = Some(value.clone());
                    return true;
                };
                match (self.get_mut(parent), last) {
                    (Some(Value::Object(m)), Seg::Key(k)) => {
                        m.insert(k.to_string(), value.clone());
                        true
                    }
                    (Some(Value::Object(m)), Seg::Index(i)) => {
                        m.insert(i.to_string(), value.clone());
                        true
                    }
                    (Some(Value::Array(a)), Seg::Index(i)) if *i == a.len() => {
                        a.push(value.clone());
                        true
                    }
                    (Some(Value::Array(a)), Seg::Index(i)) if *i < a.len() => {
                        a[*i] = value.clone();
                        true
                    }
                    _ => false,
                }
            }
            Change::Append { path, text } => match self.get_mut(path.segs()) {
                Some(Value::String(s)) => {
                    s.push_str(text);
                    true
                }
                _ => false,
            },
            Change::Complete { .. } | Change::Valid { .. } | Change::Invalid { .. } => true,
        }
    }
}

fn step<'a>(v: &'a Value, seg: &Seg) -> Option<&'a Value> {
    match (v, seg) {
        (Value::Object(m), Seg::Key(k)) => m.get(k.as_ref()),
        (Value::Object(m), Seg::Index(i)) => m.get(&i.to_string()),
        (Value::Array(a), Seg::Index(i)) => a.get(*i),
        _ => None,
    }
}

/// Where a field stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum FieldState {
    /// In the schema, not arrived yet.
    Pending,
    /// Started, still arriving.
    Streaming,
    /// Closed, not checked (no sub-schema applies).
    Complete,
    Valid,
    Invalid,
}

/// The state of every path seen, keyed by JSON Pointer.
#[derive(Debug, Clone, Default)]
pub struct FieldStates {
    states: HashMap<String, FieldState>,
}

impl FieldStates {
    pub fn new() -> Self {
        Self::default()
    }

    /// States for a new answer to `schema`: every field it promises starts pending.
    pub fn for_schema(schema: &crate::schema::ResponseSchema) -> Self {
        let mut states = Self::new();
        for pointer in schema.field_pointers() {
            states.expect(pointer);
        }
        states
    }

    /// The fields not arrived yet.
    pub fn pending(&self) -> impl Iterator<Item = &str> {
        self.states
            .iter()
            .filter(|(_, s)| **s == FieldState::Pending)
            .map(|(k, _)| k.as_str())
    }

    /// Marks fields the schema promises as pending (before anything arrives).
    pub fn expect(&mut self, pointer: impl Into<String>) {
        self.states
            .entry(pointer.into())
            .or_insert(FieldState::Pending);
    }

    /// Updates the state of the change's path; returns (pointer, new state).
    pub fn apply(&mut self, change: &Change) -> (String, FieldState) {
        let state = match change {
            Change::Set {
                complete: false, ..
            }
            | Change::Append { .. } => FieldState::Streaming,
            Change::Set { complete: true, .. } | Change::Complete { .. } => FieldState::Complete,
            Change::Valid { .. } => FieldState::Valid,
            Change::Invalid { .. } => FieldState::Invalid,
        };
        let pointer = change.path().pointer();
        // A field that already failed or passed keeps that verdict when a later change (its
        // own `complete`) arrives out of order; validation always comes after completion.
        let entry = self.states.entry(pointer.clone()).or_insert(state);
        if !(matches!(*entry, FieldState::Valid | FieldState::Invalid)
            && state == FieldState::Complete)
        {
            *entry = state;
        }
        (pointer, *entry)
    }

    pub fn get(&self, pointer: &str) -> Option<FieldState> {
        self.states.get(pointer).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, FieldState)> {
        self.states.iter().map(|(k, v)| (k.as_str(), *v))
    }
}
