//! `process_cpu_time`: how much CPU this process has burnt — std-only, from Linux's `/proc`.
//!
//! The whole point of stage 4 over stage 3 is CPU: both runners finish the
//! same sleeps at the same moments, but one spins. Wall time cannot show
//! that; CPU time can. std has no `getrusage`, and the crate has no
//! dependencies, so we read what the kernel already publishes.

use std::time::Duration;

/// CPU time (user + system) used by all threads of this process so far,
/// or `None` where `/proc` is not available (not Linux).
///
/// Never goes backwards. The precise source sums the *live* threads, so a
/// thread that exits would take its time with it; the answer is therefore
/// the highest seen so far (a thread that exits is not counted any more,
/// and the total stands still until the others have caught up).
pub fn process_cpu_time() -> Option<Duration> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static HIGHEST: AtomicU64 = AtomicU64::new(0);
    let now = u64::try_from(read_cpu_time()?.as_nanos()).unwrap_or(u64::MAX);
    Some(Duration::from_nanos(HIGHEST.fetch_max(now, Ordering::Relaxed).max(now)))
}

fn read_cpu_time() -> Option<Duration> {
    // Preferred: each thread's `schedstat` holds nanoseconds on the CPU.
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
            return Some(Duration::from_nanos(total));
        }
    }
    // Fallback: `/proc/self/stat` fields 14 and 15, in clock ticks of 1/100 s
    // (USER_HZ is 100 on every mainstream Linux architecture).
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_when_we_compute() {
        let Some(before) = process_cpu_time() else { return }; // not Linux
        // Summed over the live threads, so another test's thread exiting
        // meanwhile takes its time away: compute until ours outweighs it.
        let mut x = 0u64;
        let start = std::time::Instant::now();
        loop {
            let burst = std::time::Instant::now();
            while burst.elapsed() < Duration::from_millis(30) {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
            }
            let after = process_cpu_time().unwrap();
            if after > before {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "{after:?} never grew past {before:?}");
        }
        std::hint::black_box(x);
    }
}
