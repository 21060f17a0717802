//! Google access tokens for Vertex AI, the way Google's auth libraries find them
//! (Application Default Credentials): the key file `GOOGLE_APPLICATION_CREDENTIALS` names, else
//! the one `gcloud auth application-default login` writes. A service account's file holds an
//! RSA key: Quarry signs a short-lived JWT with it and exchanges it at the file's `token_uri`;
//! an authorized user's file holds a refresh token, exchanged the same way. The token is cached
//! until a minute before it expires, and fetched again when Vertex answers 401.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Setting};
use crate::secret::ApiKey;

/// The scope Vertex AI needs.
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// Where authorized-user files exchange their refresh token when they name no `token_uri`.
const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// A token is renewed this long before Google says it expires.
const MARGIN: Duration = Duration::from_secs(60);
/// A key file is small; anything larger is not one.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A key file as it is now: its path, modification time and size (a rotated key is a new
/// version, with a token of its own).
type FileVersion = (PathBuf, Option<SystemTime>, u64);

/// The credentials a key file holds.
#[derive(Clone)]
enum Grant {
    ServiceAccount {
        client_email: String,
        private_key_id: String,
        private_key: ApiKey,
        token_uri: String,
    },
    AuthorizedUser {
        client_id: String,
        client_secret: ApiKey,
        refresh_token: ApiKey,
        token_uri: String,
    },
}

/// A source of access tokens: the credentials and the token in use.
pub struct GoogleTokens {
    grant: Grant,
    /// Where the credentials came from, for errors.
    file: PathBuf,
    /// The project the file names (service accounts), used when none is set.
    pub project_id: Option<String>,
    cache: tokio::sync::Mutex<Option<(ApiKey, Instant)>>,
}

impl std::fmt::Debug for GoogleTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleTokens")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

fn bad_file(file: &Path, why: String) -> Error {
    Error::InvalidSetting {
        setting: Setting::ApiKey,
        message: format!("the Google credentials file {} {why}", file.display()),
        hint: "point GOOGLE_APPLICATION_CREDENTIALS at a service-account key file, run `gcloud auth application-default login`, or set GOOGLE_OAUTH_ACCESS_TOKEN".into(),
    }
}

#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: String,
    project_id: Option<String>,
    client_email: Option<String>,
    private_key_id: Option<String>,
    private_key: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    refresh_token: Option<String>,
    token_uri: Option<String>,
}

impl GoogleTokens {
    /// The Application Default Credentials: from the file `GOOGLE_APPLICATION_CREDENTIALS`
    /// names, else gcloud's, if either exists (`None`: there are none). One source per file
    /// and version of it in the process, so every call shares its cached token.
    pub fn find() -> Result<Option<Arc<GoogleTokens>>, Error> {
        static SOURCES: OnceLock<Mutex<HashMap<FileVersion, Arc<GoogleTokens>>>> = OnceLock::new();
        let named = std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS").filter(|v| !v.is_empty());
        let file = match named {
            Some(path) => PathBuf::from(path),
            None => {
                match dirs_config().map(|d| d.join("gcloud/application_default_credentials.json")) {
                    Some(p) if p.is_file() => p,
                    _ => return Ok(None),
                }
            }
        };
        let meta = std::fs::metadata(&file).ok();
        let version = (
            file.clone(),
            meta.as_ref().and_then(|m| m.modified().ok()),
            meta.as_ref().map_or(0, |m| m.len()),
        );
        let mut sources = SOURCES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = sources.get(&version) {
            return Ok(Some(found.clone()));
        }
        let tokens = Arc::new(Self::from_file(&file)?);
        sources.insert(version, tokens.clone());
        Ok(Some(tokens))
    }

    pub fn from_file(file: &Path) -> Result<GoogleTokens, Error> {
        let size = std::fs::metadata(file)
            .map_err(|e| bad_file(file, format!("cannot be read ({e})")))?
            .len();
        if size > MAX_FILE_BYTES {
            return Err(bad_file(file, "is too large to be a key file".into()));
        }
        let text = std::fs::read_to_string(file)
            .map_err(|e| bad_file(file, format!("cannot be read ({e})")))?;
        let k: KeyFile = serde_json::from_str(&text)
            .map_err(|e| bad_file(file, format!("is not a key file ({e})")))?;
        let need = |v: Option<String>, field: &str| {
            v.filter(|s| !s.is_empty())
                .ok_or_else(|| bad_file(file, format!("has no `{field}`")))
        };
        let grant = match k.kind.as_str() {
            "service_account" => Grant::ServiceAccount {
                client_email: need(k.client_email, "client_email")?,
                private_key_id: k.private_key_id.unwrap_or_default(),
                private_key: ApiKey::new(need(k.private_key, "private_key")?),
                token_uri: need(k.token_uri, "token_uri")?,
            },
            "authorized_user" => Grant::AuthorizedUser {
                client_id: need(k.client_id, "client_id")?,
                client_secret: ApiKey::new(need(k.client_secret, "client_secret")?),
                refresh_token: ApiKey::new(need(k.refresh_token, "refresh_token")?),
                token_uri: k.token_uri.unwrap_or_else(|| DEFAULT_TOKEN_URI.into()),
            },
            other => {
                return Err(bad_file(
                    file,
                    format!(
                        "is of type `{other}`; Quarry reads service_account and authorized_user files"
                    ),
                ));
            }
        };
        Ok(GoogleTokens {
            grant,
            file: file.to_path_buf(),
            project_id: k.project_id,
            cache: tokio::sync::Mutex::new(None),
        })
    }

    /// The secrets of the file, for the run's redactor.
    pub fn secrets(&self) -> Vec<String> {
        match &self.grant {
            Grant::ServiceAccount { private_key, .. } => vec![private_key.expose().to_string()],
            Grant::AuthorizedUser {
                client_secret,
                refresh_token,
                ..
            } => vec![
                client_secret.expose().to_string(),
                refresh_token.expose().to_string(),
            ],
        }
    }

    /// A token that is good for at least another minute: the cached one, or a new one
    /// (`refresh`: the provider refused the cached one).
    pub async fn token(&self, http: &reqwest::Client, refresh: bool) -> Result<ApiKey, Error> {
        let mut cache = self.cache.lock().await;
        if !refresh
            && let Some((token, until)) = cache.as_ref()
            && Instant::now() + MARGIN < *until
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.fetch(http).await?;
        *cache = Some((token.clone(), Instant::now() + lifetime));
        Ok(token)
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<(ApiKey, Duration), Error> {
        let (uri, form): (&str, Vec<(&str, String)>) = match &self.grant {
            Grant::ServiceAccount {
                client_email,
                private_key_id,
                private_key,
                token_uri,
            } => {
                let assertion = self.sign(client_email, private_key_id, private_key, token_uri)?;
                (
                    token_uri,
                    vec![
                        (
                            "grant_type",
                            "urn:ietf:params:oauth:grant-type:jwt-bearer".into(),
                        ),
                        ("assertion", assertion),
                    ],
                )
            }
            Grant::AuthorizedUser {
                client_id,
                client_secret,
                refresh_token,
                token_uri,
            } => (
                token_uri,
                vec![
                    ("grant_type", "refresh_token".into()),
                    ("client_id", client_id.clone()),
                    ("client_secret", client_secret.expose().to_string()),
                    ("refresh_token", refresh_token.expose().to_string()),
                ],
            ),
        };
        let failed = |message: String| Error::Transport {
            provider: "vertexai".into(),
            url: crate::transport::redact_url(uri),
            message: format!("getting an access token failed: {message}"),
            retries: 0,
            local_server: None,
        };
        let response = http
            .post(uri)
            .form(&form)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| failed(e.to_string()))?;
        let json: Value = serde_json::from_slice(crate::limits::clip_bytes(&body, 64 * 1024))
            .unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            // OAuth errors are `{error, error_description}`: codes, never the secrets sent.
            let code = json.get("error").and_then(Value::as_str).unwrap_or("");
            let description = json
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or("");
            return Err(Error::Http {
                provider: "vertexai".into(),
                status,
                message: format!(
                    "Google refused the credentials in {}: {code} {description}",
                    self.file.display()
                )
                .trim_end()
                .to_string(),
                body: String::new(),
                retries: 0,
                retry_after_ms: None,
            });
        }
        let token = json
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| failed("the answer has no access_token".into()))?;
        let lifetime = json
            .get("expires_in")
            .and_then(Value::as_u64)
            .unwrap_or(3600)
            .min(24 * 3600);
        Ok((ApiKey::new(token), Duration::from_secs(lifetime)))
    }

    /// The JWT a service account exchanges for a token: RS256 over its claims.
    fn sign(
        &self,
        client_email: &str,
        private_key_id: &str,
        private_key: &ApiKey,
        token_uri: &str,
    ) -> Result<String, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = serde_json::json!({
            "iss": client_email,
            "scope": SCOPE,
            "aud": token_uri,
            "iat": now,
            "exp": now + 3600,
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        if !private_key_id.is_empty() {
            header.kid = Some(private_key_id.to_string());
        }
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(private_key.expose().as_bytes())
            .map_err(|e| {
                bad_file(
                    &self.file,
                    format!("has a private key that cannot be read ({e})"),
                )
            })?;
        jsonwebtoken::encode(&header, &claims, &key)
            .map_err(|e| bad_file(&self.file, format!("has a key that cannot sign ({e})")))
    }
}

/// The user's configuration folder (`$XDG_CONFIG_HOME`, else `~/.config`), where gcloud keeps
/// its application-default credentials.
fn dirs_config() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
}
