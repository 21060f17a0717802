//! How errors reach a person: what happened, where, how to fix it — and, for a run that never
//! validated, what every attempt said.

use std::fmt::Write as _;

use quarry_engine::{Error, ErrorKind};

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
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        match self {
            Failure::Input { message, hint } => {
                let _ = writeln!(out, "error: {message}");
                let _ = writeln!(out, "  fix: {hint}");
            }
            Failure::Engine { error, at } => {
                let _ = writeln!(out, "error[{}]: {error}", error.code());
                if let Some(at) = at {
                    let _ = writeln!(out, "  in: {at}");
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
