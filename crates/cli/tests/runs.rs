//! The run history from the command line: every `quarry extract` is recorded (unless
//! `--no-save`), and `quarry runs list|show` read it back, also after a `kill -9`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use quarry_fake_provider::{FakeServer, Reply};
use serde_json::Value;

const PERSON: &str = r#"{"name": "Ada Lovelace", "age": 36, "email": null, "phone": null, "occupation": "mathematician", "address": null}"#;
const KEY: &str = "sk-runs-test-0123456789abcdef";

fn quarry(db: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("quarry"));
    cmd.env("QUARRY_TEST_KEY", KEY).env("QUARRY_DB", db);
    cmd
}

fn extract(db: &Path, server: &FakeServer, extra: &[&str]) -> std::process::Output {
    quarry(db)
        .args([
            "extract",
            "--provider",
            "openai/gpt-4o-mini",
            "--api-key-env",
            "QUARRY_TEST_KEY",
        ])
        .args([
            "--base-url",
            &server.base_url(),
            "--schema",
            "person",
            "--max-retries",
            "1",
        ])
        .args(extra)
        .output()
        .unwrap()
}

/// `quarry extract --stream partial` of the example person schema against `server`.
fn streaming(db: &Path, server: &FakeServer) -> Command {
    let mut cmd = quarry(db);
    cmd.args([
        "extract",
        "--provider",
        "openai/gpt-4o-mini",
        "--api-key-env",
        "QUARRY_TEST_KEY",
    ])
    .args([
        "--base-url",
        &server.base_url(),
        "--schema",
        "person",
        "--stream",
        "partial",
    ]);
    cmd
}

fn json(out: std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extract_records_and_runs_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", r#"{"name": "Ada"}"#),
        Reply::tool_call("Person", PERSON),
    ])
    .await
    .unwrap();
    assert!(extract(&db, &server, &["--compact"]).status.success());

    let list = json(
        quarry(&db)
            .args(["runs", "list", "--json"])
            .output()
            .unwrap(),
    );
    let runs = list.as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["status"], "succeeded");
    assert_eq!(
        (run["provider"].as_str(), run["model"].as_str()),
        (Some("openai"), Some("gpt-4o-mini"))
    );
    assert_eq!(run["schema"], "person");
    assert_eq!(run["attempts"], 2);
    assert_eq!(run["usage"]["total_tokens"], 120);
    assert!(run["created_at"].as_str().unwrap().ends_with('Z'));

    let id = run["id"].to_string();
    let shown = json(
        quarry(&db)
            .args(["runs", "show", &id, "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(shown["result"]["name"], "Ada Lovelace");
    assert_eq!(shown["attempt_details"].as_array().unwrap().len(), 2);
    assert!(
        shown["attempt_details"][0]["error"]
            .as_str()
            .unwrap()
            .contains("\"age\" is a required property")
    );
    let kinds: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"run_started"));
    assert!(kinds.contains(&"reask"));
    assert_eq!(kinds.last(), Some(&"run_succeeded"));

    let human = quarry(&db).args(["runs", "show", &id]).output().unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("attempt 1: the answer does not match the schema"),
        "{text}"
    );

    // Neither the database nor its log holds the key.
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(!bytes.windows(12).any(|w| w == &KEY.as_bytes()[..12]));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_save_records_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON)])
        .await
        .unwrap();
    assert!(extract(&db, &server, &["--no-save"]).status.success());
    assert!(!db.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_stream_leaves_an_interrupted_run_with_its_events() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let server = FakeServer::start(vec![
        Reply::stream_tool_call("Person", PERSON, 4).paced(Duration::from_millis(60)),
    ])
    .await
    .unwrap();
    let mut child = streaming(&db, &server)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut seen = 0;
    while stdout.read_line(&mut line).unwrap() > 0 {
        if line.contains("\"path\":\"/name\"") {
            seen += 1;
            if seen == 3 {
                break;
            }
        }
        line.clear();
    }
    // Give the writer its batch window, then kill without warning.
    std::thread::sleep(Duration::from_millis(50));
    Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();

    let list = json(
        quarry(&db)
            .args(["runs", "list", "--json"])
            .output()
            .unwrap(),
    );
    let run = &list[0];
    assert_eq!(run["status"], "interrupted", "{run}");
    let shown = json(
        quarry(&db)
            .args(["runs", "show", &run["id"].to_string(), "--json"])
            .output()
            .unwrap(),
    );
    let partials: Vec<&Value> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "partial")
        .collect();
    assert!(
        partials.len() >= 3,
        "{} partial events kept",
        partials.len()
    );
    assert!(shown["result"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_runs_by_words_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON)])
        .await
        .unwrap();
    for doc in [
        "Grace Hopper wrote the first compiler",
        "Ada Lovelace wrote the first program",
    ] {
        let out = extract(
            &db,
            &server,
            &[
                "--prompt",
                "Extract: {{ doc }}",
                "--var",
                &format!("doc={doc}"),
            ],
        );
        assert!(out.status.success());
    }
    let found = json(
        quarry(&db)
            .args(["runs", "search", "hopper", "compiler", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], 1);
    // The result is searched too (both results name Ada), newest first.
    let found = json(
        quarry(&db)
            .args(["runs", "search", "mathematician", "--json"])
            .output()
            .unwrap(),
    );
    let ids: Vec<i64> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [2, 1]);
    let none = json(
        quarry(&db)
            .args(["runs", "search", "--status", "failed", "--json"])
            .output()
            .unwrap(),
    );
    assert!(none.as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_csv_and_a_run_archive_that_imports_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON)])
        .await
        .unwrap();
    assert!(extract(&db, &server, &[]).status.success());
    assert!(extract(&db, &server, &[]).status.success());

    let csv_path = dir.path().join("out.csv");
    let out = quarry(&db)
        .args(["runs", "export", "--format", "csv", "--out"])
        .arg(&csv_path)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote 2 row(s)"));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "run_id,name,age,email,phone,occupation,address");
    assert_eq!(lines[1], "1,Ada Lovelace,36,,,mathematician,");
    assert_eq!(lines.len(), 3);

    let archive = dir.path().join("run1.json");
    let out = quarry(&db)
        .args(["runs", "export", "1", "--format", "run", "--out"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(out.status.success());
    let other = dir.path().join("other.db");
    let out = quarry(&other)
        .args(["runs", "import"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("as run 1"));
    let again = json(
        quarry(&other)
            .args(["runs", "import", "--json"])
            .arg(&archive)
            .output()
            .unwrap(),
    );
    assert_eq!(again[0]["run_id"], 2);
    let exported = json(
        quarry(&db)
            .args(["runs", "export", "1", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(exported["name"], "Ada Lovelace");
    let a = json(
        quarry(&db)
            .args(["runs", "show", "1", "--json"])
            .output()
            .unwrap(),
    );
    let b = json(
        quarry(&other)
            .args(["runs", "show", "1", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(a["events"], b["events"]);
    assert_eq!(a["result"], b["result"]);

    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"hello\": 1}").unwrap();
    let out = quarry(&other)
        .args(["runs", "import"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a Quarry run archive"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rerun_repeats_a_run_and_diff_shows_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", PERSON),
        Reply::tool_call(
            "Person",
            &PERSON
                .replace("36", "37")
                .replace("\"phone\": null", "\"phone\": \"+44 20 7946 0000\""),
        ),
    ])
    .await
    .unwrap();
    assert!(
        extract(&db, &server, &["--var", "text=Ada"])
            .status
            .success()
    );
    let out = quarry(&db)
        .args(["runs", "rerun", "1", "--compact"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["age"], 37);
    // The same request was sent again, and recorded as run 2 with the same schema version.
    let reqs = server.requests();
    assert_eq!(reqs[0].body["messages"], reqs[1].body["messages"]);
    let shown = json(
        quarry(&db)
            .args(["runs", "show", "2", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(shown["schema"], "person");

    let again = json(
        quarry(&db)
            .args(["runs", "rerun", "1", "--json"])
            .output()
            .unwrap(),
    );

    assert_eq!(again["run_id"], 3);

    assert_eq!(again["result"]["name"], "Ada Lovelace");

    let d = json(
        quarry(&db)
            .args(["runs", "diff", "1", "2", "--json"])
            .output()
            .unwrap(),
    );
    let paths: Vec<(&str, &str)> = d["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["path"].as_str().unwrap(), x["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(paths, [("/age", "changed"), ("/phone", "changed")]);
    assert_eq!(d["result"][0]["before"], 36);
    assert!(d["spec"].as_array().unwrap().is_empty(), "same request");
    let human = quarry(&db)
        .args(["runs", "diff", "1", "2"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("/age: 36 → 37") && text.contains("request: the same"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_writing_one_database_at_once_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let server = FakeServer::start(vec![Reply::stream_tool_call("Person", PERSON, 4)])
        .await
        .unwrap();
    let children: Vec<_> = (0..6)
        .map(|_| {
            streaming(&db, &server)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let list = json(
        quarry(&db)
            .args(["runs", "list", "--json"])
            .output()
            .unwrap(),
    );
    let runs = list.as_array().unwrap();
    assert_eq!(runs.len(), 6);
    assert!(runs.iter().all(|r| r["status"] == "succeeded"), "{list}");
    for r in runs {
        let shown = json(
            quarry(&db)
                .args(["runs", "show", &r["id"].to_string(), "--json"])
                .output()
                .unwrap(),
        );
        assert_eq!(
            shown["events"].as_array().unwrap().last().unwrap()["type"],
            "run_succeeded"
        );
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("quarry"))
        .arg("modes")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_missing_run_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = quarry(&dir.path().join("h.db"))
        .args(["runs", "show", "999"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no run 999") && stderr.contains("quarry runs list"),
        "{stderr}"
    );
}
