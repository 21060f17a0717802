//! The fake speaks AWS Bedrock Runtime's Converse API: its hand-written SigV4 verifier agrees with
//! AWS's published test vectors, with the `aws-sigv4` crate (what the client signs with) and with
//! botocore; refusals come the way Bedrock refuses; answers and event streams come in the
//! documented shapes, and the frames decode with `aws-smithy-eventstream`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder};
use aws_smithy_runtime_api::client::identity::Identity;
use quarry_fake_provider::{
    BEDROCK_ACCESS_KEY_ID, BEDROCK_INPUT_TOKENS, BEDROCK_LATENCY_MS, BEDROCK_OUTPUT_TOKENS,
    BEDROCK_SECRET_ACCESS_KEY, BEDROCK_SESSION_TOKEN, BEDROCK_TOTAL_TOKENS, FakeServer, Reply,
    bedrock_tool_id, sigv4,
};
use serde_json::{Value, json};

const MODEL: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";
const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// ---------------------------------------------------------------------------------------------
// AWS's SigV4 test vectors, through the fake's own verifier.

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bedrock_sigv4")
}

/// A request of the test suite's `*.txt` form: the request line, `Name:value` headers, an empty
/// line and the body.
struct Parsed {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_http(text: &str) -> Parsed {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().expect("a request line");
    // `METHOD TARGET HTTP/1.1` (the older `double-url-encode` vector has no version).
    let rest = match request_line.rsplit_once(' ') {
        Some((rest, version)) if version.starts_with("HTTP/") => rest,
        _ => request_line,
    };
    let (method, target) = rest.split_once(' ').expect("method target");
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.to_string(), None),
    };
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_string(), v.trim().to_string()))
        .collect();
    Parsed {
        method: method.to_string(),
        path,
        query,
        headers,
        body: body.trim_end_matches('\n').as_bytes().to_vec(),
    }
}

fn read(dir: &Path, file: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(file))
        .ok()
        .map(|s| s.trim_end_matches('\n').to_string())
}

fn at(amz_date: &str) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(sigv4::parse_amz_date(amz_date).expect("a SigV4 date"))
}

#[test]
fn sigv4_test_vectors_verify() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .expect("tests/fixtures/bedrock_sigv4")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 20, "{} vectors", dirs.len());
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let req = parse_http(&read(dir, "header-signed-request.txt").unwrap());
        let header = |n: &str| {
            req.headers
                .iter()
                .find(|(h, _)| h.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
        };
        let auth = header("authorization").unwrap();
        let scope: Vec<&str> = auth
            .split("Credential=")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .split('/')
            .collect();
        let context: Option<Value> =
            read(dir, "context.json").map(|c| serde_json::from_str(&c).unwrap());
        let (secret, token, now) = match &context {
            Some(c) => (
                c["credentials"]["secret_access_key"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                c["credentials"]["token"].as_str().map(str::to_string),
                at(&c["timestamp"].as_str().unwrap().replace(['-', ':'], "")),
            ),
            // `double-url-encode` has no context: the example credentials, at its own date.
            None => (
                EXAMPLE_SECRET.to_string(),
                None,
                at(&header("x-amz-date").unwrap()),
            ),
        };
        let creds = sigv4::Credentials {
            access_key_id: "AKIDEXAMPLE",
            secret_access_key: &secret,
            session_token: token.as_deref(),
        };
        let request = sigv4::Request {
            method: &req.method,
            path: &req.path,
            query: req.query.as_deref(),
            headers: &req.headers,
            body: &req.body,
        };
        let signed = sigv4::verify(&request, &creds, scope[3], now, Duration::from_secs(300))
            .unwrap_or_else(|r| panic!("{name}: {r:?}"));
        assert_eq!(
            signed.canonical_request,
            read(dir, "header-canonical-request.txt").unwrap(),
            "{name}"
        );
        assert_eq!(
            signed.string_to_sign,
            read(dir, "header-string-to-sign.txt").unwrap(),
            "{name}"
        );
        if let Some(expected) = read(dir, "header-signature.txt") {
            assert_eq!(signed.signature, expected, "{name}");
        }
        assert_eq!(signed.region, scope[2], "{name}");

        // One byte more in the body, or another secret, and the same signature is refused.
        let mut longer = req.body.clone();
        longer.push(b'x');
        let tampered = sigv4::Request {
            body: &longer,
            ..request
        };
        let r =
            sigv4::verify(&tampered, &creds, scope[3], now, Duration::from_secs(300)).unwrap_err();
        assert_eq!(r.error_type, "InvalidSignatureException", "{name}");
        assert!(r.message.starts_with(sigv4::MISMATCH), "{name}");
        let wrong = sigv4::Credentials {
            secret_access_key: "not-the-secret",
            ..creds
        };
        let r =
            sigv4::verify(&request, &wrong, scope[3], now, Duration::from_secs(300)).unwrap_err();
        assert_eq!((r.status, r.error_type), (403, "InvalidSignatureException"));
    }
}

/// `double-url-encode`: a path that is already percent-encoded (`arn%3Aaws%3A…`, like a Bedrock
/// model id) is encoded once more in the canonical request.
#[test]
fn sigv4_double_encodes_an_encoded_path() {
    let canonical = read(
        &vectors_dir().join("double-url-encode"),
        "header-canonical-request.txt",
    )
    .unwrap();
    assert!(canonical.contains("/functions/arn%253Aaws%253Alambda%253Aus-west-2%253A"));
}

fn verify_parts(
    headers: &[(&str, &str)],
    now: SystemTime,
) -> Result<sigv4::Signed, sigv4::Refused> {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let req = sigv4::Request {
        method: "POST",
        path: "/",
        query: None,
        headers: &headers,
        body: b"",
    };
    let creds = sigv4::Credentials {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: EXAMPLE_SECRET,
        session_token: None,
    };
    sigv4::verify(&req, &creds, "service", now, Duration::from_secs(300))
}

/// Refusals of malformed `Authorization` headers, which no signing library produces.
#[test]
fn sigv4_malformed_authorization() {
    let now = at("20150830T123600Z");
    let host = ("Host", "example.amazonaws.com");
    let date = ("X-Amz-Date", "20150830T123600Z");
    let scope = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
    let sig = "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b";
    // (Authorization, the other headers, the error type, the message)
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            "Bearer abc".into(),
            vec![host, date],
            "IncompleteSignatureException",
            "'abc' not a valid key=value pair (missing equal-sign) in Authorization header: \
             'Bearer abc'.",
        ),
        (
            format!("AWS4-HMAC-SHA256 {scope}"),
            vec![host],
            "IncompleteSignatureException",
            "Authorization header requires 'Signature' parameter. Authorization header requires \
             'SignedHeaders' parameter. Authorization header requires existence of either a \
             'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 \
             Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request",
        ),
        (
            format!("AWS4-HMAC-SHA512 {scope}, SignedHeaders=host;x-amz-date, {sig}"),
            vec![host, date],
            "IncompleteSignatureException",
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'",
        ),
        (
            format!("AWS4-HMAC-SHA256 {scope}, SignedHeaders=x-amz-date, {sig}"),
            vec![host, date],
            "IncompleteSignatureException",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ),
        (
            format!("AWS4-HMAC-SHA256 {scope}, SignedHeaders=accept;host;x-amz-date, {sig}"),
            vec![host, date],
            "IncompleteSignatureException",
            "'accept' is named as a SignedHeader, but it does not exist in the HTTP request.",
        ),
        (
            format!("AWS4-HMAC-SHA256 {scope}, SignedHeaders=host;x-amz-date, {sig}"),
            vec![host, ("X-Amz-Date", "2015-08-30T12:36:00Z")],
            "IncompleteSignatureException",
            "Date must be in ISO-8601 'basic format'. Got '2015-08-30T12:36:00Z'. See \
             http://en.wikipedia.org/wiki/ISO_8601",
        ),
        (
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDOTHER/20150830/us-east-1/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, {sig}"
            ),
            vec![host, date],
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
        (
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request, \
                 SignedHeaders=host;x-amz-date, {sig}"
            ),
            vec![host, date],
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'service'. ",
        ),
    ];
    for (auth, mut headers, kind, message) in cases {
        headers.push(("Authorization", &auth));
        let r = verify_parts(&headers, now).unwrap_err();
        assert_eq!(r.error_type, kind, "{auth}");
        assert_eq!(r.message, message, "{auth}");
    }
    // The same headers, correctly signed (`post-vanilla`), pass.
    let auth = format!("AWS4-HMAC-SHA256 {scope}, SignedHeaders=host;x-amz-date, {sig}");
    verify_parts(&[host, date, ("Authorization", &auth)], now).unwrap();
    // An unknown session token is refused like an unknown key.
    let r = verify_parts(
        &[
            host,
            date,
            ("X-Amz-Security-Token", "x"),
            ("Authorization", &auth),
        ],
        now,
    )
    .unwrap_err();
    assert_eq!(r.error_type, "UnrecognizedClientException");
}

// ---------------------------------------------------------------------------------------------
// Requests signed with `aws-sigv4`, as the client signs them.

/// How a test request is signed.
#[derive(Clone)]
struct Signing {
    key_id: &'static str,
    secret: &'static str,
    token: Option<&'static str>,
    region: &'static str,
    service: &'static str,
    time: SystemTime,
    checksum_header: bool,
    unsigned_payload: bool,
}

impl Default for Signing {
    fn default() -> Self {
        Signing {
            key_id: BEDROCK_ACCESS_KEY_ID,
            secret: BEDROCK_SECRET_ACCESS_KEY,
            token: None,
            region: "us-west-2",
            service: "bedrock",
            time: SystemTime::now(),
            checksum_header: false,
            unsigned_payload: false,
        }
    }
}

/// The path segment of a model id: everything but RFC 3986's unreserved characters encoded.
fn encode_model(model: &str) -> String {
    sigv4::uri_encode(model.as_bytes(), true)
}

/// The headers `aws-sigv4` adds to sign `body` for `url` (`x-amz-date`, `authorization`,
/// `x-amz-security-token`, `x-amz-content-sha256`).
fn aws_sigv4_headers(url: &str, body: &[u8], s: &Signing) -> Vec<(String, String)> {
    let identity: Identity = Credentials::new(
        s.key_id,
        s.secret,
        s.token.map(str::to_string),
        None,
        "test",
    )
    .into();
    let mut settings = SigningSettings::default();
    if s.checksum_header {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(s.region)
        .name(s.service)
        .time(s.time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let body = if s.unsigned_payload {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(body)
    };
    let request = SignableRequest::new(
        "POST",
        url,
        [("content-type", "application/json")].into_iter(),
        body,
    )
    .unwrap();
    let (instructions, _signature) = sign(request, &params).unwrap().into_parts();
    instructions
        .headers()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.bytes)))
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }
}

async fn send_raw(url: &str, headers: &[(String, String)], body: Vec<u8>) -> Answer {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    for (n, v) in headers {
        req = req.header(n, v);
    }
    let resp = req.send().await.expect("the fake answers");
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        bytes: resp.bytes().await.expect("a body").to_vec(),
    }
}

fn url(server: &FakeServer, operation: &str) -> String {
    format!(
        "{}/model/{}/{operation}",
        server.bedrock_endpoint(),
        encode_model(MODEL)
    )
}

/// `body` signed by `s` and sent to `operation`; `sent` replaces the body after signing.
async fn send(
    server: &FakeServer,
    operation: &str,
    body: &[u8],
    s: &Signing,
    sent: Option<&[u8]>,
) -> Answer {
    let url = url(server, operation);
    let headers = aws_sigv4_headers(&url, body, s);
    send_raw(&url, &headers, sent.unwrap_or(body).to_vec()).await
}

async fn converse(server: &FakeServer, body: &Value) -> Answer {
    send(
        server,
        "converse",
        body.to_string().as_bytes(),
        &Signing::default(),
        None,
    )
    .await
}

/// The smallest valid request.
fn base() -> Value {
    json!({
        "messages": [{"role": "user", "content": [{"text": "Extract: Ada Lovelace, 36."}]}],
        "inferenceConfig": {"maxTokens": 1024},
    })
}

fn user_info_tools() -> Value {
    json!({
        "tools": [{"toolSpec": {
            "name": "UserInfo",
            "description": "Correctly extracted `UserInfo` with all the required parameters",
            "inputSchema": {"json": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
                "required": ["name", "age"],
            }},
        }}],
        "toolChoice": {"tool": {"name": "UserInfo"}},
    })
}

fn with(mut body: Value, edit: impl FnOnce(&mut Value)) -> Value {
    edit(&mut body);
    body
}

/// Two scripted answers; a refused request must leave the first one queued.
async fn scripted() -> FakeServer {
    FakeServer::start(vec![
        Reply::bedrock_text("first"),
        Reply::bedrock_text("second"),
    ])
    .await
    .unwrap()
}

/// The AWS error of an answer: status, `x-amzn-ErrorType`'s type and the message.
fn aws_error(a: &Answer) -> (u16, String, String) {
    let kind = a.header("x-amzn-errortype");
    let (kind, namespace) = kind.split_once(':').unwrap_or((kind, ""));
    assert!(
        namespace.starts_with("http://internal.amazon.com/coral/"),
        "{namespace}"
    );
    assert!(!a.header("x-amzn-requestid").is_empty());
    let v = a.json();
    let message = v["message"]
        .as_str()
        .or(v["Message"].as_str())
        .unwrap_or_else(|| panic!("no message in {v}"))
        .to_string();
    (a.status, kind.to_string(), message)
}

/// The scripted answer is still the first one: the refusal did not consume it.
async fn still_first(server: &FakeServer) {
    let ok = converse(server, &base()).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.bytes));
    assert_eq!(
        ok.json()["output"]["message"]["content"][0]["text"],
        "first",
        "the refusal did not consume the script"
    );
}

/// A signed `body` is refused with `status`, `kind` and `message`, recorded, and the script is
/// untouched.
async fn invalid(body: &Value, kind: &str, message: &str) {
    let server = scripted().await;
    let a = converse(&server, body).await;
    let (status, k, m) = aws_error(&a);
    let expected_status = 400;
    assert_eq!(
        (status, k.as_str()),
        (expected_status, kind),
        "{body}\n→ {m}"
    );
    assert_eq!(m, message, "{body}");
    assert_eq!(
        server.requests().len(),
        1,
        "the refused request is recorded"
    );
    still_first(&server).await;
}

#[tokio::test]
async fn a_signed_request_is_answered_and_its_signature_recorded() {
    let server = scripted().await;
    let a = converse(&server, &base()).await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.bytes));
    assert_eq!(a.header("content-type"), "application/json");
    assert!(!a.header("x-amzn-requestid").is_empty());
    let v = a.json();
    assert_eq!(
        v,
        json!({
            "metrics": {"latencyMs": BEDROCK_LATENCY_MS},
            "output": {"message": {"content": [{"text": "first"}], "role": "assistant"}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 45, "outputTokens": 11, "totalTokens": 56},
        })
    );
    let signed = server.aws_signatures();
    assert_eq!(signed.len(), 1);
    assert_eq!(signed[0].region, "us-west-2");
    assert_eq!(signed[0].service, "bedrock");
    assert_eq!(signed[0].access_key_id, BEDROCK_ACCESS_KEY_ID);
    assert!(!signed[0].session_token);
    assert!(signed[0].signed_headers.contains(&"host".to_string()));
    assert!(signed[0].signed_headers.contains(&"x-amz-date".to_string()));
    // The model id was sent encoded once (`%3A`) and signed encoded twice (`%253A`).
    let recorded = &server.requests()[0];
    assert_eq!(
        recorded.path,
        "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
    );
    assert!(
        signed[0]
            .canonical_request
            .starts_with("POST\n/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse\n"),
        "{}",
        signed[0].canonical_request
    );
    assert_eq!(server.aws_credentials().0, BEDROCK_ACCESS_KEY_ID);
}

#[tokio::test]
async fn temporary_credentials_any_region_and_a_payload_hash_header_are_accepted() {
    let server = FakeServer::start(vec![Reply::bedrock_text("ok")])
        .await
        .unwrap();
    let body = base().to_string();
    let token = Signing {
        token: Some(BEDROCK_SESSION_TOKEN),
        region: "eu-central-1",
        checksum_header: true,
        ..Signing::default()
    };
    let a = send(&server, "converse", body.as_bytes(), &token, None).await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.bytes));
    assert_eq!(server.aws_session_token(), BEDROCK_SESSION_TOKEN);
    let signed = server.aws_signatures();
    assert!(signed[0].session_token);
    assert_eq!(signed[0].region, "eu-central-1");
    assert!(
        signed[0]
            .signed_headers
            .contains(&"x-amz-security-token".to_string())
    );
    assert!(
        signed[0]
            .signed_headers
            .contains(&"x-amz-content-sha256".to_string())
    );
}

/// Sends a request signed by `s` (the body replaced by `sent` after signing when given) and
/// expects a 403 of `kind` whose message starts with `message`; the script is untouched.
async fn signature_refused(s: Signing, sent: Option<&[u8]>, kind: &str, message: &str) -> String {
    let server = scripted().await;
    let body = base().to_string();
    let a = send(&server, "converse", body.as_bytes(), &s, sent).await;
    let (status, k, m) = aws_error(&a);
    assert_eq!((status, k.as_str()), (403, kind), "{m}");
    assert!(m.starts_with(message), "{m}");
    assert!(
        a.header("x-amzn-errortype")
            .ends_with("/coral/com.amazon.coral.service/")
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the refused request is recorded"
    );
    assert!(server.aws_signatures().is_empty());
    still_first(&server).await;
    m
}

#[tokio::test]
async fn a_tampered_body_is_refused_with_the_canonical_request() {
    let tampered = base().to_string().replace("36", "37");
    let m = signature_refused(
        Signing::default(),
        Some(tampered.as_bytes()),
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check \
         your AWS Secret Access Key and signing method. Consult the service documentation for \
         details.\n\nThe Canonical String for this request should have been\n'POST\n\
         /model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse\n",
    )
    .await;
    assert!(
        m.contains("\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n"),
        "{m}"
    );
}

#[tokio::test]
async fn a_wrong_secret_or_an_unsigned_payload_is_refused() {
    let mismatch = "The request signature we calculated does not match";
    signature_refused(
        Signing {
            secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ..Signing::default()
        },
        None,
        "InvalidSignatureException",
        mismatch,
    )
    .await;
    signature_refused(
        Signing {
            unsigned_payload: true,
            ..Signing::default()
        },
        None,
        "InvalidSignatureException",
        mismatch,
    )
    .await;
}

#[tokio::test]
async fn unknown_keys_tokens_and_services_are_refused() {
    let unrecognized = "The security token included in the request is invalid.";
    signature_refused(
        Signing {
            key_id: "AKIAIOSFODNN7EXAMPLE",
            ..Signing::default()
        },
        None,
        "UnrecognizedClientException",
        unrecognized,
    )
    .await;
    signature_refused(
        Signing {
            token: Some("an-expired-session-token"),
            ..Signing::default()
        },
        None,
        "UnrecognizedClientException",
        unrecognized,
    )
    .await;
    // The signing name of Bedrock Runtime is `bedrock`, not `bedrock-runtime`.
    signature_refused(
        Signing {
            service: "bedrock-runtime",
            ..Signing::default()
        },
        None,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'bedrock'. ",
    )
    .await;
}

#[tokio::test]
async fn an_old_or_early_date_is_refused() {
    let m = signature_refused(
        Signing {
            time: SystemTime::now() - Duration::from_secs(6 * 60),
            ..Signing::default()
        },
        None,
        "InvalidSignatureException",
        "Signature expired: ",
    )
    .await;
    assert!(m.ends_with(" - 5 min.)"), "{m}");
    assert!(m.contains(" is now earlier than "), "{m}");
    let m = signature_refused(
        Signing {
            time: SystemTime::now() + Duration::from_secs(6 * 60),
            ..Signing::default()
        },
        None,
        "InvalidSignatureException",
        "Signature not yet current: ",
    )
    .await;
    assert!(m.ends_with(" + 5 min.)"), "{m}");
    // Four minutes off is within Bedrock's window.
    let server = scripted().await;
    let late = Signing {
        time: SystemTime::now() - Duration::from_secs(4 * 60),
        ..Signing::default()
    };
    let a = send(
        &server,
        "converse",
        base().to_string().as_bytes(),
        &late,
        None,
    )
    .await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn a_request_without_authorization_is_refused() {
    let server = scripted().await;
    let a = send_raw(
        &url(&server, "converse"),
        &[],
        base().to_string().into_bytes(),
    )
    .await;
    assert_eq!(
        aws_error(&a),
        (
            403,
            "MissingAuthenticationTokenException".into(),
            "Missing Authentication Token".into()
        )
    );
    still_first(&server).await;
}

#[tokio::test]
async fn other_operations_are_unknown() {
    let server = scripted().await;
    let invoke = format!(
        "{}/model/{}/invoke",
        server.bedrock_endpoint(),
        encode_model(MODEL)
    );
    let body = base().to_string();
    let headers = aws_sigv4_headers(&invoke, body.as_bytes(), &Signing::default());
    let a = send_raw(&invoke, &headers, body.into_bytes()).await;
    assert_eq!(a.status, 404);
    assert_eq!(aws_error(&a).1, "UnknownOperationException");
    still_first(&server).await;
}

/// botocore's `SigV4Auth` (an implementation independent of both the fake's and `aws-sigv4`)
/// signs a Bedrock request; the fake must accept it. Skipped, with a note, where python3 or
/// botocore is missing.
#[tokio::test]
async fn botocore_signatures_are_accepted() {
    let server = FakeServer::start(vec![Reply::bedrock_text("ok")])
        .await
        .unwrap();
    let url = url(&server, "converse");
    let body = base().to_string();
    let file = std::env::temp_dir().join(format!("quarry-bedrock-body-{}", std::process::id()));
    std::fs::write(&file, &body).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sigv4_botocore.py");
    for token in ["-", BEDROCK_SESSION_TOKEN] {
        let out = std::process::Command::new("python3")
            .arg(&script)
            .args([
                url.as_str(),
                "ap-northeast-1",
                BEDROCK_ACCESS_KEY_ID,
                BEDROCK_SECRET_ACCESS_KEY,
                token,
            ])
            .arg(&file)
            .output();
        let out = match out {
            Ok(o) if o.status.code() == Some(3) => {
                eprintln!("skipped: botocore is not installed (pip install botocore)");
                return;
            }
            Ok(o) if o.status.success() => o,
            Ok(o) => panic!("{}", String::from_utf8_lossy(&o.stderr)),
            Err(e) => {
                eprintln!("skipped: python3 cannot run ({e})");
                return;
            }
        };
        let headers: serde_json::Map<String, Value> = serde_json::from_slice(&out.stdout).unwrap();
        let headers: Vec<(String, String)> = headers
            .into_iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("content-type"))
            .map(|(n, v)| (n, v.as_str().unwrap().to_string()))
            .collect();
        let a = send_raw(&url, &headers, body.clone().into_bytes()).await;
        assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.bytes));
    }
    std::fs::remove_file(&file).ok();
    let signed = server.aws_signatures();
    assert_eq!(signed.len(), 2);
    assert_eq!(signed[0].region, "ap-northeast-1");
    assert!(!signed[0].session_token);
    assert!(signed[1].session_token);
}

// ---------------------------------------------------------------------------------------------
// What the Converse API refuses.

#[tokio::test]
async fn a_full_request_is_accepted() {
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    let body = json!({
        "system": [{"text": "You extract people."}, {"cachePoint": {"type": "default"}}],
        "messages": [
            {"role": "user", "content": [
                {"text": "Extract the person in this image and document."},
                {"image": {"format": "png", "source": {"bytes": png}}},
                {"document": {"format": "txt", "name": "Ada notes (1)", "source": {"bytes": "QWRhIExvdmVsYWNlLCAzNg=="}}},
            ]},
            {"role": "assistant", "content": [
                {"text": "Calling the tool."},
                {"toolUse": {"toolUseId": "tooluse_a", "name": "UserInfo", "input": {"name": "Ada"}}},
                {"toolUse": {"toolUseId": "tooluse_b", "name": "UserInfo", "input": {}}},
            ]},
            {"role": "user", "content": [
                {"toolResult": {"toolUseId": "tooluse_a", "content": [{"text": "age is missing"}], "status": "error"}},
                {"toolResult": {"toolUseId": "tooluse_b", "content": [{"json": {"ok": false}}]}},
                {"text": "Try again."},
            ]},
        ],
        "inferenceConfig": {"maxTokens": 512, "temperature": 0, "topP": 0.9, "stopSequences": ["###"]},
        "toolConfig": user_info_tools(),
        "additionalModelRequestFields": {"top_k": 5, "thinking": {"type": "disabled"}},
        "additionalModelResponseFieldPaths": ["/stop_sequence"],
        "outputConfig": {"textFormat": {"type": "json_schema", "structure": {"jsonSchema": {
            "schema": "{\"type\":\"object\"}", "name": "UserInfo"}}}},
    });
    let server = scripted().await;
    let a = converse(&server, &body).await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.bytes));
    for choice in [json!({"auto": {}}), json!({"any": {}})] {
        let b = with(base(), |b| {
            b["toolConfig"] = user_info_tools();
            b["toolConfig"]["toolChoice"] = choice;
        });
        assert_eq!(converse(&server, &b).await.status, 200);
    }
}

#[tokio::test]
async fn bodies_that_are_not_the_api_shape() {
    let server = scripted().await;
    let a = send(&server, "converse", b"{not json", &Signing::default(), None).await;
    let (status, kind, message) = aws_error(&a);
    assert_eq!((status, kind.as_str()), (400, "SerializationException"));
    assert!(a.json().get("Message").is_some(), "capital M");
    assert!(message.starts_with("Could not parse request body into json"));
    still_first(&server).await;

    invalid(
        &with(base(), |b| b["modelId"] = json!(MODEL)),
        "ValidationException",
        "Malformed input request: #: extraneous key [modelId] is not permitted, please reformat \
         your input and try again.",
    )
    .await;
    invalid(
        &json!({"inferenceConfig": {"maxTokens": 10}}),
        "ValidationException",
        "1 validation error detected: Value null at 'messages' failed to satisfy constraint: \
         Member must not be null",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"][0]["content"] = json!([{"type": "text", "text": "hi"}])
        }),
        "ValidationException",
        "Malformed input request: #/messages/0/content/0: extraneous key [type] is not \
         permitted, please reformat your input and try again.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"][0]["content"] = json!({"text": "hi"})
        }),
        "SerializationException",
        "Start of structure or map found where not expected",
    )
    .await;
    invalid(
        &with(base(), |b| b["messages"][0]["role"] = json!("system")),
        "ValidationException",
        "1 validation error detected: Value 'system' at 'messages.1.member.role' failed to \
         satisfy constraint: Member must satisfy enum value set: [user, assistant]",
    )
    .await;
    invalid(
        &with(base(), |b| b["inferenceConfig"]["temperature"] = json!(1.5)),
        "ValidationException",
        "1 validation error detected: Value '1.5' at 'inferenceConfig.temperature' failed to \
         satisfy constraint: Member must have value less than or equal to 1",
    )
    .await;
}

#[tokio::test]
async fn messages_and_blocks() {
    invalid(
        &with(base(), |b| b["messages"][0]["content"] = json!([])),
        "ValidationException",
        "The content field in the Message object at messages.0 is empty. Add a ContentBlock \
         object to the content field and try again.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"][0]["content"][0]["text"] = json!(" \n")
        }),
        "ValidationException",
        "The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to \
         the text field, and try again.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"] = json!([
                {"role": "assistant", "content": [{"text": "Hello"}]},
                {"role": "user", "content": [{"text": "Hi"}]},
            ])
        }),
        "ValidationException",
        "A conversation must start with a user message. Try again with a conversation that \
         starts with a user message.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"] = json!([
                {"role": "user", "content": [{"text": "Hello"}]},
                {"role": "user", "content": [{"text": "Hi"}]},
            ])
        }),
        "ValidationException",
        "A conversation must alternate between user and assistant roles. Make sure the \
         conversation alternates between user and assistant roles and try again.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"][0]["content"] = json!([
                {"text": "Read this."},
                {"image": {"format": "bmp", "source": {"bytes": "AAAA"}}},
            ])
        }),
        "ValidationException",
        "1 validation error detected: Value 'bmp' at 'messages.0.content.1.image.format' failed \
         to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"][0]["content"] = json!([
                {"document": {"format": "pdf", "name": "notes", "source": {"bytes": "AAAA"}}},
            ])
        }),
        "ValidationException",
        "A text block must be included when using documents.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["messages"][0]["content"] = json!([
                {"text": "Read this."},
                {"document": {"format": "pdf", "name": "notes.pdf", "source": {"bytes": "AAAA"}}},
            ])
        }),
        "ValidationException",
        "The document file name can only contain alphanumeric characters, whitespace \
         characters, hyphens, parentheses, and square brackets. The name can't contain more \
         than one consecutive whitespace character.",
    )
    .await;
    invalid(
        &with(base(), |b| b["system"] = json!([{"text": ""}])),
        "ValidationException",
        "The text field in the SystemContentBlock object at system.0 is blank. Add text to the \
         text field, and try again.",
    )
    .await;
}

/// A user turn, an assistant turn calling `UserInfo` (ids `a`, `b`), then `results`.
fn tool_loop(results: Value) -> Value {
    with(base(), |b| {
        b["toolConfig"] = user_info_tools();
        b["messages"] = json!([
            {"role": "user", "content": [{"text": "Extract: Ada Lovelace, 36."}]},
            {"role": "assistant", "content": [
                {"toolUse": {"toolUseId": "a", "name": "UserInfo", "input": {}}},
                {"toolUse": {"toolUseId": "b", "name": "UserInfo", "input": {}}},
            ]},
            {"role": "user", "content": results},
        ]);
    })
}

fn result(id: &str) -> Value {
    json!({"toolResult": {"toolUseId": id, "content": [{"text": "ok"}]}})
}

#[tokio::test]
async fn tool_turns() {
    invalid(
        &tool_loop(json!([result("a")])),
        "ValidationException",
        "Expected toolResult blocks at messages.2.content for the following Ids: b",
    )
    .await;
    invalid(
        &tool_loop(json!([result("a"), result("b"), result("c")])),
        "ValidationException",
        "The number of toolResult blocks at messages.2.content exceeds the number of toolUse \
         blocks of previous turn.",
    )
    .await;
    invalid(
        &with(tool_loop(json!([result("a"), result("b")])), |b| {
            b.as_object_mut().unwrap().remove("toolConfig");
        }),
        "ValidationException",
        "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
    )
    .await;
    invalid(
        &with(tool_loop(json!([result("a"), result("b")])), |b| {
            b["messages"][1]["content"][0]["toolUse"]["input"] = json!("{\"name\": \"Ada\"}")
        }),
        "ValidationException",
        "The format of the value at messages.1.content.0.toolUse.input is invalid. Provide a \
         json object for the field and try again.",
    )
    .await;
    invalid(
        &tool_loop(json!([
            result("a"),
            {"toolResult": {"toolUseId": "b", "content": [], "status": "error"}},
        ])),
        "ValidationException",
        "The content field at messages.2.content.1.toolResult cannot be empty when status value \
         is error.",
    )
    .await;
    invalid(
        &tool_loop(json!([
            result("a"),
            {"toolResult": {"toolUseId": "b", "content": [{"json": [1, 2]}]}},
        ])),
        "ValidationException",
        "The format of the value at messages.2.content.1.toolResult.content.0.json is invalid. \
         Provide a json object for the field and try again.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["toolConfig"] = user_info_tools();
            b["messages"][0]["content"] = json!([
                {"toolUse": {"toolUseId": "a", "name": "UserInfo", "input": {}}},
            ]);
        }),
        "ValidationException",
        "User messages cannot contain tool uses. Please remove the tool uses and try again.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["toolConfig"] = user_info_tools();
            b["messages"][0]["content"] = json!([result("a")]);
        }),
        "ValidationException",
        "The number of toolResult blocks at messages.0.content exceeds the number of toolUse \
         blocks of previous turn.",
    )
    .await;
}

#[tokio::test]
async fn tool_configurations() {
    invalid(
        &with(base(), |b| {
            b["toolConfig"] = user_info_tools();
            b["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"] = json!("{}");
        }),
        "ValidationException",
        "The format of the value at toolConfig.tools.0.toolSpec.inputSchema.json is invalid. \
         Provide a json object for the field and try again.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["toolConfig"] = user_info_tools();
            b["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"] =
                json!({"type": "array", "items": {"type": "string"}});
        }),
        "ValidationException",
        "The model returned the following errors: tools.0.custom.input_schema.type: Input \
         should be 'object'",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["toolConfig"] = user_info_tools();
            b["toolConfig"]["toolChoice"] = json!({"tool": {"name": "Person"}});
        }),
        "ValidationException",
        "The tool Person in toolConfig.toolChoice is not defined in toolConfig.tools. Define the \
         tool or choose another one, and try again.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["toolConfig"] = user_info_tools();
            b["toolConfig"]["tools"][0]["toolSpec"]["name"] = json!("User Info");
        }),
        "ValidationException",
        "1 validation error detected: Value 'User Info' at \
         'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must \
         satisfy regular expression pattern: ^[a-zA-Z0-9_-]{1,64}$",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["toolConfig"] = user_info_tools();
            b["toolConfig"]["toolChoice"] = json!({"auto": {}, "any": {}});
        }),
        "ValidationException",
        "The ToolChoice object at toolConfig.toolChoice has more than one member set. Set only \
         one member and try again.",
    )
    .await;
    invalid(
        &with(base(), |b| {
            b["toolConfig"] = json!({"tools": [], "toolChoice": {"auto": {}}})
        }),
        "ValidationException",
        "1 validation error detected: Value '[]' at 'toolConfig.tools' failed to satisfy \
         constraint: Member must have length greater than or equal to 1",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Answers.

#[tokio::test]
async fn converse_answers() {
    let server = FakeServer::start(vec![
        Reply::bedrock_tool_use("UserInfo", json!({"name": "Ada", "age": 36})),
        Reply::bedrock_tool_uses(&[("A", json!({})), ("B", json!({"x": 1}))]),
        Reply::bedrock_max_tokens("{\"name\": \"Ad"),
        Reply::bedrock_throttled(),
        Reply::bedrock_error(503, "ServiceUnavailableException", "down"),
    ])
    .await
    .unwrap();
    let v = converse(&server, &base()).await.json();
    assert_eq!(v["stopReason"], "tool_use");
    assert_eq!(
        v["output"]["message"]["content"][0],
        json!({"toolUse": {"input": {"name": "Ada", "age": 36}, "name": "UserInfo",
                           "toolUseId": bedrock_tool_id(0)}})
    );
    assert_eq!(v["usage"]["totalTokens"], BEDROCK_TOTAL_TOKENS);
    let v = converse(&server, &base()).await.json();
    assert_eq!(
        v["output"]["message"]["content"][1]["toolUse"]["toolUseId"],
        bedrock_tool_id(1)
    );
    assert!(bedrock_tool_id(0).starts_with("tooluse_"));
    assert_eq!(bedrock_tool_id(0).len(), "tooluse_".len() + 22);
    let v = converse(&server, &base()).await.json();
    assert_eq!(v["stopReason"], "max_tokens");
    let a = converse(&server, &base()).await;
    assert_eq!(
        aws_error(&a),
        (
            429,
            "ThrottlingException".into(),
            "Too many requests, please wait before trying again.".into()
        )
    );
    assert_eq!(
        a.header("x-amzn-errortype"),
        "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    );
    let a = converse(&server, &base()).await;
    assert_eq!(aws_error(&a).0, 503);
}

/// One decoded event-stream message: its string headers and its JSON payload.
#[derive(Debug)]
struct Event {
    headers: Vec<(String, String)>,
    payload: Value,
}

impl Event {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} in {self:?}"))
    }

    fn kind(&self) -> &str {
        self.header(":event-type")
    }
}

/// Decodes a whole body with `aws-smithy-eventstream` (which checks both CRCs).
fn decode(bytes: &[u8]) -> Vec<Event> {
    let mut decoder = MessageFrameDecoder::new();
    let mut buf: &[u8] = bytes;
    let mut events = Vec::new();
    while !buf.is_empty() {
        match decoder.decode_frame(&mut buf).expect("a valid frame") {
            DecodedFrame::Complete(m) => events.push(Event {
                headers: m
                    .headers()
                    .iter()
                    .map(|h| {
                        (
                            h.name().as_str().to_string(),
                            h.value().as_string().unwrap().as_str().to_string(),
                        )
                    })
                    .collect(),
                payload: serde_json::from_slice(m.payload()).unwrap(),
            }),
            DecodedFrame::Incomplete => panic!("the body ends inside a frame"),
        }
    }
    events
}

async fn stream_of(reply: Reply) -> (Answer, Vec<Event>) {
    let server = FakeServer::start(vec![reply]).await.unwrap();
    let a = send(
        &server,
        "converse-stream",
        base().to_string().as_bytes(),
        &Signing::default(),
        None,
    )
    .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.bytes));
    let events = decode(&a.bytes);
    (a, events)
}

/// The padding alphabet of real ConverseStream payloads.
const PAD: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

const INPUT: &str = r#"{"name": "Ada Lovelace", "age": 36}"#;

#[tokio::test]
async fn a_streamed_tool_use_decodes() {
    let (a, events) = stream_of(Reply::bedrock_stream_tool_use("UserInfo", INPUT, 5)).await;
    assert_eq!(
        a.header("content-type"),
        "application/vnd.amazon.eventstream"
    );
    let kinds: Vec<&str> = events.iter().map(Event::kind).collect();
    let deltas = INPUT.len().div_ceil(5);
    let mut expected = vec!["messageStart", "contentBlockStart"];
    expected.extend(std::iter::repeat_n("contentBlockDelta", deltas));
    expected.extend(["contentBlockStop", "messageStop", "metadata"]);
    assert_eq!(kinds, expected);
    for e in &events {
        assert_eq!(e.header(":message-type"), "event");
        assert_eq!(e.header(":content-type"), "application/json");
        assert_eq!(e.headers[0].0, ":event-type", "the event type comes first");
        let p = e.payload["p"].as_str().expect("a padding field");
        assert!(!p.is_empty() && PAD.starts_with(p), "{p}");
        let keys: Vec<&String> = e.payload.as_object().unwrap().keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "keys in alphabetical order");
    }
    assert_eq!(events[0].payload["role"], "assistant");
    assert_eq!(
        events[1].payload["start"],
        json!({"toolUse": {"name": "UserInfo", "toolUseId": bedrock_tool_id(0)}})
    );
    let input: String = events[2..2 + deltas]
        .iter()
        .map(|e| {
            assert_eq!(e.payload["contentBlockIndex"], 0);
            e.payload["delta"]["toolUse"]["input"].as_str().unwrap()
        })
        .collect();
    assert_eq!(input, INPUT);
    assert_eq!(events[2 + deltas].payload["contentBlockIndex"], 0);
    assert_eq!(events[3 + deltas].payload["stopReason"], "tool_use");
    let metadata = &events[4 + deltas].payload;
    assert_eq!(
        metadata["usage"],
        json!({"inputTokens": BEDROCK_INPUT_TOKENS, "outputTokens": BEDROCK_OUTPUT_TOKENS,
               "totalTokens": BEDROCK_TOTAL_TOKENS})
    );
    assert_eq!(metadata["metrics"]["latencyMs"], BEDROCK_LATENCY_MS);
}

#[tokio::test]
async fn streamed_text_has_no_block_start_and_rechunks() {
    let (_, events) = stream_of(Reply::bedrock_stream_text("Hello, Ada.", 4)).await;
    let kinds: Vec<&str> = events.iter().map(Event::kind).collect();
    assert_eq!(
        kinds,
        [
            "messageStart",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockDelta",
            "contentBlockStop",
            "messageStop",
            "metadata"
        ]
    );
    let text: String = events[1..4]
        .iter()
        .map(|e| e.payload["delta"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Hello, Ada.");
    assert_eq!(events[5].payload["stopReason"], "end_turn");

    // Written three bytes at a time (through preludes and CRCs), paced: the same bytes.
    let (whole, _) = stream_of(Reply::bedrock_stream_text("Hello, Ada.", 4)).await;
    let (pieces, _) = stream_of(
        Reply::bedrock_stream_text("Hello, Ada.", 4)
            .rechunked(3)
            .paced(Duration::from_millis(1)),
    )
    .await;
    assert_eq!(whole.bytes, pieces.bytes);
}

#[tokio::test]
async fn streams_cut_or_failing_midway() {
    let (_, events) =
        stream_of(Reply::bedrock_stream_tool_use("UserInfo", INPUT, 5).cut_after(3)).await;
    assert_eq!(events.len(), 3);
    assert_eq!(events[2].kind(), "contentBlockDelta");

    let (_, events) = stream_of(
        Reply::bedrock_stream_tool_use("UserInfo", INPUT, 5).bedrock_exception_after(
            3,
            "throttlingException",
            "Too many tokens, please wait before trying again.",
        ),
    )
    .await;
    assert_eq!(events.len(), 4);
    let last = &events[3];
    assert_eq!(last.header(":message-type"), "exception");
    assert_eq!(last.header(":exception-type"), "throttlingException");
    assert_eq!(last.headers[0].0, ":exception-type");
    assert_eq!(
        last.payload,
        json!({"message": "Too many tokens, please wait before trying again."})
    );
}

#[tokio::test]
async fn a_refused_stream_request_is_a_json_error() {
    let server = FakeServer::start(vec![Reply::bedrock_stream_text("x", 1)])
        .await
        .unwrap();
    let body = with(base(), |b| b["messages"][0]["content"] = json!([]));
    let a = send(
        &server,
        "converse-stream",
        body.to_string().as_bytes(),
        &Signing::default(),
        None,
    )
    .await;
    assert_eq!(a.status, 400);
    assert_eq!(a.header("content-type"), "application/json");
    assert_eq!(aws_error(&a).1, "ValidationException");
}

#[test]
fn from_spec_forms() {
    let same = |spec: Value, direct: Reply| {
        assert_eq!(
            format!("{:?}", Reply::from_spec(&spec).unwrap()),
            format!("{direct:?}"),
            "{spec}"
        );
    };
    same(
        json!({"bedrock_tool_use": {"name": "UserInfo", "input": {"name": "Ada"}}}),
        Reply::bedrock_tool_use("UserInfo", json!({"name": "Ada"})),
    );
    same(
        json!({"bedrock_tool_use": {"name": "UserInfo", "input": "{\"name\": \"Ada\"}"}}),
        Reply::bedrock_tool_use("UserInfo", json!({"name": "Ada"})),
    );
    same(json!({"bedrock_text": "hi"}), Reply::bedrock_text("hi"));
    same(
        json!({"bedrock_stream_tool_use": {"name": "UserInfo", "input": INPUT, "chunk": 3, "pace_ms": 5}}),
        Reply::bedrock_stream_tool_use("UserInfo", INPUT, 3).paced(Duration::from_millis(5)),
    );
    same(
        json!({"bedrock_stream_tool_use": {"name": "UserInfo", "input": {"a": 1}}}),
        Reply::bedrock_stream_tool_use("UserInfo", "{\"a\":1}", 8),
    );
    same(
        json!({"bedrock_stream_text": {"text": "hello"}}),
        Reply::bedrock_stream_text("hello", 8),
    );
    same(
        json!({"bedrock_error": {"status": 429, "type": "ThrottlingException", "message": "slow"}}),
        Reply::bedrock_error(429, "ThrottlingException", "slow"),
    );
    assert!(Reply::from_spec(&json!({"bedrock_tool_use": {"name": "x"}})).is_err());
}
