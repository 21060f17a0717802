//! Run messages on their way to a window (`quarry serve`'s WebSocket, the desktop app's
//! channel): at most one delivery per frame, with the partial events that queued up meanwhile
//! merged.
//!
//! A fast stream makes ~10 partial events per kilobyte of answer (a 5,000-record object is
//! ~50,000), each a few dozen bytes of change in ~250 bytes of envelope. A window that took each
//! one spent its frames parsing envelopes and applying 8-character appends one by one; on a
//! 2-core machine, where the server and the page share the CPU, it fell to 20–30 frames a second.
//! A window draws at most once a frame anyway, so what arrives within one goes out as one batch,
//! and adjacent partial events of one stream and attempt become one (their changes in order,
//! consecutive text for one string joined). The history keeps every event as it came: a reopened
//! run replays them all.

use std::time::Duration;

use quarry_engine::{Change, RunEvent};

use crate::orchestrate::RunMessage;

/// The shortest time between two deliveries to one window: one frame at 60 Hz.
pub const FRAME: Duration = Duration::from_millis(16);

/// `batch` with each run of adjacent partial events of the same stream and attempt merged into
/// one: the first's envelope with the last's sequence number and time, every change in order,
/// and `merged` saying how many events it stands for.
pub fn coalesce(batch: Vec<RunMessage>) -> Vec<RunMessage> {
    let mut out: Vec<RunMessage> = Vec::with_capacity(batch.len());
    for message in batch {
        let unmerged = match out.last_mut() {
            Some(last) => merge_into(last, message),
            None => Some(message),
        };
        out.extend(unmerged);
    }
    out
}

/// Merges `next` into `last` when both are partial events of one stream and attempt; gives it
/// back otherwise.
fn merge_into(last: &mut RunMessage, next: RunMessage) -> Option<RunMessage> {
    let (
        RunMessage::Event {
            stream_id: last_stream,
            event: last_event,
            merged,
        },
        RunMessage::Event {
            stream_id: next_stream,
            event: next_event,
            ..
        },
    ) = (&mut *last, &next)
    else {
        return Some(next);
    };
    let (
        RunEvent::Partial {
            attempt: last_attempt,
            changes,
        },
        RunEvent::Partial {
            attempt: next_attempt,
            ..
        },
    ) = (&mut last_event.event, &next_event.event)
    else {
        return Some(next);
    };
    if last_stream != next_stream || last_attempt.attempt != next_attempt.attempt {
        return Some(next);
    }
    let RunMessage::Event {
        event: next_event,
        merged: next_merged,
        ..
    } = next
    else {
        return None;
    };
    if merged.is_none() {
        // The first merge: its own changes are joined too.
        for change in std::mem::take(changes) {
            push_change(changes, change);
        }
    }
    last_event.seq = next_event.seq;
    last_event.t_ms = next_event.t_ms;
    *merged = Some(merged.unwrap_or(1) + next_merged.unwrap_or(1));
    if let RunEvent::Partial { changes: more, .. } = next_event.event {
        for change in more {
            push_change(changes, change);
        }
    }
    None
}

/// Appends `change`, joining text for the string the previous change made or grew.
fn push_change(changes: &mut Vec<Change>, change: Change) {
    if let Change::Append { path, text } = &change {
        match changes.last_mut() {
            Some(Change::Append {
                path: before,
                text: so_far,
            }) if before == path => {
                so_far.push_str(text);
                return;
            }
            Some(Change::Set {
                path: before,
                value: serde_json::Value::String(so_far),
                complete: false,
            }) if before == path => {
                so_far.push_str(text);
                return;
            }
            _ => {}
        }
    }
    changes.push(change);
}

#[cfg(test)]
mod tests {
    use quarry_engine::{AttemptInfo, EventRecord, Path};
    use serde_json::{Value, json};

    use super::*;
    use crate::orchestrate::RunEnd;

    fn partial(stream: &str, seq: u64, attempt: u32, changes: Vec<Change>) -> RunMessage {
        RunMessage::Event {
            stream_id: stream.into(),
            event: EventRecord {
                v: 1,
                seq,
                t_ms: seq as f64,
                event: RunEvent::Partial {
                    attempt: AttemptInfo {
                        attempt,
                        max_attempts: 2,
                        is_last: false,
                    },
                    changes,
                },
            },
            merged: None,
        }
    }

    fn path(p: &str) -> Path {
        Path::parse(p)
    }

    fn append(p: &str, text: &str) -> Change {
        Change::Append {
            path: path(p),
            text: text.into(),
        }
    }

    fn json_of(messages: &[RunMessage]) -> Value {
        serde_json::to_value(messages).unwrap()
    }

    #[test]
    fn adjacent_partials_of_one_attempt_merge_with_their_text_joined() {
        let set = Change::Set {
            path: path("/name"),
            value: json!(""),
            complete: false,
        };
        let merged = coalesce(vec![
            partial("a", 3, 1, vec![set, append("/name", "Ada ")]),
            partial("a", 4, 1, vec![append("/name", "Love")]),
            partial(
                "a",
                5,
                1,
                vec![
                    append("/name", "lace"),
                    Change::Complete {
                        path: path("/name"),
                    },
                ],
            ),
            partial("a", 6, 1, vec![append("/bio", "x"), append("/name", "?")]),
        ]);
        assert_eq!(
            json_of(&merged),
            json!([{"stream_id": "a", "merged": 4, "event": {
            "v": 1, "seq": 6, "t_ms": 6.0, "type": "partial", "attempt": 1, "max_attempts": 2, "is_last": false,
            "changes": [
                {"op": "set", "path": "/name", "value": "Ada Lovelace", "complete": false},
                {"op": "complete", "path": "/name"},
                {"op": "append", "path": "/bio", "text": "x"},
                {"op": "append", "path": "/name", "text": "?"},
            ]}}])
        );
    }

    #[test]
    fn other_streams_attempts_and_events_keep_their_place() {
        let end = RunMessage::End {
            stream_id: "a".into(),
            end: RunEnd {
                run_id: Some(1),
                status: "succeeded".into(),
                not_recorded: None,
            },
        };
        let merged = coalesce(vec![
            partial("a", 1, 1, vec![append("/x", "1")]),
            partial("b", 1, 1, vec![append("/x", "2")]),
            partial("b", 2, 2, vec![append("/x", "3")]),
            partial("b", 3, 2, vec![append("/x", "4")]),
            end.clone(),
            partial("a", 2, 1, vec![append("/x", "5")]),
        ]);
        let seen: Vec<(String, Option<u64>, Option<u32>)> = merged
            .iter()
            .map(|m| match m {
                RunMessage::Event {
                    stream_id,
                    event,
                    merged,
                } => (stream_id.clone(), Some(event.seq), *merged),
                RunMessage::End { stream_id, .. } => (stream_id.clone(), None, None),
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("a".into(), Some(1), None),
                ("b".into(), Some(1), None),
                ("b".into(), Some(3), Some(2)),
                ("a".into(), None, None),
                ("a".into(), Some(2), None),
            ]
        );
    }

    #[test]
    fn applying_merged_changes_builds_the_same_object() {
        // The changes of a real stream, delivered merged and one by one, give the same value.
        let text = r#"{"name": "Ada Lovelace", "tags": ["a", "bc"], "n": 12.5, "o": {"k": "v"}}"#;
        let mut parser = quarry_engine::partial::PartialParser::new();
        let mut one_by_one = Vec::new();
        let mut singles = Vec::new();
        for (i, piece) in text.as_bytes().chunks(3).enumerate() {
            let mut changes = Vec::new();
            parser.feed(piece, &mut changes).unwrap();
            singles.extend(changes.iter().cloned());
            one_by_one.push(partial("a", i as u64, 1, changes));
        }
        let merged = coalesce(one_by_one);
        assert_eq!(merged.len(), 1);
        let RunMessage::Event { event, .. } = &merged[0] else {
            panic!("an event")
        };
        let RunEvent::Partial { changes, .. } = &event.event else {
            panic!("a partial event")
        };
        assert!(changes.len() < singles.len());
        assert_eq!(apply(changes), apply(&singles));
        assert_eq!(apply(changes), serde_json::from_str::<Value>(text).unwrap());
    }

    /// The object the changes build.
    fn apply(changes: &[Change]) -> Value {
        let mut snapshot = quarry_engine::Snapshot::new();
        for c in changes {
            snapshot.apply(c);
        }
        snapshot.into_value()
    }
}
