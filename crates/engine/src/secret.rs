//! Secrets: API keys, credential headers and passwords in URLs. An [`ApiKey`] never prints and
//! never serializes; a [`Redactor`] holds every secret of one run and masks them out of any
//! text the engine records or returns — provider answers included, after they were decoded
//! (error bodies and hostile servers sometimes echo the key back, JSON-escaped or not).

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

/// What replaces a secret wherever it would have appeared.
pub const REDACTED: &str = "<redacted>";

#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for building an auth header. Keep the result out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Why this key cannot be sent in an HTTP header, if it cannot: every provider's keys are
    /// printable ASCII without spaces, and a stray `\r` or `\n` from a copied file is the
    /// usual culprit. The description names the character and its position, never the key.
    pub fn problem(&self) -> Option<String> {
        if self.0.trim().is_empty() {
            return Some("is empty".into());
        }
        self.0
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_graphic())
            .map(|(i, c)| {
                let what = match c {
                    '\r' => "a carriage return (\\r)".to_string(),
                    '\n' => "a line feed (\\n)".to_string(),
                    '\t' => "a tab".to_string(),
                    ' ' => "a space".to_string(),
                    c if c.is_control() => format!("the control character U+{:04X}", c as u32),
                    c => format!("the non-ASCII character U+{:04X}", c as u32),
                };
                let chars = self.0.chars().count();
                let place = if i + 1 == chars {
                    "at its end".to_string()
                } else if i == 0 {
                    "at its start".to_string()
                } else {
                    format!("at position {} of {chars}", i + 1)
                };
                format!("contains {what} {place}")
            })
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// The secrets of one run, masked out of every text recorded or returned.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is masked whole.
    secrets: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

/// Secrets shorter than this are not masked: masking a 2-letter "key" would mangle every text
/// while protecting nothing.
const MIN_SECRET: usize = 4;

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret (ignored when shorter than 4 bytes).
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.len() < MIN_SECRET || self.secrets.iter().any(|s| s == secret) {
            return;
        }
        self.secrets.push(secret.to_string());
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Adds an API key, and its first eight characters when it is long: providers quote
    /// them in "incorrect API key sk-abc1…" messages.
    pub fn add_key(&mut self, key: &ApiKey) {
        let k = key.expose();
        self.add(k);
        if k.chars().count() >= 12 {
            let end = k.char_indices().nth(8).map_or(k.len(), |(i, _)| i);
            self.add(&k[..end]);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// True when `text` holds one of the secrets.
    pub fn finds(&self, text: &str) -> bool {
        self.secrets.iter().any(|s| text.contains(s.as_str()))
    }

    /// `text` with every secret replaced by `<redacted>`.
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = Cow::Owned(out.replace(s.as_str(), REDACTED));
            }
        }
        out
    }

    pub fn mask_string(&self, text: &mut String) {
        if let Cow::Owned(masked) = self.mask(text) {
            *text = masked;
        }
    }

    /// Masks every string and object key inside `value` (decoded text, so JSON escapes in
    /// the wire form cannot hide a secret).
    pub fn mask_value(&self, value: &mut Value) {
        if self.is_empty() {
            return;
        }
        match value {
            Value::String(s) => self.mask_string(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.mask_value(v)),
            Value::Object(map) => {
                if map.keys().any(|k| self.finds(k)) {
                    let old = std::mem::take(map);
                    *map = old
                        .into_iter()
                        .map(|(k, v)| (self.mask(&k).into_owned(), v))
                        .collect::<Map<String, Value>>();
                }
                map.values_mut().for_each(|v| self.mask_value(v));
            }
            _ => {}
        }
    }

    /// A provider's body as it may be shown or stored: JSON is decoded, masked and written
    /// back (so `\u0073k-…` cannot smuggle the key past a text search); anything else is
    /// masked as text.
    pub fn mask_body(&self, body: &str) -> String {
        if self.is_empty() {
            return body.to_string();
        }
        match serde_json::from_str::<Value>(body) {
            Ok(mut v) if v.is_object() || v.is_array() => {
                self.mask_value(&mut v);
                serde_json::to_string(&v).unwrap_or_else(|_| self.mask(body).into_owned())
            }
            _ => self.mask(body).into_owned(),
        }
    }

    /// Splits a growing text so that no secret can straddle what is shown and what is held
    /// back: returns how many bytes of `text` may be shown now (masked). Only an ending that
    /// could be the start of a secret (`…the key is sk-li`) is kept until more arrives or the
    /// text ends, so ordinary text streams without delay.
    pub(crate) fn safe_prefix(&self, text: &str) -> usize {
        let bytes = text.as_bytes();
        let held = self
            .secrets
            .iter()
            .map(|s| {
                let s = s.as_bytes();
                (1..s.len().min(bytes.len() + 1))
                    .rev()
                    .find(|&k| bytes.ends_with(&s[..k]))
                    .unwrap_or(0)
            })
            .max()
            .unwrap_or(0);
        let mut cut = text.floor_char_boundary(text.len() - held);
        // A whole secret that starts before the cut and ends after it is shown (masked) whole.
        loop {
            let mut moved = false;
            for s in &self.secrets {
                for (start, _) in text.match_indices(s.as_str()) {
                    let end = start + s.len();
                    if start < cut && end > cut {
                        cut = end;
                        moved = true;
                    }
                }
            }
            if !moved {
                return cut;
            }
        }
    }
}

/// Header names whose values are credentials, whoever added them: `Authorization`,
/// `X-Api-Key`, `X-Portkey-Virtual-Key`, `X-Goog-Api-Key`, session tokens, cookies, signatures.
pub fn is_credential_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    const WORDS: [&str; 12] = [
        "auth",
        "key",
        "token",
        "secret",
        "password",
        "passwd",
        "cookie",
        "session",
        "signature",
        "credential",
        "bearer",
        "sig",
    ];
    WORDS.iter().any(|w| {
        n.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|part| part == *w || (w.len() > 3 && part.contains(w)))
    })
}

/// The secrets inside a header value: the whole value, and the credential after a scheme
/// (`Bearer sk-…`, `Basic dXNlcjpwdw==`).
pub fn header_secrets(value: &str) -> Vec<&str> {
    let value = value.trim();
    let mut out = vec![value];
    if let Some((_, credential)) = value.split_once(' ') {
        out.push(credential.trim());
    }
    out
}

/// Where keys come from. The engine reads the environment; the desktop app and CLI plug the
/// OS keychain in front of it.
pub trait KeySource: Send + Sync {
    /// The key for `provider`, looked up under `env_var` when the source is the environment.
    fn key(&self, provider: &str, env_var: &str) -> Option<ApiKey>;

    /// Whether this source can store keys in a keychain that is reachable right now (so a
    /// missing key can be fixed there, not only in the environment).
    fn keychain_available(&self) -> bool {
        false
    }

    /// Forgets what was looked up for `provider` (its key was just stored or deleted).
    fn forget(&self, _provider: &str) {}
}

/// Any `Fn(provider, env_var) -> Option<ApiKey>` is a key source.
impl<F> KeySource for F
where
    F: Fn(&str, &str) -> Option<ApiKey> + Send + Sync,
{
    fn key(&self, provider: &str, env_var: &str) -> Option<ApiKey> {
        self(provider, env_var)
    }
}

/// Keys from environment variables.
#[derive(Debug, Default, Clone, Copy)]
pub struct EnvKeys;

impl KeySource for EnvKeys {
    fn key(&self, _provider: &str, env_var: &str) -> Option<ApiKey> {
        std::env::var(env_var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(ApiKey::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redactor(key: &str) -> Redactor {
        let mut r = Redactor::new();
        r.add_key(&ApiKey::new(key));
        r
    }

    #[test]
    fn never_prints_and_masks_echoes() {
        let k = ApiKey::new("sk-test-1234567890abcdef");
        assert_eq!(format!("{k:?}"), "ApiKey(<redacted>)");
        let body = "Incorrect API key provided: sk-test-***cdef. Full: sk-test-1234567890abcdef";
        let masked = redactor(k.expose()).mask(body).into_owned();
        assert!(!masked.contains("1234567890"));
        assert!(!masked.contains("sk-test-"));
    }

    #[test]
    fn a_non_ascii_key_is_masked_without_panicking() {
        // Byte 8 falls inside "é": cutting there used to panic, printing the key.
        let key = "sk-abcdéfghijklmnop";
        let r = redactor(key);
        assert_eq!(r.mask(&format!("bad key {key}!")), "bad key <redacted>!");
        assert!(!r.mask("quoted sk-abcdé…").contains("sk-abcdé"));
        let problem = ApiKey::new(key).problem().unwrap();
        assert!(problem.contains("U+00E9") && problem.contains("position 8"));
        assert!(!problem.contains("sk-"));
    }

    #[test]
    fn json_escaped_echoes_are_masked_after_decoding() {
        let r = redactor("sk-live-0123456789abcdef");
        let body = r#"{"error": {"message": "bad key \u0073k-live-0123456789abcdef"}}"#;
        let masked = r.mask_body(body);
        assert!(!masked.contains("0123456789"), "{masked}");
        let decoded: Value = serde_json::from_str(&masked).unwrap();
        assert_eq!(decoded["error"]["message"], "bad key <redacted>");
        let mut v = json!({"sk-live-0123456789abcdef": ["sk-live-0123456789abcdef"]});
        r.mask_value(&mut v);
        assert_eq!(v, json!({"<redacted>": ["<redacted>"]}));
    }

    #[test]
    fn a_key_ending_in_a_carriage_return_is_refused_by_name_of_the_character() {
        let p = ApiKey::new("sk-abc\r").problem().unwrap();
        assert_eq!(p, "contains a carriage return (\\r) at its end");
        assert!(ApiKey::new("sk-ok-123").problem().is_none());
        assert!(ApiKey::new("  ").problem().is_some());
    }

    #[test]
    fn held_back_text_never_splits_a_secret() {
        let r = redactor("sk-0123456789abcdef");
        let text = "prefix sk-0123456789abcdef and sk-0123";
        let cut = r.safe_prefix(text);
        assert_eq!(&text[..cut], "prefix sk-0123456789abcdef and ");
        // Text that cannot be the start of a secret is never held.
        assert_eq!(r.safe_prefix("Ada Lovelace"), "Ada Lovelace".len());
        assert_eq!(r.safe_prefix("Ada Lovelaces"), "Ada Lovelace".len());
        assert_eq!(r.safe_prefix(""), 0);
    }

    #[test]
    fn credential_header_names() {
        for n in [
            "Authorization",
            "X-Api-Key",
            "api-key",
            "X-Portkey-Virtual-Key",
            "x-goog-api-key",
            "Cookie",
            "X-Session-Token",
            "Proxy-Authorization",
            "X-Amz-Security-Token",
            "OpenAI-Secret",
        ] {
            assert!(is_credential_name(n), "{n}");
        }
        for n in [
            "X-Team",
            "Content-Type",
            "OpenAI-Organization",
            "X-Trace-Id",
        ] {
            assert!(!is_credential_name(n), "{n}");
        }
        assert_eq!(
            header_secrets("Bearer sk-123456"),
            ["Bearer sk-123456", "sk-123456"]
        );
    }
}
