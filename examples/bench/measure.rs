//! The instruments of the benchmarks: resident memory, CPU time, medians and
//! percentiles.
//!
//! One copy for both benchmarks: `examples/bench.rs` includes this file, and
//! so does the compare crate (`compare/src/main.rs`, with `#[path]`), so
//! rondo alone and every column of the side-by-side table — tokio's, smol's
//! and futures' too — are read with the very same code.

use std::time::Duration;

/// Resident memory of this process, in bytes (Linux `/proc/self/statm`), or 0
/// if unknown. Read in a fresh process per measurement, so "bytes per task"
/// is the growth of the resident set while every task is alive.
pub fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

/// CPU time used so far by every thread of this process, or zero where
/// `/proc` is missing. Every thread counts: smol's and futures' timers are
/// driven (in part) by async-io's helper thread, and rondo's slow-step
/// watchdog is a thread too, so counting only the main thread would flatter
/// them.
///
/// The reading itself is the library's (`/proc/self/task/*/schedstat`, with
/// `/proc/self/stat` as the fallback): the one `/proc` CPU reader of the
/// repository, which `busy_vs_loop` uses as well.
pub fn cpu_time() -> Duration {
    rondo::stage3_sleep::process_cpu_time().unwrap_or_default()
}

pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

pub fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let index = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs[index]
}

/// The numbers one measurement prints for an overshoot run: median and p99,
/// in µs, of how late each sleep woke.
pub fn overshoot_summary(samples: Vec<f64>) -> Vec<f64> {
    vec![median(samples.clone()), percentile(samples, 0.99)]
}
