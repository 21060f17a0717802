//! A conversation as the providers with typed content blocks take it (Anthropic, Gemini,
//! Bedrock): the system text apart, and turns of blocks in which consecutive turns of one role
//! are merged — those APIs want roles to alternate, and a tool result must lead the turn after
//! the call it answers.

use serde_json::Value;

pub(crate) struct Conversation<R> {
    pub system: Vec<String>,
    pub turns: Vec<(R, Vec<Value>)>,
}

impl<R: PartialEq> Conversation<R> {
    pub fn new() -> Self {
        Conversation {
            system: Vec::new(),
            turns: Vec::new(),
        }
    }

    /// Adds `blocks` as a turn of `role`, merged into the last turn when that has the same
    /// role. An empty turn is dropped (the APIs refuse one); returns whether anything was added.
    pub fn push(&mut self, role: R, blocks: Vec<Value>) -> bool {
        if blocks.is_empty() {
            return false;
        }
        match self.turns.last_mut() {
            Some((last, existing)) if *last == role => existing.extend(blocks),
            _ => self.turns.push((role, blocks)),
        }
        true
    }
}

/// Tool-call arguments as the object these APIs want back (`input`, `args`): arguments that
/// are not an object, which their own answers never are, go back empty.
pub(crate) fn arguments_object(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(v @ Value::Object(_)) => v,
        _ => Value::Object(serde_json::Map::new()),
    }
}
