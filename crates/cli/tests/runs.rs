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
    extract_with(quarry(db), server, extra)
}

/// `quarry extract` of the example person schema against `server`, through `cmd`.
fn extract_with(mut cmd: Command, server: &FakeServer, extra: &[&str]) -> std::process::Output {
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

#[test]
fn runs_list_on_an_empty_history_says_how_to_make_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let out = quarry(&db).args(["runs", "list"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("no runs yet") && text.contains("quarry extract --provider"),
        "{text}"
    );
    assert!(text.contains("h.db"), "{text}");
    assert!(!text.contains("provider/model"), "no table header: {text}");
    let listed = json(
        quarry(&db)
            .args(["runs", "list", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(listed, serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exploding_a_field_that_no_result_has_as_an_array_names_the_arrays_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let schema = dir.path().join("order.schema.json");
    std::fs::write(
        &schema,
        r#"{"title": "Order", "type": "object", "properties": {"id": {"type": "string"}, "lines": {"type": "array"}, "tags": {"type": "array"}}}"#,
    )
    .unwrap();
    let server = FakeServer::start(vec![Reply::tool_call(
        "Order",
        r#"{"id": "A-1", "lines": [{"sku": "x"}, {"sku": "y"}], "tags": ["new"]}"#,
    )])
    .await
    .unwrap();
    let out = quarry(&db)
        .args([
            "extract",
            "--provider",
            "openai/gpt-4o-mini",
            "--api-key-env",
            "QUARRY_TEST_KEY",
            "--base-url",
            &server.base_url(),
            "--prompt",
            "Extract the order",
            "--schema",
        ])
        .arg(&schema)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let export = |field: &str, format: &str| {
        quarry(&db)
            .args(["runs", "export", "--format", format, "--explode", field])
            .output()
            .unwrap()
    };
    let ok = export("lines", "csv");
    assert!(ok.status.success());
    assert_eq!(String::from_utf8_lossy(&ok.stdout).lines().count(), 3);
    for field in ["line", "id"] {
        let out = export(field, "csv");
        assert_eq!(out.status.code(), Some(2), "--explode {field}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("no exported result has an array at `{field}`"))
                && stderr.contains("array fields: lines, tags")
                && stderr.contains("--explode lines"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty());
    }
    let out = export("lines", "jsonl");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format csv"));
}

#[test]
fn a_history_that_is_not_a_database_is_refused_by_name_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.txt");
    std::fs::write(&db, "Remember: buy milk.\n".repeat(50)).unwrap();
    let before = std::fs::read(&db).unwrap();
    let out = quarry(&db).args(["runs", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("notes.txt is not a Quarry run history") && stderr.contains("fix:"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
    let out = quarry(dir.path()).args(["runs", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a folder"));
}

/// `quarry` as an unprivileged user when the tests run as root (root writes anywhere).
fn unprivileged(db: &Path) -> Command {
    let root = runs_as_root();
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(assert_cmd::cargo::cargo_bin!("quarry"));
        c
    } else {
        Command::new(assert_cmd::cargo::cargo_bin!("quarry"))
    };
    cmd.env("QUARRY_DB", db).env("HOME", "/tmp");
    cmd
}

fn runs_as_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

#[test]
fn a_history_in_a_read_only_folder_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let folder = dir.path().join("ro");
    std::fs::create_dir(&folder).unwrap();
    let db = folder.join("h.db");
    // A history made by its owner, then the folder and file made read-only.
    let made = quarry(&db).args(["runs", "list"]).output().unwrap();
    assert!(made.status.success());
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = unprivileged(&db).args(["runs", "list"]).output().unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("h.db") && stderr.contains("read-only") && stderr.contains("writable"),
        "{stderr}"
    );
}

/// The CLI with no `--db`: the platform's data folder under `data`, or the folder chosen there.
fn quarry_in(data: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("quarry"));
    cmd.env("QUARRY_TEST_KEY", KEY)
        .env("XDG_DATA_HOME", data)
        .env_remove("QUARRY_DB")
        .env_remove("QUARRY_PRICES");
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_follows_the_data_folder_chosen_in_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let home = data.join("quarry").join("quarry.db");
    let disk = dir.path().join("disk");
    std::fs::create_dir_all(&disk).unwrap();
    // What Settings → Data folder records in the default history.
    quarry_store::location::remember_folder(&home, Some(&disk)).unwrap();
    std::fs::write(
        disk.join("prices.json"),
        r#"{"prices": [{"provider": "openai", "model": "gpt-4o-mini", "input": 1000, "output": 1000}]}"#,
    )
    .unwrap();
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON)])
        .await
        .unwrap();
    let out = extract_with(quarry_in(&data), &server, &["--compact"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(disk.join("quarry.db").exists());
    let runs = json(
        quarry_in(&data)
            .args(["runs", "list", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(runs.as_array().unwrap().len(), 1);
    // Its cost came from the price file in the chosen folder.
    assert!(runs[0]["cost_usd"].as_f64().unwrap() > 0.001, "{runs}");
    let prices = quarry_in(&data).arg("prices").output().unwrap();
    assert!(
        String::from_utf8_lossy(&prices.stderr)
            .contains(&disk.join("prices.json").display().to_string()),
        "{}",
        String::from_utf8_lossy(&prices.stderr)
    );

    // The folder is gone (an unplugged disk): the default history is used, not a new one there.
    std::fs::remove_dir_all(&disk).unwrap();
    let runs = json(
        quarry_in(&data)
            .args(["runs", "list", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(runs.as_array().unwrap().len(), 0);
    assert!(!disk.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_deleted_and_the_history_compacted_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    // A long answer, so the run stores large values.
    let long = format!(
        r#"{{"name": "{}", "age": 36, "email": null, "phone": null, "occupation": "x", "address": null}}"#,
        "Ada ".repeat(5_000)
    );
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", &long),
        Reply::tool_call("Person", PERSON),
    ])
    .await
    .unwrap();
    assert!(extract(&db, &server, &["--compact"]).status.success());
    assert!(extract(&db, &server, &["--compact"]).status.success());
    let out = quarry(&db)
        .args(["runs", "delete", "1", "99"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "deleted 1 run(s)"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 of the ids given are not in the history")
    );
    let done = json(
        quarry(&db)
            .args(["runs", "compact", "--json"])
            .output()
            .unwrap(),
    );
    assert!(done["payloads_removed"].as_u64().unwrap() > 0, "{done}");
    assert!(done["bytes_after"].as_u64().unwrap() < done["bytes_before"].as_u64().unwrap());
    // The run that stays is whole.
    let kept = json(
        quarry(&db)
            .args(["runs", "show", "2", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(kept["result"]["name"], "Ada Lovelace");
    // Nothing to delete is said, with the command to find ids.
    let out = quarry(&db).args(["runs", "delete"]).output().unwrap();
    assert!(!out.status.success());
}
