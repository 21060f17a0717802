//! Inference from samples: the shapes a person would write by hand for a few documents, and a
//! property test that every sample always validates against what is inferred from it.

use proptest::prelude::*;
use quarry_design::infer::{InferError, infer};
use serde_json::{Value, json};

#[test]
fn objects_nesting_arrays_required_and_formats() {
    let samples = [
        json!({"name": "Ada", "age": 36, "email": "ada@example.org", "born": "1815-12-10",
               "tags": ["math", "poetry"], "address": {"city": "London", "zip": null},
               "score": 1}),
        json!({"name": "Grace", "age": 85, "email": "grace@example.org", "born": "1906-12-09",
               "tags": [], "address": {"city": "New York", "zip": "10001"},
               "score": 2.5, "nickname": "Amazing Grace"}),
    ];
    let schema = infer(&samples).unwrap();
    assert_eq!(
        schema,
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "age": {"type": "integer"},
                "email": {"type": "string", "format": "email"},
                "born": {"type": "string", "format": "date"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "address": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "zip": {"type": ["string", "null"]}},
                    "required": ["city", "zip"]
                },
                "score": {"type": "number"},
                "nickname": {"type": "string"}
            },
            "required": ["name", "age", "email", "born", "tags", "address", "score"]
        })
    );
}

#[test]
fn mixed_kinds_become_branches_and_a_broken_format_drops_it() {
    let samples = [
        json!({"v": 1, "when": "2024-05-01", "list": [{"a": 1}, {"a": 2, "b": true}]}),
        json!({"v": "one", "when": "soon", "list": null}),
        json!({"v": {"x": 1}, "when": "2024-05-02"}),
    ];
    let schema = infer(&samples).unwrap();
    assert_eq!(
        schema["properties"]["v"],
        json!({"anyOf": [
            {"type": "integer"},
            {"type": "string"},
            {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
        ]})
    );
    assert_eq!(schema["properties"]["when"], json!({"type": "string"}));
    assert_eq!(
        schema["properties"]["list"],
        json!({"type": ["array", "null"], "items": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "boolean"}},
            "required": ["a"]
        }})
    );
    assert_eq!(schema["required"], json!(["v", "when"]));
}

#[test]
fn no_samples_is_an_error_and_empty_arrays_allow_anything() {
    assert_eq!(infer(&[]), Err(InferError::NoSamples));
    let schema = infer(&[json!({"a": []})]).unwrap();
    assert_eq!(schema["properties"]["a"], json!({"type": "array"}));
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e9f64..1e9).prop_map(|f| json!(f)),
        prop_oneof![
            "[a-z@.]{0,12}",
            Just("2024-02-29".to_string()),
            Just("2023-02-29".to_string()),
            Just("ada@example.org".to_string()),
            Just("https://example.org".to_string()),
            Just("2024-05-01T12:30:00Z".to_string()),
            ".{0,6}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-d]{1,2}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// Whatever the documents, each is valid against the schema inferred from all of them
    /// (formats asserted, as Quarry validates them).
    #[test]
    fn every_sample_validates(samples in prop::collection::vec(json_value(), 1..4)) {
        let schema = infer(&samples).unwrap();
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        for sample in &samples {
            let errors: Vec<String> = validator.iter_errors(sample).map(|e| e.to_string()).collect();
            prop_assert!(errors.is_empty(), "{sample} against {schema}: {errors:?}");
        }
    }
}
