//! The fake's Google OAuth 2.0 token endpoint (`POST /token`): service-account JWTs signed here
//! with `jsonwebtoken` (what the client uses) and checked by the fake with its own RS256
//! verification, the refresh-token grant of an `authorized_user` file, and the tokens' life on
//! the Vertex AI fake.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use quarry_fake_provider::{
    FakeServer, GOOGLE_CLIENT_EMAIL, GOOGLE_CLOUD_PLATFORM_SCOPE, GOOGLE_PROJECT_ID,
    GOOGLE_SERVICE_ACCOUNT_PUBLIC_KEY, GOOGLE_TOKEN_LIFETIME, GOOGLE_TOKEN_URI, Reply,
};
use serde_json::{Value, json};

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const VERTEX: &str = "/v1/projects/fake-project/locations/us-central1/publishers/google/models/\
                      gemini-2.5-flash:generateContent";
const BAD_SIGNATURE: &str = "Invalid JWT Signature.";
const NOT_SHORT_LIVED: &str = "Invalid JWT: Token must be a short-lived token (60 minutes) and in \
    a reasonable timeframe. Check your iat and exp values in the JWT claim.";

/// Another RSA 2048 key (`openssl genpkey`), not the service account's: a rotated-out key.
const OTHER_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDuBTJL56O1zdBw
yEbAMy4UfPnqqsCp18luedGBLbIJw2QguupdYWvSq1L6X6OUGX3oXKsr/fwLiv4f
w+qJpBMQmh2YBmX7PQe4DsuNzwtelIcBEH20ASStC2+0DWgZ9fjbWcjJTm/kqSjx
kSPhp783bgK++72tN5YZZmc/wovpV36CaDrvYRLZFgnyOvWBsPr0rw0PIhSSOb0H
gf/GnSYfpNQjYuN2xe5L1AGYtcKyP80CUnLNA+0tTCr7rta4Cc1L2LM2v2l9ujMj
DSeHuhhDYLpbMk67uU4x9uDuVWKF13VrSqztIJow+8pgKvhomnA+ux5ImPmcas9o
/yA1Eu89AgMBAAECgf81375X/iRzghQPcwyQkMwkZUG6P3ojaRfLMMeB9asr/FT0
ocvcHiKtKOE7rhS78NBHuZV2pr87MvOLBDDK2kohFE9JJ/C0bSoncMAT2PPkgrnT
IEv+KyeiA1g3BUOZDnc3LvCnEbZeUl1VpXYyjwyOOC2f0+lh6AhYfo4ZCxqDiz4O
GI9IP/kPN4v0wkjhJLsl9eQNaM65p8jw9h0+nzJp7dYVAsdKhOfmZxAJR5fbNHss
+/sblltETMK5UOzOlwBjev3HXilr8igcBxKaOicfUuSJ4wkf1K/VLgSSmJ47u0Pu
rrwcar3RLaNpirmFUBqg5hw1WnR156TQXk8/fMECgYEA+p/1LPzb1FLC9MO9/KQJ
P3tLyvml6Z/uNPvubrcgcQii3R+5qPyHPk+hAVPqUZ6XQiCFwLRGaPUw0fgVAdug
uNte9ttsFPcbXW/ZxEiEvU+dVWRk9uLixZKV/TaBSUdQkPNshu1S8U9JtgBfBJli
uy9gxdopYixqNbhXJewKs+ECgYEA8yAIwqSS2AjMmbGtu9/vpoyrAD9bZ/Vnd6oH
LAIr9/BoMWGbHiT8xi/aUI3l3m+cQIxKp2GU7ijvSqxfvT7EvaWSUepOcDWjZccB
AL1FKcqhs5+pLhJfGXMNHcFjVSZmvq6WOwmv4EzRsYzmGdJ83NXn5Ra6OMgAI6VP
ztFqZt0CgYEAlklDGRYLsFdshp+2FoA693E08uMfBWgczHLh+EwhzQYzu0th5p5/
bvMLBiPO1+C0rTeZXQP9UMTu4InV9wY/a3pIiNjtB+lh5HbE6/ncdzT9kI4iKRXG
jFkpTezYPBviiPkfdA1t9jvoZJX2ZGiiFsMDUcFPnYoqqkn/IENZ66ECgYEAzuv6
yL6NBDUo/b5NYVNMgnHCsGk8AJTKxPv/MqN+jH0eELlD7joIsRzVMC408EYJtJ4y
g5b3zGMmlmVy7nxXshkTGYjTzYi5Usw2vExaayE80sYWlVGpgt160lJfmn8efzfU
QNcTy1FWP0juJhgRkVq1DTN0txLxm2T9McbmSjkCgYEAxL1jwkIcwi73TKCb56pp
JZLVcIoseocPempbSxdjY+4VxUvIQTQ/bLw8AJhJzJpx/po8b05MJyTM/5NVf4hl
/BEoROAcXHEUTOVMTRq+I3oERTjr8aaE04xveo2Xfb7qMZxZGVnqRHrAXumqEHge
7GJ4fVN5RWa1Z7M/Z/F7eY0=
-----END PRIVATE KEY-----
";

struct Answer {
    status: u16,
    content_type: String,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// Asserts a Google OAuth error.
    fn refused(&self, status: u16, error: &str, description: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.json(),
            json!({"error": error, "error_description": description})
        );
    }

    fn token(&self) -> String {
        assert_eq!(self.status, 200, "{}", self.text);
        self.json()["access_token"]
            .as_str()
            .expect("an access token")
            .to_string()
    }
}

async fn post(url: &str, content_type: &str, body: String, basic: Option<(&str, &str)>) -> Answer {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body);
    if let Some((user, password)) = basic {
        req = req.basic_auth(user, Some(password));
    }
    let resp = req.send().await.expect("the fake answers");
    Answer {
        status: resp.status().as_u16(),
        content_type: resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        text: resp.text().await.expect("a body"),
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut f = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        f.append_pair(k, v);
    }
    f.finish()
}

/// The token endpoint with a form body.
async fn token_form(server: &FakeServer, pairs: &[(&str, &str)]) -> Answer {
    post(
        &server.google_token_uri(),
        "application/x-www-form-urlencoded",
        form(pairs),
        None,
    )
    .await
}

async fn exchange(server: &FakeServer, assertion: &str) -> Answer {
    token_form(
        server,
        &[("grant_type", JWT_BEARER), ("assertion", assertion)],
    )
    .await
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The claims a client signs for `key` (a service-account file), as Google's guide has them.
fn claims(key: &Value) -> Value {
    let iat = now();
    json!({
        "iss": key["client_email"],
        "scope": GOOGLE_CLOUD_PLATFORM_SCOPE,
        "aud": key["token_uri"],
        "iat": iat,
        "exp": iat + 3600,
    })
}

fn header(key: &Value) -> Header {
    let mut h = Header::new(Algorithm::RS256);
    h.kid = key["private_key_id"].as_str().map(str::to_string);
    h
}

fn sign_with(header: &Header, claims: &Value, pem: &str) -> String {
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("a PKCS#8 RSA key");
    jsonwebtoken::encode(header, claims, &key).expect("signed")
}

/// A JWT as a client signs it from the key file.
fn sign(key: &Value, claims: &Value) -> String {
    sign_with(
        &header(key),
        claims,
        key["private_key"].as_str().expect("a PEM"),
    )
}

fn with(mut v: Value, edit: impl FnOnce(&mut Value)) -> Value {
    edit(&mut v);
    v
}

/// A Vertex AI `generateContent` with `token` as the bearer: its HTTP status.
async fn vertex(server: &FakeServer, token: &str) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .post(format!("http://{}{VERTEX}", server.addr()))
        .bearer_auth(token)
        .json(&json!({"contents": [{"role": "user", "parts": [{"text": "Hi"}]}]}))
        .send()
        .await
        .expect("the fake answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON"))
}

async fn server() -> FakeServer {
    FakeServer::start(vec![Reply::gemini_text("Hello")])
        .await
        .expect("the fake starts")
}

#[tokio::test]
async fn service_account_file_has_the_real_fields() {
    let server = server().await;
    let key = server.google_service_account();
    let fields: Vec<&str> = key
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "type",
            "project_id",
            "private_key_id",
            "private_key",
            "client_email",
            "client_id",
            "auth_uri",
            "token_uri",
            "auth_provider_x509_cert_url",
            "client_x509_cert_url",
            "universe_domain"
        ]
    );
    assert_eq!(key["type"], "service_account");
    assert_eq!(key["project_id"], GOOGLE_PROJECT_ID);
    assert_eq!(key["client_email"], GOOGLE_CLIENT_EMAIL);
    assert_eq!(
        key["token_uri"],
        format!("http://{}/token", server.addr()).as_str()
    );
    let id = key["private_key_id"].as_str().unwrap();
    assert_eq!(id.len(), 40);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    let pem = key["private_key"].as_str().unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
    assert!(pem.ends_with("-----END PRIVATE KEY-----\n"), "{pem}");
    assert!(GOOGLE_SERVICE_ACCOUNT_PUBLIC_KEY.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    // Made once per server.
    assert_eq!(server.google_service_account(), key);
    // Another server has another key id.
    let other = FakeServer::start(vec![]).await.unwrap();
    assert_ne!(
        other.google_service_account()["private_key_id"],
        key["private_key_id"]
    );
}

#[tokio::test]
async fn a_signed_jwt_gets_a_token_that_vertex_accepts() {
    let server = server().await;
    let key = server.google_service_account();
    // Once the file exists, a bearer token the endpoint never issued is refused.
    let (status, body) = vertex(&server, "ya29.made-up").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");

    let a = exchange(&server, &sign(&key, &claims(&key))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.content_type, "application/json; charset=utf-8");
    let token = a.token();
    assert!(token.starts_with("ya29.fake-1-"), "{token}");
    // Google's shape, in its order, pretty-printed.
    assert_eq!(
        a.text,
        format!(
            "{{\n  \"access_token\": \"{token}\",\n  \"expires_in\": {GOOGLE_TOKEN_LIFETIME},\n  \
             \"token_type\": \"Bearer\"\n}}"
        )
    );
    assert_eq!(server.token_requests(), 1);
    assert_eq!(server.google_access_tokens(), std::slice::from_ref(&token));

    let (status, body) = vertex(&server, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["candidates"][0]["content"]["parts"][0]["text"],
        "Hello"
    );

    // What the client signed can be read back.
    let assertions = server.google_assertions();
    assert_eq!(assertions.len(), 1);
    let (h, c) = &assertions[0];
    assert_eq!(h["alg"], "RS256");
    assert_eq!(h["kid"], key["private_key_id"]);
    assert_eq!(c["iss"], GOOGLE_CLIENT_EMAIL);
    // The token request is recorded like any other, as the form it was.
    let recorded = server.requests();
    let t = recorded.iter().find(|r| r.path == "/token").unwrap();
    assert_eq!(t.method, "POST");
    assert!(t.body.as_str().unwrap().starts_with(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
    ));

    // Each token is new.
    let again = exchange(&server, &sign(&key, &claims(&key))).await.token();
    assert_ne!(again, token);
    assert!(again.starts_with("ya29.fake-2-"), "{again}");
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn what_else_google_takes() {
    let server = server().await;
    let key = server.google_service_account();
    let pem = key["private_key"].as_str().unwrap();
    // No `kid`: Google's guide signs `{"alg":"RS256","typ":"JWT"}` alone.
    exchange(
        &server,
        &sign_with(&Header::new(Algorithm::RS256), &claims(&key), pem),
    )
    .await
    .token();
    // Google's own token URI as the audience (google-auth sends it whatever the token_uri).
    let google_aud = with(claims(&key), |c| c["aud"] = json!(GOOGLE_TOKEN_URI));
    exchange(&server, &sign(&key, &google_aud)).await.token();
    // Times as digit strings, and several scopes.
    let lax = with(claims(&key), |c| {
        c["iat"] = json!(c["iat"].to_string());
        c["exp"] = json!(c["exp"].to_string());
        c["scope"] = json!(format!(
            "https://www.googleapis.com/auth/userinfo.email {GOOGLE_CLOUD_PLATFORM_SCOPE}"
        ));
    });
    exchange(&server, &sign(&key, &lax)).await.token();
    // Exactly one hour, and a clock a minute ahead.
    let ahead = with(claims(&key), |c| {
        let iat = now() + 60;
        c["iat"] = json!(iat);
        c["exp"] = json!(iat + 3600);
    });
    exchange(&server, &sign(&key, &ahead)).await.token();
    // The grant as a JSON body.
    let body = json!({"grant_type": JWT_BEARER, "assertion": sign(&key, &claims(&key))});
    post(
        &server.google_token_uri(),
        "application/json",
        body.to_string(),
        None,
    )
    .await
    .token();
    assert_eq!(server.token_requests(), 5);
}

#[tokio::test]
async fn a_bad_signature_is_refused() {
    let server = server().await;
    let key = server.google_service_account();
    let jwt = sign(&key, &claims(&key));
    let refused = |a: Answer| a.refused(400, "invalid_grant", BAD_SIGNATURE);

    // A signature with one character changed in its middle.
    let (signed, signature) = jwt.rsplit_once('.').unwrap();
    let mut chars: Vec<char> = signature.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let tampered = format!("{signed}.{}", chars.into_iter().collect::<String>());
    refused(exchange(&server, &tampered).await);

    // Claims changed after signing.
    let (head, _) = signed.split_once('.').unwrap();
    let forged_claims = sign(
        &key,
        &with(claims(&key), |c| c["iss"] = json!("intruder@evil.test")),
    );
    let forged_body = forged_claims.split('.').nth(1).unwrap();
    refused(exchange(&server, &format!("{head}.{forged_body}.{signature}")).await);

    // Signed with another key (deleted or rotated out), with or without the file's `kid`.
    refused(exchange(&server, &sign_with(&header(&key), &claims(&key), OTHER_KEY)).await);
    refused(
        exchange(
            &server,
            &sign_with(&Header::new(Algorithm::RS256), &claims(&key), OTHER_KEY),
        )
        .await,
    );

    // The right key, but a `kid` naming another one.
    let mut wrong_kid = header(&key);
    wrong_kid.kid = Some("0123456789abcdef0123456789abcdef01234567".into());
    let pem = key["private_key"].as_str().unwrap();
    refused(exchange(&server, &sign_with(&wrong_kid, &claims(&key), pem)).await);

    // Another algorithm.
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(&key),
        &EncodingKey::from_secret(b"secret"),
    )
    .unwrap();
    refused(exchange(&server, &hs).await);

    // Nothing was issued.
    assert_eq!(server.token_requests(), 0);
}

#[tokio::test]
async fn wrong_claims_are_refused_with_googles_words() {
    let server = server().await;
    let key = server.google_service_account();
    let ask = |c: Value| {
        let jwt = sign(&key, &c);
        let server = &server;
        async move { exchange(server, &jwt).await }
    };

    ask(with(claims(&key), |c| {
        c["aud"] = json!("https://example.com/token")
    }))
    .await
    .refused(400, "invalid_grant", "Invalid JWT: Failed audience check.");
    ask(with(claims(&key), |c| {
        c.as_object_mut().unwrap().remove("aud");
    }))
    .await
    .refused(400, "invalid_grant", "Invalid JWT: Failed audience check.");

    // Longer than an hour, expired, issued in the future.
    let long = with(claims(&key), |c| {
        c["exp"] = json!(c["iat"].as_i64().unwrap() + 3601)
    });
    ask(long)
        .await
        .refused(400, "invalid_grant", NOT_SHORT_LIVED);
    let expired = with(claims(&key), |c| {
        c["iat"] = json!(now() - 4000);
        c["exp"] = json!(now() - 400);
    });
    ask(expired)
        .await
        .refused(400, "invalid_grant", NOT_SHORT_LIVED);
    let future = with(claims(&key), |c| {
        c["iat"] = json!(now() + 1800);
        c["exp"] = json!(now() + 3600);
    });
    ask(future)
        .await
        .refused(400, "invalid_grant", NOT_SHORT_LIVED);
    ask(with(claims(&key), |c| {
        c.as_object_mut().unwrap().remove("iat");
    }))
    .await
    .refused(
        400,
        "invalid_grant",
        "Invalid JWT: iat (issued at) is not set.",
    );
    ask(with(claims(&key), |c| {
        c.as_object_mut().unwrap().remove("exp");
    }))
    .await
    .refused(
        400,
        "invalid_grant",
        "Invalid JWT: exp (expiration time) is not set.",
    );

    // Another account.
    ask(with(claims(&key), |c| {
        c["iss"] = json!("someone@else.iam.gserviceaccount.com")
    }))
    .await
    .refused(400, "invalid_grant", "Invalid grant: account not found");

    // No scope, a comma-separated list, another scope.
    let bad_scope = "Invalid OAuth scope or ID token audience provided.";
    for scope in [
        json!(null),
        json!(""),
        json!(format!(
            "{GOOGLE_CLOUD_PLATFORM_SCOPE},https://www.googleapis.com/auth/userinfo.email"
        )),
        json!("https://www.googleapis.com/auth/devstorage.read_only"),
    ] {
        ask(with(claims(&key), |c| c["scope"] = scope))
            .await
            .refused(400, "invalid_scope", bad_scope);
    }
    assert_eq!(server.token_requests(), 0);
}

#[tokio::test]
async fn malformed_requests() {
    let server = server().await;
    let key = server.google_service_account();
    for assertion in ["", "not-a-jwt", "a.b", "a.b.c", "e30.e30.e30.e30"] {
        exchange(&server, assertion)
            .await
            .refused(400, "invalid_request", "Bad Request");
    }
    token_form(&server, &[("grant_type", JWT_BEARER)])
        .await
        .refused(400, "invalid_request", "Bad Request");
    token_form(&server, &[("grant_type", "client_credentials")])
        .await
        .refused(
            400,
            "unsupported_grant_type",
            "Invalid grant_type: client_credentials",
        );
    // A body of another type carries no parameters.
    let body = form(&[
        ("grant_type", JWT_BEARER),
        ("assertion", &sign(&key, &claims(&key))),
    ]);
    post(&server.google_token_uri(), "text/plain", body, None)
        .await
        .refused(400, "unsupported_grant_type", "Invalid grant_type: ");
    // The script is untouched by the token endpoint.
    let token = exchange(&server, &sign(&key, &claims(&key))).await.token();
    assert_eq!(vertex(&server, &token).await.0, 200);
}

#[tokio::test]
async fn an_authorized_user_refreshes() {
    let server = server().await;
    let user = server.google_authorized_user();
    let fields: Vec<&str> = user
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "account",
            "client_id",
            "client_secret",
            "quota_project_id",
            "refresh_token",
            "type",
            "universe_domain",
            "token_uri"
        ]
    );
    assert_eq!(user["type"], "authorized_user");
    assert_eq!(user["token_uri"], server.google_token_uri().as_str());
    assert_eq!(server.google_authorized_user(), user);
    let s = |k: &str| user[k].as_str().unwrap().to_string();
    let (id, secret, refresh) = (s("client_id"), s("client_secret"), s("refresh_token"));

    let a = token_form(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    let token = a.token();
    let body = a.json();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["access_token", "expires_in", "scope", "token_type"]);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], GOOGLE_TOKEN_LIFETIME);
    assert!(
        body["scope"]
            .as_str()
            .unwrap()
            .split(' ')
            .any(|s| s == GOOGLE_CLOUD_PLATFORM_SCOPE)
    );
    assert_eq!(vertex(&server, &token).await.0, 200);
    // A refresh token is no access token.
    assert_eq!(vertex(&server, &refresh).await.0, 401);

    // As JSON (Google's Rust library sends it so), and with HTTP Basic client authentication.
    let json_body = json!({"grant_type": "refresh_token", "client_id": id,
                           "client_secret": secret, "refresh_token": refresh});
    post(
        &server.google_token_uri(),
        "application/json",
        json_body.to_string(),
        None,
    )
    .await
    .token();
    post(
        &server.google_token_uri(),
        "application/x-www-form-urlencoded",
        form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)]),
        Some((&id, &secret)),
    )
    .await
    .token();
    assert_eq!(server.token_requests(), 3);

    // Refusals.
    let ask = |pairs: Vec<(&'static str, String)>| {
        let server = &server;
        async move {
            let mut all = vec![("grant_type", "refresh_token".to_string())];
            all.extend(pairs);
            let borrowed: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token_form(server, &borrowed).await
        }
    };
    ask(vec![
        ("client_id", id.clone()),
        ("client_secret", "GOCSPX-wrong".into()),
        ("refresh_token", refresh.clone()),
    ])
    .await
    .refused(401, "invalid_client", "Unauthorized");
    ask(vec![
        ("client_id", "123-other.apps.googleusercontent.com".into()),
        ("client_secret", secret.clone()),
        ("refresh_token", refresh.clone()),
    ])
    .await
    .refused(401, "invalid_client", "The OAuth client was not found.");
    ask(vec![
        ("client_id", id.clone()),
        ("client_secret", secret.clone()),
        ("refresh_token", "1//revoked".into()),
    ])
    .await
    .refused(400, "invalid_grant", "Bad Request");
    ask(vec![
        ("client_secret", secret.clone()),
        ("refresh_token", refresh.clone()),
    ])
    .await
    .refused(
        400,
        "invalid_request",
        "Could not determine client ID from request.",
    );
    ask(vec![
        ("client_id", id.clone()),
        ("refresh_token", refresh.clone()),
    ])
    .await
    .refused(400, "invalid_request", "client_secret is missing.");
    ask(vec![
        ("client_id", id.clone()),
        ("client_secret", secret.clone()),
    ])
    .await
    .refused(
        400,
        "invalid_request",
        "Missing required parameter: refresh_token",
    );
    assert_eq!(server.token_requests(), 3);
}

#[tokio::test]
async fn expired_tokens_are_refused_until_a_new_one_is_fetched() {
    let server = server().await;
    let key = server.google_service_account();
    let old = exchange(&server, &sign(&key, &claims(&key))).await.token();
    assert_eq!(vertex(&server, &old).await.0, 200);

    server.expire_tokens();
    let (status, body) = vertex(&server, &old).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");

    let new = exchange(&server, &sign(&key, &claims(&key))).await.token();
    assert_eq!(vertex(&server, &new).await.0, 200);
    assert_eq!(vertex(&server, &old).await.0, 401);
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn short_lived_tokens_expire_by_themselves() {
    let server = server().await;
    let key = server.google_service_account();
    server.set_token_lifetime(0);
    let a = exchange(&server, &sign(&key, &claims(&key))).await;
    assert_eq!(a.json()["expires_in"], 0);
    assert_eq!(vertex(&server, &a.token()).await.0, 401);

    server.set_token_lifetime(2);
    let a = exchange(&server, &sign(&key, &claims(&key))).await;
    assert_eq!(a.json()["expires_in"], 2);
    let token = a.token();
    assert_eq!(vertex(&server, &token).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(vertex(&server, &token).await.0, 401);
}

#[tokio::test]
async fn without_a_file_there_is_no_account() {
    let server = server().await;
    // The key is the fake's, but no service account or client was made on this server.
    let other = FakeServer::start(vec![]).await.unwrap();
    let key = other.google_service_account();
    let c = with(claims(&key), |c| {
        c["aud"] = json!(server.google_token_uri())
    });
    exchange(
        &server,
        &sign_with(
            &Header::new(Algorithm::RS256),
            &c,
            key["private_key"].as_str().unwrap(),
        ),
    )
    .await
    .refused(400, "invalid_grant", "Invalid grant: account not found");
    let user = other.google_authorized_user();
    let s = |k: &str| user[k].as_str().unwrap().to_string();
    token_form(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &s("client_id")),
            ("client_secret", &s("client_secret")),
            ("refresh_token", &s("refresh_token")),
        ],
    )
    .await
    .refused(401, "invalid_client", "The OAuth client was not found.");
    // And the Vertex fake still takes any bearer token, as before.
    assert_eq!(vertex(&server, "ya29.anything").await.0, 200);
}
