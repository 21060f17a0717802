//! The engine's own work per call, without the network: build the request body for a mode,
//! serialize it, parse the provider's answer, extract and validate the JSON. Schema preparation
//! (once per run) is measured separately. Run: `cargo bench -p quarry-engine --bench engine`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use quarry_engine::extract::{Answer, extract};
use quarry_engine::provider::{CallSpec, Reading, registry};
use quarry_engine::{Message, Mode, ResponseSchema, Sampling};
use serde_json::{Map, Value};

// The allocator the quarry binaries ship with.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../bench/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{name}: {e}; run bench/gen_fixtures.py"))
}

fn per_call(c: &mut Criterion, which: &str) {
    let schema_text = fixture(&format!("{which}.schema.json"));
    let reply = fixture(&format!("{which}.reply.json")).into_bytes();
    let schema = ResponseSchema::from_json_str(&schema_text).unwrap();
    let protocol = registry::protocol(
        registry::find("openai").unwrap(),
        "http://127.0.0.1:1/v1".into(),
    )
    .unwrap();
    let messages = vec![Message::user("Extract the data.")];
    let sampling = Sampling::default();
    let extra = Map::new();

    c.bench_function(&format!("{which}/prepare_schema"), |b| {
        b.iter(|| ResponseSchema::from_json_str(black_box(&schema_text)).unwrap())
    });
    c.bench_function(
        &format!("{which}/call (build+serialize+parse+validate)"),
        |b| {
            b.iter(|| {
                let request = protocol
                    .build(&CallSpec {
                        mode: Mode::Tools,
                        model: "bench",
                        messages: &messages,
                        prompt_len: 1,
                        schema: &schema,
                        sampling: &sampling,
                        extra_body: &extra,
                        stream: false,
                    })
                    .unwrap();
                let body = serde_json::to_vec(&request.body).unwrap();
                black_box(body);
                let completion = protocol.parse(Mode::Tools, black_box(&reply)).unwrap();
                let Answer::One(value) = extract(Reading::Tool, &completion, &schema).unwrap()
                else {
                    unreachable!()
                };
                schema.validate(&value).unwrap();
                black_box::<Value>(schema.unwrap(value))
            })
        },
    );
}

fn benches(c: &mut Criterion) {
    per_call(c, "small");
    per_call(c, "wide");
}

criterion_group!(engine, benches);
criterion_main!(engine);
