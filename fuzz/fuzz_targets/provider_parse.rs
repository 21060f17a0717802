//! Any bytes as a provider's answer: a plain body, an error body, a stream event, in every
//! mode of every protocol. Nothing panics, and masking a key out of what came back never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quarry_engine::provider::{Frame, registry};
use quarry_engine::{ApiKey, Mode, Redactor};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for name in ["openai", "anthropic", "gemini", "cohere"] {
        let Some(preset) = registry::find(name) else { return };
        let Ok(p) = registry::protocol(preset, "http://127.0.0.1:1".into()) else { return };
        for mode in Mode::ALL {
            let _ = p.parse(mode, data);
            // Each line an event of one stream: decoders keep state across events.
            let mut decoder = p.decoder(mode);
            for line in text.lines() {
                let _ = decoder.decode(Frame { kind: None, data: line }, &mut |_| {});
            }
        }
        let _ = p.failure(500, &text);
    }
    // The first bytes as a key, the rest as what a provider echoed.
    let split = data.first().map_or(0, |b| usize::from(*b) % 48).min(text.len());
    let split = text.floor_char_boundary(split);
    let mut r = Redactor::new();
    r.add_key(&ApiKey::new(&text[..split]));
    let _ = r.mask_body(&text[split..]);
});
