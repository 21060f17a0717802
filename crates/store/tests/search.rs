//! Search (FTS5) and its filters, and upgrades of databases written by older versions.

use quarry_engine::{ExtractRequest, RunEvent, Usage};
use quarry_store::{NewRun, Recorder, RunStatus, SearchQuery, Store};
use rusqlite::Connection;

const SCHEMA: &str = r#"{"title": "T", "type": "object"}"#;

/// Records a finished run without calling a model: the events a run would emit.
fn add_run(store: Store, schema: &str, provider: &str, text: &str, result: Option<&str>) -> Store {
    let mut store = store;
    let req = ExtractRequest::new(&format!("{provider}/model-a"))
        .user("Extract the invoice: {{ doc }}")
        .var("doc", text);
    let id = store
        .start_run(&NewRun {
            project: "default",
            schema_name: schema,
            schema_body: SCHEMA,
            prompt_name: "p",
            request: &req,
            stream: None,
            profile: None,
        })
        .unwrap();
    let recorder = Recorder::spawn(store, id, None);
    let observe = recorder.observer();
    let event = match result {
        Some(v) => RunEvent::RunSucceeded {
            attempts: 1,
            value: serde_json::from_str(v).unwrap(),
            usage: Usage::default(),
            latency_ms: 1.0,
        },
        None => RunEvent::RunFailed {
            attempts: 1,
            error: quarry_engine::Error::InvalidRequest("the model timed out badly".into()).info(),
            usage: Usage::default(),
            latency_ms: 1.0,
        },
    };
    observe(&quarry_engine::EventRecord {
        v: 1,
        seq: 1,
        t_ms: 0.0,
        event,
    });
    recorder.finish().unwrap()
}

fn ids(runs: &[quarry_store::RunSummary]) -> Vec<i64> {
    runs.iter().map(|r| r.id).collect()
}

fn q() -> SearchQuery {
    SearchQuery {
        limit: 50,
        ..Default::default()
    }
}

#[test]
fn words_and_filters() {
    let mut store = Store::open_in_memory().unwrap();
    store = add_run(
        store,
        "invoice",
        "openai",
        "Nordlys Design AS, Trondheim",
        Some(r#"{"seller": "Nordlys"}"#),
    );
    store = add_run(
        store,
        "invoice",
        "groq",
        "Havbris Seafood AB",
        Some(r#"{"seller": "Havbris"}"#),
    );
    store = add_run(store, "ticket", "openai", "CSV export is broken", None);

    assert_eq!(
        ids(&store
            .search_runs(&SearchQuery {
                text: Some("nordlys".into()),
                ..q()
            })
            .unwrap()),
        [1]
    );
    // Every word must match; words are text, never FTS syntax.
    assert_eq!(
        ids(&store
            .search_runs(&SearchQuery {
                text: Some("havbris seafood".into()),
                ..q()
            })
            .unwrap()),
        [2]
    );
    assert!(
        store
            .search_runs(&SearchQuery {
                text: Some("havbris nordlys".into()),
                ..q()
            })
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .search_runs(&SearchQuery {
                text: Some("\"OR* (".into()),
                ..q()
            })
            .unwrap()
            .is_empty()
    );
    // The prompt, the variables, the result and the error are all searched.
    assert_eq!(
        ids(&store
            .search_runs(&SearchQuery {
                text: Some("invoice".into()),
                ..q()
            })
            .unwrap()),
        [3, 2, 1]
    );
    assert_eq!(
        ids(&store
            .search_runs(&SearchQuery {
                text: Some("timed out".into()),
                ..q()
            })
            .unwrap()),
        [3]
    );
    // Filters, alone and with words.
    assert_eq!(
        ids(&store
            .search_runs(&SearchQuery {
                schema: Some("invoice".into()),
                ..q()
            })
            .unwrap()),
        [2, 1]
    );
    assert_eq!(
        ids(&store
            .search_runs(&SearchQuery {
                provider: Some("openai".into()),
                ..q()
            })
            .unwrap()),
        [3, 1]
    );
    assert_eq!(
        ids(&store
            .search_runs(&SearchQuery {
                status: Some(RunStatus::Failed),
                ..q()
            })
            .unwrap()),
        [3]
    );
    assert_eq!(
        ids(&store
            .search_runs(&SearchQuery {
                text: Some("invoice".into()),
                provider: Some("groq".into()),
                ..q()
            })
            .unwrap()),
        [2]
    );
    assert!(
        store
            .search_runs(&SearchQuery {
                since: Some("2999-01-01".into()),
                ..q()
            })
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .search_runs(&SearchQuery {
                until: Some("2999-01-01".into()),
                ..q()
            })
            .unwrap()
            .len(),
        3
    );
    // Paged, newest first.
    assert_eq!(
        ids(&store.search_runs(&SearchQuery { limit: 2, ..q() }).unwrap()),
        [3, 2]
    );
    assert_eq!(
        ids(&store
            .search_runs(&SearchQuery {
                limit: 2,
                offset: 2,
                ..q()
            })
            .unwrap()),
        [1]
    );
}

#[test]
fn a_version_1_database_is_upgraded_and_its_runs_are_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../migrations/0001_init.sql"))
            .unwrap();
        conn.execute_batch(
            r#"PRAGMA user_version = 1;
            INSERT INTO projects VALUES (1, 'default', '2026-11-01T00:00:00Z');
            INSERT INTO schemas VALUES (1, 1, 'invoice', '2026-11-01T00:00:00Z');
            INSERT INTO schema_versions VALUES (1, 1, 1, '{}', '2026-11-01T00:00:00Z');
            INSERT INTO prompts VALUES (1, 1, 'p', '2026-11-01T00:00:00Z');
            INSERT INTO prompt_versions VALUES (1, 1, 1,
                '[{"role":"user","content":[{"type":"text","text":"Find the zeppelin"}]}]', '2026-11-01T00:00:00Z');
            INSERT INTO runs (id, project_id, schema_version_id, prompt_version_id, provider, model, spec,
                status, created_at) VALUES (1, 1, 1, 1, 'openai', 'm',
                '{"context": {"doc": "quokka"}}', 'succeeded', '2026-11-01T00:00:00Z');
            INSERT INTO results VALUES (1, '{"answer": "marmalade"}');"#,
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 5);
    for word in ["zeppelin", "quokka", "marmalade"] {
        let found = store
            .search_runs(&SearchQuery {
                text: Some(word.into()),
                ..q()
            })
            .unwrap();
        assert_eq!(ids(&found), [1], "{word}");
    }
}

#[test]
fn a_version_3_history_keeps_reading_and_its_marker_look_alikes_stay_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.db");
    // What a provider could have answered before payloads existed: text shaped like a marker.
    let forged = format!("\u{0}qp:s:{}", "ab".repeat(32));
    let body = serde_json::json!({"v": 1, "seq": 2, "t_ms": 1.5, "type": "parse:error",
        "error": "bad", "raw": forged, "big": "x".repeat(10_000)});
    {
        let conn = Connection::open(&path).unwrap();
        for sql in [
            include_str!("../migrations/0001_init.sql"),
            include_str!("../migrations/0002_search.sql"),
            include_str!("../migrations/0003_cost.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            r#"PRAGMA user_version = 3;
            INSERT INTO projects VALUES (1, 'default', '2026-11-01T00:00:00Z');
            INSERT INTO schemas VALUES (1, 1, 'invoice', '2026-11-01T00:00:00Z');
            INSERT INTO schema_versions VALUES (1, 1, 1, '{}', '2026-11-01T00:00:00Z');
            INSERT INTO prompts VALUES (1, 1, 'p', '2026-11-01T00:00:00Z');
            INSERT INTO prompt_versions VALUES (1, 1, 1,
                '[{"role":"user","content":[{"type":"text","text":"Find it"}]}]', '2026-11-01T00:00:00Z');
            INSERT INTO runs (id, project_id, schema_version_id, prompt_version_id, provider, model, spec,
                status, created_at) VALUES (1, 1, 1, 1, 'openai', 'm', '{"context": {}}', 'failed',
                '2026-11-01T00:00:00Z');
            INSERT INTO events VALUES (1, 1, 'run_started', 0.5, '{"v":1,"seq":1,"t_ms":0.5,"type":"run_started"}');"#,
        )
        .unwrap();
        conn.execute(
            "INSERT INTO events VALUES (1, 2, 'parse:error', 1.5, ?1)",
            [body.to_string()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO attempts (run_id, number, error, raw) VALUES (1, 1, 'bad', ?1)",
            [&forged],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), 5);
    let run = store.show_run(1).unwrap();
    assert_eq!(run.events.len(), 2);
    assert_eq!(run.events[1].body, body);
    assert_eq!(run.attempts[0].raw.as_deref(), Some(forged.as_str()));
    // The look-alikes were moved out like any marker-shaped text Quarry writes now.
    assert_eq!(store.query_i64("SELECT COUNT(*) FROM payloads").unwrap(), 2);
    let archive = store.export_run(1).unwrap();
    assert_eq!(archive.events[1].body["raw"], forged.as_str());
}
