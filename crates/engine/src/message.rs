//! The conversation: messages with text, image, PDF and audio parts, and the tool calls and tool results
//! that re-asks add. Providers render this one shape into their own wire format.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    Text {
        text: String,
    },
    /// An image by URL; `data:` URLs carry inline base64 images.
    Image {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        detail: Option<String>,
    },
    /// A PDF: inline (a `data:application/pdf;base64,` URL) or by http(s) address. For a
    /// provider that cannot read PDFs, Quarry sends its text instead (and says so).
    Document {
        url: String,
        /// The file name, shown to people and sent where the provider takes one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        name: Option<String>,
    },
    /// Audio: inline (a `data:audio/…;base64,` URL) or by http(s) address.
    Audio {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        name: Option<String>,
    },
}

/// A reasoning block a model returned (Anthropic's extended thinking, Gemini's thought
/// signatures). Sent back unchanged with the turn it belongs to: the provider checks the
/// signature, and refuses a tool result whose turn lost its thinking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reasoning {
    Thinking {
        thinking: String,
        signature: String,
    },
    /// Thinking the provider encrypted; only its opaque `data` can be sent back.
    Redacted {
        data: String,
    },
    /// An opaque signature of the model's reasoning (Gemini's `thoughtSignature`), sent back
    /// on the turn's first function call.
    Signature {
        signature: String,
    },
}

/// A function call the model made (or that a re-ask echoes back to it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments exactly as the model sent them (a JSON text, possibly broken).
    pub arguments: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Message {
    pub role: Role,
    pub content: Vec<Part>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub tool_calls: Vec<ToolCall>,
    /// For `Role::Tool`: the call this message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub tool_call_id: Option<String>,
    /// For `Role::Tool`: the function name (some providers want it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub name: Option<String>,
    /// For `Role::Assistant`: reasoning blocks that came before its text and calls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<_>", optional)]
    pub reasoning: Vec<Reasoning>,
}

impl Message {
    /// Masks secrets out of every text of the message (re-asks echo what a provider said).
    pub fn redact(&mut self, r: &crate::secret::Redactor) {
        for part in &mut self.content {
            match part {
                Part::Text { text } => r.mask_string(text),
                Part::Image { url, .. } => r.mask_string(url),
                Part::Document { url, name } | Part::Audio { url, name } => {
                    r.mask_string(url);
                    if let Some(name) = name {
                        r.mask_string(name);
                    }
                }
            }
        }
        for call in &mut self.tool_calls {
            r.mask_string(&mut call.id);
            r.mask_string(&mut call.name);
            r.mask_string(&mut call.arguments);
        }
        if let Some(id) = &mut self.tool_call_id {
            r.mask_string(id);
        }
        if let Some(name) = &mut self.name {
            r.mask_string(name);
        }
        // Only copies for events and errors are masked: the turn sent back to the provider
        // keeps its reasoning as given (a changed block fails its signature).
        for block in &mut self.reasoning {
            match block {
                Reasoning::Thinking { thinking, .. } => r.mask_string(thinking),
                Reasoning::Redacted { .. } | Reasoning::Signature { .. } => {}
            }
        }
    }

    pub fn new(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: vec![Part::Text { text: text.into() }],
            tool_calls: Vec::new(),
            tool_call_id: None,
            name: None,
            reasoning: Vec::new(),
        }
    }
    pub fn system(text: impl Into<String>) -> Self {
        Self::new(Role::System, text)
    }
    pub fn user(text: impl Into<String>) -> Self {
        Self::new(Role::User, text)
    }
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::new(Role::Assistant, text)
    }

    /// An assistant turn that made tool calls (content may be empty).
    pub fn assistant_tool_calls(text: Option<String>, calls: Vec<ToolCall>) -> Self {
        Message {
            role: Role::Assistant,
            content: text
                .filter(|t| !t.is_empty())
                .map(|text| vec![Part::Text { text }])
                .unwrap_or_default(),
            tool_calls: calls,
            tool_call_id: None,
            name: None,
            reasoning: Vec::new(),
        }
    }

    /// The answer to one tool call.
    pub fn tool_result(call: &ToolCall, text: impl Into<String>) -> Self {
        Message {
            role: Role::Tool,
            content: vec![Part::Text { text: text.into() }],
            tool_calls: Vec::new(),
            tool_call_id: Some(call.id.clone()),
            name: Some(call.name.clone()),
            reasoning: Vec::new(),
        }
    }

    /// The same turn with the reasoning that preceded it.
    pub fn with_reasoning(mut self, reasoning: Vec<Reasoning>) -> Self {
        self.reasoning = reasoning;
        self
    }

    pub fn with_image(mut self, url: impl Into<String>) -> Self {
        self.content.push(Part::Image {
            url: url.into(),
            detail: None,
        });
        self
    }

    /// The same message with a file attached (see [`crate::attachment::part_from_bytes`]).
    pub fn with_part(mut self, part: Part) -> Self {
        self.content.push(part);
        self
    }

    /// All text parts joined; what a provider without multi-part content receives.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for part in &self.content {
            if let Part::Text { text } = part {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(text);
            }
        }
        out
    }

    /// True when the content is exactly one text part (rendered as a plain string).
    pub fn is_plain_text(&self) -> bool {
        matches!(self.content.as_slice(), [Part::Text { .. }])
    }
}
