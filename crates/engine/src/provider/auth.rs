//! Credentials, applied to each try of a request after its body is final. An API key is a
//! header; a Google access token is fetched, cached and renewed (per try, so a token that
//! expired between two tries, or that the provider refused, is replaced); an AWS signature
//! covers the exact bytes sent, at the time they are sent.

use std::sync::Arc;

use crate::error::Error;
use crate::provider::Header;
use crate::provider::aws::{AwsCredentials, sign_request};
use crate::provider::google_auth::GoogleTokens;
use crate::secret::ApiKey;

#[derive(Debug, Clone)]
pub enum Auth {
    /// Nothing to send (local servers without a key).
    None,
    /// The key in a header, after a prefix (`authorization: Bearer …`, `x-api-key: …`).
    Header {
        name: &'static str,
        prefix: &'static str,
        key: ApiKey,
    },
    /// A Google OAuth access token from Application Default Credentials, as a bearer token.
    Google(Arc<GoogleTokens>),
    /// AWS Signature Version 4 for `service` in `region`.
    SigV4 {
        credentials: AwsCredentials,
        region: String,
        service: &'static str,
    },
}

impl Auth {
    /// `key` in header `name` after `prefix`, or nothing when there is no key.
    pub fn header(name: &'static str, prefix: &'static str, key: Option<ApiKey>) -> Auth {
        match key {
            Some(key) => Auth::Header { name, prefix, key },
            None => Auth::None,
        }
    }

    /// What a preview shows of these credentials, without fetching anything: the headers one
    /// try carries (added to `headers`, marked secret, so they are masked when shown), and the
    /// curl arguments that send the same credentials from the environment. `key_env` is the
    /// variable the key is read from.
    pub(crate) fn preview(
        &self,
        url: &str,
        body: &[u8],
        headers: &mut Vec<Header>,
        key_env: &str,
    ) -> Result<Vec<String>, Error> {
        Ok(match self {
            Auth::None => Vec::new(),
            Auth::Header { name, prefix, .. } => {
                headers.push(Header {
                    name: name.to_string(),
                    value: format!("{prefix}${key_env}"),
                    secret: true,
                });
                vec!["-H".into(), format!("\"{name}: {prefix}${key_env}\"")]
            }
            Auth::Google(_) => {
                headers.push(Header {
                    name: "authorization".into(),
                    value: "Bearer (an access token)".into(),
                    secret: true,
                });
                vec![
                    "-H".into(),
                    "\"authorization: Bearer $(gcloud auth print-access-token)\"".into(),
                ]
            }
            Auth::SigV4 {
                credentials,
                region,
                service,
            } => {
                // A signature is computed locally; it is shown masked all the same.
                let signed = sign_request(credentials, region, service, url, headers, body)?;
                headers.extend(signed);
                let mut args = vec![
                    "--aws-sigv4".into(),
                    format!("'aws:amz:{region}:{service}'"),
                    "--user".into(),
                    "\"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\"".into(),
                ];
                if credentials.session_token.is_some() {
                    args.push("-H".into());
                    args.push("\"x-amz-security-token: $AWS_SESSION_TOKEN\"".into());
                }
                args
            }
        })
    }

    /// Whether a 401 may be cured by fetching the credentials again.
    pub fn refreshable(&self) -> bool {
        matches!(self, Auth::Google(_))
    }

    /// The secrets behind these credentials (a key file's private key), for the redactor.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Auth::Google(tokens) => tokens.secrets(),
            Auth::SigV4 { credentials, .. } => credentials.secrets(),
            Auth::None | Auth::Header { .. } => Vec::new(),
        }
    }

    /// Adds the credentials of one try to `headers`. `refresh`: the provider refused the
    /// last ones.
    pub(crate) async fn apply(
        &self,
        http: &reqwest::Client,
        url: &str,
        body: &[u8],
        headers: &mut Vec<Header>,
        refresh: bool,
    ) -> Result<(), Error> {
        let (name, value) = match self {
            Auth::None => return Ok(()),
            Auth::SigV4 {
                credentials,
                region,
                service,
            } => {
                let signed = sign_request(credentials, region, service, url, headers, body)?;
                headers.extend(signed);
                return Ok(());
            }
            Auth::Header { name, prefix, key } => (*name, format!("{prefix}{}", key.expose())),
            Auth::Google(tokens) => {
                let token = tokens.token(http, refresh).await?;
                ("authorization", format!("Bearer {}", token.expose()))
            }
        };
        headers.push(Header {
            name: name.to_string(),
            value,
            secret: true,
        });
        Ok(())
    }
}
