//! What OpenAI refuses in a schema sent with `strict: true` (a function tool's `parameters`, or
//! `response_format.json_schema.schema`), refused the same way: 400 `invalid_request_error`.
//!
//! Sources, read in 2026:
//! - [DOC] <https://platform.openai.com/docs/guides/structured-outputs#supported-schemas>: the
//!   root must be an object and not `anyOf`; `additionalProperties: false` on every object;
//!   every property in `required`; `allOf`, `not`, `dependentRequired`, `dependentSchemas`,
//!   `if`, `then`, `else` are not supported.
//! - [ISSUE …] the real API's answers quoted in public records: `additionalProperties` at the
//!   root with `param: tools[0].function.parameters`, `code: invalid_function_parameters`
//!   [ISSUE xemantic/xemantic-ai-tool-schema#37, openai/openai-agents-python#1023], nested as
//!   `In context=('properties', 'permissions')` [ISSUE lastmile-ai/openai-agents-mcp#2];
//!   "'required' is required to be supplied and to be an array including every key in
//!   properties. Missing 'KEY'." for a response format, `code: invalid_json_schema`, with a
//!   context through `'items'` (found with the code search of public repositories, 2026-12);
//!   "In context=(), 'allOf' is not permitted." and `In context=('properties','findings',
//!   'items'), 'allOf' is not permitted.` (same). The root's message ("schema must be a JSON
//!   Schema of 'type: \"object\"', got …") is guessed: the one public record of a root union
//!   was cut short.
//!
//! Only the documented refusals are made: keywords the documentation neither lists as
//! supported nor as refused (`minLength`, …) pass, as do the size limits (not checked here).

use serde_json::Value;

use crate::Reply;

const UNSUPPORTED: &[&str] = &[
    "allOf",
    "not",
    "dependentRequired",
    "dependentSchemas",
    "if",
    "then",
    "else",
];

/// The refusal for a strict schema the real API would refuse, if any.
pub(crate) fn check(method: &str, path: &str, bytes: &[u8]) -> Option<Reply> {
    if method != "POST" || !path.ends_with("/chat/completions") {
        return None;
    }
    let body: Value = serde_json::from_slice(bytes).ok()?;
    for (i, tool) in body
        .get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(function) = tool.get("function") else {
            continue;
        };
        if function.get("strict") != Some(&Value::Bool(true)) {
            continue;
        }
        let name = function.get("name").and_then(Value::as_str).unwrap_or("");
        if let Some(parameters) = function.get("parameters")
            && let Err(why) = root(parameters)
        {
            return Some(refusal(
                &format!("Invalid schema for function '{name}': {why}"),
                &format!("tools[{i}].function.parameters"),
                "invalid_function_parameters",
            ));
        }
    }
    let format = body.get("response_format")?;
    let json_schema = format.get("json_schema")?;
    if json_schema.get("strict") != Some(&Value::Bool(true)) {
        return None;
    }
    let name = json_schema
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let schema = json_schema.get("schema")?;
    root(schema).err().map(|why| {
        refusal(
            &format!("Invalid schema for response_format '{name}': {why}"),
            "response_format",
            "invalid_json_schema",
        )
    })
}

fn refusal(message: &str, param: &str, code: &str) -> Reply {
    Reply::Json {
        status: 400,
        body: serde_json::json!({"error": {
            "message": message,
            "type": "invalid_request_error",
            "param": param,
            "code": code,
        }}),
        headers: Vec::new(),
    }
}

fn root(schema: &Value) -> Result<(), String> {
    if schema.get("type").and_then(Value::as_str) != Some("object") || schema.get("anyOf").is_some()
    {
        let got = match schema.get("type") {
            Some(Value::String(t)) => t.clone(),
            _ => "None".into(),
        };
        return Err(format!(
            "schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{got}\"'."
        ));
    }
    node(schema, &mut Vec::new(), 0)
}

/// The context as the API prints it: a Python tuple of the path's keys.
fn context(path: &[String]) -> String {
    match path {
        [] => "()".into(),
        [one] => format!("('{one}',)"),
        many => format!(
            "({})",
            many.iter()
                .map(|k| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn node(schema: &Value, path: &mut Vec<String>, depth: usize) -> Result<(), String> {
    let Some(map) = schema.as_object() else {
        return Ok(());
    };
    if depth > 64 {
        return Ok(());
    }
    for keyword in UNSUPPORTED {
        if map.contains_key(*keyword) {
            return Err(format!(
                "In context={}, '{keyword}' is not permitted.",
                context(path)
            ));
        }
    }
    let is_object = map.get("type").and_then(Value::as_str) == Some("object")
        || map
            .get("type")
            .and_then(Value::as_array)
            .is_some_and(|t| t.contains(&Value::from("object")))
        || map.contains_key("properties");
    if is_object {
        if map.get("additionalProperties") != Some(&Value::Bool(false)) {
            return Err(format!(
                "In context={}, 'additionalProperties' is required to be supplied and to be false.",
                context(path)
            ));
        }
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = map.get("properties").and_then(Value::as_object)
            && let Some(missing) = props.keys().find(|k| !required.contains(&k.as_str()))
        {
            return Err(format!(
                "In context={}, 'required' is required to be supplied and to be an array including every key in properties. Missing '{missing}'.",
                context(path)
            ));
        }
    }
    for (key, child) in map {
        match key.as_str() {
            "properties" | "$defs" | "definitions" => {
                for (name, c) in child.as_object().into_iter().flatten() {
                    path.push(key.clone());
                    path.push(name.clone());
                    let r = node(c, path, depth + 1);
                    path.truncate(path.len() - 2);
                    r?;
                }
            }
            "items" => {
                path.push(key.clone());
                let r = node(child, path, depth + 1);
                path.pop();
                r?;
            }
            "anyOf" => {
                for (i, c) in child.as_array().into_iter().flatten().enumerate() {
                    path.push(key.clone());
                    path.push(i.to_string());
                    let r = node(c, path, depth + 1);
                    path.truncate(path.len() - 2);
                    r?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn why(schema: Value) -> Option<String> {
        root(&schema).err()
    }

    #[test]
    fn the_documented_refusals_in_the_real_wording() {
        let closed = |p: Value, r: Value| json!({"type": "object", "properties": p, "required": r, "additionalProperties": false});
        assert_eq!(
            why(closed(json!({"a": {"type": "string"}}), json!(["a"]))),
            None
        );
        assert_eq!(
            why(json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]})).unwrap(),
            "In context=(), 'additionalProperties' is required to be supplied and to be false."
        );
        assert_eq!(
            why(closed(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                json!(["a"])
            ))
            .unwrap(),
            "In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'b'."
        );
        assert_eq!(
            why(closed(
                json!({"a": {"type": "integer", "not": {"const": 0}}}),
                json!(["a"])
            ))
            .unwrap(),
            "In context=('properties', 'a'), 'not' is not permitted."
        );
        assert_eq!(
            why(json!({"anyOf": [{"type": "object"}]})).unwrap(),
            "schema must be a JSON Schema of 'type: \"object\"', got 'type: \"None\"'."
        );
        // Not documented as refused: passes.
        assert_eq!(
            why(closed(
                json!({"a": {"type": "string", "minLength": 2}}),
                json!(["a"])
            )),
            None
        );
        assert_eq!(context(&["properties".into()]), "('properties',)");
    }
}
