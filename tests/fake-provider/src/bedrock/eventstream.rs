//! AWS's binary event-stream framing (`application/vnd.amazon.eventstream`), what ConverseStream
//! answers with, written by hand (CRC32 from `crc32fast`) and checked in `tests/bedrock.rs` by
//! decoding with the `aws-smithy-eventstream` crate, an independent implementation.
//!
//! A message [SPEC]: a 12-byte prelude (total length u32 big-endian, headers length u32
//! big-endian, CRC32 of those 8 bytes), the headers, the payload, and a CRC32 of everything
//! before it. A header: name length (u8), name, value type (7 = string), value length (u16
//! big-endian), value. ConverseStream's events carry three string headers, in the order a
//! recorded Bedrock frame quoted in a public SDK's tests has them: `:event-type`
//! (`messageStart`, `contentBlockDelta`, …), `:content-type: application/json` and
//! `:message-type: event`; an exception has `:exception-type` (`throttlingException`,
//! `modelStreamErrorException`, …) in place of `:event-type` and `:message-type: exception`
//! (`anomalyco/opencode#38712` decodes real exception frames by those headers).
//!
//! Sources: [SPEC] AWS's event-stream encoding (documented with Transcribe's streaming API, and as
//! Smithy's `vnd.amazon.eventstream` protocol).
//!
//! In a [`crate::StreamScript`] an event of this kind is kept as readable text (so a test can
//! look at it, cut the stream after it or rechunk it like any SSE event) and framed when it is
//! written: a first line `[aws-eventstream]`, one `name: value` line per header, an empty line,
//! then the payload. A stream whose first event is of this form is sent as
//! `application/vnd.amazon.eventstream`.

/// The first line of an event kept as text (no SSE stream begins this way).
pub(crate) const MARK: &str = "[aws-eventstream]\n";

/// The type byte of a string header value.
const STRING: u8 = 7;

/// One message: `headers` (all string-valued, in order) and `payload`.
pub fn aws_event_frame(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::new();
    for (name, value) in headers {
        let name_len = u8::try_from(name.len()).expect("a header name is at most 255 bytes");
        let value_len = u16::try_from(value.len()).expect("a header value is at most 65535 bytes");
        encoded.push(name_len);
        encoded.extend_from_slice(name.as_bytes());
        encoded.push(STRING);
        encoded.extend_from_slice(&value_len.to_be_bytes());
        encoded.extend_from_slice(value.as_bytes());
    }
    let total = 12 + encoded.len() + payload.len() + 4;
    let mut frame = Vec::with_capacity(total);
    frame.extend_from_slice(&(total as u32).to_be_bytes());
    frame.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&frame);
    frame.extend_from_slice(&prelude_crc.to_be_bytes());
    frame.extend_from_slice(&encoded);
    frame.extend_from_slice(payload);
    let message_crc = crc32fast::hash(&frame);
    frame.extend_from_slice(&message_crc.to_be_bytes());
    frame
}

/// An event kept as text (see the module's notes).
pub(crate) fn text_event(headers: &[(&str, &str)], payload: &str) -> String {
    let mut text = String::from(MARK);
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\n"));
    }
    text.push('\n');
    text.push_str(payload);
    text
}

/// Whether an event of a script is an event-stream message kept as text.
pub(crate) fn is_text_event(event: &str) -> bool {
    event.starts_with(MARK)
}

/// The frame of an event kept as text.
pub(crate) fn frame_text_event(event: &str) -> Vec<u8> {
    let rest = event.strip_prefix(MARK).unwrap_or(event);
    let (head, payload) = rest.split_once("\n\n").unwrap_or((rest, ""));
    let headers: Vec<(&str, &str)> = head
        .lines()
        .filter_map(|line| line.split_once(": "))
        .collect();
    aws_event_frame(&headers, payload.as_bytes())
}

/// A ConverseStream event: `:event-type`, JSON content, `:message-type: event`.
pub(crate) fn event(event_type: &str, payload: &str) -> String {
    text_event(
        &[
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload,
    )
}

/// A modeled exception in the stream (`throttlingException`, `modelStreamErrorException`, …).
pub(crate) fn exception(exception_type: &str, payload: &str) -> String {
    text_event(
        &[
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        payload,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame of the Transcribe documentation's shape, checked field by field.
    #[test]
    fn frame_layout() {
        let f = aws_event_frame(&[(":event-type", "messageStop")], b"{}");
        let headers_len = 1 + 11 + 1 + 2 + 11;
        assert_eq!(f.len(), 12 + headers_len + 2 + 4);
        assert_eq!(
            u32::from_be_bytes(f[0..4].try_into().unwrap()) as usize,
            f.len()
        );
        assert_eq!(
            u32::from_be_bytes(f[4..8].try_into().unwrap()),
            headers_len as u32
        );
        assert_eq!(
            u32::from_be_bytes(f[8..12].try_into().unwrap()),
            crc32fast::hash(&f[0..8])
        );
        assert_eq!(f[12], 11);
        assert_eq!(&f[13..24], b":event-type");
        assert_eq!(f[24], 7);
        assert_eq!(&f[25..27], &[0, 11]);
        let n = f.len();
        assert_eq!(
            u32::from_be_bytes(f[n - 4..].try_into().unwrap()),
            crc32fast::hash(&f[..n - 4])
        );
    }

    #[test]
    fn text_events_frame_like_direct_ones() {
        let text = event("contentBlockDelta", r#"{"delta":{"text":"a: b\n\nc"}}"#);
        assert!(is_text_event(&text));
        assert_eq!(
            frame_text_event(&text),
            aws_event_frame(
                &[
                    (":event-type", "contentBlockDelta"),
                    (":content-type", "application/json"),
                    (":message-type", "event"),
                ],
                br#"{"delta":{"text":"a: b\n\nc"}}"#
            )
        );
    }
}
