//! Reading the answer out of a completion: the tool call's arguments in tool modes, the JSON in
//! the text in JSON modes. What goes wrong here is the model's fault and is re-asked.

use serde_json::Value;

use crate::mode::Mode;
use crate::provider::Completion;
use crate::schema::ResponseSchema;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseFailure {
    #[error("no function was called; call `{expected}`")]
    NoToolCall { expected: String },
    #[error("the function called was `{got}`, but the one to call is `{expected}`")]
    WrongToolName { expected: String, got: String },
    #[error("the arguments of `{name}` are empty; send the arguments as a JSON object")]
    EmptyArguments { name: String },
    #[error("the arguments of `{name}` are not valid JSON: {detail}")]
    ArgumentsNotJson { name: String, detail: String },
    #[error("the answer is empty; answer with a JSON object")]
    NoContent,
    #[error("the answer contains no JSON object or array")]
    NoJson,
    #[error("the answer is not valid JSON: {detail}")]
    NotJson { detail: String },
}

/// The JSON the model produced for this attempt: one value, or for PARALLEL_TOOLS one value
/// per call with the tool it was made to.
pub enum Answer {
    One(Value),
    Parallel(Vec<(String, Value)>),
}

fn parse_args(name: &str, args: &str) -> Result<Value, ParseFailure> {
    if args.trim().is_empty() {
        return Err(ParseFailure::EmptyArguments { name: name.into() });
    }
    serde_json::from_str(args).map_err(|e| ParseFailure::ArgumentsNotJson {
        name: name.into(),
        detail: e.to_string(),
    })
}

pub fn extract(
    mode: Mode,
    completion: &Completion,
    schema: &ResponseSchema,
) -> Result<Answer, ParseFailure> {
    if mode == Mode::ParallelTools {
        let tools = schema.parallel_tools();
        if completion.tool_calls.is_empty() {
            return Err(ParseFailure::NoToolCall {
                expected: tools
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join("` or `"),
            });
        }
        let mut out = Vec::with_capacity(completion.tool_calls.len());
        for call in &completion.tool_calls {
            if !tools.iter().any(|t| t.name == call.name) {
                return Err(ParseFailure::WrongToolName {
                    expected: tools
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join("` or `"),
                    got: call.name.clone(),
                });
            }
            out.push((call.name.clone(), parse_args(&call.name, &call.arguments)?));
        }
        return Ok(Answer::Parallel(out));
    }
    if mode.is_tool_mode() {
        let expected = schema.name();
        let Some(first) = completion.tool_calls.first() else {
            return Err(ParseFailure::NoToolCall {
                expected: expected.into(),
            });
        };
        let call = completion
            .tool_calls
            .iter()
            .find(|c| c.name == expected)
            .ok_or_else(|| ParseFailure::WrongToolName {
                expected: expected.into(),
                got: first.name.clone(),
            })?;
        return parse_args(&call.name, &call.arguments).map(Answer::One);
    }
    let text = completion.text.as_deref().unwrap_or("");
    if text.trim().is_empty() {
        return Err(ParseFailure::NoContent);
    }
    // Strict JSON first (the common case for response_format modes), then the first balanced
    // JSON value in the text (fences, prose around it).
    if let Ok(v) = serde_json::from_str::<Value>(text.trim()) {
        return Ok(Answer::One(v));
    }
    let Some(span) = find_json(text) else {
        return Err(ParseFailure::NoJson);
    };
    serde_json::from_str(span)
        .map(Answer::One)
        .map_err(|e| ParseFailure::NotJson {
            detail: e.to_string(),
        })
}

/// The first balanced JSON object or array in `text`, preferring the inside of a ```json
/// fence. String- and escape-aware, so braces inside strings do not count. When the value
/// never closes, everything from its start is returned (and the JSON error says why).
pub fn find_json(text: &str) -> Option<&str> {
    let body = fenced(text).unwrap_or(text);
    let bytes = body.as_bytes();
    let start = bytes.iter().position(|&b| b == b'{' || b == b'[')?;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(&body[start..=i]);
                }
            }
            _ => {}
        }
    }
    Some(&body[start..])
}

/// The text after the opening line of the first ```json (or bare ```) fence whose content
/// starts with `{` or `[`. As in CommonMark, fences open and close only at the start of a line,
/// so backticks inside code or strings do not count; where the value ends is left to the
/// string-aware scanner.
fn fenced(text: &str) -> Option<&str> {
    let mut inside = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        if inside {
            inside = !info.trim_end().trim_start_matches('`').is_empty();
            continue;
        }
        let lang = info.trim();
        let body = &text[offset..];
        if (lang.is_empty() || lang.eq_ignore_ascii_case("json"))
            && body.trim_start().starts_with(['{', '['])
        {
            return Some(body);
        }
        inside = true;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_json_in_fences_and_prose() {
        assert_eq!(
            find_json("Sure!\n```json\n{\"a\": 1}\n```\nBye"),
            Some("{\"a\": 1}")
        );
        assert_eq!(
            find_json("```python\nx={}\n```\n```json\n[1]\n```"),
            Some("[1]")
        );
        assert_eq!(
            find_json("The answer: {\"s\": \"}{\\\"\"} ok"),
            Some("{\"s\": \"}{\\\"\"}")
        );
        assert_eq!(find_json("no json here"), None);
        assert_eq!(find_json("{\"open\": [1, 2"), Some("{\"open\": [1, 2"));
        assert_eq!(
            find_json("```json\n{\"code\": \"```\"}\n```"),
            Some("{\"code\": \"```\"}")
        );
    }
}
