//! Every limit on what Quarry reads or waits for, in one place (README lists them). Past a
//! limit the run ends with a specific error that keeps what had arrived, instead of growing
//! until the process is killed or waiting forever.

use std::time::Duration;

const MIB: usize = 1024 * 1024;

/// A non-streamed response body.
pub const MAX_RESPONSE_BYTES: usize = 64 * MIB;
/// An error (non-2xx) body: only its first megabyte is read; it is for people to read.
pub const MAX_ERROR_BODY_BYTES: usize = MIB;
/// One server-sent event (a line, or the data lines of one event together).
pub const MAX_SSE_EVENT_BYTES: usize = 16 * MIB;
/// A streamed answer: the text or tool-call arguments assembled from its deltas.
pub const MAX_STREAMED_ANSWER_BYTES: usize = 64 * MIB;
/// An image attached from a file.
pub const MAX_IMAGE_BYTES: usize = 20 * MIB;
/// An attached file (`--file`, a dropped file, a fetched address), and a PDF whose text
/// Quarry extracts: as large as the largest inline file any provider takes (Gemini, 100 MB).
pub const MAX_ATTACHMENT_BYTES: u64 = 100_000_000;
/// Reading the text of one PDF: a PDF that takes longer is reported as unreadable.
pub const PDF_TEXT_TIMEOUT: Duration = Duration::from_secs(60);
/// A text read from a file (prompt, variable, schema).
pub const MAX_TEXT_FILE_BYTES: usize = 64 * MIB;
/// A rendered prompt (all messages): a template loop cannot make more than this.
pub const MAX_RENDERED_BYTES: usize = 64 * MIB;
/// Template evaluation steps (minijinja fuel): enough for any real prompt (a loop over
/// 100,000 rows takes about two million), not for nested loops that would run for minutes.
pub const TEMPLATE_FUEL: u64 = 10_000_000;
/// Re-asks, and transport retries per attempt, at most: every one is a paid call, and a run
/// asked for four billion of them would never end.
pub const MAX_RETRIES: u32 = 100;
/// The longest total timeout accepted, and the longest `Retry-After` understood.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(30 * 24 * 3600);

/// A number of seconds as a duration, when it is one: finite, not negative, and at most
/// [`MAX_TIMEOUT`]. `Duration::from_secs_f64` panics on the rest.
pub fn seconds(secs: f64) -> Option<Duration> {
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| *d <= MAX_TIMEOUT)
}

/// The first `max` bytes of `text`, cut on a character boundary (never inside one).
pub fn clip(text: &str, max: usize) -> &str {
    &text[..text.floor_char_boundary(max.min(text.len()))]
}

/// The first `max` bytes of `bytes`.
pub fn clip_bytes(bytes: &[u8], max: usize) -> &[u8] {
    &bytes[..max.min(bytes.len())]
}

/// `1.5 MiB`, `64 MiB`, `512 bytes`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64;
    let mut unit = "";
    for u in UNITS {
        v /= 1024.0;
        unit = u;
        if v < 1024.0 {
            break;
        }
    }
    if v.fract() == 0.0 {
        format!("{v:.0} {unit}")
    } else {
        format!("{v:.1} {unit}")
    }
}

/// `0.2 s`, `45 s`, `1 h`, `1 h 30 min`, `2 days`.
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        return if d.subsec_millis() == 0 {
            format!("{s} s")
        } else {
            format!("{:.1} s", d.as_secs_f64())
        };
    }
    let (days, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    match (days, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (1, _, _) => "1 day".into(),
        (d, _, _) => format!("{d} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_refuses_what_would_panic() {
        for bad in [f64::NAN, f64::INFINITY, -1.0, 1e20, 1e300] {
            assert_eq!(seconds(bad), None, "{bad}");
        }
        assert_eq!(seconds(1.5), Some(Duration::from_millis(1500)));
        assert_eq!(seconds(0.0), Some(Duration::ZERO));
    }

    #[test]
    fn clip_never_cuts_a_character() {
        let s = "aé🌍z";
        for max in 0..=s.len() + 2 {
            let c = clip(s, max);
            assert!(c.len() <= max && s.starts_with(c));
        }
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(64 * 1024 * 1024), "64 MiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(10), "10 bytes");
        assert_eq!(human_duration(Duration::from_secs(3600)), "1 h");
        assert_eq!(human_duration(Duration::from_secs(5400)), "1 h 30 min");
        assert_eq!(human_duration(Duration::from_secs(45)), "45 s");
        assert_eq!(human_duration(Duration::from_millis(200)), "0.2 s");
        assert_eq!(human_duration(Duration::from_secs(3 * 86_400)), "3 days");
    }
}
