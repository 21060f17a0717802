//! `quarry models`: the local model servers running here, their models and what each
//! supports (see `quarry_engine::discover`).

use quarry_engine::discover::LocalServer;

use crate::report::Failure;

#[derive(clap::Args)]
pub struct ModelsArgs {
    /// Only this server: ollama, llamacpp, vllm or lmstudio.
    #[arg(long, value_name = "SERVER")]
    provider: Option<String>,
    /// Where that server runs, if not on its default port.
    #[arg(long, value_name = "URL", requires = "provider")]
    base_url: Option<String>,
    /// Print the servers and models as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: ModelsArgs) -> i32 {
    match list(&args) {
        Ok(servers) => {
            if args.json {
                crate::out(serde_json::to_string_pretty(&servers).unwrap_or_default());
            } else {
                crate::out(table(&servers).trim_end());
            }
            0
        }
        Err(f) => {
            eprint!("{}", f.render());
            f.exit_code()
        }
    }
}

fn list(args: &ModelsArgs) -> Result<Vec<LocalServer>, Failure> {
    let client = quarry_engine::Client::new();
    crate::runtime()?
        .block_on(client.discover_local(args.provider.as_deref(), args.base_url.as_deref()))
        .map_err(Failure::from)
}

fn yes_no(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    }
}

fn table(servers: &[LocalServer]) -> String {
    let mut out = String::new();
    for s in servers {
        let constrained: Vec<&str> = s.constrained.iter().map(|m| m.as_str()).collect();
        if !s.running {
            out += &format!(
                "{:<9} {}  not running; start it: {}\n",
                s.provider, s.base_url, s.start
            );
            continue;
        }
        out += &format!(
            "{:<9} {}  running, {} model(s); schema-constrained modes: {}\n",
            s.provider,
            s.base_url,
            s.models.len(),
            constrained.join(", ")
        );
        if let Some(problem) = &s.problem {
            out += &format!("          but: {problem}\n");
        }
        for m in &s.models {
            out += &format!(
                "  {}/{:<40} tools: {:<3} vision: {:<3} {}\n",
                s.provider,
                m.id,
                yes_no(m.tools),
                yes_no(m.vision),
                m.details.as_deref().unwrap_or("")
            );
        }
    }
    if servers.iter().all(|s| !s.running) {
        out += "\nNo local model server is running. Start one of the above, or name another address with --provider SERVER --base-url URL.\n";
    } else {
        out += "\n(? = the server does not say)\n";
    }
    out
}
