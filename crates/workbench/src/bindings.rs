//! The UI's wire types in TypeScript, generated from the Rust types (ts-rs): every command and
//! its arguments, every result, run events, changes, field states and errors. Written to
//! `ui/src/bindings/` by `UPDATE_BINDINGS=1 cargo test -p quarry-workbench --test bindings`;
//! the same test fails when the files there are stale.

use std::path::Path;

/// Writes every declaration to `dir` (one file per type, as ts-rs lays them out), the map of
/// command results, and an `index.ts` that re-exports all of them.
pub fn write(dir: &Path) -> std::io::Result<()> {
    let cfg = ts_rs::Config::new()
        .with_out_dir(dir)
        // Token counts and sequence numbers are u64 in Rust but JSON numbers on the wire.
        .with_large_int("number");
    crate::command::export_all(&cfg).map_err(std::io::Error::other)?;
    std::fs::write(
        dir.join("CommandResults.ts"),
        format!("{NOTE}{}", crate::command::command_results(&cfg)),
    )?;
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    let mut index = String::from(NOTE);
    for f in files.iter().filter(|f| f.as_str() != "index") {
        index.push_str(&format!("export type * from \"./{f}\";\n"));
    }
    std::fs::write(dir.join("index.ts"), index)
}

const NOTE: &str =
    "// Generated from the Rust types by quarry-workbench (src/bindings.rs). Do not edit.\n";

/// Paths (without `.ts`) of the declaration files under `dir`, relative to `root`.
fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "ts") {
            let rel = path.strip_prefix(root).unwrap_or(&path).with_extension("");
            out.push(rel.display().to_string());
        }
    }
    Ok(())
}
