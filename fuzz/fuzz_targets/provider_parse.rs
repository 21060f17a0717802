//! Any bytes as a provider's answer: a plain body, an error body, a stream event, in every
//! mode. Nothing panics, and masking a key out of what came back never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quarry_engine::provider::openai::OpenAi;
use quarry_engine::provider::{Protocol, presets};
use quarry_engine::sse::SseEvent;
use quarry_engine::{ApiKey, Mode, Redactor};

fuzz_target!(|data: &[u8]| {
    let Some(preset) = presets::find("openai") else { return };
    let p = OpenAi::new(preset, "http://127.0.0.1:1/v1".into(), None);
    let text = String::from_utf8_lossy(data);
    let event = SseEvent { event: None, data: text.to_string(), id: None };
    for mode in Mode::ALL {
        let _ = p.parse(mode, data);
        let _ = p.stream_deltas(mode, &event, &mut |_| {});
    }
    let _ = p.failure(500, &text);
    // The first bytes as a key, the rest as what a provider echoed.
    let split = data.first().map_or(0, |b| usize::from(*b) % 48).min(text.len());
    let split = text.floor_char_boundary(split);
    let mut r = Redactor::new();
    r.add_key(&ApiKey::new(&text[..split]));
    let _ = r.mask_body(&text[split..]);
});
