//! What Quarry says to the model, the same for every protocol: the instruction carrying the
//! schema in the JSON modes, and the words of a re-ask.

use crate::schema::ResponseSchema;

/// The instruction that carries the schema in the JSON modes.
pub(crate) fn schema_instruction(schema: &ResponseSchema) -> String {
    let tool = schema.tool();
    let pretty = tool.pretty_parameters();
    format!(
        "Answer with JSON: one `{name}` value that matches the JSON Schema below.\n{name}: {description}\n\n{pretty}\n\nReturn the data (an instance of the schema), not the schema itself.",
        name = tool.name,
        description = tool.description,
    )
}

pub(crate) const TOOL_REASK: &str = "Call the function again with every one of these errors fixed.";
pub(crate) const JSON_REASK: &str =
    "Reply again with corrected JSON only, fixing every one of these errors.";
