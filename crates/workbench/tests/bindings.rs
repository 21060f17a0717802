//! The TypeScript bindings in `ui/src/bindings/` are what the Rust types generate, file for
//! file. When a wire type changes, this fails until they are written again with
//! `UPDATE_BINDINGS=1 cargo test -p quarry-workbench --test bindings`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), text);
            }
        }
    }
    out
}

#[test]
fn the_ui_bindings_are_what_the_rust_types_generate() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings");
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed);
        std::fs::create_dir_all(&committed).unwrap();
        quarry_workbench::bindings::write(&committed).unwrap();
        return;
    }
    let fresh = tempfile::tempdir().unwrap();
    quarry_workbench::bindings::write(fresh.path()).unwrap();
    let (want, have) = (files(fresh.path()), files(&committed));
    let stale: Vec<String> = want
        .keys()
        .chain(have.keys())
        .filter(|k| want.get(*k) != have.get(*k))
        .map(|k| k.display().to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/bindings is stale ({}); write it again with \
         `UPDATE_BINDINGS=1 cargo test -p quarry-workbench --test bindings`",
        stale.join(", ")
    );
    // The map of results names every command.
    let results = &want[Path::new("CommandResults.ts")];
    for cmd in [
        "list_providers",
        "start_run",
        "run_events",
        "set_key",
        "save_settings",
    ] {
        assert!(
            results.contains(&format!("  {cmd}: ")),
            "{cmd} missing:\n{results}"
        );
    }
}
