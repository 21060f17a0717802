use serde::Serialize;
use serde_json::{Value, json};

/// What every command returns on failure, as the UI receives it.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct CommandError {
    pub code: String,
    pub message: String,
    /// Structured context (with a `hint` saying how to fix it, where there is one).
    pub details: Value,
}

impl CommandError {
    pub fn new(code: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        CommandError {
            code: code.into(),
            message: message.into(),
            details: json!({ "hint": hint.into() }),
        }
    }
}

impl From<quarry_engine::Error> for CommandError {
    fn from(e: quarry_engine::Error) -> Self {
        let info = e.info();
        let mut details = info.details;
        if !details.is_object() {
            details = json!({});
        }
        if let Value::Object(map) = &mut details {
            map.insert("hint".into(), json!(info.hint));
            map.insert("kind".into(), json!(info.kind));
            // The field the UI highlights (`max_retries`, `api_key`, …).
            if let Some(setting) = info.setting {
                map.insert("setting".into(), json!(setting));
            }
        }
        CommandError {
            code: info.code,
            message: info.message,
            details,
        }
    }
}

impl From<quarry_store::StoreError> for CommandError {
    fn from(e: quarry_store::StoreError) -> Self {
        let mut err = CommandError::new(e.code(), e.to_string(), e.hint());
        if e.is_about_the_file()
            && let Value::Object(map) = &mut err.details
        {
            map.insert("setting".into(), json!(quarry_engine::Setting::Database));
        }
        err
    }
}

impl From<serde_json::Error> for CommandError {
    fn from(e: serde_json::Error) -> Self {
        CommandError::new(
            "bad_command",
            format!("the command's arguments do not fit: {e}"),
            "check the command's fields",
        )
    }
}
