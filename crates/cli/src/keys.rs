//! `quarry keys …`: API keys in the OS keychain. Keys are read from stdin or a hidden prompt,
//! never from the command line (where shell history and `ps` would see them).

use std::io::{IsTerminal, Read};

use clap::Subcommand;
use quarry_engine::ApiKey;
use quarry_engine::provider::registry;
use quarry_store::secrets::{self, KeyLocation};

use crate::report::Failure;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Store a provider's key (read from stdin, or asked for without echo on a terminal).
    Set { provider: String },
    /// Every provider and where its key comes from (never the key).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a provider's key from the keychain.
    Delete { provider: String },
}

fn preset(name: &str) -> Result<&'static registry::Preset, Failure> {
    registry::find(name).ok_or_else(|| {
        Failure::input(
            format!("unknown provider `{name}`"),
            format!("use one of: {}", registry::names().join(", ")),
        )
    })
}

fn keychain_failure(e: secrets::SecretError, env_var: &str) -> Failure {
    Failure::input(e.to_string(), e.hint(env_var))
}

pub fn run(cmd: KeysCommand) -> i32 {
    match execute(cmd) {
        Ok(()) => 0,
        Err(f) => {
            eprint!("{}", f.render());
            f.exit_code()
        }
    }
}

fn execute(cmd: KeysCommand) -> Result<(), Failure> {
    match cmd {
        KeysCommand::Set { provider } => {
            let p = preset(&provider)?;
            let key = if std::io::stdin().is_terminal() {
                rpassword::prompt_password(format!("API key for {}: ", p.name)).map_err(|e| {
                    Failure::input(
                        format!("cannot read the key: {e}"),
                        "pipe it in: quarry keys set PROVIDER < key.txt",
                    )
                })?
            } else {
                // No key is this long; reading `< /dev/zero` must end, not fill memory.
                const MAX_KEY: u64 = 64 * 1024;
                let mut text = String::new();
                std::io::stdin()
                    .take(MAX_KEY + 1)
                    .read_to_string(&mut text)
                    .map_err(|e| {
                        Failure::input(
                            format!("cannot read the key from stdin: {e}"),
                            "pipe the key in (as text)",
                        )
                    })?;
                if text.len() as u64 > MAX_KEY {
                    return Err(Failure::input(
                        "the key on stdin is longer than 64 KiB",
                        "pipe only the key in",
                    ));
                }
                text
            };
            let key = key.trim();
            if let Some(problem) = ApiKey::new(key).problem().filter(|_| !key.is_empty()) {
                return Err(Failure::input(
                    format!("the key {problem}, so it could not be sent to {}", p.name),
                    "store the key alone, as it was given to you",
                ));
            }
            if key.is_empty() {
                return Err(Failure::input(
                    "no key was given",
                    format!(
                        "type or pipe the key: echo \"$KEY\" | quarry keys set {}",
                        p.name
                    ),
                ));
            }
            secrets::set_key(p.name, &ApiKey::new(key))
                .map_err(|e| keychain_failure(e, p.key_env))?;
            eprintln!("quarry: stored the {} key in the OS keychain", p.name);
        }
        KeysCommand::List { json } => {
            let mut rows = Vec::new();
            let mut unreachable = None;
            for p in registry::all() {
                let (location, error) = secrets::locate(p.name, &p.key_envs());
                if let Some(e) = error {
                    unreachable.get_or_insert(e);
                }
                rows.push((p, location));
            }
            if json {
                let list: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|(p, l)| {
                        serde_json::json!({"provider": p.name, "env_var": p.key_env,
                                           "required": p.key_required, "source": l})
                    })
                    .collect();
                crate::out(serde_json::to_string_pretty(&list).unwrap_or_default());
            } else {
                crate::out(format!("{:<14} {:<22} source", "provider", "variable"));
                for (p, l) in &rows {
                    let source = match l {
                        KeyLocation::Keychain => "keychain".to_string(),
                        KeyLocation::Environment(v) => format!("environment ({v})"),
                        KeyLocation::Missing if !p.key_required => "none (not needed)".to_string(),
                        KeyLocation::Missing => "missing".to_string(),
                    };
                    crate::out(format!("{:<14} {:<22} {source}", p.name, p.key_env));
                }
            }
            if let Some(e) = unreachable {
                eprintln!("quarry: {e}; only environment variables were checked");
            }
        }
        KeysCommand::Delete { provider } => {
            let p = preset(&provider)?;
            let removed =
                secrets::delete_key(p.name).map_err(|e| keychain_failure(e, p.key_env))?;
            if removed {
                eprintln!("quarry: removed the {} key from the OS keychain", p.name);
            } else {
                eprintln!("quarry: the keychain held no {} key", p.name);
            }
        }
    }
    Ok(())
}
