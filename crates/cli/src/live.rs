//! `--stream`: printing a streamed run as it happens — change lines, snapshots, a live view
//! with field states coloured, or list items — and Ctrl-C to stop it keeping what arrived.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quarry_engine::{
    CallOptions, Client, ExtractRequest, FieldState, FieldStates, ResponseSchema, RunEvent,
    Snapshot, StreamKind,
};
use serde_json::{Map, Value, json};

use crate::report::Failure;

pub struct View {
    snapshots: bool,
    live: bool,
}

impl View {
    pub fn new(snapshots: bool, live: bool) -> Self {
        // A live view needs a terminal to redraw; elsewhere it would fill a file with
        // escape codes, so fall back to change lines.
        let live = live && std::io::stdout().is_terminal();
        View { snapshots, live }
    }
}

/// Redraws at most this often; the last state is always drawn.
const FRAME: Duration = Duration::from_millis(33);

pub async fn stream(
    client: &Client,
    req: ExtractRequest,
    schema: ResponseSchema,
    kind: StreamKind,
    options: CallOptions,
    view: View,
) -> Result<Value, Failure> {
    let schema = Arc::new(schema);
    let mut run = client.stream(req, schema.clone(), kind, options)?;
    let canceller = run.canceller();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            canceller.cancel();
        }
    });
    let mut out = std::io::stdout().lock();
    let mut snapshot = Snapshot::new();
    let mut states = FieldStates::for_schema(&schema);
    let mut attempt = 0;
    let mut last_frame: Option<Instant> = None;
    while let Some(record) = run.next_event().await {
        match record.event {
            RunEvent::Partial {
                attempt: a,
                changes,
            } if kind == StreamKind::Partial => {
                let mut changed = Map::new();
                if a.attempt != attempt {
                    attempt = a.attempt;
                    snapshot = Snapshot::new();
                    states = FieldStates::for_schema(&schema);
                    // The first update of an attempt also lists what has not arrived yet.
                    let mut pending: Vec<&str> = states.pending().collect();
                    pending.sort_unstable();
                    for p in pending {
                        changed.insert(p.to_string(), json!(FieldState::Pending));
                    }
                }
                for c in &changes {
                    snapshot.apply(c);
                    let (pointer, state) = states.apply(c);
                    changed.insert(pointer, json!(state));
                }
                if view.live {
                    if last_frame.is_none_or(|t| t.elapsed() >= FRAME) {
                        draw(&mut out, &snapshot, &states, attempt);
                        last_frame = Some(Instant::now());
                    }
                } else if view.snapshots {
                    let line = json!({"attempt": attempt, "snapshot": snapshot.value(), "states": changed});
                    let _ = writeln!(out, "{line}");
                } else {
                    let line = json!({"attempt": attempt, "changes": changes, "states": changed});
                    let _ = writeln!(out, "{line}");
                }
            }
            RunEvent::Item { value, .. } => {
                let _ = writeln!(out, "{value}");
            }
            RunEvent::ItemInvalid { index, issues, .. } => {
                let _ = out.flush();
                eprintln!(
                    "quarry: item {index} is invalid:\n{}",
                    quarry_engine::validate::render_issues(&issues)
                );
            }
            RunEvent::Reask { attempt: a, .. } => {
                let _ = out.flush();
                eprintln!("quarry: attempt {} was invalid; re-asking", a.attempt);
            }
            _ => {}
        }
    }
    if view.live {
        draw(&mut out, &snapshot, &states, attempt);
    }
    let _ = out.flush();
    drop(out);
    Ok(run.finish().await?.value)
}

fn colour(state: Option<FieldState>) -> &'static str {
    match state {
        Some(FieldState::Streaming) => "\x1b[33m",
        Some(FieldState::Valid) => "\x1b[32m",
        Some(FieldState::Invalid) => "\x1b[31m",
        _ => "",
    }
}

fn draw(out: &mut impl Write, snapshot: &Snapshot, states: &FieldStates, attempt: u32) {
    let mut text = String::from("\x1b[H\x1b[2J");
    text.push_str(&format!(
        "\x1b[2mattempt {attempt} · \x1b[33marriving\x1b[0m\x1b[2m · \x1b[32mvalid\x1b[0m\x1b[2m · \x1b[31minvalid\x1b[0m\n"
    ));
    render(&mut text, snapshot.value(), "", 0, states);
    text.push('\n');
    let mut pending: Vec<&str> = states.pending().collect();
    if !pending.is_empty() {
        pending.sort_unstable();
        text.push_str(&format!("\x1b[2mpending: {}\x1b[0m\n", pending.join(", ")));
    }
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Pretty-prints `v`, colouring each value by the state of its path.
fn render(out: &mut String, v: &Value, pointer: &str, indent: usize, states: &FieldStates) {
    let c = colour(states.get(pointer));
    let pad = "  ".repeat(indent + 1);
    match v {
        Value::Object(m) => {
            out.push_str(c);
            out.push('{');
            out.push_str("\x1b[0m");
            for (i, (k, child)) in m.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&pad);
                out.push_str(&Value::String(k.clone()).to_string());
                out.push_str(": ");
                let child_ptr = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                render(out, child, &child_ptr, indent + 1, states);
            }
            out.push('\n');
            out.push_str(&"  ".repeat(indent));
            out.push_str(c);
            out.push('}');
            out.push_str("\x1b[0m");
        }
        Value::Array(a) => {
            out.push_str(c);
            out.push('[');
            out.push_str("\x1b[0m");
            for (i, child) in a.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&pad);
                render(out, child, &format!("{pointer}/{i}"), indent + 1, states);
            }
            out.push('\n');
            out.push_str(&"  ".repeat(indent));
            out.push_str(c);
            out.push(']');
            out.push_str("\x1b[0m");
        }
        scalar => {
            out.push_str(c);
            out.push_str(&scalar.to_string());
            out.push_str("\x1b[0m");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_engine::Change;

    #[test]
    fn live_rendering_colours_by_state() {
        let mut snap = Snapshot::new();
        let mut states = FieldStates::new();
        let changes: Vec<Change> = serde_json::from_value(json!([
            {"op": "set", "path": "", "value": {}, "complete": false},
            {"op": "set", "path": "/a", "value": 1, "complete": true},
            {"op": "valid", "path": "/a"},
            {"op": "set", "path": "/b", "value": "", "complete": false},
            {"op": "append", "path": "/b", "text": "hi"}
        ]))
        .unwrap();
        for c in &changes {
            snap.apply(c);
            states.apply(c);
        }
        let mut out = String::new();
        render(&mut out, snap.value(), "", 0, &states);
        assert!(out.contains("\"a\": \x1b[32m1\x1b[0m"), "{out:?}");
        assert!(out.contains("\"b\": \x1b[33m\"hi\"\x1b[0m"), "{out:?}");
    }
}
