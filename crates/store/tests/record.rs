//! Recording real engine runs (against the fake provider) and reading them back.

use std::sync::Arc;

use quarry_engine::{ApiKey, CallOptions, Client, ExtractRequest, ResponseSchema, StreamKind};
use quarry_fake_provider::{FakeServer, Reply};
use quarry_store::{NewRun, Recorder, RunStatus, Store};
use rusqlite::Connection;

const SCHEMA: &str = r#"{"title": "Person", "type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}}, "required": ["name", "age"]}"#;
const KEY: &str = "sk-store-test-0123456789abcdef";

fn client() -> Client {
    Client::builder()
        .keys(Arc::new(|_: &str, _: &str| Some(ApiKey::new(KEY))))
        .build()
}

fn request(server: &FakeServer) -> ExtractRequest {
    ExtractRequest::new("openai/gpt-4o-mini")
        .base_url(server.base_url())
        .user("Extract: {{ text }}")
        .var("text", "Ada, 36")
        .max_retries(1)
}

async fn record(store: Store, req: &ExtractRequest, stream: Option<StreamKind>) -> (Store, i64) {
    let mut store = store;
    let id = store
        .start_run(&NewRun {
            project: "default",
            schema_name: "person",
            schema_body: SCHEMA,
            prompt_name: "adhoc",
            request: req,
            stream,
            profile: None,
        })
        .unwrap();
    let price = quarry_store::prices::PriceTable::builtin()
        .lookup(&req.provider, &req.model)
        .cloned();
    let recorder = Recorder::spawn(store, id, price);
    let options = CallOptions {
        observer: Some(recorder.observer()),
        ..Default::default()
    };
    let schema = Arc::new(ResponseSchema::from_json_str(SCHEMA).unwrap());
    match stream {
        None => {
            let _ = client().extract_value_with(req, &schema, &options).await;
        }
        Some(kind) => {
            let run = client().stream(req.clone(), schema, kind, options).unwrap();
            let _ = run.finish().await;
        }
    }
    (recorder.finish().unwrap(), id)
}

#[tokio::test]
async fn a_reasked_run_is_kept_with_attempts_events_and_result() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let server = FakeServer::start(vec![
        Reply::tool_call("Person", r#"{"name": "Ada", "age": -1}"#),
        Reply::tool_call("Person", r#"{"name": "Ada", "age": 36}"#),
    ])
    .await
    .unwrap();
    let (store, id) = record(Store::open(&path).unwrap(), &request(&server), None).await;
    let run = store.show_run(id).unwrap();
    assert_eq!(run.summary.status, RunStatus::Succeeded);
    assert_eq!(run.summary.attempts, 2);
    assert_eq!(run.summary.usage.total_tokens, 120);
    assert_eq!(
        run.result,
        Some(serde_json::json!({"name": "Ada", "age": 36}))
    );
    assert_eq!(run.attempts.len(), 2);
    assert!(
        run.attempts[0]
            .error
            .as_deref()
            .unwrap()
            .contains("at /age: -1 is less than the minimum of 0")
    );
    assert_eq!(
        run.attempts[0].raw.as_deref(),
        Some(r#"{"name": "Ada", "age": -1}"#)
    );
    let kinds: Vec<&str> = run.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"run_started"));
    assert_eq!(kinds.last(), Some(&"run_succeeded"));
    assert!(run.events.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    assert_eq!(run.spec["context"]["text"], "Ada, 36");
    assert_eq!(run.schema_body["title"], "Person");
    let listed = store.list_runs(10, 0).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].schema, "person");

    // The key is nowhere in the file.
    drop(store);
    let bytes = std::fs::read(&path).unwrap();
    let wal = std::fs::read(dir.path().join("q.db-wal")).unwrap_or_default();
    for hay in [&bytes, &wal] {
        assert!(
            !hay.windows(10).any(|w| w == &KEY.as_bytes()[..10]),
            "the key reached the database"
        );
    }
}

#[tokio::test]
async fn the_same_schema_and_prompt_are_one_version_and_a_change_is_a_new_one() {
    let server = FakeServer::start(vec![Reply::tool_call(
        "Person",
        r#"{"name": "Ada", "age": 36}"#,
    )])
    .await
    .unwrap();
    let (store, _) = record(Store::open_in_memory().unwrap(), &request(&server), None).await;
    let (store, _) = record(store, &request(&server), None).await;
    let changed = request(&server).user("And again: {{ text }}");
    let (store, _) = record(store, &changed, None).await;
    let count = |sql: &str| store.query_i64(sql).unwrap();
    assert_eq!(count("SELECT COUNT(*) FROM schema_versions"), 1);
    assert_eq!(count("SELECT COUNT(*) FROM prompt_versions"), 2);
    assert_eq!(count("SELECT MAX(version) FROM prompt_versions"), 2);
}

#[tokio::test]
async fn streamed_runs_keep_their_partial_events() {
    let server = FakeServer::start(vec![Reply::stream_tool_call(
        "Person",
        r#"{"name": "Ada Lovelace", "age": 36}"#,
        4,
    )])
    .await
    .unwrap();
    let (store, id) = record(
        Store::open_in_memory().unwrap(),
        &request(&server),
        Some(StreamKind::Partial),
    )
    .await;
    let run = store.show_run(id).unwrap();
    assert_eq!(run.summary.status, RunStatus::Succeeded);
    let partials = run.events.iter().filter(|e| e.kind == "partial").count();
    assert!(partials > 5, "{partials}");
}

#[test]
fn runs_of_dead_processes_become_interrupted_and_live_ones_stay() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let server_req = ExtractRequest::new("openai/m").user("x");
    let mut store = Store::open(&path).unwrap();
    let new = NewRun {
        project: "default",
        schema_name: "person",
        schema_body: SCHEMA,
        prompt_name: "adhoc",
        request: &server_req,
        stream: None,
        profile: None,
    };
    let live = store.start_run(&new).unwrap();
    let dead = store.start_run(&new).unwrap();
    drop(store);
    // Hand the second run to a process that has exited.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE runs SET owner_pid = ?1, owner_start = 1 WHERE id = ?2",
            (pid, dead),
        )
        .unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.show_run(dead).unwrap().summary.status,
        RunStatus::Interrupted
    );
    assert_eq!(
        store.show_run(live).unwrap().summary.status,
        RunStatus::Running
    );
}

const INVOICE: &str = r#"{"title": "Invoice", "type": "object", "properties": {"number": {"type": "string"}, "seller": {"type": "object"}, "items": {"type": "array"}}, "required": ["number"]}"#;

async fn invoice_runs() -> (Store, Vec<i64>) {
    let server = FakeServer::start(vec![
        Reply::tool_call("Invoice", r#"{"number": "A-1", "seller": {"name": "Nordlys, AS", "vat": null}, "items": [{"d": "logo", "q": 1}, {"d": "print \"files\"", "q": 6}]}"#),
        Reply::tool_call("Invoice", r#"{"number": "A-2", "seller": {"name": "Havbris"}, "items": []}"#),
    ])
    .await
    .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let req = request(&server).max_retries(0);
        let id = store
            .start_run(&NewRun {
                project: "default",
                schema_name: "invoice",
                schema_body: INVOICE,
                prompt_name: "p",
                request: &req,
                stream: None,
                profile: None,
            })
            .unwrap();
        let recorder = Recorder::spawn(store, id, None);
        let options = CallOptions {
            observer: Some(recorder.observer()),
            ..Default::default()
        };
        let schema = ResponseSchema::from_json_str(INVOICE).unwrap();
        client()
            .extract_value_with(&req, &schema, &options)
            .await
            .unwrap();
        store = recorder.finish().unwrap();
        ids.push(id);
    }
    (store, ids)
}

fn export(
    store: &Store,
    ids: &[i64],
    format: quarry_store::ExportFormat,
    explode: Option<&str>,
) -> String {
    let mut out = Vec::new();
    let mut calls = 0;
    store
        .export_results(ids, format, explode, &mut out, &mut |_, _| calls += 1)
        .unwrap();
    assert!(calls > 0);
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn csv_and_jsonl_exports_field_by_field() {
    use quarry_store::ExportFormat;
    let (store, ids) = invoice_runs().await;

    let csv = export(&store, &ids, ExportFormat::Csv, None);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        ["run_id", "number", "seller.name", "seller.vat", "items"]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "1",
            "A-1",
            "Nordlys, AS",
            "",
            r#"[{"d":"logo","q":1},{"d":"print \"files\"","q":6}]"#
        ]
    );
    assert_eq!(rows[1], ["2", "A-2", "Havbris", "", "[]"]);

    let exploded = export(&store, &ids, ExportFormat::Csv, Some("items"));
    let mut reader = csv::Reader::from_reader(exploded.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "run_id",
            "number",
            "seller.name",
            "seller.vat",
            "items.d",
            "items.q"
        ]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(
        rows.len(),
        3,
        "two items of run 1, one row for run 2's empty list"
    );
    assert_eq!(
        rows[1],
        ["1", "A-1", "Nordlys, AS", "", "print \"files\"", "6"]
    );
    assert_eq!(rows[2], ["2", "A-2", "Havbris", "", "", ""]);

    let jsonl = export(&store, &ids, ExportFormat::Jsonl, None);
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["run_id"], 1);
    assert_eq!(lines[0]["result"]["items"][1]["d"], "print \"files\"");
    assert_eq!(lines[1]["result"]["number"], "A-2");

    let one = export(&store, &ids[..1], ExportFormat::Json, None);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&one).unwrap()["number"],
        "A-1"
    );
}

#[tokio::test]
async fn a_run_exported_and_imported_is_the_same_run() {
    let (store, ids) = invoice_runs().await;
    let archive = store.export_run(ids[0]).unwrap();
    let text = serde_json::to_string(&archive).unwrap();
    let mut other = Store::open_in_memory().unwrap();
    let parsed: quarry_store::RunArchive = serde_json::from_str(&text).unwrap();
    let new_id = other.import_run(&parsed).unwrap();
    let (a, b) = (
        store.show_run(ids[0]).unwrap(),
        other.show_run(new_id).unwrap(),
    );
    assert_eq!(a.spec, b.spec);
    assert_eq!(a.attempts, b.attempts);
    assert_eq!(a.events, b.events);
    assert_eq!(a.result, b.result);
    assert_eq!(a.summary.usage, b.summary.usage);
    assert_eq!(a.summary.status, b.summary.status);
    assert_eq!(
        other.export_run(new_id).unwrap(),
        archive,
        "a second export is identical"
    );
    // Imported runs are searchable.
    let found = other
        .search_runs(&quarry_store::SearchQuery {
            text: Some("Nordlys".into()),
            limit: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.len(), 1);
    // Not an archive: a clear error.
    let mut bad = parsed.clone();
    bad.format = "something-else".into();
    assert!(
        other
            .import_run(&bad)
            .unwrap_err()
            .to_string()
            .contains("not a Quarry run archive")
    );
}

#[tokio::test]
async fn compacting_after_a_delete_frees_what_only_the_deleted_run_used() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    // Two runs whose answers are large (stored as payloads), streamed so their events are too.
    let big = |c: &str| format!(r#"{{"name": "{}", "age": 36}}"#, c.repeat(40_000));
    let server = FakeServer::start(vec![
        Reply::stream_tool_call("Person", &big("a"), 4096),
        Reply::stream_tool_call("Person", &big("b"), 4096),
    ])
    .await
    .unwrap();
    let req = request(&server);
    let (store, first) = record(Store::open(&path).unwrap(), &req, Some(StreamKind::Partial)).await;
    let (mut store, second) = record(store, &req, Some(StreamKind::Partial)).await;
    let kept_before = store.show_run(second).unwrap();

    // Nothing is unused yet: compacting removes nothing and every run reads back.
    let none = store.compact().unwrap();
    assert_eq!((none.payloads_removed, none.chunks_removed), (0, 0));
    assert!(store.show_run(first).is_ok());

    store.delete_runs(&[first]).unwrap();
    let payloads = store.query_i64("SELECT COUNT(*) FROM payloads").unwrap();
    let done = store.compact().unwrap();
    assert!(done.payloads_removed > 0, "{done:?}");
    assert!(done.chunks_removed > 0, "{done:?}");
    assert!(done.bytes_after < done.bytes_before, "{done:?}");
    assert_eq!(
        store.query_i64("SELECT COUNT(*) FROM payloads").unwrap(),
        payloads - done.payloads_removed as i64
    );
    // The run that stays reads back exactly as before, its large values included.
    let kept_after = store.show_run(second).unwrap();
    assert!(kept_after.events.len() > 3);
    assert_eq!(kept_after, kept_before);
    assert_eq!(
        kept_after.result.unwrap()["name"].as_str().unwrap().len(),
        40_000
    );
    // And a second compaction finds nothing more.
    let again = store.compact().unwrap();
    assert_eq!((again.payloads_removed, again.chunks_removed), (0, 0));
}
