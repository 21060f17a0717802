//! Provider lint: for one provider and mode, what in a JSON Schema the provider will refuse,
//! what it silently ignores, and what Quarry's own normalization changes before sending it,
//! each at its place in the user's schema (a JSON Pointer), with the provider's rule, where
//! that rule is written down, and a fix where one exists.
//!
//! Which rules apply is read from the request Quarry would really send ([`target`]): where the
//! schema sits in the body and whether it is marked `strict`. The rules themselves are plain
//! functions over the schema, one module per rule book, each citing its source.
//!
//! A fix is a list of JSON Patch operations (RFC 6902's add/remove/replace) on the user's
//! schema, applied here so that keys keep their order ([`apply`]); `json-patch` removes with
//! `swap_remove`, which would move the last key of an object into the removed one's place.

mod anthropic;
mod gemini;
mod llamacpp;
mod openai;
pub mod target;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The provider refuses the request (an HTTP 400), or Quarry cannot send it.
    Error,
    /// The provider ignores it, or Quarry changes it, so the answer may not be what the schema
    /// says: Quarry still checks the answer against the schema and re-asks, at a cost.
    Warning,
    /// Worth knowing; nothing is lost.
    Info,
}

/// One JSON Patch operation (RFC 6902) on the schema; `path` is a JSON Pointer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum PatchOp {
    /// Sets a member (replacing it in place when it is there, appending it otherwise) or
    /// inserts into an array (`-` appends).
    Add {
        path: String,
        value: Value,
    },
    Remove {
        path: String,
    },
    Replace {
        path: String,
        value: Value,
    },
}

/// A one-click repair of a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Fix {
    /// What the fix does, and what it costs when it costs something.
    pub label: String,
    pub ops: Vec<PatchOp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Finding {
    /// A stable identifier of the rule, e.g. `openai.unsupported_keyword`.
    pub rule: String,
    pub severity: Severity,
    /// Where, as a JSON Pointer into the user's schema (`""` is the root).
    pub at: String,
    /// What is wrong here, and what happens because of it.
    pub message: String,
    /// The provider's rule, in a sentence.
    pub provider_rule: String,
    /// Where the rule is written down.
    pub source: String,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

/// A rule book's name (the prefix of its rules' identifiers) and where its rules are written.
struct Book {
    name: &'static str,
    source: &'static str,
}

impl Book {
    /// A finding of rule `rule` of this book, without a fix.
    fn finding(
        &self,
        rule: &str,
        severity: Severity,
        at: &str,
        message: String,
        provider_rule: &str,
    ) -> Finding {
        Finding {
            rule: format!("{}.{rule}", self.name),
            severity,
            at: at.to_string(),
            message,
            provider_rule: provider_rule.to_string(),
            source: self.source.into(),
            fix: None,
        }
    }
}

/// The rule book a provider and mode are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Ruleset {
    /// OpenAI structured outputs with `strict: true` (also what routers forward it to).
    OpenaiStrict,
    /// Anthropic's structured outputs (`output_config.format`).
    AnthropicStrict,
    /// Gemini's `Schema` object, an OpenAPI 3.0 subset (`responseSchema`, function parameters).
    GeminiSubset,
    /// llama.cpp's JSON Schema to grammar conversion (llama-server, and Ollama, which calls it).
    LlamacppGrammar,
    /// The schema is only text in the prompt: nothing constrains the answer as it is written.
    PromptOnly,
    /// The schema is sent as JSON Schema to a provider with no documented restrictions.
    AsIs,
}

impl Ruleset {
    /// What the rule book covers, in a sentence for the user.
    pub fn about(self) -> &'static str {
        match self {
            Ruleset::OpenaiStrict => {
                "OpenAI structured outputs (strict): a subset of JSON Schema, every property required, objects closed"
            }
            Ruleset::AnthropicStrict => {
                "Anthropic structured outputs: JSON Schema without numeric or length constraints, recursion or open objects"
            }
            Ruleset::GeminiSubset => {
                "Gemini's Schema object (an OpenAPI 3.0 subset): Quarry translates the schema and leaves out what it cannot say"
            }
            Ruleset::LlamacppGrammar => {
                "llama.cpp turns the schema into a grammar; some keywords are refused and some ignored"
            }
            Ruleset::PromptOnly => {
                "the schema goes to the model as text: nothing constrains the answer while it is written"
            }
            Ruleset::AsIs => {
                "the schema is sent as JSON Schema as it is; this provider documents no restrictions Quarry checks"
            }
        }
    }
}

/// Every finding for `schema` under `ruleset`, errors first, then in schema order.
pub fn lint(schema: &Value, ruleset: Ruleset, mode: &str) -> Vec<Finding> {
    let nodes = nodes(schema);
    let mut out = match ruleset {
        Ruleset::OpenaiStrict => openai::lint(schema, &nodes),
        Ruleset::AnthropicStrict => anthropic::lint(schema, &nodes),
        Ruleset::GeminiSubset => gemini::lint(schema, &nodes),
        Ruleset::LlamacppGrammar => llamacpp::lint(schema, &nodes),
        Ruleset::PromptOnly => vec![Finding {
            rule: "quarry.prompt_only".into(),
            severity: Severity::Info,
            at: String::new(),
            message: format!(
                "in the {mode} mode the schema is written into the prompt: the model is asked to follow it, not held to it, so Quarry checks each answer afterwards and re-asks when it does not fit"
            ),
            provider_rule: "a mode that sends the schema as a tool or a response format lets the provider constrain the answer to it".into(),
            source: "quarry modes".into(),
            fix: None,
        }],
        Ruleset::AsIs => Vec::new(),
    };
    // Stable: findings of one severity keep the schema's order.
    out.sort_by_key(|f| f.severity);
    out
}

/// Applies every fix a lint offers, one at a time and linting again after each (so no fix
/// works from a stale reading of the schema), until none is left. Returns the fixed schema
/// and how many fixes were applied.
pub fn fix_all(schema: &Value, ruleset: Ruleset, mode: &str) -> (Value, usize) {
    let mut current = schema.clone();
    let mut applied = 0;
    // Each fix removes the finding it repairs, so this ends; the bound is a guard against a
    // rule whose fix would not.
    for _ in 0..10_000 {
        let Some(fix) = lint(&current, ruleset, mode)
            .into_iter()
            .find_map(|f| f.fix)
        else {
            break;
        };
        let mut next = current.clone();
        if apply(&mut next, &fix.ops).is_err() || next == current {
            break;
        }
        current = next;
        applied += 1;
    }
    (current, applied)
}

/// Why a fix could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixError {
    #[error("the schema has no `{path}` any more (it changed since it was checked)")]
    Missing { path: String },
    #[error("`{path}` is not a JSON Pointer into the schema")]
    BadPointer { path: String },
}

impl FixError {
    pub fn code(&self) -> &'static str {
        match self {
            FixError::Missing { .. } => "fix_stale",
            FixError::BadPointer { .. } => "fix_bad_pointer",
        }
    }

    pub fn hint(&self) -> &'static str {
        "check the schema again and apply the fix it offers now"
    }
}

/// Applies `ops` to `schema` in order, keeping the order of every object's keys. On an error
/// `schema` may be partly changed: apply to a copy.
pub fn apply(schema: &mut Value, ops: &[PatchOp]) -> Result<(), FixError> {
    for op in ops {
        match op {
            PatchOp::Add { path, value } => add(schema, path, value.clone(), false)?,
            PatchOp::Replace { path, value } => add(schema, path, value.clone(), true)?,
            PatchOp::Remove { path } => remove(schema, path)?,
        }
    }
    Ok(())
}

/// The reference tokens of a JSON Pointer, unescaped (RFC 6901).
fn tokens(path: &str) -> Result<Vec<String>, FixError> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(FixError::BadPointer { path: path.into() });
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

/// The parent of `path`'s target and the last token.
fn parent<'v>(root: &'v mut Value, path: &str) -> Result<(&'v mut Value, String), FixError> {
    let mut tokens = tokens(path)?;
    let Some(last) = tokens.pop() else {
        return Err(FixError::BadPointer { path: path.into() });
    };
    let mut node = root;
    for t in tokens {
        node = match node {
            Value::Object(m) => m.get_mut(&t),
            Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| FixError::Missing { path: path.into() })?;
    }
    Ok((node, last))
}

fn add(root: &mut Value, path: &str, value: Value, must_exist: bool) -> Result<(), FixError> {
    if path.is_empty() {
        *root = value;
        return Ok(());
    }
    let missing = || FixError::Missing { path: path.into() };
    let (node, last) = parent(root, path)?;
    match node {
        Value::Object(m) => {
            if must_exist && !m.contains_key(&last) {
                return Err(missing());
            }
            // IndexMap's insert keeps an existing key where it is.
            m.insert(last, value);
        }
        Value::Array(a) => {
            let index = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>().map_err(|_| missing())?
            };
            if must_exist {
                *a.get_mut(index).ok_or_else(missing)? = value;
            } else if index <= a.len() {
                a.insert(index, value);
            } else {
                return Err(missing());
            }
        }
        _ => return Err(missing()),
    }
    Ok(())
}

fn remove(root: &mut Value, path: &str) -> Result<(), FixError> {
    let missing = || FixError::Missing { path: path.into() };
    let (node, last) = parent(root, path)?;
    match node {
        Value::Object(m) => m.shift_remove(&last).map(drop).ok_or_else(missing),
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => {
                a.remove(i);
                Ok(())
            }
            _ => Err(missing()),
        },
        _ => Err(missing()),
    }
}

/// `pointer` extended by one reference token, escaped.
pub(crate) fn join(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// Where a subschema sits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Place {
    Root,
    /// The schema of the property `name` of the object at `object`.
    Property {
        name: String,
        required: bool,
    },
    /// A definition under `$defs` or `definitions`.
    Definition,
    /// Anything else: items, union members, conditionals.
    Other,
}

/// One subschema of the user's schema.
#[derive(Debug)]
pub(crate) struct Node<'a> {
    pub at: String,
    pub map: &'a Map<String, Value>,
    pub place: Place,
    /// How many object schemas (with `properties`) enclose this one, itself included.
    pub objects: usize,
}

/// Schemas inside a schema, by keyword: a schema, a map of schemas, or a list of schemas.
const SINGLE: &[&str] = &[
    "additionalProperties",
    "additionalItems",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
];
const MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];
const LISTS: &[&str] = &["anyOf", "oneOf", "allOf", "prefixItems"];

/// How deep the walk goes: the engine refuses deeper schemas before any lint is asked for;
/// this bound keeps a schema linted on its own from taking unbounded memory.
const MAX_DEPTH: usize = 256;

/// Every subschema that is an object, in document order, with its place.
pub(crate) fn nodes(root: &Value) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut stack = vec![(root, String::new(), Place::Root, 0usize, 0usize)];
    while let Some((value, at, place, objects, depth)) = stack.pop() {
        let Value::Object(map) = value else { continue };
        let objects = objects + usize::from(map.contains_key("properties"));
        let mut children = Vec::new();
        if depth < MAX_DEPTH {
            let required: Vec<&str> = map
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (key, child) in map {
                let here = join(&at, key);
                if SINGLE.contains(&key.as_str()) || (key == "items" && child.is_object()) {
                    children.push((child, here, Place::Other));
                } else if MAPS.contains(&key.as_str()) {
                    for (name, schema) in child.as_object().into_iter().flatten() {
                        let place = match key.as_str() {
                            "properties" => Place::Property {
                                name: name.clone(),
                                required: required.contains(&name.as_str()),
                            },
                            "$defs" | "definitions" => Place::Definition,
                            _ => Place::Other,
                        };
                        children.push((schema, join(&here, name), place));
                    }
                } else if LISTS.contains(&key.as_str()) || (key == "items" && child.is_array()) {
                    for (i, schema) in child.as_array().into_iter().flatten().enumerate() {
                        children.push((schema, join(&here, &i.to_string()), Place::Other));
                    }
                }
            }
        }
        out.push(Node {
            at,
            map,
            place,
            objects,
        });
        // Reversed onto the stack, so they come off in document order.
        for (child, at, place) in children.into_iter().rev() {
            stack.push((child, at, place, objects, depth + 1));
        }
    }
    out
}

/// A fix that moves `keyword` out of the schema at `at` into its description, where the model
/// still reads it. The answer is then no longer checked against it, which the label says.
pub(crate) fn move_to_description(node: &Node, keyword: &str) -> Option<Fix> {
    let value = node.map.get(keyword)?;
    let shown = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let note = format!("{keyword}: {shown}");
    let description = match node.map.get("description").and_then(Value::as_str) {
        Some(d) if !d.is_empty() => format!("{d} ({note})"),
        _ => note,
    };
    Some(Fix {
        label: format!(
            "Move `{keyword}` into the description (the model reads it there; Quarry no longer checks the answer against it)"
        ),
        ops: vec![
            PatchOp::Remove {
                path: join(&node.at, keyword),
            },
            PatchOp::Add {
                path: join(&node.at, "description"),
                value: Value::String(description),
            },
        ],
    })
}

/// A fix that removes `keyword` from the schema at `at`.
pub(crate) fn remove_keyword(node: &Node, keyword: &str, cost: &str) -> Fix {
    Fix {
        label: format!("Remove `{keyword}` ({cost})"),
        ops: vec![PatchOp::Remove {
            path: join(&node.at, keyword),
        }],
    }
}

/// The `$ref` targets reachable from `reference` form a cycle back to it.
pub(crate) fn is_recursive(root: &Value, reference: &str) -> bool {
    let mut seen = Vec::new();
    let mut todo = vec![reference.to_string()];
    while let Some(r) = todo.pop() {
        let Some(target) = r.strip_prefix('#').and_then(|p| root.pointer(p)) else {
            continue;
        };
        for node in nodes(target) {
            if let Some(next) = node.map.get("$ref").and_then(Value::as_str) {
                if next == reference {
                    return true;
                }
                if !seen.iter().any(|s| s == next) {
                    seen.push(next.to_string());
                    todo.push(next.to_string());
                }
            }
        }
    }
    false
}

/// The schema's declared types (`type` as a string or a list).
pub(crate) fn types(map: &Map<String, Value>) -> Vec<&str> {
    match map.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn pointers_escape_and_nodes_come_in_document_order() {
        let schema = json!({
            "type": "object",
            "properties": {"a/b": {"type": "string"}, "c~d": {"type": "array", "items": {"type": "object", "properties": {"e": {}}}}},
            "required": ["a/b"],
            "$defs": {"X": {"anyOf": [{"type": "string"}, {"type": "null"}]}}
        });
        let at: Vec<String> = nodes(&schema).into_iter().map(|n| n.at).collect();
        assert_eq!(
            at,
            [
                "",
                "/properties/a~1b",
                "/properties/c~0d",
                "/properties/c~0d/items",
                "/properties/c~0d/items/properties/e",
                "/$defs/X",
                "/$defs/X/anyOf/0",
                "/$defs/X/anyOf/1",
            ]
        );
        let all = nodes(&schema);
        assert_eq!(
            all[1].place,
            Place::Property {
                name: "a/b".into(),
                required: true
            }
        );
        assert_eq!(all[4].objects, 2);
        for n in &all {
            assert_eq!(
                schema.pointer(&n.at).and_then(Value::as_object),
                Some(n.map)
            );
        }
    }

    #[test]
    fn patches_keep_key_order_and_refuse_stale_paths() {
        let mut s = json!({"a": 1, "b": 2, "c": 3, "d": [1, 2]});
        apply(
            &mut s,
            &[
                PatchOp::Remove { path: "/b".into() },
                PatchOp::Add {
                    path: "/a".into(),
                    value: json!(9),
                },
                PatchOp::Add {
                    path: "/e".into(),
                    value: json!(5),
                },
                PatchOp::Add {
                    path: "/d/-".into(),
                    value: json!(3),
                },
                PatchOp::Replace {
                    path: "/d/0".into(),
                    value: json!(0),
                },
            ],
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"a":9,"c":3,"d":[0,2,3],"e":5}"#
        );
        for (op, code) in [
            (PatchOp::Remove { path: "/x".into() }, "fix_stale"),
            (
                PatchOp::Replace {
                    path: "/x".into(),
                    value: json!(1),
                },
                "fix_stale",
            ),
            (
                PatchOp::Remove {
                    path: "/d/7".into(),
                },
                "fix_stale",
            ),
            (PatchOp::Remove { path: "x".into() }, "fix_bad_pointer"),
            (
                PatchOp::Remove {
                    path: "/a/b/c".into(),
                },
                "fix_stale",
            ),
        ] {
            let err = apply(&mut s.clone(), &[op]).unwrap_err();
            assert_eq!(err.code(), code, "{err}");
        }
    }

    #[test]
    fn moving_a_keyword_keeps_what_the_description_said() {
        let schema = json!({"type": "string", "minLength": 3, "description": "A name"});
        let node = &nodes(&schema)[0];
        let fix = move_to_description(node, "minLength").unwrap();
        let mut fixed = schema.clone();
        apply(&mut fixed, &fix.ops).unwrap();
        assert_eq!(
            fixed,
            json!({"type": "string", "description": "A name (minLength: 3)"})
        );
    }

    #[test]
    fn recursion_is_found_through_other_definitions() {
        let schema = json!({
            "$defs": {
                "A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}},
                "B": {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}},
                "C": {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}}
            }
        });
        assert!(is_recursive(&schema, "#/$defs/A"));
        assert!(!is_recursive(&schema, "#/$defs/C"));
        assert!(!is_recursive(&schema, "#/$defs/Missing"));
    }

    fn schema_strategy() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(json!({"type": "string"})),
            Just(json!({"type": "string", "minLength": 1, "format": "uri", "pattern": "a+"})),
            Just(json!({"type": "number", "minimum": 0, "maximum": 10})),
            Just(json!({"type": "integer", "multipleOf": 2})),
            Just(json!({"enum": ["a", "b", 3]})),
            Just(
                json!({"type": "array", "items": {"type": "string"}, "minItems": 2, "uniqueItems": true})
            ),
            Just(json!({"not": {"type": "null"}})),
            Just(json!({"type": "object", "additionalProperties": {"type": "string"}})),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                (
                    proptest::collection::vec(("[a-z]{1,6}", inner.clone()), 0..6),
                    any::<bool>()
                )
                    .prop_map(|(props, require)| {
                        let mut p = Map::new();
                        for (k, v) in props {
                            p.insert(k, v);
                        }
                        let required: Vec<Value> = if require {
                            p.keys().map(|k| json!(k)).collect()
                        } else {
                            Vec::new()
                        };
                        json!({"type": "object", "properties": p, "required": required, "x-keep": 1})
                    }),
                proptest::collection::vec(inner.clone(), 1..4)
                    .prop_map(|v| json!({"anyOf": v})),
                inner.prop_map(|i| json!({"type": "array", "items": i})),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// For every rule book: every finding points into the schema, every fix applies to
        /// the schema it was offered for, and fixing everything ends with no fix left and no
        /// key the fixes did not touch lost.
        #[test]
        fn fixes_apply_and_converge(schema in schema_strategy()) {
            for ruleset in [Ruleset::OpenaiStrict, Ruleset::AnthropicStrict, Ruleset::GeminiSubset, Ruleset::LlamacppGrammar] {
                for f in lint(&schema, ruleset, "tools") {
                    prop_assert!(schema.pointer(&f.at).is_some(), "{:?} points nowhere", f);
                    if let Some(fix) = &f.fix {
                        let mut fixed = schema.clone();
                        prop_assert!(apply(&mut fixed, &fix.ops).is_ok(), "{:?}", f);
                    }
                }
                let (fixed, _) = fix_all(&schema, ruleset, "tools");
                prop_assert!(lint(&fixed, ruleset, "tools").iter().all(|f| f.fix.is_none()));
                let text = fixed.to_string();
                prop_assert_eq!(text.matches("x-keep").count(), schema.to_string().matches("x-keep").count());
            }
        }
    }
}
