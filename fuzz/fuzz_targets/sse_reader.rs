//! Any bytes, cut anywhere: the SSE reader never panics and dispatches the same events as when
//! fed the whole input at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quarry_engine::sse::SseReader;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, input)) = data.split_first() else { return };
    let size = usize::from(cut % 32) + 1;
    let mut whole = Vec::new();
    SseReader::new().feed(input, |e| whole.push(e.clone()));
    let mut pieces = Vec::new();
    let mut reader = SseReader::new();
    for chunk in input.chunks(size) {
        reader.feed(chunk, |e| pieces.push(e.clone()));
    }
    assert_eq!(whole, pieces);
});
