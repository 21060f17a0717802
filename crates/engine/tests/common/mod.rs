//! Helpers shared by the engine's integration tests (included with `mod common;`).
#![allow(dead_code)]

use std::sync::Arc;

use quarry_engine::{ApiKey, Client, KeySource};
use serde_json::{Value, json};

pub const TEST_KEY: &str = "sk-test-0123456789abcdef";

/// Hands out one fixed key for every provider, so tests never touch the process environment.
pub struct StaticKey;

impl KeySource for StaticKey {
    fn key(&self, _provider: &str, _env_var: &str) -> Option<ApiKey> {
        Some(ApiKey::new(TEST_KEY))
    }
}

pub fn client() -> Client {
    Client::builder().keys(Arc::new(StaticKey)).build()
}

/// The schema used across tests: small, with a nested object, an enum and an optional field.
pub fn person_schema() -> Value {
    json!({
        "title": "Person",
        "description": "A person mentioned in the text",
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Full name"},
            "age": {"type": "integer", "minimum": 0},
            "role": {"type": "string", "enum": ["engineer", "manager", "other"]},
            "address": {"$ref": "#/$defs/Address"}
        },
        "required": ["name", "age", "role"],
        "$defs": {
            "Address": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
                "required": ["city"]
            }
        }
    })
}

pub const PERSON_OK: &str = r#"{"name": "Ada Lovelace", "age": 36, "role": "engineer"}"#;
