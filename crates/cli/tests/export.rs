//! `quarry extract … --export-code python|rust`: the printed programs, run as they are against
//! the fake provider, print the same object Quarry's own run returns.
//!
//! The Python program needs instructor: `QUARRY_PYTHON` names a Python that has it (`.ci/run`
//! makes a virtual environment with instructor from PyPI and sets it, and sets
//! `QUARRY_REQUIRE_PYTHON=1` so that a missing one fails instead of skipping). The Rust program
//! is built as its own package on `quarry-engine`, in this workspace's target folder (so only
//! it and the engine are compiled), with this workspace's lock file, offline.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use quarry_fake_provider::{FakeServer, Reply};
use serde_json::Value;

const KEY: &str = "sk-export-test-0123456789";
const PERSON: &str = r#"{"name": "Ada Lovelace", "age": 36, "email": null, "phone": null, "occupation": "mathematician", "address": {"street": null, "city": "London", "postal_code": null, "country": "GB"}}"#;

fn quarry() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("quarry"));
    cmd.env_remove("OPENAI_API_KEY")
        .env("QUARRY_EXPORT_KEY", KEY)
        .env(
            "QUARRY_DB",
            std::env::temp_dir().join(format!("quarry-export-{}.db", std::process::id())),
        );
    cmd
}

/// The same run, as `quarry extract` arguments.
fn spec(server: &FakeServer, mode: &str) -> Vec<String> {
    [
        "extract",
        "--provider",
        "openai/gpt-4o-mini",
        "--api-key-env",
        "QUARRY_EXPORT_KEY",
        "--base-url",
        &server.base_url(),
        "--mode",
        mode,
        "--schema",
        "person",
        "--system",
        "You extract \"people\" from text; be exact.",
        "--var",
        "text=Ada Lovelace (36) was a mathematician in London.",
        "--max-retries",
        "1",
        "--temperature",
        "0",
        "--no-save",
        "--compact",
    ]
    .map(String::from)
    .to_vec()
}

fn quarry_result(server: &FakeServer, mode: &str) -> Value {
    let out = quarry().args(spec(server, mode)).assert().success();
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn exported(server: &FakeServer, mode: &str, language: &str) -> String {
    let out = quarry()
        .args(spec(server, mode))
        .args(["--export-code", language])
        .assert()
        .success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

fn reply(mode: &str) -> Reply {
    match mode {
        "tools" => Reply::tool_call("Person", PERSON),
        _ => Reply::content(PERSON),
    }
}

/// A Python with instructor, or `None` to skip (unless one is required).
fn python() -> Option<PathBuf> {
    match std::env::var_os("QUARRY_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None if std::env::var_os("QUARRY_REQUIRE_PYTHON").is_some() => {
            panic!(
                "QUARRY_REQUIRE_PYTHON is set but QUARRY_PYTHON is not: name a Python that has instructor"
            )
        }
        None => {
            eprintln!(
                "skipped: set QUARRY_PYTHON to a Python with instructor (scripts/python-env makes one) to run the exported Python programs"
            );
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_program_returns_what_quarry_returns() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    for mode in ["tools", "json", "json_schema", "md_json"] {
        let server = FakeServer::start(vec![reply(mode)]).await.unwrap();
        let expected = quarry_result(&server, mode);
        let code = exported(&server, mode, "python");
        let file = dir.path().join(format!("extract_{mode}.py"));
        std::fs::write(&file, &code).unwrap();
        let before = server.requests().len();
        let out = Process::new(&python)
            .arg(&file)
            .env("QUARRY_EXPORT_KEY", KEY)
            .env_remove("OPENAI_API_KEY")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{mode}: the program failed:\n{}\n{code}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{mode}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        assert_eq!(printed, expected, "{mode}");
        // It really asked the server, with the key from the environment and the template
        // rendered with the variables.
        let sent = server.requests();
        assert_eq!(sent.len(), before + 1, "{mode}");
        let last = sent.last().unwrap();
        assert_eq!(
            last.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        assert!(
            last.body
                .to_string()
                .contains("Ada Lovelace (36) was a mathematician in London."),
            "{mode}: {}",
            last.body
        );
        assert_eq!(last.body["temperature"], 0.0, "{mode}");
    }
}

fn target_dir() -> PathBuf {
    // `CARGO_TARGET_TMPDIR` is `<target>/tmp`.
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_program_returns_what_quarry_returns() {
    let mode = "tools";
    let server = FakeServer::start(vec![reply(mode)]).await.unwrap();
    let expected = quarry_result(&server, mode);
    let code = exported(&server, mode, "rust");
    assert!(code.contains("//! quarry-engine = \""), "{code}");

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let project = Path::new(env!("CARGO_TARGET_TMPDIR")).join("export-check");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::write(project.join("src/main.rs"), &code).unwrap();
    // The profile as the workspace's, so the dependencies built for it are used as they are.
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"quarry-export-check\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nquarry-engine = {{ path = {:?} }}\nserde_json = \"1\"\ntokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n[profile.dev]\ndebug = \"line-tables-only\"\n\n[profile.dev.package.\"*\"]\ndebug = false\n\n[workspace]\n",
            root.join("crates/engine").canonicalize().unwrap()
        ),
    )
    .unwrap();
    std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Process::new(&cargo)
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(project.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir())
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "the program does not build:\n{}\n{code}",
        String::from_utf8_lossy(&built.stderr)
    );
    let before = server.requests().len();
    let out = Process::new(target_dir().join("debug/quarry-export-check"))
        .env("QUARRY_EXPORT_KEY", KEY)
        .env_remove("OPENAI_API_KEY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the program failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, expected);
    assert_eq!(server.requests().len(), before + 1);
    // The same request as Quarry's own run, byte for byte.
    let sent = server.requests();
    assert_eq!(sent[before].body, sent[before - 1].body);
}

#[test]
fn a_spec_the_programs_cannot_carry_is_refused_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("dot.png");
    // A 1x1 PNG.
    std::fs::write(
        &png,
        [
            0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
            0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49,
            0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0,
            0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
        ],
    )
    .unwrap();
    quarry()
        .args([
            "extract",
            "--provider",
            "openai/gpt-4o-mini",
            "--schema",
            "person",
            "--prompt",
            "Who?",
            "--export-code",
            "python",
            "--file",
        ])
        .arg(&png)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("attached files"))
        .stderr(predicates::str::contains("curl"));
}

/// A schema with what the Pydantic models must say: an enum, an array of objects with a
/// property name Python cannot use as is, a recursive reference, a const, numeric bounds;
/// and a schema whose root is a list (Quarry asks for `{tasks: […]}` and returns the list).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_models_carry_nesting_enums_aliases_recursion_and_list_roots() {
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let order = r##"{"title": "Order", "type": "object", "additionalProperties": false,
        "properties": {
            "status": {"enum": ["open", "shipped"]},
            "kind": {"const": "order"},
            "lines": {"type": "array", "minItems": 1, "items": {"type": "object", "properties": {
                "sku": {"type": "string", "pattern": "^[A-Z]+$"}, "class": {"type": "integer", "minimum": 1}},
                "required": ["sku", "class"]}},
            "parent": {"anyOf": [{"$ref": "#"}, {"type": "null"}]},
            "note": {"type": "string"}
        },
        "required": ["status", "kind", "lines", "parent"]}"##;
    let list = r#"{"type": "array", "items": {"title": "Tag", "type": "object", "properties": {"label": {"type": "string"}}, "required": ["label"]}}"#;
    for (name, schema, answer, tool) in [
        (
            "order",
            order,
            r#"{"status": "shipped", "kind": "order", "lines": [{"sku": "AB", "class": 2}], "parent": {"status": "open", "kind": "order", "lines": [{"sku": "Z", "class": 1}], "parent": null}}"#,
            "Order",
        ),
        (
            "tags",
            list,
            r#"{"tasks": [{"label": "a"}, {"label": "b"}]}"#,
            "Response",
        ),
    ] {
        let file = dir.path().join(format!("{name}.json"));
        std::fs::write(&file, schema).unwrap();
        let server = FakeServer::start(vec![Reply::tool_call(tool, answer)])
            .await
            .unwrap();
        let args = |extra: &[&str]| {
            let mut a: Vec<String> = [
                "extract",
                "--provider",
                "openai/gpt-4o-mini",
                "--api-key-env",
                "QUARRY_EXPORT_KEY",
                "--base-url",
                &server.base_url(),
                "--mode",
                "tools",
                "--prompt",
                "Read it.",
                "--no-save",
                "--compact",
                "--schema",
            ]
            .map(String::from)
            .to_vec();
            a.push(file.display().to_string());
            a.extend(extra.iter().map(|s| s.to_string()));
            a
        };
        let out = quarry().args(args(&[])).assert().success();
        let expected: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        let out = quarry()
            .args(args(&["--export-code", "python"]))
            .assert()
            .success();
        let code = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let program = dir.path().join(format!("{name}.py"));
        std::fs::write(&program, &code).unwrap();
        let run = Process::new(&python)
            .arg(&program)
            .env("QUARRY_EXPORT_KEY", KEY)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{name}:\n{}\n{code}",
            String::from_utf8_lossy(&run.stderr)
        );
        let printed: Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(printed, expected, "{name}:\n{code}");
    }
}
