//! The two commands the window calls. Kept in a module: Tauri's command macro cannot sit at the
//! crate root of a binary.

use crate::host::{DesktopHost, WindowChannel};
use std::sync::Arc;

use quarry_workbench::{Command, CommandError, Workbench};
use serde_json::Value;

/// The app's state: one workbench for every window.
pub struct Desktop {
    workbench: Arc<Workbench<DesktopHost>>,
}

impl Desktop {
    pub fn new(host: DesktopHost) -> Self {
        Desktop {
            workbench: Arc::new(Workbench::new(host)),
        }
    }
}

/// Every workbench command: the result, or `{code, message, details}`.
#[tauri::command]
pub async fn rpc(state: tauri::State<'_, Desktop>, command: Value) -> Result<Value, CommandError> {
    let command: Command = serde_json::from_value(command)?;
    // On the blocking pool, as in quarry serve (a locked database holds up only its commands).
    state.workbench.handle_blocking(command).await
}

/// A window's channel for run events (once per window, before it starts runs); each message on
/// it is a batch of `RunMessage`s, in order.
#[tauri::command]
pub fn listen(state: tauri::State<'_, Desktop>, channel: WindowChannel) {
    state.workbench.host().add_channel(channel);
}

/// When the process started, for [`painted`].
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// The page's first paint, with the page's own clock (milliseconds since its navigation
/// started): when its script began and when the first frame was painted. The window is up, so
/// the HTTP client the first run needs is made now, off the window's way. With
/// `QUARRY_STARTUP_REPORT=1` the app prints the cold start as a user sees it — process start to
/// first paint — and where it went (`scripts/desktop-check` reads the line).
#[tauri::command]
pub fn painted(state: tauri::State<'_, Desktop>, script_ms: f64, painted_ms: f64) {
    let workbench = state.workbench.clone();
    std::thread::spawn(move || workbench.client().warm_up());
    if std::env::var_os("QUARRY_STARTUP_REPORT").is_none() {
        return;
    }
    let total = STARTED.get().map_or(0, |t| t.elapsed().as_millis());
    eprintln!(
        "quarry-desktop: first paint {total} ms after start (the page's script ran at {script_ms:.0} ms and painted at {painted_ms:.0} ms of the page's clock)"
    );
}

#[cfg(all(test, feature = "test"))]
mod tests {
    use std::sync::{Arc, Mutex};

    use quarry_engine::ApiKey;
    use quarry_workbench::data::DataFolder;
    use serde_json::{Value, json};
    use tauri::Manager;
    use tauri::ipc::{CallbackFn, Channel, InvokeBody};
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;

    use super::*;

    fn app(dir: &tempfile::TempDir) -> tauri::App<tauri::test::MockRuntime> {
        let host = DesktopHost::new(
            DataFolder::at(dir.path().join("d.db")),
            Arc::new(|_: &str, _: &str| Some(ApiKey::new("sk-desktop-test-0123"))),
        );
        mock_builder()
            .manage(Desktop::new(host))
            .invoke_handler(tauri::generate_handler![rpc, listen])
            .build(mock_context(noop_assets()))
            .expect("the mock app builds")
    }

    fn call(
        webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
        command: Value,
    ) -> Result<Value, Value> {
        get_ipc_response(
            webview,
            InvokeRequest {
                cmd: "rpc".into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().expect("a URL"),
                body: InvokeBody::Json(json!({ "command": command })),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|r| r.deserialize::<Value>().expect("JSON"))
    }

    #[test]
    fn the_window_reaches_every_command_through_rpc() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(&dir);
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        let providers = call(&webview, json!({"cmd": "list_providers"})).unwrap();
        assert!(
            providers
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "ollama")
        );
        let saved = call(&webview, json!({"cmd": "save_settings", "theme": "dark"})).unwrap();
        assert_eq!(saved["theme"], "dark");
        // Errors arrive as {code, message, details}.
        let err = call(&webview, json!({"cmd": "show_run", "id": 7})).unwrap_err();
        assert_eq!(err["code"], "no_such_run");
        assert!(err["details"]["hint"].is_string());
        let err = call(&webview, json!({"cmd": "no_such_command"})).unwrap_err();
        assert_eq!(err["code"], "bad_command");
    }

    #[test]
    fn a_windows_channel_gets_its_runs_events_and_end() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(&dir);
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let fake = runtime
            .block_on(quarry_fake_provider::FakeServer::start(vec![
                quarry_fake_provider::Reply::tool_call("Person", r#"{"name": "Ada"}"#),
            ]))
            .unwrap();
        let heard: Arc<Mutex<Vec<Value>>> = Arc::default();
        let sink = heard.clone();
        let channel = Channel::new(move |body| {
            if let tauri::ipc::InvokeResponseBody::Json(text) = body {
                let batch: Vec<Value> = serde_json::from_str(&text).unwrap();
                assert!(!batch.is_empty());
                sink.lock().unwrap().extend(batch);
            }
            Ok(())
        });
        app.state::<Desktop>().workbench.host().add_channel(channel);
        let schema =
            r#"{"title": "Person", "type": "object", "properties": {"name": {"type": "string"}}}"#;
        let started = call(
            &webview,
            json!({"cmd": "start_run", "stream_id": "main:1", "schema_name": "p", "schema": schema,
                   "request": {"provider": "openai", "model": "m", "base_url": fake.base_url(),
                               "messages": [{"role": "user", "content": [{"type": "text", "text": "Ada"}]}],
                               "max_retries": 0}}),
        )
        .unwrap();
        assert!(started["run_id"].as_i64().is_some());
        for _ in 0..200 {
            if heard.lock().unwrap().iter().any(|m| m.get("end").is_some()) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let heard = heard.lock().unwrap();
        assert!(heard.iter().all(|m| m["stream_id"] == "main:1"));
        assert_eq!(heard.first().unwrap()["event"]["type"], "run_started");
        assert_eq!(heard.last().unwrap()["end"]["status"], "succeeded");
        drop(runtime);
    }
}
