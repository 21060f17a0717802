//! Every workbench command, headless: a test host with a temporary database, a fixed key and
//! an event collector, and the fake provider for runs.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use quarry_engine::{ApiKey, EventRecord, KeySource, RunEvent};
use quarry_fake_provider::{FakeServer, Reply};
use quarry_store::location::Location;
use quarry_workbench::data::DataFolder;
use quarry_workbench::orchestrate::RunEnd;
use quarry_workbench::{Command, Host, Workbench};
use serde_json::{Value, json};

struct TestHost {
    data: DataFolder,
    events: Arc<Mutex<Vec<(String, EventRecord)>>>,
    ends: Arc<Mutex<Vec<(String, RunEnd)>>>,
}

impl Host for TestHost {
    fn data(&self) -> &DataFolder {
        &self.data
    }
    fn keys(&self) -> Arc<dyn KeySource> {
        Arc::new(|_: &str, _: &str| Some(ApiKey::new("sk-workbench-test")))
    }
    fn emit(&self, stream_id: &str, event: &EventRecord) {
        self.events
            .lock()
            .unwrap()
            .push((stream_id.to_string(), event.clone()));
    }
    fn run_ended(&self, stream_id: &str, end: &RunEnd) {
        self.ends
            .lock()
            .unwrap()
            .push((stream_id.to_string(), end.clone()));
    }
}

struct Bench {
    wb: Workbench<TestHost>,
    events: Arc<Mutex<Vec<(String, EventRecord)>>>,
    ends: Arc<Mutex<Vec<(String, RunEnd)>>>,
    dir: tempfile::TempDir,
}

fn bench() -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let ends = Arc::new(Mutex::new(Vec::new()));
    // An unpinned data folder with its default history in the temporary folder, as the apps
    // have, so the data folder can be moved.
    let location = Location::chosen_in(dir.path().join("home").join("wb.db"));
    let wb = Workbench::new(TestHost {
        data: DataFolder::new(location, None),
        events: events.clone(),
        ends: ends.clone(),
    });
    Bench {
        wb,
        events,
        ends,
        dir,
    }
}

/// Sends a command written as JSON, as the UI does.
async fn call(b: &Bench, command: Value) -> Result<Value, quarry_workbench::CommandError> {
    let cmd: Command = serde_json::from_value(command).expect("a valid command");
    b.wb.handle(cmd).await
}

async fn ok(b: &Bench, command: Value) -> Value {
    call(b, command.clone())
        .await
        .unwrap_or_else(|e| panic!("{command}: {e:?}"))
}

async fn wait_done(b: &Bench, stream_id: &str) {
    for _ in 0..500 {
        if !b.wb.is_running(stream_id) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("run {stream_id} did not finish");
}

const SCHEMA: &str = r#"{"title": "Person", "type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}}, "required": ["name", "age"]}"#;

fn request(server: &FakeServer) -> Value {
    json!({"provider": "openai", "model": "gpt-4o-mini", "base_url": server.base_url(),
           "messages": [{"role": "user", "content": [{"type": "text", "text": "Extract: {{ doc }}"}]}],
           "context": {"doc": "Ada, 36"}, "max_retries": 1})
}

#[tokio::test]
async fn providers_and_examples() {
    let b = bench();
    let providers = ok(&b, json!({"cmd": "list_providers"})).await;
    assert!(
        providers
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "ollama" && p["default_mode"] == "json_schema")
    );
    let examples = ok(&b, json!({"cmd": "list_examples"})).await;
    assert_eq!(examples.as_array().unwrap().len(), 5);
    assert!(examples[1]["input"].as_str().unwrap().contains("NORDLYS"));
}

#[tokio::test]
async fn schemas_are_versioned_and_diffed() {
    let b = bench();
    assert_eq!(
        ok(
            &b,
            json!({"cmd": "save_schema", "name": "person", "body": SCHEMA})
        )
        .await["version"],
        1
    );
    let v2 = SCHEMA.replace("\"minimum\": 0", "\"minimum\": 18");
    assert_eq!(
        ok(
            &b,
            json!({"cmd": "save_schema", "name": "person", "body": v2})
        )
        .await["version"],
        2
    );
    assert_eq!(ok(&b, json!({"cmd": "list_schemas"})).await[0]["latest"], 2);
    assert_eq!(
        ok(&b, json!({"cmd": "schema_versions", "name": "person"}))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let d = ok(
        &b,
        json!({"cmd": "diff_schema_versions", "name": "person", "a": 1, "b": 2}),
    )
    .await;
    assert_eq!(d[0]["path"], "/properties/age/minimum");
    let err = call(&b, json!({"cmd": "save_schema", "name": "bad", "body": "{\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"#/$defs/X\"}}}"})).await.unwrap_err();
    assert_eq!(err.code, "invalid");
    assert!(err.message.contains("does not resolve"), "{}", err.message);
    assert!(err.details["hint"].is_string());
}

#[tokio::test]
async fn prompts_and_profiles() {
    let b = bench();
    let msgs = json!([{"role": "system", "content": [{"type": "text", "text": "Be exact."}]}]);
    assert_eq!(
        ok(
            &b,
            json!({"cmd": "save_prompt", "name": "p", "messages": msgs})
        )
        .await["version"],
        1
    );
    assert_eq!(ok(&b, json!({"cmd": "list_prompts"})).await[0]["name"], "p");
    assert_eq!(
        ok(&b, json!({"cmd": "prompt_versions", "name": "p"}))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let profile =
        json!({"name": "fast", "provider": "groq", "model": "llama", "params": {"temperature": 0}});
    ok(&b, json!({"cmd": "save_profile", "profile": profile})).await;
    assert_eq!(
        ok(&b, json!({"cmd": "list_profiles"})).await[0]["provider"],
        "groq"
    );
    assert_eq!(
        ok(&b, json!({"cmd": "delete_profile", "name": "fast"})).await["deleted"],
        true
    );
    assert!(
        ok(&b, json!({"cmd": "list_profiles"}))
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_profile_carrying_a_secret_is_not_saved() {
    let b = bench();
    for (profile, place) in [
        (
            json!({"name": "proxy", "provider": "openai", "model": "m",
                "base_url": "https://me:s3cret@proxy.example/v1"}),
            "base_url",
        ),
        (
            json!({"name": "azure", "provider": "azure", "model": "m",
                "base_url": "https://x.example/openai?api-key=s3cret"}),
            "base_url",
        ),
        (
            json!({"name": "hdr", "provider": "openai", "model": "m",
                "params": {"headers": {"Authorization": "Bearer s3cret"}}}),
            "params.headers.Authorization",
        ),
    ] {
        let err = call(&b, json!({"cmd": "save_profile", "profile": profile}))
            .await
            .unwrap_err();
        assert_eq!(err.code, "secret_in_profile");
        assert!(err.message.contains(place), "{}", err.message);
        assert!(!err.message.contains("s3cret"), "{}", err.message);
        assert!(
            err.details["hint"].as_str().unwrap().contains("keychain"),
            "{}",
            err.details
        );
    }
    assert!(
        ok(&b, json!({"cmd": "list_profiles"}))
            .await
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing was saved"
    );
}

#[tokio::test]
async fn a_run_streams_its_events_to_the_chosen_id_and_is_recorded() {
    let b = bench();
    let server = FakeServer::start(vec![
        Reply::stream_tool_call("Person", r#"{"name": "Ada", "age": -1}"#, 5),
        Reply::stream_tool_call("Person", r#"{"name": "Ada", "age": 36}"#, 5),
    ])
    .await
    .unwrap();
    let started = ok(
        &b,
        json!({"cmd": "start_run", "stream_id": "ui-1", "request": request(&server),
        "schema_name": "person", "schema": SCHEMA, "stream": "partial"}),
    )
    .await;
    let run_id = started["run_id"].as_i64().unwrap();
    wait_done(&b, "ui-1").await;
    let events = b.events.lock().unwrap().clone();
    assert!(events.iter().all(|(id, _)| id == "ui-1"));
    assert!(
        matches!(events[0].1.event, RunEvent::RunStarted { .. }),
        "the first event is delivered too"
    );
    assert!(
        events
            .iter()
            .any(|(_, e)| matches!(e.event, RunEvent::Partial { .. }))
    );
    assert!(matches!(
        events.last().unwrap().1.event,
        RunEvent::RunSucceeded { .. }
    ));

    let shown = ok(&b, json!({"cmd": "show_run", "id": run_id})).await;
    assert_eq!(shown["status"], "succeeded");
    assert_eq!(shown["attempts"], 2);
    assert_eq!(shown["result"]["age"], 36);
    assert!(shown["cost_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(
        ok(&b, json!({"cmd": "list_runs"}))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        ok(&b, json!({"cmd": "search_runs", "text": "Ada"}))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(
        ok(&b, json!({"cmd": "search_runs", "status": "failed"}))
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Rerun: a new run, recorded, streamed to its own id; then the two compared.
    let server2 = FakeServer::start(vec![Reply::stream_tool_call(
        "Person",
        r#"{"name": "Ada", "age": 37}"#,
        5,
    )])
    .await
    .unwrap();
    let _ = server2; // the rerun calls the original base URL, which answers its last reply again
    let rerun = ok(
        &b,
        json!({"cmd": "rerun_run", "id": run_id, "stream_id": "ui-2"}),
    )
    .await;
    wait_done(&b, "ui-2").await;
    let new_id = rerun["run_id"].as_i64().unwrap();
    assert_ne!(new_id, run_id);
    let d = ok(&b, json!({"cmd": "diff_runs", "a": run_id, "b": new_id})).await;
    assert!(
        d["spec"].as_array().unwrap().is_empty(),
        "same request: {d}"
    );

    // Export and import.
    let csv = ok(
        &b,
        json!({"cmd": "export_results", "ids": [run_id], "format": "csv"}),
    )
    .await;
    assert_eq!(
        csv["text"].as_str().unwrap().lines().next(),
        Some("run_id,name,age")
    );
    let archive = ok(&b, json!({"cmd": "export_run", "id": run_id})).await;
    let imported = ok(&b, json!({"cmd": "import_run", "archive": archive})).await;
    let copy = ok(&b, json!({"cmd": "show_run", "id": imported["run_id"]})).await;
    assert_eq!(copy["events"], shown["events"]);
    let err = call(
        &b,
        json!({"cmd": "export_results", "ids": [1], "format": "xml"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "bad_format");
}

#[tokio::test]
async fn a_run_records_the_profile_it_came_from() {
    let b = bench();
    let server = FakeServer::start(vec![Reply::tool_call(
        "Person",
        r#"{"name": "Ada", "age": 36}"#,
    )])
    .await
    .unwrap();
    ok(&b, json!({"cmd": "save_profile", "profile": {"name": "mini", "provider": "openai", "model": "gpt-4o-mini"}})).await;
    let started = ok(
        &b,
        json!({"cmd": "start_run", "stream_id": "p", "request": request(&server),
        "schema_name": "person", "schema": SCHEMA, "profile": "mini"}),
    )
    .await;
    wait_done(&b, "p").await;
    assert_eq!(
        ok(&b, json!({"cmd": "show_run", "id": started["run_id"]})).await["profile"],
        "mini"
    );
    let err = call(
        &b,
        json!({"cmd": "start_run", "stream_id": "q", "request": request(&server),
        "schema_name": "person", "schema": SCHEMA, "profile": "nope"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "not_found");
}

#[tokio::test]
async fn a_run_can_be_cancelled() {
    let b = bench();
    let server = FakeServer::start(vec![
        Reply::stream_tool_call("Person", r#"{"name": "Ada Lovelace", "age": 36}"#, 2)
            .paced(Duration::from_millis(50)),
    ])
    .await
    .unwrap();
    let started = ok(
        &b,
        json!({"cmd": "start_run", "stream_id": "ui-c", "request": request(&server),
        "schema_name": "person", "schema": SCHEMA, "stream": "partial"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The data folder does not move under a run that is writing to it.
    let elsewhere = b.dir.path().join("elsewhere");
    let e = call(
        &b,
        json!({"cmd": "set_data_folder", "folder": elsewhere, "copy": true}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "run_going");
    assert!(!elsewhere.exists());
    let e = call(&b, json!({"cmd": "compact_history"}))
        .await
        .unwrap_err();
    assert_eq!(e.code, "run_going");
    assert!(
        e.details["hint"]
            .as_str()
            .unwrap()
            .contains("compact the history")
    );
    assert_eq!(
        ok(&b, json!({"cmd": "cancel_run", "stream_id": "ui-c"})).await["cancelled"],
        true
    );
    wait_done(&b, "ui-c").await;
    let shown = ok(&b, json!({"cmd": "show_run", "id": started["run_id"]})).await;
    assert_eq!(shown["status"], "cancelled");
    assert_eq!(
        ok(&b, json!({"cmd": "cancel_run", "stream_id": "ui-c"})).await["cancelled"],
        false
    );
}

#[tokio::test]
async fn bad_input_fails_before_a_run_exists() {
    let b = bench();
    let server = FakeServer::start(vec![]).await.unwrap();
    let mut req = request(&server);
    req["provider"] = json!("nosuch");
    let err = call(
        &b,
        json!({"cmd": "start_run", "stream_id": "x", "request": req,
        "schema_name": "person", "schema": SCHEMA}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "unknown_provider");
    assert_eq!(err.details["kind"], "bad_input");
    let mut req = request(&server);
    req["messages"][0]["content"][0]["text"] = json!("{{ missing }}");
    let err = call(
        &b,
        json!({"cmd": "start_run", "stream_id": "x", "request": req,
        "schema_name": "person", "schema": SCHEMA}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "template_undefined_variable");
    let err = call(
        &b,
        json!({"cmd": "start_run", "stream_id": "x", "request": request(&server),
        "schema_name": "person", "schema": "[1]"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "schema_not_object");
    assert!(
        ok(&b, json!({"cmd": "list_runs"}))
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    let err = call(&b, json!({"cmd": "show_run", "id": 42}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "no_such_run");
}

#[tokio::test]
async fn a_recorded_run_replays_as_its_events_and_runs_can_be_deleted() {
    let b = bench();
    let server = FakeServer::start(vec![Reply::stream_tool_call(
        "Person",
        r#"{"name": "Ada", "age": 36}"#,
        5,
    )])
    .await
    .unwrap();
    let started = ok(
        &b,
        json!({"cmd": "start_run", "stream_id": "ui-r", "request": request(&server),
        "schema_name": "person", "schema": SCHEMA, "stream": "partial"}),
    )
    .await;
    wait_done(&b, "ui-r").await;
    let id = started["run_id"].as_i64().unwrap();
    let replay = ok(&b, json!({"cmd": "run_events", "id": id})).await;
    assert_eq!(replay["summary"]["status"], "succeeded");
    assert_eq!(replay["stream"], "partial");
    assert_eq!(replay["unreadable"], 0);
    // The same events, in the same order, as the live stream delivered.
    let live: Vec<Value> = b
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|(s, _)| s == "ui-r")
        .map(|(_, e)| serde_json::to_value(e).unwrap())
        .collect();
    assert_eq!(replay["events"].as_array().unwrap(), &live);
    assert!(live.iter().any(|e| e["type"] == "partial"));

    let gone = ok(&b, json!({"cmd": "delete_runs", "ids": [id, 999]})).await;
    assert_eq!(gone["deleted"], 1);
    let err = call(&b, json!({"cmd": "run_events", "id": id}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "no_such_run");
    let found = ok(&b, json!({"cmd": "search_runs", "text": "Ada"})).await;
    assert!(found.as_array().unwrap().is_empty(), "{found}");
}

#[tokio::test]
async fn settings_are_kept_in_the_database() {
    let b = bench();
    let s = ok(&b, json!({"cmd": "get_settings"})).await;
    assert_eq!(s["theme"], "system");
    assert!(s["database"].as_str().unwrap().ends_with("wb.db"));
    assert_eq!(s["data_folder_pinned_by"], Value::Null);
    // The price table in effect comes with them (the host's: built-in here).
    let gpt4o = s["prices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == "openai" && p["model"] == "gpt-4o*")
        .cloned();
    assert_eq!(gpt4o.unwrap()["input"], 2.5);
    ok(&b, json!({"cmd": "save_settings", "theme": "dark"})).await;
    assert_eq!(
        ok(&b, json!({"cmd": "get_settings"})).await["theme"],
        "dark"
    );
    // A theme that does not exist is refused where the command is read.
    let bad = serde_json::from_value::<Command>(json!({"cmd": "save_settings", "theme": "neon"}));
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("unknown variant `neon`")
    );
}

#[tokio::test]
async fn the_data_folder_moves_with_or_without_the_history_and_every_later_start_finds_it() {
    let b = bench();
    let home = b.dir.path().join("home").join("wb.db");
    let schema = json!({"cmd": "save_schema", "name": "Invoice", "body": "{\"type\": \"object\"}"});
    ok(&b, schema.clone()).await;
    ok(&b, json!({"cmd": "save_settings", "theme": "dark"})).await;
    let names = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };

    // Refused, each with what to do, and nothing changes: a relative path, a file.
    let relative = call(
        &b,
        json!({"cmd": "set_data_folder", "folder": "data", "copy": true}),
    )
    .await
    .unwrap_err();
    assert_eq!(relative.code, "data_folder_relative");
    assert!(
        relative.details["hint"]
            .as_str()
            .unwrap()
            .contains("full path")
    );
    assert_eq!(relative.details["setting"], "database");
    let file = b.dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let e = call(
        &b,
        json!({"cmd": "set_data_folder", "folder": file, "copy": true}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "data_folder_is_a_file");
    let s = ok(&b, json!({"cmd": "get_settings"})).await;
    assert_eq!(s["database"], home.display().to_string());

    // Copied: the new folder (created) has the schemas and the theme; a price file comes along.
    std::fs::write(
        home.with_file_name("prices.json"),
        r#"{"prices": [{"provider": "groq", "model": "*", "input": 0.05, "output": 0.08}]}"#,
    )
    .unwrap();
    let copied = b.dir.path().join("disk").join("quarry");
    let s = ok(
        &b,
        json!({"cmd": "set_data_folder", "folder": copied, "copy": true}),
    )
    .await;
    assert_eq!(s["moved"], "copied");
    assert_eq!(s["data_folder"], copied.display().to_string());
    assert_eq!(s["theme"], "dark");
    assert_eq!(s["user_prices"][0]["provider"], "groq");
    assert_eq!(
        names(ok(&b, json!({"cmd": "list_schemas"})).await),
        ["Invoice"]
    );

    // A later start (the CLI, the app) finds the folder from the default history.
    let found = Location::chosen_in(home.clone());
    assert_eq!(found.db, copied.join("quarry.db"));

    // Empty: a second folder starts with nothing; the copy is untouched.
    let empty = b.dir.path().join("empty");
    let s = ok(
        &b,
        json!({"cmd": "set_data_folder", "folder": empty, "copy": false}),
    )
    .await;
    assert_eq!(s["moved"], "started_empty");
    assert!(names(ok(&b, json!({"cmd": "list_schemas"})).await).is_empty());

    // Back to a folder that has a history: it is opened as it is, whatever `copy` says.
    let s = ok(
        &b,
        json!({"cmd": "set_data_folder", "folder": copied, "copy": true}),
    )
    .await;
    assert_eq!(s["moved"], "opened_existing");
    assert_eq!(
        names(ok(&b, json!({"cmd": "list_schemas"})).await),
        ["Invoice"]
    );
    let s = ok(
        &b,
        json!({"cmd": "set_data_folder", "folder": copied, "copy": true}),
    )
    .await;
    assert_eq!(s["moved"], "unchanged");

    // A folder holding something that is not a Quarry history is refused, and the one in
    // use stays.
    let junk = b.dir.path().join("junk");
    std::fs::create_dir(&junk).unwrap();
    std::fs::write(junk.join("quarry.db"), "not a database at all").unwrap();
    let e = call(
        &b,
        json!({"cmd": "set_data_folder", "folder": junk, "copy": true}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.details["setting"], "database", "{e:?}");
    let s = ok(&b, json!({"cmd": "get_settings"})).await;
    assert_eq!(s["data_folder"], copied.display().to_string());

    // The chosen folder goes missing (an unplugged disk): the next start uses the default
    // history and says which folder it could not find, rather than starting an empty one there.
    std::fs::remove_dir_all(&copied).unwrap();
    let found = Location::chosen_in(home.clone());
    assert_eq!((found.db, found.missing), (home.clone(), Some(copied)));
}

#[tokio::test]
async fn compacting_the_history_reports_what_it_freed() {
    let b = bench();
    // A schema version large enough to be stored as a payload, then a smaller one.
    let big = format!(
        r#"{{"type": "object", "description": "{}"}}"#,
        "d".repeat(20_000)
    );
    ok(
        &b,
        json!({"cmd": "save_schema", "name": "Big", "body": big}),
    )
    .await;
    let done = ok(&b, json!({"cmd": "compact_history"})).await;
    // Every version is kept, so nothing is freed; the sizes are reported.
    assert_eq!(done["payloads_removed"], 0);
    assert!(done["bytes_after"].as_u64().unwrap() > 0);
    let versions = ok(&b, json!({"cmd": "schema_versions", "name": "Big"})).await;
    assert_eq!(versions.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_user_prices_are_saved_checked_and_put_in_effect() {
    let b = bench();
    let groq = json!({"provider": "groq", "model": "llama*", "input": 0.05, "output": 0.08});
    let s = ok(&b, json!({"cmd": "save_prices", "prices": [groq]})).await;
    assert_eq!(s["user_prices"], json!([groq]));
    assert!(s["prices"].as_array().unwrap().contains(&groq));
    assert!(s["prices_file"].as_str().unwrap().ends_with("prices.json"));
    // A bad entry is refused with which entry and why; the saved ones stay in effect.
    let e = call(
        &b,
        json!({"cmd": "save_prices", "prices": [groq, {"provider": "groq", "model": "x", "input": -2, "output": 1}]}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "prices_invalid");
    assert!(
        e.message.contains("entry 2 (groq/x): the input price -2"),
        "{}",
        e.message
    );
    let s = ok(&b, json!({"cmd": "get_settings"})).await;
    assert_eq!(s["user_prices"], json!([groq]));
    // A price file broken by hand leaves the built-in prices in effect and says why.
    std::fs::write(s["prices_file"].as_str().unwrap(), "{oops").unwrap();
    b.wb.host().data().reload_prices();
    let s = ok(&b, json!({"cmd": "get_settings"})).await;
    assert!(
        s["prices_problem"]
            .as_str()
            .unwrap()
            .contains("is not valid")
    );
    assert!(!s["prices"].as_array().unwrap().contains(&groq));
}

#[tokio::test]
async fn keys_are_stored_reported_and_deleted_and_never_come_back_out() {
    let b = bench();
    let err = call(
        &b,
        json!({"cmd": "set_key", "provider": "nosuch", "key": "sk-x-0123"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "unknown_provider");
    let err = call(
        &b,
        json!({"cmd": "set_key", "provider": "groq", "key": "gsk bad key"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "invalid_key");
    assert!(!err.message.contains("bad key"), "{}", err.message);
    if std::env::var_os("QUARRY_TEST_KEYCHAIN").is_none() {
        eprintln!("QUARRY_TEST_KEYCHAIN is not set: run scripts/test for the keychain half");
        return;
    }
    let key = "gsk-workbench-test-0123456789";
    let saved = ok(
        &b,
        json!({"cmd": "set_key", "provider": "groq", "key": key}),
    )
    .await;
    assert_eq!(saved["provider"], "groq");
    let report = ok(&b, json!({"cmd": "key_status"})).await;
    assert_eq!(report["keychain"], true);
    let groq = report["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == "groq")
        .unwrap()
        .clone();
    assert_eq!(groq["source"], "keychain");
    assert!(!report.to_string().contains("0123456789"));
    assert_eq!(
        ok(&b, json!({"cmd": "delete_key", "provider": "groq"})).await["deleted"],
        true
    );
    assert_eq!(
        ok(&b, json!({"cmd": "delete_key", "provider": "groq"})).await["deleted"],
        false
    );
}

#[tokio::test]
async fn a_run_ends_with_its_status_and_a_history_it_could_not_write_is_reported() {
    let b = bench();
    let server = FakeServer::start(vec![Reply::tool_call(
        "Person",
        r#"{"name": "Ada", "age": 36}"#,
    )])
    .await
    .unwrap();
    let start = json!({"cmd": "start_run", "stream_id": "e-1", "request": request(&server),
        "schema_name": "person", "schema": SCHEMA});
    let id = ok(&b, start.clone()).await["run_id"].as_i64().unwrap();
    wait_done(&b, "e-1").await;
    {
        let ends = b.ends.lock().unwrap();
        let (stream, end) = ends.last().unwrap();
        assert_eq!(
            (stream.as_str(), end.run_id, end.status.as_str()),
            ("e-1", Some(id), "succeeded")
        );
        assert!(end.not_recorded.is_none());
    }
    // Another process holds the history: the run still goes on, and its end says why it is
    // not in the history.
    let holder = rusqlite::Connection::open(b.dir.path().join("home").join("wb.db")).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut start = start;
    start["stream_id"] = json!("e-2");
    ok(&b, start).await;
    wait_done(&b, "e-2").await;
    holder.execute_batch("ROLLBACK").unwrap();
    let ends = b.ends.lock().unwrap();
    let (_, end) = ends.last().unwrap();
    assert_eq!(end.status, "succeeded");
    let why = end
        .not_recorded
        .as_ref()
        .expect("the end says it was not recorded");
    assert_eq!(why.code, "store_busy", "{why:?}");
    assert!(b.events.lock().unwrap().iter().any(
        |(s, e)| s == "e-2" && matches!(e.event, quarry_engine::RunEvent::RunSucceeded { .. })
    ));
}

#[tokio::test]
async fn a_request_is_previewed_and_local_servers_are_listed_through_commands() {
    let b = bench();
    let server = FakeServer::start(vec![Reply::ok(
        json!({"object": "list", "data": [{"id": "qwen", "object": "model"}]}),
    )])
    .await
    .unwrap();
    let preview = ok(
        &b,
        json!({"cmd": "preview_request", "request": request(&server), "schema": SCHEMA,
               "stream": "partial"}),
    )
    .await;
    assert_eq!(preview["request"]["method"], "POST");
    assert_eq!(preview["request"]["body"]["stream"], true);
    assert!(preview["curl"].as_str().unwrap().starts_with("curl "));
    assert!(preview["prompt_tokens"]["count"].as_u64().unwrap() > 0);
    assert!(server.requests().is_empty(), "a preview sends nothing");
    let err = call(
        &b,
        json!({"cmd": "preview_request", "request": request(&server), "schema": "{"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.details["kind"], "bad_input");

    let servers = ok(
        &b,
        json!({"cmd": "discover_models", "provider": "lmstudio", "base_url": server.base_url()}),
    )
    .await;
    assert_eq!(servers[0]["running"], true);
    assert_eq!(servers[0]["models"][0]["id"], "qwen");
    let err = call(&b, json!({"cmd": "discover_models", "provider": "openai"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "invalid_setting");
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Why importing the project at `folder` fails.
async fn import_error(b: &Bench, folder: &std::path::Path) -> quarry_workbench::CommandError {
    call(b, json!({"cmd": "import_project", "folder": folder}))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_project_goes_to_plain_files_and_back_without_loss() {
    let b = bench();
    ok(
        &b,
        json!({"cmd": "save_schema", "name": "person", "body": SCHEMA}),
    )
    .await;
    ok(
        &b,
        json!({"cmd": "save_schema", "name": "../odd/name", "body": "{\"type\": \"object\"}"}),
    )
    .await;
    let pdf = "data:application/pdf;base64,JVBERi0xLjQK";
    let messages = json!([
        {"role": "system", "content": [{"type": "text", "text": "You extract {{ what }}."}]},
        {"role": "user", "content": [
            {"type": "image", "url": "https://example.org/a.png", "detail": "low"},
            {"type": "text", "text": "Here:\n{{ doc }}"},
            {"type": "document", "url": pdf, "name": "report.pdf"},
            {"type": "text", "text": "second text part"}
        ]},
        {"role": "assistant", "content": [], "tool_calls": [
            {"id": "call_1", "name": "Person", "arguments": "{\"name\": \"Ada\"}"}]}
    ]);
    ok(
        &b,
        json!({"cmd": "save_prompt", "name": "few shot", "messages": messages}),
    )
    .await;
    // A profile carrying secrets, as a history written before save_profile refused them may
    // hold (save_profile itself refuses it: see the next test).
    let profile: quarry_store::library::Profile = serde_json::from_value(json!({
        "name": "proxy", "provider": "openai", "model": "gpt-4o-mini",
        "base_url": "https://me:s3cret@proxy.example/v1",
        "params": {"temperature": 0.2, "max_tokens": 100, "stop": ["END"], "seed": null,
            "api_key": "sk-in-params"}}))
    .unwrap();
    let db = b.dir.path().join("home").join("wb.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    quarry_store::Store::open(&db)
        .unwrap()
        .save_profile(&profile)
        .unwrap();

    let first = b.dir.path().join("exported");
    let report = ok(&b, json!({"cmd": "export_project", "folder": first})).await;
    assert_eq!(
        (
            report["schemas"].as_u64(),
            report["prompts"].as_u64(),
            report["profiles"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(
        report["notes"][0],
        "profile `proxy`: the secret in base_url, params.api_key was left out of the export; give it again after importing"
    );
    let files = tree(&first);
    assert!(
        files.keys().all(|k| !k.contains("..")),
        "{:?}",
        files.keys()
    );
    assert_eq!(files["schemas/person.json"], SCHEMA.as_bytes());
    assert_eq!(files["prompts/few shot/02-user.jinja"], b"Here:\n{{ doc }}");
    assert_eq!(
        files["prompts/few shot/02-user.files/report.pdf"],
        b"%PDF-1.4\n"
    );
    let profile_text = String::from_utf8(files["profiles/proxy.toml"].clone()).unwrap();
    assert!(
        !profile_text.contains("s3cret")
            && !profile_text.contains("sk-in-params")
            && profile_text.contains("temperature = 0.2"),
        "{profile_text}"
    );

    // Into another history, and out again: the same files.
    let other = bench();
    let report = ok(&other, json!({"cmd": "import_project", "folder": first})).await;
    assert_eq!(report["prompts"], 1);
    let second = other.dir.path().join("again");
    ok(&other, json!({"cmd": "export_project", "folder": second})).await;
    assert_eq!(tree(&second), files);
    let back = ok(
        &other,
        json!({"cmd": "prompt_versions", "name": "few shot"}),
    )
    .await;
    let back: Value = serde_json::from_str(back[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        back, messages,
        "the prompt's messages, parts in order, tool calls kept"
    );

    // Importing the same files again saves nothing new; a changed schema is a new version.
    let again = ok(&other, json!({"cmd": "import_project", "folder": first})).await;
    assert_eq!(
        again["notes"],
        json!(["3 schema(s) and prompt(s) were already up to date: no new version"])
    );
    std::fs::write(
        first.join("schemas/person.json"),
        r#"{"type": "object", "properties": {"name": {"type": "string"}}}"#,
    )
    .unwrap();
    let changed = ok(&other, json!({"cmd": "import_project", "folder": first})).await;
    assert_eq!(
        changed["notes"][0],
        "schema `person` changed: saved as version 2"
    );
    assert_eq!(changed["notes"].as_array().unwrap().len(), 2, "{changed}");

    // A broken file is named, and nothing of that import is saved.
    std::fs::write(first.join("profiles/proxy.toml"), "provider = \n").unwrap();
    std::fs::write(first.join("schemas/person.json"), r#"{"type": "object"}"#).unwrap();
    let err = import_error(&other, &first).await;
    assert_eq!(err.code, "project_format");
    assert!(err.message.contains("proxy.toml"), "{}", err.message);
    let versions = ok(&other, json!({"cmd": "schema_versions", "name": "person"})).await;
    assert_eq!(versions.as_array().unwrap().len(), 2);

    // A prompt manifest cannot reach outside its folder.
    std::fs::write(
        first.join("profiles/proxy.toml"),
        "provider = \"openai\"\nmodel = \"m\"\n",
    )
    .unwrap();
    std::fs::write(
        first.join("prompts/few shot/prompt.toml"),
        "[[message]]\nrole = \"user\"\n[[message.part]]\nkind = \"text\"\npath = \"../../../secrets.txt\"\n",
    )
    .unwrap();
    let err = import_error(&other, &first).await;
    assert!(
        err.message
            .contains("not a path inside the prompt's folder"),
        "{}",
        err.message
    );
    // A profile file carrying a key is refused on import, so it never reaches the history.
    std::fs::write(
        first.join("prompts/few shot/prompt.toml"),
        "[[message]]\nrole = \"user\"\n",
    )
    .unwrap();
    std::fs::write(
        first.join("profiles/proxy.toml"),
        "provider = \"openai\"\nmodel = \"m\"\nbase_url = \"https://u:hunter2@p.example/v1\"\n",
    )
    .unwrap();
    let err = import_error(&other, &first).await;
    assert!(
        err.message.contains("proxy.toml") && err.message.contains("secret in base_url"),
        "{}",
        err.message
    );
    assert!(!err.message.contains("hunter2"), "{}", err.message);
    std::fs::write(
        first.join("profiles/proxy.toml"),
        "provider = \"openai\"\nmodel = \"m\"\n",
    )
    .unwrap();
    // A prompt folder that is a link (to anywhere on the machine) is not followed.
    let elsewhere = other.dir.path().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("sub")).unwrap();
    std::fs::write(
        elsewhere.join("prompt.toml"),
        "[[message]]\nrole = \"user\"\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(&elsewhere, first.join("prompts/linked")).unwrap();
    let err = import_error(&other, &first).await;
    assert!(
        err.message.contains("linked") && err.message.contains("is a link"),
        "{}",
        err.message
    );
    std::fs::remove_file(first.join("prompts/linked")).unwrap();
    // Nor is a folder on a template's way inside a prompt folder.
    std::os::unix::fs::symlink(elsewhere.join("sub"), first.join("prompts/few shot/sub")).unwrap();
    std::fs::write(elsewhere.join("sub/t.jinja"), "private").unwrap();
    std::fs::write(
        first.join("prompts/few shot/prompt.toml"),
        "[[message]]\nrole = \"user\"\n[[message.part]]\nkind = \"text\"\npath = \"sub/t.jinja\"\n",
    )
    .unwrap();
    let err = import_error(&other, &first).await;
    assert!(err.message.contains("is a link"), "{}", err.message);
    // Not a project at all.
    let err = call(
        &other,
        json!({"cmd": "import_project", "folder": b.dir.path()}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "not_a_project");
    assert!(
        err.message.contains("has no quarry-project.toml"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn a_schema_is_inferred_from_samples_through_a_command() {
    let b = bench();
    let out = ok(
        &b,
        json!({"cmd": "infer_schema", "samples": [
            "{\"name\": \"Ada\", \"born\": \"1815-12-10\"}",
            "{\"name\": \"Grace\"}\n{\"name\": \"Hedy\", \"born\": \"1914-11-09\"}\n"
        ]}),
    )
    .await;
    assert_eq!(out["documents"], 3);
    assert_eq!(out["schema"]["required"], json!(["name"]));
    assert_eq!(out["schema"]["properties"]["born"]["format"], "date");
    let err = call(
        &b,
        json!({"cmd": "infer_schema", "samples": ["{\"a\": 1}", "nope"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "infer_failed");
    assert!(
        err.message.starts_with("sample `sample 2` is not JSON"),
        "{}",
        err.message
    );
    let err = call(&b, json!({"cmd": "infer_schema", "samples": []}))
        .await
        .unwrap_err();
    assert!(err.message.contains("no sample documents"));
}

#[tokio::test]
async fn a_schema_is_linted_and_fixed_through_commands() {
    let b = bench();
    let draft = json!({"provider": "llamacpp", "model": "any", "mode": "json_schema", "messages": [], "max_retries": 0});
    let schema = "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"age\": {\"type\": \"number\", \"minimum\": 0, \"x-keep\": true},\n    \"code\": {\"type\": \"string\", \"pattern\": \"[A-Z]+\"}\n  },\n  \"required\": [\"age\", \"code\"]\n}";
    let lint = ok(
        &b,
        json!({"cmd": "lint_schema", "request": draft, "schema": schema}),
    )
    .await;
    assert_eq!(lint["ruleset"], "llamacpp_grammar");
    assert_eq!(lint["mode"], "json_schema");
    assert_eq!(
        lint["sent"]["location"],
        "/response_format/json_schema/schema"
    );
    let findings = lint["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3, "{findings:?}");
    assert_eq!(findings[0]["at"], "/properties/code");
    assert_eq!(findings[0]["severity"], "error");
    let bound = findings
        .iter()
        .find(|f| f["at"] == "/properties/age")
        .unwrap();
    // One fix, as offered: the keyword moves into the description, the other keys stay put.
    let fixed = ok(
        &b,
        json!({"cmd": "fix_schema", "schema": schema, "fix": bound["fix"]}),
    )
    .await;
    assert_eq!(fixed["applied"], 1);
    let text = fixed["schema"].as_str().unwrap();
    assert!(
        text.contains("\"age\": {\n      \"type\": \"number\",\n      \"x-keep\": true,\n      \"description\": \"minimum: 0\"\n    }"),
        "{text}"
    );
    // All of them: nothing left to fix.
    let all = ok(
        &b,
        json!({"cmd": "fix_schema", "schema": schema, "all": draft}),
    )
    .await;
    assert_eq!(all["applied"], 3);
    let again = ok(
        &b,
        json!({"cmd": "lint_schema", "request": draft, "schema": all["schema"]}),
    )
    .await;
    assert_eq!(again["findings"], json!([]));
    // A fix offered for another text is refused, saying so; so is a schema that is not JSON.
    let err = call(
        &b,
        json!({"cmd": "fix_schema", "schema": "{\"type\": \"object\"}", "fix": bound["fix"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "fix_stale");
    let err = call(
        &b,
        json!({"cmd": "fix_schema", "schema": "{", "all": draft}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "schema_not_json");
    let err = call(&b, json!({"cmd": "lint_schema", "request": {"provider": "groq", "model": "m", "mode": "json_schema", "messages": [], "max_retries": 0}, "schema": schema}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "unsupported_mode");
}

#[tokio::test]
async fn a_schema_is_imported_through_a_command() {
    let b = bench();
    let yaml = "openapi: 3.0.0\ncomponents:\n  schemas:\n    Tag:\n      type: object\n      properties:\n        label: {type: string, nullable: true, example: urgent}\n";
    let out = ok(&b, json!({"cmd": "import_schema", "text": yaml})).await;
    assert_eq!(out["source"], "OpenAPI 3.0.0 component `Tag`");
    assert_eq!(
        out["schema"]["properties"]["label"],
        json!({"type": ["string", "null"], "examples": ["urgent"]})
    );
    assert_eq!(out["notes"].as_array().unwrap().len(), 2);
    let err = call(
        &b,
        json!({"cmd": "import_schema", "text": yaml, "component": "Nope"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, "import_no_component");
    assert!(err.message.contains("it has: Tag"), "{}", err.message);
}

#[tokio::test]
async fn the_draft_is_exported_as_code_through_a_command() {
    let b = bench();
    let draft = json!({"provider": "openai", "model": "gpt-4o-mini", "messages": [{"role": "user", "content": [{"type": "text", "text": "Find {{ who }}"}]}], "context": {"who": "Ada"}, "max_retries": 2});
    let schema = "{\"title\": \"Person\", \"type\": \"object\", \"properties\": {\"name\": {\"type\": \"string\"}}, \"required\": [\"name\"]}";
    let py = ok(
        &b,
        json!({"cmd": "export_code", "request": draft, "schema": schema, "language": "python"}),
    )
    .await;
    assert_eq!(py["file_name"], "extract.py");
    let code = py["code"].as_str().unwrap();
    for expected in [
        "class Person(BaseModel):",
        "    name: str\n",
        "mode=instructor.Mode.TOOLS",
        "context={\"who\": \"Ada\"}",
        "max_retries=2",
        "os.environ[\"OPENAI_API_KEY\"]",
    ] {
        assert!(code.contains(expected), "{expected} not in:\n{code}");
    }
    let rs = ok(
        &b,
        json!({"cmd": "export_code", "request": draft, "schema": schema, "language": "rust"}),
    )
    .await;
    assert_eq!(rs["file_name"], "main.rs");
    assert!(
        rs["code"]
            .as_str()
            .unwrap()
            .contains("Message::user(r#\"Find {{ who }}\"#)")
    );
    let curl = ok(
        &b,
        json!({"cmd": "export_code", "request": draft, "schema": schema, "language": "curl"}),
    )
    .await;
    assert!(
        curl["code"].as_str().unwrap().starts_with("curl "),
        "{}",
        curl["code"]
    );
    let err = call(&b, json!({"cmd": "export_code", "request": draft, "schema": "{\"type\": 5}", "language": "python"}))
        .await
        .unwrap_err();
    assert_eq!(err.code, "schema_invalid");
}
