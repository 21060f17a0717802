//! `quarry serve`'s bridge, over real HTTP and a real WebSocket: the token, the Host and Origin
//! checks, the body limit, commands and their errors, and a run's events reaching a window.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use quarry_engine::{ApiKey, KeySource};
use quarry_fake_provider::{FakeServer, Reply};
use quarry_serve::{MAX_BODY_BYTES, Options, ServeHost, Server};
use quarry_workbench::data::DataFolder;
use serde_json::{Value, json};

struct Key;

impl KeySource for Key {
    fn key(&self, _: &str, _: &str) -> Option<ApiKey> {
        Some(ApiKey::new("sk-serve-test-0123456789"))
    }
}

async fn server(dir: &tempfile::TempDir) -> Server {
    let host = ServeHost::new(DataFolder::at(dir.path().join("h.db")), Arc::new(Key));
    Server::start(Options::default(), host).await.unwrap()
}

fn rpc_url(s: &Server) -> String {
    format!("http://{}/api/rpc", s.addr())
}

async fn rpc(s: &Server, command: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(rpc_url(s))
        .bearer_auth(s.token())
        .json(&command)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_api_needs_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir).await;
    assert!(s.url().ends_with(&format!("/#token={}", s.token())));
    let c = reqwest::Client::new();
    let none = c
        .post(rpc_url(&s))
        .json(&json!({"cmd": "get_settings"}))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    let wrong = c
        .post(rpc_url(&s))
        .bearer_auth("0".repeat(64))
        .json(&json!({"cmd": "get_settings"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(rpc(&s, json!({"cmd": "get_settings"})).await.status(), 200);
}

#[tokio::test]
async fn another_host_or_origin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir).await;
    let c = reqwest::Client::new();
    // A page of another site, or one that rebinds its own name to 127.0.0.1.
    let rebound = c
        .post(rpc_url(&s))
        .bearer_auth(s.token())
        .header("Host", format!("attacker.example:{}", s.addr().port()))
        .json(&json!({"cmd": "get_settings"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    let foreign = c
        .post(rpc_url(&s))
        .bearer_auth(s.token())
        .header("Origin", "http://attacker.example")
        .json(&json!({"cmd": "get_settings"}))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let body: Value = foreign.json().await.unwrap();
    assert_eq!(body["code"], "forbidden_origin");
    // The page's own origin is welcome.
    let own = c
        .post(rpc_url(&s))
        .bearer_auth(s.token())
        .header("Origin", format!("http://127.0.0.1:{}", s.addr().port()))
        .json(&json!({"cmd": "get_settings"}))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir).await;
    let body = format!(
        r#"{{"cmd": "save_schema", "name": "big", "body": "{}"}}"#,
        "x".repeat(MAX_BODY_BYTES)
    );
    let r = reqwest::Client::new()
        .post(rpc_url(&s))
        .bearer_auth(s.token())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn commands_answer_results_and_errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir).await;
    let providers: Value = rpc(&s, json!({"cmd": "list_providers"}))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        providers
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "openai")
    );
    let bad = rpc(&s, json!({"cmd": "save_schema", "name": "x", "body": "{"})).await;
    assert_eq!(bad.status(), 422);
    let e: Value = bad.json().await.unwrap();
    assert_eq!(e["code"], "invalid");
    assert!(e["details"]["hint"].is_string(), "{e}");
    let unknown = rpc(&s, json!({"cmd": "format_disk"})).await;
    assert_eq!(unknown.status(), 400);
    let e: Value = unknown.json().await.unwrap();
    assert_eq!(e["code"], "bad_command");
}

#[tokio::test]
async fn a_window_gets_its_runs_events_and_their_end_and_the_token_is_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir).await;
    let fake = FakeServer::start(vec![Reply::stream_tool_call(
        "Person",
        r#"{"name": "Ada", "age": 36}"#,
        4,
    )])
    .await
    .unwrap();
    // Without the token there is no socket.
    let refused = tokio_tungstenite::connect_async(format!("ws://{}/api/events", s.addr())).await;
    assert!(refused.is_err());
    let (mut ws, _) = tokio_tungstenite::connect_async(format!(
        "ws://{}/api/events?token={}",
        s.addr(),
        s.token()
    ))
    .await
    .unwrap();
    let schema = r#"{"title": "Person", "type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}"#;
    let started: Value = rpc(
        &s,
        json!({"cmd": "start_run", "stream_id": "w1:1", "schema_name": "person", "schema": schema,
               "stream": "partial",
               "request": {"provider": "openai", "model": "m", "base_url": fake.base_url(),
                           "messages": [{"role": "user", "content": [{"type": "text", "text": "Ada, 36"}]}],
                           "max_retries": 0}}),
    )
    .await
    .json()
    .await
    .unwrap();
    let run_id = started["run_id"].as_i64().unwrap();
    let mut types = Vec::new();
    let mut end = None;
    // The object as the page builds it from the changes, and how many recorded partial events
    // the (possibly merged) partial events stood for.
    let mut object = quarry_engine::Snapshot::new();
    let mut partials = 0;
    while end.is_none() {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("events arrive")
            .unwrap()
            .unwrap();
        // A frame is an array of messages, in order.
        let frame: Vec<Value> = serde_json::from_str(message.to_text().unwrap()).unwrap();
        assert!(!frame.is_empty());
        for v in frame {
            assert!(end.is_none(), "nothing follows the run's end: {v}");
            assert_eq!(v["stream_id"], "w1:1");
            match v.get("end") {
                Some(e) => end = Some(e.clone()),
                None => types.push(v["event"]["type"].as_str().unwrap().to_string()),
            }
            if v["event"]["type"] == "partial" {
                partials += v["merged"].as_u64().unwrap_or(1);
                for c in v["event"]["changes"].as_array().unwrap() {
                    object.apply(&serde_json::from_value(c.clone()).unwrap());
                }
            }
        }
    }
    let end = end.unwrap();
    assert_eq!(types.first().map(String::as_str), Some("run_started"));
    assert!(types.iter().any(|t| t == "partial"), "{types:?}");
    assert_eq!(types.last().map(String::as_str), Some("run_succeeded"));
    assert_eq!(end["status"], "succeeded");
    assert_eq!(end["run_id"], run_id);
    assert_eq!(object.value(), &json!({"name": "Ada", "age": 36}));
    // The history has every partial event the window was sent, merged or not.
    let recorded: Value = rpc(&s, json!({"cmd": "run_events", "id": run_id}))
        .await
        .json()
        .await
        .unwrap();
    let recorded_partials = recorded["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "partial")
        .count() as u64;
    assert_eq!(partials, recorded_partials);
    assert!(partials > 1);
    // Nothing the server keeps holds its token (or the key).
    let token = s.token().to_string();
    drop(s);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&token));
        assert!(!text.contains("sk-serve-test-0123456789"));
    }
}

#[tokio::test]
async fn the_page_is_served_with_a_strict_policy() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir).await;
    let r = reqwest::get(format!("http://{}/", s.addr())).await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let page = r.text().await.unwrap();
    assert!(page.contains("<html"), "{page}");
}

/// A locked database makes the commands that write wait (up to the busy timeout), each on a
/// thread of its own: the server's two workers stay free for everything else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_database_holds_up_only_the_commands_that_need_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(&dir).await;
    assert_eq!(rpc(&s, json!({"cmd": "list_runs"})).await.status(), 200);
    // Another program holds the write lock.
    let other = rusqlite::Connection::open(dir.path().join("h.db")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let waiting: Vec<_> = (0..4)
        .map(|_| {
            let (url, token) = (rpc_url(&s), s.token().to_string());
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({"cmd": "save_settings", "theme": "dark"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(waiting.iter().all(|w| !w.is_finished()), "the writes wait");
    // More waiting commands than workers, and the server still answers at once.
    let answered = tokio::time::timeout(
        Duration::from_secs(2),
        rpc(&s, json!({"cmd": "list_providers"})),
    )
    .await
    .expect("an answer while the database is locked");
    assert_eq!(answered.status(), 200);
    // The lock goes, and the writes go through.
    other.execute_batch("ROLLBACK").unwrap();
    for w in waiting {
        assert_eq!(w.await.unwrap(), 200);
    }
}
