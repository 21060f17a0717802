//! A scripted fake of the OpenAI wire protocol (Chat Completions and Responses) for Quarry's
//! tests and benchmarks. Each test starts its own server on 127.0.0.1:0, scripts the replies
//! in order, and reads back every request it received.
//!
//! The last scripted reply repeats forever, so a benchmark can script one answer and call
//! it as often as it likes.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A JSON body with a status and extra headers.
    Json {
        status: u16,
        body: Value,
        headers: Vec<(String, String)>,
    },
    /// Any body (for "the server answers garbage").
    Raw {
        status: u16,
        body: String,
        content_type: String,
    },
    /// Close the connection without answering.
    Drop,
    /// Wait, then answer.
    Delay(Duration, Box<Reply>),
}

fn usage() -> Value {
    json!({"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60})
}

fn chat(message: Value, finish_reason: &str) -> Value {
    json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": usage(),
    })
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply::Json {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }

    /// A chat completion that calls `name` with `arguments` (raw text, may be broken JSON).
    pub fn tool_call(name: &str, arguments: &str) -> Reply {
        Reply::tool_calls(&[(name, arguments)])
    }

    /// A chat completion with several tool calls (PARALLEL_TOOLS).
    pub fn tool_calls(calls: &[(&str, &str)]) -> Reply {
        let calls: Vec<Value> = calls
            .iter()
            .enumerate()
            .map(|(i, (name, args))| {
                json!({"id": format!("call_{i}"), "type": "function",
                       "function": {"name": name, "arguments": args}})
            })
            .collect();
        Reply::ok(chat(
            json!({"role": "assistant", "content": null, "tool_calls": calls}),
            "tool_calls",
        ))
    }

    /// A legacy `function_call` answer (FUNCTIONS mode).
    pub fn function_call(name: &str, arguments: &str) -> Reply {
        Reply::ok(chat(
            json!({"role": "assistant", "content": null,
                   "function_call": {"name": name, "arguments": arguments}}),
            "function_call",
        ))
    }

    /// A chat completion whose message content is `text`.
    pub fn content(text: &str) -> Reply {
        Reply::ok(chat(json!({"role": "assistant", "content": text}), "stop"))
    }

    /// A structured-outputs refusal.
    pub fn refusal(text: &str) -> Reply {
        Reply::ok(chat(
            json!({"role": "assistant", "content": null, "refusal": text}),
            "stop",
        ))
    }

    /// A tool call cut off by the token limit.
    pub fn length(name: &str, partial_arguments: &str) -> Reply {
        let mut r = Reply::tool_call(name, partial_arguments);
        if let Reply::Json { body, .. } = &mut r {
            body["choices"][0]["finish_reason"] = json!("length");
        }
        r
    }

    /// A Responses API answer with one function call.
    pub fn responses_call(name: &str, arguments: &str) -> Reply {
        Reply::ok(json!({
            "id": "resp_fake", "object": "response", "status": "completed", "model": "fake-model",
            "output": [{"type": "function_call", "id": "fc_1", "call_id": "call_1",
                        "name": name, "arguments": arguments, "status": "completed"}],
            "usage": {"input_tokens": 40, "output_tokens": 8, "total_tokens": 48,
                      "input_tokens_details": {"cached_tokens": 16},
                      "output_tokens_details": {"reasoning_tokens": 0}},
        }))
    }

    /// An OpenAI-style error body.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::Json {
            status,
            body: json!({"error": {"message": message, "type": code, "code": code}}),
            headers: Vec::new(),
        }
    }

    /// 429 with a `Retry-After` header (seconds or an HTTP date).
    pub fn rate_limited(retry_after: &str) -> Reply {
        Reply::Json {
            status: 429,
            body: json!({"error": {"message": "Rate limit reached", "type": "requests",
                                   "code": "rate_limit_exceeded"}}),
            headers: vec![("retry-after".into(), retry_after.into())],
        }
    }

    /// A body that is not JSON at all.
    pub fn garbage(status: u16, text: &str) -> Reply {
        Reply::Raw {
            status,
            body: text.into(),
            content_type: "text/html".into(),
        }
    }

    pub fn delayed(self, by: Duration) -> Reply {
        Reply::Delay(by, Box::new(self))
    }

    /// Replaces the usage block of a JSON reply.
    pub fn with_usage(mut self, usage: Value) -> Reply {
        if let Reply::Json { body, .. } = &mut self {
            body["usage"] = usage;
        }
        self
    }
}

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Value::String` with the raw text when it was not JSON).
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    replies: VecDeque<Reply>,
    requests: Vec<Recorded>,
    /// Skip recording (benchmarks: keeps memory flat over millions of calls).
    quiet: bool,
}

pub struct FakeServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    /// Starts a server on 127.0.0.1 with an OS-chosen port, answering with `replies` in order.
    pub async fn start(replies: Vec<Reply>) -> std::io::Result<FakeServer> {
        Self::start_on("127.0.0.1:0", replies, false).await
    }

    /// As [`FakeServer::start`], on a given address and optionally without recording.
    pub async fn start_on(
        addr: &str,
        replies: Vec<Reply>,
        quiet: bool,
    ) -> std::io::Result<FakeServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            replies: replies.into(),
            requests: Vec::new(),
            quiet,
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(req, state.clone()));
                    // A `Drop` reply fails the service, which makes hyper close the connection
                    // without answering: what a crashed upstream looks like to the client.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(FakeServer { addr, state, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/v1`, what `--base-url` takes.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn push(&self, reply: Reply) {
        self.state.lock().unwrap().replies.push_back(reply);
    }
}

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by script")
    }
}

impl std::error::Error for Dropped {}

async fn handle(
    req: Request<Incoming>,
    state: Arc<Mutex<State>>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let reply = {
        let mut s = state.lock().unwrap();
        if !s.quiet {
            let body = serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            s.requests.push(Recorded {
                method,
                path,
                query,
                headers,
                body,
            });
        }
        if s.replies.len() > 1 {
            s.replies.pop_front()
        } else {
            s.replies.front().cloned()
        }
    };
    let mut reply =
        reply.unwrap_or_else(|| Reply::error(500, "fake_unscripted", "no reply was scripted"));
    loop {
        match reply {
            Reply::Delay(by, next) => {
                tokio::time::sleep(by).await;
                reply = *next;
            }
            Reply::Drop => return Err(Dropped),
            Reply::Json {
                status,
                body,
                headers,
            } => {
                let mut r = Response::builder()
                    .status(status)
                    .header("content-type", "application/json");
                for (n, v) in headers {
                    r = r.header(n, v);
                }
                return Ok(r
                    .body(Full::new(Bytes::from(body.to_string())))
                    .expect("valid response"));
            }
            Reply::Raw {
                status,
                body,
                content_type,
            } => {
                return Ok(Response::builder()
                    .status(status)
                    .header("content-type", content_type)
                    .body(Full::new(Bytes::from(body)))
                    .expect("valid response"));
            }
        }
    }
}
