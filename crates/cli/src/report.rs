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
                } else if let Some(setting) = error.setting() {
                    let _ = writeln!(out, "  in: {}", flag(setting));
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
                if let Some(try_this) = with_flags(error) {
                    let _ = writeln!(out, "  try: {try_this}");
                }
            }
        }
        out
    }
}

/// The flag (or place) a setting comes from on the command line. The engine's hints name
/// settings, never flags: this is where the CLI words them.
fn flag(setting: Setting) -> &'static str {
    match setting {
        Setting::Provider => "--provider",
        Setting::Model => "--provider PROVIDER/MODEL",
        Setting::Mode => "--mode",
        Setting::Schema => "--schema",
        Setting::Messages => "--prompt / --system",
        Setting::Variables => "--var / --var-json",
        Setting::Files => "--file / --image",
        Setting::ApiKey => "the API key (keychain, or the key variable / --api-key-env)",
        Setting::BaseUrl => "--base-url",
        Setting::Headers => "--header",
        Setting::ExtraBody => "--extra",
        Setting::Timeout => "--timeout",
        Setting::RequestTimeout => "--request-timeout",
        Setting::MaxRetries => "--max-retries",
        Setting::MaxTokens => "--max-tokens",
        Setting::Sampling => "--temperature / --top-p",
        Setting::Stream => "--stream",
        Setting::Database => "--db (or QUARRY_DB)",
    }
}

/// The fix in the CLI's own words, where a command line says it best.
fn with_flags(error: &Error) -> Option<String> {
    use quarry_engine::template::TemplateError;
    Some(match error {
        Error::MissingApiKey {
            provider,
            env_var,
            keychain: true,
        } => format!("quarry keys set {provider}   (or: export {env_var}=...)"),
        Error::MissingApiKey { env_var, .. } => {
            format!("export {env_var}=...   (or --api-key-env NAME to read another variable)")
        }
        Error::MissingBaseUrl { env_var, .. } => {
            format!("export {env_var}=https://...   (or --base-url URL)")
        }
        Error::Template(TemplateError::Undefined { name, .. }) => {
            let root = name.split(['.', '[']).next().unwrap_or(name);
            format!("--var {root}=VALUE")
        }
        Error::UnknownProvider { .. } => "--provider openai/MODEL --base-url URL".into(),
        Error::Timeout { .. } => "--timeout SECS with more seconds".into(),
        Error::IncompleteOutput { .. } => "--max-tokens N with a larger N".into(),
        Error::RetriesExhausted(_) => "--max-retries N with a larger N".into(),
        _ => return None,
    })
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
