//! Sending one HTTP request with reqwest, and recording it with secrets redacted.

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use crate::events::RecordedRequest;
use crate::provider::{Header, HttpRequest};
use crate::retry::parse_retry_after;

/// A response whose status arrived: the body read in full, or (a 2xx to a streamed
/// request) the response left open for reading chunk by chunk.
pub(crate) struct Opened {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Bytes,
    pub stream: Option<reqwest::Response>,
}

pub(crate) enum SendError {
    /// The per-request timeout expired.
    Timeout,
    /// Connection refused or reset, body cut off, or any other transport failure.
    Io(String),
}

pub(crate) async fn open(
    http: &reqwest::Client,
    req: &HttpRequest,
    timeout: Duration,
    stream: bool,
) -> Result<Opened, SendError> {
    // Serialize once to bytes; reqwest's `.json()` would do the same work.
    let body = serde_json::to_vec(&req.body).map_err(|e| SendError::Io(e.to_string()))?;
    let mut builder = http
        .post(&req.url)
        .timeout(timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body);
    if stream {
        builder = builder.header(reqwest::header::ACCEPT, "text/event-stream");
    }
    for h in &req.headers {
        builder = builder.header(h.name.as_str(), h.value.as_str());
    }
    let response = builder.send().await.map_err(classify)?;
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let retry_after = parse_retry_after(
        header("retry-after-ms").as_deref(),
        header("retry-after").as_deref(),
    );
    if stream && (200..300).contains(&status) {
        return Ok(Opened {
            status,
            retry_after,
            body: Bytes::new(),
            stream: Some(response),
        });
    }
    let body = response.bytes().await.map_err(classify)?;
    Ok(Opened {
        status,
        retry_after,
        body,
        stream: None,
    })
}

pub(crate) fn classify(e: reqwest::Error) -> SendError {
    if e.is_timeout() {
        return SendError::Timeout;
    }
    // reqwest's Display stops at the outermost layer ("error sending request"); the cause
    // chain says what actually happened (connection refused, reset, …).
    // The outermost layer only repeats the URL; keep the causes.
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    SendError::Io(if causes.is_empty() {
        e.to_string()
    } else {
        causes.join(": ")
    })
}

/// Header names whose values are credentials, whoever added them.
fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization"
        || n == "proxy-authorization"
        || n.contains("api-key")
        || n.contains("api_key")
        || n.contains("token")
        || n == "cookie"
}

/// Query parameters that carry keys (`?key=…` for Gemini, `?api-key=…`).
fn redact_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if is_secret_header(k) || k.eq_ignore_ascii_case("key") => {
                format!("{k}=<redacted>")
            }
            _ => kv.to_string(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

pub(crate) fn record(req: &HttpRequest) -> RecordedRequest {
    RecordedRequest {
        method: "POST".into(),
        url: redact_url(&req.url),
        headers: req
            .headers
            .iter()
            .map(
                |Header {
                     name,
                     value,
                     secret,
                 }| {
                    let value = if *secret || is_secret_header(name) {
                        "<redacted>".to_string()
                    } else {
                        value.clone()
                    };
                    (name.clone(), value)
                },
            )
            .collect(),
        body: req.body.to_value(),
    }
}

/// The body as JSON for events, or as a string when it is not JSON.
pub(crate) fn body_value(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_without_secrets() {
        let req = HttpRequest {
            url: "https://x/v1?key=abc&alt=sse".into(),
            headers: vec![
                Header {
                    name: "authorization".into(),
                    value: "Bearer sk-1".into(),
                    secret: true,
                },
                Header {
                    name: "X-Api-Key".into(),
                    value: "k".into(),
                    secret: false,
                },
                Header {
                    name: "x-trace".into(),
                    value: "t".into(),
                    secret: false,
                },
            ],
            body: crate::provider::body::Body::new(),
        };
        let r = record(&req);
        assert_eq!(r.url, "https://x/v1?key=<redacted>&alt=sse");
        assert_eq!(r.headers[0].1, "<redacted>");
        assert_eq!(r.headers[1].1, "<redacted>");
        assert_eq!(r.headers[2].1, "t");
    }
}
