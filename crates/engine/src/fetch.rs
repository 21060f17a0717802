//! Fetching a file the user gave by address, for a provider that cannot fetch it itself.
//! Quarry fetches on the user's behalf only over http(s), only from public addresses: a
//! prompt (or a template variable someone else filled in) must not make Quarry read
//! `file:` paths, a service on this machine, the local network or a cloud metadata endpoint.
//! Every address a name resolves to is checked, the connection is pinned to the checked
//! addresses (a second DNS answer cannot swap in a private one), redirects are followed by
//! hand and checked again, no proxy is used, and the body is capped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::Url;

use crate::error::{Error, Setting};
use crate::limits::{self, human_bytes};

/// Which addresses a fetch may reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Also loopback, private and link-local addresses. Off unless a caller turns it on
    /// (the engine's tests do, to fetch from a server they start on 127.0.0.1).
    pub allow_private: bool,
}

const MAX_REDIRECTS: usize = 5;
const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

fn fetch_error(message: String, hint: impl Into<String>) -> Error {
    Error::InvalidSetting {
        setting: Setting::Files,
        message,
        hint: hint.into(),
    }
}

/// `url` parsed, when it is an http(s) address without credentials in it.
pub fn check_scheme(url: &str, label: &str) -> Result<Url, Error> {
    let parsed = Url::parse(url).map_err(|e| {
        fetch_error(
            format!("`{label}` is neither a file nor an address: {e}"),
            "attach the file itself, or give an http(s):// address",
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(fetch_error(
            format!(
                "`{label}` is a `{}:` address; files are attached inline or by http(s) address",
                parsed.scheme()
            ),
            "attach the file itself (in the CLI: --file PATH)",
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(fetch_error(
            "the address of an attached file carries a user name or password".into(),
            "remove the credentials from the address; Quarry does not send them to fetch files",
        ));
    }
    Ok(parsed)
}

/// Whether Quarry may connect to `ip` on a user's behalf: not loopback, private, link-local,
/// shared (CGNAT), unspecified, broadcast, multicast, documentation or reserved, also when
/// the address is an IPv4 address wrapped in IPv6.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public_v4(v4);
            }
            let seg = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
                || (seg[0] == 0x0100 && seg[1..4] == [0, 0, 0])) // discard-only 100::/64
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

/// The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 or 6to4 address: a
/// connection to it reaches (or may reach) that IPv4 address.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let seg = v6.segments();
    let o = v6.octets();
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    if seg[..6] == [0; 6] && !v6.is_loopback() && !v6.is_unspecified() {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15])); // ::a.b.c.d
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15])); // NAT64
    }
    if seg[0] == 0x2002 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5])); // 6to4
    }
    None
}

/// The addresses `url`'s host resolves to, all of them public (unless the policy allows
/// others).
async fn checked_addresses(
    url: &Url,
    policy: FetchPolicy,
    label: &str,
) -> Result<(String, Vec<SocketAddr>), Error> {
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|e| {
                fetch_error(
                    format!("cannot fetch `{label}`: the name `{host}` does not resolve ({e})"),
                    "check the address, or attach the file itself",
                )
            })?
            .collect(),
    };
    if !policy.allow_private
        && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip()))
    {
        return Err(fetch_error(
            format!(
                "Quarry does not fetch `{label}`: `{host}` is {}, not a public address",
                bad.ip()
            ),
            "attach the file itself; Quarry fetches files only from public internet addresses",
        ));
    }
    if addrs.is_empty() {
        return Err(fetch_error(
            format!("cannot fetch `{label}`: the name `{host}` has no address"),
            "check the address, or attach the file itself",
        ));
    }
    Ok((host, addrs))
}

/// The body at `url` (at most `max_bytes`), fetched with the checks above.
pub async fn get(
    url: &Url,
    max_bytes: u64,
    policy: FetchPolicy,
    label: &str,
) -> Result<Vec<u8>, Error> {
    let failed = |what: String| {
        fetch_error(
            format!("cannot fetch `{label}`: {what}"),
            "check the address, or download the file and attach it",
        )
    };
    let mut url = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let (host, addrs) = checked_addresses(&url, policy, label).await?;
        let tls = crate::tls::client_config().map_err(&failed)?;
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .user_agent(concat!("quarry/", env!("CARGO_PKG_VERSION")));
        if host.parse::<IpAddr>().is_err() && !host.starts_with('[') {
            builder = builder.resolve_to_addrs(&host, &addrs);
        }
        let client = builder
            .build()
            .map_err(|e| failed(format!("no HTTP client: {e}")))?;
        let mut response = client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| failed(describe(&e)))?;
        let status = response.status();
        if status.is_redirection() {
            let next = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|loc| url.join(loc).ok())
                .ok_or_else(|| failed(format!("{status} without a usable Location")))?;
            url = check_scheme(next.as_str(), label)?;
            continue;
        }
        if !status.is_success() {
            return Err(failed(format!("the server answered {status}")));
        }
        if let Some(len) = response.content_length()
            && len > max_bytes
        {
            return Err(too_large(label, len, max_bytes));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| failed(describe(&e)))? {
            if (body.len() + chunk.len()) as u64 > max_bytes {
                return Err(too_large(
                    label,
                    (body.len() + chunk.len()) as u64,
                    max_bytes,
                ));
            }
            body.extend_from_slice(&chunk);
        }
        return Ok(body);
    }
    Err(failed(format!("more than {MAX_REDIRECTS} redirects")))
}

/// A reqwest error with its causes ("error sending request: connection refused").
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

fn too_large(label: &str, size: u64, max: u64) -> Error {
    fetch_error(
        format!(
            "`{label}` is larger than {} (at least {})",
            human_bytes(max),
            human_bytes(size)
        ),
        "attach a smaller file",
    )
}

/// Shown in errors: the address without its query (which may carry a token).
pub fn shown(url: &str) -> &str {
    limits::clip(url.split(['?', '#']).next().unwrap_or(url), 120)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_special_addresses_are_refused() {
        for s in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2002:c0a8:0101::1",
            "100::1",
        ] {
            assert!(!is_public(ip(s)), "{s} must be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
        ] {
            assert!(is_public(ip(s)), "{s} must be allowed");
        }
    }

    #[test]
    fn only_http_addresses_without_credentials_are_taken() {
        for bad in [
            "file:///etc/passwd",
            "ftp://example.com/a.pdf",
            "gopher://x",
            "javascript:alert(1)",
            "not a url",
            "https://user:pw@example.com/a.pdf",
        ] {
            let e = check_scheme(bad, "f").unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::InvalidSetting {
                        setting: Setting::Files,
                        ..
                    }
                ),
                "{bad}"
            );
        }
        assert!(check_scheme("https://example.com/a.pdf", "f").is_ok());
    }

    #[tokio::test]
    async fn loopback_names_and_literals_are_refused_before_connecting() {
        for url in [
            "http://127.0.0.1:9/a.pdf",
            "http://[::1]:9/a.pdf",
            "http://localhost:9/a.pdf",
            "http://0x7f000001:9/a.pdf",
        ] {
            let parsed = check_scheme(url, "f").unwrap();
            let e = get(&parsed, 10, FetchPolicy::default(), url)
                .await
                .unwrap_err();
            assert!(e.to_string().contains("not a public address"), "{url}: {e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn mapped_addresses_are_judged_as_their_ipv4(a: u8, b: u8, c: u8, d: u8) {
            let v4 = Ipv4Addr::new(a, b, c, d);
            proptest::prop_assert_eq!(is_public(IpAddr::V6(v4.to_ipv6_mapped())), is_public_v4(v4));
        }
    }
}
