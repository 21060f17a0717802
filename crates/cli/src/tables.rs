//! Reference tables printed by `quarry providers` and `quarry modes` (README's tables come from
//! these, so the docs cannot drift from the code).

use std::fmt::Write as _;

use quarry_engine::provider::registry::{self, Wire};
use quarry_engine::{Mode, ModeName};

pub fn providers() -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| provider | protocol | base URL | credentials | default mode | modes | constrained to the schema (local servers) |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for p in registry::all() {
        let base = match p.base_url_env {
            Some((var, suffix)) => format!("${var}{suffix}"),
            // Vertex AI's root is regional.
            None if p.wire == Wire::Vertex => {
                "https://$GOOGLE_CLOUD_LOCATION-aiplatform.googleapis.com".to_string()
            }
            None if p.wire == Wire::Bedrock => {
                "https://bedrock-runtime.$AWS_REGION.amazonaws.com".to_string()
            }
            None => p.base_url.to_string(),
        };
        let key = match (p.wire, p.alt_key_env) {
            (Wire::Vertex, _) => format!("{}, or Application Default Credentials", p.key_env),
            (Wire::Bedrock, _) => {
                "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (AWS_SESSION_TOKEN), or the AWS profile"
                    .to_string()
            }
            (_, Some(alt)) => format!("{} or {alt}", p.key_env),
            _ if p.key_required => p.key_env.to_string(),
            _ => format!("{} (optional)", p.key_env),
        };
        let modes: Vec<&str> = p.modes.iter().map(|m| m.as_str()).collect();
        let constrained: Vec<&str> = p.constrained.iter().map(|m| m.as_str()).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            p.name,
            p.wire.name(),
            base,
            key,
            p.default_mode,
            modes.join(", "),
            if constrained.is_empty() {
                "—".to_string()
            } else {
                constrained.join(", ")
            }
        );
    }
    out
}

/// Both mode tables: what each mode sends and where the answer is read, then instructor's
/// names.
pub fn modes() -> String {
    format!("{}\n{}", mode_wire(), mode_names())
}

/// What each mode sends and reads, per protocol (only the modes a protocol has).
pub fn mode_wire() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| protocol | mode | request | answer read from |");
    let _ = writeln!(out, "|---|---|---|---|");
    for preset in registry::one_per_wire() {
        let protocol = preset.wire.name();
        for mode in Mode::ALL {
            if let Some((request, answer)) = registry::describe(preset.wire, mode) {
                let _ = writeln!(out, "| {protocol} | `{mode}` | {request} | {answer} |");
            }
        }
    }
    out
}

pub fn mode_names() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| instructor name | quarry mode | provider |");
    let _ = writeln!(out, "|---|---|---|");
    for m in ModeName::all() {
        let provider = m
            .family
            .map_or("any OpenAI-protocol provider", |f| f.provider());
        let _ = writeln!(out, "| {} | {} | {provider} |", m.instructor_name, m.mode);
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
