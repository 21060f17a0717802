//! Another process holding the database's write lock: a run starts unrecorded with a specific
//! error, and the recorder keeps its events and retries, then gives up saying how many events
//! it could not write. The lock is held by a second connection to the same file, in a
//! `BEGIN IMMEDIATE` transaction, for longer than the timeouts (shortened for the tests).

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use quarry_engine::{EventRecord, ExtractRequest, RunEvent, Usage};
use quarry_store::{NewRun, Recorder, RetryPolicy, RunStatus, Store, StoreError};
use rusqlite::Connection;
use serde_json::json;

const SCHEMA: &str =
    r#"{"title": "Person", "type": "object", "properties": {"name": {"type": "string"}}}"#;

/// Takes the write lock on `path` with a connection of its own and keeps it for `held`.
/// Returns once the lock is taken.
fn hold_lock(path: &Path, held: Duration) -> JoinHandle<()> {
    let path = path.to_path_buf();
    let (taken, wait) = mpsc::channel();
    let holder = std::thread::spawn(move || {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        taken.send(()).unwrap();
        std::thread::sleep(held);
        conn.execute_batch("COMMIT").unwrap();
    });
    wait.recv().unwrap();
    holder
}

fn new_run(store: &mut Store) -> i64 {
    let req = ExtractRequest::new("openai/gpt-4o-mini").user("Extract: Ada");
    store
        .start_run(&NewRun {
            project: "default",
            schema_name: "person",
            schema_body: SCHEMA,
            prompt_name: "adhoc",
            request: &req,
            stream: None,
            profile: None,
        })
        .unwrap()
}

fn event(seq: u64, event: RunEvent) -> EventRecord {
    EventRecord {
        v: 1,
        seq,
        t_ms: seq as f64,
        event,
    }
}

fn hook(seq: u64) -> EventRecord {
    event(
        seq,
        RunEvent::HookFailed {
            hook: "completion:kwargs".into(),
            message: format!("event {seq}"),
        },
    )
}

fn succeeded(seq: u64) -> EventRecord {
    event(
        seq,
        RunEvent::RunSucceeded {
            attempts: 1,
            value: json!({"name": "Ada"}),
            usage: Usage::default(),
            latency_ms: 5.0,
        },
    )
}

fn fast(give_up_after: Duration) -> RetryPolicy {
    RetryPolicy {
        busy_timeout: Duration::from_millis(100),
        give_up_after,
    }
}

#[test]
fn starting_a_run_while_another_process_holds_the_database_is_a_busy_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let mut store = Store::open(&path).unwrap();
    store.set_busy_timeout(Duration::from_millis(150)).unwrap();
    let holder = hold_lock(&path, Duration::from_millis(1500));
    let t0 = Instant::now();
    let req = ExtractRequest::new("openai/gpt-4o-mini").user("Extract: Ada");
    let err = store
        .start_run(&NewRun {
            project: "default",
            schema_name: "person",
            schema_body: SCHEMA,
            prompt_name: "adhoc",
            request: &req,
            stream: None,
            profile: None,
        })
        .unwrap_err();
    assert!(
        t0.elapsed() < Duration::from_millis(1200),
        "waited for the lock"
    );
    assert!(err.is_busy(), "{err:?}");
    let StoreError::Busy { waited, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(*waited >= Duration::from_millis(100), "{waited:?}");
    assert_eq!(err.code(), "store_busy");
    assert!(
        err.to_string().contains("q.db") && err.to_string().contains("locked by another process"),
        "{err}"
    );
    assert!(
        err.hint().contains("another run-history file"),
        "{}",
        err.hint()
    );
    assert!(err.is_about_the_file());
    holder.join().unwrap();
    // Once the lock is gone, the same store records again.
    assert_eq!(new_run(&mut store), 1);
}

#[test]
fn a_recorder_whose_database_stays_locked_gives_up_in_time_and_counts_the_events_it_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let mut store = Store::open(&path).unwrap();
    let id = new_run(&mut store);
    let holder = hold_lock(&path, Duration::from_secs(3));
    let recorder = Recorder::spawn_with(store, id, None, fast(Duration::from_millis(600)));
    let observe = recorder.observer();
    for seq in 1..=9 {
        observe(&hook(seq));
    }
    observe(&succeeded(10));
    drop(observe);
    let t0 = Instant::now();
    let err = recorder.finish().err().unwrap();
    assert!(
        t0.elapsed() < Duration::from_millis(1500),
        "gave up after {:?}",
        t0.elapsed()
    );
    let StoreError::NotRecorded {
        run,
        events,
        source,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*run, *events), (id, 10));
    assert!(matches!(**source, StoreError::Busy { .. }), "{source:?}");
    assert!(err.is_busy());
    assert_eq!(err.code(), "run_not_recorded");
    assert!(
        err.to_string().starts_with(&format!(
            "10 event(s) of run {id} were not recorded: the run history"
        )),
        "{err}"
    );
    holder.join().unwrap();
    let store = Store::open(&path).unwrap();
    let shown = store.show_run(id).unwrap();
    assert!(shown.events.is_empty());
    assert_eq!(shown.summary.status, RunStatus::Running);
}

#[test]
fn a_lock_released_within_the_retry_window_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.db");
    let mut store = Store::open(&path).unwrap();
    let id = new_run(&mut store);
    let recorder = Recorder::spawn_with(store, id, None, fast(Duration::from_secs(20)));
    let observe = recorder.observer();
    for seq in 1..=3 {
        observe(&hook(seq));
    }
    // Let those land, then lock the file while more events arrive.
    std::thread::sleep(Duration::from_millis(100));
    let holder = hold_lock(&path, Duration::from_millis(800));
    for seq in 4..=40 {
        observe(&hook(seq));
        std::thread::sleep(Duration::from_millis(10));
    }
    observe(&succeeded(41));
    drop(observe);
    let store = recorder.finish().unwrap();
    holder.join().unwrap();
    let shown = store.show_run(id).unwrap();
    let seqs: Vec<u64> = shown.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=41).collect::<Vec<_>>());
    assert_eq!(shown.summary.status, RunStatus::Succeeded);
    assert_eq!(shown.result, Some(json!({"name": "Ada"})));
}
