//! The incremental parser: a byte-at-a-time state machine with an explicit stack.

use std::sync::Arc;

use serde_json::Value;

use super::{Change, Path, Seg};

/// Nesting deeper than this is an error, never a stack overflow (the parser does not recurse,
/// but a consumer walking the result might).
pub const DEFAULT_MAX_DEPTH: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at byte {offset}: {message}")]
pub struct PartialError {
    /// 0-based offset of the offending byte in everything fed so far.
    pub offset: u64,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Obj {
    /// After `{`.
    KeyOrEnd,
    /// After `,`.
    Key,
    Colon,
    Value,
    CommaOrEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arr {
    /// After `[`.
    ValueOrEnd,
    /// After `,`.
    Value,
    CommaOrEnd,
}

#[derive(Debug)]
enum Frame {
    Object(Obj),
    Array(Arr, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Esc {
    None,
    Backslash,
    /// Inside `\uXXXX`: the digits so far, and a high surrogate waiting for its pair.
    Unicode {
        acc: u32,
        digits: u8,
        high: Option<u32>,
    },
    /// After a high surrogate: expecting `\` then `u` of the low one.
    LowBackslash(u32),
    LowU(u32),
}

#[derive(Debug)]
enum Token {
    None,
    /// A string: decoded bytes not yet emitted (values) or the whole key (keys).
    Str {
        key: bool,
        buf: Vec<u8>,
        esc: Esc,
    },
    Num(Vec<u8>),
    Lit {
        word: &'static [u8],
        pos: usize,
    },
}

#[derive(Debug)]
pub struct PartialParser {
    stack: Vec<Frame>,
    path: Vec<Seg>,
    /// `path` as a shared `Path`, made on first use and dropped when `path` changes.
    shared: Option<Path>,
    token: Token,
    /// The root value has closed.
    done: bool,
    max_depth: usize,
    offset: u64,
    failed: Option<PartialError>,
}

impl Default for PartialParser {
    fn default() -> Self {
        Self::new()
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_num(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
}

fn push_char(buf: &mut Vec<u8>, c: char) {
    let mut tmp = [0u8; 4];
    buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
}

fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

impl PartialParser {
    pub fn new() -> Self {
        Self::with_max_depth(DEFAULT_MAX_DEPTH)
    }

    pub fn with_max_depth(max_depth: usize) -> Self {
        PartialParser {
            stack: Vec::new(),
            path: Vec::new(),
            shared: None,
            token: Token::None,
            done: false,
            max_depth,
            offset: 0,
            failed: None,
        }
    }

    /// True once the root value has closed.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// True when nothing but whitespace has arrived.
    pub fn is_empty(&self) -> bool {
        !self.done && self.stack.is_empty() && matches!(self.token, Token::None)
    }

    fn path(&mut self) -> Path {
        self.shared
            .get_or_insert_with(|| Path(Arc::from(self.path.as_slice())))
            .clone()
    }

    fn push_seg(&mut self, seg: Seg) {
        self.path.push(seg);
        self.shared = None;
    }

    fn pop_seg(&mut self) {
        self.path.pop();
        self.shared = None;
    }

    fn fail(&mut self, at: u64, message: String) -> PartialError {
        let e = PartialError {
            offset: at,
            message,
        };
        self.failed = Some(e.clone());
        e
    }

    /// Feeds the next piece of the text, appending the changes it makes to `out`. After an
    /// error every later call returns the same error.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<Change>) -> Result<(), PartialError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let base = self.offset;
        let mut i = 0;
        while i < bytes.len() {
            let at = base + i as u64;
            match &mut self.token {
                Token::Str { buf, esc, key } => {
                    if *esc == Esc::None {
                        // Copy the run of plain characters in one go.
                        let run = bytes[i..]
                            .iter()
                            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                            .unwrap_or(bytes.len() - i);
                        buf.extend_from_slice(&bytes[i..i + run]);
                        i += run;
                        if i == bytes.len() {
                            break;
                        }
                        let b = bytes[i];
                        let at = base + i as u64;
                        i += 1;
                        match b {
                            b'"' => {
                                let key = *key;
                                let buf = std::mem::take(buf);
                                self.token = Token::None;
                                self.close_string(key, buf, at, out)?;
                            }
                            b'\\' => *esc = Esc::Backslash,
                            _ => {
                                return Err(self.fail(
                                    at,
                                    format!("control character {} inside a string", describe(b)),
                                ));
                            }
                        }
                    } else {
                        let b = bytes[i];
                        i += 1;
                        if let Err(m) = step_escape(esc, buf, b) {
                            return Err(self.fail(at, m));
                        }
                    }
                    continue;
                }
                Token::Num(buf) => {
                    let b = bytes[i];
                    if is_num(b) {
                        buf.push(b);
                        i += 1;
                        continue;
                    }
                    let buf = std::mem::take(buf);
                    self.token = Token::None;
                    self.close_number(&buf, at, out)?;
                    // `b` is handled below as structure.
                }
                Token::Lit { word, pos } => {
                    let b = bytes[i];
                    if b != word[*pos] {
                        let expected = String::from_utf8_lossy(word).into_owned();
                        return Err(
                            self.fail(at, format!("expected `{expected}`, found {}", describe(b)))
                        );
                    }
                    *pos += 1;
                    i += 1;
                    if *pos == word.len() {
                        let value = match word[0] {
                            b't' => Value::Bool(true),
                            b'f' => Value::Bool(false),
                            _ => Value::Null,
                        };
                        self.token = Token::None;
                        out.push(Change::Set {
                            path: self.path(),
                            value,
                            complete: true,
                        });
                        self.value_done();
                    }
                    continue;
                }
                Token::None => {}
            }
            let b = bytes[i];
            i += 1;
            if is_ws(b) {
                continue;
            }
            self.structural(b, at, out)?;
        }
        self.offset = base + bytes.len() as u64;
        // Text of a growing string becomes visible once per chunk.
        if let Token::Str {
            key: false, buf, ..
        } = &mut self.token
            && !buf.is_empty()
        {
            let valid = match std::str::from_utf8(buf) {
                Ok(s) => s.len(),
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                Err(e) => {
                    let at = self.offset;
                    return Err(self.fail(at, format!("invalid UTF-8 in a string ({e})")));
                }
            };
            if valid > 0 {
                let rest = buf.split_off(valid);
                let text = String::from_utf8(std::mem::replace(buf, rest)).unwrap_or_default();
                let path = self.path();
                out.push(Change::Append { path, text });
            }
        }
        Ok(())
    }

    /// Ends the input: a number at the root closes here. Returns whether the root value is
    /// complete.
    pub fn finish(&mut self, out: &mut Vec<Change>) -> Result<bool, PartialError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if let Token::Num(buf) = &mut self.token {
            let buf = std::mem::take(buf);
            self.token = Token::None;
            let at = self.offset;
            self.close_number(&buf, at, out)?;
        }
        Ok(self.done)
    }

    fn structural(&mut self, b: u8, at: u64, out: &mut Vec<Change>) -> Result<(), PartialError> {
        if self.done {
            return Err(self.fail(
                at,
                format!("unexpected {} after the end of the value", describe(b)),
            ));
        }
        match self.stack.last_mut() {
            None => self.start_value(b, at, out),
            Some(Frame::Object(state)) => match (*state, b) {
                (Obj::KeyOrEnd | Obj::Key, b'"') => {
                    self.token = Token::Str {
                        key: true,
                        buf: Vec::new(),
                        esc: Esc::None,
                    };
                    Ok(())
                }
                (Obj::KeyOrEnd | Obj::CommaOrEnd, b'}') => self.close_container(out),
                (Obj::Colon, b':') => {
                    *state = Obj::Value;
                    Ok(())
                }
                (Obj::Value, _) => self.start_value(b, at, out),
                (Obj::CommaOrEnd, b',') => {
                    *state = Obj::Key;
                    Ok(())
                }
                (state, _) => {
                    let expected = match state {
                        Obj::KeyOrEnd => "a key or `}`",
                        Obj::Key => "a key",
                        Obj::Colon => "`:`",
                        Obj::Value => "a value",
                        Obj::CommaOrEnd => "`,` or `}`",
                    };
                    Err(self.fail(at, format!("expected {expected}, found {}", describe(b))))
                }
            },
            Some(Frame::Array(state, _)) => match (*state, b) {
                (Arr::ValueOrEnd | Arr::CommaOrEnd, b']') => self.close_container(out),
                (Arr::CommaOrEnd, b',') => {
                    *state = Arr::Value;
                    Ok(())
                }
                (Arr::ValueOrEnd | Arr::Value, _) => {
                    let Some(Frame::Array(_, index)) = self.stack.last() else {
                        unreachable!()
                    };
                    let index = *index;
                    self.push_seg(Seg::Index(index));
                    self.start_value(b, at, out)
                }
                (Arr::CommaOrEnd, _) => {
                    Err(self.fail(at, format!("expected `,` or `]`, found {}", describe(b))))
                }
            },
        }
    }

    fn start_value(&mut self, b: u8, at: u64, out: &mut Vec<Change>) -> Result<(), PartialError> {
        let container = match b {
            b'{' => Some((
                Value::Object(Default::default()),
                Frame::Object(Obj::KeyOrEnd),
            )),
            b'[' => Some((Value::Array(Vec::new()), Frame::Array(Arr::ValueOrEnd, 0))),
            _ => None,
        };
        if let Some((value, frame)) = container {
            if self.stack.len() >= self.max_depth {
                return Err(self.fail(at, format!("nesting deeper than {} levels", self.max_depth)));
            }
            out.push(Change::Set {
                path: self.path(),
                value,
                complete: false,
            });
            self.stack.push(frame);
            return Ok(());
        }
        match b {
            b'"' => {
                out.push(Change::Set {
                    path: self.path(),
                    value: Value::String(String::new()),
                    complete: false,
                });
                self.token = Token::Str {
                    key: false,
                    buf: Vec::new(),
                    esc: Esc::None,
                };
            }
            b'-' | b'0'..=b'9' => self.token = Token::Num(vec![b]),
            b't' => {
                self.token = Token::Lit {
                    word: b"true",
                    pos: 1,
                }
            }
            b'f' => {
                self.token = Token::Lit {
                    word: b"false",
                    pos: 1,
                }
            }
            b'n' => {
                self.token = Token::Lit {
                    word: b"null",
                    pos: 1,
                }
            }
            _ => return Err(self.fail(at, format!("expected a value, found {}", describe(b)))),
        }
        Ok(())
    }

    fn close_string(
        &mut self,
        key: bool,
        buf: Vec<u8>,
        at: u64,
        out: &mut Vec<Change>,
    ) -> Result<(), PartialError> {
        let text = match String::from_utf8(buf) {
            Ok(t) => t,
            Err(e) => return Err(self.fail(at, format!("invalid UTF-8 in a string ({e})"))),
        };
        if key {
            self.push_seg(Seg::Key(Arc::from(text)));
            if let Some(Frame::Object(state)) = self.stack.last_mut() {
                *state = Obj::Colon;
            }
            return Ok(());
        }
        if !text.is_empty() {
            out.push(Change::Append {
                path: self.path(),
                text,
            });
        }
        out.push(Change::Complete { path: self.path() });
        self.value_done();
        Ok(())
    }

    fn close_number(
        &mut self,
        buf: &[u8],
        at: u64,
        out: &mut Vec<Change>,
    ) -> Result<(), PartialError> {
        // serde_json decides what a number is, so the result is exactly what it would parse.
        match serde_json::from_slice::<serde_json::Number>(buf) {
            Ok(n) => {
                out.push(Change::Set {
                    path: self.path(),
                    value: Value::Number(n),
                    complete: true,
                });
                self.value_done();
                Ok(())
            }
            Err(_) => Err(self.fail(
                at,
                format!("invalid number `{}`", String::from_utf8_lossy(buf)),
            )),
        }
    }

    fn close_container(&mut self, out: &mut Vec<Change>) -> Result<(), PartialError> {
        self.stack.pop();
        out.push(Change::Complete { path: self.path() });
        self.value_done();
        Ok(())
    }

    /// A value ended: step out of its slot in the parent.
    fn value_done(&mut self) {
        match self.stack.last_mut() {
            None => self.done = true,
            Some(Frame::Object(state)) => {
                *state = Obj::CommaOrEnd;
                self.pop_seg();
            }
            Some(Frame::Array(state, index)) => {
                *index += 1;
                *state = Arr::CommaOrEnd;
                self.pop_seg();
            }
        }
    }
}

fn hex(b: u8) -> Option<u32> {
    (b as char).to_digit(16)
}

fn step_escape(esc: &mut Esc, buf: &mut Vec<u8>, b: u8) -> Result<(), String> {
    match *esc {
        Esc::None => unreachable!("plain characters are copied in bulk"),
        Esc::Backslash => {
            let c = match b {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    *esc = Esc::Unicode {
                        acc: 0,
                        digits: 0,
                        high: None,
                    };
                    return Ok(());
                }
                _ => return Err(format!("invalid escape `\\{}`", b as char)),
            };
            push_char(buf, c);
            *esc = Esc::None;
        }
        Esc::Unicode { acc, digits, high } => {
            let d =
                hex(b).ok_or_else(|| format!("invalid hex digit {} in \\u escape", describe(b)))?;
            let acc = acc * 16 + d;
            if digits < 3 {
                *esc = Esc::Unicode {
                    acc,
                    digits: digits + 1,
                    high,
                };
                return Ok(());
            }
            match (high, acc) {
                (None, 0xD800..=0xDBFF) => *esc = Esc::LowBackslash(acc),
                (None, 0xDC00..=0xDFFF) => {
                    return Err("lone trailing surrogate in \\u escape".into());
                }
                (None, cp) => {
                    push_char(buf, char::from_u32(cp).ok_or("invalid \\u escape")?);
                    *esc = Esc::None;
                }
                (Some(hi), 0xDC00..=0xDFFF) => {
                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (acc - 0xDC00);
                    push_char(buf, char::from_u32(cp).ok_or("invalid surrogate pair")?);
                    *esc = Esc::None;
                }
                (Some(_), _) => return Err("a high surrogate not followed by a low one".into()),
            }
        }
        Esc::LowBackslash(hi) => {
            if b != b'\\' {
                return Err("lone leading surrogate in \\u escape".into());
            }
            *esc = Esc::LowU(hi);
        }
        Esc::LowU(hi) => {
            if b != b'u' {
                return Err("lone leading surrogate in \\u escape".into());
            }
            *esc = Esc::Unicode {
                acc: 0,
                digits: 0,
                high: Some(hi),
            };
        }
    }
    Ok(())
}
