//! How errors reach a person: what happened, where, how to fix it — and, for a run that never
//! validated, what every attempt said.

use std::fmt::Write as _;

use quarry_engine::{Error, ErrorKind, Setting};

/// The exit code for an error class (documented in README and `quarry --help`).
pub fn exit_code(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::BadInput => 2,
        ErrorKind::Provider => 3,
        ErrorKind::Invalid => 4,
        ErrorKind::Incomplete => 5,
        // As a shell reports a command stopped by Ctrl-C.
        ErrorKind::Cancelled => 130,
    }
}

/// A CLI-level failure: an engine error, or bad input found before the engine ran.
pub enum Failure {
    Engine {
        error: Box<Error>,
        /// Where the problem is, when the CLI knows better than the engine (a file path).
        at: Option<String>,
    },
    Input {
        message: String,
        hint: String,
    },
    /// Already told to the user (beside a printed result); only the exit status is left.
    Reported {
        code: i32,
    },
}

impl Failure {
    pub fn input(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Failure::Input {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Engine { error, .. } => exit_code(error.kind()),
            Failure::Input { .. } => 2,
            Failure::Reported { code } => *code,
        }
    }

    /// The error as a person reads it on a terminal (control characters made visible: the
    /// messages quote what a provider sent).
    pub fn render(&self) -> String {
        crate::term::clean(&self.render_raw()).into_owned()
    }

    fn render_raw(&self) -> String {
        let mut out = String::new();
        match self {
            Failure::Input { message, hint } => {
                let _ = writeln!(out, "error: {message}");
                let _ = writeln!(out, "  fix: {hint}");
            }
            Failure::Reported { .. } => {}
            Failure::Engine { error, at } => {
                let _ = writeln!(out, "error[{}]: {error}", error.code());
                if let Some(at) = at {
                    let _ = writeln!(out, "  in: {at}");
                } else if let Error::InvalidSetting { setting, .. } = &**error {
                    let _ = writeln!(out, "  in: {}", flag(*setting));
                }
                if let Error::RetriesExhausted(ex) = &**error {
                    for a in &ex.failed_attempts {
                        let _ = writeln!(out, "  attempt {}:", a.number);
                        for line in a.error.lines() {
                            let _ = writeln!(out, "    {line}");
                        }
                        if let Some(raw) = &a.raw {
                            let _ = writeln!(out, "    answer: {}", clip(raw, 300));
                        }
                    }
                    let u = ex.usage;
                    let _ = writeln!(
                        out,
                        "  usage: {} prompt + {} completion = {} tokens",
                        u.prompt_tokens, u.completion_tokens, u.total_tokens
                    );
                }
                // What arrived before a stream broke or was cancelled is kept, and shown.
                let received = match &**error {
                    Error::IncompleteStream(b) | Error::StreamError(b) => Some(&b.partial),
                    Error::Cancelled { partial, .. } => partial.as_deref(),
                    Error::TooLarge(t) => Some(&t.partial),
                    _ => None,
                };
                if let Some(partial) = received.filter(|p| !p.is_null()) {
                    let _ = writeln!(out, "  received: {}", clip(&partial.to_string(), 500));
                }
                if let Error::Http { body, .. } = &**error
                    && !body.is_empty()
                {
                    let _ = writeln!(out, "  body: {}", clip(body, 500));
                }
                let _ = writeln!(out, "  fix: {}", error.hint());
            }
        }
        out
    }
}

/// The flag (or place) a setting comes from on the command line.
fn flag(setting: Setting) -> &'static str {
    match setting {
        Setting::ApiKey => "the API key (keychain, or the key variable / --api-key-env)",
        Setting::BaseUrl => "--base-url",
        Setting::Headers => "--header",
        Setting::ExtraBody => "--extra",
        Setting::Timeout => "--timeout",
        Setting::RequestTimeout => "--request-timeout",
        Setting::MaxRetries => "--max-retries",
        Setting::Sampling => "--temperature / --top-p",
        Setting::Stream => "--stream",
        Setting::Messages => "--prompt / --system",
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Engine {
            error: Box::new(error),
            at: None,
        }
    }
}

fn clip(s: &str, max: usize) -> String {
    let one_line = s.replace('\n', "\\n");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max).collect();
    format!("{cut}… ({} bytes)", s.len())
}
