//! A schema brought in from elsewhere, made into the JSON Schema (draft 2020-12) Quarry works
//! with: a JSON Schema of an older draft (04, 06, 07: what many tools still write), Pydantic's
//! `model_json_schema()` (2020-12 already) or its v1 `.schema()` (`definitions`), or one
//! component of an OpenAPI document (3.1, 3.0 or Swagger 2.0; JSON or YAML) with every
//! component it refers to.
//!
//! Each change is said in a note, and nothing the conversion does not understand is dropped
//! (OpenAPI's `discriminator`, `xml` and `externalDocs`, which mean nothing to a validator or a
//! model, are the exception, and are noted). The result is checked against the 2020-12
//! meta-schema and by the engine, so what comes out is a schema a run accepts.

use serde::Serialize;
use serde_json::{Map, Value, json};
use ts_rs::TS;

const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// How deep a document may nest before it is refused (serde_json stops at 128 anyway; YAML
/// has no such limit).
const MAX_DEPTH: usize = 128;

/// A schema brought in, and what was done to it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Imported {
    pub schema: Value,
    /// What the text was read as, e.g. "OpenAPI 3.0 component `Pet`".
    pub source: String,
    /// Each kind of change made, with where it was made first.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the text is neither JSON nor YAML: {detail}")]
    NotParsed { detail: String },
    #[error("the document is {found}, not a JSON Schema or an OpenAPI document")]
    NotASchema { found: &'static str },
    #[error("the OpenAPI document has {count} schemas; say which to import ({names})")]
    WhichComponent { count: usize, names: String },
    #[error("the OpenAPI document has no schema `{name}` (it has: {names})")]
    NoSuchComponent { name: String, names: String },
    #[error("the OpenAPI document has no schemas (under `{at}`)")]
    NoComponents { at: &'static str },
    #[error("`$ref: {reference}` at {at} points outside this document")]
    External { reference: String, at: String },
    #[error("`$ref: {reference}` at {at} points at nothing in the schema brought in")]
    Dangling { reference: String, at: String },
    #[error("the document nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the converted schema is not valid JSON Schema: {message} (at {at})")]
    Invalid { message: String, at: String },
    #[error("--component names a schema in an OpenAPI document, and this is a JSON Schema")]
    ComponentOfSchema,
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::NotParsed { .. } => "import_not_parsed",
            ImportError::NotASchema { .. } => "import_not_a_schema",
            ImportError::WhichComponent { .. } | ImportError::ComponentOfSchema => {
                "import_which_component"
            }
            ImportError::NoSuchComponent { .. } | ImportError::NoComponents { .. } => {
                "import_no_component"
            }
            ImportError::External { .. } | ImportError::Dangling { .. } => "import_bad_ref",
            ImportError::TooDeep => "import_too_deep",
            ImportError::Invalid { .. } => "import_invalid",
        }
    }

    pub fn hint(&self) -> String {
        match self {
            ImportError::NotParsed { .. } => {
                "give a JSON Schema, Pydantic's model_json_schema() output, or an OpenAPI document, as JSON or YAML".into()
            }
            ImportError::NotASchema { .. } => "a schema is a JSON object".into(),
            ImportError::WhichComponent { .. } | ImportError::NoSuchComponent { .. } => {
                "choose one of the document's schemas to import".into()
            }
            ImportError::NoComponents { .. } => {
                "an OpenAPI document keeps its schemas under components/schemas (3.x) or definitions (2.0)".into()
            }
            ImportError::External { .. } => {
                "Quarry imports one file: copy the referred schema into this document".into()
            }
            ImportError::Dangling { .. } => "correct the reference, or add what it points at".into(),
            ImportError::TooDeep => "flatten the schema".into(),
            ImportError::Invalid { .. } => "correct the schema at that place".into(),
            ImportError::ComponentOfSchema => "leave out the component".into(),
        }
    }
}

/// Reads `text` (JSON or YAML) and brings in the schema it holds; `component` names the schema
/// of an OpenAPI document.
pub fn import(text: &str, component: Option<&str>) -> Result<Imported, ImportError> {
    let doc = parse(text)?;
    let Value::Object(map) = &doc else {
        return Err(ImportError::NotASchema {
            found: kind_of(&doc),
        });
    };
    if let Some(version) = map.get("openapi").and_then(Value::as_str) {
        let dialect = if version.starts_with("3.0") {
            Dialect::OpenApi30
        } else {
            Dialect::JsonSchema2020
        };
        return openapi(
            &doc,
            component,
            "/components/schemas",
            "components/schemas",
            dialect,
            &format!("OpenAPI {version}"),
        );
    }
    if map.get("swagger").and_then(Value::as_str).is_some() {
        return openapi(
            &doc,
            component,
            "/definitions",
            "definitions",
            Dialect::OpenApi30,
            "Swagger 2.0",
        );
    }
    if component.is_some() {
        return Err(ImportError::ComponentOfSchema);
    }
    let declared = map.get("$schema").and_then(Value::as_str).unwrap_or("");
    let (dialect, source) = if declared.contains("draft-04") {
        (Dialect::Draft04, "JSON Schema draft-04")
    } else if declared.contains("draft-06") {
        (Dialect::Draft07, "JSON Schema draft-06")
    } else if declared.contains("draft-07") {
        (Dialect::Draft07, "JSON Schema draft-07")
    } else if declared.contains("2019-09") {
        // 2019-09 still writes tuples as an `items` list.
        (Dialect::Draft07, "JSON Schema 2019-09")
    } else if map.contains_key("definitions") && !map.contains_key("$defs") {
        // No `$schema` and `definitions`: Pydantic v1's `.schema()` and most older tools.
        (Dialect::Draft07, "JSON Schema (definitions, as draft-07)")
    } else {
        (Dialect::JsonSchema2020, "JSON Schema 2020-12")
    };
    let mut notes = Notes::default();
    let mut schema = doc.clone();
    if let Value::Object(root) = &mut schema {
        if dialect != Dialect::JsonSchema2020 && root.contains_key("$schema") {
            root.insert("$schema".into(), json!(DRAFT_2020_12));
            notes.add("`$schema` now names draft 2020-12", "");
        }
        if dialect != Dialect::JsonSchema2020
            && !root.contains_key("$defs")
            && let Some(defs) = root.get("definitions").cloned()
        {
            replace_key(root, "definitions", vec![("$defs".into(), defs)]);
            notes.add(
                "`definitions` are now `$defs`, and references to them follow",
                "",
            );
        }
    }
    let rename = |r: &str| {
        r.strip_prefix("#/definitions/")
            .map(|name| format!("#/$defs/{name}"))
    };
    convert(&mut schema, dialect, &mut notes, "", 0, &|r| {
        if dialect == Dialect::JsonSchema2020 {
            None
        } else {
            rename(r)
        }
    })?;
    check_refs(&schema)?;
    finish(schema, source.to_string(), notes)
}

fn parse(text: &str) -> Result<Value, ImportError> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Ok(v),
        Err(json_error) => {
            let trimmed = text.trim_start();
            if trimmed.starts_with('{') || trimmed.starts_with('[') {
                return Err(ImportError::NotParsed {
                    detail: format!("as JSON, {json_error}"),
                });
            }
            yaml_serde::from_str::<Value>(text).map_err(|e| ImportError::NotParsed {
                detail: format!("as YAML, {e}"),
            })
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// OpenAPI 3.0's schema object and Swagger 2.0's: `nullable`, `example`, boolean
    /// `exclusiveMinimum`.
    OpenApi30,
    Draft04,
    /// Draft-06 and 07: `definitions`, array `items`, `dependencies`.
    Draft07,
    /// 2019-09, 2020-12 and OpenAPI 3.1: nothing to change.
    JsonSchema2020,
}

/// The notes, one per kind of change, each with the first place it was made and a count.
#[derive(Default)]
struct Notes(Vec<(String, String, usize)>);

impl Notes {
    fn add(&mut self, what: &str, at: &str) {
        match self.0.iter_mut().find(|(w, _, _)| w == what) {
            Some((_, _, n)) => *n += 1,
            None => self.0.push((what.to_string(), at.to_string(), 1)),
        }
    }

    fn into_vec(self) -> Vec<String> {
        self.0
            .into_iter()
            .map(|(what, at, n)| {
                let at = if at.is_empty() { "the root" } else { &at };
                match n {
                    1 => format!("{what} (at {at})"),
                    n => format!(
                        "{what} (at {at} and {} more place{})",
                        n - 1,
                        if n == 2 { "" } else { "s" }
                    ),
                }
            })
            .collect()
    }
}

fn openapi(
    doc: &Value,
    component: Option<&str>,
    pointer: &'static str,
    shown: &'static str,
    dialect: Dialect,
    version: &str,
) -> Result<Imported, ImportError> {
    let schemas = doc
        .pointer(pointer)
        .and_then(Value::as_object)
        .filter(|s| !s.is_empty())
        .ok_or(ImportError::NoComponents { at: shown })?;
    let names = || {
        let mut all: Vec<&str> = schemas.keys().map(String::as_str).collect();
        if all.len() > 20 {
            let more = all.len() - 20;
            all.truncate(20);
            return format!("{}, and {more} more", all.join(", "));
        }
        all.join(", ")
    };
    let name = match component {
        Some(name) => name.to_string(),
        None if schemas.len() == 1 => schemas.keys().next().cloned().unwrap_or_default(),
        None => {
            return Err(ImportError::WhichComponent {
                count: schemas.len(),
                names: names(),
            });
        }
    };
    let Some(chosen) = schemas.get(&name) else {
        return Err(ImportError::NoSuchComponent {
            name,
            names: names(),
        });
    };
    let prefix = format!("#{pointer}/");
    // The components the chosen one needs, found by following references.
    let mut needed: Vec<String> = Vec::new();
    let mut todo = vec![chosen];
    while let Some(schema) = todo.pop() {
        let mut refs = Vec::new();
        collect_refs(schema, "", &mut refs, 0);
        for (_, r) in refs {
            let Some(target) = r.strip_prefix(&prefix) else {
                continue;
            };
            let target = unescape(target);
            if target != name && !needed.contains(&target) {
                if let Some(s) = schemas.get(&target) {
                    todo.push(s);
                }
                needed.push(target);
            }
        }
    }
    let mut schema = chosen.clone();
    if let Value::Object(root) = &mut schema {
        if !root.contains_key("title") {
            root.insert("title".into(), json!(name));
        }
        if !needed.is_empty() {
            let mut defs = Map::new();
            for n in schemas.keys().filter(|k| needed.contains(k)) {
                defs.insert(n.clone(), schemas[n].clone());
            }
            root.insert("$defs".into(), Value::Object(defs));
        }
    }
    let mut notes = Notes::default();
    if !needed.is_empty() {
        notes.add(
            &format!(
                "the component{} it refers to ({}) {} under `$defs`",
                if needed.len() == 1 { "" } else { "s" },
                needed.join(", "),
                if needed.len() == 1 { "is" } else { "are" },
            ),
            "",
        );
    }
    let own = name.clone();
    convert(&mut schema, dialect, &mut notes, "", 0, &|r: &str| {
        let target = unescape(r.strip_prefix(&prefix)?);
        Some(if target == own {
            "#".to_string()
        } else {
            format!("#/$defs/{}", target.replace('~', "~0").replace('/', "~1"))
        })
    })?;
    check_refs(&schema)?;
    finish(schema, format!("{version} component `{name}`"), notes)
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Every `$ref` in `v`, with where it is.
fn collect_refs(v: &Value, at: &str, out: &mut Vec<(String, String)>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push((
                    if at.is_empty() {
                        "the root".into()
                    } else {
                        at.to_string()
                    },
                    r.clone(),
                ));
            }
            for (k, c) in m {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                collect_refs(c, &here, out, depth + 1);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                collect_refs(c, &format!("{at}/{i}"), out, depth + 1);
            }
        }
        _ => {}
    }
}

/// Converts one schema and everything in it, in place. `rename` gives the new form of a
/// reference, or `None` to keep it.
fn convert(
    node: &mut Value,
    dialect: Dialect,
    notes: &mut Notes,
    at: &str,
    depth: usize,
    rename: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ImportError> {
    if depth > MAX_DEPTH {
        return Err(ImportError::TooDeep);
    }
    let Value::Object(map) = node else {
        return Ok(());
    };
    if let Some(Value::String(r)) = map.get("$ref")
        && let Some(new) = rename(r)
    {
        map.insert("$ref".into(), Value::String(new));
    }
    match dialect {
        Dialect::OpenApi30 => openapi30(map, notes, at),
        Dialect::Draft04 => {
            if let Some(id) = map.get("id").filter(|v| v.is_string()).cloned() {
                replace_key(map, "id", vec![("$id".into(), id)]);
                notes.add("`id` is now `$id`", at);
            }
            boolean_exclusives(map, notes, at);
            draft07(map, notes, at);
        }
        Dialect::Draft07 => draft07(map, notes, at),
        Dialect::JsonSchema2020 => {}
    }
    // Into every subschema, by the keywords that hold them.
    for (key, child) in map.iter_mut() {
        let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
        match key.as_str() {
            "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas" => {
                if let Value::Object(children) = child {
                    for (name, c) in children.iter_mut() {
                        let at = format!("{here}/{}", name.replace('~', "~0").replace('/', "~1"));
                        convert(c, dialect, notes, &at, depth + 1, rename)?;
                    }
                }
            }
            "items"
            | "additionalItems"
            | "additionalProperties"
            | "contains"
            | "not"
            | "if"
            | "then"
            | "else"
            | "propertyNames"
            | "unevaluatedProperties"
            | "unevaluatedItems" => convert(child, dialect, notes, &here, depth + 1, rename)?,
            "anyOf" | "oneOf" | "allOf" | "prefixItems" => {
                if let Value::Array(children) = child {
                    for (i, c) in children.iter_mut().enumerate() {
                        convert(c, dialect, notes, &format!("{here}/{i}"), depth + 1, rename)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// OpenAPI 3.0 (and Swagger 2.0) to JSON Schema 2020-12.
fn openapi30(map: &mut Map<String, Value>, notes: &mut Notes, at: &str) {
    for key in ["discriminator", "xml", "externalDocs"] {
        if map.shift_remove(key).is_some() {
            notes.add(
                &format!("`{key}` (OpenAPI's, not JSON Schema's) is left out"),
                at,
            );
        }
    }
    if let Some(example) = map.get("example").cloned() {
        if map.contains_key("examples") {
            map.shift_remove("example");
        } else {
            replace_key(map, "example", vec![("examples".into(), json!([example]))]);
        }
        notes.add("`example` is now `examples`", at);
    }
    boolean_exclusives(map, notes, at);
    let nullable = [map.shift_remove("nullable"), map.shift_remove("x-nullable")]
        .into_iter()
        .flatten()
        .any(|v| v == Value::Bool(true));
    if !nullable {
        return;
    }
    notes.add("`nullable: true` is now a type that allows null", at);
    if let Some(Value::Array(values)) = map.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    match map.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            map.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(ts)) => {
            if !ts.contains(&json!("null")) {
                ts.push(json!("null"));
            }
        }
        _ => {
            // A reference or a composition: it, or null.
            let inner = std::mem::take(map);
            let mut described = Map::new();
            for key in ["title", "description", "default", "examples"] {
                if let Some(v) = inner.get(key) {
                    described.insert(key.into(), v.clone());
                }
            }
            let mut rest = inner;
            for key in ["title", "description", "default", "examples"] {
                rest.shift_remove(key);
            }
            described.insert(
                "anyOf".into(),
                json!([Value::Object(rest), {"type": "null"}]),
            );
            *map = described;
        }
    }
}

/// Draft-04's and OpenAPI 3.0's `exclusiveMinimum: true` beside `minimum` is 2020-12's
/// `exclusiveMinimum: <the minimum>`.
fn boolean_exclusives(map: &mut Map<String, Value>, notes: &mut Notes, at: &str) {
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match map.get(flag) {
            Some(Value::Bool(true)) => {
                match map.shift_remove(bound) {
                    Some(b) => replace_key(map, flag, vec![(flag.into(), b)]),
                    None => {
                        map.shift_remove(flag);
                    }
                }
                notes.add(
                    &format!("`{flag}: true` with `{bound}` is now `{flag}: <{bound}>`"),
                    at,
                );
            }
            Some(Value::Bool(false)) => {
                map.shift_remove(flag);
            }
            _ => {}
        }
    }
}

/// Draft-06/07 to 2020-12: tuples and `dependencies`.
fn draft07(map: &mut Map<String, Value>, notes: &mut Notes, at: &str) {
    if let Some(tuple) = map.get("items").filter(|v| v.is_array()).cloned() {
        replace_key(map, "items", vec![("prefixItems".into(), tuple)]);
        if let Some(rest) = map.get("additionalItems").cloned() {
            replace_key(map, "additionalItems", vec![("items".into(), rest)]);
        }
        notes.add("a tuple's `items` list is now `prefixItems`", at);
    }
    if let Some(Value::Object(deps)) = map.get("dependencies").cloned() {
        let (mut required, mut schemas) = (Map::new(), Map::new());
        for (k, v) in deps {
            if v.is_array() {
                required.insert(k, v);
            } else {
                schemas.insert(k, v);
            }
        }
        let mut entries = Vec::new();
        if !required.is_empty() {
            entries.push(("dependentRequired".to_string(), Value::Object(required)));
        }
        if !schemas.is_empty() {
            entries.push(("dependentSchemas".to_string(), Value::Object(schemas)));
        }
        replace_key(map, "dependencies", entries);
        notes.add(
            "`dependencies` are now `dependentRequired` / `dependentSchemas`",
            at,
        );
    }
}

/// Puts `entries` where `key` was, keeping every other key where it is (an insert would put
/// them last). Nothing happens when `key` is absent.
fn replace_key(map: &mut Map<String, Value>, key: &str, entries: Vec<(String, Value)>) {
    if !map.contains_key(key) {
        return;
    }
    let old = std::mem::take(map);
    let mut entries = Some(entries);
    for (k, v) in old {
        if k == key {
            for (nk, nv) in entries.take().into_iter().flatten() {
                map.insert(nk, nv);
            }
        } else {
            map.insert(k, v);
        }
    }
}

/// Every reference points into the schema.
fn check_refs(schema: &Value) -> Result<(), ImportError> {
    let mut refs = Vec::new();
    collect_refs(schema, "", &mut refs, 0);
    for (at, reference) in refs {
        let Some(pointer) = reference.strip_prefix('#') else {
            return Err(ImportError::External { at, reference });
        };
        if schema.pointer(pointer).is_none() {
            return Err(ImportError::Dangling { at, reference });
        }
    }
    Ok(())
}

fn finish(schema: Value, source: String, notes: Notes) -> Result<Imported, ImportError> {
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        return Err(ImportError::Invalid {
            message: e.to_string(),
            at: e.instance_path().to_string(),
        });
    }
    quarry_engine::ResponseSchema::new(schema.clone()).map_err(|e| ImportError::Invalid {
        message: e.to_string(),
        at: e.details()["at"].as_str().unwrap_or("").to_string(),
    })?;
    Ok(Imported {
        schema,
        source,
        notes: notes.into_vec(),
    })
}
