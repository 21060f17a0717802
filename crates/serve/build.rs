//! Embeds the built UI (`ui/dist`) when it exists; without it the server shows a page saying
//! how to build it, so `cargo test` works before the UI is built.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(ui_built)");
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/dist");
    println!("cargo::rerun-if-changed={}", dist.display());
    println!(
        "cargo::rerun-if-changed={}",
        dist.join("index.html").display()
    );
    if dist.join("index.html").is_file() {
        println!("cargo::rustc-cfg=ui_built");
    }
}
