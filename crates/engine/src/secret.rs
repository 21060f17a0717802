//! API keys. An [`ApiKey`] never prints, never serializes, and is masked out of any provider
//! text the engine surfaces (error bodies sometimes echo the key back).

use std::fmt;

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

    /// `text` with every occurrence of the key (and of its first 8+ characters, which
    /// providers like to quote in "incorrect API key sk-abc…" messages) replaced.
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        if self.0.len() >= 4 {
            out = out.replace(&self.0, "<redacted>");
        }
        if self.0.len() >= 12 {
            out = out.replace(&self.0[..8], "<redacted>");
        }
        out
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Where keys come from. The engine reads the environment; the desktop app and CLI plug the
/// OS keychain in front of it.
pub trait KeySource: Send + Sync {
    /// The key for `provider`, looked up under `env_var` when the source is the environment.
    fn key(&self, provider: &str, env_var: &str) -> Option<ApiKey>;
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

    #[test]
    fn never_prints_and_masks_echoes() {
        let k = ApiKey::new("sk-test-1234567890abcdef");
        assert_eq!(format!("{k:?}"), "ApiKey(<redacted>)");
        let body = "Incorrect API key provided: sk-test-***cdef. Full: sk-test-1234567890abcdef";
        let masked = k.mask(body);
        assert!(!masked.contains("1234567890"));
        assert!(!masked.contains("sk-test-"));
    }
}
