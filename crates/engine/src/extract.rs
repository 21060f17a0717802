//! Reading the answer out of a completion: the tool call's arguments in tool modes, the JSON in
//! the text in JSON modes. What goes wrong here is the model's fault and is re-asked.

use serde_json::Value;

use crate::provider::{Completion, Reading};
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
    reading: Reading,
    completion: &Completion,
    schema: &ResponseSchema,
) -> Result<Answer, ParseFailure> {
    if reading == Reading::ParallelTools {
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
    if reading == Reading::Tool {
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
    let anywhere = reading != Reading::Text { anywhere: false };
    let Some(span) = find_json(text, anywhere) else {
        return Err(ParseFailure::NoJson);
    };
    serde_json::from_str(span)
        .map(Answer::One)
        .map_err(|e| ParseFailure::NotJson {
            detail: e.to_string(),
        })
}

/// The first JSON object or array in `text` (by the rule of [`JsonStart`]), up to where it
/// balances. String- and escape-aware, so braces inside strings do not count. When the value
/// never closes, everything from its start is returned (and the JSON error says why).
pub fn find_json(text: &str, anywhere: bool) -> Option<&str> {
    let mut finder = JsonStart::new(anywhere);
    let start = finder.find(text)?.from;
    let bytes = text.as_bytes();
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
                    return Some(&text[start..=i]);
                }
            }
            _ => {}
        }
    }
    Some(&text[start..])
}

/// Where the value starts, as found by [`JsonStart::find`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Begin {
    /// Text of the value that arrived in earlier pieces (a `{` and the spaces after it, held
    /// until the next character showed it starts JSON).
    pub carry: String,
    /// The value continues from this byte of the current piece.
    pub from: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Fence {
    /// Outside any code fence.
    #[default]
    None,
    /// After an opening ``` on its line: the info string (language) is being read.
    Header,
    /// Inside a ```json (or bare) fence: the first `{` or `[` starts the value.
    Json,
    /// Inside a fence of another language: nothing in it is the answer.
    Other,
}

/// A `{` or `[` after prose on the same line, waiting for the next visible character to say
/// whether it starts JSON (`{"`, `{}`, `[{`, `["`) or is prose (`{braces}`, `[1]`).
#[derive(Debug, Clone, Default)]
struct Candidate {
    open: u8,
    /// Its text from earlier pieces.
    held: String,
    /// Where it started in the current piece (None: in an earlier one).
    at: Option<usize>,
    /// Whitespace characters read after it.
    spaces: usize,
}

/// Longest run of spaces after a candidate brace before it is given up on.
const MAX_CANDIDATE_SPACE: usize = 1024;

/// Where the JSON answer starts in a model's text: the one rule for the streamed parse and the
/// final one, fed the text in pieces of any size. A `{` or `[` starts the value when it opens
/// a line (or the text), comes first inside a ```json or bare ``` fence, or — after prose on
/// the same line — is followed by what JSON looks like (`{"`, `{}`, `[{`, `["`, `[[`, `[]`).
/// Fences in other languages are skipped whole. With `anywhere` (the JSON modes, whose answers
/// are JSON), any `{` or `[` outside a foreign fence starts it.
#[derive(Debug, Clone, Default)]
pub struct JsonStart {
    anywhere: bool,
    started: bool,
    /// Something other than whitespace came before on this line.
    mid_line: bool,
    /// Backticks at the start of this line so far.
    ticks: u8,
    fence: Fence,
    info: String,
    candidate: Option<Candidate>,
}

impl JsonStart {
    pub fn new(anywhere: bool) -> Self {
        JsonStart {
            anywhere,
            ..Self::default()
        }
    }

    /// True once the value has started.
    pub fn started(&self) -> bool {
        self.started
    }

    /// Reads one piece; `Some` when the value starts in it (or is confirmed in it).
    pub fn find(&mut self, piece: &str) -> Option<Begin> {
        if self.started {
            return None;
        }
        if let Some(c) = &mut self.candidate {
            c.at = None;
        }
        for (i, ch) in piece.char_indices() {
            if let Some(begin) = self.step(i, ch) {
                self.started = true;
                return Some(begin);
            }
        }
        if let Some(c) = &mut self.candidate {
            let from = c.at.unwrap_or(0);
            c.held.push_str(&piece[from..]);
        }
        None
    }

    fn step(&mut self, i: usize, ch: char) -> Option<Begin> {
        if let Some(mut c) = self.candidate.take() {
            if ch.is_whitespace() {
                if c.spaces < MAX_CANDIDATE_SPACE {
                    c.spaces += 1;
                    self.candidate = Some(c);
                    if ch == '\n' {
                        self.new_line();
                    }
                    return None;
                }
            } else {
                let json = match c.open {
                    b'{' => matches!(ch, '"' | '}'),
                    _ => matches!(ch, '{' | '[' | '"' | ']'),
                };
                if json {
                    return Some(Begin {
                        from: c.at.unwrap_or(0),
                        carry: c.held,
                    });
                }
            }
            // Prose after all: this character is read as usual.
        }
        match self.fence {
            Fence::Header => {
                if ch == '\n' {
                    let lang = self.info.trim().to_ascii_lowercase();
                    self.fence = if lang.is_empty() || lang.starts_with("json") {
                        Fence::Json
                    } else {
                        Fence::Other
                    };
                    self.info.clear();
                    self.new_line();
                } else if matches!(ch, '{' | '[') && {
                    let lang = self.info.trim().to_ascii_lowercase();
                    lang.is_empty() || lang == "json"
                } {
                    // ```json {"a": 1}``` on one line.
                    return Some(self.begin(i));
                } else if self.info.len() < 64 {
                    self.info.push(ch);
                }
                return None;
            }
            Fence::Json if matches!(ch, '{' | '[') => return Some(self.begin(i)),
            _ => {}
        }
        if ch == '`' && !self.mid_line {
            self.ticks = self.ticks.saturating_add(1);
            if self.ticks == 3 {
                self.fence = match self.fence {
                    Fence::None => Fence::Header,
                    // A fence line closes the fence it is in.
                    _ => Fence::None,
                };
                self.mid_line = true;
            }
            return None;
        }
        if ch == '\n' {
            self.new_line();
            return None;
        }
        if ch.is_whitespace() {
            return None;
        }
        let at_line_start = !self.mid_line;
        self.mid_line = true;
        self.ticks = 0;
        if self.fence == Fence::None && matches!(ch, '{' | '[') {
            if self.anywhere || at_line_start {
                return Some(self.begin(i));
            }
            self.candidate = Some(Candidate {
                open: ch as u8,
                held: String::new(),
                at: Some(i),
                spaces: 0,
            });
        }
        None
    }

    fn begin(&self, at: usize) -> Begin {
        Begin {
            carry: String::new(),
            from: at,
        }
    }

    fn new_line(&mut self) {
        self.mid_line = false;
        self.ticks = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_json_in_fences_and_prose() {
        for anywhere in [false, true] {
            let find = |t| find_json(t, anywhere);
            assert_eq!(
                find("Sure!\n```json\n{\"a\": 1}\n```\nBye"),
                Some("{\"a\": 1}")
            );
            assert_eq!(find("```python\nx={}\n```\n```json\n[1]\n```"), Some("[1]"));
            assert_eq!(
                find("The answer: {\"s\": \"}{\\\"\"} ok"),
                Some("{\"s\": \"}{\\\"\"}")
            );
            assert_eq!(find("no json here"), None);
            assert_eq!(find("{\"open\": [1, 2"), Some("{\"open\": [1, 2"));
            assert_eq!(
                find("```json\n{\"code\": \"```\"}\n```"),
                Some("{\"code\": \"```\"}")
            );
            assert_eq!(find("```json {\"a\": 1}```"), Some("{\"a\": 1}"));
        }
    }

    #[test]
    fn braces_in_prose_are_not_the_answer_in_md_json() {
        let find = |t| find_json(t, false);
        assert_eq!(
            find("I read {braces} here.\n{\"a\": 1}"),
            Some("{\"a\": 1}")
        );
        assert_eq!(find("See [1] and [2].\n[{\"a\": 1}]"), Some("[{\"a\": 1}]"));
        assert_eq!(find("Fill {a}: {\"a\": 1}"), Some("{\"a\": 1}"));
        assert_eq!(find("Then {{ not }} {\"a\": 1}"), Some("{\"a\": 1}"));
        assert_eq!(find("Here: {   \n  \"a\": 1}"), Some("{   \n  \"a\": 1}"));
        // The JSON modes take the first brace wherever it is.
        assert_eq!(find_json("I read {braces} here.", true), Some("{braces}"));
    }

    #[test]
    fn pieces_of_any_size_find_the_same_start() {
        let text = "Prose {x} and [1].\n```py\nd = {}\n```\nNow: {  \"a\": [1, {\"b\": 2}]} end";
        let whole = find_json(text, false).unwrap();
        for size in 1..text.len() {
            let mut f = JsonStart::new(false);
            let mut value = String::new();
            let mut offset = 0;
            for chunk in text.as_bytes().chunks(size) {
                let piece = std::str::from_utf8(chunk).unwrap();
                if f.started() {
                    value.push_str(piece);
                } else if let Some(b) = f.find(piece) {
                    value.push_str(&b.carry);
                    value.push_str(&piece[b.from..]);
                }
                offset += chunk.len();
            }
            assert_eq!(offset, text.len());
            assert!(value.starts_with(whole), "size {size}: {value:?}");
        }
    }
}
