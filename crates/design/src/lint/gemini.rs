//! Gemini's `Schema` object: the OpenAPI 3.0 subset of `generationConfig.responseSchema` and
//! of function declarations' `parameters` (the tools and json modes).
//!
//! Source: <https://ai.google.dev/api/caching#Schema> (the fields the object has), read
//! 2026-12. Quarry translates the user's schema into it (`quarry_engine::dialect::gemini`):
//! references inlined, unions with null as `nullable`, `const` as an enum, formats Gemini lacks
//! and non-string enums moved into the description. These findings say what that translation
//! leaves out or weakens; the answer is still checked against the user's whole schema.

use serde_json::Value;

use super::{Book, Finding, Node, Severity, is_recursive, types};

const BOOK: Book = Book {
    name: "gemini",
    source: "https://ai.google.dev/api/caching#Schema",
};

/// Keywords the translation carries over as it changes them (besides
/// `quarry_engine::dialect::GEMINI_COPIED`, copied as they are); the rest are left out.
const TRANSLATED: &[&str] = &[
    "type",
    "format",
    "description",
    "title",
    "enum",
    "const",
    "examples",
    "properties",
    "required",
    "items",
    "anyOf",
    "oneOf",
    "$ref",
    "$defs",
    "definitions",
];
/// Keywords about the document, not the answer: leaving them out changes nothing.
const HARMLESS: &[&str] = &["$schema", "$id", "$comment"];

fn known_format(ty: &str, format: &str) -> bool {
    match ty {
        "string" => matches!(format, "enum" | "date-time"),
        "number" => matches!(format, "float" | "double"),
        "integer" => matches!(format, "int32" | "int64"),
        _ => false,
    }
}

pub(super) fn lint(root: &Value, nodes: &[Node]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut closed = 0usize;
    for node in nodes {
        let map = node.map;
        if let Some(reference) = map.get("$ref").and_then(Value::as_str)
            && is_recursive(root, reference)
        {
            out.push(BOOK.finding(
                    "recursive",
                    Severity::Error,
                    &node.at,
                    format!("`{reference}` refers back to itself, and Gemini's Schema has no references to say that with: Quarry cannot send this schema in this mode (use the json_schema mode, which sends JSON Schema as it is, or write the recursive part out to a fixed depth)"),
                    "the Schema object has no $ref: a schema is one tree",
                ));
        }
        for (key, value) in map {
            if TRANSLATED.contains(&key.as_str())
                || quarry_engine::dialect::GEMINI_COPIED.contains(&key.as_str())
                || HARMLESS.contains(&key.as_str())
            {
                continue;
            }
            if key == "additionalProperties" && value == &Value::Bool(false) {
                closed += 1;
                continue;
            }
            if key == "allOf" && value.as_array().is_some_and(|a| a.len() == 1) {
                continue;
            }
            out.push(BOOK.finding(
                "left_out",
                Severity::Warning,
                &node.at,
                format!("Gemini's Schema has no `{key}`: Quarry leaves it out, so the model is not held to it (Quarry still checks the answer against it and re-asks)"),
                "the Schema object takes type, format, title, description, nullable, enum, maxItems, minItems, properties, required, minProperties, maxProperties, minLength, maxLength, pattern, example, anyOf, propertyOrdering, default, items, minimum and maximum",
            ));
        }
        let ty = types(map);
        if let Some(format) = map.get("format").and_then(Value::as_str) {
            let single: Vec<&str> = ty.iter().copied().filter(|t| *t != "null").collect();
            if !matches!(single.as_slice(), [t] if known_format(t, format)) {
                out.push(BOOK.finding(
                    "format_described",
                    Severity::Info,
                    &node.at,
                    format!("Gemini has no `{format}` format: Quarry writes it into the description instead, and checks the answer against it"),
                    "string formats are enum and date-time; numbers take float and double, integers int32 and int64",
                ));
            }
        }
        let values = map
            .get("enum")
            .and_then(Value::as_array)
            .cloned()
            .or_else(|| map.get("const").map(|c| vec![c.clone()]));
        if values.is_some_and(|v| !v.iter().all(Value::is_string)) {
            out.push(BOOK.finding(
                "enum_described",
                Severity::Warning,
                &node.at,
                "Gemini's enums hold only strings: Quarry lists these values in the description instead, so the model is asked, not held, to pick one".into(),
                "enum is for the STRING type: a list of the allowed strings",
            ));
        }
        if map.get("items").is_some_and(Value::is_array) || map.contains_key("prefixItems") {
            out.push(BOOK.finding(
                "tuple",
                Severity::Warning,
                &node.at,
                "a tuple (items per position) has no counterpart in Gemini's Schema: Quarry sends an array of any items".into(),
                "items is one Schema, for every element of the array",
            ));
        }
    }
    if closed > 0 {
        out.push(BOOK.finding(
            "closed_objects",
            Severity::Info,
            "",
            format!("`additionalProperties: false` ({closed} place{}) is left out: Gemini's Schema has no such field, and the answer is still checked for extra keys", if closed == 1 { "" } else { "s" }),
            "the Schema object has no additionalProperties",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{Ruleset, lint};
    use serde_json::json;

    #[test]
    fn what_the_translation_leaves_out() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "email": {"type": "string", "format": "email"},
                "when": {"type": "string", "format": "date-time"},
                "level": {"enum": [1, 2]},
                "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}]},
                "even": {"type": "integer", "multipleOf": 2},
                "child": {"$ref": "#"}
            },
            "additionalProperties": false
        });
        let found: Vec<(String, String)> = lint(&schema, Ruleset::GeminiSubset, "tools")
            .into_iter()
            .map(|f| (f.rule, f.at))
            .collect();
        assert_eq!(
            found,
            [
                ("gemini.recursive".into(), "/properties/child".into()),
                ("gemini.enum_described".into(), "/properties/level".into()),
                ("gemini.left_out".into(), "/properties/pair".into()),
                ("gemini.tuple".into(), "/properties/pair".into()),
                ("gemini.left_out".into(), "/properties/even".into()),
                ("gemini.format_described".into(), "/properties/email".into()),
                ("gemini.closed_objects".into(), "".into()),
            ]
        );
    }
}
