//! The exact request a run's first attempt sends, built by the same code and sent nowhere:
//! `quarry extract --dry-run` and the workbench's live preview. Secrets are masked as in the
//! run's events, and a curl command sends the same bytes with the credentials read from the
//! environment.

use serde::Serialize;

use crate::events::{RecordedRequest, RunEvent};
use crate::mode::Mode;

/// What [`crate::Client::preview`] returns.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct RequestPreview {
    /// `{method, url, headers, body}`, the shape of the `completion:kwargs` event's request.
    pub request: RecordedRequest,
    /// The body exactly as it is sent (byte for byte, but for masked secrets).
    pub body_text: String,
    /// The same request as a curl command for a POSIX shell.
    pub curl: String,
    pub mode: Mode,
    /// What the preview cannot show exactly, in words: headers made at each try, files that
    /// are fetched or converted when the run starts.
    pub notes: Vec<String>,
}

/// `text` in single quotes for a POSIX shell (a quote inside closes, escapes and reopens).
pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A curl command sending `body` to `url` with `headers` (masked values are left out: the
/// credentials come from `auth_args`, which read them from the environment).
pub(crate) fn curl(
    url: &str,
    headers: &[(String, String)],
    auth_args: &[String],
    body: &str,
    stream: bool,
) -> String {
    let mut lines = vec![format!("curl {}", shell_quote(url))];
    if stream {
        // Show events as they arrive rather than when curl's buffer fills.
        lines.push("--no-buffer".into());
    }
    lines.push(format!(
        "-H {}",
        shell_quote("content-type: application/json")
    ));
    for (name, value) in headers {
        if value.contains(crate::secret::REDACTED) {
            continue;
        }
        lines.push(format!("-H {}", shell_quote(&format!("{name}: {value}"))));
    }
    for pair in auth_args.chunks(2) {
        lines.push(pair.join(" "));
    }
    lines.push(format!("--data-binary {}", shell_quote(body)));
    lines.join(" \\\n  ")
}

/// Notes for the events a file's preparation emitted, and for files left at their address.
pub(crate) fn file_notes(events: &[RunEvent], unfetched: &[String]) -> Vec<String> {
    let mut notes: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::PdfText {
                document,
                pages,
                chars,
            } => Some(format!(
                "`{document}` is sent as its text ({pages} pages, {chars} characters): this provider does not read PDFs"
            )),
            _ => None,
        })
        .collect();
    notes.extend(unfetched.iter().map(|label| {
        format!("`{label}` is fetched when the run starts and sent inline; the preview shows its address")
    }));
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes_and_newlines() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("a\nb"), "'a\nb'");
    }

    #[test]
    fn masked_headers_are_left_to_the_credentials_arguments() {
        let headers = vec![
            ("authorization".to_string(), "<redacted>".to_string()),
            ("x-trace".to_string(), "a'b".to_string()),
        ];
        let auth = vec![
            "-H".to_string(),
            "\"authorization: Bearer $OPENAI_API_KEY\"".to_string(),
        ];
        let cmd = curl("http://h/v1/x", &headers, &auth, "{\"a\":1}", false);
        assert_eq!(
            cmd,
            "curl 'http://h/v1/x' \\\n  -H 'content-type: application/json' \\\n  -H 'x-trace: a'\\''b' \\\n  -H \"authorization: Bearer $OPENAI_API_KEY\" \\\n  --data-binary '{\"a\":1}'"
        );
    }
}
