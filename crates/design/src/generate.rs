//! A schema designed by a model from a plain-English description, through Quarry's own engine.
//!
//! The model is not asked for JSON Schema text: it is asked for a [`Design`], a list of fields
//! with their types, descriptions and whether each is required, whose own schema (made by
//! schemars) is the response schema of an ordinary extraction. So the answer is validated and
//! re-asked like any run, on every provider and mode (the design nests three levels and is not
//! recursive, which Gemini's schema subset could not carry), and the JSON Schema is then built
//! from it here, the same way every time, and checked by the meta-schema and the engine.

use std::collections::HashSet;

use quarry_engine::{Client, ExtractRequest, Message};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use ts_rs::TS;

/// A JSON Schema for extracting data from documents, designed from a description.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct Design {
    /// A short name for what is extracted, in PascalCase, e.g. Invoice.
    pub title: String,
    /// One sentence saying what the extracted object is.
    pub description: String,
    /// The fields of the extracted object, the most important first.
    pub fields: Vec<Field>,
}

/// One field of the extracted object.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct Field {
    #[serde(flatten)]
    pub common: Common,
    /// For an object, or an array of objects: its fields.
    #[serde(default)]
    pub fields: Vec<Child>,
}

/// A field inside an object field.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct Child {
    #[serde(flatten)]
    pub common: Common,
    /// For an object, or an array of objects: its fields (plain values only at this depth).
    #[serde(default)]
    pub fields: Vec<Leaf>,
}

/// A field two objects deep: no further nesting.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct Leaf {
    #[serde(flatten)]
    pub common: Common,
}

/// What every field has.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct Common {
    /// The field's name in snake_case, e.g. due_date.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// What to put in the field, written for the model that will fill it in.
    pub description: String,
    /// True when every document has this; false when it may be missing.
    pub required: bool,
    /// True when the value may be unknown (null) even when the field is there.
    #[serde(default)]
    pub nullable: bool,
    /// For a string: a format the value has.
    #[serde(default)]
    pub format: Option<Format>,
    /// For an enum: every allowed value.
    #[serde(default)]
    pub enum_values: Vec<String>,
    /// For an array: the type of its items (object items take their fields from `fields`).
    #[serde(default)]
    pub items: Option<Kind>,
}

/// The field's type; `enum` is one of a closed set of strings, listed in enum_values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    String,
    Integer,
    Number,
    Boolean,
    // No doc comment on a variant: schemars would then write the enum as a `oneOf`.
    Enum,
    Object,
    Array,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Date,
    DateTime,
    Time,
    Email,
    Uri,
    Uuid,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Date => "date",
            Format::DateTime => "date-time",
            Format::Time => "time",
            Format::Email => "email",
            Format::Uri => "uri",
            Format::Uuid => "uuid",
        }
    }
}

/// A generated schema.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct Generated {
    pub schema: Value,
    /// Attempts the model needed (1: the first answer was valid).
    pub attempts: u32,
    /// What was changed in the model's design (a repeated field name, an enum without values).
    pub notes: Vec<String>,
}

const INSTRUCTIONS: &str = "You design the schemas that a language model fills in when it extracts data from documents. From the user's description, list the fields to extract: clear snake_case names; the right type for each; a description that says exactly what goes in the field; required for what every document has, not required for what may be missing. Use an enum for a closed set of values, a format for dates, times, emails, addresses and ids, and objects or arrays of objects where the data nests. Do not add fields the description does not call for.";

/// Asks the draft's provider and model (its mode, base URL and key as for a run) for a design
/// of `description` and builds the schema from it.
pub async fn generate(
    client: &Client,
    draft: &ExtractRequest,
    description: &str,
) -> Result<Generated, quarry_engine::Error> {
    if description.trim().is_empty() {
        return Err(quarry_engine::Error::InvalidRequest(
            "the description is empty: say what the schema should hold".into(),
        ));
    }
    let mut request = draft.clone();
    request.messages = vec![Message::system(INSTRUCTIONS), Message::user(description)];
    request.context = Map::new();
    let schema = quarry_engine::ResponseSchema::for_type::<Design>()?;
    let extraction = client.extract_value(&request, &schema).await?;
    let design: Design = serde_json::from_value(extraction.value).map_err(|e| {
        quarry_engine::Error::InvalidRequest(format!(
            "the model's design does not read as one: {e}"
        ))
    })?;
    let (schema, notes) = build(&design);
    quarry_engine::ResponseSchema::new(schema.clone())?;
    Ok(Generated {
        schema,
        attempts: extraction.attempts,
        notes,
    })
}

/// The JSON Schema for a design: closed objects, fields in the design's order, required as
/// designed. Also notes what had to be changed.
pub fn build(design: &Design) -> (Value, Vec<String>) {
    let mut notes = Vec::new();
    let fields: Vec<(&Common, Option<Value>)> = design
        .fields
        .iter()
        .map(|f| {
            let nested: Vec<(&Common, Option<Value>)> = f
                .fields
                .iter()
                .map(|c| {
                    let leaves: Vec<(&Common, Option<Value>)> =
                        c.fields.iter().map(|l| (&l.common, None)).collect();
                    (&c.common, Some(object(&leaves, &mut notes)))
                })
                .collect();
            (&f.common, Some(object(&nested, &mut notes)))
        })
        .collect();
    let mut root = Map::new();
    root.insert("title".into(), json!(design.title.trim()));
    if !design.description.trim().is_empty() {
        root.insert("description".into(), json!(design.description.trim()));
    }
    if let Value::Object(body) = object(&fields, &mut notes) {
        root.extend(body);
    }
    (Value::Object(root), notes)
}

/// An object schema of `fields`, each with the object schema of its own fields (if any).
fn object(fields: &[(&Common, Option<Value>)], notes: &mut Vec<String>) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut seen = HashSet::new();
    for (field, inner) in fields {
        let name = field.name.trim();
        if name.is_empty() {
            notes.push("a field without a name was left out".into());
            continue;
        }
        if !seen.insert(name.to_string()) {
            notes.push(format!(
                "the field `{name}` was listed twice; the first is kept"
            ));
            continue;
        }
        properties.insert(name.to_string(), field_schema(field, inner.as_ref(), notes));
        if field.required {
            required.push(json!(name));
        }
    }
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn field_schema(field: &Common, inner: Option<&Value>, notes: &mut Vec<String>) -> Value {
    let empty_object = || json!({"type": "object", "properties": {}, "required": [], "additionalProperties": false});
    let mut schema = match field.kind {
        Kind::Array => {
            let items = match field.items.unwrap_or(Kind::String) {
                Kind::Object => inner.cloned().unwrap_or_else(empty_object),
                Kind::Array => json!({"type": "array", "items": {"type": "string"}}),
                Kind::Enum if !field.enum_values.is_empty() => {
                    json!({"type": "string", "enum": field.enum_values})
                }
                other => plain(other, field.format),
            };
            json!({"type": "array", "items": items})
        }
        Kind::Object => inner.cloned().unwrap_or_else(empty_object),
        Kind::Enum if field.enum_values.is_empty() => {
            notes.push(format!(
                "`{}` was an enum without values; it is a string",
                field.name.trim()
            ));
            json!({"type": "string"})
        }
        Kind::Enum => json!({"type": "string", "enum": field.enum_values}),
        other => plain(other, field.format),
    };
    if let Value::Object(map) = &mut schema {
        if !field.description.trim().is_empty() {
            map.insert("description".into(), json!(field.description.trim()));
        }
        if field.nullable {
            if let Some(Value::String(t)) = map.get("type").cloned() {
                map.insert("type".into(), json!([t, "null"]));
            }
            if let Some(Value::Array(values)) = map.get_mut("enum") {
                values.push(Value::Null);
            }
        }
    }
    schema
}

fn plain(kind: Kind, format: Option<Format>) -> Value {
    match kind {
        Kind::Integer => json!({"type": "integer"}),
        Kind::Number => json!({"type": "number"}),
        Kind::Boolean => json!({"type": "boolean"}),
        _ => match format {
            Some(f) => json!({"type": "string", "format": f.as_str()}),
            None => json!({"type": "string"}),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_design_becomes_a_closed_schema_in_its_order() {
        let design: Design = serde_json::from_value(json!({
            "title": "Invoice",
            "description": "An invoice.",
            "fields": [
                {"name": "number", "type": "string", "description": "The invoice number", "required": true},
                {"name": "issued", "type": "string", "format": "date", "description": "Date issued", "required": true},
                {"name": "status", "type": "enum", "enum_values": ["paid", "due"], "description": "Paid or not", "required": false, "nullable": true},
                {"name": "lines", "type": "array", "items": "object", "description": "Line items", "required": true, "fields": [
                    {"name": "amount", "type": "number", "description": "Amount", "required": true},
                    {"name": "tax", "type": "object", "description": "Tax", "required": false, "fields": [
                        {"name": "rate", "type": "number", "description": "Rate", "required": true}
                    ]}
                ]},
                {"name": "number", "type": "integer", "description": "again", "required": true},
                {"name": "kind", "type": "enum", "description": "no values", "required": true}
            ]
        }))
        .unwrap();
        let (schema, notes) = build(&design);
        assert_eq!(
            schema,
            json!({
                "title": "Invoice", "description": "An invoice.", "type": "object",
                "properties": {
                    "number": {"type": "string", "description": "The invoice number"},
                    "issued": {"type": "string", "format": "date", "description": "Date issued"},
                    "status": {"type": ["string", "null"], "enum": ["paid", "due", null], "description": "Paid or not"},
                    "lines": {"type": "array", "items": {"type": "object", "properties": {
                        "amount": {"type": "number", "description": "Amount"},
                        "tax": {"type": "object", "properties": {"rate": {"type": "number", "description": "Rate"}},
                                "required": ["rate"], "additionalProperties": false, "description": "Tax"}
                    }, "required": ["amount"], "additionalProperties": false}, "description": "Line items"},
                    "kind": {"type": "string", "description": "no values"}
                },
                "required": ["number", "issued", "lines", "kind"],
                "additionalProperties": false
            })
        );
        assert_eq!(notes.len(), 2, "{notes:?}");
        quarry_engine::ResponseSchema::new(schema.clone()).unwrap();
        assert!(jsonschema::draft202012::meta::is_valid(&schema));
        let order: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(order, ["number", "issued", "status", "lines", "kind"]);
    }

    #[test]
    fn the_design_schema_is_not_recursive_so_every_dialect_takes_it() {
        let schema = quarry_engine::ResponseSchema::for_type::<Design>().unwrap();
        let parameters = &schema.tool().parameters;
        quarry_engine::dialect::gemini(parameters).unwrap();
    }
}
