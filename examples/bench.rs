//! # bench — rondo's speed on the workloads of docs/design.md ("Performance"), medians of several runs
//!
//! Run: `cargo run --release --example bench` (`-- --quick` for smaller
//! sizes). Prints one table; `compare/run.sh` puts the same workloads on
//! tokio, smol, futures and asyncio beside it.
//!
//! | workload | what is measured |
//! |---|---|
//! | floor | a boxed `dyn FnMut` called through a `VecDeque` push/pop: the cost of "queue a callback, run it" with no runtime at all |
//! | spawn+join | 1M trivial tasks spawned, then each awaited: ns per task, and bytes per task while all are alive |
//! | yield | 1,000 tasks × 1,000 `yield_now`: ns per yield (and on the bare stage-4 loop, every seam empty) |
//! | sleepers | 100k / 1M tasks sleeping 1 s at once: wall time, CPU time, bytes per task |
//! | idle | one task sleeping 2 s: CPU used (the event loop must not spin) |
//! | overshoot | 1,000 sequential 1 ms sleeps: how late each wakes (median, p99) |
//! | ping-pong | two tasks bouncing a number over two `Queue(maxsize=1)`: ns per round trip |
//! | lock | 1,000 tasks × 1,000 acquire / yield / release of one `Lock`: ns per acquire |
//!
//! Memory is read from the process's resident set (`/proc/self/statm`) at the
//! moment every task is alive, so "bytes per task" includes everything the
//! runtime keeps per task (task cell, table slot, timer entry, handle).
//! Timings use the real clock; the virtual clock, the slow-step detector and
//! asyncio's ordering rules all stay on — speed is not bought with semantics.

// The workloads and the instruments live beside this file, in
// `examples/bench/`, because the compare crate runs the very same code for
// its rondo column: one copy, two benchmarks.
#[path = "bench/measure.rs"]
mod measure;
#[path = "bench/workloads.rs"]
mod workloads;

use measure::median;
use workloads::{LOCK_TASKS, YIELD_TASKS};

/// Runs one measurement in this process and prints its numbers on one line
/// ("n/a" where rondo has nothing to measure yet).
fn run_one(workload: &str, n: u64) {
    match workloads::run(workload, n) {
        Some(numbers) => {
            let text: Vec<String> = numbers.iter().map(|x| x.to_string()).collect();
            println!("{}", text.join(" "));
        }
        None => println!("n/a"),
    }
}

/// Runs a measurement `runs` times, each in a fresh process (so memory
/// figures start from a clean heap), and returns the medians of each number.
fn median_of_runs(workload: &str, n: u64, runs: usize) -> Vec<f64> {
    let exe = std::env::current_exe().expect("the bench's own path");
    let mut samples: Vec<Vec<f64>> = Vec::new();
    for _ in 0..runs {
        let output = std::process::Command::new(&exe)
            .args(["--one", workload, &n.to_string()])
            .output()
            .expect("run a measurement");
        assert!(output.status.success(), "{workload} failed: {}", String::from_utf8_lossy(&output.stderr));
        let line = String::from_utf8(output.stdout).unwrap();
        samples.push(line.split_whitespace().map(|x| x.parse().unwrap()).collect());
    }
    (0..samples[0].len()).map(|k| median(samples.iter().map(|s| s[k]).collect())).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "--one" {
        return run_one(&args[2], args[3].parse().expect("a count"));
    }
    let quick = args.iter().any(|a| a == "--quick");
    let runs = 3;
    let million: u64 = if quick { 100_000 } else { 1_000_000 };
    println!(
        "rondo bench ({runs} runs each in a fresh process, medians; {})",
        if quick { "quick sizes" } else { "full sizes" }
    );
    println!("| workload | rondo |");
    println!("|---|---|");
    let m = median_of_runs("floor", million, runs);
    println!("| floor: boxed dyn FnMut via VecDeque | {:.1} ns/call |", m[0]);
    let m = median_of_runs("spawn_join", million, runs);
    println!("| spawn+join {million} | {:.1} ns/task, {:.0} bytes/task |", m[0], m[1]);
    let m = median_of_runs("spawn_join_async", million, runs);
    println!("| the same, each task an `async` block | {:.1} ns/task, {:.0} bytes/task |", m[0], m[1]);
    let per_task = if quick { 100 } else { 1000 };
    let m = median_of_runs("yield", per_task, runs);
    println!("| yield {YIELD_TASKS} tasks × {per_task} | {:.1} ns/yield |", m[0]);
    let m = median_of_runs("yield_async", per_task, runs);
    println!("| the same, each task an `async` block (stage 9's bridge) | {:.1} ns/yield |", m[0]);
    let m = median_of_runs("yield_await", per_task, runs);
    println!("| the same, each yield `yield_now().await` in the `async` block | {:.1} ns/yield |", m[0]);
    let m = median_of_runs("yield_bare", per_task, runs);
    println!("| the same, stage 4's bare loop (seams empty) | {:.1} ns/yield |", m[0]);
    for n in [100_000, million] {
        let m = median_of_runs("sleepers", n, runs);
        println!("| {n} sleepers of 1 s | {:.3} s wall, {:.3} s CPU, {:.0} bytes/task |", m[0], m[1], m[2]);
    }
    let m = median_of_runs("idle", 0, runs);
    println!("| one task idle 2 s | {:.4} s CPU |", m[0]);
    let n = if quick { 200 } else { 1000 };
    let m = median_of_runs("overshoot", n, runs);
    println!("| {n} × 1 ms sleeps, overshoot | median {:.0} µs, p99 {:.0} µs |", m[0], m[1]);
    let m = median_of_runs("pingpong", million, runs);
    println!("| queue ping-pong {million} | {:.1} ns/round trip |", m[0]);
    let m = median_of_runs("lock", per_task, runs);
    println!("| lock {LOCK_TASKS} tasks × {per_task} | {:.1} ns/acquire |", m[0]);
    let n = if quick { 2_000 } else { 20_000 };
    let m = median_of_runs("to_thread", n, runs);
    println!("| to_thread round trip × {n} | {:.0} ns/round trip |", m[0]);
}
