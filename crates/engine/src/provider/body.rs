//! Request bodies. JSON built per call, except for the parts that are the same on every call
//! of a run (the response schema, often tens of kilobytes): those are serialized once and
//! spliced in as raw JSON, so a call costs a copy of their bytes instead of a deep clone of a
//! JSON tree and a second serialization.

use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub enum Field {
    Json(Value),
    /// Pre-serialized JSON, written as is.
    Raw(Arc<RawValue>),
    Array(Vec<Field>),
    /// An object whose keys keep their order.
    Object(Vec<(String, Field)>),
}

impl Field {
    /// An object from `(key, field)` pairs.
    pub fn object<const N: usize>(pairs: [(&str, Field); N]) -> Field {
        Field::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    /// The same JSON as a `Value` (for events and tests; parses raw parts).
    pub fn to_value(&self) -> Value {
        match self {
            Field::Json(v) => v.clone(),
            Field::Raw(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
            Field::Array(items) => Value::Array(items.iter().map(Field::to_value).collect()),
            Field::Object(pairs) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect::<Map<String, Value>>(),
            ),
        }
    }
}

impl From<Value> for Field {
    fn from(v: Value) -> Self {
        Field::Json(v)
    }
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Json(v) => v.serialize(s),
            Field::Raw(raw) => (**raw).serialize(s),
            Field::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Field::Object(pairs) => serialize_pairs(pairs, s),
        }
    }
}

fn serialize_pairs<S: Serializer>(pairs: &[(String, Field)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// A JSON object body with ordered keys; setting an existing key replaces it in place.
#[derive(Debug, Clone, Default)]
pub struct Body(Vec<(String, Field)>);

impl Body {
    pub fn new() -> Self {
        Body(Vec::with_capacity(8))
    }

    pub fn set(&mut self, key: &str, value: impl Into<Field>) {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, slot)) => *slot = value,
            None => self.0.push((key.to_string(), value)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Field> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn to_value(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v.to_value()))
                .collect(),
        )
    }
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_pairs(&self.0, s)
    }
}

/// Serializes `value` once for splicing into bodies.
pub fn raw(value: &Value) -> Arc<RawValue> {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    RawValue::from_string(text)
        .map(Arc::from)
        .unwrap_or_else(|_| Arc::from(RawValue::NULL.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_in_order_with_raw_parts() {
        let schema = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let mut body = Body::new();
        body.set("model", json!("m"));
        body.set(
            "tools",
            Field::Array(vec![Field::object([
                ("type", json!("function").into()),
                ("parameters", Field::Raw(raw(&schema))),
            ])]),
        );
        body.set("temperature", json!(0.5));
        body.set("model", json!("n"));
        let text = serde_json::to_string(&body).unwrap();
        assert_eq!(
            text,
            r#"{"model":"n","tools":[{"type":"function","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}],"temperature":0.5}"#
        );
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            body.to_value()
        );
    }
}
