//! Issue 4's (and issue 11's) targets, checked against rondo's figures of one run: the second
//! table of the generated block in `docs/performance.md`.

use crate::report::{Kind, RunInfo, number, show};
use crate::{Job, Outcome};
use std::fmt::Write as _;

/// Issue 4's targets, checked against rondo's figures of this run.
pub fn check(out: &mut String, jobs: &[Job], medians: &[Vec<(String, Outcome)>], info: &RunInfo) {
    let find = |workload: &str| -> Option<usize> {
        // For sleepers, the biggest size (the 1M job).
        (0..jobs.len()).filter(|&j| jobs[j].workload == workload).max_by_key(|&j| jobs[j].rust_n)
    };
    let value = |workload: &str, runtime: &str, metric: usize| -> Option<f64> {
        find(workload).and_then(|j| number(&medians[j], runtime, metric))
    };
    let vs = |workload: &str, other: &str| -> Option<f64> {
        Some(value(workload, other, 0)? / value(workload, "rondo", 0)?)
    };
    // (what, target text, measured, shown as, limit, at most?)
    type Check = (&'static str, &'static str, Option<f64>, Kind, f64, bool);
    let checks: Vec<Check> = vec![
        (
            "spawn+join: time",
            "≤ 60 ns/task",
            value("spawn_join", "rondo", 0),
            Kind::Ns("ns/task"),
            60.0,
            true,
        ),
        ("spawn+join: memory", "≤ 96 B/task", value("spawn_join", "rondo", 1), Kind::Bytes, 96.0, true),
        ("spawn+join: vs smol", "≥ 2.5× faster", vs("spawn_join", "smol"), Kind::Secs(99), 2.5, false),
        ("yield: time", "≤ 10 ns/yield", value("yield", "rondo", 0), Kind::Ns("ns/yield"), 10.0, true),
        ("yield: vs tokio", "≥ 3× faster", vs("yield", "tokio"), Kind::Secs(99), 3.0, false),
        ("biggest sleepers: wall", "≤ 1.15 s (1M)", value("sleepers", "rondo", 0), Kind::Secs(3), 1.15, true),
        (
            "biggest sleepers: memory",
            "≤ 128 B/task (1M)",
            value("sleepers", "rondo", 2),
            Kind::Bytes,
            128.0,
            true,
        ),
        ("idle 2 s: CPU", "≤ 0.002 s", value("idle", "rondo", 0), Kind::Secs(4), 0.002, true),
        (
            "1 ms sleeps: median overshoot",
            "≤ 30 µs",
            value("overshoot", "rondo", 0),
            Kind::Micros,
            30.0,
            true,
        ),
        ("1 ms sleeps: p99 overshoot", "≤ 100 µs", value("overshoot", "rondo", 1), Kind::Micros, 100.0, true),
        ("ping-pong", "≤ 40 ns/trip", value("pingpong", "rondo", 0), Kind::Ns("ns/trip"), 40.0, true),
        ("ping-pong: vs tokio", "≥ 3× faster", vs("pingpong", "tokio"), Kind::Secs(99), 3.0, false),
        // Issue 11 gives no target for the lock: its row reports only.
        (
            "lock: time",
            "none (report only)",
            value("lock", "rondo", 0),
            Kind::Ns("ns/acquire"),
            f64::NAN,
            true,
        ),
    ];
    let _ = writeln!(
        out,
        "Issue 4's and issue 11's targets against rondo's figures above{}:",
        if info.quick { " (quick sizes!)" } else { "" }
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "| target | goal | rondo, this run | verdict |");
    let _ = writeln!(out, "|---|---|---|---|");
    for (what, goal, measured, kind, limit, at_most) in checks {
        let (shown, verdict) = match measured {
            None => ("n/a".to_string(), "not measured in this run".to_string()),
            Some(v) => {
                let shown = match kind {
                    Kind::Secs(99) => format!("×{v:.2}"),
                    k => show(v, k),
                };
                let met = if at_most { v <= limit } else { v >= limit };
                let off = if at_most { v / limit } else { limit / v };
                let verdict = if limit.is_nan() {
                    "reported".to_string()
                } else if met {
                    "met".to_string()
                } else {
                    format!("missed (×{off:.2} off)")
                };
                (shown, verdict)
            }
        };
        let _ = writeln!(out, "| {what} | {goal} | {shown} | {verdict} |");
    }
    let _ = writeln!(out);
}
