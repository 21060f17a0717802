//! Properties of the hand-written scanner that finds JSON in model text (MD_JSON and the JSON
//! modes' fallback): it finds any JSON object or array wherever prose and fences put it, the
//! streamed start (text in pieces of any size) is the final parse's start, and it never panics
//! on arbitrary input.

use proptest::prelude::*;
use quarry_engine::extract::{JsonStart, find_json};
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        // Strings full of the characters that confuse naive scanners.
        "[a-z{}\\[\\]\"\\\\`\n ]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-z\"{}]{1,6}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A container (what models are asked for).
fn container() -> impl Strategy<Value = Value> {
    json_value().prop_filter("object or array", |v| v.is_object() || v.is_array())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn finds_json_after_prose(v in container(), prefix in "[A-Za-z .,:!\n]{0,40}", suffix in "[A-Za-z .,:!\n]{0,40}", pretty in any::<bool>()) {
        let body = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { v.to_string() };
        let text = format!("{prefix}{body}{suffix}");
        // The JSON modes take the value wherever it is.
        let found = find_json(&text, true).expect("a value is there");
        prop_assert_eq!(serde_json::from_str::<Value>(found).unwrap(), v.clone());
        // Markdown mode takes it on its own line, or after prose when it looks like JSON
        // (objects always do; arrays of objects and strings do).
        let on_own_line = format!("{prefix}\n{body}{suffix}");
        let found = find_json(&on_own_line, false).expect("a value is there");
        prop_assert_eq!(serde_json::from_str::<Value>(found).unwrap(), v.clone());
        if v.is_object() {
            let found = find_json(&text, false).expect("a value is there");
            prop_assert_eq!(serde_json::from_str::<Value>(found).unwrap(), v);
        }
    }

    #[test]
    fn prefers_the_json_fence(v in container(), decoy in container(), prose in "[A-Za-z .,:\n]{0,30}", anywhere in any::<bool>()) {
        let text = format!("{prose}\n```python\nx = {decoy}\n```\nAnswer:\n```json\n{v}\n```\n{prose}");
        let found = find_json(&text, anywhere).expect("a value is there");
        prop_assert_eq!(serde_json::from_str::<Value>(found).unwrap(), v);
    }

    /// One rule for the stream and the final parse: fed in pieces of any size, the finder
    /// starts the value exactly where `find_json` does, or neither finds one.
    #[test]
    fn streamed_start_is_the_final_start(
        parts in prop::collection::vec(prop_oneof![
            "[A-Za-z .,:!\n]{0,12}",
            "[{}\\[\\]\"` \n]{1,4}",
            Just("```json\n".to_string()),
            Just("```py\n".to_string()),
            Just("\n```\n".to_string()),
            container().prop_map(|v| v.to_string()),
        ], 0..8),
        size in 1usize..12,
        anywhere in any::<bool>(),
    ) {
        let text: String = parts.concat();
        let whole = find_json(&text, anywhere).map(|span| span.as_ptr() as usize - text.as_ptr() as usize);
        let mut finder = JsonStart::new(anywhere);
        let mut streamed: Option<String> = None;
        let chars: Vec<char> = text.chars().collect();
        for piece in chars.chunks(size).map(|c| c.iter().collect::<String>()) {
            match &mut streamed {
                Some(s) => s.push_str(&piece),
                None => {
                    if let Some(begin) = finder.find(&piece) {
                        streamed = Some(format!("{}{}", begin.carry, &piece[begin.from..]));
                    }
                }
            }
        }
        match (whole, streamed) {
            (Some(start), Some(s)) => prop_assert_eq!(&text[start..], s.as_str()),
            (None, None) => {}
            (w, s) => prop_assert!(false, "final {:?} vs streamed {:?} in {:?}", w, s, text),
        }
    }

    #[test]
    fn never_panics(text in "\\PC{0,200}", anywhere in any::<bool>()) {
        let _ = find_json(&text, anywhere);
    }

    #[test]
    fn never_panics_on_jsonish_noise(text in "[{}\\[\\]\"\\\\`a-z:,\n ]{0,200}", anywhere in any::<bool>()) {
        if let Some(span) = find_json(&text, anywhere) {
            prop_assert!(text.contains(span));
        }
    }
}
