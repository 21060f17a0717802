//! A Server-Sent Events reader for every provider's stream: fed bytes exactly as they arrive,
//! split anywhere (inside a line, a CRLF pair or a UTF-8 character). It follows the WHATWG
//! event-stream rules: LF, CRLF and CR end lines; lines starting with `:` are comments
//! (keep-alives); `data:` lines of one event are joined with `\n`; a blank line dispatches.
//! Work is linear in the bytes fed: each byte is looked at once.

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field (`None` means the default type, "message").
    pub event: Option<String>,
    pub data: String,
    pub id: Option<String>,
}

/// Why a stream cannot be read on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// The bytes are not UTF-8 (a plain body with the same bytes is refused too).
    #[error("the stream is not valid UTF-8 (byte {offset} of the stream)")]
    InvalidUtf8 { offset: u64 },
    /// A line, or the data of one event, outgrew the limit without ending.
    #[error("one stream event is longer than {}", crate::limits::human_bytes(*.limit as u64))]
    EventTooLong { limit: usize },
}

#[derive(Debug)]
pub struct SseReader {
    /// The current line's bytes (decoded only when the line is complete, so a UTF-8 character
    /// split across chunks is whole by then).
    line: Vec<u8>,
    /// Where the current line started in the stream.
    line_start: u64,
    /// The event being assembled; handed out by reference and reused, so a steady stream
    /// allocates nothing per event.
    pending: SseEvent,
    has_data: bool,
    /// The previous chunk ended with CR: a LF starting this chunk belongs to it.
    after_cr: bool,
    /// Bytes fed so far.
    fed: u64,
    /// The longest line, and the most data one event may gather.
    limit: usize,
}

impl Default for SseReader {
    fn default() -> Self {
        Self::with_limit(crate::limits::MAX_SSE_EVENT_BYTES)
    }
}

impl SseReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// A reader that refuses lines and events longer than `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        SseReader {
            line: Vec::new(),
            line_start: 0,
            pending: SseEvent::default(),
            has_data: false,
            after_cr: false,
            fed: 0,
            limit,
        }
    }

    /// Total bytes fed.
    pub fn bytes_fed(&self) -> u64 {
        self.fed
    }

    /// True when bytes of an event that was never dispatched are held (the stream was cut).
    pub fn has_pending(&self) -> bool {
        !self.line.is_empty() || self.has_data
    }

    /// Feeds a chunk, calling `on_event` for each event it completes. After an error the
    /// stream cannot be read on.
    pub fn feed(
        &mut self,
        mut bytes: &[u8],
        mut on_event: impl FnMut(&SseEvent),
    ) -> Result<(), SseError> {
        if bytes.is_empty() {
            return Ok(());
        }
        // Absolute offset of `bytes[0]`.
        let mut at = self.fed;
        self.fed += bytes.len() as u64;
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
                at += 1;
                self.line_start = at;
            }
        }
        while !bytes.is_empty() {
            match bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
                None => {
                    if self.line.len() + bytes.len() > self.limit {
                        return Err(SseError::EventTooLong { limit: self.limit });
                    }
                    self.line.extend_from_slice(bytes);
                    return Ok(());
                }
                Some(end) => {
                    if self.line.len() + end > self.limit {
                        return Err(SseError::EventTooLong { limit: self.limit });
                    }
                    self.line.extend_from_slice(&bytes[..end]);
                    let was_cr = bytes[end] == b'\r';
                    let mut used = end + 1;
                    if was_cr {
                        match bytes.get(end + 1) {
                            Some(b'\n') => used += 1,
                            Some(_) => {}
                            None => self.after_cr = true,
                        }
                    }
                    bytes = &bytes[used..];
                    self.end_line(&mut on_event)?;
                    at += used as u64;
                    self.line_start = at;
                }
            }
        }
        Ok(())
    }

    fn end_line(&mut self, on_event: &mut impl FnMut(&SseEvent)) -> Result<(), SseError> {
        let line = std::mem::take(&mut self.line);
        if line.is_empty() {
            if self.has_data {
                self.pending.data.pop(); // the "\n" after the last data line
                on_event(&self.pending);
                self.pending.data.clear();
                self.has_data = false;
            }
            // The event type lasts one event; the id lasts until replaced.
            self.pending.event = None;
            self.line = line;
            return Ok(());
        }
        if line[0] == b':' {
            self.line = line;
            self.line.clear();
            return Ok(());
        }
        let text = std::str::from_utf8(&line).map_err(|e| SseError::InvalidUtf8 {
            offset: self.line_start + e.valid_up_to() as u64,
        })?;
        let (field, value) = match text.find(':') {
            Some(i) => {
                let v = &text[i + 1..];
                (&text[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (text, ""),
        };
        match field {
            "data" => {
                if self.pending.data.len() + value.len() + 1 > self.limit {
                    return Err(SseError::EventTooLong { limit: self.limit });
                }
                self.pending.data.push_str(value);
                self.pending.data.push('\n');
                self.has_data = true;
            }
            "event" => self.pending.event = Some(value.to_string()),
            "id" if !value.contains('\0') => self.pending.id = Some(value.to_string()),
            _ => {}
        }
        // Reuse the line's allocation.
        self.line = line;
        self.line.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut r = SseReader::new();
        let mut out = Vec::new();
        for c in chunks {
            r.feed(c, |e| out.push(e.clone())).unwrap();
        }
        out
    }

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn line_endings_comments_and_multiline_data() {
        let text = b": keep-alive\r\n\r\nevent: delta\r\ndata: a\r\ndata:b\r\n\r\ndata: c\rdata: d\r\rdata: [DONE]\n\n";
        let events = read_all(&[text]);
        assert_eq!(data(&events), ["a\nb", "c\nd", "[DONE]"]);
        assert_eq!(events[0].event.as_deref(), Some("delta"));
        assert_eq!(events[1].event, None);
    }

    #[test]
    fn every_split_gives_the_same_events() {
        let text =
            "event: x\r\ndata: {\"t\": \"héllo 🌍\"}\r\n\r\n: ping\n\ndata: second\n\n".as_bytes();
        let whole = read_all(&[text]);
        for i in 0..=text.len() {
            for j in i..=text.len() {
                let got = read_all(&[&text[..i], &text[i..j], &text[j..]]);
                assert_eq!(got, whole, "split at {i}, {j}");
            }
        }
        assert_eq!(whole[0].data, "{\"t\": \"héllo 🌍\"}");
    }

    #[test]
    fn a_cut_stream_leaves_pending_bytes() {
        let mut r = SseReader::new();
        let mut out = Vec::new();
        r.feed(b"data: {\"a\": 1}\n\ndata: {\"b\"", |e| out.push(e.clone()))
            .unwrap();
        assert_eq!(out.len(), 1);
        assert!(r.has_pending());
        assert_eq!(r.bytes_fed(), 26);
    }

    #[test]
    fn invalid_utf8_is_refused_with_its_offset() {
        let mut r = SseReader::new();
        let mut n = 0;
        r.feed(b"data: ok\n\n", |_| n += 1).unwrap();
        let e = r.feed(b"data: caf\xe9\n\n", |_| n += 1).unwrap_err();
        assert_eq!(e, SseError::InvalidUtf8 { offset: 10 + 9 });
        assert_eq!(n, 1);
        // A character split across chunks is fine.
        let mut r = SseReader::new();
        r.feed(b"data: caf\xc3", |_| {}).unwrap();
        r.feed(b"\xa9\n\n", |e| assert_eq!(e.data, "café")).unwrap();
    }

    #[test]
    fn a_line_that_never_ends_is_refused_at_the_limit() {
        let mut r = SseReader::with_limit(64);
        let mut fed = 0;
        let err = loop {
            match r.feed(&[b'x'; 10], |_| {}) {
                Ok(()) => fed += 10,
                Err(e) => break e,
            }
            assert!(fed < 1000, "never refused");
        };
        assert_eq!(err, SseError::EventTooLong { limit: 64 });
        // Many data lines of one event count together.
        let mut r = SseReader::with_limit(64);
        let lines = "data: 0123456789\n".repeat(10);
        assert!(r.feed(lines.as_bytes(), |_| {}).is_err());
        // Comments do not accumulate.
        let mut r = SseReader::with_limit(64);
        for _ in 0..100 {
            r.feed(b": keep-alive\n", |_| {}).unwrap();
        }
    }

    #[test]
    fn blank_lines_without_data_dispatch_nothing() {
        assert!(read_all(&[b"\n\n\r\n: c\n\nevent: only\n\n"]).is_empty());
    }
}
