//! Run-history throughput on a real database file: recording runs as the CLI does (a run row,
//! a writer thread, 20 events, the result), search across 100,000 runs, and CSV export of
//! 100,000 results. Run: `cargo bench -p quarry-store --bench store`.

use std::time::{Duration, Instant};

use quarry_engine::{AttemptInfo, EventRecord, ExtractRequest, RunEvent, Usage};
use quarry_store::{ExportFormat, NewRun, Recorder, SearchQuery, Store};
use serde_json::json;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SCHEMA: &str =
    r#"{"title": "Invoice", "type": "object", "properties": {"number": {"type": "string"}}}"#;

/// A vocabulary of made-up words, so every search term is selective.
fn word(rng: &mut fastrand::Rng) -> String {
    format!("w{:04}", rng.u32(0..5000))
}

/// The 20 events of a typical run: start, a first attempt that fails validation and is
/// re-asked, a second that succeeds, with their hook events.
fn events(i: usize) -> Vec<EventRecord> {
    let a = |n| AttemptInfo {
        attempt: n,
        max_attempts: 4,
        is_last: false,
    };
    let mut out = vec![RunEvent::RunStarted {
        provider: "openai".into(),
        model: "gpt-4o-mini".into(),
        mode: quarry_engine::Mode::Tools,
        schema: "Invoice".into(),
        max_attempts: 4,
    }];
    for n in 1..=2u32 {
        for _ in 0..3 {
            out.push(RunEvent::CompletionError {
                attempt: a(n),
                error: quarry_engine::Error::InvalidRequest("rate limited".into()).info(),
                retry_in_ms: Some(100),
            });
            out.push(RunEvent::HookFailed {
                hook: "completion:kwargs".into(),
                message: "x".into(),
            });
        }
        out.push(RunEvent::CompletionResponse {
            attempt: a(n),
            status: 200,
            latency_ms: 420.0,
            usage: Usage {
                prompt_tokens: 300,
                completion_tokens: 40,
                total_tokens: 340,
                ..Default::default()
            },
            body: json!({"id": format!("chatcmpl-{i}-{n}")}),
            stream: None,
        });
        if n == 1 {
            out.push(RunEvent::ParseError {
                attempt: a(1),
                error: "at /number: required".into(),
                issues: vec![],
                raw: Some("{}".into()),
            });
            out.push(RunEvent::Reask {
                attempt: a(1),
                messages: vec![],
            });
        }
    }
    while out.len() < 19 {
        out.push(RunEvent::HookFailed {
            hook: "parse:error".into(),
            message: "x".into(),
        });
    }
    out.push(RunEvent::RunSucceeded {
        attempts: 2,
        value: json!({"number": format!("INV-{i:06}"), "seller": {"name": "Nordlys"}, "total": i}),
        usage: Usage::default(),
        latency_ms: 850.0,
    });
    out.into_iter()
        .enumerate()
        .map(|(s, event)| EventRecord {
            v: 1,
            seq: s as u64 + 1,
            t_ms: s as f64,
            event,
        })
        .collect()
}

fn record(mut store: Store, i: usize, rng: &mut fastrand::Rng) -> Store {
    let doc = (0..6).map(|_| word(rng)).collect::<Vec<_>>().join(" ");
    let req = ExtractRequest::new("openai/gpt-4o-mini")
        .user("Extract the invoice: {{ doc }}")
        .var("doc", doc);
    let id = store
        .start_run(&NewRun {
            project: "default",
            schema_name: "invoice",
            schema_body: SCHEMA,
            prompt_name: "p",
            request: &req,
            stream: None,
            profile: None,
        })
        .unwrap();
    let recorder = Recorder::spawn(store, id, None);
    let observe = recorder.observer();
    for e in events(i) {
        observe(&e);
    }
    drop(observe);
    recorder.finish().unwrap()
}

fn pct(sorted: &[Duration], q: f64) -> f64 {
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1e3
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let mut store = Store::open(&path).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);

    let t0 = Instant::now();
    for i in 0..10_000 {
        store = record(store, i, &mut rng);
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "record: 10,000 runs x 20 events in {secs:.2} s = {:.0} runs/s ({:.0} events/s)",
        10_000.0 / secs,
        200_000.0 / secs
    );

    // 90,000 more runs, recorded the same way, for search and export at 100,000.
    let t0 = Instant::now();
    for i in 10_000..100_000 {
        store = record(store, i, &mut rng);
    }
    println!(
        "record: 90,000 more runs in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    let mut times = Vec::new();
    let mut hits = 0;
    for k in 0..300 {
        let query = SearchQuery {
            text: Some(if k % 3 == 0 {
                format!("{} {}", word(&mut rng), word(&mut rng))
            } else {
                word(&mut rng)
            }),
            provider: (k % 2 == 0).then(|| "openai".to_string()),
            limit: 50,
            ..Default::default()
        };
        let t = Instant::now();
        hits += store.search_runs(&query).unwrap().len();
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "search: 300 queries over 100,000 runs (1-2 words, half with a provider filter, page of 50): p50 {:.2} ms, p95 {:.2} ms ({hits} hits)",
        pct(&times, 0.5),
        pct(&times, 0.95)
    );
    let t = Instant::now();
    let page = store
        .search_runs(&SearchQuery {
            status: Some(quarry_store::RunStatus::Succeeded),
            limit: 50,
            offset: 50_000,
            ..Default::default()
        })
        .unwrap();
    println!(
        "search: filter only, page at offset 50,000: {:.2} ms ({} rows)",
        t.elapsed().as_secs_f64() * 1e3,
        page.len()
    );

    let ids = store.runs_with_results().unwrap();
    let out = std::fs::File::create(dir.path().join("export.csv")).unwrap();
    let mut out = std::io::BufWriter::new(out);
    let t = Instant::now();
    let rows = store
        .export_results(&ids, ExportFormat::Csv, None, &mut out, &mut |_, _| {})
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "export: {rows} results to CSV in {secs:.2} s = {:.0} rows/s",
        rows as f64 / secs
    );
}
