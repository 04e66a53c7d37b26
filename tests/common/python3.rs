//! What a test does when `python3` is missing and it cannot compare rondo
//! with CPython: fail under CI, say so out loud elsewhere.
//!
//! `cargo test` captures what a passing test prints with `println!` and
//! `eprintln!`, so a skip said that way is never seen. This writes to the
//! process's stderr directly, which the test harness does not capture: the
//! warning shows in the middle of `cargo test`'s output.

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
    let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"));
    assert!(
        !ci,
        "{test}: python3 not found, and CI is set: the comparison with CPython must run in CI \
         (install python3; or unset CI to skip it with a warning)"
    );
    let _ = writeln!(
        std::io::stderr(),
        "warning: {test}: python3 not found, so rondo was NOT compared with CPython \
         (the test passes without it; with CI=1 it fails)"
    );
}
