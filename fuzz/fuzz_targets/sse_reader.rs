//! Any bytes, cut anywhere: the SSE reader never panics, and dispatches the same events (and
//! stops at the same error) as when fed the whole input at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quarry_engine::sse::SseReader;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, input)) = data.split_first() else { return };
    let size = usize::from(cut % 32) + 1;
    let mut whole = Vec::new();
    let whole_result = SseReader::with_limit(4096).feed(input, |e| whole.push(e.clone()));
    let mut pieces = Vec::new();
    let mut reader = SseReader::with_limit(4096);
    let mut pieces_result = Ok(());
    for chunk in input.chunks(size) {
        pieces_result = reader.feed(chunk, |e| pieces.push(e.clone()));
        if pieces_result.is_err() {
            break;
        }
    }
    assert_eq!(whole, pieces);
    assert_eq!(whole_result.is_err(), pieces_result.is_err());
});
