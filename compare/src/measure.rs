//! The instruments every runtime is measured with: resident memory, CPU time,
//! medians and percentiles. Written here (not borrowed from rondo) so every
//! column of the table is read with the very same code.

use std::time::Duration;

/// Resident memory of this process, in bytes (Linux `/proc/self/statm`), or 0
/// if unknown. Read in a fresh process per measurement, so "bytes per task"
/// is the growth of the resident set while every task is alive.
pub fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

/// CPU time used so far by every thread of this process. smol's and futures'
/// timers are driven (in part) by async-io's helper thread, so counting only
/// the main thread would flatter them.
///
/// Preferred source: each thread's `/proc/self/task/<tid>/schedstat`, whose
/// first field is nanoseconds on the CPU. Fallback: `/proc/self/stat` fields
/// 14 and 15 (user + system), in ticks of 1/100 s.
pub fn cpu_time() -> Duration {
    if let Ok(threads) = std::fs::read_dir("/proc/self/task") {
        let mut total = 0u64;
        let mut any = false;
        for thread in threads.flatten() {
            let Ok(text) = std::fs::read_to_string(thread.path().join("schedstat")) else { continue };
            if let Some(ns) = text.split_whitespace().next().and_then(|f| f.parse::<u64>().ok()) {
                total += ns;
                any = true;
            }
        }
        if any {
            return Duration::from_nanos(total);
        }
    }
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let Some(close) = stat.rfind(')') else { return Duration::ZERO };
    let fields: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((tick(11) + tick(12)) * 10)
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
