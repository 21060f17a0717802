//! Anthropic structured outputs (`output_config.format`, and strict tools).
//!
//! Source: <https://platform.claude.com/docs/en/build-with-claude/structured-outputs#json-schema-limitations>
//! ("JSON Schema limitations": supported and unsupported features, the string formats, and
//! the complexity limits), read 2026-12. Quarry sends the schema strict-normalized (every
//! object closed, every property required, optional ones nullable) with the constraints
//! Anthropic refuses moved into descriptions (`quarry_engine::dialect::anthropic`, as
//! Anthropic's SDKs do); what no transformation can save is an error here.

use serde_json::Value;

use super::{Book, Finding, Node, Place, Severity, is_recursive, types};

const BOOK: Book = Book {
    name: "anthropic",
    source: "https://platform.claude.com/docs/en/build-with-claude/structured-outputs#json-schema-limitations",
};

/// Unions (anyOf, or a list of types) a schema may have in all.
const MAX_UNIONS: usize = 16;

pub(super) fn lint(root: &Value, nodes: &[Node]) -> Vec<Finding> {
    let mut out = Vec::new();
    let (mut unions, mut made_nullable) = (0usize, 0usize);
    for node in nodes {
        let map = node.map;
        let moved = quarry_engine::dialect::anthropic_refused(map);
        if !moved.is_empty() {
            let listed: Vec<String> = moved.iter().map(|k| format!("`{k}`")).collect();
            out.push(BOOK.finding(
                "moved_to_description",
                Severity::Info,
                &node.at,
                format!(
                    "{} {} not supported by structured outputs (Anthropic refuses the request with it): Quarry moves {} into the description, as Anthropic's SDKs do, where the model reads {}; the answer is still checked against {}",
                    listed.join(", "),
                    if moved.len() == 1 { "is" } else { "are" },
                    if moved.len() == 1 { "it" } else { "them" },
                    if moved.len() == 1 { "it" } else { "them" },
                    if moved.len() == 1 { "it" } else { "them" },
                ),
                "numerical constraints, string length constraints, array constraints beyond minItems of 0 or 1, and formats outside date-time, time, date, duration, email, hostname, uri, ipv4, ipv6 and uuid are not supported",
            ));
        }
        if let Some(pattern) = map.get("pattern").and_then(Value::as_str)
            && let Some(what) = unsupported_regex(pattern)
        {
            out.push(BOOK.finding(
                    "complex_pattern",
                    Severity::Error,
                    &node.at,
                    format!("the pattern uses {what}, which structured outputs' regular expressions do not have: Anthropic refuses the schema (400)"),
                    "regular expressions support simple patterns: no backreferences, lookahead or lookbehind assertions, or word boundaries",
                ));
        }
        if let Some(values) = map.get("enum").and_then(Value::as_array)
            && values.iter().any(|v| v.is_object() || v.is_array())
        {
            out.push(BOOK.finding(
                    "complex_enum",
                    Severity::Error,
                    &node.at,
                    "this enum has an object or a list among its values: structured outputs take only strings, numbers, booleans and null in an enum".into(),
                    "enums support only primitive values (no objects or arrays)",
                ));
        }
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            if !reference.starts_with('#') {
                out.push(BOOK.finding(
                    "external_ref",
                    Severity::Error,
                    &node.at,
                    format!("`$ref: {reference}` points outside the schema: structured outputs resolve only references inside it"),
                    "external $ref is not supported",
                ));
            } else if is_recursive(root, reference) {
                out.push(BOOK.finding(
                    "recursive",
                    Severity::Error,
                    &node.at,
                    format!("`{reference}` refers back to itself: structured outputs do not support recursive schemas (write the recursive part out to a fixed depth, or use the tools mode)"),
                    "recursive schemas are not supported",
                ));
            }
        }
        match map.get("additionalProperties") {
            Some(Value::Bool(false)) | None => {}
            Some(_) => out.push(BOOK.finding(
                "open_object",
                Severity::Warning,
                &super::join(&node.at, "additionalProperties"),
                "structured outputs need `additionalProperties: false`, so Quarry sends this object closed: the model cannot answer with keys other than the listed properties (use the tools mode for a map with free keys)".into(),
                "additionalProperties must be set to false for objects",
            )),
        }
        if map.contains_key("anyOf") || map.contains_key("oneOf") || types(map).len() > 1 {
            unions += 1;
        }
        if let Place::Property {
            required: false, ..
        } = node.place
            && types(map).len() <= 1
            && !map.contains_key("anyOf")
        {
            made_nullable += 1;
        }
    }
    // Quarry makes each optional property nullable (`type: [T, "null"]`): those are unions too.
    if unions + made_nullable > MAX_UNIONS {
        out.push(BOOK.finding(
            "too_many_unions",
            Severity::Error,
            "",
            format!(
                "the schema as sent has {} unions ({unions} in the schema, {made_nullable} optional properties Quarry sends as nullable): Anthropic refuses more than {MAX_UNIONS}; make optional properties required, or merge unions",
                unions + made_nullable
            ),
            "a schema may have at most 16 parameters with union types (anyOf or type arrays)",
        ));
    }
    out
}

/// What in `pattern` Anthropic's regular expressions lack, if anything.
fn unsupported_regex(pattern: &str) -> Option<&'static str> {
    let mut escaped = false;
    let chars: Vec<char> = pattern.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if escaped {
            escaped = false;
            match c {
                '1'..='9' => return Some("a backreference"),
                'b' | 'B' => return Some("a word boundary"),
                _ => continue,
            }
        }
        match c {
            '\\' => escaped = true,
            '(' if chars.get(i + 1) == Some(&'?') => match (chars.get(i + 2), chars.get(i + 3)) {
                (Some('=' | '!'), _) => return Some("a lookahead"),
                (Some('<'), Some('=' | '!')) => return Some("a lookbehind"),
                _ => {}
            },
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{Ruleset, lint};
    use super::*;
    use serde_json::json;

    fn rules(schema: &Value) -> Vec<(String, String)> {
        lint(schema, Ruleset::AnthropicStrict, "json_schema")
            .into_iter()
            .map(|f| (f.rule, f.at))
            .collect()
    }

    #[test]
    fn constraints_are_moved_and_recursion_and_patterns_refused() {
        let schema = json!({
            "type": "object",
            "properties": {
                "age": {"type": "integer", "minimum": 0},
                "name": {"type": "string", "maxLength": 40, "pattern": "^(\\w+)\\s\\1$"},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "many": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "site": {"type": "string", "format": "uri"},
                "ip": {"type": "string", "format": "iri"},
                "node": {"$ref": "#/$defs/Node"}
            },
            "required": ["age", "name", "tags", "many", "site", "ip", "node"],
            "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}, "required": ["next"]}}
        });
        let found = rules(&schema);
        assert_eq!(
            found,
            [
                (
                    "anthropic.complex_pattern".to_string(),
                    "/properties/name".to_string()
                ),
                ("anthropic.recursive".into(), "/properties/node".into()),
                (
                    "anthropic.recursive".into(),
                    "/$defs/Node/properties/next".into()
                ),
                (
                    "anthropic.moved_to_description".into(),
                    "/properties/age".into()
                ),
                (
                    "anthropic.moved_to_description".into(),
                    "/properties/name".into()
                ),
                (
                    "anthropic.moved_to_description".into(),
                    "/properties/many".into()
                ),
                (
                    "anthropic.moved_to_description".into(),
                    "/properties/ip".into()
                ),
            ]
        );
    }

    #[test]
    fn optional_properties_count_as_unions_once_made_nullable() {
        let mut props = serde_json::Map::new();
        for i in 0..17 {
            props.insert(format!("p{i}"), json!({"type": "string"}));
        }
        let optional = json!({"type": "object", "properties": props.clone()});
        assert!(rules(&optional).contains(&("anthropic.too_many_unions".into(), "".into())));
        let names: Vec<String> = props.keys().cloned().collect();
        let required = json!({"type": "object", "properties": props, "required": names});
        assert!(rules(&required).is_empty());
    }

    #[test]
    fn regex_features() {
        assert_eq!(unsupported_regex("^[a-z]+$"), None);
        assert_eq!(unsupported_regex("(?:a|b)"), None);
        assert_eq!(unsupported_regex("a(?=b)"), Some("a lookahead"));
        assert_eq!(unsupported_regex("(?<!a)b"), Some("a lookbehind"));
        assert_eq!(unsupported_regex("\\bword"), Some("a word boundary"));
        assert_eq!(unsupported_regex("\\\\1"), None);
    }
}
