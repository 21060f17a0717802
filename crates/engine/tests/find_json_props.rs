//! Properties of the hand-written scanner that finds JSON in model text (MD_JSON and the JSON
//! modes' fallback): it finds any JSON object or array wherever prose and fences put it, and
//! never panics on arbitrary input.

use proptest::prelude::*;
use quarry_engine::extract::find_json;
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
        let found = find_json(&text).expect("a value is there");
        prop_assert_eq!(serde_json::from_str::<Value>(found).unwrap(), v);
    }

    #[test]
    fn prefers_the_json_fence(v in container(), decoy in container(), prose in "[A-Za-z .,:\n]{0,30}") {
        let text = format!("{prose}\n```python\nx = {decoy}\n```\nAnswer:\n```json\n{v}\n```\n{prose}");
        let found = find_json(&text).expect("a value is there");
        prop_assert_eq!(serde_json::from_str::<Value>(found).unwrap(), v);
    }

    #[test]
    fn never_panics(text in "\\PC{0,200}") {
        let _ = find_json(&text);
    }

    #[test]
    fn never_panics_on_jsonish_noise(text in "[{}\\[\\]\"\\\\`a-z:,\n ]{0,200}") {
        if let Some(span) = find_json(&text) {
            prop_assert!(text.contains(span));
        }
    }
}
