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
    #[error("the schema's $refs go round in a circle without describing a value: {}", chain.join(" → "))]
    RefCycle { chain: Vec<String> },
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
            SchemaError::RefCycle { .. } => "schema_ref_cycle",
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
            SchemaError::RefCycle { .. } => {
                "point one of these $refs at a schema with a type or properties (a definition that only refers to another one must end somewhere)".into()
            }
        }
    }

    pub fn details(&self) -> Value {
        match self {
            SchemaError::NotJson { line, column, .. } => json!({"line": line, "column": column}),
            SchemaError::NotAnObject { found } => json!({"found": found}),
            SchemaError::UnresolvableRef { reference, at }
            | SchemaError::RemoteRef { reference, at } => json!({"ref": reference, "at": at}),
            SchemaError::Invalid { at, .. } => json!({"at": at}),
            SchemaError::RefCycle { chain } => json!({"chain": chain}),
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

/// A prepared response schema, built once and shared by every run that uses it (cloning is
/// cheap: the compiled parts are shared).
#[derive(Debug, Clone)]
pub struct ResponseSchema(Arc<Parts>);

#[derive(Debug)]
struct Parts {
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

/// How many `$ref`s a walk follows in a row before it stops: real schemas chain two or three;
/// circular chains are refused when the schema is built, and this keeps every walk finite
/// whatever it is handed.
const MAX_REF_HOPS: usize = 64;

/// The schema a chain of `$ref`s from `node` ends at (or where it stopped).
fn follow<'a>(mut node: &'a Value, root: &'a Value) -> &'a Value {
    for _ in 0..MAX_REF_HOPS {
        match node
            .get("$ref")
            .and_then(Value::as_str)
            .map(|r| resolve_ref(r, root))
        {
            Some(Ok(target)) => node = target,
            _ => break,
        }
    }
    node
}

/// Refuses `$ref` chains that come back to where they started (`a → b → a`): such a schema
/// describes no value, and every tool that follows references would loop on it.
fn check_ref_cycles(root: &Value) -> Result<(), SchemaError> {
    fn nodes<'a>(v: &'a Value, at: &mut String, out: &mut Vec<(String, &'a Value)>) {
        match v {
            Value::Object(map) => {
                if map.get("$ref").is_some_and(Value::is_string) {
                    out.push((at.clone(), v));
                }
                for (k, child) in map {
                    if matches!(k.as_str(), "const" | "enum" | "default" | "examples") {
                        continue;
                    }
                    let len = at.len();
                    at.push('/');
                    at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                    nodes(child, at, out);
                    at.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&i.to_string());
                    nodes(child, at, out);
                    at.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut refs = Vec::new();
    nodes(root, &mut String::new(), &mut refs);
    // Chains already known to end somewhere, by the pointer of their first node.
    let mut ends: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (start, node) in refs {
        let mut chain = vec![start];
        let mut node = node;
        while let Some(Value::String(r)) = node.get("$ref") {
            let Some(fragment) = r.strip_prefix('#') else {
                break;
            };
            let pointer = percent_decode(fragment);
            if ends.contains(&pointer) {
                break;
            }
            if let Some(i) = chain.iter().position(|p| *p == pointer) {
                let mut cycle: Vec<String> = chain[i..].iter().map(|p| format!("#{p}")).collect();
                cycle.push(format!("#{pointer}"));
                return Err(SchemaError::RefCycle { chain: cycle });
            }
            match root.pointer(&pointer) {
                Some(next) => {
                    chain.push(pointer);
                    node = next;
                }
                None => break,
            }
        }
        ends.extend(chain);
    }
    Ok(())
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
        let value: Value = serde_json::from_str(text).map_err(|e| {
            // serde_json's message ends with the position, which the error gives once itself.
            let message = e.to_string();
            let detail = match message.rsplit_once(" at line ") {
                Some((what, _)) => what.to_string(),
                None => message,
            };
            SchemaError::NotJson {
                detail,
                line: e.line(),
                column: e.column(),
            }
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
        check_ref_cycles(&root)?;
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
        Ok(ResponseSchema(Arc::new(Parts {
            shape,
            tool,
            members,
        })))
    }

    pub fn shape(&self) -> &Shape {
        &self.0.shape
    }

    pub fn tool(&self) -> &ToolSpec {
        &self.0.tool
    }

    pub fn name(&self) -> &str {
        &self.0.tool.name
    }

    /// The tools PARALLEL_TOOLS offers: one per union member, or the one extraction tool.
    pub fn parallel_tools(&self) -> Vec<&ToolSpec> {
        if self.0.members.is_empty() {
            vec![&self.0.tool]
        } else {
            self.0.members.iter().collect()
        }
    }

    /// The field whose array items an iterable stream reports one by one: `tasks` for a list
    /// schema, or the only property of an object schema whose only property is an array
    /// (`{"users": [...]}`). `None` when the schema has no such list.
    pub fn iterable_field(&self) -> Option<&str> {
        if self.0.shape == Shape::List {
            return Some(LIST_FIELD);
        }
        if self.0.shape != Shape::Object {
            return None;
        }
        let root = &self.0.tool.parameters;
        let props = follow(root, root).get("properties")?.as_object()?;
        match props.iter().collect::<Vec<_>>().as_slice() {
            [(name, field)] => {
                let field = follow(field, root);
                let is_array = match field.get("type") {
                    Some(Value::String(t)) => t == "array",
                    Some(Value::Array(ts)) => ts.iter().any(|t| t == "array"),
                    None => field.get("items").is_some() || field.get("prefixItems").is_some(),
                    _ => false,
                };
                is_array.then_some(name.as_str())
            }
            _ => None,
        }
    }

    /// Validates the (wrapped) answer.
    pub fn validate(&self, value: &Value) -> Result<(), Vec<Issue>> {
        self.0.tool.validate(value)
    }

    /// Turns the validated wrapper back into what the user asked for.
    pub fn unwrap(&self, value: Value) -> Value {
        let field = match self.0.shape {
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
        let root = &self.0.tool.parameters;
        collect_fields(root, root, String::new(), &mut Vec::new(), &mut out);
        out
    }

    /// In strict modes optional fields were made nullable; drop the nulls the model sent for
    /// fields the user's schema does not allow to be null, so the user's schema validates.
    pub fn strip_strict_nulls(&self, value: &mut Value) {
        strip_nulls(value, &self.0.tool.parameters, &self.0.tool.parameters, 0);
    }
}

/// Pointers listed at most: a schema whose definitions refer to each other in a diamond could
/// otherwise name an exponential number of paths.
const MAX_FIELD_POINTERS: usize = 10_000;

fn collect_fields<'a>(
    schema: &'a Value,
    root: &'a Value,
    at: String,
    on_path: &mut Vec<&'a Value>,
    out: &mut Vec<String>,
) {
    let s = follow(schema, root);
    // A recursive definition (a tree node) lists its fields once, not forever.
    if out.len() >= MAX_FIELD_POINTERS
        || on_path.len() > 8
        || on_path.iter().any(|p| std::ptr::eq(*p, s))
    {
        return;
    }
    on_path.push(s);
    if let Some(Value::Object(props)) = s.get("properties") {
        for (k, v) in props {
            if out.len() >= MAX_FIELD_POINTERS {
                break;
            }
            let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
            out.push(p.clone());
            collect_fields(v, root, p, on_path, out);
        }
    } else if let Some(Value::Array(branches)) = s.get("anyOf").or_else(|| s.get("oneOf")) {
        // A nullable object: its fields, if it arrives.
        let objects: Vec<&Value> = branches
            .iter()
            .filter(|b| !allows_null(b) || b.get("$ref").is_some())
            .collect();
        if let [only] = objects.as_slice() {
            collect_fields(only, root, at, on_path, out);
        }
    }
    on_path.pop();
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
    let schema = follow(schema, root);
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
    fn circular_refs_are_refused_and_recursive_ones_are_walked_once() {
        let e = ResponseSchema::new(json!({"type": "object",
            "properties": {"a": {"$ref": "#/$defs/A"}},
            "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}}))
        .unwrap_err();
        assert!(
            matches!(&e, SchemaError::RefCycle { chain } if chain.len() == 3),
            "{e}"
        );
        assert!(
            e.to_string().contains("#/$defs/A → #/$defs/B → #/$defs/A"),
            "{e}"
        );
        assert!(ResponseSchema::new(json!({"$ref": "#"})).is_err());
        // A tree node refers to itself through `properties`: legitimate, walked once.
        let tree = ResponseSchema::new(json!({"type": "object", "properties": {
            "root": {"$ref": "#/$defs/Node"}},
            "$defs": {"Node": {"type": "object", "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                "parent": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}}}}}))
        .unwrap();
        assert_eq!(
            tree.field_pointers(),
            ["/root", "/root/name", "/root/children", "/root/parent"]
        );
        let mut v = json!({"root": {"name": "a", "parent": null, "children": [{"name": "b"}]}});
        tree.strip_strict_nulls(&mut v);
        // A union that lists itself is not a chain of plain $refs: walks stay finite.
        let selfish = ResponseSchema::new(json!({"type": "object", "properties": {
            "x": {"$ref": "#/$defs/X"}},
            "$defs": {"X": {"anyOf": [{"$ref": "#/$defs/X"}, {"type": "string"}]}}}))
        .unwrap();
        let mut v = json!({"x": "s"});
        selfish.strip_strict_nulls(&mut v);
        assert_eq!(selfish.field_pointers(), ["/x"]);
    }

    #[test]
    fn diamond_refs_list_a_bounded_number_of_fields() {
        // Each level has 10 fields referring to the next: 10^8 paths if walked naively.
        let mut defs = serde_json::Map::new();
        for level in 0..8 {
            let props: serde_json::Map<String, Value> = (0..10)
                .map(|i| {
                    (
                        format!("f{i}"),
                        json!({"$ref": format!("#/$defs/L{}", level + 1)}),
                    )
                })
                .collect();
            defs.insert(
                format!("L{level}"),
                json!({"type": "object", "properties": props}),
            );
        }
        defs.insert("L8".into(), json!({"type": "string"}));
        let s = ResponseSchema::new(json!({"$ref": "#/$defs/L0", "$defs": defs})).unwrap();
        assert!(s.field_pointers().len() <= MAX_FIELD_POINTERS);
    }

    #[test]
    fn iterable_fields() {
        let list =
            ResponseSchema::new(json!({"type": "array", "items": {"type": "integer"}})).unwrap();
        assert_eq!(list.iterable_field(), Some("tasks"));
        let users = ResponseSchema::new(json!({"type": "object", "properties": {
            "users": {"type": "array", "items": {"type": "string"}}}}))
        .unwrap();
        assert_eq!(users.iterable_field(), Some("users"));
        let two = ResponseSchema::new(json!({"type": "object", "properties": {
            "users": {"type": "array"}, "count": {"type": "integer"}}}))
        .unwrap();
        assert_eq!(two.iterable_field(), None);
        let scalar = ResponseSchema::new(json!({"type": "string"})).unwrap();
        assert_eq!(scalar.iterable_field(), None);
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
