//! A closed stdout ends an example quietly, as it ends a Unix tool:
//! `cargo run --example countasync | head -1` prints one line and exits 0,
//! without "failed printing to stdout: Broken pipe", a panic or a backtrace
//! (in `chess` it used to be caught as a *task's* panic).

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

#[path = "support/examples_dir.rs"]
mod examples_dir;
use examples_dir::{examples, examples_dir};

fn example(name: &str) -> Command {
    let binary = examples_dir().join(name);
    assert!(binary.exists(), "{} was not built", binary.display());
    let mut command = Command::new(binary);
    command.stdin(Stdio::null()).stderr(Stdio::piped()).env_remove("RUST_BACKTRACE");
    command
}

/// The example ended as a Unix tool does when its reader goes: status 0, and
/// nothing on stderr about it.
fn assert_quiet_end(name: &str, output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    for noise in ["panicked", "Broken pipe", "failed printing", "backtrace"] {
        assert!(!stderr.contains(noise), "{name}: stderr mentions {noise:?}:\n{stderr}");
    }
    assert!(output.status.success(), "{name}: {} after its stdout closed; stderr:\n{stderr}", output.status);
}

/// Every example but the benchmark, with its stdout a pipe whose reader is
/// closed before it starts: its first line already finds nobody to read it.
#[test]
fn every_example_ends_quietly_when_nobody_reads_its_stdout() {
    let names = examples();
    for name in names {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = example(&name).arg("--virtual").stdout(writer).output().unwrap();
        assert_quiet_end(&name, &output);
    }
}

/// `countasync | head -1`, on the real clock: the reader goes after the first
/// line, and the next lines are said a second later, inside running tasks.
#[test]
fn countasync_into_head_prints_one_line_and_exits_0() {
    let mut child = example("countasync").stdout(Stdio::piped()).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert_eq!(first, "One\n");
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    assert_quiet_end("countasync", &output);
}
