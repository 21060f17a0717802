//! Sending one HTTP request with reqwest, reading its answer within the size limits, and
//! recording it with secrets redacted.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use serde_json::Value;

use crate::events::RecordedRequest;
use crate::limits::{MAX_ERROR_BODY_BYTES, MAX_RESPONSE_BYTES};
use crate::provider::Header;
use crate::provider::body::Body;
use crate::retry::parse_retry_after;
use crate::secret::{REDACTED, Redactor, is_credential_name};

/// A response whose status arrived: the body read (up to its limit), or (a 2xx to a
/// streamed request that really is an event stream) the response left open for reading
/// chunk by chunk.
pub(crate) struct Opened {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub content_type: Option<String>,
    /// Where a redirect pointed (redirects are not followed: they could carry the key to
    /// another host).
    pub location: Option<String>,
    pub body: Bytes,
    /// The body was longer than its limit; `body` holds its start.
    pub truncated: bool,
    pub stream: Option<reqwest::Response>,
}

pub(crate) enum SendError {
    /// The per-request timeout expired.
    Timeout,
    /// Connection refused or reset, body cut off, or any other transport failure.
    Io(String),
    /// The request could not be built (a header or URL reqwest refuses): bad input, never
    /// worth a retry.
    Build(String),
}

/// Whether a content type is an event stream. Anything that is clearly something else (JSON,
/// HTML) means the server ignored `stream: true`; servers that send no type or a vague one
/// are given the benefit of the doubt.
fn is_not_a_stream(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t.starts_with("application/json") || t.contains("+json") || t.starts_with("text/html")
    })
}

pub(crate) async fn open(
    http: &reqwest::Client,
    url: &str,
    headers: &[Header],
    body: Bytes,
    timeout: Duration,
    stream: bool,
) -> Result<Opened, SendError> {
    let mut builder = http.post(url).body(body);
    // A plain answer must arrive whole within the timeout; a stream is timed by the caller
    // (its start, then each silence), since a long answer may legitimately stream for longer.
    if !stream {
        builder = builder.timeout(timeout);
    }
    for (name, value) in added_headers(headers, stream) {
        builder = builder.header(name, value);
    }
    for h in headers {
        builder = builder.header(h.name.as_str(), h.value.as_str());
    }
    let send = builder.send();
    let response = if stream {
        match tokio::time::timeout(timeout, send).await {
            Ok(r) => r.map_err(classify)?,
            Err(_) => return Err(SendError::Timeout),
        }
    } else {
        send.await.map_err(classify)?
    };
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
    let content_type = header("content-type");
    let location = header("location");
    let success = (200..300).contains(&status);
    if stream && success && !is_not_a_stream(content_type.as_deref()) {
        return Ok(Opened {
            status,
            retry_after,
            content_type,
            location,
            body: Bytes::new(),
            truncated: false,
            stream: Some(response),
        });
    }
    let limit = if success && !stream {
        MAX_RESPONSE_BYTES
    } else {
        MAX_ERROR_BODY_BYTES
    };
    let read = async { read_capped(response, limit).await };
    let (body, truncated) = if stream {
        match tokio::time::timeout(timeout, read).await {
            Ok(r) => r?,
            Err(_) => return Err(SendError::Timeout),
        }
    } else {
        read.await?
    };
    Ok(Opened {
        status,
        retry_after,
        content_type,
        location,
        body,
        truncated,
        stream: None,
    })
}

/// Reads at most `limit` bytes of the body; true when there was more (the rest is not read).
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<(Bytes, bool), SendError> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        let room = limit - buf.len();
        if chunk.len() > room {
            buf.extend_from_slice(&chunk[..room]);
            return Ok((buf.freeze(), true));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok((buf.freeze(), false))
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
    let text = if causes.is_empty() {
        e.to_string()
    } else {
        causes.join(": ")
    };
    if e.is_builder() {
        SendError::Build(text)
    } else {
        SendError::Io(text)
    }
}

/// Query parameters that carry keys (`?key=…` for Gemini, `?api-key=…`, `?sig=…`).
fn is_secret_param(name: &str) -> bool {
    is_credential_name(name) || name.eq_ignore_ascii_case("code")
}

/// The `user:password@` part of a URL, when it has one: (range in `url`, user, password).
fn userinfo(url: &str) -> Option<(std::ops::Range<usize>, &str, Option<&str>)> {
    let start = url.find("://")? + 3;
    let authority_end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let at = url[start..authority_end].rfind('@')? + start;
    let info = &url[start..at];
    let (user, password) = match info.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (info, None),
    };
    Some((start..at, user, password))
}

/// The URL as it may be shown and stored: credentials before the host and in key-like query
/// parameters replaced by `<redacted>`.
pub fn redact_url(url: &str) -> String {
    let mut out = match userinfo(url) {
        Some((range, ..)) => format!("{}{REDACTED}{}", &url[..range.start], &url[range.end..]),
        None => url.to_string(),
    };
    let Some((base, query)) = out.split_once('?') else {
        return out;
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if is_secret_param(k) => format!("{k}={REDACTED}"),
            _ => kv.to_string(),
        })
        .collect();
    let mut rebuilt = format!("{base}?{}", parts.join("&"));
    if let Some(f) = fragment {
        rebuilt.push('#');
        rebuilt.push_str(f);
    }
    out = rebuilt;
    out
}

/// The secrets inside a URL (user name, password, key-like query values), raw and
/// percent-decoded, for a [`Redactor`].
pub fn add_url_secrets(url: &str, r: &mut Redactor) {
    let mut add = |s: &str| {
        r.add(s);
        if let Ok(parsed) = reqwest::Url::parse(&format!("http://x/?v={s}"))
            && let Some((_, v)) = parsed.query_pairs().next()
        {
            r.add(&v);
        }
    };
    if let Some((_, user, password)) = userinfo(url) {
        add(user);
        if let Some(p) = password {
            add(p);
        }
    }
    if let Some((_, query)) = url.split_once('?') {
        for kv in query.split('#').next().unwrap_or("").split('&') {
            if let Some((k, v)) = kv.split_once('=')
                && is_secret_param(k)
            {
                add(v);
            }
        }
    }
}

pub(crate) fn record(url: &str, headers: &[Header], body: &Body) -> RecordedRequest {
    RecordedRequest {
        method: "POST".into(),
        url: redact_url(url),
        headers: shown_headers(headers),
        body: body.to_value(),
    }
}

/// `headers` as they may be shown: credentials masked.
pub(crate) fn shown_headers(headers: &[Header]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(
            |Header {
                 name,
                 value,
                 secret,
             }| {
                let value = if *secret || is_credential_name(name) {
                    REDACTED.to_string()
                } else {
                    value.clone()
                };
                (name.clone(), value)
            },
        )
        .collect()
}

/// The headers [`open`] sends besides a request's own: its content type, and for a stream the
/// event-stream type unless the protocol names its own (another framing).
pub(crate) fn added_headers(headers: &[Header], stream: bool) -> Vec<(&'static str, &'static str)> {
    let mut added = vec![("content-type", "application/json")];
    if stream
        && !headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("accept"))
    {
        added.push(("accept", "text/event-stream"));
    }
    added
}

/// The bytes a request's body is sent as: serialized once per attempt, so every try sends (and
/// a signature covers) the same bytes, and a preview shows them.
pub(crate) fn body_bytes(body: &Body) -> Result<Bytes, crate::error::Error> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| crate::error::Error::InvalidSetting {
            setting: crate::error::Setting::ExtraBody,
            message: format!("the request body could not be written as JSON: {e}"),
            hint: "check the extra body fields".into(),
        })
}

/// The body as JSON for events, or as a string when it is not JSON.
pub(crate) fn body_value(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

/// What a body that is not the expected JSON looks like, for an error a person can act on:
/// an HTML page by its title, anything else by its first line.
pub(crate) fn describe_body(body: &[u8], content_type: Option<&str>) -> String {
    let text = String::from_utf8_lossy(crate::limits::clip_bytes(body, 64 * 1024));
    let kind = content_type
        .map(|t| format!(" ({})", t.split(';').next().unwrap_or(t).trim()))
        .unwrap_or_default();
    if body.is_empty() {
        return format!("an empty body{kind}");
    }
    let lower = text.to_ascii_lowercase();
    if let Some(start) = lower.find("<title") {
        let after = lower[start..].find('>').map(|i| start + i + 1);
        if let Some(after) = after {
            let end = lower[after..]
                .find("</title")
                .map_or(lower.len(), |i| after + i);
            let title = decode_entities(text[after..end].trim());
            let title = crate::limits::clip(title.trim(), 120);
            if !title.is_empty() {
                return format!("an HTML page titled \"{title}\"{kind}");
            }
        }
    }
    if lower.trim_start().starts_with("<!doctype html") || lower.trim_start().starts_with("<html") {
        return format!("an HTML page{kind}");
    }
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let clipped = crate::limits::clip(first, 120);
    let more = if clipped.len() < first.len() {
        "…"
    } else {
        ""
    };
    format!("text starting \"{clipped}{more}\"{kind}")
}

/// The few HTML entities a page title uses (`&amp;`, `&#39;`, `&#x2F;`).
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_without_secrets() {
        let headers = vec![
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
                name: "X-Portkey-Virtual-Key".into(),
                value: "pk".into(),
                secret: false,
            },
            Header {
                name: "x-trace".into(),
                value: "t".into(),
                secret: false,
            },
        ];
        let r = record("https://x/v1?key=abc&alt=sse", &headers, &Body::new());
        assert_eq!(r.url, "https://x/v1?key=<redacted>&alt=sse");
        assert_eq!(r.headers[0].1, "<redacted>");
        assert_eq!(r.headers[1].1, "<redacted>");
        assert_eq!(r.headers[2].1, "<redacted>");
        assert_eq!(r.headers[3].1, "t");
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact_url("http://user:pw@host:8080/v1?x=1"),
            "http://<redacted>@host:8080/v1?x=1"
        );
        assert_eq!(
            redact_url("https://tok@host/v1?api_key=s3cret#frag"),
            "https://<redacted>@host/v1?api_key=<redacted>#frag"
        );
        assert_eq!(redact_url("http://host/a@b"), "http://host/a@b");
        let mut r = Redactor::new();
        add_url_secrets("http://alice:p%40ssw0rd@host/v1?key=k3y-value", &mut r);
        assert_eq!(
            r.mask("alice p@ssw0rd p%40ssw0rd k3y-value"),
            "<redacted> <redacted> <redacted> <redacted>"
        );
    }

    #[test]
    fn bodies_are_described_by_what_they_are() {
        let html =
            b"<!DOCTYPE html><html><head><title>502 Bad Gateway &amp; co</title></head></html>";
        assert_eq!(
            describe_body(html, Some("text/html; charset=utf-8")),
            "an HTML page titled \"502 Bad Gateway & co\" (text/html)"
        );
        assert_eq!(
            describe_body(b"\n\nUpstream error: overloaded\nmore", None),
            "text starting \"Upstream error: overloaded\""
        );
        assert_eq!(
            describe_body(b"", Some("text/plain")),
            "an empty body (text/plain)"
        );
        // A title cut inside a character, and entities out of range, do not panic.
        let long = format!("<title>{}</title>", "é".repeat(200));
        assert_eq!(
            describe_body(long.as_bytes(), None),
            format!("an HTML page titled \"{}\"", "é".repeat(60))
        );
        assert_eq!(
            decode_entities("&#xFFFFFFFF; &#9999999999; &bogus"),
            "&#xFFFFFFFF; &#9999999999; &bogus"
        );
    }
}
