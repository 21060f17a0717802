//! Embeds the built UI (`ui/dist`) when it exists; without it the server shows a page saying
//! how to build it, so `cargo test` works before the UI is built.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(ui_built)");
    // Read when the script runs, not when it was compiled: a target folder reused from another
    // checkout keeps the compiled script, which would look for the other checkout's UI.
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dist = std::path::Path::new(&manifest_dir).join("../../ui/dist");
    println!("cargo::rerun-if-changed={}", dist.display());
    println!(
        "cargo::rerun-if-changed={}",
        dist.join("index.html").display()
    );
    if dist.join("index.html").is_file() {
        println!("cargo::rustc-cfg=ui_built");
    }
}
