//! Streaming: how the pieces of a streamed answer become a partial object. The JSON source is
//! picked per mode (the extraction tool's argument deltas, or the text with prose and fences
//! stripped on the fly), fed to the incremental parser, applied to a snapshot, and every value
//! is validated against its part of the schema the moment it closes.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::extract::JsonStart;
use crate::message::Reasoning;
use crate::message::ToolCall;
use crate::partial::{Change, PartialError, PartialParser, Path, Seg, Snapshot};
use crate::provider::{Completion, Delta, Finish, Reading};
use crate::schema::{ResponseSchema, Shape};
use crate::secret::Redactor;
use crate::validate::{Issue, Validator};

/// What a streamed run reports as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    /// The object as it fills in (changes with field states).
    Partial,
    /// Each list item as soon as it closes and validates.
    Iterable,
}

/// A list item that closed during the stream.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemOutcome {
    Valid { index: usize, value: Value },
    Invalid { index: usize, issues: Vec<Issue> },
}

/// Accumulates a streamed answer into the completion a non-streamed call would have returned
/// (re-asks and error reports need it).
#[derive(Debug, Default)]
pub(crate) struct Accumulator {
    pub text: String,
    pub refusal: String,
    pub calls: Vec<ToolCall>,
    pub reasoning: Vec<Reasoning>,
    pub finish: Option<Finish>,
    pub usage: crate::usage::Usage,
    pub done: bool,
}

impl Accumulator {
    pub fn completion(&self) -> Completion {
        Completion {
            text: (!self.text.is_empty()).then(|| self.text.clone()),
            tool_calls: self.calls.clone(),
            finish: self.finish.clone(),
            refusal: (!self.refusal.is_empty()).then(|| self.refusal.clone()),
            reasoning: self.reasoning.clone(),
            usage: self.usage,
        }
    }

    fn call(&mut self, index: usize) -> &mut ToolCall {
        while self.calls.len() <= index {
            let i = self.calls.len();
            self.calls.push(ToolCall {
                id: format!("call_{i}"),
                name: String::new(),
                arguments: String::new(),
            });
        }
        &mut self.calls[index]
    }
}

/// Resolves and compiles the sub-schema for a path, once per schema location.
struct SubSchemas {
    root: Value,
    defs: Map<String, Value>,
    /// schema location → validator (None: no single schema applies there).
    cache: HashMap<String, Option<Arc<Validator>>>,
    /// Path shape (indexes erased) → validator: the hot lookup, one per closed value. Only
    /// sound without `prefixItems`, where every index of an array has the same schema.
    by_shape: Option<HashMap<String, Option<Arc<Validator>>>>,
    key: String,
}

impl SubSchemas {
    fn new(root: Value) -> Self {
        let defs = ["$defs", "definitions"]
            .iter()
            .filter_map(|k| root.get(*k).map(|v| (k.to_string(), v.clone())))
            .collect();
        let by_shape = (!root.to_string().contains("\"prefixItems\"")).then(HashMap::new);
        SubSchemas {
            root,
            defs,
            cache: HashMap::new(),
            by_shape,
            key: String::new(),
        }
    }

    fn resolve<'a>(&'a self, mut s: &'a Value, loc: &mut String) -> &'a Value {
        for _ in 0..32 {
            let Some(r) = s.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some(target) = r.strip_prefix('#').and_then(|p| self.root.pointer(p)) else {
                break;
            };
            *loc = r[1..].to_string();
            s = target;
        }
        s
    }

    /// The schema location for `path`, or None when no single sub-schema applies.
    fn location(&self, path: &[Seg]) -> Option<String> {
        let mut loc = String::new();
        let mut s = self.resolve(&self.root, &mut loc);
        for seg in path {
            s = self.step(s, seg, &mut loc, 0)?;
        }
        Some(loc)
    }

    /// One step down the schema, extending `loc` with the sub-schema's location. `nesting`
    /// counts unions entered for this one step: a union that lists itself (`X: {anyOf:
    /// [{$ref: X}, …]}`) would otherwise be entered forever.
    fn step<'a>(
        &'a self,
        s: &'a Value,
        seg: &Seg,
        loc: &mut String,
        nesting: usize,
    ) -> Option<&'a Value> {
        let direct = match seg {
            Seg::Key(k) => s
                .pointer("/properties")
                .and_then(|p| p.get(k.as_ref()))
                .map(|v| {
                    (
                        v,
                        format!("/properties/{}", k.replace('~', "~0").replace('/', "~1")),
                    )
                })
                .or_else(|| {
                    s.get("additionalProperties")
                        .filter(|v| v.is_object())
                        .map(|v| (v, "/additionalProperties".to_string()))
                }),
            Seg::Index(i) => s
                .get("prefixItems")
                .and_then(|p| p.get(*i))
                .map(|v| (v, format!("/prefixItems/{i}")))
                .or_else(|| {
                    s.get("items")
                        .filter(|v| v.is_object())
                        .map(|v| (v, "/items".to_string()))
                }),
        };
        if let Some((next, suffix)) = direct {
            loc.push_str(&suffix);
            return Some(self.resolve(next, loc));
        }
        // A nullable object or a union: descend through the one branch where the step fits.
        if nesting >= 8 {
            return None;
        }
        for key in ["anyOf", "oneOf"] {
            let Some(branches) = s.get(key).and_then(Value::as_array) else {
                continue;
            };
            let mut found = None;
            for (i, branch) in branches.iter().enumerate() {
                let mut branch_loc = format!("{loc}/{key}/{i}");
                let branch = self.resolve(branch, &mut branch_loc);
                if let Some(next) = self.step(branch, seg, &mut branch_loc, nesting + 1) {
                    if found.is_some() {
                        return None; // more than one branch fits: no single schema applies
                    }
                    found = Some((next, branch_loc));
                }
            }
            if let Some((next, branch_loc)) = found {
                *loc = branch_loc;
                return Some(next);
            }
        }
        None
    }

    fn validator(&mut self, path: &[Seg]) -> Option<Arc<Validator>> {
        if self.by_shape.is_some() {
            self.key.clear();
            for seg in path {
                match seg {
                    Seg::Key(k) => {
                        self.key.push('\u{1}');
                        self.key.push_str(k);
                    }
                    Seg::Index(_) => self.key.push('\u{2}'),
                }
            }
            if let Some(found) = self
                .by_shape
                .as_ref()
                .and_then(|m| m.get(self.key.as_str()))
            {
                return found.clone();
            }
            let found = self.located(path);
            let key = self.key.clone();
            if let Some(m) = self.by_shape.as_mut() {
                m.insert(key, found.clone());
            }
            return found;
        }
        self.located(path)
    }

    fn located(&mut self, path: &[Seg]) -> Option<Arc<Validator>> {
        let loc = self.location(path)?;
        if let Some(v) = self.cache.get(&loc) {
            return v.clone();
        }
        let compiled = self.root.pointer(&loc).and_then(|sub| {
            let Value::Object(map) = sub else { return None };
            let mut doc = map.clone();
            for (k, v) in &self.defs {
                doc.entry(k.clone()).or_insert_with(|| v.clone());
            }
            Validator::new(&Value::Object(doc)).ok().map(Arc::new)
        });
        self.cache.insert(loc, compiled.clone());
        compiled
    }
}

/// Where the JSON text of the answer comes from.
enum Source {
    /// The extraction tool's arguments (tool call index chosen by name when it arrives).
    Tool { name: String, index: Option<usize> },
    /// The text: prose and fences before the value, and anything after it, skipped.
    Text(JsonStart),
}

/// Masks secrets out of the changes a stream produces. The open string's last bytes are held
/// back until more of it (or its end) shows that no secret straddles two pieces; only one
/// string is open at a time, so at most one tail is held.
struct Guard {
    redactor: Redactor,
    held: Option<(Path, String)>,
    /// The last path seen and its masked form: a growing string sends many pieces to one
    /// path, whose keys need checking once.
    last_path: Option<(Path, Path)>,
}

impl Guard {
    fn pass(&mut self, mut change: Change, out: &mut Vec<Change>) {
        if self.redactor.is_empty() {
            out.push(change);
            return;
        }
        if let Change::Append { path, text } = &mut change {
            let mut buf = match self.held.take() {
                Some((p, mut h)) if p == *path => {
                    h.push_str(text);
                    h
                }
                Some(other) => {
                    self.emit(other, out);
                    std::mem::take(text)
                }
                None => std::mem::take(text),
            };
            let rest = buf.split_off(self.redactor.safe_prefix(&buf));
            if !buf.is_empty() {
                self.emit((path.clone(), buf), out);
            }
            if !rest.is_empty() {
                self.held = Some((path.clone(), rest));
            }
            return;
        }
        self.flush(out);
        change.redact(&self.redactor);
        out.push(change);
    }

    fn emit(&mut self, (path, mut text): (Path, String), out: &mut Vec<Change>) {
        let path = match &self.last_path {
            Some((seen, masked)) if Arc::ptr_eq(&seen.0, &path.0) => masked.clone(),
            _ => {
                let mut change = Change::Complete { path: path.clone() };
                change.redact(&self.redactor);
                let masked = change.path().clone();
                self.last_path = Some((path, masked.clone()));
                masked
            }
        };
        self.redactor.mask_string(&mut text);
        out.push(Change::Append { path, text });
    }

    fn flush(&mut self, out: &mut Vec<Change>) {
        if let Some(held) = self.held.take() {
            self.emit(held, out);
        }
    }
}

/// Turns deltas into changes and items for one attempt.
pub(crate) struct Feed {
    source: Source,
    parser: PartialParser,
    snapshot: Snapshot,
    schemas: SubSchemas,
    /// Iterable runs report the items of this field (`tasks` for a list schema, or an
    /// object's only array property) as they close; `/i` when the model sent a bare list.
    items_of: Option<Arc<str>>,
    list_shape: bool,
    guard: Guard,
    /// Set when the model's JSON broke; the final parse reports it (and re-asks).
    pub broken: Option<PartialError>,
    pub acc: Accumulator,
    scratch: Vec<Change>,
    guarded: Vec<Change>,
}

impl Feed {
    /// A feed for one attempt; `redactor` holds the run's secrets, masked out of every change.
    pub fn new(
        reading: Reading,
        schema: &ResponseSchema,
        strict: bool,
        kind: StreamKind,
        redactor: Redactor,
    ) -> Self {
        let tool = schema.tool();
        let wire = if strict {
            tool.strict_parameters.clone()
        } else {
            tool.parameters.clone()
        };
        Feed {
            source: match reading {
                Reading::Tool | Reading::ParallelTools => Source::Tool {
                    name: tool.name.clone(),
                    index: None,
                },
                Reading::Text { anywhere } => Source::Text(JsonStart::new(anywhere)),
            },
            parser: PartialParser::new(),
            snapshot: Snapshot::new(),
            schemas: SubSchemas::new(wire),
            items_of: (kind == StreamKind::Iterable)
                .then(|| schema.iterable_field().map(Arc::from))
                .flatten(),
            list_shape: *schema.shape() == Shape::List,
            guard: Guard {
                redactor,
                held: None,
                last_path: None,
            },
            broken: None,
            acc: Accumulator::default(),
            scratch: Vec::new(),
            guarded: Vec::new(),
        }
    }

    /// The partial object so far.
    pub fn snapshot(&self) -> &Value {
        self.snapshot.value()
    }

    /// The answer's JSON, when the stream carried exactly one complete value from the
    /// extraction tool's arguments or a JSON-mode text: it is what parsing the assembled text
    /// would give (the property tests hold the parser to that), so the final check need not
    /// parse it again.
    pub fn parsed(self) -> Option<Value> {
        // The text modes find the value by the same rule as the final parse (`JsonStart`), so
        // a value the stream parsed whole is the one `extract` would find.
        let reusable = match &self.source {
            Source::Tool { index, .. } => index.is_some(),
            Source::Text(start) => start.started(),
        };
        (reusable && self.parser.is_done() && self.broken.is_none())
            .then(|| self.snapshot.into_value())
    }

    /// Bytes of the answer assembled so far: text, refusal, tool-call names and arguments
    /// (everything a stream can make grow).
    pub fn answer_bytes(&self) -> usize {
        let calls: usize = self
            .acc
            .calls
            .iter()
            .map(|c| c.arguments.len() + c.name.len())
            .sum();
        self.acc.text.len() + self.acc.refusal.len() + calls
    }

    /// Applies one delta; appends changes and closed items.
    pub fn push(
        &mut self,
        delta: Delta<'_>,
        changes: &mut Vec<Change>,
        items: &mut Vec<ItemOutcome>,
    ) {
        match delta {
            Delta::Text(text) => {
                self.acc.text.push_str(&text);
                let Source::Text(start) = &mut self.source else {
                    return;
                };
                if start.started() {
                    self.parse(&text, changes, items);
                } else if let Some(begin) = start.find(&text) {
                    self.parse(&begin.carry, changes, items);
                    self.parse(&text[begin.from..], changes, items);
                }
            }
            // Protocols refuse larger indexes (`MAX_TOOL_CALLS`); a slot per index must never
            // be taken on a stream's word.
            Delta::ToolArgs { index, .. } if index >= 1024 => {}
            Delta::ToolArgs {
                index,
                id,
                name,
                text,
            } => {
                let call = self.acc.call(index);
                if let Some(id) = id {
                    call.id = id.into_owned();
                }
                if let Some(name) = &name {
                    call.name.push_str(name);
                }
                call.arguments.push_str(&text);
                if let Source::Tool {
                    name: wanted,
                    index: chosen,
                } = &mut self.source
                {
                    if chosen.is_none() && name.as_deref() == Some(wanted.as_str()) {
                        *chosen = Some(index);
                    }
                    if *chosen == Some(index) {
                        self.parse(&text, changes, items);
                    }
                }
            }
            Delta::Refusal(text) => self.acc.refusal.push_str(&text),
            Delta::Reasoning(block) => self.acc.reasoning.push(block),
            Delta::Finish(f) => self.acc.finish = Some(f),
            Delta::Usage(u) => self.acc.usage = u,
            Delta::Done => self.acc.done = true,
        }
    }

    fn parse(&mut self, text: &str, changes: &mut Vec<Change>, items: &mut Vec<ItemOutcome>) {
        if self.broken.is_some() || self.parser.is_done() || text.is_empty() {
            return;
        }
        let mut bytes = text.as_bytes();
        if self.parser.is_empty() {
            bytes = text.trim_start().as_bytes();
        }
        self.scratch.clear();
        let result = self.parser.feed(bytes, &mut self.scratch);
        self.apply(changes, items);
        if let Err(e) = result {
            self.broken = Some(e);
        }
    }

    /// Applies what the parser produced (in `scratch`) through the secret guard.
    fn apply(&mut self, changes: &mut Vec<Change>, items: &mut Vec<ItemOutcome>) {
        let mut guarded = std::mem::take(&mut self.guarded);
        for change in self.scratch.drain(..) {
            self.guard.pass(change, &mut guarded);
        }
        self.emit(&mut guarded, changes, items);
        self.guarded = guarded;
    }

    fn emit(
        &mut self,
        guarded: &mut Vec<Change>,
        changes: &mut Vec<Change>,
        items: &mut Vec<ItemOutcome>,
    ) {
        for change in guarded.drain(..) {
            self.snapshot.apply(&change);
            let closed = matches!(
                change,
                Change::Set { complete: true, .. } | Change::Complete { .. }
            );
            let path = closed.then(|| change.path().clone());
            changes.push(change);
            if let Some(path) = path {
                self.closed(path, changes, items);
            }
        }
    }

    /// A value closed: check it against its sub-schema, and report list items.
    fn closed(&mut self, path: Path, changes: &mut Vec<Change>, items: &mut Vec<ItemOutcome>) {
        // A bare list sent for a `{tasks: [...]}` schema is read as that list.
        let bare_list = self.list_shape && self.snapshot.value().is_array();
        let mut schema_path: Vec<Seg> = Vec::with_capacity(path.0.len() + 1);
        if bare_list {
            schema_path.push(Seg::Key(Arc::from("tasks")));
        }
        schema_path.extend(path.0.iter().cloned());
        let verdict = self.schemas.validator(&schema_path).map(|v| {
            let value = self.snapshot.get(&path).unwrap_or(&Value::Null);
            v.validate(value)
        });
        let item_index = match (&self.items_of, schema_path.as_slice()) {
            (Some(field), [Seg::Key(k), Seg::Index(i)]) if k == field => Some(*i),
            _ => None,
        };
        match verdict {
            Some(Ok(())) => {
                changes.push(Change::Valid { path: path.clone() });
                if let Some(index) = item_index {
                    let value = self.snapshot.get(&path).cloned().unwrap_or(Value::Null);
                    items.push(ItemOutcome::Valid { index, value });
                }
            }
            Some(Err(issues)) => {
                if let Some(index) = item_index {
                    items.push(ItemOutcome::Invalid {
                        index,
                        issues: issues.clone(),
                    });
                }
                changes.push(Change::Invalid { path, issues });
            }
            None => {
                if let Some(index) = item_index {
                    let value = self.snapshot.get(&path).cloned().unwrap_or(Value::Null);
                    items.push(ItemOutcome::Valid { index, value });
                }
            }
        }
    }

    /// Ends the input (a number at the root closes here).
    pub fn finish(&mut self, changes: &mut Vec<Change>, items: &mut Vec<ItemOutcome>) {
        if self.broken.is_some() || self.parser.is_empty() {
            let mut guarded = std::mem::take(&mut self.guarded);
            self.guard.flush(&mut guarded);
            self.emit(&mut guarded, changes, items);
            self.guarded = guarded;
            return;
        }
        self.scratch.clear();
        let result = self.parser.finish(&mut self.scratch);
        self.apply(changes, items);
        let mut guarded = std::mem::take(&mut self.guarded);
        self.guard.flush(&mut guarded);
        self.emit(&mut guarded, changes, items);
        self.guarded = guarded;
        if let Err(e) = result {
            self.broken = Some(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const JSON: Reading = Reading::Text { anywhere: true };

    fn feed_all(feed: &mut Feed, deltas: Vec<Delta<'static>>) -> (Vec<Change>, Vec<ItemOutcome>) {
        let (mut changes, mut items) = (Vec::new(), Vec::new());
        for d in deltas {
            feed.push(d, &mut changes, &mut items);
        }
        feed.finish(&mut changes, &mut items);
        (changes, items)
    }

    #[test]
    fn fields_are_validated_as_they_close() {
        let schema = ResponseSchema::new(json!({"type": "object", "properties": {
            "age": {"type": "integer", "minimum": 0},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}}}}))
        .unwrap();
        let mut feed = Feed::new(JSON, &schema, false, StreamKind::Partial, Redactor::new());
        let text = r#"Sure: {"age": -1, "tags": ["ok", "toolong"]} bye"#;
        let deltas = text
            .chars()
            .map(|c| Delta::Text(c.to_string().into()))
            .collect();
        let (changes, _) = feed_all(&mut feed, deltas);
        let verdicts: Vec<(String, bool)> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Valid { path } => Some((path.pointer(), true)),
                Change::Invalid { path, .. } => Some((path.pointer(), false)),
                _ => None,
            })
            .collect();
        assert_eq!(
            verdicts,
            [
                ("/age".to_string(), false),
                ("/tags/0".to_string(), true),
                ("/tags/1".to_string(), false),
                ("/tags".to_string(), false),
                ("".to_string(), false)
            ]
        );
        assert_eq!(
            feed.snapshot(),
            &json!({"age": -1, "tags": ["ok", "toolong"]})
        );
    }

    #[test]
    fn refs_inside_nullable_unions_are_followed() {
        let schema = ResponseSchema::new(json!({"type": "object", "properties": {
            "address": {"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}]}},
            "$defs": {"A": {"type": "object", "properties": {
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"}}}}}))
        .unwrap();
        let mut feed = Feed::new(JSON, &schema, false, StreamKind::Partial, Redactor::new());
        let (changes, _) = feed_all(
            &mut feed,
            vec![Delta::Text(r#"{"address": {"country": "Norway"}}"#.into())],
        );
        assert!(changes.iter().any(|c| matches!(c, Change::Invalid { path, .. } if path.pointer() == "/address/country")), "{changes:?}");
    }

    #[test]
    fn braces_in_prose_are_not_the_answer() {
        let schema = ResponseSchema::new(
            json!({"type": "object", "properties": {"a": {"type": "integer"}}}),
        )
        .unwrap();
        for text in [
            "Fill in the {a} field:\n```json\n{\"a\": 1}\n```\nDone {ok}",
            "I read {braces} here.\n{\"a\": 1}",
            "  {\"a\": 1}",
            "Here: ``` {oops} ```\n```\n[{\"a\": 1}]\n```",
        ] {
            let mut feed = Feed::new(
                Reading::Text { anywhere: false },
                &schema,
                false,
                StreamKind::Partial,
                Redactor::new(),
            );
            let deltas = text
                .chars()
                .map(|c| Delta::Text(c.to_string().into()))
                .collect();
            feed_all(&mut feed, deltas);
            assert!(feed.broken.is_none(), "{text}: {:?}", feed.broken);
            let want = if text.contains("[{") {
                json!([{"a": 1}])
            } else {
                json!({"a": 1})
            };
            assert_eq!(feed.snapshot(), &want, "{text}");
        }
    }

    #[test]
    fn iterable_items_from_tasks_or_a_bare_list() {
        let schema = ResponseSchema::new(json!({"type": "array", "items": {
            "type": "object", "properties": {"n": {"type": "integer", "maximum": 5}}, "required": ["n"]}}))
        .unwrap();
        for text in [
            r#"{"tasks": [{"n": 1}, {"n": 9}, {"n": 2}]}"#,
            r#"[{"n": 1}, {"n": 9}, {"n": 2}]"#,
        ] {
            let mut feed = Feed::new(JSON, &schema, false, StreamKind::Iterable, Redactor::new());
            let (_, items) = feed_all(&mut feed, vec![Delta::Text(text.into())]);
            assert_eq!(items.len(), 3, "{text}");
            assert_eq!(
                items[0],
                ItemOutcome::Valid {
                    index: 0,
                    value: json!({"n": 1})
                }
            );
            assert!(matches!(&items[1], ItemOutcome::Invalid { index: 1, .. }));
        }
    }

    #[test]
    fn iterable_items_of_an_objects_only_list() {
        let schema = ResponseSchema::new(json!({"type": "object", "properties": {"users": {
            "type": "array", "items": {"type": "string", "maxLength": 3}}}}))
        .unwrap();
        let mut feed = Feed::new(JSON, &schema, false, StreamKind::Iterable, Redactor::new());
        let (_, items) = feed_all(
            &mut feed,
            vec![Delta::Text(r#"{"users": ["ann", "bobby", "cy"]}"#.into())],
        );
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[0],
            ItemOutcome::Valid {
                index: 0,
                value: json!("ann")
            }
        );
        assert!(matches!(&items[1], ItemOutcome::Invalid { index: 1, .. }));
    }

    #[test]
    fn a_secret_split_across_pieces_never_shows() {
        let key = "sk-live-0123456789abcdef";
        let mut r = Redactor::new();
        r.add_key(&crate::secret::ApiKey::new(key));
        let schema = ResponseSchema::new(json!({"type": "object", "properties": {
            "note": {"type": "string"}}}))
        .unwrap();
        let text = format!(r#"{{"note": "the key is {key}, and {key}"}}"#);
        for size in [1, 3, 7, 20] {
            let mut feed = Feed::new(JSON, &schema, false, StreamKind::Partial, r.clone());
            let chars: Vec<char> = text.chars().collect();
            let deltas = chars
                .chunks(size)
                .map(|c| Delta::Text(c.iter().collect::<String>().into()))
                .collect();
            let (changes, _) = feed_all(&mut feed, deltas);
            let appended: String = changes
                .iter()
                .filter_map(|c| match c {
                    Change::Append { text, .. } => Some(text.as_str()),
                    _ => None,
                })
                .collect();
            assert_eq!(
                appended, "the key is <redacted>, and <redacted>",
                "size {size}"
            );
            for c in &changes {
                let line = serde_json::to_string(c).unwrap();
                assert!(!line.contains("0123456789"), "size {size}: {line}");
            }
            assert_eq!(
                feed.snapshot()["note"],
                json!("the key is <redacted>, and <redacted>")
            );
        }
    }

    #[test]
    fn a_union_that_lists_itself_is_streamed_without_recursing_forever() {
        let schema = ResponseSchema::new(json!({"type": "object", "properties": {
            "x": {"$ref": "#/$defs/X"}},
            "$defs": {"X": {"anyOf": [{"$ref": "#/$defs/X"}, {"type": "object",
                "properties": {"y": {"type": "integer"}}}]}}}))
        .unwrap();
        let mut feed = Feed::new(JSON, &schema, false, StreamKind::Partial, Redactor::new());
        feed_all(&mut feed, vec![Delta::Text(r#"{"x": {"y": 1}}"#.into())]);
        assert_eq!(feed.snapshot(), &json!({"x": {"y": 1}}));
    }

    #[test]
    fn only_the_extraction_tool_is_parsed() {
        let schema = ResponseSchema::new(json!({"title": "P", "type": "object",
            "properties": {"a": {"type": "integer"}}}))
        .unwrap();
        let mut feed = Feed::new(
            Reading::Tool,
            &schema,
            false,
            StreamKind::Partial,
            Redactor::new(),
        );
        let d = |index, name: Option<&str>, text: &str| -> Delta<'static> {
            Delta::ToolArgs {
                index,
                id: None,
                name: name.map(|n| n.to_string().into()),
                text: text.to_string().into(),
            }
        };
        feed_all(
            &mut feed,
            vec![
                d(0, Some("other"), "{\"x\":"),
                d(1, Some("P"), "{\"a\": "),
                d(0, None, "1}"),
                d(1, None, "2}"),
            ],
        );
        assert_eq!(feed.snapshot(), &json!({"a": 2}));
        let c = feed.acc.completion();
        assert_eq!(c.tool_calls[0].arguments, "{\"x\":1}");
        assert_eq!(c.tool_calls[1].name, "P");
    }
}
