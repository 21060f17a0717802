//! Response schemas: what the model is asked to produce and what its answer is validated
//! against. A user's JSON Schema (draft 2020-12 or draft-07) is checked once, wrapped when its
//! top level is not an object (tool parameters must be objects), normalized for strict modes,
//! and compiled into a validator that every attempt reuses.

use std::sync::{Arc, OnceLock};

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::provider::body::raw;
use crate::validate::{Issue, Validator};

/// How the user's schema sits inside the object the model is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// The schema is an object schema; the answer is returned as is.
    Object,
    /// A simple type (string, number, boolean, enum, union) wrapped as `{content: …}`.
    Wrapped,
    /// A list wrapped as `{tasks: [...]}` and unwrapped to the array.
    List,
    /// `{result, error, message}`: the model may say it could not extract. Returned as is.
    Maybe,
}

const WRAP_FIELD: &str = "content";
const LIST_FIELD: &str = "tasks";

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("the schema is not valid JSON: {detail} (line {line}, column {column})")]
    NotJson {
        detail: String,
        line: usize,
        column: usize,
    },
    #[error("the schema must be a JSON object, found {found}")]
    NotAnObject { found: &'static str },
    #[error("the schema's $ref `{reference}` at {at} does not resolve")]
    UnresolvableRef { reference: String, at: String },
    #[error("the schema's $ref `{reference}` at {at} points outside the schema")]
    RemoteRef { reference: String, at: String },
    #[error("the schema is not a valid JSON Schema: {message} (at {at})")]
    Invalid { message: String, at: String },
}

impl SchemaError {
    pub fn code(&self) -> &'static str {
        match self {
            SchemaError::NotJson { .. } => "schema_not_json",
            SchemaError::NotAnObject { .. } => "schema_not_object",
            SchemaError::UnresolvableRef { .. } | SchemaError::RemoteRef { .. } => {
                "schema_unresolvable_ref"
            }
            SchemaError::Invalid { .. } => "schema_invalid",
        }
    }

    pub fn hint(&self) -> String {
        match self {
            SchemaError::NotJson { .. } => {
                "fix the JSON syntax at that position (a validator such as `jq . FILE` shows it too)".into()
            }
            SchemaError::NotAnObject { .. } => {
                "write a JSON Schema object such as {\"type\": \"object\", \"properties\": {…}}".into()
            }
            SchemaError::UnresolvableRef { .. } => {
                "define the referenced schema under \"$defs\" (or fix the name in the $ref)".into()
            }
            SchemaError::RemoteRef { .. } => {
                "copy the referenced schema under \"$defs\" and point the $ref at \"#/$defs/NAME\"".into()
            }
            SchemaError::Invalid { .. } => "fix the keyword named above".into(),
        }
    }

    pub fn details(&self) -> Value {
        match self {
            SchemaError::NotJson { line, column, .. } => json!({"line": line, "column": column}),
            SchemaError::NotAnObject { found } => json!({"found": found}),
            SchemaError::UnresolvableRef { reference, at }
            | SchemaError::RemoteRef { reference, at } => json!({"ref": reference, "at": at}),
            SchemaError::Invalid { at, .. } => json!({"at": at}),
        }
    }
}

/// One function the model may call: the whole schema, or one union member in PARALLEL_TOOLS.
#[derive(Debug)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// The object schema sent as the function's parameters.
    pub parameters: Value,
    /// The same, normalized for strict mode.
    pub strict_parameters: Value,
    validator: Validator,
    // Serialized forms, made on first use and reused by every call of the run.
    raw_parameters: OnceLock<Arc<RawValue>>,
    raw_strict_parameters: OnceLock<Arc<RawValue>>,
    pretty_parameters: OnceLock<String>,
}

impl ToolSpec {
    /// The parameters (or their strict form) as pre-serialized JSON.
    pub fn raw_parameters(&self, strict: bool) -> Arc<RawValue> {
        if strict {
            self.raw_strict_parameters
                .get_or_init(|| raw(&self.strict_parameters))
                .clone()
        } else {
            self.raw_parameters
                .get_or_init(|| raw(&self.parameters))
                .clone()
        }
    }

    /// The parameters pretty-printed, for instructions that show the schema to the model.
    pub fn pretty_parameters(&self) -> &str {
        self.pretty_parameters
            .get_or_init(|| serde_json::to_string_pretty(&self.parameters).unwrap_or_default())
    }

    pub fn validate(&self, value: &Value) -> Result<(), Vec<Issue>> {
        self.validator.validate(value)
    }
}

/// A prepared response schema, built once per run.
#[derive(Debug)]
pub struct ResponseSchema {
    shape: Shape,
    /// The single extraction tool (also used by the JSON modes: name, description, schema).
    tool: ToolSpec,
    /// Union members for PARALLEL_TOOLS (one member when the schema is not a union).
    members: Vec<ToolSpec>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `Title Case Name!` → `Title_Case_Name`; function names allow `[A-Za-z0-9_-]{1,64}`.
fn tool_name(title: Option<&str>, fallback: &str) -> String {
    let raw = title.unwrap_or(fallback);
    let mut out: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    out.truncate(64);
    if out.trim_matches('_').is_empty() {
        fallback.to_string()
    } else {
        out
    }
}

fn is_object_schema(s: &Map<String, Value>) -> bool {
    match s.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(_) => false,
        None => {
            s.contains_key("properties") && !s.contains_key("anyOf") && !s.contains_key("oneOf")
        }
    }
}

fn is_array_schema(s: &Map<String, Value>) -> bool {
    matches!(s.get("type"), Some(Value::String(t)) if t == "array")
}

/// Every `$ref` must point inside the document.
fn check_refs(node: &Value, root: &Value, at: &mut String) -> Result<(), SchemaError> {
    match node {
        Value::Object(map) => {
            for (k, v) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                if k == "$ref"
                    && let Value::String(r) = v
                {
                    resolve_ref(r, root).map_err(|remote| {
                        if remote {
                            SchemaError::RemoteRef {
                                reference: r.clone(),
                                at: at.clone(),
                            }
                        } else {
                            SchemaError::UnresolvableRef {
                                reference: r.clone(),
                                at: at.clone(),
                            }
                        }
                    })?;
                } else if !matches!(k.as_str(), "const" | "enum" | "default" | "examples") {
                    check_refs(v, root, at)?;
                }
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                check_refs(v, root, at)?;
                at.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Resolves a local `$ref`. `Err(true)`: points outside the document; `Err(false)`: missing.
fn resolve_ref<'a>(r: &str, root: &'a Value) -> Result<&'a Value, bool> {
    let Some(fragment) = r.strip_prefix('#') else {
        return Err(true);
    };
    if fragment.is_empty() {
        return Ok(root);
    }
    let decoded = percent_decode(fragment);
    root.pointer(&decoded).ok_or(false)
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// After wrapping the user's schema one level down, rewrite `$ref`s that pointed at the old
/// root (other than into `$defs`/`definitions`, which move up with the wrapper).
fn rebase_refs(node: &mut Value, field: &str) {
    match node {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "$ref" {
                    if let Value::String(r) = v
                        && (r == "#"
                            || (r.starts_with("#/")
                                && !r.starts_with("#/$defs/")
                                && !r.starts_with("#/definitions/")))
                    {
                        *r = format!("#/properties/{field}{}", &r[1..]);
                    }
                } else if !matches!(k.as_str(), "const" | "enum" | "default" | "examples") {
                    rebase_refs(v, field);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rebase_refs(v, field)),
        _ => {}
    }
}

/// Keys of the document root that must stay at the root of whatever we send or validate.
const ROOT_KEYS: [&str; 3] = ["$defs", "definitions", "$schema"];

fn wrap(mut inner: Map<String, Value>, field: &str, title: Option<Value>) -> Map<String, Value> {
    let mut outer = Map::new();
    for key in ROOT_KEYS {
        if let Some(v) = inner.shift_remove(key) {
            outer.insert(key.to_string(), v);
        }
    }
    let mut inner = Value::Object(inner);
    rebase_refs(&mut inner, field);
    outer.insert("type".into(), json!("object"));
    if let Some(t) = title {
        outer.insert("title".into(), t);
    }
    outer.insert("properties".into(), json!({ field: inner }));
    outer.insert("required".into(), json!([field]));
    outer
}

fn maybe_wrap(mut inner: Map<String, Value>, title: Option<Value>) -> Map<String, Value> {
    let mut outer = Map::new();
    for key in ROOT_KEYS {
        if let Some(v) = inner.shift_remove(key) {
            outer.insert(key.to_string(), v);
        }
    }
    let mut inner = Value::Object(inner);
    rebase_refs(&mut inner, "result");
    outer.insert("type".into(), json!("object"));
    if let Some(t) = title {
        outer.insert("title".into(), t);
    }
    outer.insert(
        "properties".into(),
        json!({
            "result": {"anyOf": [inner, {"type": "null"}], "default": null,
                       "description": "The extracted value, or null when it cannot be extracted"},
            "error": {"type": "boolean", "default": false,
                      "description": "True when the value cannot be extracted from the input"},
            "message": {"type": ["string", "null"], "default": null,
                        "description": "Why the value could not be extracted"}
        }),
    );
    outer.insert("required".into(), json!(["error"]));
    outer
}

/// The parameters object sent to a provider: the schema without document-level keywords that
/// belong to the function (title, description) or that providers reject (`$schema`, `$id`).
fn wire_parameters(doc: &Map<String, Value>) -> Value {
    let mut p = doc.clone();
    for k in ["$schema", "$id", "title", "description"] {
        p.shift_remove(k);
    }
    Value::Object(p)
}

fn default_description(name: &str) -> String {
    format!(
        "Extract `{name}` from the conversation, filling every field with a value of the right type"
    )
}

fn compile(doc: &Map<String, Value>) -> Result<Validator, SchemaError> {
    Validator::new(&Value::Object(doc.clone()))
        .map_err(|(message, at)| SchemaError::Invalid { message, at })
}

fn build_tool(doc: Map<String, Value>, fallback_name: &str) -> Result<ToolSpec, SchemaError> {
    let name = tool_name(doc.get("title").and_then(Value::as_str), fallback_name);
    let description = doc
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| default_description(&name));
    let validator = compile(&doc)?;
    let parameters = wire_parameters(&doc);
    let mut strict_parameters = parameters.clone();
    strictify(&mut strict_parameters);
    Ok(ToolSpec {
        name,
        description,
        parameters,
        strict_parameters,
        validator,
        raw_parameters: OnceLock::new(),
        raw_strict_parameters: OnceLock::new(),
        pretty_parameters: OnceLock::new(),
    })
}

impl ResponseSchema {
    /// Parses and prepares a schema from JSON text.
    pub fn from_json_str(text: &str) -> Result<Self, SchemaError> {
        let value: Value = serde_json::from_str(text).map_err(|e| SchemaError::NotJson {
            detail: e.to_string(),
            line: e.line(),
            column: e.column(),
        })?;
        Self::new(value)
    }

    /// Prepares a JSON Schema. Objects are used as they are; lists become `{tasks: [...]}`,
    /// anything else `{content: …}`, unwrapped again on return.
    pub fn new(schema: Value) -> Result<Self, SchemaError> {
        Self::build(schema, false)
    }

    /// Instructor's `Maybe`: `{result, error, message}` so the model can decline.
    pub fn maybe(schema: Value) -> Result<Self, SchemaError> {
        Self::build(schema, true)
    }

    /// The schema of a Rust type (schemars).
    pub fn for_type<T: schemars::JsonSchema>() -> Result<Self, SchemaError> {
        Self::new(schemars::schema_for!(T).to_value())
    }

    fn build(schema: Value, maybe: bool) -> Result<Self, SchemaError> {
        let Value::Object(map) = schema else {
            return Err(SchemaError::NotAnObject {
                found: type_name(&schema),
            });
        };
        let root = Value::Object(map);
        check_refs(&root, &root, &mut String::new())?;
        let Value::Object(map) = root else {
            unreachable!("checked above")
        };
        let title = map.get("title").cloned();
        let members_source = union_members(&map);
        let (shape, doc) = if maybe {
            (Shape::Maybe, maybe_wrap(map, title))
        } else if is_object_schema(&map) {
            (Shape::Object, map)
        } else if is_array_schema(&map) {
            (Shape::List, wrap(map, LIST_FIELD, title))
        } else {
            (Shape::Wrapped, wrap(map, WRAP_FIELD, title))
        };
        let defs: Map<String, Value> = ROOT_KEYS
            .iter()
            .filter_map(|k| doc.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect();
        let tool = build_tool(doc, "Response")?;
        let members = match members_source {
            Some(list) if shape == Shape::Wrapped => list
                .into_iter()
                .enumerate()
                .map(|(i, member)| {
                    let mut m = member;
                    // Definitions travel only with members that use them.
                    if has_ref(&Value::Object(m.clone())) {
                        for (k, v) in &defs {
                            m.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                    build_tool(m, &format!("{}_{}", tool.name, i + 1))
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => Vec::new(),
        };
        Ok(ResponseSchema {
            shape,
            tool,
            members,
        })
    }

    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    pub fn tool(&self) -> &ToolSpec {
        &self.tool
    }

    pub fn name(&self) -> &str {
        &self.tool.name
    }

    /// The tools PARALLEL_TOOLS offers: one per union member, or the one extraction tool.
    pub fn parallel_tools(&self) -> Vec<&ToolSpec> {
        if self.members.is_empty() {
            vec![&self.tool]
        } else {
            self.members.iter().collect()
        }
    }

    /// Validates the (wrapped) answer.
    pub fn validate(&self, value: &Value) -> Result<(), Vec<Issue>> {
        self.tool.validate(value)
    }

    /// Turns the validated wrapper back into what the user asked for.
    pub fn unwrap(&self, value: Value) -> Value {
        let field = match self.shape {
            Shape::Object | Shape::Maybe => return value,
            Shape::Wrapped => WRAP_FIELD,
            Shape::List => LIST_FIELD,
        };
        match value {
            Value::Object(mut m) => m.shift_remove(field).unwrap_or(Value::Null),
            other => other,
        }
    }

    /// JSON Pointers of the fields the answer is expected to have: object properties,
    /// followed through `$ref`s and nullable unions (array items have no fixed pointer).
    pub fn field_pointers(&self) -> Vec<String> {
        let mut out = Vec::new();
        let root = &self.tool.parameters;
        collect_fields(root, root, String::new(), 0, &mut out);
        out
    }

    /// In strict modes optional fields were made nullable; drop the nulls the model sent for
    /// fields the user's schema does not allow to be null, so the user's schema validates.
    pub fn strip_strict_nulls(&self, value: &mut Value) {
        strip_nulls(value, &self.tool.parameters, &self.tool.parameters, 0);
    }
}

fn collect_fields(schema: &Value, root: &Value, at: String, depth: usize, out: &mut Vec<String>) {
    if depth > 8 {
        return;
    }
    let mut s = schema;
    for _ in 0..16 {
        match s
            .get("$ref")
            .and_then(Value::as_str)
            .map(|r| resolve_ref(r, root))
        {
            Some(Ok(target)) => s = target,
            _ => break,
        }
    }
    if let Some(Value::Object(props)) = s.get("properties") {
        for (k, v) in props {
            let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            out.push(p.clone());
            collect_fields(v, root, p, depth + 1, out);
        }
    } else if let Some(Value::Array(branches)) = s.get("anyOf").or_else(|| s.get("oneOf")) {
        // A nullable object: its fields, if it arrives.
        let objects: Vec<&Value> = branches
            .iter()
            .filter(|b| !allows_null(b) || b.get("$ref").is_some())
            .collect();
        if let [only] = objects.as_slice() {
            collect_fields(only, root, at, depth + 1, out);
        }
    }
}

fn has_ref(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| k == "$ref" || has_ref(v)),
        Value::Array(a) => a.iter().any(has_ref),
        _ => false,
    }
}

fn union_members(map: &Map<String, Value>) -> Option<Vec<Map<String, Value>>> {
    if map.contains_key("type") {
        return None;
    }
    let list = map.get("anyOf").or_else(|| map.get("oneOf"))?.as_array()?;
    let root = Value::Object(map.clone());
    let mut out = Vec::new();
    for member in list {
        let mut resolved = member.as_object()?.clone();
        // A member given as `{"$ref": "#/$defs/Person"}` is named after its definition.
        if let Some(Value::String(r)) = member.get("$ref") {
            let target = resolve_ref(r, &root).ok()?.as_object()?;
            resolved = target.clone();
            if !resolved.contains_key("title") {
                let name = r.rsplit('/').next().unwrap_or("Member");
                resolved.insert("title".into(), json!(name));
            }
        }
        if !is_object_schema(&resolved) {
            return None;
        }
        out.push(resolved);
    }
    (!out.is_empty()).then_some(out)
}

/// Strict-mode normalization (OpenAI structured outputs): every object closed with
/// `additionalProperties: false`, every property required, optional ones made nullable, and
/// `oneOf` (unsupported in strict mode) turned into `anyOf`.
pub fn strictify(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    if let Some(one_of) = map.shift_remove("oneOf") {
        map.insert("anyOf".into(), one_of);
    }
    if map.get("type").and_then(Value::as_str) == Some("object") || map.contains_key("properties") {
        let required: Vec<String> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(Value::Object(props)) = map.get_mut("properties") {
            let mut all = Vec::with_capacity(props.len());
            for (name, prop) in props.iter_mut() {
                if !required.contains(name) {
                    make_nullable(prop);
                }
                all.push(Value::String(name.clone()));
            }
            map.insert("required".into(), Value::Array(all));
        } else {
            map.insert("properties".into(), json!({}));
            map.insert("required".into(), json!([]));
        }
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    for (key, child) in map.iter_mut() {
        match key.as_str() {
            "properties" | "$defs" | "definitions" | "patternProperties" => {
                if let Value::Object(children) = child {
                    children.values_mut().for_each(strictify);
                }
            }
            "items" | "additionalItems" | "contains" | "not" | "if" | "then" | "else" => {
                strictify(child)
            }
            "anyOf" | "allOf" | "prefixItems" => {
                if let Value::Array(children) = child {
                    children.iter_mut().for_each(strictify);
                }
            }
            _ => {}
        }
    }
}

fn allows_null(schema: &Value) -> bool {
    let Some(map) = schema.as_object() else {
        return true;
    };
    match map.get("type") {
        Some(Value::String(t)) => return t == "null",
        Some(Value::Array(ts)) => return ts.iter().any(|t| t == "null"),
        _ => {}
    }
    if let Some(Value::Array(list)) = map.get("anyOf").or_else(|| map.get("oneOf")) {
        return list.iter().any(allows_null);
    }
    if let Some(Value::Array(list)) = map.get("enum") {
        return list.iter().any(Value::is_null);
    }
    !map.contains_key("$ref") && !map.contains_key("const")
}

fn make_nullable(schema: &mut Value) {
    if allows_null(schema) {
        return;
    }
    let Value::Object(map) = schema else { return };
    let simple_type = matches!(
        map.get("type"),
        Some(Value::String(_)) | Some(Value::Array(_))
    );
    if simple_type && !map.contains_key("$ref") {
        match map.get_mut("type") {
            Some(Value::String(t)) => {
                let t = std::mem::take(t);
                map.insert("type".into(), json!([t, "null"]));
            }
            Some(Value::Array(ts)) => ts.push(json!("null")),
            _ => {}
        }
        if let Some(Value::Array(e)) = map.get_mut("enum") {
            e.push(Value::Null);
        }
    } else {
        let original = std::mem::take(map);
        map.insert(
            "anyOf".into(),
            json!([Value::Object(original), {"type": "null"}]),
        );
    }
}

fn strip_nulls(value: &mut Value, schema: &Value, root: &Value, depth: usize) {
    if depth > 64 {
        return;
    }
    let mut schema = schema;
    while let Some(Value::String(r)) = schema.get("$ref") {
        match resolve_ref(r, root) {
            Ok(s) => schema = s,
            Err(_) => return,
        }
    }
    match value {
        Value::Object(obj) => {
            let Some(Value::Object(props)) = schema.get("properties") else {
                return;
            };
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            obj.retain(|k, v| {
                !(v.is_null()
                    && !required.contains(&k.as_str())
                    && props.get(k).is_some_and(|p| !allows_null(p)))
            });
            for (k, v) in obj.iter_mut() {
                if let Some(p) = props.get(k) {
                    strip_nulls(v, p, root, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for v in items {
                    strip_nulls(v, item_schema, root, depth + 1);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_kept_and_simple_types_wrapped() {
        let s = ResponseSchema::new(json!({"type": "object", "title": "Person",
            "properties": {"name": {"type": "string"}}, "required": ["name"]}))
        .unwrap();
        assert_eq!(s.shape(), &Shape::Object);
        assert_eq!(s.name(), "Person");

        let s = ResponseSchema::new(json!({"type": "string", "enum": ["a", "b"]})).unwrap();
        assert_eq!(s.shape(), &Shape::Wrapped);
        assert!(s.validate(&json!({"content": "a"})).is_ok());
        assert!(s.validate(&json!({"content": "c"})).is_err());
        assert_eq!(s.unwrap(json!({"content": "a"})), json!("a"));

        let s = ResponseSchema::new(json!({"type": "array", "items": {"$ref": "#/$defs/T"},
            "$defs": {"T": {"type": "integer"}}}))
        .unwrap();
        assert_eq!(s.shape(), &Shape::List);
        assert!(s.validate(&json!({"tasks": [1, 2]})).is_ok());
        assert!(s.validate(&json!({"tasks": ["x"]})).is_err());
        assert_eq!(s.unwrap(json!({"tasks": [1]})), json!([1]));
    }

    #[test]
    fn refs_are_checked() {
        let e = ResponseSchema::new(json!({"type": "object",
            "properties": {"a": {"$ref": "#/$defs/Missing"}}}))
        .unwrap_err();
        assert!(
            matches!(&e, SchemaError::UnresolvableRef { at, .. } if at == "/properties/a/$ref"),
            "{e}"
        );
        let e = ResponseSchema::new(json!({"$ref": "https://example.com/s.json"})).unwrap_err();
        assert!(matches!(e, SchemaError::RemoteRef { .. }));
        assert!(matches!(
            ResponseSchema::new(json!([1])).unwrap_err(),
            SchemaError::NotAnObject { found: "an array" }
        ));
    }

    #[test]
    fn strict_normalization_closes_objects_and_nulls_optionals() {
        let mut s = json!({"type": "object", "properties": {
            "a": {"type": "string"},
            "b": {"type": "integer"},
            "c": {"$ref": "#/$defs/C"},
            "d": {"type": "string", "enum": ["x", "y"]}},
            "required": ["a"],
            "$defs": {"C": {"type": "object", "properties": {"z": {"type": "number"}}}}});
        strictify(&mut s);
        assert_eq!(s["additionalProperties"], json!(false));
        assert_eq!(s["required"], json!(["a", "b", "c", "d"]));
        assert_eq!(s["properties"]["a"], json!({"type": "string"}));
        assert_eq!(s["properties"]["b"]["type"], json!(["integer", "null"]));
        assert_eq!(
            s["properties"]["c"],
            json!({"anyOf": [{"$ref": "#/$defs/C"}, {"type": "null"}]})
        );
        assert_eq!(s["properties"]["d"]["enum"], json!(["x", "y", null]));
        assert_eq!(s["$defs"]["C"]["additionalProperties"], json!(false));
        assert_eq!(
            s["$defs"]["C"]["properties"]["z"]["type"],
            json!(["number", "null"])
        );
    }

    #[test]
    fn strict_nulls_are_stripped_only_where_the_user_schema_forbids_them() {
        let s = ResponseSchema::new(json!({"type": "object", "properties": {
            "a": {"type": "string"}, "b": {"type": ["string", "null"]},
            "items": {"type": "array", "items": {"$ref": "#/$defs/I"}}},
            "required": ["a"],
            "$defs": {"I": {"type": "object", "properties": {"q": {"type": "integer"}}}}}))
        .unwrap();
        let mut v = json!({"a": "x", "b": null, "items": [{"q": null}]});
        s.strip_strict_nulls(&mut v);
        assert_eq!(v, json!({"a": "x", "b": null, "items": [{}]}));
        assert!(s.validate(&v).is_ok());
    }

    #[test]
    fn unions_become_parallel_members() {
        let s = ResponseSchema::new(json!({"anyOf": [
            {"$ref": "#/$defs/Weather"}, {"$ref": "#/$defs/Search"}],
            "$defs": {
              "Weather": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
              "Search": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}))
        .unwrap();
        let names: Vec<_> = s.parallel_tools().iter().map(|t| t.name.clone()).collect();
        assert_eq!(names, ["Weather", "Search"]);
        assert!(
            s.parallel_tools()[0]
                .validate(&json!({"city": "Oslo"}))
                .is_ok()
        );
    }

    #[test]
    fn field_pointers_follow_refs_and_nullable_objects() {
        let s = ResponseSchema::new(json!({"type": "object", "properties": {
            "a": {"type": "string"},
            "addr": {"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}]},
            "list": {"type": "array", "items": {"type": "object", "properties": {"x": {}}}}},
            "$defs": {"A": {"type": "object", "properties": {"city": {"type": "string"}}}}}))
        .unwrap();
        assert_eq!(s.field_pointers(), ["/a", "/addr", "/addr/city", "/list"]);
    }

    #[test]
    fn maybe_lets_the_model_decline() {
        let s = ResponseSchema::maybe(json!({"type": "object", "title": "User",
            "properties": {"name": {"type": "string"}}, "required": ["name"]}))
        .unwrap();
        assert!(
            s.validate(&json!({"result": null, "error": true, "message": "no user"}))
                .is_ok()
        );
        assert!(
            s.validate(&json!({"result": {"name": "Ann"}, "error": false}))
                .is_ok()
        );
        assert!(s.validate(&json!({"result": {}, "error": false})).is_err());
    }
}
