//! The `quarry` binary, end to end: every exit code, and a table of bad inputs each with the
//! exit code and the message a person sees. Servers are fakes started by each test.

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::{Value, json};

const KEY: &str = "sk-cli-test-0123456789";
const PERSON_OK: &str = r#"{"name": "Ada Lovelace", "age": 36, "email": null, "phone": null, "occupation": "mathematician", "address": null}"#;

fn quarry() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("quarry"));
    cmd.env_remove("OPENAI_API_KEY")
        .env_remove("AZURE_OPENAI_ENDPOINT")
        .env("QUARRY_TEST_KEY", KEY)
        // Never the developer's own history.
        .env(
            "QUARRY_DB",
            std::env::temp_dir().join(format!("quarry-cli-{}.db", std::process::id())),
        );
    cmd
}

/// `quarry extract` against `server` with the example person schema.
fn extract(server: &FakeServer) -> Command {
    let mut cmd = quarry();
    cmd.args([
        "extract",
        "--provider",
        "openai/gpt-4o-mini",
        "--api-key-env",
        "QUARRY_TEST_KEY",
        "--base-url",
        &server.base_url(),
        "--schema",
        "person",
        "--max-retries",
        "1",
    ]);
    cmd
}

fn temp_file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_0_prints_the_validated_json() {
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let out = extract(&server)
        .arg("--compact")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["name"], "Ada Lovelace");
    // The example's sample text was sent with the default prompt.
    let sent = server.requests()[0].body["messages"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(sent.contains("Okonkwo-Lindqvist"), "{sent}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_system_and_vars_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let doc = temp_file(&dir, "doc.txt", "Ada Lovelace, 36");
    let prompt = temp_file(
        &dir,
        "prompt.j2",
        "Document ({{ lang }}):\n{{ doc }}{% for t in tags %} #{{ t }}{% endfor %}",
    );
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    extract(&server)
        .args(["--system", "Be precise.", "--var", "lang=en"])
        .args(["--var-json", r#"tags=["a", "b"]"#])
        .arg("--var")
        .arg(format!("doc=@{}", doc.display()))
        .arg("--prompt")
        .arg(format!("@{}", prompt.display()))
        .args([
            "--temperature",
            "0.2",
            "--max-tokens",
            "300",
            "--mode",
            "TOOLS_STRICT",
        ])
        .assert()
        .success();
    let body = &server.requests()[0].body;
    assert_eq!(
        body["messages"][0],
        json!({"role": "system", "content": "Be precise."})
    );
    assert_eq!(
        body["messages"][1]["content"],
        "Document (en):\nAda Lovelace, 36 #a #b"
    );
    assert_eq!(body["temperature"], 0.2);
    assert_eq!(body["max_tokens"], 300);
    assert_eq!(body["tools"][0]["function"]["strict"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_headers_and_extra_body() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("scan.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n fake bytes").unwrap();
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    extract(&server)
        .arg("--image")
        .arg(&png)
        .args(["--image", "https://example.com/a.jpg"])
        .args([
            "--header",
            "X-Team: research",
            "--extra",
            "parallel_tool_calls=false",
        ])
        .args(["--seed", "7", "--top-p", "0.9", "--stop", "END"])
        .assert()
        .success();
    let r = &server.requests()[0];
    let parts = r.body["messages"][0]["content"].as_array().unwrap().clone();
    assert_eq!(parts[0]["type"], "text");
    assert_eq!(
        parts[1]["image_url"]["url"],
        "data:image/png;base64,iVBORw0KGgogZmFrZSBieXRlcw=="
    );
    assert_eq!(parts[2]["image_url"]["url"], "https://example.com/a.jpg");
    assert_eq!(r.header("x-team"), Some("research"));
    assert_eq!(r.body["parallel_tool_calls"], false);
    assert_eq!(
        (r.body["seed"].clone(), r.body["top_p"].clone()),
        (json!(7), json!(0.9))
    );
    assert_eq!(r.body["stop"], json!(["END"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_json_lines_on_stderr_without_the_key() {
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", "{}"),
        Reply::tool_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    let out = extract(&server)
        .arg("--events")
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let types: Vec<String> = stderr
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        types,
        [
            "run_started",
            "completion:kwargs",
            "completion:response",
            "parse:error",
            "reask",
            "completion:kwargs",
            "completion:response",
            "run_succeeded"
        ]
    );
    assert!(!stderr.contains("0123456789"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeat_reports_success_rate_latency_and_cpu() {
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    extract(&server)
        .args(["--repeat", "20", "--compact"])
        .assert()
        .success()
        .stderr(predicate::str::is_match(
            r"quarry: 20 runs, 20 ok \(100\.0%\), latency p50 [0-9.]+ ms, p95 [0-9.]+ ms, cpu [0-9.]+ µs/call",
        ).unwrap());
    assert_eq!(server.requests().len(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_3_for_provider_errors() {
    let server = FakeServer::start(vec![Reply::error(
        401,
        "invalid_api_key",
        "Incorrect API key provided",
    )])
    .await
    .unwrap();
    extract(&server)
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "answered HTTP 401: Incorrect API key provided",
        ))
        .stderr(predicate::str::contains("fix: check the API key"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_4_lists_every_attempt() {
    let server = FakeServer::start(vec![Reply::tool_call(
        "Person",
        r#"{"name": "Ada", "age": 400}"#,
    )])
    .await
    .unwrap();
    extract(&server)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("still invalid after 2 attempt(s)"))
        .stderr(predicate::str::contains("attempt 1:"))
        .stderr(predicate::str::contains("attempt 2:"))
        .stderr(predicate::str::contains(
            "at /age: 400 is greater than the maximum of 150",
        ));
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_5_for_incomplete_output_and_refusals() {
    let server = FakeServer::start(vec![Reply::length("Person", r#"{"name": "Ad"#)])
        .await
        .unwrap();
    extract(&server)
        .assert()
        .code(5)
        .stderr(predicate::str::contains("stopped before finishing"))
        .stderr(predicate::str::contains("--max-tokens"));
    let server = FakeServer::start(vec![Reply::refusal("I won't.")])
        .await
        .unwrap();
    extract(&server)
        .assert()
        .code(5)
        .stderr(predicate::str::contains("the model refused: I won't."));
}

/// (case, extra args, schema file contents or None for the example, reply, exit code, stderr must contain)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_table() {
    let dir = tempfile::tempdir().unwrap();
    type Case<'a> = (
        &'a str,
        Vec<&'a str>,
        Option<&'a str>,
        Option<Reply>,
        i32,
        &'a [&'a str],
    );
    let cases: Vec<Case> = vec![
        (
            "schema not JSON",
            vec![],
            Some("{\"type\": \"object\",\n  \"properties\": {,}}"),
            None,
            2,
            &["schema is not valid JSON", "line 2", "in: "],
        ),
        (
            "schema not an object",
            vec![],
            Some("[1, 2]"),
            None,
            2,
            &["must be a JSON object, found an array"],
        ),
        (
            "unresolvable $ref",
            vec![],
            Some(r##"{"type": "object", "properties": {"a": {"$ref": "#/$defs/Nope"}}}"##),
            None,
            2,
            &[
                "$ref `#/$defs/Nope` at /properties/a/$ref does not resolve",
                "fix: define the referenced schema",
            ],
        ),
        (
            "invalid keyword",
            vec![],
            Some(r#"{"type": "object", "properties": {"a": {"type": "strng"}}}"#),
            None,
            2,
            &["not a valid JSON Schema", "strng"],
        ),
        (
            "undefined template variable",
            vec!["--prompt", "Hi {{ naem }}", "--var", "name=x"],
            None,
            None,
            2,
            &[
                "message 1 (user), line 1: undefined variable `naem`",
                "--var naem=VALUE",
            ],
        ),
        (
            "template syntax error",
            vec!["--prompt", "a\n{% if x %}"],
            None,
            None,
            2,
            &["template syntax error in message 1 (user), line"],
        ),
        (
            "unknown provider",
            vec!["--provider", "openia/gpt-4o"],
            None,
            None,
            2,
            &["unknown provider `openia`", "openai"],
        ),
        (
            "provider without model",
            vec!["--provider", "openai"],
            None,
            None,
            2,
            &["has no model", "PROVIDER/MODEL"],
        ),
        (
            "unknown mode",
            vec!["--mode", "XML"],
            None,
            None,
            2,
            &["unknown mode `XML`", "md_json"],
        ),
        (
            "mode unsupported by provider",
            vec!["--mode", "ANTHROPIC_TOOLS"],
            None,
            None,
            2,
            &[
                "does not support mode `ANTHROPIC_TOOLS`",
                "a mode of the anthropic provider",
                "openai accepts: tools",
            ],
        ),
        (
            "missing key",
            vec!["--api-key-env", "QUARRY_NO_SUCH_KEY"],
            None,
            None,
            2,
            &[
                "QUARRY_NO_SUCH_KEY is not set",
                "export QUARRY_NO_SUCH_KEY=",
            ],
        ),
        (
            "unknown example",
            vec!["--schema", "nosuch"],
            None,
            None,
            2,
            &["neither a file nor an example", "invoice"],
        ),
        (
            "var without =",
            vec!["--var", "novalue"],
            None,
            None,
            2,
            &["has no `=`"],
        ),
        (
            "var-json not JSON",
            vec!["--var-json", "n=[1,"],
            None,
            None,
            2,
            &["`n`: the value is not JSON"],
        ),
        (
            "missing @file",
            vec!["--prompt", "@/nonexistent/p.txt"],
            None,
            None,
            2,
            &["cannot read --prompt file"],
        ),
        (
            "server answers non-JSON",
            vec![],
            None,
            Some(Reply::garbage(200, "<html>502 Bad Gateway</html>")),
            3,
            &["not a completion", "not JSON", "base URL"],
        ),
        (
            "no tool call",
            vec![],
            None,
            Some(Reply::content("Ada is 36")),
            4,
            &["no function was called; call `Person`"],
        ),
        (
            "wrong tool name",
            vec![],
            None,
            Some(Reply::tool_call("Human", PERSON_OK)),
            4,
            &["the function called was `Human`, but the one to call is `Person`"],
        ),
        (
            "arguments not JSON",
            vec![],
            None,
            Some(Reply::tool_call("Person", "{'name': 'Ada'}")),
            4,
            &["arguments of `Person` are not valid JSON"],
        ),
        (
            "empty arguments",
            vec![],
            None,
            Some(Reply::tool_call("Person", "")),
            4,
            &["arguments of `Person` are empty"],
        ),
        (
            "timeout beyond any duration",
            vec!["--timeout", "1e20"],
            None,
            None,
            2,
            &[
                "--timeout 100000000000000000000 is not a number of seconds",
                "30 days",
            ],
        ),
        (
            "timeout not a number",
            vec!["--timeout", "NaN"],
            None,
            None,
            2,
            &["--timeout NaN is not a number of seconds"],
        ),
        (
            "re-asks without end",
            vec!["--max-retries", "4294967295"],
            None,
            None,
            2,
            &[
                "4294967295 re-asks is more than the 100 Quarry makes",
                "in: --max-retries",
            ],
        ),
        (
            "request timeout zero",
            vec!["--request-timeout", "0"],
            None,
            None,
            2,
            &["--request-timeout 0 is not a number of seconds"],
        ),
        (
            "header with a line break",
            vec!["--header", "X-Team: a\r\nX-Injected: 1"],
            None,
            None,
            2,
            &["header `X-Team` contains a line break", "in: --header"],
        ),
        (
            "header name with a space",
            vec!["--header", "X Team: a"],
            None,
            None,
            2,
            &["`X Team` is not a valid HTTP header name", "in: --header"],
        ),
        (
            "base URL with a file scheme",
            vec!["--base-url", "file:///etc/passwd"],
            None,
            None,
            2,
            &["uses the `file:` scheme", "in: --base-url"],
        ),
        (
            "base URL that is not a URL",
            vec!["--base-url", "not a url"],
            None,
            None,
            2,
            &["`not a url` is not a URL", "in: --base-url"],
        ),
        (
            "live view without a partial stream",
            vec!["--live"],
            None,
            None,
            2,
            &["--live draws a partial stream", "add --stream partial"],
        ),
        (
            "snapshots without a partial stream",
            vec!["--snapshots", "--stream", "iterable"],
            None,
            None,
            2,
            &["--snapshots prints the object of a partial stream"],
        ),
        (
            "iterable stream of a schema without a list",
            vec!["--stream", "iterable"],
            None,
            None,
            2,
            &["an iterable stream needs a list", "in: --stream"],
        ),
        (
            "an image that is a device",
            vec!["--image", "/dev/zero"],
            None,
            None,
            2,
            &["--image `/dev/zero` is not a PNG, JPEG, GIF or WebP image"],
        ),
        (
            "a variable file that never ends",
            vec!["--prompt", "{{ text }}", "--var", "text=@/dev/zero"],
            None,
            None,
            2,
            &["--var file `/dev/zero` is larger than the limit of 64 MiB"],
        ),
        (
            "a ref cycle",
            vec!["--mode", "tools_strict"],
            Some(
                r##"{"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}},
                "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}}"##,
            ),
            None,
            2,
            &["go round in a circle", "#/$defs/A → #/$defs/B → #/$defs/A"],
        ),
        (
            "server answers an HTML page",
            vec![],
            None,
            Some(Reply::Raw {
                status: 200,
                body: "<html><head><title>Captive portal</title></head></html>".into(),
                content_type: "text/html".into(),
            }),
            3,
            &["an HTML page titled \"Captive portal\""],
        ),
        (
            "rate limit asking for an hour",
            vec![],
            None,
            Some(Reply::rate_limited("3600")),
            3,
            &["HTTP 429", "asked to wait 1 h"],
        ),
    ];
    for (i, (name, args, schema, reply, code, needles)) in cases.into_iter().enumerate() {
        let server = FakeServer::start(reply.into_iter().collect())
            .await
            .unwrap();
        let mut cmd = extract(&server);
        if let Some(text) = schema {
            let path = temp_file(&dir, &format!("schema{i}.json"), text);
            cmd.arg("--schema").arg(path);
        }
        cmd.args(&args);
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{name}: {stderr}");
        for needle in needles {
            assert!(
                stderr.contains(needle),
                "{name}: expected `{needle}` in:\n{stderr}"
            );
        }
        assert!(stderr.contains("fix: "), "{name}: no fix in:\n{stderr}");
        assert!(
            out.stdout.is_empty(),
            "{name}: stdout must stay empty on failure"
        );
        if code == 2 {
            assert!(
                server.requests().is_empty(),
                "{name}: bad input must fail before sending"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_message_cannot_drive_the_terminal() {
    let hostile = "bad request\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}gnp.exe";
    let server = FakeServer::start(vec![Reply::error(400, "invalid_request_error", hostile)])
        .await
        .unwrap();
    let out = extract(&server).arg("--events").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
        assert!(
            !stderr.contains(c),
            "{c:?} reached the terminal: {stderr:?}"
        );
    }
    assert!(stderr.contains("bad request\\u001b]0;pwned"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_with_a_stray_carriage_return_is_bad_input_and_never_printed() {
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let out = extract(&server)
        .env("QUARRY_TEST_KEY", format!("{KEY}\r"))
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("contains a carriage return (\\r) at its end"),
        "{stderr}"
    );
    assert!(!stderr.contains(&KEY[3..]), "{stderr}");
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_headers_and_urls_never_reach_the_terminal() {
    let server = FakeServer::start(vec![Reply::error(500, "server_error", "boom")])
        .await
        .unwrap();
    let base = server
        .base_url()
        .replace("http://", "http://alice:url-pass-0001@");
    let out = extract(&server)
        .args(["--base-url", &base, "--events", "--max-retries", "0"])
        .args(["--header", "X-Api-Key: header-key-0002"])
        .args(["--header", "Authorization: Bearer bearer-0003"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let all =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    for secret in ["url-pass-0001", "header-key-0002", "bearer-0003", &KEY[3..]] {
        assert!(!all.contains(secret), "{secret} printed: {all}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_reaches_the_user_when_the_history_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    quarry()
        .args(["runs", "list"])
        .env("QUARRY_DB", &db)
        .assert()
        .success();
    // Another process holds the write lock for longer than Quarry waits for it.
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let out = extract(&server)
        .env("QUARRY_DB", &db)
        .arg("--compact")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], "Ada Lovelace", "the result is printed");
    assert!(
        stderr.contains("was not recorded in the run history"),
        "{stderr}"
    );
    assert!(stderr.contains("locked"), "{stderr}");
    holder.execute_batch("ROLLBACK").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_reach_the_history_or_its_exports() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let base = server
        .base_url()
        .replace("http://", "http://alice:url-pass-0004@");
    extract(&server)
        .env("QUARRY_DB", &db)
        .args(["--base-url", &base, "--max-retries", "0"])
        .args(["--header", "X-Api-Key: header-key-0005"])
        .args(["--header", "X-Portkey-Virtual-Key: portkey-0006"])
        .args(["--header", "Authorization: Bearer bearer-0007"])
        .assert()
        .success();
    assert_eq!(
        server.requests()[0].header("x-portkey-virtual-key"),
        Some("portkey-0006")
    );
    let show = quarry()
        .env("QUARRY_DB", &db)
        .args(["runs", "show", "1", "--json"])
        .output()
        .unwrap();
    let archive = quarry()
        .env("QUARRY_DB", &db)
        .args(["runs", "export", "1", "--format", "run"])
        .output()
        .unwrap();
    assert!(show.status.success() && archive.status.success());
    let mut seen = String::from_utf8_lossy(&show.stdout).to_string();
    seen.push_str(&String::from_utf8_lossy(&archive.stdout));
    assert!(
        seen.contains("X-Portkey-Virtual-Key"),
        "the header is recorded, its value not"
    );
    // The database's own bytes, the write-ahead log included.
    for file in ["h.db", "h.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(file)) {
            seen.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    for secret in [
        "url-pass-0004",
        "header-key-0005",
        "portkey-0006",
        "bearer-0007",
        &KEY[3..],
    ] {
        assert!(!seen.contains(secret), "{secret} is in the history");
    }
    // Rerunning it asks for the credentials it does not have.
    let rerun = quarry()
        .env("QUARRY_DB", &db)
        .args(["runs", "rerun", "1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&rerun.stderr);
    assert_eq!(rerun.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not kept in the run history"), "{stderr}");
}

#[test]
fn a_local_server_that_is_not_running_says_how_to_start_it() {
    let out = quarry()
        .args([
            "extract",
            "--provider",
            "ollama/llama3.1",
            "--base-url",
            "http://127.0.0.1:9/v1",
        ])
        .args(["--schema", "person", "--max-retries", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("`ollama serve`, then `ollama pull llama3.1`"),
        "{stderr}"
    );
}

#[test]
fn reference_tables() {
    quarry()
        .arg("providers")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "| mistral | openai | https://api.mistral.ai/v1 | MISTRAL_API_KEY | tools |",
        ))
        .stdout(predicate::str::contains(
            "| ollama | openai | http://localhost:11434/v1 | OLLAMA_API_KEY (optional) | json_schema |",
        ))
        .stdout(predicate::str::contains(
            "| anthropic | anthropic | https://api.anthropic.com | ANTHROPIC_API_KEY | tools |",
        ));
    quarry()
        .arg("modes")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "| MISTRAL_STRUCTURED_OUTPUTS | json_schema | mistral |",
        ))
        .stdout(predicate::str::contains(
            "| openai | `tools` | one function tool from the schema, `tool_choice` forcing it |",
        ))
        .stdout(predicate::str::contains(
            "| ANTHROPIC_REASONING_TOOLS | reasoning_tools | anthropic |",
        ))
        .stdout(predicate::str::contains(
            "| BEDROCK_TOOLS | tools | bedrock |",
        ));
    // README's tables are the tables the binary prints, line for line.
    let readme = include_str!("../../../README.md");
    for command in ["providers", "modes"] {
        let out = quarry().arg(command).output().unwrap();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            if line.starts_with("| ") && !line.starts_with("|---") {
                assert!(
                    readme.contains(line),
                    "README lacks this line of `quarry {command}`:\n{line}"
                );
            }
        }
    }
    quarry()
        .arg("schemas")
        .assert()
        .success()
        .stdout(predicate::str::contains("invoice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_extracts_reasks_and_streams_from_the_cli() {
    let person: Value = serde_json::from_str(PERSON_OK).unwrap();
    let mut invalid = person.clone();
    invalid["age"] = json!("thirty-six");
    let server = FakeServer::start(vec![
        Reply::anthropic_tool_use("Person", invalid),
        Reply::anthropic_tool_use("Person", person.clone()),
        Reply::anthropic_stream_tool_use("Person", PERSON_OK, 6),
    ])
    .await
    .unwrap();
    let run = |extra: &[&str]| {
        let out = quarry()
            .env("ANTHROPIC_API_KEY", KEY)
            .args(["extract", "--provider", "anthropic/claude-sonnet-4-5"])
            .args(["--base-url", &format!("http://{}", server.addr())])
            .args(["--schema", "person", "--max-retries", "1", "--compact"])
            .args(["--prompt", "Ada Lovelace, 36, mathematician"])
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains(KEY), "{stderr}");
        // A stream prints a line per update; the last is the validated object.
        let stdout = String::from_utf8(out.stdout).unwrap();
        serde_json::from_str::<Value>(stdout.lines().last().unwrap()).unwrap()
    };
    assert_eq!(run(&[]), person);
    assert_eq!(run(&["--stream", "partial"]), person);
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "the fake refused a request");
    assert!(requests.iter().all(|r| r.path == "/v1/messages"));
    assert_eq!(
        requests[1].body["messages"][2]["content"][0]["is_error"],
        true
    );
    assert_eq!(requests[2].body["stream"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_and_cohere_extract_and_stream_from_the_cli() {
    let person: Value = serde_json::from_str(PERSON_OK).unwrap();
    let gemini = FakeServer::start(vec![
        Reply::gemini_function_call("Person", person.clone()),
        Reply::gemini_stream_text(PERSON_OK, 7),
    ])
    .await
    .unwrap();
    let cohere = FakeServer::start(vec![
        Reply::cohere_tool_call("Person", PERSON_OK),
        Reply::cohere_stream_tool_call("Person", PERSON_OK, 7),
    ])
    .await
    .unwrap();
    let run = |provider: &str, server: &FakeServer, env: (&str, &str), extra: &[&str]| {
        let out = quarry()
            .env_remove("GEMINI_API_KEY")
            .env(env.0, env.1)
            .args(["extract", "--provider", provider])
            .args(["--base-url", &format!("http://{}", server.addr())])
            .args(["--schema", "person", "--compact"])
            .args(["--prompt", "Ada Lovelace, 36, mathematician"])
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{provider}: {stderr}");
        assert!(!stderr.contains(KEY), "{stderr}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        serde_json::from_str::<Value>(stdout.lines().last().unwrap()).unwrap()
    };
    // Gemini's key may come from GOOGLE_API_KEY, as Google's SDKs read it.
    let google = ("GOOGLE_API_KEY", KEY);
    assert_eq!(run("gemini/gemini-2.5-flash", &gemini, google, &[]), person);
    assert_eq!(
        run(
            "gemini/gemini-2.5-flash",
            &gemini,
            google,
            &["--mode", "json", "--stream", "partial"]
        ),
        person
    );
    assert_eq!(gemini.requests()[0].header("x-goog-api-key"), Some(KEY));
    let co = ("CO_API_KEY", KEY);
    assert_eq!(run("cohere/command-a-03-2025", &cohere, co, &[]), person);
    assert_eq!(
        run(
            "cohere/command-a-03-2025",
            &cohere,
            co,
            &["--stream", "partial"]
        ),
        person
    );
    assert!(cohere.requests().iter().all(|r| r.path == "/v2/chat"));
}

/// `quarry extract` on Vertex AI against `server`, with `env` (credentials) set.
fn vertex(server: &FakeServer, env: &[(&str, &str)], extra: &[&str]) -> std::process::Output {
    let mut cmd = quarry();
    cmd.env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .env_remove("GOOGLE_OAUTH_ACCESS_TOKEN")
        .env("GOOGLE_CLOUD_PROJECT", "fake-project")
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("quarry-no-gcloud"),
        );
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["extract", "--provider", "vertexai/gemini-2.5-flash"])
        .args(["--base-url", &format!("http://{}", server.addr())])
        .args(["--schema", "person", "--compact"])
        .args(["--prompt", "Ada Lovelace, 36, mathematician"])
        .args(extra)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vertex_gets_a_token_for_a_service_account_and_shares_it_between_calls() {
    let person: Value = serde_json::from_str(PERSON_OK).unwrap();
    let server = FakeServer::start(vec![
        Reply::gemini_function_call("Person", person.clone()),
        Reply::gemini_stream_text(PERSON_OK, 7),
    ])
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key_file = temp_file(
        &dir,
        "sa.json",
        &server.google_service_account().to_string(),
    );
    let creds = [("GOOGLE_APPLICATION_CREDENTIALS", key_file.to_str().unwrap())];
    let out = vertex(&server, &creds, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        serde_json::from_slice::<Value>(&out.stdout).unwrap(),
        person
    );
    let calls: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains(":generateContent"))
        .collect();
    assert_eq!(
        calls[0].path,
        "/v1/projects/fake-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"
    );
    assert!(
        calls[0]
            .header("authorization")
            .unwrap()
            .starts_with("Bearer ya29.")
    );
    assert_eq!(server.token_requests(), 1);
    // A streamed run in a new process fetches its own token; the private key never shows.
    let out = vertex(
        &server,
        &creds,
        &["--stream", "partial", "--mode", "VERTEXAI_JSON"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let private_key = server.google_service_account()["private_key"]
        .as_str()
        .unwrap()
        .to_string();
    let body_line = private_key.lines().nth(1).unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains(body_line));

    // Calls in one process share the token.
    let expiring = FakeServer::start(vec![Reply::gemini_function_call("Person", person.clone())])
        .await
        .unwrap();
    let key_file = temp_file(
        &dir,
        "sa2.json",
        &expiring.google_service_account().to_string(),
    );
    expiring.set_token_lifetime(3600);
    let creds = [("GOOGLE_APPLICATION_CREDENTIALS", key_file.to_str().unwrap())];
    let out = vertex(&expiring, &creds, &["--repeat", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(expiring.token_requests(), 1, "one token serves both calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vertex_takes_a_token_given_outright_and_says_what_is_missing() {
    let person: Value = serde_json::from_str(PERSON_OK).unwrap();
    let server = FakeServer::start(vec![Reply::gemini_function_call("Person", person.clone())])
        .await
        .unwrap();
    server.accept_bearer("ya29.given-token");
    let out = vertex(
        &server,
        &[("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.given-token")],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = vertex(&server, &[("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.stale")], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains("ya29.stale"), "{stderr}");
    let out = vertex(&server, &[], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("gcloud auth application-default login"),
        "{stderr}"
    );
    let out = vertex(&server, &[("GOOGLE_CLOUD_PROJECT", "")], &[]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("GOOGLE_CLOUD_PROJECT"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bedrock_signs_with_the_environments_credentials_and_streams() {
    let person: Value = serde_json::from_str(PERSON_OK).unwrap();
    let server = FakeServer::start(vec![
        Reply::bedrock_tool_use("Person", person.clone()),
        Reply::bedrock_stream_tool_use("Person", PERSON_OK, 9),
    ])
    .await
    .unwrap();
    let (id, secret) = server.aws_credentials();
    let run = |extra: &[&str]| {
        let out = quarry()
            .env("AWS_ACCESS_KEY_ID", &id)
            .env("AWS_SECRET_ACCESS_KEY", &secret)
            .env("AWS_REGION", "eu-central-1")
            .env("HOME", std::env::temp_dir().join("quarry-no-aws"))
            .args([
                "extract",
                "--provider",
                "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0",
            ])
            .args(["--base-url", &format!("http://{}", server.addr())])
            .args(["--schema", "person", "--compact"])
            .args(["--prompt", "Ada Lovelace, 36, mathematician"])
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        assert!(!stderr.contains(&secret), "{stderr}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        serde_json::from_str::<Value>(stdout.lines().last().unwrap()).unwrap()
    };
    assert_eq!(run(&[]), person);
    assert_eq!(run(&["--stream", "partial"]), person);
    let auth = server.requests()[0]
        .header("authorization")
        .unwrap()
        .to_string();
    assert!(
        auth.contains("/eu-central-1/bedrock/aws4_request"),
        "{auth}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_protocols_credentials_reach_the_history_its_exports_or_the_terminal() {
    let person: Value = serde_json::from_str(PERSON_OK).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let aws = FakeServer::start(vec![Reply::bedrock_tool_use("Person", person.clone())])
        .await
        .unwrap();
    let google = FakeServer::start(vec![Reply::gemini_function_call("Person", person.clone())])
        .await
        .unwrap();
    let anthropic = FakeServer::start(vec![Reply::anthropic_tool_use("Person", person.clone())])
        .await
        .unwrap();
    let (id, secret) = aws.aws_credentials();
    let session = aws.aws_session_token();
    let key_file = temp_file(
        &dir,
        "sa.json",
        &google.google_service_account().to_string(),
    );
    let runs = vec![
        (
            "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0",
            &aws,
            vec![
                ("AWS_ACCESS_KEY_ID", id.clone()),
                ("AWS_SECRET_ACCESS_KEY", secret.clone()),
                ("AWS_SESSION_TOKEN", session.clone()),
                ("AWS_REGION", "us-east-1".into()),
            ],
        ),
        (
            "vertexai/gemini-2.5-flash",
            &google,
            vec![
                (
                    "GOOGLE_APPLICATION_CREDENTIALS",
                    key_file.display().to_string(),
                ),
                ("GOOGLE_CLOUD_PROJECT", "fake-project".into()),
            ],
        ),
        (
            "anthropic/claude-sonnet-4-5",
            &anthropic,
            vec![("ANTHROPIC_API_KEY", KEY.to_string())],
        ),
    ];
    let mut seen = String::new();
    for (provider, server, env) in &runs {
        let mut cmd = quarry();
        cmd.env("QUARRY_DB", &db)
            .env("HOME", dir.path())
            .env_remove("GOOGLE_OAUTH_ACCESS_TOKEN");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd
            .args(["extract", "--provider", provider, "--events"])
            .args(["--base-url", &format!("http://{}", server.addr())])
            .args(["--schema", "person", "--prompt", "Ada Lovelace, 36"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{provider}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    for n in ["1", "2", "3"] {
        for args in [
            vec!["runs", "show", n, "--json"],
            vec!["runs", "export", n, "--format", "run"],
        ] {
            let out = quarry().env("QUARRY_DB", &db).args(&args).output().unwrap();
            assert!(out.status.success(), "{args:?}");
            seen.push_str(&String::from_utf8_lossy(&out.stdout));
        }
    }
    for file in ["h.db", "h.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(file)) {
            seen.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    let key = google.google_service_account();
    let pem_line = key["private_key"]
        .as_str()
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_string();
    let tokens = google.google_access_tokens();
    assert!(!tokens.is_empty());
    let mut secrets = vec![secret, session, pem_line, KEY[3..].to_string()];
    secrets.extend(tokens);
    for s in secrets {
        assert!(
            !seen.contains(&s),
            "a credential ({}…) is in the history, an export or the terminal",
            &s[..6]
        );
    }
}

fn fixture_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/files")
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_attached_by_their_bytes_and_a_pdf_goes_as_text_where_it_must() {
    // OpenAI reads PDFs: a `file` part; a text file becomes a text part.
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    extract(&server)
        .args(["--prompt", "Who is billed?", "--file"])
        .arg(fixture_file("invoice.pdf"))
        .arg("--file")
        .arg(fixture_file("notes.txt"))
        .assert()
        .success()
        .stderr(predicate::str::contains("sent as its text").not());
    let parts = server.requests()[0].body["messages"][0]["content"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(parts[1]["type"], "file");
    assert_eq!(parts[1]["file"]["filename"], "invoice.pdf");
    assert!(
        parts[2]["text"]
            .as_str()
            .unwrap()
            .starts_with("Meeting notes")
    );

    // A local server cannot: the PDF's text is sent, and the terminal says so.
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    quarry()
        .args([
            "extract",
            "--provider",
            "ollama/llama3.2",
            "--mode",
            "tools",
        ])
        .args([
            "--base-url",
            &server.base_url(),
            "--schema",
            "person",
            "--no-save",
        ])
        .args(["--prompt", "Who is billed?", "--file"])
        .arg(fixture_file("invoice.pdf"))
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "quarry: the provider cannot read PDFs: `invoice.pdf` was sent as its text (2 pages",
        ));
    let sent = server.requests()[0].body.to_string();
    assert!(sent.contains("Billed to: Ada Lovelace"), "{sent}");
}

#[test]
fn files_quarry_cannot_send_or_fetch_are_refused_with_what_to_do() {
    for (args, expected) in [
        (
            vec![
                "--file".to_string(),
                fixture_file("archive.zip").display().to_string(),
            ],
            "`archive.zip` is not a file Quarry can send (it looks like application/zip)",
        ),
        (
            vec!["--file".into(), "https://example.com/report".into()],
            "the address does not say what the file is",
        ),
        (
            vec!["--file".into(), "ftp://example.com/a.pdf".into()],
            "is neither a file nor an http(s) address",
        ),
    ] {
        quarry()
            .args([
                "extract",
                "--provider",
                "ollama/llama3.2",
                "--schema",
                "person",
            ])
            .args(["--base-url", "http://127.0.0.1:9/v1", "--prompt", "x"])
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected));
    }
    // Gemini cannot fetch a PDF by address, and Quarry does not fetch from this machine.
    quarry()
        .env("GEMINI_API_KEY", "test-key")
        .args([
            "extract",
            "--provider",
            "gemini/gemini-2.5-flash",
            "--schema",
            "person",
        ])
        .args([
            "--base-url",
            "http://127.0.0.1:9",
            "--prompt",
            "x",
            "--no-save",
        ])
        .args(["--file", "http://127.0.0.1:8080/invoice.pdf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is 127.0.0.1, not a public address",
        ))
        .stderr(predicate::str::contains("--file / --image"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_the_request_a_run_sends_and_curl_sends_it_too() {
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", PERSON_OK),
        Reply::tool_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    // No key anywhere: a dry run needs none, and sends nothing.
    let out = extract(&server)
        .env_remove("QUARRY_TEST_KEY")
        .arg("--dry-run")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(server.requests().is_empty(), "a dry run sends nothing");
    let preview: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(preview["method"], "POST");
    assert!(
        !String::from_utf8_lossy(&out).contains(KEY),
        "the key is never printed"
    );

    extract(&server).arg("--no-save").assert().success();
    let sent = &server.requests()[0];
    assert_eq!(
        preview["body"], sent.body,
        "the dry run's body is the body sent"
    );
    assert_eq!(
        preview["url"],
        format!("http://{}{}", server.addr(), sent.path)
    );
    let headers = preview["headers"].as_array().unwrap();
    assert!(headers.contains(&json!(["authorization", "<redacted>"])));

    // The curl command, run as printed with the key in the environment, gets the same answer.
    let curl = extract(&server)
        .args(["--export-code", "curl"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let curl = String::from_utf8(curl).unwrap();
    assert!(
        curl.contains("$QUARRY_TEST_KEY") && !curl.contains(KEY),
        "{curl}"
    );
    let answer = std::process::Command::new("sh")
        .args([
            "-c",
            &format!("{} --silent --fail-with-body", curl.trim_end()),
        ])
        .env("QUARRY_TEST_KEY", KEY)
        .output()
        .expect("curl runs (scripts/setup installs it)");
    assert!(answer.status.success(), "{answer:?}");
    let body: Value = serde_json::from_slice(&answer.stdout).unwrap();
    assert_eq!(
        body["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
        "Person"
    );
    assert_eq!(
        server.requests()[1].raw,
        server.requests()[0].raw,
        "curl sent the bytes Quarry sent"
    );

    // A body longer than one program argument may be (128 KiB on Linux) goes through printf;
    // the command, run from a script as pasted, still sends the bytes a run sends.
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", PERSON_OK),
        Reply::tool_call("Person", PERSON_OK),
    ])
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let long = temp_file(&dir, "long.txt", &"Ada's notes. ".repeat(20_000));
    let big = |cmd: &mut Command| {
        cmd.args(["--prompt", "{{ t }}", "--var"])
            .arg(format!("t=@{}", long.display()));
    };
    let mut run = extract(&server);
    big(&mut run);
    run.arg("--no-save").assert().success();
    let mut export = extract(&server);
    big(&mut export);
    let curl = export
        .args(["--export-code", "curl"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let script = dir.path().join("curl.sh");
    let mut text = String::from_utf8(curl).unwrap();
    text = format!("{} --silent --fail-with-body\n", text.trim_end());
    std::fs::write(&script, text).unwrap();
    let answer = std::process::Command::new("sh")
        .arg(&script)
        .env("QUARRY_TEST_KEY", KEY)
        .output()
        .unwrap();
    assert!(answer.status.success(), "{answer:?}");
    let requests = server.requests();
    assert!(requests[0].raw.len() > 200_000);
    assert_eq!(
        requests[1].raw, requests[0].raw,
        "the long body, byte for byte"
    );
}

#[test]
fn schema_infer_reads_documents_and_json_lines_and_names_a_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let one = temp_file(
        &dir,
        "one.json",
        r#"{"name": "Ada", "born": "1815-12-10", "tags": ["math"]}"#,
    );
    let lines = temp_file(
        &dir,
        "more.jsonl",
        "{\"name\": \"Grace\", \"born\": \"1906-12-09\", \"tags\": [], \"age\": 85}\n\n{\"name\": \"Hedy\", \"born\": \"1914-11-09\", \"tags\": [\"film\"]}\n",
    );
    let out = quarry()
        .args(["schema", "infer"])
        .arg(&one)
        .arg(&lines)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let schema: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(schema["required"], json!(["name", "born", "tags"]));
    assert_eq!(schema["properties"]["born"]["format"], "date");
    assert_eq!(schema["properties"]["age"], json!({"type": "integer"}));

    let bad = temp_file(&dir, "bad.jsonl", "{\"a\": 1}\n{\"a\": \n");
    quarry()
        .args(["schema", "infer"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.jsonl` line 2: not a JSON document",
        ));
    quarry()
        .args(["schema", "infer", "-"])
        .write_stdin("not json")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "sample `standard input` is not JSON",
        ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_lists_a_local_servers_models_or_says_how_to_start_one() {
    let ollama = FakeServer::start(vec![
        Reply::ok(json!({"models": [{"name": "qwen3:8b", "details": {"parameter_size": "8.2B"}}]})),
        Reply::ok(json!({"capabilities": ["completion", "tools"]})),
    ])
    .await
    .unwrap();
    let url = format!("http://{}", ollama.addr());
    quarry()
        .args(["models", "--provider", "ollama", "--base-url", &url])
        .assert()
        .success()
        .stdout(predicate::str::contains("running, 1 model(s)"))
        .stdout(
            predicate::str::is_match(r"ollama/qwen3:8b\s+tools: yes\s+vision: no\s+8.2B").unwrap(),
        );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = quarry()
        .args(["models", "--provider", "vllm", "--base-url", &url, "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let servers: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(servers[0]["running"], false);
    assert_eq!(servers[0]["start"], "`vllm serve MODEL`");
    quarry()
        .args(["models", "--provider", "vllm", "--base-url", &url])
        .assert()
        .success()
        .stdout(predicate::str::contains("No local model server is running"));
}

#[test]
fn project_export_and_import_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let folder = dir.path().join("project");
    // An empty history exports an empty project; a schema written by hand is imported.
    quarry()
        .env("QUARRY_DB", &db)
        .args(["project", "export"])
        .arg(&folder)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "0 schema(s), 0 prompt(s), 0 profile(s)",
        ));
    std::fs::create_dir_all(folder.join("schemas")).unwrap();
    std::fs::write(
        folder.join("schemas/invoice.json"),
        r#"{"type": "object", "properties": {"total": {"type": "number"}}}"#,
    )
    .unwrap();
    let other = dir.path().join("b.db");
    quarry()
        .env("QUARRY_DB", &other)
        .args(["project", "import"])
        .arg(&folder)
        .assert()
        .success()
        .stdout(predicate::str::contains("read "))
        .stdout(predicate::str::contains("1 schema(s)"));
    std::fs::write(folder.join("schemas/invoice.json"), "{not json").unwrap();
    quarry()
        .env("QUARRY_DB", &other)
        .args(["project", "import"])
        .arg(&folder)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invoice.json"));
}

#[test]
fn schema_lint_reports_with_sources_fixes_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let schema = temp_file(
        &dir,
        "person.json",
        r#"{"type": "object", "properties": {"name": {"type": "string", "minLength": 1}, "code": {"type": "string", "pattern": "[A-Z]{3}"}}, "required": ["name", "code"]}"#,
    );
    // llama.cpp refuses an unanchored pattern and lets an open object grow: exit 1, each
    // finding with its place, rule and source.
    quarry()
        .args([
            "schema",
            "lint",
            "--provider",
            "llamacpp/any",
            "--mode",
            "json_schema",
        ])
        .arg(&schema)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "error: /properties/code: the pattern does not start with `^`",
        ))
        .stdout(predicate::str::contains(
            "warning: (root): this object allows keys",
        ))
        .stdout(predicate::str::contains(
            "github.com/ggml-org/llama.cpp/blob/master/grammars/README.md#json-schemas--gbnf",
        ))
        .stdout(predicate::str::contains("1 error(s), 1 warning(s)"));
    // --fix prints the repaired schema, keys in order, and exits 0 when nothing is left.
    let out = quarry()
        .args([
            "schema",
            "lint",
            "--provider",
            "llamacpp/any",
            "--mode",
            "json_schema",
            "--fix",
        ])
        .arg(&schema)
        .assert()
        .success()
        .stderr(predicate::str::contains("2 fixes applied"))
        .get_output()
        .stdout
        .clone();
    let fixed: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(fixed["properties"]["code"]["pattern"], "^.*([A-Z]{3}).*$");
    assert_eq!(fixed["additionalProperties"], false);
    let keys: Vec<&String> = fixed.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["type", "properties", "required", "additionalProperties"]
    );
    // Anthropic refuses `minLength`, which Quarry moves into the description: a note, exit 0.
    quarry()
        .args(["schema", "lint", "--provider", "anthropic/claude-sonnet-4-5", "--mode", "json_schema"])
        .arg(&schema)
        .assert()
        .success()
        .stdout(predicate::str::contains("note: /properties/name: `minLength` is not supported by structured outputs"))
        .stdout(predicate::str::contains(
            "platform.claude.com/docs/en/build-with-claude/structured-outputs#json-schema-limitations",
        ));
    // OpenAI's strict mode takes `minimum`; --json has the schema exactly as sent.
    let out = quarry()
        .args([
            "schema",
            "lint",
            "--provider",
            "openai/gpt-4o",
            "--mode",
            "tools_strict",
            "--json",
            "-",
        ])
        .write_stdin(std::fs::read(&schema).unwrap())
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["ruleset"], "openai_strict");
    assert_eq!(report["findings"][0]["rule"], "openai.unlisted_keyword");
    assert_eq!(report["findings"][0]["at"], "/properties/name");
    assert_eq!(report["sent"]["location"], "/tools/0/function/parameters");
    assert_eq!(report["sent"]["schema"]["additionalProperties"], false);
    // Clean: exit 0.
    let clean = temp_file(
        &dir,
        "clean.json",
        r#"{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": false}"#,
    );
    quarry()
        .args([
            "schema",
            "lint",
            "--provider",
            "openai/gpt-4o",
            "--mode",
            "tools_strict",
        ])
        .arg(&clean)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "0 error(s), 0 warning(s), 0 note(s)",
        ));
    // Bad input: exit 2 with what and where.
    let broken = temp_file(&dir, "broken.json", "{\"type\": ");
    quarry()
        .args(["schema", "lint", "--provider", "openai/gpt-4o"])
        .arg(&broken)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.json"));
    quarry()
        .args([
            "schema",
            "lint",
            "--provider",
            "groq/llama",
            "--mode",
            "json_schema",
        ])
        .arg(&clean)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("json_schema"));
}

#[test]
fn schema_import_reads_openapi_yaml_and_says_what_changed() {
    let openapi = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../design/tests/fixtures/petstore-3.0.yaml"
    );
    quarry()
        .args(["schema", "import", openapi])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "has 4 schemas; say which to import (Pet, Owner, Address, Unused)",
        ))
        .stderr(predicate::str::contains("--component NAME"));
    let out = quarry()
        .args(["schema", "import", "--component", "Owner", openapi])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "read as OpenAPI 3.0.3 component `Owner`",
        ))
        .stderr(predicate::str::contains(
            "`nullable: true` is now a type that allows null (at /properties/address)",
        ))
        .get_output()
        .stdout
        .clone();
    let schema: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        schema["$defs"]["Address"]["properties"]["city"]["type"],
        "string"
    );
    quarry()
        .args(["schema", "import", "-"])
        .write_stdin("{\"$schema\": \"http://json-schema.org/draft-07/schema#\", \"definitions\": {\"A\": {}}, \"$ref\": \"#/definitions/A\"}")
        .assert()
        .success()
        .stdout(predicate::str::contains("\"$ref\": \"#/$defs/A\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_generate_designs_through_the_engine_and_reasks_a_bad_design() {
    let bad = r#"{"title": "Invoice", "description": "An invoice.", "fields": [{"name": "total", "type": "money", "description": "Total", "required": true}]}"#;
    let good = r#"{"title": "Invoice", "description": "An invoice.", "fields": [
        {"name": "number", "type": "string", "description": "Its number", "required": true},
        {"name": "total", "type": "number", "description": "Total due", "required": true},
        {"name": "paid_on", "type": "string", "format": "date", "description": "When it was paid", "required": false, "nullable": true}
    ]}"#;
    let server = FakeServer::start(vec![
        Reply::tool_call("Design", bad),
        Reply::tool_call("Design", good),
    ])
    .await
    .unwrap();
    let out = quarry()
        .args([
            "schema",
            "generate",
            "--provider",
            "openai/gpt-4o-mini",
            "--api-key-env",
            "QUARRY_TEST_KEY",
            "--base-url",
        ])
        .arg(server.base_url())
        .arg("an invoice with its number, total and payment date")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "designed by openai/gpt-4o-mini in 2 attempts",
        ))
        .get_output()
        .stdout
        .clone();
    let schema: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(schema["title"], "Invoice");
    assert_eq!(schema["required"], json!(["number", "total"]));
    assert_eq!(
        schema["properties"]["paid_on"],
        json!({"type": ["string", "null"], "format": "date", "description": "When it was paid"})
    );
    let sent = server.requests();
    assert_eq!(sent.len(), 2);
    // The description is the user's message; the design's schema is the tool's parameters.
    let first = &sent[0].body;
    assert_eq!(
        first["messages"][1]["content"],
        "an invoice with its number, total and payment date"
    );
    assert_eq!(first["tools"][0]["function"]["name"], "Design");
    assert!(
        first["tools"][0]["function"]["parameters"]["$defs"]["Kind"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("enum"))
    );
    // The re-ask says what was wrong.
    assert!(
        sent[1].body.to_string().contains("money"),
        "{}",
        sent[1].body
    );

    // No key: exit 2, and nothing is sent.
    quarry()
        .args([
            "schema",
            "generate",
            "--provider",
            "openai/gpt-4o-mini",
            "--base-url",
        ])
        .arg(server.base_url())
        .arg("anything")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("OPENAI_API_KEY"));
    assert_eq!(server.requests().len(), 2);
}
