//! What a test does when `python3` is missing and it cannot compare rondo
//! with CPython: fail under CI, say so out loud elsewhere.
//!
//! `cargo test` captures what a passing test prints with `println!` and
//! `eprintln!`, so a skip said that way is never seen. This writes to the
//! process's stderr directly, which the test harness does not capture: the
//! warning shows in the middle of `cargo test`'s output.

#![allow(dead_code)] // each test file uses a different part of it

use std::io::Write as _;
use std::process::Command;
use std::sync::OnceLock;

/// The version of the `python3` the comparisons run on ("3.11.7"), for their
/// messages: `wait_for`'s order, for one, changed between 3.11 and 3.12, so
/// which CPython a trace was checked against matters. "unknown" without one.
pub fn python3_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let output =
            Command::new("python3").args(["-c", "import sys; print(sys.version.split()[0])"]).output();
        match output {
            Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
            _ => "unknown".to_string(),
        }
    })
}

/// Reports that `test` skipped its CPython comparison because `python3` is
/// not on `PATH`.
///
/// # Panics
/// When the environment variable `CI` is set (to anything but `0`/`false`):
/// there the comparison must run, and a missing `python3` is a broken setup,
/// not a reason to pass.
pub fn python3_missing(test: &str) {
    cannot_compare(test, "python3 not found");
}

/// `Some(reason)` if the installed `python3` is older than 3.`minor` (or its
/// version cannot be read): what a comparison that needs it must not pass over
/// silently.
pub fn python3_older_than(minor: u32) -> Option<String> {
    let version = python3_version();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(3), Some(m)) if m >= minor => None,
        _ => Some(format!("python3 is {version}, older than 3.{minor}")),
    }
}

/// Reports that `test` compared nothing, and why; under `CI`, fails.
///
/// # Panics
/// When `CI` is set (to anything but `0`/`false`).
pub fn cannot_compare(test: &str, why: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"));
    assert!(
        !ci,
        "{test}: {why}, and CI is set: the comparison with CPython must run in CI \
         (install python3 ≥ 3.11; or unset CI to skip it with a warning)"
    );
    let _ = writeln!(
        std::io::stderr(),
        "warning: {test}: {why}, so rondo was NOT compared with CPython \
         (the test passes without it; with CI=1 it fails)"
    );
}
