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

#[derive(Debug, Default)]
pub struct SseReader {
    /// The current line's bytes (decoded only when the line is complete, so a UTF-8 character
    /// split across chunks is whole by then).
    line: Vec<u8>,
    /// The event being assembled; handed out by reference and reused, so a steady stream
    /// allocates nothing per event.
    pending: SseEvent,
    has_data: bool,
    /// The previous chunk ended with CR: a LF starting this chunk belongs to it.
    after_cr: bool,
    /// Bytes fed so far.
    fed: u64,
}

impl SseReader {
    pub fn new() -> Self {
        Self::default()
    }

    /// Total bytes fed.
    pub fn bytes_fed(&self) -> u64 {
        self.fed
    }

    /// True when bytes of an event that was never dispatched are held (the stream was cut).
    pub fn has_pending(&self) -> bool {
        !self.line.is_empty() || self.has_data
    }

    /// Feeds a chunk, calling `on_event` for each event it completes.
    pub fn feed(&mut self, mut bytes: &[u8], mut on_event: impl FnMut(&SseEvent)) {
        if bytes.is_empty() {
            return;
        }
        self.fed += bytes.len() as u64;
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while !bytes.is_empty() {
            match bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
                None => {
                    self.line.extend_from_slice(bytes);
                    return;
                }
                Some(end) => {
                    self.line.extend_from_slice(&bytes[..end]);
                    let was_cr = bytes[end] == b'\r';
                    bytes = &bytes[end + 1..];
                    if was_cr {
                        match bytes.first() {
                            Some(b'\n') => bytes = &bytes[1..],
                            Some(_) => {}
                            None => self.after_cr = true,
                        }
                    }
                    self.end_line(&mut on_event);
                }
            }
        }
    }

    fn end_line(&mut self, on_event: &mut impl FnMut(&SseEvent)) {
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
            return;
        }
        if line[0] == b':' {
            self.line = line;
            self.line.clear();
            return;
        }
        let text = match std::str::from_utf8(&line) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(&line),
        };
        let (field, value) = match text.find(':') {
            Some(i) => {
                let v = &text[i + 1..];
                (&text[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (text.as_ref(), ""),
        };
        match field {
            "data" => {
                self.pending.data.push_str(value);
                self.pending.data.push('\n');
                self.has_data = true;
            }
            "event" => self.pending.event = Some(value.to_string()),
            "id" if !value.contains('\0') => self.pending.id = Some(value.to_string()),
            _ => {}
        }
        // Reuse the line's allocation.
        drop(text);
        self.line = line;
        self.line.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut r = SseReader::new();
        let mut out = Vec::new();
        for c in chunks {
            r.feed(c, |e| out.push(e.clone()));
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
        r.feed(b"data: {\"a\": 1}\n\ndata: {\"b\"", |e| out.push(e.clone()));
        assert_eq!(out.len(), 1);
        assert!(r.has_pending());
        assert_eq!(r.bytes_fed(), 26);
    }

    #[test]
    fn blank_lines_without_data_dispatch_nothing() {
        assert!(read_all(&[b"\n\n\r\n: c\n\nevent: only\n\n"]).is_empty());
    }
}
