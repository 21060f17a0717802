//! Reference tables printed by `quarry providers` and `quarry modes` (README's tables come from
//! these, so the docs cannot drift from the code).

use std::fmt::Write as _;

use quarry_engine::ModeName;
use quarry_engine::provider::presets::PRESETS;

pub fn providers() -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| provider | base URL | key variable | default mode | modes |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for p in PRESETS {
        let base = match p.base_url_env {
            Some((var, suffix)) => format!("${var}{suffix}"),
            None => p.base_url.to_string(),
        };
        let key = if p.key_required {
            p.key_env.to_string()
        } else {
            format!("{} (optional)", p.key_env)
        };
        let modes: Vec<&str> = p.modes.iter().map(|m| m.as_str()).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            p.name,
            base,
            key,
            p.default_mode,
            modes.join(", ")
        );
    }
    out
}

/// Both mode tables: what each mode sends and where the answer is read, then instructor's
/// names.
pub fn modes() -> String {
    format!("{}\n{}", mode_wire(), mode_names())
}

pub fn mode_wire() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| mode | request | answer read from |");
    let _ = writeln!(out, "|---|---|---|");
    for mode in quarry_engine::Mode::ALL {
        if let Some((request, answer)) = quarry_engine::provider::openai::describe(mode) {
            let _ = writeln!(out, "| `{mode}` | {request} | {answer} |");
        }
    }
    out
}

pub fn mode_names() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| instructor name | quarry mode | provider |");
    let _ = writeln!(out, "|---|---|---|");
    for m in ModeName::all() {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            m.instructor_name,
            m.mode,
            m.family
                .map_or("any OpenAI-protocol provider", |f| f.provider())
        );
    }
    out
}

pub fn schema_title(schema: &str) -> String {
    serde_json::from_str::<serde_json::Value>(schema)
        .ok()
        .and_then(|v| {
            v.get("description")
                .and_then(|d| d.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default()
}
