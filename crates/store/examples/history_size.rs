//! Prints how big the run history grows per run against the bytes the run carried, for the
//! cases of issue 8 item 21 (50 MB answers, a 5 MB image). Run:
//! `cargo run --release -p quarry-store --example history_size [ANSWER_MB] [IMAGE_MB]`.

#[path = "../tests/common/mod.rs"]
mod common;

#[tokio::main]
async fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<f64>().expect("a number of MB"));
    let answer = (args.next().unwrap_or(50.0) * 1e6) as usize;
    let image = (args.next().unwrap_or(5.0) * 1e6) as usize;
    let dir = tempfile::tempdir().unwrap();
    println!("| case | on the wire | database | ratio | time |");
    println!("|---|---:|---:|---:|---:|");
    for case in common::cases(answer, image) {
        let m = common::measure(&case, dir.path()).await;
        println!(
            "| {} | {:.1} MB | {:.1} MB | {:.2}× | {:.1} s |",
            case.label(),
            m.wire as f64 / 1e6,
            (m.db - m.empty) as f64 / 1e6,
            m.ratio(),
            m.secs
        );
    }
}
