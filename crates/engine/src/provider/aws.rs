//! AWS credentials and SigV4 signing for Bedrock. Credentials come as the AWS SDKs find them:
//! `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` (the secret may also come
//! from Quarry's keychain entry for `bedrock`), else the profile `AWS_PROFILE` (or `default`)
//! of the shared credentials file. The region: `AWS_REGION`, `AWS_DEFAULT_REGION`, else the
//! profile's `region` in the shared config file. Each try is signed over the exact bytes sent
//! (aws-sigv4), at the time it is sent.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

use crate::error::{Error, Setting};
use crate::provider::Header;
use crate::secret::ApiKey;

/// Credentials to sign with.
#[derive(Clone)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: ApiKey,
    pub session_token: Option<ApiKey>,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// The sections of an AWS shared file (`[default]`, `[profile x]` or `[x]`) and their
/// `key = value` pairs; comments (`#`, `;`) and anything else are skipped.
pub fn parse_profiles(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut out: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut section: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim();
            let name = name.strip_prefix("profile ").unwrap_or(name).trim();
            section = Some(name.to_string());
            continue;
        }
        if let (Some(s), Some((k, v))) = (&section, line.split_once('=')) {
            out.entry(s.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    out
}

/// The profile's section of the shared file at `$var`, or at `~/.aws/{name}`.
fn profile_section(var: &str, name: &str) -> Option<HashMap<String, String>> {
    let path = env(var)
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".aws").join(name)))?;
    let text = std::fs::read_to_string(path).ok()?;
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".into());
    parse_profiles(&text).remove(&profile)
}

impl AwsCredentials {
    /// The credentials in the environment (the secret from `secret` when the keychain had it),
    /// else the shared credentials file's profile.
    pub fn find(secret: Option<ApiKey>) -> Result<AwsCredentials, Error> {
        let secret = secret.or_else(|| env("AWS_SECRET_ACCESS_KEY").map(ApiKey::new));
        if let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), secret) {
            return Ok(AwsCredentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: env("AWS_SESSION_TOKEN").map(ApiKey::new),
            });
        }
        if let Some(p) = profile_section("AWS_SHARED_CREDENTIALS_FILE", "credentials")
            && let (Some(id), Some(secret)) =
                (p.get("aws_access_key_id"), p.get("aws_secret_access_key"))
        {
            return Ok(AwsCredentials {
                access_key_id: id.clone(),
                secret_access_key: ApiKey::new(secret.clone()),
                session_token: p.get("aws_session_token").map(|t| ApiKey::new(t.clone())),
            });
        }
        Err(Error::InvalidSetting {
            setting: Setting::ApiKey,
            message: "Bedrock needs AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set, and the shared credentials file has no keys for the profile".into(),
            hint: "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), or run `aws configure`".into(),
        })
    }

    /// The secrets, for the run's redactor.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = vec![self.secret_access_key.expose().to_string()];
        out.extend(self.session_token.iter().map(|t| t.expose().to_string()));
        out
    }
}

/// The region: `AWS_REGION`, `AWS_DEFAULT_REGION`, else the shared config file's profile.
pub fn find_region() -> Result<String, Error> {
    let region = env("AWS_REGION")
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .or_else(|| {
            profile_section("AWS_CONFIG_FILE", "config").and_then(|p| p.get("region").cloned())
        })
        .ok_or_else(|| Error::InvalidSetting {
            setting: Setting::Provider,
            message: "Bedrock needs an AWS region, and none is set".into(),
            hint: "set AWS_REGION, for example us-east-1".into(),
        })?;
    if region.is_empty()
        || !region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(Error::InvalidSetting {
            setting: Setting::Provider,
            message: format!("the AWS region `{region}` has characters a region never has"),
            hint: "set AWS_REGION to a region such as us-east-1".into(),
        });
    }
    Ok(region)
}

/// Signs one request for `service` in `region`: the headers to add (authorization,
/// x-amz-date, and the session token when there is one).
pub fn sign_request(
    credentials: &AwsCredentials,
    region: &str,
    service: &str,
    url: &str,
    headers: &[Header],
    body: &[u8],
) -> Result<Vec<Header>, Error> {
    let failed = |what: String| Error::InvalidSetting {
        setting: Setting::ApiKey,
        message: format!("the request could not be signed for AWS: {what}"),
        hint: "check the AWS credentials, the region and the extra headers".into(),
    };
    let identity = aws_credential_types::Credentials::new(
        &credentials.access_key_id,
        credentials.secret_access_key.expose(),
        credentials
            .session_token
            .as_ref()
            .map(|t| t.expose().to_string()),
        None,
        "quarry",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| failed(e.to_string()))?
        .into();
    // The content type is sent by the transport: it is signed like every header sent.
    let signed_headers = std::iter::once(("content-type", "application/json"))
        .chain(headers.iter().map(|h| (h.name.as_str(), h.value.as_str())));
    let request = SignableRequest::new("POST", url, signed_headers, SignableBody::Bytes(body))
        .map_err(|e| failed(e.to_string()))?;
    let (instructions, _) = sign(request, &params)
        .map_err(|e| failed(e.to_string()))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(name, value)| Header {
            name: name.to_string(),
            value: value.to_string(),
            secret: true,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_read_from_both_file_styles() {
        let text = "# comment\n[default]\naws_access_key_id = AKIA1\naws_secret_access_key=s1\n\n[profile work]\nregion = eu-west-1\n; note\n[other]\nAWS_ACCESS_KEY_ID = AKIA2\n";
        let p = parse_profiles(text);
        assert_eq!(p["default"]["aws_access_key_id"], "AKIA1");
        assert_eq!(p["default"]["aws_secret_access_key"], "s1");
        assert_eq!(p["work"]["region"], "eu-west-1");
        assert_eq!(p["other"]["aws_access_key_id"], "AKIA2");
    }

    #[test]
    fn signing_adds_the_authorization_and_date() {
        let creds = AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: ApiKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: Some(ApiKey::new("token")),
        };
        let signed = sign_request(
            &creds,
            "us-east-1",
            "bedrock",
            "https://bedrock-runtime.us-east-1.amazonaws.com/model/m%3A0/converse",
            &[],
            b"{}",
        )
        .unwrap();
        let names: Vec<&str> = signed.iter().map(|h| h.name.as_str()).collect();
        assert!(
            names.contains(&"authorization") && names.contains(&"x-amz-date"),
            "{names:?}"
        );
        assert!(names.contains(&"x-amz-security-token"), "{names:?}");
        let auth = &signed
            .iter()
            .find(|h| h.name == "authorization")
            .unwrap()
            .value;
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{auth}"
        );
        assert!(auth.contains("/us-east-1/bedrock/aws4_request"), "{auth}");
    }
}
