//! How big the run history grows for a run, against what the run carried on the wire: real
//! engine runs against the fake provider, recorded by a `Recorder` into a real file. Shared by
//! `tests/history_size.rs` (asserts the ratios at a few MB) and `examples/history_size.rs`
//! (prints the table at 50 MB).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use quarry_engine::{
    ApiKey, CallOptions, Client, ExtractRequest, Message, ResponseSchema, StreamKind,
    TransportRetry,
};
use quarry_fake_provider::{FakeServer, Reply, StreamScript};
use quarry_store::{NewRun, Recorder, Store};
use serde_json::{Value, json};

/// What the answer is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// `{"records": [{…}, …]}`: many small JSON objects (compresses well).
    Records,
    /// `{"text": "…"}`: prose from a 1,000-word vocabulary (compresses about 3×).
    Prose,
    /// `{"data": "…"}`: random base64 text (only the 6-bit alphabet compresses).
    Base64,
}

/// How the answer arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// One JSON body.
    Whole,
    /// SSE deltas of this many characters each.
    Stream(usize),
}

/// One measured case.
#[derive(Debug, Clone)]
pub enum Case {
    /// An answer of about `bytes` bytes.
    Answer {
        content: Content,
        delivery: Delivery,
        bytes: usize,
    },
    /// An image of `bytes` bytes attached inline, answered wrongly three times (three re-asks,
    /// each resending it) after a transport retry.
    Image { bytes: usize },
}

impl Case {
    pub fn label(&self) -> String {
        let mb = |b: usize| format!("{:.0} MB", b as f64 / 1e6);
        match self {
            Case::Answer {
                content,
                delivery,
                bytes,
            } => {
                let how = match delivery {
                    Delivery::Whole => "not streamed".to_string(),
                    Delivery::Stream(n) if *n >= 1024 => {
                        format!("streamed, {} KiB deltas", n / 1024)
                    }
                    Delivery::Stream(n) => format!("streamed, {n} B deltas"),
                };
                format!("{} answer, {content:?}, {how}", mb(*bytes))
            }
            Case::Image { bytes } => format!("{} image, 3 re-asks + 1 transport retry", mb(*bytes)),
        }
    }
}

/// What a case carried and what it cost on disk.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Request bodies sent plus response bodies received (HTTP headers not counted).
    pub wire: u64,
    /// The database file after a checkpoint (`wal_checkpoint(TRUNCATE)`), WAL included.
    pub db: u64,
    /// The same case's database before the run: the empty history's size, subtracted from `db`.
    pub empty: u64,
    /// Time to run and record.
    pub secs: f64,
}

impl Measured {
    pub fn ratio(&self) -> f64 {
        (self.db - self.empty) as f64 / self.wire as f64
    }
}

/// The cases of issue 8 item 21 at `bytes` bytes per answer, and an image of `image` bytes.
pub fn cases(bytes: usize, image: usize) -> Vec<Case> {
    let mut out = Vec::new();
    for content in [Content::Records, Content::Prose, Content::Base64] {
        for delivery in [
            Delivery::Stream(64 * 1024),
            Delivery::Stream(4 * 1024),
            Delivery::Stream(200),
            Delivery::Whole,
        ] {
            out.push(Case::Answer {
                content,
                delivery,
                bytes,
            });
        }
    }
    out.push(Case::Image { bytes: image });
    out
}

const KEY: &str = "sk-size-test-0123456789abcdef";

fn schema(content: Content) -> &'static str {
    match content {
        Content::Records => {
            r#"{"title": "Records", "type": "object", "properties": {"records": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "city": {"type": "string"}, "amount": {"type": "number"}, "note": {"type": "string"}}, "required": ["id", "name"]}}}, "required": ["records"]}"#
        }
        Content::Prose => {
            r#"{"title": "Records", "type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}"#
        }
        Content::Base64 => {
            r#"{"title": "Records", "type": "object", "properties": {"data": {"type": "string"}}, "required": ["data"]}"#
        }
    }
}

fn words(rng: &mut fastrand::Rng, n: usize) -> String {
    const SYLLABLES: [&str; 20] = [
        "ka", "lo", "mi", "ner", "sta", "vu", "ple", "dor", "an", "the", "quo", "ri", "sel", "mon",
        "ta", "gre", "el", "bu", "fin", "os",
    ];
    (0..n)
        .map(|_| {
            // 1,000 words: three syllables from a fixed set, picked by one of 1,000 seeds.
            let w = rng.usize(0..1000);
            format!(
                "{}{}{}",
                SYLLABLES[w % 20],
                SYLLABLES[(w / 20) % 20],
                SYLLABLES[(w / 400) % 20]
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The answer's JSON text, about `bytes` long.
pub fn answer(content: Content, bytes: usize) -> String {
    let mut rng = fastrand::Rng::with_seed(21);
    match content {
        Content::Records => {
            let mut records = Vec::new();
            let mut size = 0;
            let mut id = 0;
            while size < bytes {
                let r = json!({"id": id, "name": words(&mut rng, 2), "city": words(&mut rng, 1),
                    "amount": rng.u32(0..100_000) as f64 / 100.0, "note": words(&mut rng, 6)});
                size += r.to_string().len() + 1;
                records.push(r);
                id += 1;
            }
            json!({ "records": records }).to_string()
        }
        Content::Prose => {
            let mut text = String::with_capacity(bytes + 64);
            while text.len() < bytes {
                text.push_str(&words(&mut rng, 12));
                text.push_str(". ");
            }
            json!({ "text": text }).to_string()
        }
        Content::Base64 => json!({ "data": base64(&mut rng, bytes) }).to_string(),
    }
}

fn base64(rng: &mut fastrand::Rng, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..n).map(|_| ALPHABET[rng.usize(0..64)] as char).collect()
}

/// Bytes of a reply's body on the wire.
fn served(reply: &Reply) -> u64 {
    match reply {
        Reply::Json { body, .. } => body.to_string().len() as u64,
        Reply::Raw { body, .. } => body.len() as u64,
        Reply::Bytes { body, .. } => body.len() as u64,
        Reply::Endless { .. } => unreachable!("no case scripts an endless body"),
        Reply::Stream(StreamScript { events, .. }) => events.iter().map(|e| e.len() as u64).sum(),
        Reply::Delay(_, inner) => served(inner),
        Reply::Drop => 0,
    }
}

/// Runs `case` against a fresh fake provider, recorded into a new database in `dir`.
pub async fn measure(case: &Case, dir: &Path) -> Measured {
    let server_replies: Vec<Reply>;
    let mut req;
    let content;
    let mut stream = None;
    match case {
        Case::Answer {
            content: c,
            delivery,
            bytes,
        } => {
            content = *c;
            let args = answer(content, *bytes);
            server_replies = vec![match delivery {
                Delivery::Whole => Reply::tool_call("Records", &args),
                Delivery::Stream(n) => {
                    stream = Some(StreamKind::Partial);
                    Reply::stream_tool_call("Records", &args, *n)
                }
            }];
            req = ExtractRequest::new("openai/gpt-4o-mini")
                .user("Extract the records: {{ doc }}")
                .var("doc", "a short document")
                .max_retries(0);
        }
        Case::Image { bytes } => {
            content = Content::Prose;
            let mut rng = fastrand::Rng::with_seed(5);
            let url = format!("data:image/png;base64,{}", base64(&mut rng, bytes * 4 / 3));
            let wrong = Reply::tool_call("Records", r#"{"text": 7}"#);
            server_replies = vec![
                Reply::error(503, "overloaded", "try again"),
                wrong.clone(),
                wrong.clone(),
                wrong,
                Reply::tool_call("Records", r#"{"text": "a cat on a mat"}"#),
            ];
            req = ExtractRequest::new("openai/gpt-4o-mini")
                .message(Message::user("Describe the picture.").with_image(url))
                .max_retries(3);
            req = req.transport(TransportRetry {
                initial_backoff: std::time::Duration::from_millis(10),
                ..TransportRetry::default()
            });
        }
    }
    let response_bytes: u64 = server_replies.iter().map(served).sum();
    let server = FakeServer::start(server_replies).await.unwrap();
    let req = req.base_url(server.base_url());
    let path = dir.join(format!("size-{}.db", fastrand::u64(..)));
    let mut store = Store::open(&path).unwrap();
    store.query_i64("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    let empty = std::fs::metadata(&path).unwrap().len();
    let t0 = Instant::now();
    let schema_text = schema(content);
    let id = store
        .start_run(&NewRun {
            project: "default",
            schema_name: "records",
            schema_body: schema_text,
            prompt_name: "size",
            request: &req,
            stream,
            profile: None,
        })
        .unwrap();
    let recorder = Recorder::spawn(store, id, None);
    let options = CallOptions {
        observer: Some(recorder.observer()),
        ..Default::default()
    };
    let client = Client::builder()
        .keys(Arc::new(|_: &str, _: &str| Some(ApiKey::new(KEY))))
        .build();
    let schema = Arc::new(ResponseSchema::from_json_str(schema_text).unwrap());
    let result = match stream {
        None => client
            .extract_value_with(&req, &schema, &options)
            .await
            .map(|e| e.value),
        Some(kind) => client
            .stream(req.clone(), schema, kind, options)
            .unwrap()
            .finish()
            .await
            .map(|e| e.value),
    };
    let value: Value = result.unwrap_or_else(|e| panic!("{}: {e}", case.label()));
    assert!(value.is_object());
    let store = recorder.finish().unwrap();
    let secs = t0.elapsed().as_secs_f64();
    store.query_i64("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    drop(store);
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let db = size(&path) + size(&path.with_extension("db-wal"));
    let sent: u64 = server
        .requests()
        .iter()
        .map(|r| serde_json::to_vec(&r.body).unwrap().len() as u64)
        .sum();
    let _ = std::fs::remove_file(&path);
    Measured {
        wire: sent + response_bytes,
        db,
        empty,
        secs,
    }
}
