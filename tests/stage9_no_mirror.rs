//! Stage 9 on the examples that have no CPython mirror (issue 13: every
//! seed example gains `--async`): each example's `run_async` against its own
//! hand-written `run`. Where the program is deterministic (deadlock, dining,
//! on the virtual clock) the transcripts must match line for line, time for
//! time, iteration for iteration; where the OS decides an order (echo's
//! sockets, subprocess's children, cats_executor's threads) they must match
//! in everything the OS does not decide.

#![allow(clippy::duplicate_mod)] // each example includes `common` itself

#[allow(dead_code)]
#[path = "../examples/cats_executor.rs"]
mod cats_executor;
#[allow(dead_code)]
#[path = "../examples/deadlock.rs"]
mod deadlock;
#[allow(dead_code)]
#[path = "../examples/dining.rs"]
mod dining;
#[allow(dead_code)]
#[path = "../examples/echo.rs"]
mod echo;
#[allow(dead_code)]
#[path = "../examples/subprocess.rs"]
mod subprocess;

#[allow(dead_code)] // only `examples_dir` is used here
#[path = "support/examples_dir.rs"]
mod examples_dir;

use rondo::Transcript;
use std::process::Command;

/// A scenario's transcript, hand-written and `--async`.
fn both(run: fn(bool, &Transcript), run_async: fn(bool, &Transcript)) -> (Transcript, Transcript) {
    let (hand_written, compiled) = (Transcript::new(), Transcript::new());
    run(true, &hand_written);
    run_async(true, &compiled);
    (hand_written, compiled)
}

/// `line` with every source position in an example (`examples/NAME.rs:LINE:COLUMN`)
/// made `examples/NAME.rs:_`: the two versions spawn their tasks and make
/// their promises on different lines of the same file, necessarily.
fn without_positions(line: &str) -> String {
    let mut rest = line;
    let mut kept = String::new();
    while let Some(at) = rest.find(".rs:") {
        kept.push_str(&rest[..at + ".rs:".len()]);
        rest = &rest[at + ".rs:".len()..];
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == ':')).unwrap_or(rest.len());
        if digits > 0 {
            kept.push('_');
        }
        rest = &rest[digits..];
    }
    kept.push_str(rest);
    kept
}

/// The transcript, stamped with times and iterations, source positions blanked.
fn stamped(out: &Transcript) -> Vec<String> {
    out.stamped_with_iterations().iter().map(|line| without_positions(line)).collect()
}

/// What the report says of each stuck task up to where its spawn site
/// ends — its name, not yet what it waits on.
fn who_is_stuck(out: &Transcript) -> Vec<String> {
    stamped(out)
        .iter()
        .map(|line| line.split_once(") ").map_or(line.clone(), |(who, _)| who.to_string()))
        .collect()
}

#[test]
fn deadlock_as_async_fns_says_the_same_lines_and_names_the_same_stuck_tasks() {
    let (hand_written, compiled) = both(deadlock::run, deadlock::run_async);
    assert_eq!(who_is_stuck(&compiled), who_is_stuck(&hand_written));
    let lines = hand_written.lines();
    assert_eq!(lines[..4], compiled.lines()[..4], "the program's own lines");
    assert!(lines[4].starts_with("deadlock: nothing is ready") && lines.len() == 9, "{lines:#?}");
}

#[test]
fn deadlock_as_async_fns_gives_the_same_report() {
    let (hand_written, compiled) = both(deadlock::run, deadlock::run_async);
    assert_eq!(stamped(&compiled), stamped(&hand_written));
}

#[test]
fn dining_as_async_fns_says_the_same_lines_and_names_the_same_stuck_tasks() {
    let (hand_written, compiled) = both(dining::run, dining::run_async);
    assert_eq!(who_is_stuck(&compiled), who_is_stuck(&hand_written));
    let lines = hand_written.lines();
    assert_eq!(lines[..4], compiled.lines()[..4], "the program's own lines");
    assert_eq!(lines[3], "B reaches for the knife");
    assert!(lines[4].starts_with("deadlock: nothing is ready") && lines.len() == 8, "{lines:#?}");
}

#[test]
fn dining_as_async_fns_gives_the_same_report_and_names_the_cycle() {
    let (hand_written, compiled) = both(dining::run, dining::run_async);
    assert_eq!(stamped(&compiled), stamped(&hand_written));
    let report = compiled.lines().join("\n");
    assert!(
        report
            .contains("Task 'A' waits for Lock 'fork' held by 'B', which waits for Lock 'knife' held by 'A'")
    );
}

#[test]
fn echo_as_async_fns_echoes_every_line_to_its_client() {
    let (hand_written, compiled) = (Transcript::new(), Transcript::new());
    echo::run(true, &hand_written, 5);
    echo::run_async(true, &compiled, 5);
    // Printed client by client once all are done: the same, whoever connected first.
    assert_eq!(compiled.lines(), hand_written.lines());
    let lines = compiled.lines();
    assert_eq!(lines[1], r#"client 1: got back "hello from 1, line 1\n""#);
    assert_eq!(lines[15], r#"client 5: got back "hello from 5, line 3\n""#);
    assert_eq!(lines[16], "server: 5 connections, 15 lines echoed, 0 errors");
}

/// What `echo --bench` printed that does not depend on the machine's speed.
fn bench_counts(async_fns: bool) -> Vec<String> {
    let binary = examples_dir::examples_dir().join("echo");
    let mut command = Command::new(&binary);
    command.args(["--virtual", "--bench", "--clients", "300"]);
    if async_fns {
        command.arg("--async");
    }
    let output = command.output().expect("run echo --bench");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "echo --bench (async: {async_fns}) failed:\n{stdout}");
    stdout
        .lines()
        .filter(|line| {
            line.starts_with("bytes") || line.starts_with("server saw") || line.starts_with("errors")
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn echo_bench_as_async_fns_echoes_and_checks_every_byte() {
    let counts = bench_counts(true);
    assert_eq!(counts, bench_counts(false));
    assert_eq!(
        counts,
        [
            "bytes echoed and checked: 307200 (1 KiB per connection, in 8 lines)",
            "server saw 300 connections, 2400 lines",
            "errors: 0",
        ]
    );
}

#[test]
fn subprocess_as_async_fns_reports_every_child_the_same() {
    let (hand_written, compiled) = both(subprocess::run, subprocess::run_async);
    let (mut hand_lines, mut lines) = (hand_written.lines(), compiled.lines());
    // All four start in the first step, in gather's order; the OS decides who finishes first.
    assert_eq!(lines[..4], ["late: started", "echo: started", "ls: started", "fails: started"]);
    assert_eq!(lines[..4], hand_lines[..4]);
    hand_lines.sort();
    lines.sort();
    assert_eq!(lines, hand_lines);
    assert!(lines.contains(&r#"fails: exit 2, stdout "", stderr "oops\n""#.to_string()));
    assert!(lines.contains(&r#"late: exit 0, stdout "late\n", stderr """#.to_string()));
}

/// cats_executor's lines, stamped, with "(N s of wall time)" left off: it is the real clock's.
fn without_wall_time(out: &Transcript) -> Vec<String> {
    let cut = |line: &String| match line.rfind(" (") {
        Some(at) if line.ends_with(" s of wall time)") => line[..at].to_string(),
        _ => line.clone(),
    };
    out.stamped_with_iterations().iter().map(cut).collect()
}

#[test]
fn cats_executor_as_async_fns_naps_on_threads_the_same() {
    let (hand_written, compiled) = both(cats_executor::run, cats_executor::run_async);
    assert_eq!(without_wall_time(&compiled), without_wall_time(&hand_written));
    // The loop says five `eat`s and no slow step: the threads do the napping.
    let lines = compiled.lines();
    assert_eq!(lines.iter().filter(|line| *line == "eat").count(), 5);
    assert!(!lines.iter().any(|line| line.starts_with("slow step")), "{lines:#?}");
}

#[test]
fn cats_executor_as_async_fns_blocks_the_loop_the_same() {
    let (hand_written, compiled) = both(cats_executor::run_blocking, cats_executor::run_blocking_async);
    // Every line at its virtual time and iteration, the slow steps included: which cat, how long, when.
    assert_eq!(without_wall_time(&compiled), without_wall_time(&hand_written));
    let lines = compiled.lines();
    let elapsed = "cats blocking the loop exec in 10.00 seconds (virtual clock).";
    assert!(lines.iter().any(|line| line.starts_with(elapsed)), "{lines:#?}");
    assert!(lines.contains(&"slow step: task 'cat 5' held the loop for 2.000 s at t=8.000".to_string()));
}

/// The tour's output with what `--async` is meant to change taken out: the
/// header, "(no async form…)", the `-- --async` hint, and the source
/// positions of spawns (an `async fn` spawns from another line) and the
/// wall time. The cats_executor stop's lines are sorted: its pool threads
/// print in the operating system's order.
fn tour_lines(async_fns: bool) -> Vec<String> {
    let mut command = Command::new(examples_dir::examples_dir().join("tour"));
    command.arg("--virtual");
    if async_fns {
        command.arg("--async");
    }
    let output = command.output().expect("run the tour");
    assert!(output.status.success(), "tour (async: {async_fns}) failed");
    let text =
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    let mut lines: Vec<String> = text
        .lines()
        .filter(|line| !line.starts_with("rondo tour:") && !line.contains("(no async form"))
        .filter(|line| !line.starts_with("tour finished") && !line.contains("of wall time"))
        .map(|line| without_positions(&line.replace(" -- --async", "")))
        .collect();
    let threads_start =
        lines.iter().position(|line| line.contains(". cats_executor (stage")).expect("the stop");
    let threads_end =
        lines.iter().position(|line| line.ends_with("--example cats_executor")).expect("its end");
    lines[threads_start..threads_end].sort();
    lines
}

#[test]
fn the_tour_as_async_fns_prints_what_the_hand_written_tour_prints() {
    let compiled = tour_lines(true);
    assert!(compiled.len() > 400, "the whole tour ran ({} lines)", compiled.len());
    assert_eq!(compiled, tour_lines(false));
}
