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
