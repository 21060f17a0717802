//! # quarry-serve
//!
//! `quarry serve`: the workbench's one command surface over loopback HTTP and a WebSocket, and
//! the built UI embedded in the binary. This is how the UI runs in a browser (and is tested in a
//! real one), and how people use Quarry on a machine without a display.
//!
//! - `POST /api/rpc` takes a [`quarry_workbench::Command`] and answers its result, or
//!   `{code, message, details}` with a 4xx status.
//! - `GET /api/events?token=…` is one WebSocket per window: every run event arrives as
//!   `{"stream_id", "event"}`, and a run's end as `{"stream_id", "end"}`.
//! - Everything else is the UI (or, before it is built, a page that says how to build it).
//!
//! Security, each checked by a test: the server binds 127.0.0.1 unless told otherwise; every API
//! call needs the token made at start (`Authorization: Bearer …`; the WebSocket, which browsers
//! cannot give headers, takes it as a query parameter); a `Host` other than the address it bound
//! is refused (DNS rebinding), as is a foreign `Origin`; bodies over [`MAX_BODY_BYTES`] are
//! refused. The token is never logged or stored.

mod host;
mod ui;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use quarry_workbench::orchestrate::RunMessage;
use quarry_workbench::{Command, CommandError, Workbench, live};
use serde::Deserialize;
use tokio::sync::mpsc;

pub use host::ServeHost;

/// The largest request body: room for a run archive or a long document, not for a flood.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Stopped(std::io::Error),
}

impl ServeError {
    pub fn hint(&self) -> String {
        match self {
            ServeError::Bind { .. } => {
                "choose another port (or leave the port out for a free one)".into()
            }
            ServeError::Stopped(_) => "start it again".into(),
        }
    }
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct Options {
    /// 127.0.0.1 unless the user asked for another address.
    pub host: IpAddr,
    /// 0: a free port.
    pub port: u16,
    /// The run-history database.
    pub db: PathBuf,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            db: PathBuf::new(),
        }
    }
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    token: String,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl Server {
    /// Binds and starts serving in the background; needs a Tokio runtime.
    pub async fn start(options: Options, host: ServeHost) -> Result<Server, ServeError> {
        let want = SocketAddr::new(options.host, options.port);
        let listener = tokio::net::TcpListener::bind(want)
            .await
            .map_err(|source| ServeError::Bind { addr: want, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { addr: want, source })?;
        let token = new_token();
        let workbench = Arc::new(Workbench::new(host.clone()));
        // The HTTP client the first run needs is made meanwhile, off the way of the start.
        let warm = workbench.clone();
        tokio::task::spawn_blocking(move || warm.client().warm_up());
        let state = Arc::new(AppState {
            workbench,
            hub: host.hub(),
            token: token.clone(),
            addr,
        });
        let app = router(state);
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .map_err(ServeError::Stopped)
        });
        Ok(Server { addr, token, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The secret every API call needs. Shown once, in [`Server::url`].
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The address to open: the page reads the token from the fragment, which browsers never
    /// send to a server.
    pub fn url(&self) -> String {
        format!("http://{}/#token={}", self.addr, self.token)
    }

    /// Serves until the server fails (it does not stop on its own).
    pub async fn wait(mut self) -> Result<(), ServeError> {
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(ServeError::Stopped(std::io::Error::other(e))),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// 32 bytes from the operating system's random source, hex: guessing it is out of reach, and
/// comparing it leaks nothing (see [`same_secret`]).
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    // The OS random source does not fail on any platform Quarry runs on; should it, a token of
    // the clock and the process is still per-start and never shown but once.
    if getrandom::fill(&mut bytes).is_err() {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let mut rng = fastrand::Rng::with_seed(seed as u64 ^ u64::from(std::process::id()));
        bytes.iter_mut().for_each(|b| *b = rng.u8(..));
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares without stopping at the first difference, so timing says nothing of the token.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

struct AppState {
    workbench: Arc<Workbench<ServeHost>>,
    hub: Arc<host::Hub>,
    token: String,
    addr: SocketAddr,
}

fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/api/rpc", post(rpc))
        .route("/api/events", get(events))
        .layer(middleware::from_fn_with_state(state.clone(), authorize));
    Router::new()
        .merge(api)
        .fallback(get(ui::serve))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), same_site))
        .with_state(state)
}

fn refuse(status: StatusCode, code: &str, message: &str, hint: &str) -> Response {
    let body = CommandError::new(code, message, hint);
    (status, Json(body)).into_response()
}

/// Only the page's own origin and the address the server bound: a web page elsewhere (or one
/// that rebinds a name of its own to 127.0.0.1) cannot drive Quarry.
async fn same_site(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let port = state.addr.port();
    let mut allowed = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    if !state.addr.ip().is_loopback() {
        allowed.push(state.addr.to_string());
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !allowed.iter().any(|a| a.eq_ignore_ascii_case(host)) {
        return refuse(
            StatusCode::FORBIDDEN,
            "forbidden_host",
            "this server answers only to its own address",
            "open the address quarry serve printed",
        );
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let own = allowed
            .iter()
            .any(|a| origin.eq_ignore_ascii_case(&format!("http://{a}")));
        if !own {
            return refuse(
                StatusCode::FORBIDDEN,
                "forbidden_origin",
                "requests from other sites are refused",
                "use the page quarry serve serves",
            );
        }
    }
    next.run(req).await
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn authorize(
    State(state): State<Arc<AppState>>,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
    req: Request,
    next: Next,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "));
    let given = bearer.or(query.token.as_deref());
    match given {
        Some(t) if same_secret(t.trim(), &state.token) => next.run(req).await,
        _ => refuse(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this call needs the token quarry serve printed",
            "open the full address quarry serve printed (it ends with #token=…)",
        ),
    }
}

async fn rpc(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    let command: Command = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            let err: CommandError = e.into();
            return (StatusCode::BAD_REQUEST, Json(err)).into_response();
        }
    };
    let handled = state.workbench.handle_blocking(command).await;
    match handled {
        Ok(value) => Json(value).into_response(),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, Json(e)).into_response(),
    }
}

async fn events(State(state): State<Arc<AppState>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| forward(socket, state.hub.clone()))
}

/// At most this many run messages are taken for one WebSocket frame (before merging).
const BATCH: usize = 16 * 1024;

/// Sends a window every event and run end, in order, until it goes away. Each frame is a JSON
/// array of `RunMessage`s: what queued up since the last frame, sent at most once a frame with
/// the partial events in it merged ([`quarry_workbench::live`]), so a fast stream costs the
/// page one message event per frame rather than one per delta (a 5,000-record stream is ~50,000
/// partial events), and a slow one waits for nothing.
async fn forward(mut socket: WebSocket, hub: Arc<host::Hub>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<RunMessage>();
    let id = hub.join(tx);
    let mut batch = Vec::new();
    let mut last: Option<Instant> = None;
    loop {
        tokio::select! {
            out = rx.recv_many(&mut batch, BATCH) => {
                if out == 0 {
                    break;
                }
                // What arrives within a frame of the last one goes with the next.
                if let Some(wait) = last.map(|t| live::FRAME.saturating_sub(t.elapsed())) {
                    tokio::time::sleep(wait).await;
                    while batch.len() < BATCH && let Ok(more) = rx.try_recv() {
                        batch.push(more);
                    }
                }
                let Ok(frame) = serde_json::to_string(&live::coalesce(std::mem::take(&mut batch))) else {
                    break;
                };
                if socket.send(WsMessage::Text(frame.into())).await.is_err() {
                    break;
                }
                last = Some(Instant::now());
            }
            incoming = socket.recv() => {
                // Windows only listen; a close or an error ends the connection.
                if !matches!(incoming, Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Text(_)))) {
                    break;
                }
            }
        }
    }
    hub.leave(id);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_compared_whole() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret(&a, &a[..63]));
    }
}
