//! OpenAI structured outputs with `strict: true`.
//!
//! Source: <https://platform.openai.com/docs/guides/structured-outputs#supported-schemas>
//! ("Supported schemas": the supported types and keywords, "Objects have limitations on nesting
//! depth and size", "Some type-specific keywords are not yet supported"), read 2026-12.
//! Quarry's own strict normalization (`quarry_engine::schema::strictify`) already lists every
//! property in `required` (optional ones made nullable, their nulls dropped from the answer
//! again), closes every object with `additionalProperties: false` and sends `oneOf` as
//! `anyOf`; what it cannot repair is reported here.

use serde_json::Value;

use super::{Book, Finding, Node, Place, Severity, move_to_description, remove_keyword};

const BOOK: Book = Book {
    name: "openai",
    source: "https://platform.openai.com/docs/guides/structured-outputs#supported-schemas",
};

/// Composition keywords strict mode refuses.
const UNSUPPORTED: &[&str] = &[
    "allOf",
    "not",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "then",
    "else",
];

/// Keywords outside the documented list of supported ones (strings: pattern, format; numbers:
/// multipleOf, maximum, exclusiveMaximum, minimum, exclusiveMinimum; arrays: minItems,
/// maxItems).
const UNLISTED: &[&str] = &[
    "minLength",
    "maxLength",
    "patternProperties",
    "unevaluatedProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "unevaluatedItems",
    "contains",
    "minContains",
    "maxContains",
    "uniqueItems",
];

const FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

const MAX_PROPERTIES: usize = 5000;
const MAX_NESTING: usize = 10;
const MAX_STRING_CHARS: usize = 120_000;
const MAX_ENUM_VALUES: usize = 1000;
const LARGE_ENUM: usize = 250;
const LARGE_ENUM_CHARS: usize = 15_000;

pub(super) fn lint(root: &Value, nodes: &[Node]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut optional = Vec::new();
    let (mut properties, mut enum_values, mut chars) = (0usize, 0usize, 0usize);
    let mut deepest: Option<&Node> = None;
    for node in nodes {
        if let Place::Property { name, required } = &node.place {
            chars += name.chars().count();
            if !required {
                optional.push(name.as_str());
            }
        }
        if node.place == Place::Definition {
            chars += node.at.rsplit('/').next().map_or(0, |n| n.chars().count());
        }
        if let Some(p) = node.map.get("properties").and_then(Value::as_object) {
            properties += p.len();
        }
        if node.objects > deepest.map_or(0, |d| d.objects) {
            deepest = Some(node);
        }
        for keyword in UNSUPPORTED {
            if !node.map.contains_key(*keyword) {
                continue;
            }
            let mut f = BOOK.finding(
                "unsupported_keyword",
                Severity::Error,
                &node.at,
                format!(
                    "`{keyword}` is not supported in strict mode: OpenAI refuses the request (400)"
                ),
                "strict mode does not support the composition keywords allOf, not, dependentRequired, dependentSchemas, if, then and else",
            );
            f.fix = Some(single_ref(node, keyword).unwrap_or_else(|| {
                remove_keyword(
                    node,
                    keyword,
                    "the answer is no longer checked against it either",
                )
            }));
            out.push(f);
        }
        for keyword in UNLISTED {
            if node.map.contains_key(*keyword) {
                let mut f = BOOK.finding(
                    "unlisted_keyword",
                    Severity::Warning,
                    &node.at,
                    format!(
                        "`{keyword}` is not among the keywords OpenAI lists for strict mode: expect a refusal or no effect while the answer is written (Quarry still checks the answer against it and re-asks)"
                    ),
                    "strict mode supports, besides types: pattern and format for strings; multipleOf, minimum, maximum, exclusiveMinimum and exclusiveMaximum for numbers; minItems and maxItems for arrays",
                );
                f.fix = move_to_description(node, keyword);
                out.push(f);
            }
        }
        if let Some(format) = node.map.get("format").and_then(Value::as_str)
            && !FORMATS.contains(&format)
        {
            let mut f = BOOK.finding(
                "unsupported_format",
                Severity::Warning,
                &node.at,
                format!(
                    "the format `{format}` is not one strict mode supports, so it does not hold the answer to it (Quarry still checks it)"
                ),
                "strict mode supports the string formats date-time, time, date, duration, email, hostname, ipv4, ipv6 and uuid",
            );
            f.fix = move_to_description(node, "format");
            out.push(f);
        }
        match node.map.get("additionalProperties") {
            Some(Value::Bool(false)) | None => {}
            Some(_) => out.push(BOOK.finding(
                "open_object",
                Severity::Warning,
                &join_ap(&node.at),
                "strict mode needs `additionalProperties: false`, so Quarry sends this object closed: the model cannot answer with keys other than the listed properties (a map with free keys cannot be asked for in strict mode; use the tools mode, or a list of {key, value} objects)".into(),
                "additionalProperties: false must always be set in objects",
            )),
        }
        if node.map.contains_key("oneOf") {
            out.push(BOOK.finding(
                "one_of",
                Severity::Info,
                &node.at,
                "`oneOf` is sent as `anyOf` (strict mode has no oneOf); Quarry still checks that exactly one member matches".into(),
                "strict mode supports anyOf, not oneOf",
            ));
        }
        if let Some(values) = node.map.get("enum").and_then(Value::as_array) {
            enum_values += values.len();
            let strings: usize = values
                .iter()
                .filter_map(Value::as_str)
                .map(|s| s.chars().count())
                .sum();
            chars += strings;
            if values.len() > LARGE_ENUM && strings > LARGE_ENUM_CHARS {
                out.push(BOOK.finding(
                    "large_enum",
                    Severity::Error,
                    &node.at,
                    format!("this enum has {} values totalling {strings} characters: OpenAI refuses more than {LARGE_ENUM_CHARS} characters in an enum of over {LARGE_ENUM} values", values.len()),
                    "for a single enum property with more than 250 string values, the total string length of all enum values cannot exceed 15,000 characters",
                ));
            }
        }
        if let Some(Value::String(c)) = node.map.get("const") {
            chars += c.chars().count();
        }
    }
    if root.get("anyOf").is_some() && root.get("type").is_none() {
        // Quarry wraps a root union as `{content: …}`, so this is only for the user to know.
        out.push(BOOK.finding(
            "root_union",
            Severity::Info,
            "",
            "the root is a union, which strict mode refuses: Quarry sends it wrapped as the property `content` of an object and unwraps the answer".into(),
            "the root level object of a schema must be an object, and not use anyOf",
        ));
    }
    if !optional.is_empty() {
        let shown: Vec<String> = optional.iter().take(5).map(|n| format!("`{n}`")).collect();
        let more = optional.len().saturating_sub(5);
        out.push(BOOK.finding(
            "optional_made_nullable",
            Severity::Info,
            "",
            format!(
                "{} optional propert{} ({}{}) {} sent as required and nullable: the model answers null rather than leaving a field out, and Quarry drops those nulls from the result",
                optional.len(),
                if optional.len() == 1 { "y" } else { "ies" },
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() },
                if optional.len() == 1 { "is" } else { "are" },
            ),
            "all fields must be required; to make a field optional, give it a union type with null",
        ));
    }
    if properties > MAX_PROPERTIES {
        out.push(BOOK.finding(
            "too_many_properties",
            Severity::Error,
            "",
            format!("the schema has {properties} properties in all: OpenAI refuses more than {MAX_PROPERTIES}"),
            "a schema may have up to 5000 object properties total, with up to 10 levels of nesting",
        ));
    }
    if let Some(d) = deepest.filter(|d| d.objects > MAX_NESTING) {
        out.push(BOOK.finding(
            "too_deep",
            Severity::Error,
            &d.at,
            format!(
                "objects nest {} levels deep here: OpenAI refuses more than {MAX_NESTING}",
                d.objects
            ),
            "a schema may have up to 5000 object properties total, with up to 10 levels of nesting",
        ));
    }
    if enum_values > MAX_ENUM_VALUES {
        out.push(BOOK.finding(
            "too_many_enum_values",
            Severity::Error,
            "",
            format!("the schema's enums have {enum_values} values in all: OpenAI refuses more than {MAX_ENUM_VALUES}"),
            "a schema may have up to 1000 enum values across all enum properties",
        ));
    }
    if chars > MAX_STRING_CHARS {
        out.push(BOOK.finding(
            "too_much_text",
            Severity::Error,
            "",
            format!("property names, definition names, enum and const values come to {chars} characters: OpenAI refuses more than {MAX_STRING_CHARS}"),
            "the total string length of all property names, definition names, enum values, and const values cannot exceed 120,000 characters",
        ));
    }
    out
}

fn join_ap(at: &str) -> String {
    super::join(at, "additionalProperties")
}

/// `{"allOf": [{"$ref": X}]}` (how older Pydantic wrote a described reference) is `{"$ref":
/// X}`: the fix says it so.
fn single_ref(node: &Node, keyword: &str) -> Option<super::Fix> {
    if keyword != "allOf" {
        return None;
    }
    let [only] = node.map.get("allOf")?.as_array()?.as_slice() else {
        return None;
    };
    let only = only.as_object()?;
    let reference = only.get("$ref")?;
    if only.len() != 1 || node.map.contains_key("$ref") {
        return None;
    }
    Some(super::Fix {
        label: "Replace the one-member `allOf` with its `$ref` (the same schema)".into(),
        ops: vec![
            super::PatchOp::Remove {
                path: super::join(&node.at, "allOf"),
            },
            super::PatchOp::Add {
                path: super::join(&node.at, "$ref"),
                value: reference.clone(),
            },
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Ruleset, apply, fix_all, lint};
    use super::*;
    use serde_json::json;

    fn rules(schema: &Value) -> Vec<(String, String)> {
        lint(schema, Ruleset::OpenaiStrict, "tools_strict")
            .into_iter()
            .map(|f| (f.rule, f.at))
            .collect()
    }

    #[test]
    fn refused_ignored_and_changed_each_at_its_place() {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "site": {"type": "string", "format": "uri"},
                "when": {"type": "string", "format": "date"},
                "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                "kind": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                "adult": {"type": "integer", "not": {"const": 0}},
                "address": {"allOf": [{"$ref": "#/$defs/Address"}], "description": "Where"}
            },
            "required": ["name", "site", "when", "tags", "kind", "adult", "address"],
            "$defs": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}}}
        });
        assert_eq!(
            rules(&schema),
            [
                (
                    "openai.unsupported_keyword".into(),
                    "/properties/adult".into()
                ),
                (
                    "openai.unsupported_keyword".into(),
                    "/properties/address".into()
                ),
                ("openai.unlisted_keyword".into(), "/properties/name".into()),
                (
                    "openai.unsupported_format".into(),
                    "/properties/site".into()
                ),
                (
                    "openai.open_object".into(),
                    "/properties/tags/additionalProperties".into()
                ),
                ("openai.one_of".into(), "/properties/kind".into()),
                ("openai.optional_made_nullable".into(), "".into()),
            ]
        );
        // The allOf fix is a plain reference, in the allOf's place among the keys.
        let f = lint(&schema, Ruleset::OpenaiStrict, "tools_strict")
            .into_iter()
            .find(|f| f.at == "/properties/address")
            .unwrap();
        let mut fixed = schema.clone();
        apply(&mut fixed, &f.fix.unwrap().ops).unwrap();
        assert_eq!(
            fixed["properties"]["address"],
            json!({"description": "Where", "$ref": "#/$defs/Address"})
        );
    }

    #[test]
    fn fix_all_leaves_only_what_has_no_fix() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"type": "string", "minLength": 1, "maxLength": 9, "format": "uri"}},
            "required": ["a"]
        });
        let (fixed, n) = fix_all(&schema, Ruleset::OpenaiStrict, "tools_strict");
        assert_eq!(n, 3);
        assert_eq!(
            fixed["properties"]["a"],
            json!({"type": "string", "description": "minLength: 1 (maxLength: 9) (format: uri)"})
        );
        assert!(rules(&fixed).is_empty());
    }

    #[test]
    fn limits_are_counted_over_the_whole_schema() {
        let mut props = serde_json::Map::new();
        for i in 0..5001 {
            props.insert(format!("p{i}"), json!({"type": "string"}));
        }
        let names: Vec<String> = props.keys().cloned().collect();
        let wide = json!({"type": "object", "properties": props, "required": names});
        assert!(rules(&wide).contains(&("openai.too_many_properties".into(), "".into())));

        let mut deep = json!({"type": "string"});
        for _ in 0..11 {
            deep = json!({"type": "object", "properties": {"x": deep}, "required": ["x"]});
        }
        let found = rules(&deep);
        let (rule, at) = found.iter().find(|(r, _)| r == "openai.too_deep").unwrap();
        assert_eq!(rule, "openai.too_deep");
        assert_eq!(at.matches("/properties/x").count(), 10);

        let values: Vec<String> = (0..300).map(|i| format!("{i:0>60}")).collect();
        let big_enum =
            json!({"type": "object", "properties": {"e": {"enum": values}}, "required": ["e"]});
        assert!(rules(&big_enum).contains(&("openai.large_enum".into(), "/properties/e".into())));
        // 10 levels is allowed.
        let mut ten = json!({"type": "string"});
        for _ in 0..10 {
            ten = json!({"type": "object", "properties": {"x": ten}, "required": ["x"]});
        }
        assert!(rules(&ten).is_empty());
    }
}
