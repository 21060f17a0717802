//! `quarry extract --stream …` end to end against the fake provider.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use quarry_fake_provider::{FakeServer, Reply};
use serde_json::Value;

const PERSON: &str = r#"{"name": "Ada Lovelace", "age": 36, "email": null, "phone": null, "occupation": "mathematician", "address": null}"#;

fn quarry(server: &FakeServer, extra: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("quarry"));
    cmd.env("QUARRY_TEST_KEY", "sk-stream-test")
        .env(
            "QUARRY_DB",
            std::env::temp_dir().join(format!("quarry-stream-{}.db", std::process::id())),
        )
        .args([
            "extract",
            "--provider",
            "openai/m",
            "--api-key-env",
            "QUARRY_TEST_KEY",
        ])
        .args(["--base-url", &server.base_url(), "--max-retries", "0"])
        .args(extra);
    cmd
}

fn lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_prints_changes_with_field_states_then_the_result() {
    let server = FakeServer::start(vec![Reply::stream_tool_call("Person", PERSON, 8)])
        .await
        .unwrap();
    let out = quarry(
        &server,
        &["--schema", "person", "--stream", "partial", "--compact"],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = lines(&out.stdout);
    let (result, updates) = lines.split_last().unwrap();
    assert_eq!(result, &serde_json::from_str::<Value>(PERSON).unwrap());
    assert!(updates.len() > 5);
    assert!(
        updates
            .iter()
            .all(|u| u["attempt"] == 1 && u["changes"].is_array())
    );
    let name_states: Vec<&str> = updates
        .iter()
        .filter_map(|u| u["states"]["/name"].as_str())
        .collect();
    assert_eq!(
        updates[0]["states"]["/address/city"], "pending",
        "{}",
        updates[0]
    );
    assert_eq!(name_states.first(), Some(&"pending"));
    assert_eq!(name_states.get(1), Some(&"streaming"));
    assert_eq!(name_states.last(), Some(&"valid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_print_the_growing_object() {
    let server = FakeServer::start(vec![Reply::stream_tool_call("Person", PERSON, 8)])
        .await
        .unwrap();
    let out = quarry(
        &server,
        &[
            "--schema",
            "person",
            "--stream",
            "partial",
            "--snapshots",
            "--compact",
        ],
    )
    .output()
    .unwrap();
    assert!(out.status.success());
    let lines = lines(&out.stdout);
    let names: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["snapshot"]["name"].as_str())
        .collect();
    assert!(
        names.contains(&"Ada Lovel") || names.iter().any(|n| n.len() < 12 && n.starts_with("Ada")),
        "{names:?}"
    );
    assert_eq!(names.last(), Some(&"Ada Lovelace"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iterable_prints_items_as_they_complete() {
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("list.json");
    std::fs::write(
        &schema,
        r#"{"title": "Words", "type": "array", "items": {"type": "string", "maxLength": 5}}"#,
    )
    .unwrap();
    let server = FakeServer::start(vec![Reply::stream_tool_call(
        "Words",
        r#"{"tasks": ["one", "three", "eleven", "two"]}"#,
        4,
    )])
    .await
    .unwrap();
    let out = quarry(
        &server,
        &[
            "--schema",
            schema.to_str().unwrap(),
            "--prompt",
            "words",
            "--stream",
            "iterable",
            "--compact",
        ],
    )
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        ["\"one\"", "\"three\"", "\"two\""],
        "{stderr}"
    );
    assert!(stderr.contains("item 2 is invalid"), "{stderr}");
    assert_eq!(out.status.code(), Some(4), "the list as a whole is invalid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_stream_is_exit_3_and_shows_what_arrived() {
    let server = FakeServer::start(vec![
        Reply::stream_tool_call("Person", PERSON, 8).cut_after(6),
    ])
    .await
    .unwrap();
    let out = quarry(&server, &["--schema", "person", "--stream", "partial"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("error[incomplete_stream]"), "{stderr}");
    assert!(
        stderr.contains("received: {\"name\":\"Ada Lovelace\""),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_and_keeps_what_arrived() {
    let server = FakeServer::start(vec![
        Reply::stream_tool_call("Person", PERSON, 4).paced(Duration::from_millis(100)),
    ])
    .await
    .unwrap();
    let mut child = quarry(&server, &["--schema", "person", "--stream", "partial"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    // Wait for the name to start arriving, then press Ctrl-C.
    while stdout.read_line(&mut line).unwrap() > 0 && !line.contains("\"path\":\"/name\"") {
        line.clear();
    }
    interrupt(child.id());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("error[cancelled]"), "{stderr}");
    assert!(stderr.contains("received: {\"name\":"), "{stderr}");
}

fn interrupt(pid: u32) {
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
