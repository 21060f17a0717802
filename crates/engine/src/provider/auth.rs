//! Credentials, applied to each try of a request after its body is final. An API key is a
//! header; the schemes that sign the body or use short-lived tokens (SigV4, OAuth) plug in
//! here, which is why this runs per try and may fail.

use crate::error::Error;
use crate::provider::Header;
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
}

impl Auth {
    /// `key` in header `name` after `prefix`, or nothing when there is no key.
    pub fn header(name: &'static str, prefix: &'static str, key: Option<ApiKey>) -> Auth {
        match key {
            Some(key) => Auth::Header { name, prefix, key },
            None => Auth::None,
        }
    }

    /// Adds the credentials of one try to `headers`. `_body` is the exact bytes sent (what a
    /// signature covers).
    pub(crate) async fn apply(
        &self,
        _url: &str,
        _body: &[u8],
        headers: &mut Vec<Header>,
    ) -> Result<(), Error> {
        match self {
            Auth::None => {}
            Auth::Header { name, prefix, key } => headers.push(Header {
                name: (*name).to_string(),
                value: format!("{prefix}{}", key.expose()),
                secret: true,
            }),
        }
        Ok(())
    }
}
