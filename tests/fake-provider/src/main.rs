//! `quarry-fake-provider`: serve one scripted OpenAI answer forever, for benchmarks and manual
//! checks. It prints its base URL and serves until killed.
//!
//!   quarry-fake-provider --reply FILE.json              a whole chat completion body
//!   quarry-fake-provider --stream-args FILE --name NAME [--chunk 8] [--pace-ms 0] [--content]
//!       streams FILE's text as tool-call argument deltas of NAME (or as message content),
//!       CHUNK characters per event
//!   quarry-fake-provider --script FILE.json
//!       answers with each reply of FILE's JSON array in turn, the last one forever (the reply
//!       forms are those of `Reply::from_spec`: OpenAI's, Anthropic's, Gemini's, …)
//!   --port N                                            listen on 127.0.0.1:N (default: any)

use std::time::Duration;

use quarry_fake_provider::{FakeServer, Reply};

const USAGE: &str = "usage: quarry-fake-provider (--reply FILE.json | --script FILE.json | --stream-args FILE --name NAME [--chunk N] [--pace-ms MS] [--content]) [--port N]";

fn fail(message: String) -> ! {
    eprintln!("{message}\n{USAGE}");
    std::process::exit(2);
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| fail(format!("cannot read {path}: {e}")))
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (mut port, mut reply, mut stream_args, mut name) = (0u16, None, None, None);
    let mut script_file = None;
    let (mut chunk, mut pace_ms, mut content) = (8usize, 0u64, false);
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| {
            args.next()
                .unwrap_or_else(|| fail(format!("{flag} needs a value")))
        };
        match arg.as_str() {
            "--port" => {
                port = value("--port")
                    .parse()
                    .unwrap_or_else(|_| fail("bad --port".into()))
            }
            "--reply" => reply = Some(value("--reply")),
            "--script" => script_file = Some(value("--script")),
            "--stream-args" => stream_args = Some(value("--stream-args")),
            "--name" => name = Some(value("--name")),
            "--chunk" => {
                chunk = value("--chunk")
                    .parse()
                    .unwrap_or_else(|_| fail("bad --chunk".into()))
            }
            "--pace-ms" => {
                pace_ms = value("--pace-ms")
                    .parse()
                    .unwrap_or_else(|_| fail("bad --pace-ms".into()))
            }
            "--content" => content = true,
            other => fail(format!("unknown argument {other}")),
        }
    }
    let script = match (reply, stream_args, script_file) {
        (None, None, Some(path)) => {
            let specs: Vec<serde_json::Value> = serde_json::from_str(&read(&path))
                .unwrap_or_else(|e| fail(format!("{path} is not a JSON array: {e}")));
            let replies = specs
                .iter()
                .map(Reply::from_spec)
                .collect::<Result<Vec<_>, _>>()
                .unwrap_or_else(|e| fail(format!("{path}: {e}")));
            let server = FakeServer::start_on(&format!("127.0.0.1:{port}"), replies, true)
                .await
                .unwrap_or_else(|e| fail(format!("cannot listen on 127.0.0.1:{port}: {e}")));
            println!("{}", server.base_url());
            std::future::pending::<()>().await;
            return;
        }
        (Some(path), None, None) => match serde_json::from_str(&read(&path)) {
            Ok(body) => Reply::ok(body),
            Err(e) => fail(format!("{path} is not JSON: {e}")),
        },
        (None, Some(path), None) => {
            let text = read(&path);
            let mut r = if content {
                Reply::stream_content(text.trim_end(), chunk)
            } else {
                let name = name.unwrap_or_else(|| fail("--stream-args needs --name".into()));
                Reply::stream_tool_call(&name, text.trim_end(), chunk)
            };
            if pace_ms > 0 {
                r = r.paced(Duration::from_millis(pace_ms));
            }
            r
        }
        _ => fail("give either --reply or --stream-args".into()),
    };
    let server = FakeServer::start_on(&format!("127.0.0.1:{port}"), vec![script], true)
        .await
        .unwrap_or_else(|e| fail(format!("cannot listen on 127.0.0.1:{port}: {e}")));
    println!("{}", server.base_url());
    std::future::pending::<()>().await;
}
