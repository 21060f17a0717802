//! JSON Schema validation (the `jsonschema` crate) with errors a model can act on: one
//! `at /path: message` line per problem.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One validation problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Issue {
    /// JSON Pointer into the answer (`""` is the whole answer).
    pub path: String,
    pub message: String,
}

impl Issue {
    /// Masks secrets out of the path and message (messages quote the offending value).
    pub fn redact(&mut self, r: &crate::secret::Redactor) {
        r.mask_string(&mut self.path);
        r.mask_string(&mut self.message);
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "at {path}: {}", self.message)
    }
}

/// Renders issues one per line, the form re-asks and error messages use.
pub fn render_issues(issues: &[Issue]) -> String {
    let mut out = String::new();
    for (i, issue) in issues.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&issue.to_string());
    }
    out
}

/// Longest quoted instance value kept in a message; a whole object echoed back helps nobody.
const MAX_MESSAGE: usize = 300;

/// Issues listed per validation; the rest are counted.
const MAX_ISSUES: usize = 100;

pub struct Validator(jsonschema::Validator);

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Validator")
    }
}

impl Validator {
    /// Compiles a schema; the draft comes from `$schema` (2020-12 when absent). `format` is
    /// enforced: in 2020-12 it is only an annotation by default, but someone who writes
    /// `"format": "date"` in an extraction schema means it.
    /// On failure: (message, schema location).
    pub fn new(schema: &Value) -> Result<Self, (String, String)> {
        jsonschema::options()
            .should_validate_formats(true)
            .build(schema)
            .map(Validator)
            .map_err(|e| {
                let at = e.schema_path().as_str().to_string();
                (e.to_string(), if at.is_empty() { "/".into() } else { at })
            })
    }

    pub fn validate(&self, value: &Value) -> Result<(), Vec<Issue>> {
        // The boolean check is several times cheaper than collecting errors; valid answers
        // (the common case) never pay for error rendering.
        if self.0.is_valid(value) {
            return Ok(());
        }
        let mut issues = Vec::new();
        let mut more = 0usize;
        for e in self.0.iter_errors(value) {
            // A huge answer can fail in a million places; the model and the person reading
            // need the first ones and a count, not a re-ask as long as the answer.
            if issues.len() >= MAX_ISSUES {
                more += 1;
                continue;
            }
            collect(&e, &mut issues, 0);
        }
        if more > 0 {
            issues.push(Issue {
                path: String::new(),
                message: format!("… and {more} more error(s) like these"),
            });
        }
        if issues.is_empty() {
            Err(vec![Issue {
                path: String::new(),
                message: "does not match the schema".into(),
            }])
        } else {
            Err(issues)
        }
    }
}

/// Turns one error into issues. For `anyOf`/`oneOf` whose branches all failed, the branches
/// that fail only because the value has another type (the `null` of a nullable field, the
/// other members of a union) are dropped; when one branch is left, its own errors say far more
/// than "is not valid under any of the schemas".
fn collect(e: &jsonschema::ValidationError<'_>, out: &mut Vec<Issue>, depth: usize) {
    use jsonschema::error::ValidationErrorKind as K;
    if depth < 16
        && let K::AnyOf { context } | K::OneOfNotValid { context } = e.kind()
    {
        let here = e.instance_path().as_str();
        let relevant: Vec<_> = context
            .iter()
            .filter(|branch| {
                !branch.iter().all(|inner| {
                    matches!(inner.kind(), K::Type { .. }) && inner.instance_path().as_str() == here
                })
            })
            .collect();
        if let [branch] = relevant.as_slice() {
            for inner in branch.iter() {
                collect(inner, out, depth + 1);
            }
            return;
        }
    }
    let mut message = e.to_string();
    if message.len() > MAX_MESSAGE {
        message = e.masked().to_string();
    }
    out.push(Issue {
        path: e.instance_path().as_str().to_string(),
        message,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn issues_name_the_path() {
        let v = Validator::new(&json!({"type": "object", "properties": {
            "age": {"type": "integer", "minimum": 0},
            "tags": {"type": "array", "items": {"type": "string"}}},
            "required": ["name"]}))
        .unwrap();
        let issues = v
            .validate(&json!({"age": -1, "tags": ["ok", 3]}))
            .unwrap_err();
        let text = render_issues(&issues);
        assert!(
            text.contains("at /age: -1 is less than the minimum of 0"),
            "{text}"
        );
        assert!(
            text.contains("at /tags/1: 3 is not of type \"string\""),
            "{text}"
        );
        assert!(
            text.contains("at /: \"name\" is a required property"),
            "{text}"
        );
    }

    #[test]
    fn nullable_objects_report_the_inner_errors() {
        let v = Validator::new(&json!({"type": "object", "properties": {
            "address": {"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}]}},
            "$defs": {"A": {"type": "object", "required": ["city"],
                            "properties": {"country": {"type": "string", "pattern": "^[A-Z]{2}$"}}}}}))
        .unwrap();
        let text = render_issues(
            &v.validate(&json!({"address": {"country": "Norway"}}))
                .unwrap_err(),
        );
        assert!(
            text.contains("at /address: \"city\" is a required property"),
            "{text}"
        );
        assert!(
            text.contains("at /address/country: \"Norway\" does not match"),
            "{text}"
        );
        assert!(!text.contains("anyOf"), "{text}");
    }

    #[test]
    fn formats_are_enforced() {
        let v = Validator::new(&json!({"type": "object", "properties": {
            "when": {"type": "string", "format": "date"},
            "mail": {"type": "string", "format": "email"}}}))
        .unwrap();
        assert!(
            v.validate(&json!({"when": "2026-11-03", "mail": "a@b.no"}))
                .is_ok()
        );
        let text = render_issues(
            &v.validate(&json!({"when": "3 Nov", "mail": "nobody"}))
                .unwrap_err(),
        );
        assert!(
            text.contains("at /when: \"3 Nov\" is not a \"date\""),
            "{text}"
        );
        assert!(text.contains("at /mail:"), "{text}");
    }

    #[test]
    fn draft7_is_honoured() {
        let v = Validator::new(
            &json!({"$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object", "definitions": {"n": {"type": "number"}},
            "properties": {"x": {"$ref": "#/definitions/n"}}}),
        )
        .unwrap();
        assert!(v.validate(&json!({"x": 1})).is_ok());
        assert!(v.validate(&json!({"x": "1"})).is_err());
    }

    #[test]
    fn invalid_schemas_are_reported_with_their_location() {
        let (msg, at) =
            Validator::new(&json!({"type": "object", "properties": {"a": {"type": "strin"}}}))
                .unwrap_err();
        assert!(msg.contains("strin"), "{msg}");
        assert!(at.contains("properties"), "{at}");
    }
}
