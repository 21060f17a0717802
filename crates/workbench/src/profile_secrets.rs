//! A profile is kept in the run history file and goes into project exports, and secrets go in
//! neither (keys live in the OS keychain or the environment). This finds the secrets a profile
//! could carry: credentials in its base URL (`user:password@`, `?api-key=…`) and
//! credential-named text in its params (`api_key`, `headers.Authorization`, …).

use quarry_engine::secret::is_credential_name;
use quarry_engine::transport::redact_url;
use quarry_store::library::Profile;
use serde_json::Value;

/// Where `profile` carries a secret, as paths (`base_url`, `params.headers.Authorization`);
/// empty when it carries none.
pub fn secrets_in(profile: &Profile) -> Vec<String> {
    let mut found = Vec::new();
    if profile
        .base_url
        .as_deref()
        .is_some_and(|url| redact_url(url) != url)
    {
        found.push("base_url".to_string());
    }
    credential_fields(&profile.params, "params", &mut found);
    found
}

/// `profile` without its secrets: the base URL's credentials replaced by `<redacted>` (a run
/// from it then says to give them again) and credential fields of its params removed.
pub fn without_secrets(profile: &Profile) -> Profile {
    let mut clean = profile.clone();
    clean.base_url = clean.base_url.as_deref().map(redact_url);
    remove_credential_fields(&mut clean.params);
    clean
}

/// A param name that holds a credential. `is_credential_name` is made for header names, where
/// "token" is a credential; in params, names ending in `tokens` are counts (`max_tokens`,
/// `maxOutputTokens`, `budget_tokens`) and names ending in `_env` name the environment
/// variable a key is read from (`api_key_env`), so neither is one.
fn is_credential_param(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    is_credential_name(name) && !lower.ends_with("tokens") && !lower.ends_with("_env")
}

fn credential_fields(value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let here = format!("{at}.{key}");
                if is_credential_param(key) && holds_text(v) {
                    found.push(here);
                } else {
                    credential_fields(v, &here, found);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                credential_fields(v, &format!("{at}[{i}]"), found);
            }
        }
        _ => {}
    }
}

fn remove_credential_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, v| !(is_credential_param(key) && holds_text(v)));
            map.values_mut().for_each(remove_credential_fields);
        }
        Value::Array(items) => items.iter_mut().for_each(remove_credential_fields),
        _ => {}
    }
}

/// Whether a value can hold a secret: text, or something holding text. A number or a flag
/// under a credential-like name (`key_count`, `use_session: true`) is not one.
fn holds_text(value: &Value) -> bool {
    match value {
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(holds_text),
        Value::Object(map) => map.values().any(holds_text),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn profile(base_url: Option<&str>, params: Value) -> Profile {
        Profile {
            name: "p".into(),
            provider: "openai".into(),
            model: "gpt-4o-mini".into(),
            mode: None,
            base_url: base_url.map(str::to_string),
            params,
        }
    }

    #[test]
    fn what_the_workbench_saves_carries_no_secret() {
        // The params the UI writes (ProviderBar's profileFromDraft), and a local server's URL.
        let p = profile(
            Some("http://localhost:11434/v1"),
            json!({"sampling": {"temperature": 0.2, "max_tokens": 100, "top_p": 1, "seed": 7,
                "stop": ["END"]}, "max_retries": 2, "timeout_ms": 30000,
                "api_key_env": "OPENAI_API_KEY", "stream": "partial",
                "thinking": {"budget_tokens": 1024}, "maxOutputTokens": 5}),
        );
        assert_eq!(secrets_in(&p), Vec::<String>::new());
        assert_eq!(without_secrets(&p), p);
    }

    #[test]
    fn credentials_in_the_url_and_the_params_are_found_and_removed() {
        let p = profile(
            Some("https://me:s3cret@proxy.example/v1?api-key=abc&x=1"),
            json!({"api_key": "sk-1", "headers": {"Authorization": "Bearer sk-2",
                "X-Trace": "t"}, "extra": [{"password": "pw"}], "key_count": 3,
                "session": null}),
        );
        assert_eq!(
            secrets_in(&p),
            [
                "base_url",
                "params.api_key",
                "params.headers.Authorization",
                "params.extra[0].password"
            ]
        );
        let clean = without_secrets(&p);
        assert_eq!(secrets_in(&clean), Vec::<String>::new());
        let text = serde_json::to_string(&clean).unwrap();
        for secret in ["s3cret", "abc", "sk-1", "sk-2", "pw\""] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(
            clean.params,
            json!({"headers": {"X-Trace": "t"}, "extra": [{}], "key_count": 3, "session": null})
        );
        assert_eq!(
            clean.base_url.as_deref(),
            Some("https://<redacted>@proxy.example/v1?api-key=<redacted>&x=1")
        );
    }
}
