//! Transport retries, separate from re-asks: rate limits (429), server errors (5xx), request
//! timeouts (408), connection resets and timeouts are retried with exponential backoff and
//! jitter, honouring `Retry-After`; client errors and exhausted quota are not.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_TIMEOUT, seconds};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct TransportRetry {
    /// Retries after the first try (so `max_retries + 1` sends at most).
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    #[serde(with = "millis")]
    #[ts(type = "number")]
    pub initial_backoff: Duration,
    /// The longest single wait, also the longest `Retry-After` honoured: a provider asking
    /// for more is reported rather than waited for.
    #[serde(with = "millis")]
    #[ts(type = "number")]
    pub max_backoff: Duration,
    /// How long to wait for an answer before the try counts as a (retryable) timeout: the
    /// whole body of a plain answer; for a stream, its start and then any silence between
    /// two pieces.
    #[serde(with = "millis")]
    #[ts(type = "number")]
    pub request_timeout: Duration,
    /// No retry starts later than this after the attempt's first send.
    #[serde(with = "millis")]
    #[ts(type = "number")]
    pub max_elapsed: Duration,
}

impl Default for TransportRetry {
    fn default() -> Self {
        TransportRetry {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            // An interactive tool should say within two minutes that a server is not answering;
            // slow models get a longer one from the caller.
            request_timeout: Duration::from_secs(120),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// Whether an HTTP status is worth another try.
pub fn status_is_retryable(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..=599).contains(&status)
}

/// Providers answer 429 both for "slow down" and for "your quota is used up"; only the first
/// goes away by waiting.
pub fn is_quota_exhausted(body: &str) -> bool {
    body.contains("insufficient_quota")
        || body.contains("quota_exceeded")
        || body.contains("billing_hard_limit_reached")
        || body.contains("RESOURCE_EXHAUSTED\",\"details\"")
}

impl TransportRetry {
    /// No transport retries at all.
    pub fn none() -> Self {
        TransportRetry {
            max_retries: 0,
            ..Default::default()
        }
    }

    /// The wait before retry number `retry` (1-based): exponential with "equal jitter"
    /// (half fixed, half random) so that concurrent clients spread out but never retry at once.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        let capped = exp.min(self.max_backoff);
        let half = capped / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// The wait before retry `retry`, preferring the provider's `Retry-After`. `None` when the
    /// provider asks for longer than `max_backoff`.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(d) if d > self.max_backoff => None,
            Some(d) => Some(d),
            None => Some(self.backoff(retry)),
        }
    }
}

/// Parses `retry-after-ms` (OpenAI), then `Retry-After` as seconds or as an HTTP date. A
/// wait longer than [`MAX_TIMEOUT`] (`1e20`, say) counts as that long: it is reported, never
/// waited for, and never turned into an out-of-range duration.
pub fn parse_retry_after(
    retry_after_ms: Option<&str>,
    retry_after: Option<&str>,
) -> Option<Duration> {
    let secs = |v: f64| (!v.is_nan() && v >= 0.0).then(|| seconds(v).unwrap_or(MAX_TIMEOUT));
    if let Some(d) = retry_after_ms
        .and_then(|v| v.trim().parse::<f64>().ok())
        .and_then(|ms| secs(ms / 1e3))
    {
        return Some(d);
    }
    let v = retry_after?.trim();
    if let Ok(n) = v.parse::<f64>() {
        return secs(n);
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
            .min(MAX_TIMEOUT),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = TransportRetry {
            max_retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            ..TransportRetry::default()
        };
        for _ in 0..100 {
            let b1 = p.backoff(1);
            assert!(b1 >= Duration::from_millis(50) && b1 <= Duration::from_millis(100));
            let b3 = p.backoff(3);
            assert!(b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400));
            assert!(p.backoff(30) <= Duration::from_millis(1000));
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            parse_retry_after(None, Some("2")),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            parse_retry_after(Some("150"), Some("9")),
            Some(Duration::from_millis(150))
        );
        let future = SystemTime::now() + Duration::from_secs(5);
        let d = parse_retry_after(None, Some(&httpdate::fmt_http_date(future))).unwrap();
        assert!(
            d <= Duration::from_secs(5) && d >= Duration::from_secs(3),
            "{d:?}"
        );
        let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH);
        assert_eq!(parse_retry_after(None, Some(&past)), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(None, Some("soon")), None);
    }

    #[test]
    fn retry_after_beyond_any_duration_is_capped_not_a_panic() {
        for v in ["1e20", "1e300", "inf", "99999999999999999999999"] {
            assert_eq!(parse_retry_after(None, Some(v)), Some(MAX_TIMEOUT), "{v}");
            assert_eq!(parse_retry_after(Some(v), None), Some(MAX_TIMEOUT), "{v}");
        }
        assert_eq!(parse_retry_after(None, Some("-5")), None);
        assert_eq!(parse_retry_after(None, Some("NaN")), None);
        assert_eq!(
            TransportRetry::default().delay(1, parse_retry_after(None, Some("1e20"))),
            None
        );
    }

    #[test]
    fn long_retry_after_is_not_waited_for() {
        let p = TransportRetry::default();
        assert_eq!(p.delay(1, Some(Duration::from_secs(3600))), None);
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(1))),
            Some(Duration::from_secs(1))
        );
    }

    #[test]
    fn classification() {
        assert!(status_is_retryable(429) && status_is_retryable(503) && status_is_retryable(408));
        assert!(
            !status_is_retryable(400) && !status_is_retryable(401) && !status_is_retryable(404)
        );
        assert!(is_quota_exhausted(
            r#"{"error":{"code":"insufficient_quota"}}"#
        ));
        assert!(!is_quota_exhausted(
            r#"{"error":{"code":"rate_limit_exceeded"}}"#
        ));
    }
}
