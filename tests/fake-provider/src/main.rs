//! `quarry-fake-provider`: serve one scripted OpenAI answer forever, for benchmarks and manual
//! checks. `quarry-fake-provider --reply FILE.json [--port N]` where FILE holds a whole chat
//! completion body; it prints its base URL and serves until killed.

use quarry_fake_provider::{FakeServer, Reply};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut port = 0u16;
    let mut reply = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).unwrap_or(0),
            "--reply" => reply = args.next(),
            other => {
                eprintln!(
                    "unknown argument {other}; usage: quarry-fake-provider --reply FILE.json [--port N]"
                );
                std::process::exit(2);
            }
        }
    }
    let Some(path) = reply else {
        eprintln!("usage: quarry-fake-provider --reply FILE.json [--port N]");
        std::process::exit(2);
    };
    let body = match std::fs::read_to_string(&path).map(|t| serde_json::from_str(&t)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            eprintln!("{path} is not JSON: {e}");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    let server =
        match FakeServer::start_on(&format!("127.0.0.1:{port}"), vec![Reply::ok(body)], true).await
        {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cannot listen on 127.0.0.1:{port}: {e}");
                std::process::exit(1);
            }
        };
    println!("{}", server.base_url());
    std::future::pending::<()>().await;
}
