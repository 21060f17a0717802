//! API keys in the OS keychain (Secret Service on Linux desktops, the kernel keyring as a
//! fallback backend), never in the database. The resolver tries the keychain, then the
//! provider's environment variable.

use std::collections::HashMap;
use std::sync::Mutex;

use quarry_engine::{ApiKey, KeySource};

/// The keychain service name Quarry's entries live under (one entry per provider).
const SERVICE: &str = "quarry";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("no OS keychain is reachable ({detail})")]
    Unavailable { detail: String },
    #[error("the keychain refused: {0}")]
    Keychain(String),
}

impl SecretError {
    pub fn hint(&self, env_var: &str) -> String {
        match self {
            SecretError::Unavailable { .. } => format!(
                "start a Secret Service (a desktop session, or gnome-keyring-daemon), or use the environment instead: export {env_var}=..."
            ),
            SecretError::Keychain(_) => {
                format!("unlock the keychain, or export {env_var}=... instead")
            }
        }
    }
}

fn classify(e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            SecretError::Unavailable {
                detail: inner.to_string(),
            }
        }
        other => SecretError::Keychain(other.to_string()),
    }
}

fn entry(provider: &str) -> Result<keyring::Entry, SecretError> {
    keyring::Entry::new(SERVICE, provider).map_err(classify)
}

/// Stores `key` for `provider`, replacing any earlier one.
pub fn set_key(provider: &str, key: &ApiKey) -> Result<(), SecretError> {
    entry(provider)?
        .set_password(key.expose())
        .map_err(classify)
}

/// The stored key for `provider`, if any.
pub fn get_key(provider: &str) -> Result<Option<ApiKey>, SecretError> {
    match entry(provider)?.get_password() {
        Ok(k) => Ok(Some(ApiKey::new(k))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(classify(e)),
    }
}

/// Removes the stored key; false when there was none.
pub fn delete_key(provider: &str) -> Result<bool, SecretError> {
    match entry(provider)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(classify(e)),
    }
}

/// Where a provider's key would come from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum KeyLocation {
    Keychain,
    Environment(String),
    Missing,
}

pub fn locate(provider: &str, env_vars: &[&str]) -> (KeyLocation, Option<SecretError>) {
    let (stored, error) = match get_key(provider) {
        Ok(k) => (k.is_some(), None),
        Err(e) => (false, Some(e)),
    };
    let set = env_vars
        .iter()
        .find(|var| std::env::var(var).is_ok_and(|v| !v.trim().is_empty()));
    let location = match set {
        _ if stored => KeyLocation::Keychain,
        Some(var) => KeyLocation::Environment(var.to_string()),
        None => KeyLocation::Missing,
    };
    (location, error)
}

/// Keychain first, then the environment. A keychain that cannot be reached counts as holding
/// no key (the environment still works); each provider is looked up once per process.
#[derive(Default)]
pub struct KeychainThenEnv {
    cache: Mutex<HashMap<String, Result<Option<ApiKey>, ()>>>,
}

impl KeySource for KeychainThenEnv {
    fn key(&self, provider: &str, env_var: &str) -> Option<ApiKey> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let stored = cache
            .entry(provider.to_string())
            .or_insert_with(|| get_key(provider).map_err(|_| ()))
            .clone()
            .ok()
            .flatten();
        stored.or_else(|| quarry_engine::EnvKeys.key(provider, env_var))
    }

    /// Whether the lookups made so far reached a keychain (a missing key then suggests storing
    /// it there; without one, only the environment is worth suggesting).
    fn keychain_available(&self) -> bool {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        !cache.is_empty() && cache.values().all(Result::is_ok)
    }

    fn forget(&self, provider: &str) {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(provider);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs against the real Secret Service that `scripts/test` starts (gnome-keyring in a
    /// private D-Bus session); a developer without one sets nothing and the test says so.
    #[test]
    fn round_trip_in_the_real_keychain() {
        if std::env::var_os("QUARRY_TEST_KEYCHAIN").is_none() {
            eprintln!("QUARRY_TEST_KEYCHAIN is not set: run scripts/test for the keychain test");
            return;
        }
        let provider = format!("test-provider-{}", std::process::id());
        let key = ApiKey::new("sk-keychain-test-0123456789");
        set_key(&provider, &key).unwrap();
        assert_eq!(get_key(&provider).unwrap().unwrap().expose(), key.expose());
        assert_eq!(
            locate(&provider, &["QUARRY_NO_SUCH_VAR"]).0,
            KeyLocation::Keychain
        );
        let resolver = KeychainThenEnv::default();
        assert_eq!(resolver.key(&provider, "X").unwrap().expose(), key.expose());
        assert!(delete_key(&provider).unwrap());
        assert!(!delete_key(&provider).unwrap());
        assert!(get_key(&provider).unwrap().is_none());
    }
}
