//! Schema dialects: the user's JSON Schema as a provider's API takes it. OpenAI's strict form
//! lives in `schema` (it is also validated against); Anthropic takes JSON Schema as is in a
//! tool, and for structured outputs the strict form without the constraints it refuses
//! ([`anthropic`]). This module has those, and Gemini's: the OpenAPI 3.0 subset of `functionDeclarations[].parameters` and
//! `generationConfig.responseSchema` (Google's `Schema` object), which has no `$ref`, no
//! `additionalProperties`, no type lists and no `const`, and marks optional values `nullable`.
//!
//! The translation is lossy only where the subset has no way to say a thing (a format Gemini
//! does not know, an enum of numbers): the constraint then goes into the description, and the
//! answer is still validated against the original schema, so a broken one is re-asked.

use serde_json::{Map, Value, json};

/// How deep a translated schema may nest (a guard: the schemas Quarry accepts are checked for
/// depth already, but `$ref`s inlined here can multiply it).
const MAX_DEPTH: usize = 64;

/// Why a schema cannot be said in Gemini's subset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialectError {
    #[error(
        "the schema refers to `{reference}` from inside itself, and Gemini's schema format cannot express a recursive schema (it has no `$ref`)"
    )]
    Recursive { reference: String },
    #[error("the schema's `$ref` `{reference}` does not point into the schema")]
    Dangling { reference: String },
    #[error("the schema nests deeper than {MAX_DEPTH} levels once its `$ref`s are inlined")]
    TooDeep,
}

/// Keywords Gemini's `Schema` has under the same name and meaning, copied as they are.
pub const GEMINI_COPIED: &[&str] = &[
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "default",
];

/// Formats Gemini's `Schema.format` accepts, by type (others are refused with a 400).
fn known_format(ty: &str, format: &str) -> bool {
    match ty {
        "STRING" => matches!(format, "enum" | "date-time"),
        "NUMBER" => matches!(format, "float" | "double"),
        "INTEGER" => matches!(format, "int32" | "int64"),
        _ => false,
    }
}

/// `schema` in Gemini's OpenAPI subset: `$ref`s inlined, `anyOf [X, null]` and type lists with
/// `null` as `nullable`, `const` as a one-value `enum`, upper-case type names, property order
/// kept in `propertyOrdering`, unsupported keywords dropped.
pub fn gemini(schema: &Value) -> Result<Value, DialectError> {
    let mut stack = Vec::new();
    convert(schema, schema, 0, &mut stack)
}

fn resolve<'a>(root: &'a Value, reference: &str) -> Result<&'a Value, DialectError> {
    reference
        .strip_prefix('#')
        .and_then(|pointer| root.pointer(pointer))
        .ok_or_else(|| DialectError::Dangling {
            reference: reference.to_string(),
        })
}

/// Adds `text` to the description of `out` (a constraint the subset cannot carry).
fn describe(out: &mut Map<String, Value>, text: String) {
    let merged = match out.get("description").and_then(Value::as_str) {
        Some(d) if !d.is_empty() => format!("{d} ({text})"),
        _ => text,
    };
    out.insert("description".into(), Value::String(merged));
}

fn convert(
    node: &Value,
    root: &Value,
    depth: usize,
    stack: &mut Vec<String>,
) -> Result<Value, DialectError> {
    if depth > MAX_DEPTH {
        return Err(DialectError::TooDeep);
    }
    let Some(obj) = node.as_object() else {
        // `true` (anything) has no counterpart; an empty schema is the nearest.
        return Ok(json!({}));
    };
    if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
        if stack.iter().any(|r| r == reference) {
            return Err(DialectError::Recursive {
                reference: reference.to_string(),
            });
        }
        let target = resolve(root, reference)?;
        stack.push(reference.to_string());
        let inlined = convert(target, root, depth + 1, stack);
        stack.pop();
        let mut inlined = inlined?;
        // Keywords beside a `$ref` (a description, most often) describe this use of it.
        if let (Some(out), Some(d)) = (
            inlined.as_object_mut(),
            obj.get("description").and_then(Value::as_str),
        ) {
            out.insert("description".into(), json!(d));
        }
        return Ok(inlined);
    }
    if let Some([only]) = obj
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        let mut merged = obj.clone();
        merged.remove("allOf");
        let mut inner = convert(only, root, depth + 1, stack)?;
        if let Some(inner) = inner.as_object_mut() {
            for (k, v) in convert(&Value::Object(merged), root, depth + 1, stack)?
                .as_object()
                .into_iter()
                .flatten()
            {
                inner.insert(k.clone(), v.clone());
            }
        }
        return Ok(inner);
    }

    let mut out = Map::new();
    let mut nullable = false;
    if let Some(d) = obj.get("description").and_then(Value::as_str) {
        out.insert("description".into(), json!(d));
    }
    if let Some(t) = obj.get("title").and_then(Value::as_str) {
        out.insert("title".into(), json!(t));
    }

    // A union: null branches become `nullable`; one branch left is that branch.
    let union = obj
        .get("anyOf")
        .or_else(|| obj.get("oneOf"))
        .and_then(Value::as_array);
    if let Some(branches) = union {
        let mut kept = Vec::new();
        for b in branches {
            if b.get("type").and_then(Value::as_str) == Some("null") {
                nullable = true;
            } else {
                kept.push(convert(b, root, depth + 1, stack)?);
            }
        }
        if let [single] = kept.as_slice() {
            let mut single = single.as_object().cloned().unwrap_or_default();
            for (k, v) in out {
                single.insert(k, v);
            }
            out = single;
        } else {
            out.insert("anyOf".into(), Value::Array(kept));
        }
        if nullable {
            out.insert("nullable".into(), json!(true));
        }
        return Ok(Value::Object(out));
    }

    let types: Vec<&str> = match obj.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ if obj.contains_key("properties") => vec!["object"],
        _ if obj.contains_key("items") => vec!["array"],
        _ => Vec::new(),
    };
    nullable |= types.contains(&"null");
    let types: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
    if types.len() > 1 {
        // `["string", "integer"]`: a union of the single-type schemas.
        let branches = types
            .iter()
            .map(|t| {
                let mut one = obj.clone();
                one.insert("type".into(), json!(t));
                convert(&Value::Object(one), root, depth + 1, stack)
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.insert("anyOf".into(), Value::Array(branches));
        if nullable {
            out.insert("nullable".into(), json!(true));
        }
        return Ok(Value::Object(out));
    }
    let ty = types.first().map(|t| t.to_ascii_uppercase());
    if let Some(ty) = &ty {
        out.insert("type".into(), json!(ty));
    }
    if nullable {
        out.insert("nullable".into(), json!(true));
    }

    if let Some(format) = obj.get("format").and_then(Value::as_str) {
        match &ty {
            Some(t) if known_format(t, format) => {
                out.insert("format".into(), json!(format));
            }
            _ => describe(&mut out, format!("format: {format}")),
        }
    }
    let values = obj
        .get("enum")
        .and_then(Value::as_array)
        .cloned()
        .or_else(|| obj.get("const").map(|c| vec![c.clone()]));
    if let Some(values) = values {
        if values.iter().all(Value::is_string) {
            out.insert("enum".into(), Value::Array(values));
            // Gemini's enums are of strings, marked by the format.
            if ty.is_none() {
                out.insert("type".into(), json!("STRING"));
            }
        } else {
            let listed: Vec<String> = values.iter().map(Value::to_string).collect();
            describe(&mut out, format!("one of: {}", listed.join(", ")));
        }
    }
    for &key in GEMINI_COPIED {
        if let Some(v) = obj.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    if let Some(example) = obj
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        out.insert("example".into(), example.clone());
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        let mut converted = Map::new();
        for (name, schema) in props {
            converted.insert(name.clone(), convert(schema, root, depth + 1, stack)?);
        }
        let names: Vec<Value> = props.keys().map(|k| json!(k)).collect();
        out.insert("properties".into(), Value::Object(converted));
        // Gemini otherwise orders fields alphabetically in its answer.
        out.insert("propertyOrdering".into(), Value::Array(names));
        if let Some(required) = obj.get("required").and_then(Value::as_array) {
            let required: Vec<Value> = required
                .iter()
                .filter(|r| r.as_str().is_some_and(|r| props.contains_key(r)))
                .cloned()
                .collect();
            out.insert("required".into(), Value::Array(required));
        }
    }
    match obj.get("items") {
        Some(items @ Value::Object(_)) => {
            out.insert("items".into(), convert(items, root, depth + 1, stack)?);
        }
        // Tuples (`prefixItems`, or `items` as a list) have no counterpart: any item.
        _ if ty.as_deref() == Some("ARRAY") => {
            out.insert("items".into(), json!({}));
        }
        _ => {}
    }
    Ok(Value::Object(out))
}

/// Formats Anthropic's structured outputs take.
const ANTHROPIC_FORMATS: &[&str] = &[
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "uri",
    "ipv4",
    "ipv6",
    "uuid",
];

/// Anthropic's structured outputs (`output_config.format.schema`) from the strict-normalized
/// schema: the constraints they refuse with a 400 — numeric bounds, string lengths, array
/// bounds beyond `minItems` 0 or 1, formats they do not know — moved into the description,
/// where the model still reads them, as Anthropic's own SDKs do. The answer is validated
/// against the user's whole schema, so a broken constraint is still re-asked.
///
/// Source: <https://platform.claude.com/docs/en/build-with-claude/structured-outputs#json-schema-limitations>
/// and "How SDK transformation works" on the same page.
pub fn anthropic(strict: &Value) -> Value {
    let mut out = strict.clone();
    anthropic_node(&mut out, 0);
    out
}

/// The keywords of one schema that Anthropic's structured outputs refuse, which [`anthropic`]
/// moves into its description.
pub fn anthropic_refused(map: &Map<String, Value>) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = [
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "maxItems",
        "uniqueItems",
    ]
    .into_iter()
    .filter(|k| map.contains_key(*k))
    .collect();
    if map
        .get("minItems")
        .and_then(Value::as_u64)
        .is_some_and(|n| n > 1)
    {
        out.push("minItems");
    }
    if map
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| !ANTHROPIC_FORMATS.contains(&f))
    {
        out.push("format");
    }
    out
}

/// One schema (not a map of them: a property may be called `minimum`).
fn anthropic_node(node: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Value::Object(map) = node {
        let mut moved = Vec::new();
        for key in anthropic_refused(map) {
            if let Some(v) = map.shift_remove(key) {
                moved.push(match v {
                    Value::String(text) => format!("{key}: {text}"),
                    other => format!("{key}: {other}"),
                });
            }
        }
        if !moved.is_empty() {
            describe(map, moved.join(", "));
        }
        for (key, child) in map.iter_mut() {
            match (key.as_str(), child) {
                (
                    "properties" | "$defs" | "definitions" | "patternProperties"
                    | "dependentSchemas",
                    Value::Object(schemas),
                ) => {
                    for schema in schemas.values_mut() {
                        anthropic_node(schema, depth + 1);
                    }
                }
                ("anyOf" | "oneOf" | "allOf" | "prefixItems" | "items", Value::Array(schemas)) => {
                    for schema in schemas {
                        anthropic_node(schema, depth + 1);
                    }
                }
                (
                    "items"
                    | "additionalProperties"
                    | "additionalItems"
                    | "not"
                    | "if"
                    | "then"
                    | "else"
                    | "contains"
                    | "propertyNames"
                    | "unevaluatedProperties"
                    | "unevaluatedItems",
                    schema,
                ) => anthropic_node(schema, depth + 1),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_moves_the_constraints_it_refuses_into_descriptions() {
        let strict = json!({
            "type": "object",
            "properties": {
                "age": {"type": "integer", "minimum": 0, "maximum": 150, "description": "Years"},
                "name": {"type": "string", "minLength": 1, "format": "email"},
                "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}, "minItems": 1, "maxItems": 5},
                "many": {"type": "array", "items": {"type": "string", "format": "iri"}, "minItems": 2},
                "minimum": {"type": "number", "enum": [1, 2], "default": 1}
            },
            "required": ["age", "name", "tags", "many", "minimum"],
            "additionalProperties": false
        });
        assert_eq!(
            anthropic(&strict),
            json!({
                "type": "object",
                "properties": {
                    "age": {"type": "integer", "description": "Years (minimum: 0, maximum: 150)"},
                    "name": {"type": "string", "format": "email", "description": "minLength: 1"},
                    "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}, "minItems": 1, "description": "maxItems: 5"},
                    "many": {"type": "array", "items": {"type": "string", "description": "format: iri"}, "description": "minItems: 2"},
                    "minimum": {"type": "number", "enum": [1, 2], "default": 1}
                },
                "required": ["age", "name", "tags", "many", "minimum"],
                "additionalProperties": false
            })
        );
    }

    #[test]
    fn refs_are_inlined_and_nullable_unions_flattened() {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "format": "email"},
                "address": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}], "description": "Where"},
                "age": {"type": ["integer", "null"], "minimum": 0},
                "kind": {"const": "person"},
                "level": {"enum": [1, 2, 3]}
            },
            "required": ["name", "ghost"],
            "additionalProperties": false,
            "$defs": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
        });
        let g = gemini(&schema).unwrap();
        assert_eq!(
            g,
            json!({
                "type": "OBJECT",
                "properties": {
                    "name": {"type": "STRING", "description": "format: email"},
                    "address": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}},
                                "propertyOrdering": ["city"], "required": ["city"],
                                "description": "Where", "nullable": true},
                    "age": {"type": "INTEGER", "nullable": true, "minimum": 0},
                    "kind": {"enum": ["person"], "type": "STRING"},
                    "level": {"description": "one of: 1, 2, 3"}
                },
                "propertyOrdering": ["name", "address", "age", "kind", "level"],
                "required": ["name"]
            })
        );
        let text = g.to_string();
        for banned in [
            "$ref",
            "$defs",
            "additionalProperties",
            "anyOf",
            "const",
            "null\"",
        ] {
            assert!(!text.contains(banned), "{banned} in {text}");
        }
    }

    #[test]
    fn recursion_and_dangling_refs_are_errors_not_loops() {
        let recursive = json!({"type": "object", "properties": {"child": {"$ref": "#"}}});
        assert!(matches!(
            gemini(&recursive),
            Err(DialectError::Recursive { .. })
        ));
        let dangling = json!({"properties": {"x": {"$ref": "#/$defs/Nope"}}});
        assert!(matches!(
            gemini(&dangling),
            Err(DialectError::Dangling { .. })
        ));
    }

    #[test]
    fn unions_of_several_types_stay_unions() {
        let g =
            gemini(&json!({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}))
                .unwrap();
        assert_eq!(
            g,
            json!({"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}], "nullable": true})
        );
        let g = gemini(&json!({"type": ["string", "number"]})).unwrap();
        assert_eq!(
            g,
            json!({"anyOf": [{"type": "STRING"}, {"type": "NUMBER"}]})
        );
    }
}
