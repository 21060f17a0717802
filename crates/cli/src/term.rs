//! Text on its way to a terminal. A provider's message, a model's answer or a value read back
//! from the history can hold escape sequences that retitle, clear or rewrite the terminal
//! (`ESC ]0;…`, `ESC [2J`, the 8-bit C1 forms, bidirectional overrides that reorder what is
//! shown). Every such character is written as a visible `\u001b`-style escape instead: in
//! JSON output that is the same JSON (those characters can only sit inside strings), and in
//! plain text a person sees that something odd was there.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` can change what a terminal does rather than show a glyph. Newline and tab are
/// layout, kept as they are.
fn is_control(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        c if c.is_control() => true, // C0, DEL and C1
        // Bidirectional embeddings, overrides and isolates; the line and paragraph separators.
        '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        '\u{2028}' | '\u{2029}' => true,
        _ => false,
    }
}

/// `text` with every terminal control character replaced by its `\uXXXX` escape.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_control(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Prints a line on stderr, cleaned.
pub fn eprintln(text: impl std::fmt::Display) {
    eprintln!("{}", clean(&text.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        assert_eq!(
            clean("bad\x1b]0;pwned\x07 key\x1b[2J"),
            "bad\\u001b]0;pwned\\u0007 key\\u001b[2J"
        );
        assert_eq!(
            clean("8-bit \u{9b}2J and \u{202e}txt"),
            "8-bit \\u009b2J and \\u202etxt"
        );
        assert_eq!(
            clean("plain\ntext\twith é and 🌍"),
            "plain\ntext\twith é and 🌍"
        );
        assert!(matches!(clean("nothing odd"), Cow::Borrowed(_)));
        // JSON stays JSON.
        let json = serde_json::to_string(&serde_json::json!({"s": "a\u{9b}b\u{202e}c"})).unwrap();
        let cleaned = clean(&json);
        let back: serde_json::Value = serde_json::from_str(&cleaned).unwrap();
        assert_eq!(back["s"], "a\u{9b}b\u{202e}c");
    }
}
