//! Step mode, trace and timelines work on every example: each example binary
//! (built by `cargo test` along with the tests) is run under each
//! environment variable, through pipes, and what it prints is checked.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `target/<profile>/examples`, next to this test's own binary in `deps/`,
/// with the examples freshly built (a plain `cargo test` builds them, but
/// `cargo test --test observers_on_examples` alone does not).
fn examples_dir() -> PathBuf {
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

/// Every example except the benchmark (it measures; it does not run the seed programs).
fn examples() -> Vec<String> {
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

/// Runs an example with `--virtual`, stdin closed, one extra env var; (status ok?, stdout, stderr).
fn run(example: &str, var: &str, value: &str) -> (bool, String, String) {
    let binary = examples_dir().join(example);
    assert!(binary.exists(), "{} was not built", binary.display());
    let output = Command::new(&binary)
        .arg("--virtual")
        .env(var, value)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {example}: {e}"));
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    // `deadlock` exits 1 on purpose, after its report.
    let ok = output.status.success() || example == "deadlock";
    (ok, text(output.stdout), text(output.stderr))
}

#[test]
fn step_mode_through_a_pipe_prints_every_step_without_pausing() {
    let (ok, stdout, stderr) = run("countasync", "RONDO_STEP", "1");
    assert!(ok, "{stderr}");
    // The program's own output is untouched…
    assert!(stdout.starts_with("One\nOne\nOne\nTwo\nTwo\nTwo\n"), "{stdout}");
    // …and every step was shown, with no prompt (stdin is not a terminal).
    assert!(!stderr.contains("[Enter]"), "{stderr}");
    assert!(stderr.contains("── step 1 · iteration 1 · t=0.000"), "{stderr}");
    assert!(stderr.contains("ran     Task-2 -> pending, now in Sleeping(until 1.000)"), "{stderr}");
    assert!(stderr.contains("timers  1.000 Task-2"), "{stderr}");
    assert!(stderr.contains("Task-1: awaits task 'Task-2'"), "{stderr}");
    assert!(stderr.contains("ran     Task-4 -> ready (finished)"), "{stderr}");
    // A task's last step shows it finished, not stuck.
    assert!(stderr.contains("        Task-4: finished in this step\n"), "{stderr}");
    assert!(!stderr.contains("can no longer wake it"), "{stderr}");
}

/// `q` at step mode's prompt stops the program with status 130 and says so.
/// The prompt needs a terminal: `script` (util-linux) gives the example one.
#[test]
fn q_in_step_mode_stops_the_program_with_a_failure_status() {
    let binary = examples_dir().join("countasync");
    let has_script = Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: no `script` command to give step mode a terminal");
        return;
    }
    let mut child = Command::new("script")
        .args(["-qec", &format!("{} --virtual", binary.display()), "/dev/null"])
        .env("RONDO_STEP", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run script");
    use std::io::Write;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\nq\n").unwrap();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("stopped at step mode's request"), "{text}");
    assert!(!text.contains("── step 3 · "), "{text}");
    assert_eq!(output.status.code(), Some(130), "{text}");
}

#[test]
fn every_example_runs_under_every_observer() {
    let dir = std::env::temp_dir().join(format!("rondo-timelines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for example in examples() {
        let (ok, _, stderr) = run(&example, "RONDO_TRACE", "1");
        assert!(ok, "{example} under RONDO_TRACE: {stderr}");
        if example != "generators" {
            // (stage 1 has no event loop to trace)
            assert!(stderr.contains("] step     "), "{example}: no trace lines");
        }

        let (ok, _, stderr) = run(&example, "RONDO_STEP", "1");
        assert!(ok, "{example} under RONDO_STEP: {stderr}");
        if example != "generators" {
            assert!(stderr.contains("── step 1 · "), "{example}: no step shown");
        }

        let (ok, _, stderr) = run(&example, "RONDO_TIMELINE", "1");
        assert!(ok, "{example} under RONDO_TIMELINE=1: {stderr}");
        if example != "generators" {
            assert!(stderr.contains("timeline: "), "{example}: no timeline");
        }

        let json = dir.join(format!("{example}.json"));
        let (ok, _, stderr) = run(&example, "RONDO_TIMELINE", json.to_str().unwrap());
        assert!(ok, "{example} under RONDO_TIMELINE=json: {stderr}");
        if example != "generators" {
            let text = std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("{example}: {e}"));
            assert!(text.starts_with("{\"traceEvents\":[") && text.contains("\"ph\":\"X\""), "{example}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
