//! Properties of the incremental partial-JSON parser.

use proptest::prelude::*;
use quarry_engine::partial::{Change, PartialParser, Snapshot};
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[a-z\"\\\\/\n\t é🌍\u{1F600}\u{7f}]{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Escapes every non-ASCII character as `\uXXXX` (surrogate pairs above U+FFFF). Outside
/// strings JSON text is ASCII, so this is a valid re-encoding of the same document.
fn ascii_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// Splits `bytes` at the given cut points (taken modulo the length).
fn chunks<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points {
        out.push(&bytes[start..p]);
        start = p;
    }
    out.push(&bytes[start..]);
    out
}

/// Feeds the chunks, checking after every change that anything reported complete already has
/// its final value. Returns the snapshot.
fn run(text: &[u8], cuts: &[usize], expected: &Value) -> Result<Snapshot, TestCaseError> {
    let mut parser = PartialParser::new();
    let mut snap = Snapshot::new();
    let mut changes = Vec::new();
    for chunk in chunks(text, cuts) {
        changes.clear();
        parser
            .feed(chunk, &mut changes)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for c in &changes {
            prop_assert!(snap.apply(c), "change did not apply: {c:?}");
            let complete = matches!(
                c,
                Change::Set { complete: true, .. } | Change::Complete { .. }
            );
            if complete {
                let pointer = c.path().pointer();
                prop_assert_eq!(
                    snap.get(c.path()),
                    expected.pointer(&pointer),
                    "at {}",
                    pointer
                );
            }
        }
    }
    changes.clear();
    prop_assert!(
        parser
            .finish(&mut changes)
            .map_err(|e| TestCaseError::fail(e.to_string()))?
    );
    for c in &changes {
        prop_assert!(snap.apply(c));
    }
    Ok(snap)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn final_state_equals_serde_json(v in json_value(), cuts in prop::collection::vec(any::<usize>(), 0..24), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { v.to_string() };
        let expected: Value = serde_json::from_str(&text).unwrap();
        let snap = run(text.as_bytes(), &cuts, &expected)?;
        prop_assert_eq!(snap.value(), &expected);
    }

    #[test]
    fn escapes_and_surrogates_split_anywhere(v in json_value(), cuts in prop::collection::vec(any::<usize>(), 0..40)) {
        let text = ascii_escaped(&v.to_string());
        let expected: Value = serde_json::from_str(&text).unwrap();
        let snap = run(text.as_bytes(), &cuts, &expected)?;
        prop_assert_eq!(snap.value(), &expected);
    }

    #[test]
    fn one_byte_at_a_time(v in json_value()) {
        let text = v.to_string();
        let cuts: Vec<usize> = (1..text.len()).collect();
        let snap = run(text.as_bytes(), &cuts, &v)?;
        prop_assert_eq!(snap.value(), &v);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        let mut parser = PartialParser::new();
        let mut out = Vec::new();
        for chunk in chunks(&bytes, &cuts) {
            if parser.feed(chunk, &mut out).is_err() {
                break;
            }
        }
        let _ = parser.finish(&mut out);
    }

    #[test]
    fn jsonish_noise_never_panics_and_agrees_with_serde_on_validity(text in "[\\[\\]{}\",:0-9a-z\\\\ .eE+-]{0,60}") {
        let mut parser = PartialParser::new();
        let mut out = Vec::new();
        let ok = parser.feed(text.as_bytes(), &mut out).is_ok() && parser.finish(&mut out) == Ok(true);
        prop_assert_eq!(ok, serde_json::from_str::<Value>(&text).is_ok(), "{}", text);
    }
}

#[test]
fn numbers_are_never_reported_early() {
    let mut p = PartialParser::new();
    let mut out = Vec::new();
    p.feed(b"{\"n\": 1", &mut out).unwrap();
    assert!(!out.iter().any(|c| c.path().pointer() == "/n"), "{out:?}");
    p.feed(b"2", &mut out).unwrap();
    assert!(!out.iter().any(|c| c.path().pointer() == "/n"));
    p.feed(b"}", &mut out).unwrap();
    let set = out.iter().find(|c| c.path().pointer() == "/n").unwrap();
    assert_eq!(
        set,
        &Change::Set {
            path: set.path().clone(),
            value: 12.into(),
            complete: true
        }
    );
}

#[test]
fn strings_are_visible_while_they_grow() {
    let mut p = PartialParser::new();
    let mut out = Vec::new();
    p.feed("{\"s\": \"hél".as_bytes(), &mut out).unwrap();
    // "é" arrives whole; a split UTF-8 character waits for its second byte.
    let bytes = "lo wörld\"}".as_bytes();
    let split = "lo w".len() + 1; // inside "ö"
    p.feed(&bytes[..split], &mut out).unwrap();
    p.feed(&bytes[split..], &mut out).unwrap();
    let texts: Vec<&str> = out
        .iter()
        .filter_map(|c| match c {
            Change::Append { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["hél", "lo w", "örld"]);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let text = "[".repeat(100_000);
    let mut p = PartialParser::new();
    let err = p.feed(text.as_bytes(), &mut Vec::new()).unwrap_err();
    assert!(err.message.contains("deeper than 512"), "{err}");
    assert_eq!(err.offset, 512);
    let mut p = PartialParser::with_max_depth(4);
    assert!(p.feed(b"[[[[1]]]]", &mut Vec::new()).is_ok());
    assert!(
        PartialParser::with_max_depth(3)
            .feed(b"[[[[1]]]]", &mut Vec::new())
            .is_err()
    );
}

#[test]
fn errors_say_where_and_what() {
    let mut p = PartialParser::new();
    let err = p.feed(b"{\"a\": tru}", &mut Vec::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid JSON at byte 9: expected `true`, found `}`"
    );
    let mut p = PartialParser::new();
    let err = p.feed(b"{\"a\": 1 \"b\"", &mut Vec::new()).unwrap_err();
    assert!(
        err.to_string().contains("expected `,` or `}`, found `\"`"),
        "{err}"
    );
}
