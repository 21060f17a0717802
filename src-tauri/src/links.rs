//! Links out of the app. The window shows only the workbench: a link to a web page (a lint
//! rule's source, say) opens in the system's browser, as a desktop app's links do, instead of
//! replacing the workbench in the window (a plain link) or doing nothing (`target="_blank"`,
//! which WebKitGTK hands to the app as a new-window request).

use tauri::Url;

/// Whether `url` is a page outside the app: http(s) or mail, not the app's own origin (which
/// is `tauri://localhost` on Linux and macOS, `http://tauri.localhost` on Windows).
pub fn is_outside(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https" | "mailto")
        && !matches!(url.host_str(), Some("tauri.localhost" | "ipc.localhost"))
}

/// Opens `url` with the system's handler (`xdg-open` on Linux), without waiting for it. A
/// failure is said on stderr (the click has no other place to report it), with any
/// credentials in the address masked.
pub fn open_outside(url: &Url) {
    if let Err(e) = open::that_detached(url.as_str()) {
        let shown = quarry_engine::transport::redact_url(url.as_str());
        eprintln!("quarry-desktop: could not open {shown} in the system's browser: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_pages_are_outside_and_the_app_is_not() {
        let outside = |u: &str| is_outside(&Url::parse(u).unwrap());
        assert!(outside(
            "https://platform.openai.com/docs/guides/structured-outputs"
        ));
        assert!(outside("http://example.org/"));
        assert!(outside("mailto:someone@example.org"));
        assert!(!outside("tauri://localhost/index.html"));
        assert!(!outside("http://tauri.localhost/"));
        assert!(!outside("http://ipc.localhost/rpc"));
        assert!(!outside("about:blank"));
        assert!(!outside("data:text/plain,x"));
    }
}
