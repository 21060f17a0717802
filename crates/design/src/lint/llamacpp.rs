//! llama.cpp's JSON Schema to grammar conversion: llama-server's `response_format` and
//! `json_schema`, and Ollama's `format`, which calls the same converter.
//!
//! Sources: <https://github.com/ggml-org/llama.cpp/blob/master/grammars/README.md#json-schemas--gbnf>
//! (its list of "limitations & unsupported features", and "A word about
//! additionalProperties"), and Ollama's `llama/llama.go` (`SchemaToGrammar` calls llama.cpp's
//! `schema_to_grammar`), read 2026-12.

use serde_json::Value;

use super::{Book, Finding, Fix, Node, PatchOp, Severity, join, move_to_description, types};

const BOOK: Book = Book {
    name: "llamacpp",
    source: "https://github.com/ggml-org/llama.cpp/blob/master/grammars/README.md#json-schemas--gbnf",
};

/// Keywords the converter does not turn into grammar: the model is not held to them.
const IGNORED: &[&str] = &[
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
    "$anchor",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "patternProperties",
];
const BOUNDS: &[&str] = &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];

pub(super) fn lint(_root: &Value, nodes: &[Node]) -> Vec<Finding> {
    let mut out = Vec::new();
    for node in nodes {
        let map = node.map;
        if let Some(pattern) = map.get("pattern").and_then(Value::as_str)
            && !(pattern.starts_with('^') && pattern.ends_with('$'))
        {
            let mut f = BOOK.finding(
                    "unanchored_pattern",
                    Severity::Error,
                    &node.at,
                    "the pattern does not start with `^` and end with `$`: llama.cpp refuses to convert the schema, so the server answers with an error".into(),
                    "patterns must start with ^ and end with $",
                );
            // Unanchored, a JSON Schema pattern matches anywhere in the string; `^.*(…).*$`
            // says the same where the pattern has no anchor of its own.
            if !pattern.starts_with('^') && !pattern.ends_with('$') {
                f.fix = Some(Fix {
                    label: format!(
                        "Anchor it as `^.*({pattern}).*$` (the same strings, outside line breaks)"
                    ),
                    ops: vec![PatchOp::Replace {
                        path: join(&node.at, "pattern"),
                        value: Value::String(format!("^.*({pattern}).*$")),
                    }],
                });
            }
            out.push(f);
        }
        if let Some(reference) = map.get("$ref").and_then(Value::as_str)
            && !reference.starts_with('#')
        {
            out.push(BOOK.finding(
                    "remote_ref",
                    Severity::Error,
                    &node.at,
                    format!("`$ref: {reference}` points outside the schema: the server's converter fetches no remote references"),
                    "remote $refs are not supported in the C++ version",
                ));
        }
        for keyword in IGNORED {
            if map.contains_key(*keyword) {
                out.push(BOOK.finding(
                    "ignored_keyword",
                    Severity::Warning,
                    &node.at,
                    format!("llama.cpp's grammar does not carry `{keyword}`: the model is not held to it (Quarry still checks the answer against it and re-asks)"),
                    "unsupported: contains/minContains, uniqueItems, $anchor, not, if/then/else/dependentSchemas, patternProperties",
                ));
            }
        }
        if map.contains_key("prefixItems") {
            out.push(BOOK.finding(
                "prefix_items",
                Severity::Warning,
                &node.at,
                "llama.cpp's conversion of `prefixItems` is broken; `items` (one schema for every element) works".into(),
                "prefixItems is broken (but items works)",
            ));
        }
        if let Some(format @ ("uri" | "email")) = map.get("format").and_then(Value::as_str) {
            out.push(BOOK.finding(
                "ignored_format",
                Severity::Warning,
                &node.at,
                format!("llama.cpp has no grammar for the `{format}` format: any string is allowed (Quarry still checks it)"),
                "string formats uri and email are not supported",
            ));
        }
        if types(map) == ["number"] {
            for keyword in BOUNDS {
                if map.contains_key(*keyword) {
                    let mut f = BOOK.finding(
                        "number_bounds",
                        Severity::Warning,
                        &node.at,
                        format!(
                            "`{keyword}` on a number (not an integer) is not carried into the grammar: the model is not held to it (Quarry still checks it)"
                        ),
                        "minimum, exclusiveMinimum, maximum, exclusiveMaximum are only supported for type integer, not number",
                    );
                    f.fix = move_to_description(node, keyword);
                    out.push(f);
                }
            }
        }
        if map.contains_key("properties")
            && (map.contains_key("anyOf") || map.contains_key("oneOf"))
        {
            out.push(BOOK.finding(
                "properties_with_union",
                Severity::Warning,
                &node.at,
                "`properties` beside `anyOf`/`oneOf` in one schema is not converted correctly: put the shared properties into each member".into(),
                "mixing properties with anyOf / oneOf in the same type is not supported",
            ));
        }
        if map.contains_key("properties") && !map.contains_key("additionalProperties") {
            let mut f = BOOK.finding(
                "open_object",
                Severity::Warning,
                &node.at,
                "this object allows keys besides its properties: the grammar lets the model add fields, and sampling is slower".into(),
                "by default objects accept additional properties, which make sampling slower; set additionalProperties: false",
            );
            f.fix = Some(Fix {
                label: "Add `additionalProperties: false` (only the listed properties)".into(),
                ops: vec![PatchOp::Add {
                    path: join(&node.at, "additionalProperties"),
                    value: Value::Bool(false),
                }],
            });
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Ruleset, fix_all, lint};
    use super::*;
    use serde_json::json;

    #[test]
    fn patterns_bounds_and_open_objects() {
        let schema = json!({
            "type": "object",
            "properties": {
                "code": {"type": "string", "pattern": "[A-Z]{3}"},
                "half": {"type": "string", "pattern": "^[a-z]+"},
                "score": {"type": "number", "minimum": 0},
                "count": {"type": "integer", "minimum": 0},
                "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
                "mail": {"type": "string", "format": "email"}
            }
        });
        let found: Vec<(String, String)> = lint(&schema, Ruleset::LlamacppGrammar, "json_schema")
            .into_iter()
            .map(|f| (f.rule, f.at))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "llamacpp.unanchored_pattern".into(),
                    "/properties/code".into()
                ),
                (
                    "llamacpp.unanchored_pattern".into(),
                    "/properties/half".into()
                ),
                ("llamacpp.open_object".into(), "".into()),
                ("llamacpp.number_bounds".into(), "/properties/score".into()),
                ("llamacpp.ignored_keyword".into(), "/properties/tags".into()),
                ("llamacpp.ignored_format".into(), "/properties/mail".into()),
            ]
        );
        let (fixed, n) = fix_all(&schema, Ruleset::LlamacppGrammar, "json_schema");
        assert_eq!(n, 3);
        assert_eq!(fixed["properties"]["code"]["pattern"], "^.*([A-Z]{3}).*$");
        assert_eq!(fixed["properties"]["half"]["pattern"], "^[a-z]+");
        assert_eq!(fixed["additionalProperties"], false);
        assert_eq!(
            fixed["properties"]["score"],
            json!({"type": "number", "description": "minimum: 0"})
        );
        // The anchored pattern still means what the unanchored one did.
        let re = regex_lite(&fixed["properties"]["code"]["pattern"]);
        assert!(re("xxABCyy") && !re("xxAByy"));
    }

    /// Checks a string against a pattern with jsonschema's own regex engine.
    fn regex_lite(pattern: &Value) -> impl Fn(&str) -> bool {
        let validator = jsonschema::validator_for(&json!({"pattern": pattern})).unwrap();
        move |s| validator.is_valid(&json!(s))
    }
}
