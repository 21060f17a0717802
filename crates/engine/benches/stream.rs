//! Streaming cost: CPU per partial stream of N records (~100 bytes each) sent as 8-character
//! argument deltas by the fake provider, and the parser's throughput beside serde_json.
//!
//! The fake provider runs on its own OS thread; the client runs on this thread in a
//! current-thread runtime, so this thread's CPU time is exactly the client's work: HTTP, SSE,
//! partial parsing, per-field validation, events, and a consumer applying every change to a
//! snapshot (what a UI does). Run: `cargo bench -p quarry-engine --bench stream`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::time::{ClockId, clock_gettime};
use quarry_engine::partial::{PartialParser, Snapshot};
use quarry_engine::{CallOptions, Client, ExtractRequest, ResponseSchema, RunEvent, StreamKind};
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::{Value, json};

// The allocator the quarry binaries ship with.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn thread_cpu() -> Duration {
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
        .map(Duration::from)
        .unwrap_or_default()
}

/// `{"records": [...]}` with `n` records of about 100 bytes.
fn document(n: usize) -> String {
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({"id": i, "name": format!("Customer {i:05}"), "email": format!("c{i:05}@example.org"),
                   "score": (i % 1000) as f64 / 10.0, "active": i % 3 != 0, "tier": "gold"})
        })
        .collect();
    json!({ "records": records }).to_string()
}

fn schema() -> ResponseSchema {
    ResponseSchema::new(json!({
        "title": "Records", "type": "object", "required": ["records"],
        "properties": {"records": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "name", "email", "score", "active", "tier"],
            "properties": {
                "id": {"type": "integer", "minimum": 0},
                "name": {"type": "string", "maxLength": 64},
                "email": {"type": "string"},
                "score": {"type": "number"},
                "active": {"type": "boolean"},
                "tier": {"type": "string", "enum": ["bronze", "silver", "gold"]}}}}}}))
    .unwrap()
}

/// Starts a fake provider on its own thread, streaming `args` 8 characters per event.
fn serve(args: String) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let server = FakeServer::start_on(
                "127.0.0.1:0",
                vec![Reply::stream_tool_call("Records", &args, 8)],
                true,
            )
            .await
            .unwrap();
            tx.send(server.base_url()).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder()
        .keys(Arc::new(|_: &str, _: &str| {
            Some(quarry_engine::ApiKey::new("sk-bench"))
        }))
        .build();
    let schema = Arc::new(schema());

    println!("Partial streams, 8-character deltas, CPU of the client thread per stream:");
    println!(
        "{:>8} {:>11} {:>9} {:>14} {:>12} {:>10}",
        "records", "bytes", "events", "cpu ms (min)", "cpu ms (med)", "µs/record"
    );
    let mut per_size = Vec::new();
    let sizes: Vec<(usize, usize)> = match std::env::var("QUARRY_BENCH_ONLY") {
        // One size, for profiling: QUARRY_BENCH_ONLY=20000
        Ok(n) => vec![(n.parse().expect("a record count"), 3)],
        Err(_) => vec![(50, 40), (400, 15), (5_000, 3), (20_000, 3)],
    };
    for (n, reps) in sizes {
        let doc = document(n);
        let url = serve(doc.clone());
        let mut cpu = Vec::new();
        let mut events = 0;
        for _ in 0..reps {
            let req = ExtractRequest::new("openai/bench")
                .base_url(&url)
                .user("Extract the records.")
                .max_retries(0);
            let c0 = thread_cpu();
            let value = rt.block_on(async {
                let mut run = client
                    .stream(
                        req,
                        schema.clone(),
                        StreamKind::Partial,
                        CallOptions::default(),
                    )
                    .unwrap();
                let mut snap = Snapshot::new();
                events = 0;
                while let Some(e) = run.next_event().await {
                    events += 1;
                    if let RunEvent::Partial { changes, .. } = &e.event {
                        for c in changes {
                            snap.apply(c);
                        }
                    }
                }
                run.finish().await.unwrap();
                snap.into_value()
            });
            cpu.push(thread_cpu() - c0);
            assert_eq!(value["records"].as_array().unwrap().len(), n);
        }
        cpu.sort();
        let (min, med) = (cpu[0], cpu[cpu.len() / 2]);
        println!(
            "{n:>8} {:>11} {events:>9} {:>14.2} {:>12.2} {:>10.2}",
            doc.len(),
            min.as_secs_f64() * 1e3,
            med.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e6 / n as f64
        );
        per_size.push((n, min));
    }
    if per_size.len() == 1 {
        return; // one size, for profiling
    }
    let cost = |n| {
        per_size
            .iter()
            .find(|(m, _)| *m == n)
            .unwrap()
            .1
            .as_secs_f64()
    };
    println!(
        "growth: 20,000 records cost {:.1}x the 400-record stream (50x the data; linear is 50x)",
        cost(20_000) / cost(400)
    );
    println!(
        "against Python instructor's 43 s of CPU for 400 records (the issue's figure): {:.0}x less",
        43.0 / cost(400)
    );

    println!(
        "\nParser throughput on the 20,000-record document ({} bytes):",
        document(20_000).len()
    );
    let doc = document(20_000);
    let mb = doc.len() as f64 / 1e6;
    let time = |f: &mut dyn FnMut()| {
        f();
        let t0 = Instant::now();
        let mut runs = 0;
        while t0.elapsed() < Duration::from_secs(2) {
            f();
            runs += 1;
        }
        mb * runs as f64 / t0.elapsed().as_secs_f64()
    };
    let serde = time(&mut || {
        black_box(serde_json::from_str::<Value>(&doc).unwrap());
    });
    let whole = time(&mut || {
        let mut p = PartialParser::new();
        let mut out = Vec::new();
        let mut snap = Snapshot::new();
        p.feed(doc.as_bytes(), &mut out).unwrap();
        for c in &out {
            snap.apply(c);
        }
        black_box(snap);
    });
    let chunked = time(&mut || {
        let mut p = PartialParser::new();
        let mut out = Vec::new();
        let mut snap = Snapshot::new();
        for chunk in doc.as_bytes().chunks(8) {
            out.clear();
            p.feed(chunk, &mut out).unwrap();
            for c in &out {
                snap.apply(c);
            }
        }
        black_box(snap);
    });
    println!("  serde_json::from_str::<Value> (whole document)      {serde:>7.1} MB/s");
    println!("  partial parser + snapshot, whole document           {whole:>7.1} MB/s");
    println!("  partial parser + snapshot, 8-byte chunks            {chunked:>7.1} MB/s");
}
