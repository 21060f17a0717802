//! Google's OAuth 2.0 token endpoint, `POST /token` on the same server, as Google's auth libraries
//! use it for Application Default Credentials: the JWT-bearer grant of a service-account key file
//! and the refresh-token grant of an `authorized_user` file (what `gcloud auth application-default
//! login` writes). [`FakeServer::google_service_account`] and
//! [`FakeServer::google_authorized_user`] make the files, with `token_uri` pointing here; every
//! access token issued is accepted by the Vertex AI fake (see [`FakeServer::accept_bearer`]) until
//! it expires ([`FakeServer::set_token_lifetime`]) or [`FakeServer::expire_tokens`] is called.
//! Once a file was made, the Vertex fake accepts *only* bearer tokens this endpoint issued (or that
//! were accepted by hand): a client that sends anything else, its refresh token for instance, gets
//! the 401.
//!
//! The endpoint answers by itself, never from the script; the request is recorded like any other.
//! Parameters are read from an `application/x-www-form-urlencoded` body, as RFC 6749 has them, or
//! from a JSON object (Google takes both: its own Rust library, `googleapis/google-cloud-rust`
//! `src/auth/src/credentials/user_account.rs`, posts the refresh grant as JSON); a body of another
//! type carries no parameters (so no `grant_type`: guessed).
//!
//! The JWT-bearer grant (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT`) is
//! checked in the order a public mock recorded against `oauth2.googleapis.com` in 2026 [REC]:
//! 1. The assertion: three base64url parts whose first two are JSON objects, else 400
//!    `invalid_request` "Bad Request" [REC].
//! 2. The signature: `alg` must be `RS256` and the RSASSA-PKCS1-v1_5 SHA-256 signature must verify
//!    against the key file's public key (verified here with the `rsa` crate, independently of the
//!    client's JWT library), else 400 `invalid_grant` "Invalid JWT Signature." [REC]. A `kid` other
//!    than the file's `private_key_id` is refused the same way (guessed: the answer Google gives for
//!    a deleted key); a header without `kid` is accepted, as Google's guide signs with
//!    `{"alg":"RS256","typ":"JWT"}` alone [DOC].
//! 3. `iss` must be the file's `client_email`, else 400 `invalid_grant` "Invalid grant: account not
//!    found" [REC].
//! 4. `iat` and `exp` (numbers, or digit strings, which Google also takes [REC]) must be set, else
//!    "Invalid JWT: iat (issued at) is not set." / "Invalid JWT: exp (expiration time) is not set."
//!    [REC]; and `exp - iat` at most 3600 s, `exp` in the future, `iat` at most 300 s ahead of this
//!    clock (the skew is guessed), else 400 `invalid_grant` "Invalid JWT: Token must be a
//!    short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in
//!    the JWT claim." [REC; ISSUE googleapis/google-api-php-client#1429 and fastlane/fastlane#14972
//!    quote an older ending, "… Check your iat and exp values and use a clock with skew to account
//!    for clock differences between systems."].
//! 5. `scope`: a space-separated list holding `https://www.googleapis.com/auth/cloud-platform`, else
//!    400 `invalid_scope` "Invalid OAuth scope or ID token audience provided." (Google's answer to
//!    an empty scope [REC]; Google would issue a token for another valid scope, which Vertex AI then
//!    refuses with a 403: refusing it here instead is a deviation).
//! 6. `aud`: this server's `token_uri` or Google's own `https://oauth2.googleapis.com/token` (what
//!    Google's guide says it always is [DOC], and what google-auth sends whatever the `token_uri`),
//!    else 400 `invalid_grant` "Invalid JWT: Failed audience check." [REC; public code quotes older
//!    answers that go on "The right audience is …"].
//!
//! Success is 200 `{"access_token", "expires_in": 3599, "token_type": "Bearer"}` in that order [REC].
//!
//! The refresh-token grant (`grant_type=refresh_token&client_id&client_secret&refresh_token`; the
//! client may also authenticate with HTTP Basic, as RFC 6749 allows):
//! - no `client_id`: 400 `invalid_request` "Could not determine client ID from request." [ISSUE
//!   googleapis/google-auth-library-nodejs#111, zcaceres/gtasks-mcp#35];
//! - an unknown client: 401 `invalid_client` "The OAuth client was not found." [ISSUE
//!   simonrob/email-oauth2-proxy#362, erebusnz/gapi-google-analytics-php-interface#149 (401)];
//! - no `client_secret`: 400 `invalid_request` "client_secret is missing." (quoted in public code);
//! - a wrong secret: 401 `invalid_client` "Unauthorized" [ISSUE hrishikeshrt/google_drive_ocr#8];
//! - no `refresh_token`: 400 `invalid_request` "Missing required parameter: refresh_token" (guessed,
//!   in Google's "Missing required parameter" style);
//! - a wrong refresh token: 400 `invalid_grant` "Bad Request" [ISSUE dolfim/django-gmailapi-backend#14,
//!   googleapis/google-auth-library-python#1043].
//!
//! Success is 200 `{"access_token", "expires_in", "scope", "token_type": "Bearer"}` (the order of
//! Google's "refreshing an access token" example; the scopes are those `gcloud auth
//! application-default login` asks for; the `id_token` Google adds for the `openid` scope is left
//! out). Any other `grant_type`: 400 `unsupported_grant_type` "Invalid grant_type: X" [REC].
//!
//! Every answer is pretty-printed with two spaces (the bodies quoted in
//! googleapis/google-auth-library-python#1043 are), `content-type: application/json;
//! charset=utf-8`, with `cache-control: no-cache, no-store, max-age=0, must-revalidate` and
//! `pragma: no-cache` (the headers are guessed). Only `POST /token` is faked.
//!
//! Sources, read in 2026:
//! - [DOC] Google's "Using OAuth 2.0 for Server to Server Applications" (the JWT header and claims,
//!   `aud` always `https://oauth2.googleapis.com/token`, one hour at most).
//! - [REC] a public mock's record of its probes of `oauth2.googleapis.com/token` with a real
//!   service-account key (2026): the order of the checks and every `invalid_grant` wording above.
//! - [ISSUE …] the answer as quoted in a public issue.
//!
//! The key files' fields are those of real ones: a service-account key as the Cloud console
//! downloads it (`type`, `project_id`, `private_key_id`, `private_key`, `client_email`,
//! `client_id`, `auth_uri`, `token_uri`, `auth_provider_x509_cert_url`, `client_x509_cert_url`,
//! `universe_domain`), and gcloud's `authorized_user` file (`account`, `client_id`,
//! `client_secret`, `quota_project_id`, `refresh_token`, `type`, `universe_domain`) plus
//! `token_uri`, which gcloud does not write but Google's libraries read when present (default
//! `https://oauth2.googleapis.com/token`): a client must honour it to reach this fake.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{FakeServer, Reply, State};

/// The path of the fake token endpoint (`token_uri` is `http://127.0.0.1:PORT/token`).
pub const GOOGLE_TOKEN_PATH: &str = "/token";
/// Google's own token endpoint, accepted as a JWT's `aud` besides the fake's `token_uri`.
pub const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// `client_email` of the fake service account (a JWT's `iss`).
pub const GOOGLE_CLIENT_EMAIL: &str = "quarry-test@fake-project.iam.gserviceaccount.com";
/// `project_id` of the fake service account, and `quota_project_id` of the fake user.
pub const GOOGLE_PROJECT_ID: &str = "fake-project";
/// The scope a JWT must ask for.
pub const GOOGLE_CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// `expires_in` of an access token unless [`FakeServer::set_token_lifetime`] says otherwise
/// (Google's: a fresh token is said to live 3599 s).
pub const GOOGLE_TOKEN_LIFETIME: u64 = 3599;
/// The public half of the fake service account's key (SubjectPublicKeyInfo PEM), for a client's
/// own unit tests of its signing.
pub const GOOGLE_SERVICE_ACCOUNT_PUBLIC_KEY: &str = PUBLIC_KEY_PEM;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The longest `exp - iat` Google takes [DOC: "a maximum of 1 hour after the issued time"].
const MAX_ASSERTION_LIFETIME: i64 = 3600;
/// How far ahead of this clock `iat` may be (guessed).
const CLOCK_SKEW: i64 = 300;
/// What an access token of the `authorized_user` file is granted: the scopes `gcloud auth
/// application-default login` asks for (their order is guessed).
const USER_SCOPES: &str = "https://www.googleapis.com/auth/cloud-platform \
    https://www.googleapis.com/auth/sqlservice.login \
    https://www.googleapis.com/auth/userinfo.email openid";

/// [REC] wordings.
const BAD_SIGNATURE: &str = "Invalid JWT Signature.";
const NO_ACCOUNT: &str = "Invalid grant: account not found";
const NO_IAT: &str = "Invalid JWT: iat (issued at) is not set.";
const NO_EXP: &str = "Invalid JWT: exp (expiration time) is not set.";
const NOT_SHORT_LIVED: &str = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a \
    reasonable timeframe. Check your iat and exp values in the JWT claim.";
const BAD_SCOPE: &str = "Invalid OAuth scope or ID token audience provided.";
const BAD_AUDIENCE: &str = "Invalid JWT: Failed audience check.";

/// The fake service account's RSA 2048 key, made once with `openssl genpkey -algorithm RSA
/// -pkeyopt rsa_keygen_bits:2048` (a key made at run time takes seconds in a debug build). It
/// signs nothing real.
const PRIVATE_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCZWBb4FMmCdJ40
6W0YZ8PSLV+waQBSrfeS2zes1DsSddoc5tfJ6ZvjV7d3uKw48f6Y+ttdHEnWs46Z
QUWrC07No0IjIGjdyzNXGgKvXP0DPu5NCrAU8EnASKeUQ6/vL0rVy9manxNY2a/C
fk1qDjGWLe83a9Uu9QfH51c7fx/XgxxZBbEHTXGm2+pwoBrSADgWrH0b+yUMZRaG
UBBIbZcLi+YT1Ailbv5KJnYkAR3OPTnW3Ln5wAgNWURZ9sUxiMW+w2tisoKcpawV
gbyp6rlqC3hkiyXM1kqvo+gk5uuF4+L3DdhiMQ6ZV4R2smTPHxWFm+wr0bjDOGsy
0wCAitQjAgMBAAECggEAALtiagRot9YzASFSHik0o+wH27w3Plh1Pj63TnxkMcuH
4yvDlkOmtQLwrcIfFFXXYhyPGoEtkGL4CHQ+zw5f7cGx6aADJXfjAq9C7wUHHNJa
lISQtZuLW+nHiat5tgRoRjVRuxgM9sIcltWVLK9CU6tcISFtzupoLe9FQ9Pwr3h/
WwcJHwALgHGPR4KphJ9sFWeQnjL8lHliIikh98anldd5aTsVA6KljrsNxBilHBBA
tbGm5F8Erjzmw0rEmY26lMQGpj7zMY8au+GSG1UEjrVMCdxhACket/CB+o79ycBa
U3KN71GIgzt1NbbOg0tDgsrunQ2WT99wi2c63WkddQKBgQDI6/X44y1lfmRomtI8
CM3Les1E6J3D+zoVAxP7G8aFjqcps2dkt02aS0IcNk6/gYxyszz0CeS1A5j6wKnb
p/BFFEFgefHscXl4+oE9WApitzbS4GTX4qeSJweLZg2WKE+MLldPmOCJxQs3M6Ot
pSPb9ZlU9xwmPqIlr0OSlWnd5wKBgQDDYUjhb/UVcRx9jL+GuA+c5UNyON798fcX
KYvmmsD1iAdO02eqklibMlsC7TlcODVlZIWELdmlNOs/wchLnCX2gnVtkWH7okSl
aQoN7LYDLj6N7aUfPN8IaILJzTGzrwYo2S1sqHieY6p08k1nkUX9GLencrzpSxki
lz+PN+54ZQKBgCuCbZGoIHyKElRUspItleMqhKkXdpKqJLnIINuP+D2T1r9BCnLU
/wkaowZY/FScST3NcrWmLtDEJqymbCIVDALpj/7EaY86Q4PfO319Q0J9SnIABdZ6
Tq9npEqbnvWVZSSGJIIoKPeso/EgTaGc0VcgqEOt/3qItbRTb96eXH6hAoGATGiZ
dgCw2mfX+om2xVrqUDOhAuSW4L1mIprO6aqP1/YQ1ZT7r8t394nj6esYSaZ5y2Na
i+zady+Q6OhCCr/QYO14OxdmOGCndAD2O6fdLrVBJYRQ1TybBNDKhV1IGLtUL1lv
2FSyh0729LFl8CDyPB8Ug9ntY1dJRyvbYYlAK7kCgYAjHMAyou2+eLBsBdUOAByn
hHZtJYw24jD+ynsqO1UHouN9MrD7G+pue7jMz5ZC09KtfYmyV6xzd4h4aVLDXfMK
nABHQ62Zjp7xhGi06iwH1DLy7gzRNGM8qbmnVbygJ+iQ3nV6NkLiVzMTfiOW7W/d
whOhClZvxxJGYGaXI/QPoQ==
-----END PRIVATE KEY-----
";

/// Its public half (`openssl pkey -pubout`).
const PUBLIC_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmVgW+BTJgnSeNOltGGfD
0i1fsGkAUq33kts3rNQ7EnXaHObXyemb41e3d7isOPH+mPrbXRxJ1rOOmUFFqwtO
zaNCIyBo3cszVxoCr1z9Az7uTQqwFPBJwEinlEOv7y9K1cvZmp8TWNmvwn5Nag4x
li3vN2vVLvUHx+dXO38f14McWQWxB01xptvqcKAa0gA4Fqx9G/slDGUWhlAQSG2X
C4vmE9QIpW7+SiZ2JAEdzj051ty5+cAIDVlEWfbFMYjFvsNrYrKCnKWsFYG8qeq5
agt4ZIslzNZKr6PoJObrhePi9w3YYjEOmVeEdrJkzx8VhZvsK9G4wzhrMtMAgIrU
IwIDAQAB
-----END PUBLIC KEY-----
";

/// The endpoint's state: the files made so far and the tokens issued.
#[derive(Debug, Default)]
pub(crate) struct OAuth {
    service_account: Option<ServiceAccount>,
    user: Option<AuthorizedUser>,
    issued: Vec<Issued>,
    /// `expires_in` of the next tokens (`None`: [`GOOGLE_TOKEN_LIFETIME`]).
    lifetime: Option<u64>,
    /// The header and claims of every well-formed assertion received.
    assertions: Vec<(Value, Value)>,
}

#[derive(Debug)]
struct ServiceAccount {
    private_key_id: String,
    token_uri: String,
    file: Value,
}

#[derive(Debug)]
struct AuthorizedUser {
    client_id: String,
    client_secret: String,
    refresh_token: String,
    file: Value,
}

#[derive(Debug)]
struct Issued {
    token: String,
    deadline: Instant,
    expired: bool,
}

fn random_text(n: usize, alphabet: &[u8]) -> String {
    (0..n)
        .map(|_| alphabet[fastrand::usize(..alphabet.len())] as char)
        .collect()
}

const HEX: &[u8] = b"0123456789abcdef";
const DIGITS: &[u8] = b"0123456789";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

impl FakeServer {
    /// `http://127.0.0.1:PORT/token`, the `token_uri` of the files this server makes.
    pub fn google_token_uri(&self) -> String {
        format!("http://{}{GOOGLE_TOKEN_PATH}", self.addr)
    }

    /// A service-account key file (what `GOOGLE_APPLICATION_CREDENTIALS` names), made once per
    /// server and the same on every call: `type` `service_account`, `project_id`
    /// [`GOOGLE_PROJECT_ID`], a random 40-hex-digit `private_key_id`, `private_key` (PKCS#8 PEM,
    /// RSA 2048), `client_email` [`GOOGLE_CLIENT_EMAIL`], `client_id`, `auth_uri`, `token_uri`
    /// ([`FakeServer::google_token_uri`]), `auth_provider_x509_cert_url`, `client_x509_cert_url`
    /// and `universe_domain`. From the first call on, the Vertex fake accepts only the tokens
    /// issued here.
    pub fn google_service_account(&self) -> Value {
        let token_uri = self.google_token_uri();
        let mut s = self.state.lock().unwrap();
        strict_bearers(&mut s);
        s.google_oauth
            .service_account
            .get_or_insert_with(|| {
                let private_key_id = random_text(40, HEX);
                let file = json!({
                    "type": "service_account",
                    "project_id": GOOGLE_PROJECT_ID,
                    "private_key_id": private_key_id,
                    "private_key": PRIVATE_KEY_PEM,
                    "client_email": GOOGLE_CLIENT_EMAIL,
                    "client_id": format!("1{}", random_text(20, DIGITS)),
                    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                    "token_uri": token_uri,
                    "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
                    "client_x509_cert_url": format!(
                        "https://www.googleapis.com/robot/v1/metadata/x509/{}",
                        GOOGLE_CLIENT_EMAIL.replace('@', "%40")
                    ),
                    "universe_domain": "googleapis.com",
                });
                ServiceAccount {
                    private_key_id,
                    token_uri,
                    file,
                }
            })
            .file
            .clone()
    }

    /// An `authorized_user` file as `gcloud auth application-default login` writes it (`account`
    /// empty, `client_id`, `client_secret`, `quota_project_id` [`GOOGLE_PROJECT_ID`],
    /// `refresh_token`, `type` `authorized_user`, `universe_domain`) plus `token_uri`
    /// ([`FakeServer::google_token_uri`]), which real files lack: the client must read it when
    /// present. Made once per server; from the first call on, the Vertex fake accepts only the
    /// tokens issued here.
    pub fn google_authorized_user(&self) -> Value {
        let token_uri = self.google_token_uri();
        let mut s = self.state.lock().unwrap();
        strict_bearers(&mut s);
        s.google_oauth
            .user
            .get_or_insert_with(|| {
                let client_id = format!(
                    "{}-{}.apps.googleusercontent.com",
                    random_text(12, DIGITS),
                    random_text(32, LOWER)
                );
                let client_secret = format!("GOCSPX-{}", random_text(28, URL_SAFE));
                let refresh_token = format!("1//fake-{}", random_text(64, URL_SAFE));
                let file = json!({
                    "account": "",
                    "client_id": client_id,
                    "client_secret": client_secret,
                    "quota_project_id": GOOGLE_PROJECT_ID,
                    "refresh_token": refresh_token,
                    "type": "authorized_user",
                    "universe_domain": "googleapis.com",
                    "token_uri": token_uri,
                });
                AuthorizedUser {
                    client_id,
                    client_secret,
                    refresh_token,
                    file,
                }
            })
            .file
            .clone()
    }

    /// Every access token issued so far is expired from now on: the Vertex fake refuses it with
    /// its 401 `UNAUTHENTICATED`, and only a token issued later is accepted (a client must get a
    /// new one and retry).
    pub fn expire_tokens(&self) {
        let mut s = self.state.lock().unwrap();
        let State {
            google_oauth,
            gemini_auth,
            ..
        } = &mut *s;
        for t in &mut google_oauth.issued {
            t.expired = true;
            gemini_auth.reject_bearer(&t.token);
        }
    }

    /// How many access tokens the endpoint has issued (both grants).
    pub fn token_requests(&self) -> usize {
        self.state.lock().unwrap().google_oauth.issued.len()
    }

    /// The access tokens issued so far, oldest first (`ya29.fake-N-…`).
    pub fn google_access_tokens(&self) -> Vec<String> {
        let s = self.state.lock().unwrap();
        s.google_oauth
            .issued
            .iter()
            .map(|t| t.token.clone())
            .collect()
    }

    /// Tokens issued from now on say `expires_in: secs` and are refused by the Vertex fake once
    /// `secs` seconds have passed (0: refused at once). The default is [`GOOGLE_TOKEN_LIFETIME`].
    pub fn set_token_lifetime(&self, secs: u64) {
        self.state.lock().unwrap().google_oauth.lifetime = Some(secs);
    }

    /// The decoded header and claims of every well-formed JWT assertion received, accepted or not,
    /// in order (to check what a client signs: `kid`, `scope`, `aud`, the times).
    pub fn google_assertions(&self) -> Vec<(Value, Value)> {
        self.state.lock().unwrap().google_oauth.assertions.clone()
    }
}

/// From now on the Vertex fake accepts only the bearer tokens accepted by name (an empty token
/// is never good, so accepting then refusing it only switches the mode).
fn strict_bearers(s: &mut State) {
    s.gemini_auth.accept_bearer("");
    s.gemini_auth.reject_bearer("");
}

/// Tokens past their lifetime are refused from now on (called before a Gemini request is checked).
pub(crate) fn expire_due(s: &mut State) {
    let State {
        google_oauth,
        gemini_auth,
        ..
    } = s;
    let now = Instant::now();
    for t in &mut google_oauth.issued {
        if !t.expired && t.deadline <= now {
            t.expired = true;
            gemini_auth.reject_bearer(&t.token);
        }
    }
}

/// The answer to `POST /token`; `None` for any other request.
pub(crate) fn answer(
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
    state: &Mutex<State>,
) -> Option<Reply> {
    if method != "POST" || path != GOOGLE_TOKEN_PATH {
        return None;
    }
    let params = params(headers, body);
    let mut s = state.lock().unwrap();
    Some(
        match params.get("grant_type").map(String::as_str).unwrap_or("") {
            JWT_BEARER => jwt_bearer(&mut s, &params),
            "refresh_token" => refresh(&mut s, &params, headers),
            other => error(
                400,
                "unsupported_grant_type",
                &format!("Invalid grant_type: {other}"),
            ),
        },
    )
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The request's parameters: a form body, or a JSON object's strings and numbers. The first of a
/// repeated form parameter wins.
fn params(headers: &[(String, String)], body: &[u8]) -> HashMap<String, String> {
    let content_type = header(headers, "content-type").unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let mut out = HashMap::new();
    match mime.as_str() {
        "application/x-www-form-urlencoded" => {
            for (k, v) in form_urlencoded::parse(body) {
                out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
            }
        }
        "application/json" => {
            if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
                for (k, v) in map {
                    match v {
                        Value::String(s) => out.insert(k, s),
                        Value::Number(n) => out.insert(k, n.to_string()),
                        _ => None,
                    };
                }
            }
        }
        _ => {}
    }
    out
}

/// `{"error", "error_description"}` with `status`.
fn error(status: u16, error: &str, description: &str) -> Reply {
    reply(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

fn reply(status: u16, body: &Value) -> Reply {
    Reply::Bytes {
        status,
        body: serde_json::to_string_pretty(body)
            .unwrap_or_default()
            .into_bytes(),
        content_type: "application/json; charset=utf-8".into(),
        headers: vec![
            (
                "cache-control".into(),
                "no-cache, no-store, max-age=0, must-revalidate".into(),
            ),
            ("pragma".into(), "no-cache".into()),
        ],
    }
}

fn invalid_grant(description: &str) -> Reply {
    error(400, "invalid_grant", description)
}

/// A new access token, accepted by the Vertex fake until it expires.
fn issue(s: &mut State) -> (String, u64) {
    let State {
        google_oauth,
        gemini_auth,
        ..
    } = s;
    let lifetime = google_oauth.lifetime.unwrap_or(GOOGLE_TOKEN_LIFETIME);
    let token = format!(
        "ya29.fake-{}-{}",
        google_oauth.issued.len() + 1,
        random_text(24, URL_SAFE)
    );
    google_oauth.issued.push(Issued {
        token: token.clone(),
        deadline: Instant::now() + Duration::from_secs(lifetime),
        expired: false,
    });
    gemini_auth.accept_bearer(&token);
    (token, lifetime)
}

fn public_key() -> &'static RsaPublicKey {
    static KEY: OnceLock<RsaPublicKey> = OnceLock::new();
    KEY.get_or_init(|| {
        RsaPublicKey::from_public_key_pem(PUBLIC_KEY_PEM).expect("the fake's public key parses")
    })
}

/// One base64url part of a JWT (padding tolerated).
fn part(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

fn json_object(bytes: &[u8]) -> Option<Value> {
    serde_json::from_slice::<Value>(bytes)
        .ok()
        .filter(Value::is_object)
}

/// A JWT time: a number, or a string of digits (Google takes both [REC]).
fn seconds(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        _ => None,
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn jwt_bearer(s: &mut State, params: &HashMap<String, String>) -> Reply {
    let bad_request = || error(400, "invalid_request", "Bad Request");
    let Some(assertion) = params.get("assertion") else {
        return bad_request();
    };
    let pieces: Vec<&str> = assertion.split('.').collect();
    let [head, body, signature] = pieces[..] else {
        return bad_request();
    };
    let (Some(header), Some(claims), Some(signature)) = (
        part(head).and_then(|b| json_object(&b)),
        part(body).and_then(|b| json_object(&b)),
        part(signature),
    ) else {
        return bad_request();
    };
    s.google_oauth
        .assertions
        .push((header.clone(), claims.clone()));

    // 2. The signature, with the key the `kid` names.
    let account = s.google_oauth.service_account.as_ref();
    let kid_ok = match (header.get("kid"), account) {
        (None, _) | (_, None) => true,
        (Some(kid), Some(a)) => kid.as_str() == Some(a.private_key_id.as_str()),
    };
    let digest = Sha256::digest(format!("{head}.{body}").as_bytes());
    let signed = header.get("alg").and_then(Value::as_str) == Some("RS256")
        && kid_ok
        && public_key()
            .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &signature)
            .is_ok();
    if !signed {
        return invalid_grant(BAD_SIGNATURE);
    }
    // 3. The account.
    let Some(account) =
        account.filter(|_| claims.get("iss").and_then(Value::as_str) == Some(GOOGLE_CLIENT_EMAIL))
    else {
        return invalid_grant(NO_ACCOUNT);
    };
    // 4. The times.
    let Some(iat) = seconds(claims.get("iat")) else {
        return invalid_grant(NO_IAT);
    };
    let Some(exp) = seconds(claims.get("exp")) else {
        return invalid_grant(NO_EXP);
    };
    let now = now();
    if exp < iat || exp - iat > MAX_ASSERTION_LIFETIME || exp <= now || iat > now + CLOCK_SKEW {
        return invalid_grant(NOT_SHORT_LIVED);
    }
    // 5. The scope.
    let scope = claims.get("scope").and_then(Value::as_str).unwrap_or("");
    if !scope
        .split_whitespace()
        .any(|s| s == GOOGLE_CLOUD_PLATFORM_SCOPE)
    {
        return error(400, "invalid_scope", BAD_SCOPE);
    }
    // 6. The audience.
    let aud = claims.get("aud").and_then(Value::as_str);
    if aud != Some(account.token_uri.as_str()) && aud != Some(GOOGLE_TOKEN_URI) {
        return invalid_grant(BAD_AUDIENCE);
    }
    let (token, lifetime) = issue(s);
    reply(
        200,
        &json!({"access_token": token, "expires_in": lifetime, "token_type": "Bearer"}),
    )
}

/// `client_id` and `client_secret` from HTTP Basic (`client_secret_basic`), if sent so.
fn basic_credentials(headers: &[(String, String)]) -> Option<(String, String)> {
    let value = header(headers, "authorization")?.trim();
    let encoded = value
        .get(..6)
        .filter(|scheme| scheme.eq_ignore_ascii_case("basic "))
        .map(|_| value[6..].trim())?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |t: &str| {
        form_urlencoded::parse(format!("x={t}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

fn refresh(s: &mut State, params: &HashMap<String, String>, headers: &[(String, String)]) -> Reply {
    let (client_id, client_secret) = match basic_credentials(headers) {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            params.get("client_id").cloned(),
            params.get("client_secret").cloned(),
        ),
    };
    let Some(client_id) = client_id.filter(|c| !c.is_empty()) else {
        return error(
            400,
            "invalid_request",
            "Could not determine client ID from request.",
        );
    };
    let Some(user) = s
        .google_oauth
        .user
        .as_ref()
        .filter(|u| u.client_id == client_id)
    else {
        return error(401, "invalid_client", "The OAuth client was not found.");
    };
    let Some(client_secret) = client_secret.filter(|c| !c.is_empty()) else {
        return error(400, "invalid_request", "client_secret is missing.");
    };
    if client_secret != user.client_secret {
        return error(401, "invalid_client", "Unauthorized");
    }
    let Some(refresh_token) = params.get("refresh_token").filter(|t| !t.is_empty()) else {
        return error(
            400,
            "invalid_request",
            "Missing required parameter: refresh_token",
        );
    };
    if *refresh_token != user.refresh_token {
        return invalid_grant("Bad Request");
    }
    let (token, lifetime) = issue(s);
    reply(
        200,
        &json!({"access_token": token, "expires_in": lifetime, "scope": USER_SCOPES,
                "token_type": "Bearer"}),
    )
}
