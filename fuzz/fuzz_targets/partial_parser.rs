//! Any bytes, cut anywhere: the parser never panics, and when the bytes are a JSON document
//! the changes rebuild exactly what serde_json parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quarry_engine::partial::{PartialParser, Snapshot};

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the chunk size, so the fuzzer explores splits too.
    let Some((&cut, doc)) = data.split_first() else { return };
    let size = usize::from(cut % 16) + 1;
    let mut parser = PartialParser::with_max_depth(64);
    let mut snapshot = Snapshot::new();
    let mut out = Vec::new();
    let mut ok = true;
    for chunk in doc.chunks(size) {
        out.clear();
        if parser.feed(chunk, &mut out).is_err() {
            ok = false;
            break;
        }
        for change in &out {
            assert!(snapshot.apply(change), "a change did not apply: {change:?}");
        }
    }
    let complete = ok && {
        out.clear();
        let done = parser.finish(&mut out).unwrap_or(false);
        for change in &out {
            assert!(snapshot.apply(change));
        }
        done
    };
    match serde_json::from_slice::<serde_json::Value>(doc) {
        Ok(expected) if depth(&expected) <= 64 => {
            assert!(complete, "serde_json accepts what the parser rejected");
            assert_eq!(snapshot.value(), &expected);
        }
        Ok(_) => {}
        Err(_) => assert!(!complete, "the parser accepted what serde_json rejects"),
    }
});

fn depth(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        serde_json::Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}
