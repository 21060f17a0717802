//! What Quarry says to the model, the same for every protocol: the instruction carrying the
//! schema in the JSON modes, and the words of a re-ask.

use crate::message::Message;
use crate::provider::Completion;
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

/// The re-ask of the protocols that answer a call with a tool result (Anthropic, Gemini,
/// Cohere, Bedrock). In a tool mode with calls, the calls go back with the turn's reasoning
/// and each gets the error as its result; otherwise the text goes back and a user message
/// says what to fix (and, in a tool mode, to call the `tool_word` instead).
pub(crate) fn reask_with_results(
    tool_mode: bool,
    tool_word: &str,
    completion: &Completion,
    error: &str,
) -> Vec<Message> {
    let text = completion.text.clone().filter(|t| !t.is_empty());
    if tool_mode && !completion.tool_calls.is_empty() {
        let mut out = vec![
            Message::assistant_tool_calls(text, completion.tool_calls.clone())
                .with_reasoning(completion.reasoning.clone()),
        ];
        out.extend(
            completion
                .tool_calls
                .iter()
                .map(|call| Message::tool_result(call, format!("{error}\n{TOOL_REASK}"))),
        );
        return out;
    }
    let mut out = Vec::new();
    if let Some(text) = text {
        out.push(Message::assistant(text).with_reasoning(completion.reasoning.clone()));
    }
    let instruction = if tool_mode {
        format!("Answer by calling the {tool_word}, not with text.")
    } else {
        JSON_REASK.to_string()
    };
    out.push(Message::user(format!("{error}\n{instruction}")));
    out
}
