//! The fake speaks Google's Gemini API and Vertex AI's form of it: real HTTP to
//! `…:generateContent` / `…:streamGenerateContent`, refused the way the real API refuses,
//! scripted answers in the documented shapes.

use std::time::{Duration, Instant};

use quarry_fake_provider::{
    FakeServer, GEMINI_CACHED_TOKENS, GEMINI_CANDIDATES_TOKENS, GEMINI_MODEL_VERSION,
    GEMINI_PROMPT_TOKENS, GEMINI_RESPONSE_ID, GEMINI_THOUGHTS_TOKENS, GEMINI_TOTAL_TOKENS, Reply,
};
use serde_json::{Value, json};

const KEY: (&str, &str) = ("x-goog-api-key", "AIzaFakeQuarryKey");
const BEARER: (&str, &str) = ("authorization", "Bearer ya29.fake-token");
const GEMINI: &str = "/v1beta/models/gemini-2.5-flash:generateContent";
const GEMINI3: &str = "/v1beta/models/gemini-3-pro-preview:generateContent";
const STREAM: &str = "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse";
const VERTEX: &str = "/v1/projects/quarry-test/locations/us-central1/publishers/google/models/\
                      gemini-2.5-flash:generateContent";
const FUNCTION_NAME_RULE: &str = "Invalid function name. Must start with a letter or an \
    underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:), or \
    dashes (-), with a maximum length of 64.";

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first candidate's first text part.
    fn text_part(&self) -> Value {
        self.json()["candidates"][0]["content"]["parts"][0]["text"].clone()
    }
}

async fn send(server: &FakeServer, path: &str, headers: &[(&str, &str)], body: String) -> Answer {
    let mut req = reqwest::Client::new()
        .post(format!("http://{}{path}", server.addr()))
        .header("content-type", "application/json")
        .body(body);
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    let resp = req.send().await.expect("the fake answers");
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        text: resp.text().await.expect("a body"),
    }
}

async fn post(server: &FakeServer, body: &Value) -> Answer {
    send(server, GEMINI, &[KEY], body.to_string()).await
}

fn user(text: &str) -> Value {
    json!({"role": "user", "parts": [{"text": text}]})
}

/// The smallest valid request.
fn base() -> Value {
    json!({"contents": [user("Extract: Ada Lovelace, 36.")]})
}

fn user_info_decl() -> Value {
    json!({
        "name": "UserInfo",
        "description": "Correctly extracted `UserInfo` with all the required parameters",
        "parameters": {
            "type": "OBJECT",
            "properties": {"name": {"type": "STRING"}, "age": {"type": "INTEGER"}},
            "required": ["name", "age"],
        },
    })
}

/// A request that declares `UserInfo`.
fn with_tool() -> Value {
    with(base(), |b| {
        b["tools"] = json!([{"functionDeclarations": [user_info_decl()]}]);
    })
}

fn call(name: &str) -> Value {
    json!({"functionCall": {"name": name, "args": {"name": "Ada", "age": 36}}})
}

fn signed(name: &str) -> Value {
    with(call(name), |p| p["thoughtSignature"] = json!("c2lnLTE="))
}

fn answer(name: &str) -> Value {
    json!({"functionResponse": {"name": name, "response": {"error": "age must be a number"}}})
}

fn model(parts: Value) -> Value {
    json!({"role": "model", "parts": parts})
}

fn user_parts(parts: Value) -> Value {
    json!({"role": "user", "parts": parts})
}

fn with(mut body: Value, edit: impl FnOnce(&mut Value)) -> Value {
    edit(&mut body);
    body
}

fn with_contents(contents: Value) -> Value {
    with(with_tool(), |b| b["contents"] = contents)
}

/// Two scripted answers; a refused request must leave the first one queued.
async fn scripted() -> FakeServer {
    FakeServer::start(vec![
        Reply::gemini_text("first"),
        Reply::gemini_text("second"),
    ])
    .await
    .unwrap()
}

/// `body` sent to `path` with `headers` is refused with `status`, `google_status` and
/// `message`, the refusal is recorded, and the scripted answer is still the first one
/// afterwards. Returns the error object.
async fn refused_at(
    path: &str,
    headers: &[(&str, &str)],
    body: &Value,
    status: u16,
    google_status: &str,
    message: &str,
) -> Value {
    let server = scripted().await;
    let a = send(&server, path, headers, body.to_string()).await;
    assert_eq!(a.status, status, "{body}\n→ {}", a.text);
    assert_eq!(
        a.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    let v = a.json();
    assert_eq!(v["error"]["code"], status, "{v}");
    assert_eq!(v["error"]["status"], google_status, "{v}");
    assert_eq!(v["error"]["message"], message, "{body}");
    assert_eq!(
        server.requests().len(),
        1,
        "the refused request is recorded"
    );
    let ok = post(&server, &base()).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(
        ok.text_part(),
        "first",
        "the refusal did not consume the script"
    );
    v["error"].clone()
}

async fn invalid(body: &Value, message: &str) -> Value {
    refused_at(GEMINI, &[KEY], body, 400, "INVALID_ARGUMENT", message).await
}

async fn invalid_at(path: &str, body: &Value, message: &str) -> Value {
    refused_at(path, &[KEY], body, 400, "INVALID_ARGUMENT", message).await
}

async fn accepted(path: &str, headers: &[(&str, &str)], body: &Value) {
    let server = scripted().await;
    let a = send(&server, path, headers, body.to_string()).await;
    assert_eq!(a.status, 200, "{body}\n→ {}", a.text);
    assert_eq!(a.text_part(), "first");
}

/// `Invalid JSON payload received. Unknown name "X" at 'path': Cannot find field.`
fn unknown(name: &str, path: &str) -> String {
    format!(
        "Invalid JSON payload received. Unknown name \"{name}\" at '{path}': Cannot find field."
    )
}

const PARAMS: &str = "tools[0].function_declarations[0].parameters";

#[tokio::test]
async fn gemini_api_keys() {
    let body = base();
    refused_at(
        GEMINI,
        &[],
        &body,
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). \
         Please use API Key or other form of API consumer identity to call this API.",
    )
    .await;
    refused_at(
        GEMINI,
        &[("x-goog-api-key", " ")],
        &body,
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established identity). \
         Please use API Key or other form of API consumer identity to call this API.",
    )
    .await;
    accepted(GEMINI, &[KEY], &body).await;
    accepted(&format!("{GEMINI}?key=AIzaQueryKey"), &[], &body).await;
    // An OAuth token works on the Gemini API too.
    accepted(GEMINI, &[BEARER], &body).await;

    // Once a key is named, only the named ones are good.
    let server = scripted().await;
    server.accept_api_key("AIzaGood");
    let a = send(&server, GEMINI, &[KEY], body.to_string()).await;
    assert_eq!(a.status, 400, "{}", a.text);
    let e = a.json()["error"].clone();
    assert_eq!(e["status"], "INVALID_ARGUMENT");
    assert_eq!(
        e["message"],
        "API key not valid. Please pass a valid API key."
    );
    assert_eq!(e["details"][0]["reason"], "API_KEY_INVALID");
    assert_eq!(
        e["details"][0]["metadata"],
        json!({"service": "generativelanguage.googleapis.com"})
    );
    assert_eq!(e["details"][1]["locale"], "en-US");
    let a = send(
        &server,
        GEMINI,
        &[("x-goog-api-key", "AIzaGood")],
        body.to_string(),
    )
    .await;
    assert_eq!((a.status, a.text_part()), (200, json!("first")));
}

#[tokio::test]
async fn vertex_bearer_tokens() {
    let body = base();
    let e = refused_at(
        VERTEX,
        &[],
        &body,
        401,
        "UNAUTHENTICATED",
        "Request is missing required authentication credential. Expected OAuth 2 access token, \
         login cookie or other valid authentication credential. See \
         https://developers.google.com/identity/sign-in/web/devconsole-project.",
    )
    .await;
    assert_eq!(e["details"][0]["reason"], "CREDENTIALS_MISSING");
    assert_eq!(
        e["details"][0]["metadata"],
        json!({"method": "google.cloud.aiplatform.v1.PredictionService.GenerateContent",
               "service": "aiplatform.googleapis.com"})
    );
    refused_at(
        VERTEX,
        &[KEY],
        &body,
        401,
        "UNAUTHENTICATED",
        "API keys are not supported by this API. Expected OAuth2 access token or other \
         authentication credentials that assert a principal. See \
         https://cloud.google.com/docs/authentication",
    )
    .await;
    // Express mode (no project in the path) takes a key.
    accepted(
        "/v1/publishers/google/models/gemini-2.5-flash:generateContent",
        &[KEY],
        &body,
    )
    .await;
    // By default any bearer token is good.
    accepted(VERTEX, &[BEARER], &body).await;
    let invalid_token = "Request had invalid authentication credentials. Expected OAuth 2 access \
        token, login cookie or other valid authentication credential. See \
        https://developers.google.com/identity/sign-in/web/devconsole-project.";
    refused_at(
        VERTEX,
        &[("authorization", "Bearer ")],
        &body,
        401,
        "UNAUTHENTICATED",
        invalid_token,
    )
    .await;

    // An expired token is refused, the refreshed one accepted, then revoked.
    let server = scripted().await;
    server.accept_bearer("ya29.refreshed");
    let a = send(
        &server,
        VERTEX,
        &[("authorization", "Bearer ya29.expired")],
        body.to_string(),
    )
    .await;
    assert_eq!(a.status, 401, "{}", a.text);
    let e = a.json()["error"].clone();
    assert_eq!(e["status"], "UNAUTHENTICATED");
    assert_eq!(e["message"], invalid_token);
    assert_eq!(e["details"][0]["reason"], "ACCESS_TOKEN_TYPE_UNSUPPORTED");
    assert!(
        a.header("www-authenticate")
            .is_some_and(|h| h.contains("invalid_token"))
    );
    let fresh = [("authorization", "Bearer ya29.refreshed")];
    let a = send(&server, VERTEX, &fresh, body.to_string()).await;
    assert_eq!((a.status, a.text_part()), (200, json!("first")));
    server.reject_bearer("ya29.refreshed");
    let a = send(&server, VERTEX, &fresh, body.to_string()).await;
    assert_eq!(a.status, 401);
    // The Gemini API checks bearer tokens the same way.
    let a = send(
        &server,
        GEMINI,
        &[("authorization", "Bearer ya29.expired")],
        body.to_string(),
    )
    .await;
    assert_eq!(a.status, 401);
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn body_is_a_json_message() {
    let server = scripted().await;
    let a = send(&server, GEMINI, &[KEY], "{not json".into()).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["error"]["status"], "INVALID_ARGUMENT");
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON payload received.")
    );
    let a = send(&server, GEMINI, &[KEY], "[]".into()).await;
    assert_eq!(a.status, 400);
    // An empty body is an empty request.
    let a = send(&server, GEMINI, &[KEY], String::new()).await;
    assert_eq!(
        a.json()["error"]["message"],
        "* GenerateContentRequest.contents: contents is not specified\n"
    );

    // Unknown fields, at the top and nested; every one is listed, with a BadRequest detail.
    let e = invalid(
        &with(base(), |b| {
            b["response_format"] = json!({"type": "json_object"})
        }),
        "Invalid JSON payload received. Unknown name \"response_format\": Cannot find field.",
    )
    .await;
    assert_eq!(
        e["details"],
        json!([{"@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"description": "Invalid JSON payload received. Unknown name \"response_format\": Cannot find field."}]}])
    );
    let e = invalid(
        &with(base(), |b| {
            b["generationConfig"] = json!({"maxTokens": 5, "temperature": 0.2, "stop": ["x"]})
        }),
        &[
            unknown("maxTokens", "generation_config"),
            unknown("stop", "generation_config"),
        ]
        .join("\n"),
    )
    .await;
    assert_eq!(
        e["details"][0]["fieldViolations"][1]["field"],
        "generation_config"
    );
    invalid(
        &with(base(), |b| b["contents"][0]["content"] = json!("hi")),
        &unknown("content", "contents[0]"),
    )
    .await;

    // camelCase and snake_case are both field names; null is "not set"; one value stands
    // for a list of one.
    accepted(
        GEMINI,
        &[KEY],
        &json!({
            "contents": {"role": "user", "parts": {"text": "Extract: Ada, 36"}},
            "system_instruction": {"parts": [{"text": "You extract people."}]},
            "tools": [{"function_declarations": [user_info_decl()]}],
            "tool_config": {"function_calling_config": {"mode": "ANY", "allowed_function_names": ["UserInfo"]}},
            "generation_config": {"max_output_tokens": 100, "temperature": 0, "top_k": "40"},
            "safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
            "cachedContent": null,
        }),
    )
    .await;
}

#[tokio::test]
async fn contents_and_parts() {
    let no_contents = "* GenerateContentRequest.contents: contents is not specified\n";
    invalid(&json!({}), no_contents).await;
    invalid(&json!({"contents": []}), no_contents).await;
    invalid(
        &json!({"contents": [{"role": "user", "parts": []}, user("hi"), {"role": "user"}]}),
        "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.\n\
         * GenerateContentRequest.contents[2].parts: contents.parts must not be empty.\n",
    )
    .await;
    invalid(
        &json!({"contents": [{"role": "user", "parts": [{"thought": true}]}]}),
        "* GenerateContentRequest.contents[0].parts[0].data: required oneof field 'data' must \
         have one initialized field\n",
    )
    .await;
    invalid(
        &json!({"contents": [{"role": "user", "parts": [
            {"text": "What is this?", "inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]}]}),
        "Invalid value at 'contents[0].parts[0]' (oneof), oneof field 'data' is already set. \
         Cannot set 'inlineData'",
    )
    .await;
    invalid(
        &json!({"contents": [{"role": "user", "parts": [
            {"text": "What is this?"},
            {"inlineData": {"mimeType": "image/png", "data": "not base64!"}}]}]}),
        "Invalid value at 'contents[0].parts[1].inline_data.data' (TYPE_BYTES), Base64 decoding \
         failed for \"not base64!\"",
    )
    .await;
    invalid(
        &json!({"contents": [{"role": "user", "parts": [{"text": 42}]}]}),
        "Invalid value at 'contents[0].parts[0].text' (TYPE_STRING), 42",
    )
    .await;
    // Every kind of part is accepted.
    accepted(
        GEMINI,
        &[KEY],
        &json!({"contents": [{"role": "user", "parts": [
            {"text": "Read these."},
            {"inline_data": {"mime_type": "image/png", "data": "iVBORw0KGgo="}},
            {"fileData": {"mimeType": "application/pdf", "fileUri": "https://generativelanguage.googleapis.com/v1beta/files/abc"}},
        ]}]}),
    )
    .await;

    // Roles: user and model only; an unset role is the user's.
    for role in ["system", "assistant", "tool", "function"] {
        invalid(
            &json!({"contents": [{"role": role, "parts": [{"text": "hi"}]}]}),
            "Please use a valid role: user, model.",
        )
        .await;
    }
    accepted(
        GEMINI,
        &[KEY],
        &json!({"contents": [{"parts": [{"text": "hi"}]}]}),
    )
    .await;
    accepted(
        GEMINI,
        &[KEY],
        &json!({"contents": [user("hi"), model(json!([{"text": "Hello."}])), user("Extract: Ada")]}),
    )
    .await;
}

#[tokio::test]
async fn system_instruction_is_text() {
    accepted(
        GEMINI,
        &[KEY],
        &with(base(), |b| {
            b["systemInstruction"] = json!({"parts": [{"text": "You extract people."}]})
        }),
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["systemInstruction"] =
                json!({"parts": [{"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]})
        }),
        "* GenerateContentRequest.system_instruction.parts[0]: system_instruction only supports \
         text parts\n",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["systemInstruction"] = json!({"text": "You extract people."})
        }),
        &unknown("text", "system_instruction"),
    )
    .await;
}

#[tokio::test]
async fn function_declarations() {
    accepted(GEMINI, &[KEY], &with_tool()).await;
    for bad in ["User Info", "1User", "user/info", &"u".repeat(65)] {
        invalid(
            &with(with_tool(), |b| {
                b["tools"][0]["functionDeclarations"][0]["name"] = json!(bad)
            }),
            &format!(
                "* GenerateContentRequest.tools[0].function_declarations[0].name: {FUNCTION_NAME_RULE}\n"
            ),
        )
        .await;
    }
    for good in ["user_info", "_x", "mcp:server.tool-1"] {
        accepted(
            GEMINI,
            &[KEY],
            &with(with_tool(), |b| {
                b["tools"][0]["functionDeclarations"][0]["name"] = json!(good)
            }),
        )
        .await;
    }
    // Vertex words it its own way.
    refused_at(
        VERTEX,
        &[BEARER],
        &with(with_tool(), |b| {
            b["tools"][0]["functionDeclarations"][0]["name"] = json!("User Info")
        }),
        400,
        "INVALID_ARGUMENT",
        "The GenerateContentRequest proto is invalid:\n  * tools[0].function_declarations[0].name: \
         [FIELD_INVALID] Invalid function name. Must start with a letter or an underscore. Must be \
         a-z, A-Z, 0-9, or contain underscores (_), dots (.), colons (:), or dashes (-), with a \
         maximum length of 64.",
    )
    .await;
    let with_params = |params: Value| {
        with(with_tool(), |b| {
            b["tools"][0]["functionDeclarations"][0]["parameters"] = params
        })
    };
    // parametersJsonSchema takes full JSON Schema, but not beside parameters.
    accepted(
        GEMINI,
        &[KEY],
        &with(with_tool(), |b| {
            let d = b["tools"][0]["functionDeclarations"][0].as_object_mut().unwrap();
            d.remove("parameters");
            d.insert(
                "parametersJsonSchema".into(),
                json!({"$ref": "#/$defs/U", "$defs": {"U": {"type": "object", "additionalProperties": false}}}),
            );
        }),
    )
    .await;
    invalid(
        &with(with_tool(), |b| {
            b["tools"][0]["functionDeclarations"][0]["parametersJsonSchema"] =
                json!({"type": "object"})
        }),
        "* GenerateContentRequest.tools[0].function_declarations[0].parameters_json_schema: \
         parameters and parameters_json_schema cannot both be set\n",
    )
    .await;
    // The OpenAPI subset: lowercase types, anyOf, nullable, enum, format and the rest are fine.
    accepted(
        GEMINI,
        &[KEY],
        &with_params(json!({
            "type": "object",
            "title": "UserInfo",
            "properties": {
                "name": {"type": "string", "description": "Full name", "minLength": 1},
                "age": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]},
                "role": {"type": "string", "format": "enum", "enum": ["engineer", "poet"], "nullable": true},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": "3"},
            },
            "required": ["name"],
            "propertyOrdering": ["name", "age", "role", "tags"],
        })),
    )
    .await;
    // JSON Schema keywords outside the subset are unknown names, at the node that holds them.
    let age = format!("{PARAMS}.properties[1].value");
    for (keyword, value) in [
        ("$ref", json!("#/$defs/Age")),
        ("oneOf", json!([{"type": "INTEGER"}])),
        ("allOf", json!([{"type": "INTEGER"}])),
        ("const", json!(36)),
        ("additionalProperties", json!(false)),
    ] {
        invalid(
            &with_params(json!({
                "type": "OBJECT",
                "properties": {"name": {"type": "STRING"}, "age": {"type": "INTEGER", keyword: value}},
            })),
            &unknown(keyword, &age),
        )
        .await;
    }
    for (keyword, value) in [
        ("$defs", json!({"Age": {"type": "INTEGER"}})),
        ("definitions", json!({"Age": {"type": "INTEGER"}})),
        ("$schema", json!("http://json-schema.org/draft-07/schema#")),
        ("additionalProperties", json!(false)),
    ] {
        invalid(
            &with_params(json!({"type": "OBJECT", "properties": {}, keyword: value})),
            &unknown(keyword, PARAMS),
        )
        .await;
    }
    // Deeper: inside items and anyOf.
    invalid(
        &with_params(
            json!({"type": "OBJECT", "properties": {"friends": {"type": "ARRAY",
            "items": {"anyOf": [{"type": "STRING"}, {"$ref": "#/$defs/Friend"}]}}}}),
        ),
        &unknown(
            "$ref",
            &format!("{PARAMS}.properties[0].value.items.any_of[1]"),
        ),
    )
    .await;
    // A JSON Schema type list.
    invalid(
        &with_params(
            json!({"type": "OBJECT", "properties": {"name": {"type": "STRING"},
            "age": {"type": ["integer", "null"]}}}),
        ),
        &format!(
            "Invalid JSON payload received. Unknown name \"type\" at '{age}': Proto field is not \
             repeating, cannot start list."
        ),
    )
    .await;
    // Enum values are strings; types are the OpenAPI ones.
    invalid(
        &with_params(
            json!({"type": "OBJECT", "properties": {"name": {"type": "STRING"},
            "age": {"type": "INTEGER", "enum": [36, "37", 38]}}}),
        ),
        &format!(
            "Invalid value at '{age}.enum[0]' (TYPE_STRING), 36\nInvalid value at \
             '{age}.enum[2]' (TYPE_STRING), 38"
        ),
    )
    .await;
    invalid(
        &with_params(
            json!({"type": "OBJECT", "properties": {"name": {"type": "STRING"},
            "age": {"type": "enum", "values": ["a"]}}}),
        ),
        &format!(
            "Invalid value at '{age}.type' \
             (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), \"enum\"\n{}",
            unknown("values", &age)
        ),
    )
    .await;
    // Every violation is listed, each with its field.
    let e = invalid(
        &with_params(
            json!({"type": "OBJECT", "properties": {"name": {"type": "STRING", "$ref": "#/x"}},
            "additionalProperties": false}),
        ),
        &format!(
            "{}\n{}",
            unknown("$ref", &format!("{PARAMS}.properties[0].value")),
            unknown("additionalProperties", PARAMS)
        ),
    )
    .await;
    assert_eq!(
        e["details"][0]["fieldViolations"][1],
        json!({"field": PARAMS, "description": unknown("additionalProperties", PARAMS)})
    );
}

#[tokio::test]
async fn vertex_schemas_and_calls() {
    let vertex = [BEARER];
    // Vertex's Schema has additionalProperties and ref/defs (without the `$`).
    accepted(
        VERTEX,
        &vertex,
        &with(with_tool(), |b| {
            b["tools"][0]["functionDeclarations"][0]["parameters"] = json!({
                "type": "OBJECT",
                "properties": {"friend": {"ref": "#/defs/Friend"}},
                "defs": {"Friend": {"type": "OBJECT", "properties": {"name": {"type": "STRING"}}}},
                "additionalProperties": false,
            })
        }),
    )
    .await;
    refused_at(
        VERTEX,
        &vertex,
        &with(with_tool(), |b| {
            b["tools"][0]["functionDeclarations"][0]["parameters"]["properties"]["age"]["$ref"] =
                json!("#/x")
        }),
        400,
        "INVALID_ARGUMENT",
        &unknown("$ref", &format!("{PARAMS}.properties[1].value")),
    )
    .await;
    // Vertex has no `id` on function calls and responses; the Gemini API has.
    let contents = json!([
        user("Extract: Ada, 36"),
        model(json!([with(
            call("UserInfo"),
            |p| p["functionCall"]["id"] = json!("c1")
        )])),
        user_parts(json!([with(answer("UserInfo"), |p| p["functionResponse"]
            ["id"] =
            json!("c1"))])),
    ]);
    refused_at(
        VERTEX,
        &vertex,
        &with_contents(contents.clone()),
        400,
        "INVALID_ARGUMENT",
        &format!(
            "{}\n{}",
            unknown("id", "contents[1].parts[0].function_call"),
            unknown("id", "contents[2].parts[0].function_response")
        ),
    )
    .await;
    accepted(GEMINI, &[KEY], &with_contents(contents)).await;
    // Vertex refuses an empty text part.
    refused_at(
        VERTEX,
        &vertex,
        &json!({"contents": [user("")]}),
        400,
        "INVALID_ARGUMENT",
        "Unable to submit request because it has an empty text parameter. Add a value to the \
         parameter and try again. Learn more: \
         https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini",
    )
    .await;
    refused_at(
        VERTEX,
        &vertex,
        &json!({"contents": [{"role": "user", "parts": [{"text": "What is this?"},
            {"inlineData": {"mimeType": "image/png", "data": ""}}]}]}),
        400,
        "INVALID_ARGUMENT",
        "Unable to submit request because it has an empty inlineData parameter. Add a value to \
         the parameter and try again.",
    )
    .await;
    // Argument streaming is Vertex's only.
    let streamed = with(
        with_tool(),
        |b| {
            b["toolConfig"] = json!({"functionCallingConfig": {"mode": "AUTO", "streamFunctionCallArguments": true}})
        },
    );
    accepted(VERTEX, &vertex, &streamed).await;
    invalid(
        &streamed,
        &unknown(
            "streamFunctionCallArguments",
            "tool_config.function_calling_config",
        ),
    )
    .await;
}

#[tokio::test]
async fn response_schemas() {
    let json_mode = |schema: Value| {
        with(
            base(),
            |b| {
                b["generationConfig"] =
                    json!({"responseMimeType": "application/json", "responseSchema": schema})
            },
        )
    };
    accepted(
        GEMINI,
        &[KEY],
        &json_mode(
            json!({"type": "OBJECT", "properties": {"name": {"type": "STRING"},
            "age": {"type": "INTEGER", "nullable": true}}, "required": ["name"]}),
        ),
    )
    .await;
    invalid(
        &json_mode(
            json!({"type": "OBJECT", "properties": {"friend": {"$ref": "#/$defs/F"}},
            "$defs": {"F": {"type": "OBJECT"}}}),
        ),
        &format!(
            "{}\n{}",
            unknown(
                "$ref",
                "generation_config.response_schema.properties[0].value"
            ),
            unknown("$defs", "generation_config.response_schema")
        ),
    )
    .await;
    // responseJsonSchema is full JSON Schema ($ref, $defs, anyOf, additionalProperties).
    let json_schema = json!({"$ref": "#/$defs/UserInfo", "$defs": {"UserInfo": {"type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": ["integer", "null"]}},
        "required": ["name", "age"], "additionalProperties": false}}});
    accepted(
        GEMINI,
        &[KEY],
        &with(base(), |b| {
            b["generationConfig"] =
                json!({"responseMimeType": "application/json", "responseJsonSchema": json_schema})
        }),
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["generationConfig"] = json!({"responseMimeType": "application/json",
                "responseJsonSchema": json_schema, "responseSchema": {"type": "OBJECT"}})
        }),
        "* GenerateContentRequest.generation_config.response_json_schema: response_schema and \
         response_json_schema cannot both be set\n",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["generationConfig"] = json!({"responseSchema": {"type": "OBJECT"}})
        }),
        "* GenerateContentRequest.generation_config.response_mime_type: response_mime_type must \
         be one of [\"application/json\", \"text/x.enum\"] when response_schema is set\n",
    )
    .await;
    invalid(
        &with(
            base(),
            |b| {
                b["generationConfig"] =
                    json!({"responseMimeType": "text/plain", "responseJsonSchema": json_schema})
            },
        ),
        "* GenerateContentRequest.generation_config.response_mime_type: response_mime_type must \
         be \"application/json\" when response_json_schema is set\n",
    )
    .await;
    // An enum answer.
    accepted(
        GEMINI,
        &[KEY],
        &with(base(), |b| {
            b["generationConfig"] = json!({"responseMimeType": "text/x.enum",
                "responseSchema": {"type": "STRING", "enum": ["engineer", "poet"]}})
        }),
    )
    .await;
}

#[tokio::test]
async fn generation_config_fields() {
    accepted(
        GEMINI,
        &[KEY],
        &with(base(), |b| {
            b["generationConfig"] = json!({
                "temperature": 0.2, "topP": 0.9, "topK": 40, "maxOutputTokens": 1024,
                "stopSequences": ["END"], "seed": 7, "candidateCount": 1,
                "responseMimeType": "text/plain", "presencePenalty": 0.1, "frequencyPenalty": 0.1,
                "thinkingConfig": {"thinkingBudget": 1024, "includeThoughts": true},
            })
        }),
    )
    .await;
    accepted(
        GEMINI3,
        &[KEY],
        &with(base(), |b| {
            b["generationConfig"] = json!({"thinkingConfig": {"thinkingLevel": "low"}})
        }),
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["generationConfig"] = json!({"temperature": "hot"})
        }),
        "Invalid value at 'generation_config.temperature' (TYPE_FLOAT), \"hot\"",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["generationConfig"] = json!({"thinkingConfig": {"budget": 5}})
        }),
        &unknown("budget", "generation_config.thinking_config"),
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["generationConfig"] = json!({"maxOutputTokens": -1})
        }),
        "* GenerateContentRequest.generation_config.max_output_tokens: must be positive\n",
    )
    .await;
}

#[tokio::test]
async fn tool_config() {
    let config = |fcc: Value| {
        with(with_tool(), |b| {
            b["toolConfig"] = json!({"functionCallingConfig": fcc})
        })
    };
    for mode in ["AUTO", "ANY", "NONE", "VALIDATED", "any"] {
        accepted(GEMINI, &[KEY], &config(json!({"mode": mode}))).await;
    }
    accepted(
        GEMINI,
        &[KEY],
        &config(json!({"mode": "ANY", "allowedFunctionNames": ["UserInfo"]})),
    )
    .await;
    invalid(
        &config(json!({"mode": "REQUIRED"})),
        "Invalid value at 'tool_config.function_calling_config.mode' \
         (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), \
         \"REQUIRED\"",
    )
    .await;
    invalid(
        &config(json!({"mode": "AUTO", "allowedFunctionNames": ["UserInfo"]})),
        "* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: \
         allowed_function_names can only be set when the function calling mode is ANY\n",
    )
    .await;
    invalid(
        &config(json!({"mode": "ANY", "allowedFunctionNames": ["UserInfo", "Person"]})),
        "* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names[1]: \
         function name `Person` is not declared in tools\n",
    )
    .await;
    // Structured output and function declarations do not mix before Gemini 3.
    let both = with(with_tool(), |b| {
        b["generationConfig"] = json!({"responseMimeType": "application/json"})
    });
    invalid(
        &both,
        "Tool use with a response mime type: 'application/json' is unsupported",
    )
    .await;
    accepted(GEMINI3, &[KEY], &both).await;
}

#[tokio::test]
async fn function_turns() {
    // A finished call: the model called, the user answered.
    accepted(
        GEMINI,
        &[KEY],
        &with_contents(json!([
            user("Extract: Ada, 36"),
            model(json!([call("UserInfo")])),
            user_parts(json!([answer("UserInfo")])),
        ])),
    )
    .await;
    // Parallel calls answered together, and a text part beside the answers.
    accepted(
        GEMINI,
        &[KEY],
        &with_contents(json!([
            user("Extract both"),
            model(json!([{"text": "Calling twice."}, call("UserInfo"), call("UserInfo")])),
            user_parts(json!([answer("UserInfo"), answer("UserInfo"), {"text": "Both failed."}])),
        ])),
    )
    .await;
    let response_first = "Please ensure that function response turn comes immediately after a \
        function call turn.";
    invalid(
        &with_contents(json!([
            user("Extract"),
            user_parts(json!([answer("UserInfo")]))
        ])),
        response_first,
    )
    .await;
    invalid(
        &with_contents(json!([
            user("Extract"),
            model(json!([{"text": "Let me think."}])),
            user_parts(json!([answer("UserInfo")])),
        ])),
        response_first,
    )
    .await;
    let call_after_user = "Please ensure that function call turn comes immediately after a user \
        turn or after a function response turn.";
    invalid(
        &with_contents(json!([
            model(json!([call("UserInfo")])),
            user_parts(json!([answer("UserInfo")]))
        ])),
        call_after_user,
    )
    .await;
    invalid(
        &with_contents(json!([
            user("Extract"),
            model(json!([{"text": "Sure."}])),
            model(json!([call("UserInfo")])),
        ])),
        call_after_user,
    )
    .await;
    invalid(
        &with_contents(json!([
            user("Extract both"),
            model(json!([call("UserInfo"), call("UserInfo")])),
            user_parts(json!([answer("UserInfo")])),
        ])),
        "Please ensure that the number of function response parts is equal to the number of \
         function call parts of the function call turn.",
    )
    .await;
}

#[tokio::test]
async fn gemini_3_thought_signatures() {
    let missing = |name: &str, position: usize| {
        format!(
            "Function call is missing a thought_signature in functionCall parts. This is \
             required for tools to work correctly, and missing thought_signature may lead to \
             degraded model performance. Additional data, function call `default_api:{name}` , \
             position {position}. Please refer to \
             https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
        )
    };
    let unsigned = with_contents(json!([
        user("Extract: Ada, 36"),
        model(json!([call("UserInfo")])),
        user_parts(json!([answer("UserInfo")])),
    ]));
    invalid_at(GEMINI3, &unsigned, &missing("UserInfo", 2)).await;
    invalid_at(
        "/v1beta/models/gemini-3.1-flash-preview:streamGenerateContent?alt=sse",
        &unsigned,
        &missing("UserInfo", 2),
    )
    .await;
    // Gemini 2.5 and Gemini 3 Pro Image do not enforce it.
    accepted(GEMINI, &[KEY], &unsigned).await;
    accepted(
        "/v1beta/models/gemini-3-pro-image-preview:generateContent",
        &[KEY],
        &unsigned,
    )
    .await;
    accepted(
        GEMINI3,
        &[KEY],
        &with_contents(json!([
            user("Extract: Ada, 36"),
            model(json!([signed("UserInfo")])),
            user_parts(json!([answer("UserInfo")])),
        ])),
    )
    .await;
    // Parallel calls: only the first one carries it.
    accepted(
        GEMINI3,
        &[KEY],
        &with_contents(json!([
            user("Extract both"),
            model(json!([signed("UserInfo"), call("UserInfo")])),
            user_parts(json!([answer("UserInfo"), answer("UserInfo")])),
        ])),
    )
    .await;
    // Each step of the current turn needs it...
    invalid_at(
        GEMINI3,
        &with_contents(json!([
            user("Extract: Ada, 36"),
            model(json!([signed("UserInfo")])),
            user_parts(json!([answer("UserInfo")])),
            model(json!([call("UserInfo")])),
            user_parts(json!([answer("UserInfo")])),
        ])),
        &missing("UserInfo", 4),
    )
    .await;
    // ...but earlier turns are not checked.
    accepted(
        GEMINI3,
        &[KEY],
        &with_contents(json!([
            user("Extract: Ada, 36"),
            model(json!([call("UserInfo")])),
            user_parts(json!([answer("UserInfo")])),
            model(json!([{"text": "Done."}])),
            user("Now Grace Hopper, 85"),
            model(json!([signed("UserInfo")])),
            user_parts(json!([answer("UserInfo")])),
        ])),
    )
    .await;
    // The signature is base64.
    invalid_at(
        GEMINI3,
        &with_contents(json!([
            user("Extract"),
            model(json!([with(call("UserInfo"), |p| p["thoughtSignature"] =
                json!("not a signature!"))])),
            user_parts(json!([answer("UserInfo")])),
        ])),
        "Invalid value at 'contents[1].parts[0].thought_signature' (TYPE_BYTES), Base64 decoding \
         failed for \"not a signature!\"",
    )
    .await;
}

#[tokio::test]
async fn other_paths_are_not_checked() {
    let server = FakeServer::start(vec![Reply::content("hello")])
        .await
        .unwrap();
    let a = send(&server, "/v1/chat/completions", &[], "{}".into()).await;
    assert_eq!(a.status, 200);
    let a = send(
        &server,
        "/v1beta/models/gemini-2.5-flash:countTokens",
        &[],
        "{}".into(),
    )
    .await;
    assert_eq!(a.status, 200);
}

/// A JSON answer's body, as served over HTTP.
async fn served(reply: Reply) -> Answer {
    let server = FakeServer::start(vec![reply]).await.unwrap();
    let a = post(&server, &base()).await;
    assert_eq!(
        a.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    a
}

fn assert_usage(v: &Value) {
    assert_eq!(v["usageMetadata"]["promptTokenCount"], GEMINI_PROMPT_TOKENS);
    assert_eq!(
        v["usageMetadata"]["candidatesTokenCount"],
        GEMINI_CANDIDATES_TOKENS
    );
    assert_eq!(
        v["usageMetadata"]["cachedContentTokenCount"],
        GEMINI_CACHED_TOKENS
    );
    assert_eq!(
        v["usageMetadata"]["thoughtsTokenCount"],
        GEMINI_THOUGHTS_TOKENS
    );
    assert_eq!(v["usageMetadata"]["totalTokenCount"], GEMINI_TOTAL_TOKENS);
    assert_eq!(v["modelVersion"], GEMINI_MODEL_VERSION);
    assert_eq!(v["responseId"], GEMINI_RESPONSE_ID);
}

#[tokio::test]
async fn scripted_answers() {
    assert_eq!(
        (
            GEMINI_PROMPT_TOKENS,
            GEMINI_CANDIDATES_TOKENS,
            GEMINI_CACHED_TOKENS,
            GEMINI_THOUGHTS_TOKENS,
            GEMINI_TOTAL_TOKENS
        ),
        (40, 12, 8, 20, 72)
    );
    let a = served(Reply::gemini_function_call(
        "UserInfo",
        json!({"name": "Ada Lovelace", "age": 36}),
    ))
    .await;
    assert_eq!(a.status, 200);
    assert!(a.text.starts_with("{\n  \"candidates\": [\n"), "{}", a.text);
    let v = a.json();
    assert_eq!(
        v["candidates"][0],
        json!({
            "content": {"parts": [{"functionCall": {"name": "UserInfo", "args": {"name": "Ada Lovelace", "age": 36}}}],
                        "role": "model"},
            "finishReason": "STOP",
            "index": 0,
            "finishMessage": "Model generated function call(s).",
        })
    );
    assert_usage(&v);

    let v = served(Reply::gemini_function_calls(&[
        ("UserInfo", json!({"name": "Ada"})),
        ("UserInfo", json!({"name": "Grace"})),
    ]))
    .await
    .json();
    let parts = v["candidates"][0]["content"]["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[1]["functionCall"]["args"]["name"], "Grace");

    let v = served(Reply::gemini_function_call_signed(
        "UserInfo",
        json!({}),
        "c2lnLTE=",
    ))
    .await
    .json();
    assert_eq!(
        v["candidates"][0]["content"]["parts"][0]["thoughtSignature"],
        "c2lnLTE="
    );

    let a = served(Reply::gemini_text("{\"name\": \"Ada <Lovelace>\"}")).await;
    assert!(a.text.contains("\\u003cLovelace\\u003e"), "{}", a.text);
    assert_eq!(a.text_part(), "{\"name\": \"Ada <Lovelace>\"}");
    assert_eq!(a.json()["candidates"][0]["finishReason"], "STOP");
    assert_usage(&a.json());

    let v = served(Reply::gemini_max_tokens("{\"name\": \"Ad"))
        .await
        .json();
    assert_eq!(v["candidates"][0]["finishReason"], "MAX_TOKENS");
    assert_eq!(
        v["candidates"][0]["content"]["parts"][0]["text"],
        "{\"name\": \"Ad"
    );
    let v = served(Reply::gemini_max_tokens("")).await.json();
    assert_eq!(v["candidates"][0]["content"], json!({"role": "model"}));

    let v = served(Reply::gemini_safety_block()).await.json();
    let c = &v["candidates"][0];
    assert_eq!(c["finishReason"], "SAFETY");
    assert!(c.get("content").is_none());
    let ratings = c["safetyRatings"].as_array().unwrap();
    assert_eq!(ratings.len(), 4);
    assert_eq!(ratings.iter().filter(|r| r["blocked"] == true).count(), 1);

    let v = served(Reply::gemini_prompt_blocked()).await.json();
    assert!(v.get("candidates").is_none());
    assert_eq!(v["promptFeedback"]["blockReason"], "SAFETY");
    assert_eq!(v["usageMetadata"]["totalTokenCount"], GEMINI_PROMPT_TOKENS);

    let a = served(Reply::gemini_error(
        503,
        "UNAVAILABLE",
        "The model is overloaded. Please try again later.",
    ))
    .await;
    assert_eq!(a.status, 503);
    assert_eq!(
        a.text,
        "{\n  \"error\": {\n    \"code\": 503,\n    \"message\": \"The model is overloaded. Please \
         try again later.\",\n    \"status\": \"UNAVAILABLE\"\n  }\n}"
    );

    let a = served(Reply::gemini_model_not_found("gemini-1.5-flash")).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.json()["error"]["status"], "NOT_FOUND");
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("models/gemini-1.5-flash is not found for API version v1beta")
    );

    let a = served(Reply::gemini_rate_limited("32s")).await;
    assert_eq!(a.status, 429);
    assert!(a.header("retry-after").is_none());
    let e = &a.json()["error"];
    assert_eq!(e["status"], "RESOURCE_EXHAUSTED");
    let details = e["details"].as_array().unwrap();
    assert_eq!(
        details.last().unwrap(),
        &json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "32s"})
    );
    assert_eq!(
        details[0]["@type"],
        "type.googleapis.com/google.rpc.QuotaFailure"
    );
}

/// The raw body of a stream answer (`path` with `alt=sse`), after checking its content type.
async fn stream_body(reply: Reply) -> String {
    let server = FakeServer::start(vec![reply]).await.unwrap();
    let a = send(&server, STREAM, &[KEY], base().to_string()).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.header("content-type"), Some("text/event-stream"));
    a.text
}

/// The `data:` events of a Gemini stream (framed by `\r\n\r\n`), and what follows them.
fn events(body: &str) -> (Vec<Value>, String) {
    let mut events = Vec::new();
    let mut rest = body;
    while let Some(data) = rest.strip_prefix("data: ") {
        let end = data
            .find("\r\n\r\n")
            .expect("an event ends with a blank CRLF line");
        let line = &data[..end];
        assert!(!line.contains('\n'), "one line per event: {line}");
        events.push(serde_json::from_str(line).unwrap());
        rest = &data[end + 4..];
    }
    (events, rest.to_string())
}

fn text_of(events: &[Value]) -> String {
    events
        .iter()
        .map(|e| {
            e["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .unwrap_or("")
        })
        .collect()
}

#[tokio::test]
async fn streamed_text() {
    let text = "{\"name\": \"Ada Lovelace\", \"age\": 36}";
    let body = stream_body(Reply::gemini_stream_text(text, 5)).await;
    assert!(!body.contains("[DONE]"));
    assert!(
        body.starts_with("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": "),
        "Google's printer style: {body}"
    );
    let (evs, rest) = events(&body);
    assert_eq!(rest, "", "the stream ends after its last event");
    assert_eq!(evs.len(), text.chars().count().div_ceil(5));
    assert_eq!(text_of(&evs), text);
    let (last, earlier) = evs.split_last().unwrap();
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert_usage(last);
    let mut so_far = 0;
    for e in earlier {
        assert!(e["candidates"][0].get("finishReason").is_none());
        let c = e["usageMetadata"]["candidatesTokenCount"].as_u64().unwrap();
        assert!(so_far <= c && c <= GEMINI_CANDIDATES_TOKENS, "{e}");
        so_far = c;
        assert_eq!(
            e["usageMetadata"]["totalTokenCount"],
            GEMINI_PROMPT_TOKENS + c + GEMINI_THOUGHTS_TOKENS
        );
    }

    // Re-cut on the wire, the bytes are the same.
    let rechunked = stream_body(Reply::gemini_stream_text(text, 5).rechunked(3)).await;
    assert_eq!(rechunked, body);
    // Cut short: no finishReason.
    let (evs, _) = events(&stream_body(Reply::gemini_stream_text(text, 5).cut_after(2)).await);
    assert_eq!(evs.len(), 2);
    assert!(
        evs.iter()
            .all(|e| e["candidates"][0].get("finishReason").is_none())
    );
    // Paced.
    let started = Instant::now();
    let paced =
        stream_body(Reply::gemini_stream_text("abcdef", 2).paced(Duration::from_millis(20))).await;
    assert!(started.elapsed() >= Duration::from_millis(60));
    assert_eq!(text_of(&events(&paced).0), "abcdef");
    // An empty text is one chunk.
    let (evs, _) = events(&stream_body(Reply::gemini_stream_text("", 5)).await);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0]["candidates"][0]["finishReason"], "STOP");
}

#[tokio::test]
async fn streamed_function_calls() {
    let args = json!({"name": "Ada Lovelace", "age": 36});
    let (evs, rest) =
        events(&stream_body(Reply::gemini_stream_function_call("UserInfo", args.clone())).await);
    assert_eq!((evs.len(), rest.as_str()), (1, ""), "a call arrives whole");
    let c = &evs[0]["candidates"][0];
    assert_eq!(
        c["content"]["parts"][0]["functionCall"],
        json!({"name": "UserInfo", "args": args})
    );
    assert_eq!(c["finishReason"], "STOP");
    assert_usage(&evs[0]);

    let (evs, _) = events(
        &stream_body(Reply::gemini_stream_function_call_signed(
            "UserInfo",
            args.clone(),
            "c2ln",
        ))
        .await,
    );
    assert_eq!(
        evs[0]["candidates"][0]["content"]["parts"][0]["thoughtSignature"],
        "c2ln"
    );
    let (evs, _) = events(
        &stream_body(Reply::gemini_stream_function_calls(&[
            ("UserInfo", json!({"name": "Ada"})),
            ("UserInfo", json!({"name": "Grace"})),
        ]))
        .await,
    );
    assert_eq!(
        evs[0]["candidates"][0]["content"]["parts"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn errors_in_the_middle_of_a_stream() {
    let body = stream_body(
        Reply::gemini_stream_text("{\"name\": \"Ada Lovelace\"}", 4).gemini_error_after(
            2,
            503,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
        ),
    )
    .await;
    let (evs, rest) = events(&body);
    assert_eq!(evs.len(), 2);
    // Not an SSE event: a bare pretty-printed error object.
    assert_eq!(
        rest,
        "{\n  \"error\": {\n    \"code\": 503,\n    \"message\": \"The model is overloaded. \
         Please try again later.\",\n    \"status\": \"UNAVAILABLE\"\n  }\n}\n"
    );
}

#[tokio::test]
async fn streams_without_alt_sse_are_json_arrays() {
    let server = FakeServer::start(vec![Reply::gemini_stream_text("Hello there", 4)])
        .await
        .unwrap();
    for query in ["", "?alt=json"] {
        let a = send(
            &server,
            &format!("/v1beta/models/gemini-2.5-flash:streamGenerateContent{query}"),
            &[KEY],
            base().to_string(),
        )
        .await;
        assert_eq!(a.status, 200);
        assert_eq!(
            a.header("content-type"),
            Some("application/json; charset=UTF-8")
        );
        let items = a.json();
        let items = items.as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(text_of(items), "Hello there");
        assert_eq!(items[2]["candidates"][0]["finishReason"], "STOP");
    }
    // A refusal up front is an array of one error.
    let a = send(
        &server,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
        &[],
        base().to_string(),
    )
    .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.json()[0]["error"]["status"], "PERMISSION_DENIED");
    // So is a mid-stream error block, and a scripted error.
    let server = FakeServer::start(vec![
        Reply::gemini_stream_text("Hello there", 4).gemini_error_after(1, 500, "INTERNAL", "boom"),
        Reply::gemini_error(
            429,
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota).",
        ),
    ])
    .await
    .unwrap();
    let path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";
    let items = send(&server, path, &[KEY], base().to_string()).await.json();
    assert_eq!(
        items[0]["candidates"][0]["content"]["parts"][0]["text"],
        "Hell"
    );
    assert_eq!(items[1]["error"]["code"], 500);
    let a = send(&server, path, &[KEY], base().to_string()).await;
    assert_eq!(
        (a.status, a.json()[0]["error"]["code"].clone()),
        (429, json!(429))
    );
}

#[tokio::test]
async fn script_forms() {
    let spec = |v: Value| Reply::from_spec(&v).unwrap();
    let body = |r: Reply| -> Value {
        match r {
            Reply::Bytes { body, .. } => serde_json::from_slice(&body).unwrap(),
            other => panic!("not a body: {other:?}"),
        }
    };
    let stream = |r: Reply| match r {
        Reply::Stream(s) => s,
        other => panic!("not a stream: {other:?}"),
    };
    for args in [
        json!({"name": "Ada", "age": 36}),
        json!("{\"name\": \"Ada\", \"age\": 36}"),
    ] {
        let v = body(spec(
            json!({"gemini_function_call": {"name": "UserInfo", "args": args}}),
        ));
        assert_eq!(
            v["candidates"][0]["content"]["parts"][0]["functionCall"],
            json!({"name": "UserInfo", "args": {"name": "Ada", "age": 36}})
        );
    }
    let v = body(spec(json!({"gemini_text": "Hello"})));
    assert_eq!(v["candidates"][0]["content"]["parts"][0]["text"], "Hello");

    let s = stream(spec(
        json!({"gemini_stream_text": {"text": "Hello there", "chunk": 3, "pace_ms": 4}}),
    ));
    assert_eq!(s.pace, Some(Duration::from_millis(4)));
    let (evs, _) = events(&s.events.concat());
    assert_eq!((evs.len(), text_of(&evs)), (4, "Hello there".to_string()));
    let s = stream(spec(json!({"gemini_stream_text": {"text": "Hello there"}})));
    assert_eq!((s.pace, s.events.len()), (None, 2));
    let s = stream(spec(
        json!({"gemini_stream_function_call": {"name": "UserInfo", "args": {"name": "Ada"}}}),
    ));
    assert_eq!(s.events.len(), 1);

    let r = spec(
        json!({"gemini_error": {"status": 503, "google_status": "UNAVAILABLE", "message": "Overloaded"}}),
    );
    assert!(matches!(r, Reply::Bytes { status: 503, .. }));
    assert_eq!(
        body(r)["error"],
        json!({"code": 503, "message": "Overloaded", "status": "UNAVAILABLE"})
    );
    let v = body(spec(json!({"gemini_rate_limited": {"retry_delay": "5s"}})));
    assert_eq!(v["error"]["details"][2]["retryDelay"], "5s");
    assert!(matches!(
        spec(json!({"delay_ms": 5, "then": {"gemini_text": "late"}})),
        Reply::Delay(_, _)
    ));
    assert!(Reply::from_spec(&json!({"gemini_function_call": {"name": "X"}})).is_err());
    assert!(
        Reply::from_spec(&json!({"gemini_function_call": {"name": "X", "args": "{broken"}}))
            .is_err()
    );
    assert!(Reply::from_spec(&json!({"gemini_text": 3})).is_err());
    assert!(Reply::from_spec(&json!({"gemini_error": {"status": 500}})).is_err());
}

/// The recorded-shape fixtures are Gemini streams as the real API writes them.
#[tokio::test]
async fn fixtures_are_well_formed() {
    let dir = format!("{}/../fixtures/sse", env!("CARGO_MANIFEST_DIR"));
    let read = |file: &str| std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
    for file in [
        "gemini_text_json.sse",
        "gemini_function_call.sse",
        "gemini_error_midstream.sse",
    ] {
        let text = read(file);
        assert!(
            text.starts_with("data: {\"candidates\": [{\"content\": {\"parts\": ["),
            "{file}"
        );
        let (evs, rest) = events(&text);
        assert!(!evs.is_empty(), "{file}");
        for e in &evs {
            let u = &e["usageMetadata"];
            let sum = u["promptTokenCount"].as_u64().unwrap()
                + u["candidatesTokenCount"].as_u64().unwrap_or(0)
                + u["thoughtsTokenCount"].as_u64().unwrap_or(0);
            assert_eq!(u["totalTokenCount"], sum, "{file}: {e}");
            assert_eq!(e["responseId"], evs[0]["responseId"], "{file}");
            assert_eq!(e["candidates"][0]["content"]["role"], "model", "{file}");
        }
        match file {
            "gemini_text_json.sse" => {
                assert_eq!(rest, "");
                let answer: Value = serde_json::from_str(&text_of(&evs)).unwrap();
                assert_eq!(answer, json!({"name": "Ada Lovelace", "age": 36}));
                assert_eq!(evs.last().unwrap()["candidates"][0]["finishReason"], "STOP");
            }
            "gemini_function_call.sse" => {
                assert_eq!((evs.len(), rest.as_str()), (1, ""));
                let part = &evs[0]["candidates"][0]["content"]["parts"][0];
                assert_eq!(part["functionCall"]["name"], "UserInfo");
                assert_eq!(
                    part["functionCall"]["args"],
                    json!({"name": "Ada Lovelace", "age": 36})
                );
                assert!(part["thoughtSignature"].is_string());
                assert_eq!(evs[0]["candidates"][0]["finishReason"], "STOP");
            }
            _ => {
                assert!(
                    evs.iter()
                        .all(|e| e["candidates"][0].get("finishReason").is_none())
                );
                let error: Value = serde_json::from_str(&rest).unwrap();
                assert_eq!(error["error"]["code"], 503);
                assert_eq!(error["error"]["status"], "UNAVAILABLE");
            }
        }
        // Served as a recorded stream, re-cut, the bytes arrive unchanged.
        let body = stream_body(Reply::sse(&text).rechunked(7)).await;
        assert_eq!(body, text, "{file}");
    }
}
