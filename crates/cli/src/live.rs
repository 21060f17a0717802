//! `--stream`: printing a streamed run as it happens — change lines, snapshots, a live view
//! with field states coloured, or list items.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use quarry_engine::validate::render_issues;
use quarry_engine::{
    Change, EventRecord, FieldState, FieldStates, ResponseSchema, RunEvent, Snapshot, StreamKind,
};
use serde_json::{Map, Value, json};
use unicode_width::UnicodeWidthChar;

use crate::term::clean;

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

/// Shows a streamed run's events as they arrive: change lines, snapshots, the live view, or
/// list items. One per run; [`Show::end`] draws the last frame and gives the terminal back.
pub struct Show {
    kind: StreamKind,
    view: View,
    schema: ResponseSchema,
    screen: Option<Screen>,
    snapshot: Snapshot,
    states: FieldStates,
    why: HashMap<String, String>,
    attempt: u32,
    last_frame: Option<Instant>,
}

impl Show {
    pub fn new(schema: ResponseSchema, kind: StreamKind, view: View) -> Show {
        let screen = view.live.then(|| Screen::enter(&mut std::io::stdout()));
        Show {
            states: FieldStates::for_schema(&schema),
            kind,
            view,
            schema,
            screen,
            snapshot: Snapshot::new(),
            why: HashMap::new(),
            attempt: 0,
            last_frame: None,
        }
    }

    pub fn event(&mut self, record: &EventRecord) {
        let mut out = std::io::stdout().lock();
        match &record.event {
            RunEvent::Partial {
                attempt: a,
                changes,
            } if self.kind == StreamKind::Partial => {
                let mut changed = Map::new();
                if a.attempt != self.attempt {
                    self.attempt = a.attempt;
                    self.snapshot = Snapshot::new();
                    self.states = FieldStates::for_schema(&self.schema);
                    self.why.clear();
                    // The first update of an attempt also lists what has not arrived yet.
                    let mut pending: Vec<&str> = self.states.pending().collect();
                    pending.sort_unstable();
                    for p in pending {
                        changed.insert(p.to_string(), json!(FieldState::Pending));
                    }
                }
                for c in changes {
                    self.snapshot.apply(c);
                    let (pointer, state) = self.states.apply(c);
                    if let Change::Invalid { issues, .. } = c {
                        self.why.insert(pointer.clone(), reasons(issues));
                    }
                    changed.insert(pointer, json!(state));
                }
                if let Some(screen) = &mut self.screen {
                    if self.last_frame.is_none_or(|t| t.elapsed() >= FRAME) {
                        screen.draw(
                            &mut out,
                            &self.snapshot,
                            &self.states,
                            &self.why,
                            self.attempt,
                        );
                        self.last_frame = Some(Instant::now());
                    }
                } else if self.view.snapshots {
                    let line = json!({"attempt": self.attempt, "snapshot": self.snapshot.value(), "states": changed});
                    let _ = writeln!(out, "{}", clean(&line.to_string()));
                } else {
                    let line =
                        json!({"attempt": self.attempt, "changes": changes, "states": changed});
                    let _ = writeln!(out, "{}", clean(&line.to_string()));
                }
            }
            RunEvent::Item { value, .. } => {
                let _ = writeln!(out, "{}", clean(&value.to_string()));
            }
            RunEvent::ItemInvalid { index, issues, .. } => {
                let _ = out.flush();
                crate::term::eprintln(format!(
                    "quarry: item {index} is invalid:\n{}",
                    render_issues(issues)
                ));
            }
            RunEvent::Reask { attempt: a, .. } if self.screen.is_none() => {
                let _ = out.flush();
                eprintln!("quarry: attempt {} was invalid; re-asking", a.attempt);
            }
            _ => {}
        }
    }

    /// Draws the last state and leaves the live view's screen.
    pub fn end(mut self) {
        let mut out = std::io::stdout().lock();
        if let Some(mut screen) = self.screen.take() {
            screen.draw(
                &mut out,
                &self.snapshot,
                &self.states,
                &self.why,
                self.attempt,
            );
            screen.leave(&mut out);
        }
        let _ = out.flush();
    }
}

/// Why a value is invalid, in one line: its issues' messages (their paths are relative to
/// the value, which the view already shows).
fn reasons(issues: &[quarry_engine::validate::Issue]) -> String {
    issues
        .iter()
        .map(|i| i.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The live view's screen: the terminal's alternate screen, so redrawing never scrolls copies
/// of the object into the user's scrollback and leaving restores what they had. Dropped on
/// every way out (the end, Ctrl-C, an error), it always gives the terminal back.
struct Screen {
    active: bool,
}

impl Screen {
    fn enter(out: &mut impl Write) -> Screen {
        // Alternate screen, cursor hidden.
        let _ = out.write_all(b"\x1b[?1049h\x1b[?25l");
        let _ = out.flush();
        Screen { active: true }
    }

    fn leave(&mut self, out: &mut impl Write) {
        if std::mem::take(&mut self.active) {
            let _ = out.write_all(b"\x1b[?25h\x1b[?1049l");
            let _ = out.flush();
        }
    }

    fn draw(
        &mut self,
        out: &mut impl Write,
        snapshot: &Snapshot,
        states: &FieldStates,
        why: &HashMap<String, String>,
        attempt: u32,
    ) {
        let (width, height) = terminal_size::terminal_size()
            .map_or((80, 24), |(w, h)| (usize::from(w.0), usize::from(h.0)));
        let text = frame(snapshot, states, why, attempt, width.max(20), height.max(5));
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        self.leave(&mut std::io::stdout());
    }
}

/// One line of the view: pieces of text, each with the colour it is drawn in.
type Line = Vec<(&'static str, String)>;

/// A whole frame: drawn from the top left, each line cleared to its end, the rest of the
/// screen cleared. An object taller than the screen keeps its top (where reading starts),
/// with a note of how much is below; lines wider than the screen are cut, not wrapped, so
/// the frame is exactly as tall as counted.
fn frame(
    snapshot: &Snapshot,
    states: &FieldStates,
    why: &HashMap<String, String>,
    attempt: u32,
    width: usize,
    height: usize,
) -> String {
    let mut lines: Vec<Line> = vec![vec![
        (DIM, format!("attempt {attempt} · ")),
        (YELLOW, "arriving".into()),
        (DIM, " · ".into()),
        (GREEN, "valid".into()),
        (DIM, " · ".into()),
        (RED, "invalid".into()),
    ]];
    let mut body: Vec<Line> = vec![Vec::new()];
    render(&mut body, snapshot.value(), "", 0, states, why);
    note(&mut body, "", why);
    let mut pending: Vec<&str> = states.pending().collect();
    pending.sort_unstable();
    let footer: Option<Line> =
        (!pending.is_empty()).then(|| vec![(DIM, format!("pending: {}", pending.join(", ")))]);
    let room = height - 1 - usize::from(footer.is_some());
    if body.len() > room {
        let hidden = body.len() - (room - 1);
        body.truncate(room - 1);
        body.push(vec![(
            DIM,
            format!("… {hidden} more lines below (the whole object is printed at the end)"),
        )]);
    }
    lines.extend(body);
    lines.extend(footer);
    let mut text = String::from("\x1b[H");
    for (i, line) in lines.iter().enumerate() {
        // No line break after the last line: on the bottom row it would scroll the frame.
        if i > 0 {
            text.push_str("\r\n");
        }
        let mut used = 0;
        for (colour, piece) in line {
            let piece = clean(piece);
            let mut kept = String::new();
            for c in piece.chars() {
                let w = c.width().unwrap_or(0);
                if used + w > width {
                    break;
                }
                used += w;
                kept.push(c);
            }
            if !kept.is_empty() {
                text.push_str(colour);
                text.push_str(&kept);
                text.push_str(RESET);
            }
        }
        text.push_str("\x1b[K");
    }
    text.push_str("\x1b[J");
    text
}

const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";
const YELLOW: &str = "\x1b[33m";
const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";

fn colour(state: Option<FieldState>) -> &'static str {
    match state {
        Some(FieldState::Streaming) => YELLOW,
        Some(FieldState::Valid) => GREEN,
        Some(FieldState::Invalid) => RED,
        _ => "",
    }
}

/// Pretty-prints `v` into `lines` (the last line is the one being written), colouring each
/// value by the state of its path and noting why an invalid one failed.
fn render(
    lines: &mut Vec<Line>,
    v: &Value,
    pointer: &str,
    indent: usize,
    states: &FieldStates,
    why: &HashMap<String, String>,
) {
    let c = colour(states.get(pointer));
    let pad = "  ".repeat(indent + 1);
    let push = |lines: &mut Vec<Line>, colour: &'static str, text: String| {
        if let Some(last) = lines.last_mut() {
            last.push((colour, text));
        }
    };
    match v {
        Value::Object(_) | Value::Array(_) => {
            let (open, close) = if v.is_object() {
                ("{", "}")
            } else {
                ("[", "]")
            };
            push(lines, c, open.into());
            let children: Vec<(String, String, &Value)> = match v {
                Value::Object(m) => m
                    .iter()
                    .map(|(k, child)| {
                        let ptr = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                        (format!("{}: ", Value::String(k.clone())), ptr, child)
                    })
                    .collect(),
                Value::Array(a) => a
                    .iter()
                    .enumerate()
                    .map(|(i, child)| (String::new(), format!("{pointer}/{i}"), child))
                    .collect(),
                _ => Vec::new(),
            };
            let n = children.len();
            for (i, (key, ptr, child)) in children.into_iter().enumerate() {
                lines.push(vec![("", format!("{pad}{key}"))]);
                render(lines, child, &ptr, indent + 1, states, why);
                if i + 1 < n {
                    push(lines, "", ",".into());
                }
                note(lines, &ptr, why);
            }
            if n > 0 {
                lines.push(vec![("", "  ".repeat(indent))]);
            }
            push(lines, c, close.into());
        }
        scalar => push(lines, c, scalar.to_string()),
    }
}

/// Why the value at `pointer` is invalid, after it on its (last) line.
fn note(lines: &mut [Line], pointer: &str, why: &HashMap<String, String>) {
    if let (Some(reason), Some(last)) = (why.get(pointer), lines.last_mut()) {
        last.push((RED, format!("  ← {reason}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(changes: serde_json::Value) -> (Snapshot, FieldStates, HashMap<String, String>) {
        let mut snap = Snapshot::new();
        let mut states = FieldStates::new();
        let mut why = HashMap::new();
        let changes: Vec<Change> = serde_json::from_value(changes).unwrap();
        for c in &changes {
            snap.apply(c);
            let (p, _) = states.apply(c);
            if let Change::Invalid { issues, .. } = c {
                why.insert(p, reasons(issues));
            }
        }
        (snap, states, why)
    }

    #[test]
    fn live_rendering_colours_by_state_and_says_why_a_field_is_red() {
        let (snap, states, why) = fill(json!([
            {"op": "set", "path": "", "value": {}, "complete": false},
            {"op": "set", "path": "/a", "value": 1, "complete": true},
            {"op": "valid", "path": "/a"},
            {"op": "set", "path": "/b", "value": "", "complete": false},
            {"op": "append", "path": "/b", "text": "hi"},
            {"op": "set", "path": "/age", "value": 412, "complete": true},
            {"op": "invalid", "path": "/age", "issues": [{"path": "/age", "message": "412 is greater than the maximum of 150"}]}
        ]));
        let text = frame(&snap, &states, &why, 1, 120, 30);
        assert!(text.contains("\"a\": \x1b[0m\x1b[32m1\x1b[0m"), "{text:?}");
        assert!(text.contains("\x1b[33m\"hi\"\x1b[0m"), "{text:?}");
        assert!(
            text.contains("← 412 is greater than the maximum of 150"),
            "{text:?}"
        );
        // Redrawn in place: home, lines cleared to their end, the rest cleared; never the
        // whole screen (which would push copies into the scrollback).
        assert!(text.starts_with("\x1b[H") && text.ends_with("\x1b[J"));
        assert!(!text.contains("\x1b[2J"));
    }

    #[test]
    fn a_tall_object_keeps_its_top_and_lines_never_wrap() {
        let items: Vec<serde_json::Value> = (0..100)
            .map(|i| json!({"op": "set", "path": format!("/k{i:03}"), "value": "x".repeat(300), "complete": true}))
            .collect();
        let mut changes = vec![json!({"op": "set", "path": "", "value": {}, "complete": false})];
        changes.extend(items);
        let (snap, states, why) = fill(serde_json::Value::Array(changes));
        let text = frame(&snap, &states, &why, 1, 40, 12);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines.len(), 12, "{lines:#?}");
        assert!(lines[2].contains("k000"), "the top is kept: {lines:#?}");
        assert!(lines[11].contains("more lines below"), "{lines:#?}");
        for l in &lines {
            // The line without its escape sequences (ESC [ … letter).
            let mut visible = String::new();
            let mut chars = l.chars();
            while let Some(c) = chars.next() {
                if c == '\x1b' {
                    chars.by_ref().find(|c| c.is_ascii_alphabetic());
                } else {
                    visible.push(c);
                }
            }
            assert!(visible.chars().count() <= 40, "{visible:?}");
        }
    }
}
