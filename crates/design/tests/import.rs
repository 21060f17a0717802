//! Bringing schemas in: JSON Schema of older drafts, Pydantic's output (a real one, made by
//! pydantic 2.14 from the model in the fixture's name), and OpenAPI components (YAML and JSON),
//! each made into a draft 2020-12 schema that means the same: checked here by validating the
//! same documents against the result.

use quarry_design::import::{ImportError, import};
use serde_json::{Value, json};

fn valid(schema: &Value, doc: Value) -> bool {
    jsonschema::draft202012::new(schema).unwrap().is_valid(&doc)
}

#[test]
fn pydantic_output_is_taken_as_it_is() {
    let text = include_str!("fixtures/pydantic_person.json");
    let out = import(text, None).unwrap();
    assert_eq!(out.source, "JSON Schema 2020-12");
    assert!(out.notes.is_empty(), "{:?}", out.notes);
    assert_eq!(out.schema, serde_json::from_str::<Value>(text).unwrap());
    assert!(valid(
        &out.schema,
        json!({"name": "Ada", "friends": [{"name": "Byron"}]})
    ));
    assert!(!valid(&out.schema, json!({"name": ""})));
}

#[test]
fn draft_07_becomes_2020_12_and_means_the_same() {
    let text = r##"{
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "point": {"type": "array", "items": [{"type": "number"}, {"type": "number"}], "additionalItems": false},
            "card": {"type": "string"},
            "billing": {"$ref": "#/definitions/Address"}
        },
        "dependencies": {"card": ["billing"]},
        "definitions": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
    }"##;
    let out = import(text, None).unwrap();
    assert_eq!(out.source, "JSON Schema draft-07");
    let s = &out.schema;
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(s["properties"]["billing"]["$ref"], "#/$defs/Address");
    assert_eq!(
        s["properties"]["point"]["prefixItems"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(s["properties"]["point"]["items"], false);
    assert_eq!(s["dependentRequired"], json!({"card": ["billing"]}));
    // Key order: `$defs` stays where `definitions` was (last).
    assert_eq!(s.as_object().unwrap().keys().next_back().unwrap(), "$defs");
    assert!(valid(
        s,
        json!({"point": [1, 2], "card": "x", "billing": {"city": "Paris"}})
    ));
    assert!(!valid(s, json!({"point": [1, 2, 3]})));
    assert!(!valid(s, json!({"card": "x"})));
    assert!(!valid(s, json!({"billing": {}})));
    assert_eq!(out.notes.len(), 4, "{:?}", out.notes);
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("`prefixItems` (at /properties/point)"))
    );
}

#[test]
fn draft_04_exclusive_bounds_and_ids() {
    let text = r#"{"$schema": "http://json-schema.org/draft-04/schema#", "id": "urn:age", "type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 9, "exclusiveMaximum": false}"#;
    let out = import(text, None).unwrap();
    assert_eq!(
        out.schema,
        json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "integer", "exclusiveMinimum": 0, "maximum": 9, "$id": "urn:age"})
    );
    assert!(!valid(&out.schema, json!(0)) && valid(&out.schema, json!(9)));
}

#[test]
fn an_openapi_component_comes_with_what_it_refers_to() {
    let text = include_str!("fixtures/petstore-3.0.yaml");
    let err = import(text, None).unwrap_err();
    assert_eq!(err.code(), "import_which_component");
    assert!(err.to_string().contains("4 schemas"), "{err}");
    assert!(
        err.to_string().contains("Pet, Owner, Address, Unused"),
        "{err}"
    );

    let out = import(text, Some("Pet")).unwrap();
    assert_eq!(out.source, "OpenAPI 3.0.3 component `Pet`");
    let s = &out.schema;
    assert_eq!(s["title"], "Pet");
    assert_eq!(
        s.pointer("/$defs")
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["Owner", "Address"]
    );
    assert_eq!(s["properties"]["owner"]["$ref"], "#/$defs/Owner");
    assert_eq!(s["properties"]["tag"]["type"], json!(["string", "null"]));
    assert_eq!(
        s["properties"]["status"]["enum"],
        json!(["available", "sold", null])
    );
    assert_eq!(s["properties"]["name"]["examples"], json!(["Rex"]));
    assert_eq!(s["properties"]["id"]["exclusiveMinimum"], 0);
    assert!(s.get("discriminator").is_none());
    assert_eq!(s["x-vendor"], "kept");
    assert_eq!(
        s["$defs"]["Owner"]["properties"]["address"],
        json!({"description": "Where the owner lives", "anyOf": [{"allOf": [{"$ref": "#/$defs/Address"}]}, {"type": "null"}]})
    );
    assert!(valid(
        s,
        json!({"id": 1, "name": "Rex", "tag": null, "status": null, "owner": {"address": null}})
    ));
    assert!(valid(
        s,
        json!({"id": 1, "name": "Rex", "owner": {"address": {"city": "Oslo"}}})
    ));
    assert!(!valid(s, json!({"id": 0, "name": "Rex"})));
    assert!(!valid(
        s,
        json!({"id": 1, "name": "Rex", "owner": {"address": {"city": 5}}})
    ));
    assert!(
        out.notes.iter().any(|n| n.starts_with(
            "`nullable: true` is now a type that allows null (at /properties/tag and 2 more places)"
        )),
        "{:?}",
        out.notes
    );
    assert!(
        out.notes.iter().any(|n| n.contains("Owner, Address")),
        "{:?}",
        out.notes
    );

    let err = import(text, Some("Dog")).unwrap_err();
    assert_eq!(err.code(), "import_no_component");
}

#[test]
fn openapi_3_1_swagger_2_and_recursion() {
    let text = r##"{"openapi": "3.1.0", "components": {"schemas": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}, "v": {"type": ["string", "null"]}}}}}}"##;
    let out = import(text, None).unwrap();
    assert_eq!(out.schema["properties"]["next"]["$ref"], "#");
    assert_eq!(
        out.schema["properties"]["v"]["type"],
        json!(["string", "null"])
    );
    assert!(valid(&out.schema, json!({"next": {"next": {"v": null}}})));

    let swagger = "swagger: '2.0'\ndefinitions:\n  Tag:\n    type: object\n    properties:\n      label: {type: string, x-nullable: true}\n";
    let out = import(swagger, None).unwrap();
    assert_eq!(out.source, "Swagger 2.0 component `Tag`");
    assert_eq!(
        out.schema["properties"]["label"]["type"],
        json!(["string", "null"])
    );
}

#[test]
fn bad_input_says_what_and_where() {
    let cases: &[(&str, Option<&str>, &str, &str)] = &[
        ("{\"type\": ", None, "import_not_parsed", "as JSON"),
        ("a: [b\n", None, "import_not_parsed", "as YAML"),
        ("[1, 2]", None, "import_not_a_schema", "a list"),
        (
            "{\"type\": \"object\"}",
            Some("Pet"),
            "import_which_component",
            "JSON Schema",
        ),
        (
            r#"{"properties": {"a": {"$ref": "other.json#/A"}}}"#,
            None,
            "import_bad_ref",
            "at /properties/a points outside",
        ),
        (
            r##"{"properties": {"a": {"$ref": "#/$defs/Nope"}}}"##,
            None,
            "import_bad_ref",
            "at /properties/a points at nothing",
        ),
        (r#"{"type": "banana"}"#, None, "import_invalid", "banana"),
        (
            "openapi: 3.0.0\ninfo: {title: x, version: '1'}\n",
            None,
            "import_no_component",
            "components/schemas",
        ),
        (
            r##"{"openapi": "3.0.0", "components": {"schemas": {"A": {"$ref": "#/components/parameters/P"}}}}"##,
            None,
            "import_bad_ref",
            "#/components/parameters/P",
        ),
    ];
    for (text, component, code, says) in cases {
        let err: ImportError = import(text, *component).unwrap_err();
        assert_eq!(err.code(), *code, "{text}: {err}");
        assert!(err.to_string().contains(says), "{text}: {err}");
        assert!(!err.hint().is_empty());
    }
    // Deep YAML is refused, not a stack overflow.
    let deep = format!("{}x: 1{}", "{a: ".repeat(300), "}".repeat(300));
    let err = import(&deep, None).unwrap_err();
    assert!(
        matches!(err.code(), "import_too_deep" | "import_not_parsed"),
        "{err}"
    );
}
