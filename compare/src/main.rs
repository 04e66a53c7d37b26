//! # compare — rondo beside tokio, smol, futures and asyncio, in one run
//!
//! `compare/run.sh` is the way in: it builds this binary in release and runs
//! it, which runs every measurement of every runtime in a fresh process
//! (`compare --one <runtime> <workload> <n>`, or `python3 asyncio_bench.py
//! --one ...` for asyncio and uvloop), takes the medians, and writes the
//! side-by-side table with ratios between the markers of
//! `docs/performance.md`.
//!
//! Runs are interleaved (run 1 of every runtime, then run 2 of every
//! runtime, ...), so a noisy minute on the machine hits every column alike
//! and the ratios hold even when the absolute numbers wobble.
//!
//! ```text
//! compare [--quick] [--runs N] [--script asyncio_bench.py] [--python python3]
//!         [--no-python] [--only rondo,tokio,...] [--out ../docs/performance.md]
//! compare --one <rondo|rondo-async|tokio|smol|futures> <workload> <n>
//! ```

mod futures_rt;
mod report;
mod rondo_async;
mod smol_rt;
mod targets;
mod tokio_rt;
mod workloads;
mod yield_now;

// rondo's column and the instruments are `examples/bench.rs`'s own files,
// included rather than copied: the two benchmarks cannot drift apart.
#[path = "../../examples/bench/measure.rs"]
mod measure;
#[path = "../../examples/bench/workloads.rs"]
mod rondo_rt;

use std::process::Command;
use std::time::Instant;

/// The lock workload runs this many tasks, each acquiring `n` times.
pub use rondo_rt::LOCK_TASKS;
/// The yield workload runs this many tasks, each yielding `n` times (the
/// same number as `examples/bench.rs`, whose constant it is).
pub use rondo_rt::YIELD_TASKS;

/// The Rust runtimes, in table order; `rondo` first, the one compared
/// (hand-written coroutines), then `rondo-async` (the generic `async`
/// workloads the other columns run, on rondo through stage 9's bridge).
pub const RUST_RUNTIMES: [&str; 5] = ["rondo", "rondo-async", "tokio", "smol", "futures"];
/// The Python event loops.
pub const PY_RUNTIMES: [&str; 2] = ["asyncio", "uvloop"];

/// One measurement in this process: its numbers, or `None` (n/a).
fn run_one(runtime: &str, workload: &str, n: u64) -> Option<Vec<f64>> {
    if workload == "floor" {
        // No runtime in it: one column, whichever runtime is named.
        return Some(vec![rondo_rt::floor(n)]);
    }
    match runtime {
        "rondo" => rondo_rt::run(workload, n),
        "rondo-async" => workloads::run::<rondo_async::RondoAsync>(workload, n),
        "tokio" => workloads::run::<tokio_rt::Tokio>(workload, n),
        "smol" => workloads::run::<smol_rt::Smol>(workload, n),
        "futures" => workloads::run::<futures_rt::Futures>(workload, n),
        other => panic!("unknown runtime {other}"),
    }
}

/// One job: a workload, and the size each runtime runs it at.
pub struct Job {
    pub workload: &'static str,
    /// Size on the Rust runtimes.
    pub rust_n: u64,
    /// Size on asyncio/uvloop (smaller where asyncio would take too long;
    /// per-unit figures keep it comparable).
    pub py_n: u64,
    /// Rust runtimes that run it (the floor has no runtime: one column).
    pub rust: Vec<&'static str>,
    /// Python loops that run it.
    pub py: Vec<&'static str>,
}

/// What one (job, runtime) pair gave: medians, n/a, or a failure.
#[derive(Clone, Debug)]
pub enum Outcome {
    Numbers(Vec<f64>),
    NotApplicable,
    Failed(String),
}

/// Sizes: full by default, `--quick` for a short try.
fn jobs(quick: bool, rust: &[&'static str], py: &[&'static str]) -> Vec<Job> {
    let million: u64 = if quick { 100_000 } else { 1_000_000 };
    let only_rondo: Vec<&'static str> = rust.iter().copied().filter(|r| *r == "rondo").collect();
    let first_py: Vec<&'static str> = py.iter().copied().take(1).collect();
    let job = |workload, rust_n, py_n| Job { workload, rust_n, py_n, rust: rust.to_vec(), py: py.to_vec() };
    let mut jobs = vec![
        // The floor does not depend on the runtime: once for Rust, once for Python.
        Job { workload: "floor", rust_n: million, py_n: million, rust: only_rondo, py: first_py },
        job("spawn_join", million, if quick { 20_000 } else { million }),
        job("yield", if quick { 100 } else { 1000 }, if quick { 20 } else { 1000 }),
        job("sleepers", 100_000, if quick { 20_000 } else { 100_000 }),
    ];
    if !quick {
        // 1M asyncio sleepers take ~18 s a run, but wall time only compares at one size.
        jobs.push(job("sleepers", million, million));
    }
    jobs.extend([
        job("idle", 0, 0),
        job("overshoot", if quick { 200 } else { 1000 }, if quick { 200 } else { 1000 }),
        job("pingpong", million, if quick { 20_000 } else { 100_000 }),
        job("lock", if quick { 100 } else { 1000 }, if quick { 20 } else { 100 }),
        job("to_thread", if quick { 2_000 } else { 20_000 }, if quick { 2_000 } else { 20_000 }),
    ]);
    jobs
}

/// Runs `program args` and parses its one line of numbers ("n/a" = None).
fn child(mut command: Command) -> Outcome {
    let output = match command.output() {
        Ok(output) => output,
        Err(e) => return Outcome::Failed(format!("could not start: {e}")),
    };
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        return Outcome::Failed(err.lines().last().unwrap_or("failed").to_string());
    }
    let line = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if line == "n/a" {
        return Outcome::NotApplicable;
    }
    match line.split_whitespace().map(|x| x.parse::<f64>()).collect::<Result<Vec<_>, _>>() {
        Ok(numbers) if !numbers.is_empty() => Outcome::Numbers(numbers),
        _ => Outcome::Failed(format!("unreadable output {line:?}")),
    }
}

/// Reads one flag's value: `--name value`.
fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 5 && args[1] == "--one" {
        let n = args[4].parse().expect("a count");
        match run_one(&args[2], &args[3], n) {
            Some(numbers) => {
                let text: Vec<String> = numbers.iter().map(|x| x.to_string()).collect();
                println!("{}", text.join(" "));
            }
            None => println!("n/a"),
        }
        return;
    }

    let quick = args.iter().any(|a| a == "--quick");
    let runs: usize = flag(&args, "--runs").map(|r| r.parse().expect("--runs N")).unwrap_or(3);
    let python = flag(&args, "--python").unwrap_or_else(|| "python3".to_string());
    let script = flag(&args, "--script").unwrap_or_else(|| "compare/asyncio_bench.py".to_string());
    let only: Option<Vec<String>> = flag(&args, "--only").map(|s| s.split(',').map(str::to_string).collect());
    let wanted = |name: &str| only.as_ref().is_none_or(|o| o.iter().any(|x| x == name));
    let rust: Vec<&'static str> = RUST_RUNTIMES.iter().copied().filter(|r| wanted(r)).collect();

    // Which Python loops can run here (uvloop only if it imports).
    let mut py: Vec<&'static str> = Vec::new();
    let mut py_versions: Vec<(String, String)> = Vec::new();
    if !args.iter().any(|a| a == "--no-python") {
        let version = Command::new(&python).arg("--version").output();
        match version {
            Ok(v) if v.status.success() && std::path::Path::new(&script).exists() => {
                let v = String::from_utf8_lossy(&v.stdout).trim().to_string();
                if wanted("asyncio") {
                    py.push("asyncio");
                    py_versions.push(("asyncio".into(), v.clone()));
                }
                let has = Command::new(&python).args([script.as_str(), "--has", "uvloop"]).output();
                if let Ok(h) = has
                    && h.status.success()
                    && wanted("uvloop")
                {
                    py.push("uvloop");
                    let uv = String::from_utf8_lossy(&h.stdout).trim().to_string();
                    py_versions.push(("uvloop".into(), format!("uvloop {uv} on {v}")));
                }
            }
            _ => eprintln!("compare: no {python} or no {script}: asyncio columns left out"),
        }
    }

    let exe = std::env::current_exe().expect("compare's own path");
    let jobs = jobs(quick, &rust, &py);
    let started = Instant::now();
    // samples[job][column] = the numbers of each run.
    let mut samples: Vec<Vec<(String, Vec<Outcome>)>> = jobs
        .iter()
        .map(|j| j.rust.iter().chain(j.py.iter()).map(|r| (r.to_string(), Vec::new())).collect())
        .collect();
    let total: usize = samples.iter().map(|s| s.len()).sum::<usize>() * runs;
    let mut done = 0;
    for (j, job) in jobs.iter().enumerate() {
        for run in 0..runs {
            for (runtime, outcomes) in samples[j].iter_mut() {
                let is_py = PY_RUNTIMES.contains(&runtime.as_str());
                let n = if is_py { job.py_n } else { job.rust_n };
                let mut command = if is_py {
                    let mut c = Command::new(&python);
                    c.args([script.as_str(), "--one", runtime, job.workload, &n.to_string()]);
                    c
                } else {
                    let mut c = Command::new(&exe);
                    c.args(["--one", runtime, job.workload, &n.to_string()]);
                    c
                };
                command.stdin(std::process::Stdio::null());
                let t = Instant::now();
                let outcome = child(command);
                done += 1;
                eprintln!(
                    "[{done:>3}/{total}] {:<10} n={n:<8} {runtime:<8} run {}/{runs}: {:?} ({:.1} s)",
                    job.workload,
                    run + 1,
                    outcome,
                    t.elapsed().as_secs_f64()
                );
                outcomes.push(outcome);
            }
        }
    }
    let medians: Vec<Vec<(String, Outcome)>> = samples
        .into_iter()
        .map(|columns| {
            columns.into_iter().map(|(runtime, outcomes)| (runtime, median_of(outcomes))).collect()
        })
        .collect();

    let info = report::RunInfo {
        quick,
        runs,
        seconds: started.elapsed().as_secs_f64(),
        rust_columns: rust,
        py_columns: py,
        py_versions,
    };
    let block = report::render(&jobs, &medians, &info);
    println!("{block}");
    if let Some(path) = flag(&args, "--out") {
        report::write_between_markers(&path, &block).expect("write the table into the docs");
        eprintln!("compare: table written to {path}");
    }
}

/// The per-number medians of several runs; any failure or n/a wins.
fn median_of(outcomes: Vec<Outcome>) -> Outcome {
    let mut numbers = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Numbers(n) => numbers.push(n),
            other => return other,
        }
    }
    let width = numbers[0].len();
    Outcome::Numbers((0..width).map(|k| measure::median(numbers.iter().map(|s| s[k]).collect())).collect())
}
