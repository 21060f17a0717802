//! The UI, embedded in the binary when `ui/dist` was built before it; otherwise a page that
//! says how to build it.

use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};

#[cfg(ui_built)]
static DIST: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../ui/dist");

#[cfg(any(ui_built, test))]
fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// A strict policy: the page and its scripts come from this server only, and it talks to
/// this server only.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

#[cfg(ui_built)]
pub(crate) async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    // Unknown paths are the app's own routes: it takes them from index.html.
    let (path, file) = match DIST.get_file(path) {
        Some(f) if !path.is_empty() => (path, f),
        _ => match DIST.get_file("index.html") {
            Some(f) => ("index.html", f),
            None => return not_built(),
        },
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type(path)),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        file.contents(),
    )
        .into_response()
}

#[cfg(not(ui_built))]
pub(crate) async fn serve(_uri: Uri) -> Response {
    not_built()
}

fn not_built() -> Response {
    let page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Quarry: the UI is not built</title></head>\
        <body><h1>The UI is not built</h1><p>This <code>quarry</code> was compiled before <code>ui/dist</code> existed, so it serves the API only.</p>\
        <p>Build the UI, then Quarry: <code>cd ui &amp;&amp; npm ci &amp;&amp; npm run build</code>, then <code>cargo build -p quarry</code> \
        (or run <code>scripts/run serve</code>, which does both).</p></body></html>";
    (
        StatusCode::OK,
        [(header::CONTENT_SECURITY_POLICY, CSP)],
        Html(page),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_by_extension() {
        assert_eq!(
            content_type("assets/index-abc.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("x"), "application/octet-stream");
    }
}
