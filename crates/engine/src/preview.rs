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
    pub prompt_tokens: TokenEstimate,
}

/// How many tokens the prompt comes to, and how that was worked out.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct TokenEstimate {
    #[ts(type = "number")]
    pub count: u64,
    /// True when counted with the model's own tokenizer, false for a rough estimate.
    pub tokenizer: bool,
    /// How it was counted, in words.
    pub method: String,
}

/// The prompt's tokens: with the model's tokenizer for OpenAI models in the chat format
/// (OpenAI's published rule: each message costs its text plus 3 tokens, the reply 3 more; the
/// schema is counted as its JSON, though OpenAI frames tool definitions its own way), else
/// about 4 characters per token over the whole body. Reading a tokenizer's table the first
/// time takes a while: call it off the async runtime.
pub(crate) fn prompt_tokens(
    model: &str,
    body: &serde_json::Value,
    body_text: &str,
) -> TokenEstimate {
    use tiktoken_rs::tokenizer::{Tokenizer, get_tokenizer};
    let messages = body.get("messages").and_then(|m| m.as_array());
    let (Some(messages), Some(tokenizer)) = (messages, get_tokenizer(model)) else {
        return TokenEstimate {
            count: body_text.chars().count().div_ceil(4) as u64,
            tokenizer: false,
            method: "estimate: about 4 characters per token over the request body (no tokenizer is known for this model)".into(),
        };
    };
    let name = match tokenizer {
        Tokenizer::O200kHarmony => "o200k_harmony",
        Tokenizer::O200kBase => "o200k_base",
        Tokenizer::Cl100kBase => "cl100k_base",
        Tokenizer::P50kBase | Tokenizer::P50kEdit => "p50k_base",
        Tokenizer::R50kBase | Tokenizer::Gpt2 => "r50k_base",
    };
    let bpe = tiktoken_rs::bpe_for_tokenizer(tokenizer).expect("the tokenizers are built in");
    let count = |text: &str| bpe.encode_ordinary(text).len() as u64;
    let mut total = 3;
    for message in messages {
        total += 3;
        if let Some(role) = message.get("role").and_then(|r| r.as_str()) {
            total += count(role);
        }
        match message.get("content") {
            Some(serde_json::Value::String(text)) => total += count(text),
            Some(serde_json::Value::Array(parts)) => {
                for part in parts {
                    if let Some(text) = part.get("text").and_then(|t| t.as_str()) {
                        total += count(text);
                    }
                }
            }
            _ => {}
        }
    }
    for key in ["tools", "functions", "response_format"] {
        if let Some(schema) = body.get(key) {
            total += count(&schema.to_string());
        }
    }
    TokenEstimate {
        count: total,
        tokenizer: true,
        method: format!(
            "{name}, {model}'s tokenizer, over the messages' text and the schema's JSON (images and files are not counted; OpenAI frames tool definitions its own way, so the bill may differ by a few tokens)"
        ),
    }
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
    if body.len() <= MAX_ARGUMENT_BYTES {
        lines.push(format!("--data-binary {}", shell_quote(body)));
        return lines.join(" \\\n  ");
    }
    // Linux refuses a single program argument over 128 KiB (a PDF inline makes one): the body
    // goes through printf, a shell builtin that no such limit applies to, and curl reads it
    // from its input, byte for byte.
    lines.push("--data-binary @-".into());
    format!(
        "printf '%s' {} |\n  {}",
        shell_quote(body),
        lines.join(" \\\n  ")
    )
}

/// Below Linux's 128 KiB limit on one program argument (MAX_ARG_STRLEN), with room for quoting.
const MAX_ARGUMENT_BYTES: usize = 100_000;

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
    fn openai_models_are_counted_with_their_tokenizer_and_others_estimated() {
        let body = serde_json::json!({"messages": [{"role": "user", "content": "hello world"}]});
        let counted = prompt_tokens("gpt-4o-mini", &body, &body.to_string());
        // "hello world" is 2 tokens in o200k_base, "user" 1; 3 per message and 3 for the reply.
        assert_eq!((counted.count, counted.tokenizer), (9, true));
        assert!(counted.method.starts_with("o200k_base"));
        let text = body.to_string();
        let estimated = prompt_tokens("llama3.1", &body, &text);
        assert_eq!(estimated.count, text.len().div_ceil(4) as u64);
        assert!(!estimated.tokenizer && estimated.method.starts_with("estimate"));
    }

    #[test]
    fn a_body_too_long_for_one_argument_goes_through_printf() {
        let body = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_ARGUMENT_BYTES));
        let cmd = curl("http://h/v1/x", &[], &[], &body, false);
        assert!(
            cmd.starts_with("printf '%s' '{\"a\":\"xxx"),
            "{}",
            &cmd[..40]
        );
        assert!(cmd.ends_with("|\n  curl 'http://h/v1/x' \\\n  -H 'content-type: application/json' \\\n  --data-binary @-"));
    }

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
