//! API keys: stored in the real OS keychain (the gnome-keyring `scripts/test` starts), used by
//! `extract`, listed by source, deleted; a clear error without a keychain; never in the
//! database or an export.

use std::io::Write;
use std::process::{Command, Stdio};

use quarry_fake_provider::{FakeServer, Reply};
use serde_json::Value;

const PERSON: &str = r#"{"name": "Ada Lovelace", "age": 36, "email": null, "phone": null, "occupation": "mathematician", "address": null}"#;

fn quarry() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("quarry"));
    cmd.env_remove("OPENAI_API_KEY").env_remove("GROQ_API_KEY");
    cmd
}

/// `quarry keys list --json`.
fn keys_list() -> Value {
    let out = quarry().args(["keys", "list", "--json"]).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn provider<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == name)
        .unwrap()
}

fn with_stdin(mut cmd: Command, input: &str) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn without_a_keychain_the_error_says_so_and_names_the_variable() {
    let mut cmd = quarry();
    cmd.args(["keys", "set", "openai"])
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/quarry-bus",
        )
        .env_remove("DISPLAY");
    let out = with_stdin(cmd, "sk-nowhere-0123456789\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no OS keychain is reachable"), "{stderr}");
    assert!(stderr.contains("export OPENAI_API_KEY="), "{stderr}");
    assert!(!stderr.contains("0123456789"));
}

#[test]
fn an_empty_key_or_an_unknown_provider_is_refused() {
    let mut cmd = quarry();
    cmd.args(["keys", "set", "openai"]);
    let out = with_stdin(cmd, "\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no key was given"));
    let mut cmd = quarry();
    cmd.args(["keys", "set", "opneai"]);
    let out = with_stdin(cmd, "sk\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown provider `opneai`"));
}

#[test]
fn a_key_that_could_not_be_sent_or_never_ends_is_refused() {
    let mut cmd = quarry();
    cmd.args(["keys", "set", "openai"]);
    let out = with_stdin(cmd, "sk-two words-0123456789\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("contains a space at position 7"),
        "{stderr}"
    );
    assert!(!stderr.contains("0123456789"), "{stderr}");
    let out = quarry()
        .args(["keys", "set", "openai"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("longer than 64 KiB"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_key_is_used_listed_and_deleted_and_never_written_down() {
    if std::env::var_os("QUARRY_TEST_KEYCHAIN").is_none() {
        eprintln!("QUARRY_TEST_KEYCHAIN is not set: run scripts/test for the keychain tests");
        return;
    }
    // A provider no other test stores a key for.
    let key = "gsk-keychain-cli-test-9876543210";
    let mut cmd = quarry();
    cmd.args(["keys", "set", "groq"]);
    let out = with_stdin(cmd, &format!("{key}\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let list = keys_list();
    let groq = provider(&list, "groq");
    assert_eq!(groq["source"], "keychain");
    assert!(!list.to_string().contains(key));

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.db");
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON)])
        .await
        .unwrap();
    let out = quarry()
        .env("QUARRY_DB", &db)
        .args([
            "extract",
            "--provider",
            "groq/llama",
            "--base-url",
            &server.base_url(),
            "--schema",
            "person",
            "--events",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {key}").as_str())
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(key),
        "the key reached the event log"
    );
    let export = dir.path().join("run.json");
    quarry()
        .env("QUARRY_DB", &db)
        .args(["runs", "export", "1", "--format", "run", "--out"])
        .arg(&export)
        .output()
        .unwrap();
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "the key reached a file"
        );
    }

    assert!(
        quarry()
            .args(["keys", "delete", "groq"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let list = keys_list();
    let groq = provider(&list, "groq");
    assert_eq!(groq["source"], "missing");
}

#[test]
fn a_missing_key_suggests_the_keychain_only_where_one_answers() {
    let extract = || {
        let mut cmd = quarry();
        cmd.args([
            "extract",
            "--provider",
            "openai/gpt-4o-mini",
            "--schema",
            "person",
        ])
        .args(["--no-save"]);
        cmd
    };
    let out = extract()
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/quarry-bus",
        )
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("export OPENAI_API_KEY="), "{stderr}");
    assert!(!stderr.contains("keys set"), "{stderr}");
    if std::env::var_os("QUARRY_TEST_KEYCHAIN").is_none() {
        eprintln!("QUARRY_TEST_KEYCHAIN is not set: run scripts/test for the keychain half");
        return;
    }
    let out = extract().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("quarry keys set openai"), "{stderr}");
}
