//! How a streamed answer is cut into events before a protocol's decoder reads them:
//! Server-Sent Events (every provider but one), or AWS's binary event-stream (Bedrock's
//! ConverseStream), whose frames carry their type in a header and are checked by CRC32
//! (aws-smithy-eventstream reads them). Both take bytes exactly as they arrive, cut anywhere,
//! and cost time linear in the bytes.

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_types::event_stream::{HeaderValue, Message};
use bytes::{Buf, BytesMut};

use crate::provider::Frame;
use crate::sse::{SseError, SseReader};

/// A protocol's stream framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Sse,
    AwsEventStream,
}

/// Why a stream cannot be read on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FrameError {
    Sse(SseError),
    /// A binary frame that is not one (bad lengths, a CRC that does not match).
    Malformed(String),
    /// An exception frame: the provider reported an error inside the stream.
    Exception {
        kind: String,
        message: String,
    },
}

pub(crate) enum FrameReader {
    Sse(SseReader),
    Events(EventStreamReader),
}

impl FrameReader {
    pub fn new(framing: Framing) -> Self {
        match framing {
            Framing::Sse => FrameReader::Sse(SseReader::new()),
            Framing::AwsEventStream => {
                FrameReader::Events(EventStreamReader::new(crate::limits::MAX_SSE_EVENT_BYTES))
            }
        }
    }

    pub fn bytes_fed(&self) -> u64 {
        match self {
            FrameReader::Sse(r) => r.bytes_fed(),
            FrameReader::Events(r) => r.fed,
        }
    }

    /// Feeds a chunk, calling `on_frame` for each event it completes.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        mut on_frame: impl FnMut(Frame<'_>),
    ) -> Result<(), FrameError> {
        match self {
            FrameReader::Sse(r) => r
                .feed(bytes, |e| {
                    on_frame(Frame {
                        kind: e.event.as_deref(),
                        data: &e.data,
                    })
                })
                .map_err(FrameError::Sse),
            FrameReader::Events(r) => r.feed(bytes, on_frame),
        }
    }
}

/// Reads AWS event-stream frames: a 12-byte prelude (total length, headers length, CRC),
/// headers, a payload and a CRC of the whole.
pub(crate) struct EventStreamReader {
    buf: BytesMut,
    fed: u64,
    /// The longest frame accepted (a length past it is refused before anything is buffered).
    limit: usize,
}

fn header<'a>(m: &'a Message, name: &str) -> Option<&'a str> {
    m.headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| match h.value() {
            HeaderValue::String(s) => Some(s.as_str()),
            _ => None,
        })
}

impl EventStreamReader {
    pub fn new(limit: usize) -> Self {
        EventStreamReader {
            buf: BytesMut::new(),
            fed: 0,
            limit,
        }
    }

    pub fn feed(
        &mut self,
        bytes: &[u8],
        mut on_frame: impl FnMut(Frame<'_>),
    ) -> Result<(), FrameError> {
        self.fed += bytes.len() as u64;
        self.buf.extend_from_slice(bytes);
        while self.buf.len() >= 4 {
            let total =
                u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]) as usize;
            if total > self.limit {
                return Err(FrameError::Sse(SseError::EventTooLong {
                    limit: self.limit,
                }));
            }
            // Prelude (12) and message CRC (4) at least.
            if total < 16 {
                return Err(FrameError::Malformed(format!(
                    "an event-stream frame says it is {total} bytes long, shorter than its own prelude"
                )));
            }
            if self.buf.len() < total {
                break;
            }
            let mut frame = self.buf.split_to(total).freeze();
            let message = match MessageFrameDecoder::new().decode_frame(&mut frame) {
                Ok(DecodedFrame::Complete(m)) => m,
                Ok(DecodedFrame::Incomplete) => {
                    return Err(FrameError::Malformed(
                        "an event-stream frame is shorter than its prelude says".into(),
                    ));
                }
                Err(e) => {
                    return Err(FrameError::Malformed(format!(
                        "an event-stream frame cannot be read: {e}"
                    )));
                }
            };
            debug_assert!(!frame.has_remaining());
            let payload = std::str::from_utf8(message.payload()).map_err(|e| {
                FrameError::Malformed(format!("an event's payload is not UTF-8 ({e})"))
            })?;
            match header(&message, ":message-type") {
                Some("exception") | Some("error") => {
                    let kind = header(&message, ":exception-type")
                        .or_else(|| header(&message, ":error-code"))
                        .unwrap_or("exception")
                        .to_string();
                    let message = serde_json::from_str::<serde_json::Value>(payload)
                        .ok()
                        .and_then(|v| {
                            v.get("message")
                                .or_else(|| v.get("Message"))
                                .and_then(|m| m.as_str())
                                .map(str::to_string)
                        })
                        .or_else(|| header(&message, ":error-message").map(str::to_string))
                        .unwrap_or_else(|| payload.to_string());
                    return Err(FrameError::Exception { kind, message });
                }
                _ => on_frame(Frame {
                    kind: header(&message, ":event-type"),
                    data: payload,
                }),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::write_message_to;
    use aws_smithy_types::event_stream::Header;

    fn frame(kind: &str, message_type: &str, payload: &str) -> Vec<u8> {
        let header_name = if message_type == "event" {
            ":event-type"
        } else {
            ":exception-type"
        };
        let m = Message::new(payload.as_bytes().to_vec())
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String(message_type.to_string().into()),
            ))
            .add_header(Header::new(
                header_name,
                HeaderValue::String(kind.to_string().into()),
            ));
        let mut out = Vec::new();
        write_message_to(&m, &mut out).unwrap();
        out
    }

    #[test]
    fn frames_cut_anywhere_are_read_whole() {
        let mut bytes = frame("messageStart", "event", r#"{"role":"assistant"}"#);
        bytes.extend(frame(
            "contentBlockDelta",
            "event",
            r#"{"delta":{"text":"hé"}}"#,
        ));
        for cut in 1..bytes.len() {
            let mut r = EventStreamReader::new(1 << 20);
            let mut seen = Vec::new();
            for piece in [&bytes[..cut], &bytes[cut..]] {
                r.feed(piece, |f| {
                    seen.push((f.kind.map(str::to_string), f.data.to_string()))
                })
                .unwrap();
            }
            assert_eq!(seen.len(), 2, "cut at {cut}");
            assert_eq!(seen[1].1, r#"{"delta":{"text":"hé"}}"#);
        }
    }

    #[test]
    fn exceptions_bad_crcs_and_huge_lengths_are_errors() {
        let mut r = EventStreamReader::new(1 << 20);
        let e = r
            .feed(
                &frame(
                    "throttlingException",
                    "exception",
                    r#"{"message":"slow down"}"#,
                ),
                |_| {},
            )
            .unwrap_err();
        assert_eq!(
            e,
            FrameError::Exception {
                kind: "throttlingException".into(),
                message: "slow down".into()
            }
        );
        let mut broken = frame("messageStop", "event", "{}");
        let last = broken.len() - 1;
        broken[last] ^= 0xff;
        assert!(matches!(
            EventStreamReader::new(1 << 20).feed(&broken, |_| {}),
            Err(FrameError::Malformed(_))
        ));
        assert!(matches!(
            EventStreamReader::new(1024).feed(&[0xff, 0xff, 0xff, 0xff], |_| {}),
            Err(FrameError::Sse(SseError::EventTooLong { .. }))
        ));
    }
}
