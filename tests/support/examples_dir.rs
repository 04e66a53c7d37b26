//! Which examples there are, and where their binaries are, built fresh: shared by the tests that run
//! them (`observers_on_examples.rs`, `closed_stdout.rs`), included with
//! `#[path]` (a file directly under `tests/` would be a test binary of its own).

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<profile>/examples`, next to the test's own binary in `deps/`,
/// with the examples freshly built (a plain `cargo test` builds them, but
/// `cargo test --test <one>` alone does not).
pub fn examples_dir() -> PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    BUILT.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "--examples"]).current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build --examples");
        assert!(status.success(), "cargo build --examples failed");
    });
    profile_dir.join("examples")
}

/// Every example except the benchmark (it measures; it does not run the seed
/// programs), by name, sorted.
pub fn examples() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension()? == "rs").then(|| path.file_stem().unwrap().to_str().unwrap().to_string())
        })
        .filter(|name| name != "bench")
        .collect();
    names.sort();
    names
}
