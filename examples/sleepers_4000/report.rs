//! The parent's side of `sleepers_4000`: the table, what it shows, the plot.
//!
//! The numbers come from the child processes (`ways.rs`); this file only
//! renders them: rows for the table, the explanation under it (in numbers,
//! including the extrapolations and their formulas), and `--plot`'s charts.

use crate::experiment::{self, Cost, Series, kib, secs};
use crate::{Measured, Plan, Point, ways};
use std::time::Duration;

/// `4,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `≈ 6,000 s (100 min)`.
fn long(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 120.0 {
        format!("≈ {}", secs(d))
    } else {
        format!("≈ {} s ({:.0} min)", grouped(s.round() as u64), s / 60.0)
    }
}

/// Resident memory per sleeper above the baseline process: `10.4 KiB`, `312 B`.
fn per_sleeper(peak_kib: u64, baseline_kib: u64, n: usize) -> String {
    let bytes = peak_kib.saturating_sub(baseline_kib) as f64 * 1024.0 / n as f64;
    if bytes >= 1024.0 { format!("{:.1} KiB", bytes / 1024.0) } else { format!("{bytes:.0} B") }
}

/// How many sleeper threads started (all, unless the system refused one).
fn started(threads: &Cost) -> usize {
    threads.threads.saturating_sub(1).max(1) // not the main thread
}

/// `8.1 GiB`, or as [`kib`] below a GiB.
fn gib(kib: u64) -> String {
    if kib >= 1024 * 1024 {
        format!("{:.1} GiB", kib as f64 / (1024.0 * 1024.0))
    } else {
        experiment::kib(kib)
    }
}

/// The threads' note: how long starting them took and the address space
/// they reserved — or that the system refused one.
fn threads_note(t: &Cost) -> String {
    match t.note.split_once("refused=") {
        Some((_, refused)) => format!("ONLY {} STARTED: {refused}", grouped(started(t) as u64)),
        None => format!(
            "starting them {}, VmPeak {}",
            secs(Duration::from_nanos(ways::field(&t.note, "start_ns=").unwrap_or(0))),
            gib(ways::field(&t.note, "vmpeak_kib=").unwrap_or(0))
        ),
    }
}

pub fn rows(plan: &Plan, m: &Measured) -> Vec<Vec<String>> {
    let base = m.baseline.peak_kib;
    let mut rows = vec![vec![
        "baseline".into(),
        "0".into(),
        "-".into(),
        kib(base),
        "-".into(),
        format!("{} thread", m.baseline.threads),
        "this program, idle".into(),
    ]];
    for Point { n, threads: t, tasks: k } in &m.points {
        rows.push(vec![
            "1 threads (t_main)".into(),
            grouped(*n as u64),
            secs(t.wall),
            kib(t.peak_kib),
            per_sleeper(t.peak_kib, base, started(t)),
            format!("{} threads", grouped(t.threads as u64)),
            threads_note(t),
        ]);
        rows.push(vec![
            "2 rondo tasks (a_main)".into(),
            grouped(*n as u64),
            secs(k.wall),
            kib(k.peak_kib),
            per_sleeper(k.peak_kib, base, *n),
            format!("{} thread{}", k.threads, if k.threads == 1 { "" } else { "s" }),
            if plan.virtual_clock {
                "virtual clock".into()
            } else {
                "one loop + its slow-step watchdog".into()
            },
        ]);
    }
    let (cpus, rounds, pool_size) = (plan.cpus, plan.rounds, plan.pool_size);
    let processes = format!("{cpus} procs + parent");
    let (jobs_each, pool_estimate) = plan.pool_estimate();
    rows.push(vec![
        "3 process pool: slice".into(),
        grouped((cpus * rounds) as u64),
        secs(m.pool.wall),
        kib(m.pool_kib),
        "-".into(),
        processes.clone(),
        format!("{cpus} workers x {rounds} jobs in turn; parent: {} threads", m.parent_threads),
    ]);
    rows.push(vec![
        "3 process pool: EXTRAPOLATED".into(),
        grouped(plan.n as u64),
        long(pool_estimate),
        kib(m.pool_kib),
        "-".into(),
        processes,
        format!("not run: {} jobs x {}", grouped(jobs_each as u64), secs(plan.real_nap)),
    ]);
    let (to_thread_rounds, to_thread_estimate) = plan.to_thread_estimate();
    let used = format!("{} threads", m.to_thread.threads);
    rows.push(vec![
        "4 to_thread: slice".into(),
        grouped((rounds * pool_size) as u64),
        secs(m.to_thread.wall),
        kib(m.to_thread.peak_kib),
        "-".into(),
        used.clone(),
        format!("{rounds} rounds x {pool_size} pool threads (+ main, watchdog)"),
    ]);
    rows.push(vec![
        "4 to_thread: EXTRAPOLATED".into(),
        grouped(plan.n as u64),
        long(to_thread_estimate),
        kib(m.to_thread.peak_kib),
        "-".into(),
        used,
        format!("not run: {} rounds x {}", grouped(to_thread_rounds as u64), secs(plan.real_nap)),
    ]);
    rows
}

/// What the numbers say, in numbers.
pub fn explain(plan: &Plan, m: &Measured) -> String {
    let last = m.points.last().expect("at least one size");
    let (t, k, n) = (&last.threads, &last.tasks, grouped(last.n as u64));
    let start = Duration::from_nanos(ways::field(&t.note, "start_ns=").unwrap_or(0));
    let vmpeak = gib(ways::field(&t.note, "vmpeak_kib=").unwrap_or(0));
    let kernel = ways::field(&t.note, "kernel_kib=").unwrap_or(0);
    let kernel_each = kernel as f64 / started(t) as f64;
    let base = m.baseline.peak_kib;
    let (per_thread, per_task) =
        (per_sleeper(t.peak_kib, base, started(t)), per_sleeper(k.peak_kib, base, last.n));
    let (cpus, pool_size, all, nap) =
        (plan.cpus, plan.pool_size, grouped(plan.n as u64), secs(plan.real_nap));
    let ((jobs_each, pool_estimate), (rounds, to_thread_estimate)) =
        (plan.pool_estimate(), plan.to_thread_estimate());
    let threads_n = grouped(started(t) as u64);
    let mut text = format!("What it shows ({n} sleepers):\n");
    if let Some((_, refused)) = t.note.split_once("refused=") {
        let count = grouped(started(t) as u64);
        text += &format!(
            "  ! THREADS: {refused}. Check `ulimit -u`, /proc/sys/kernel/threads-max and free memory;
    the threads row counts only the {count} threads that started.\n"
        );
    }
    text += &format!(
        "  - Starting {threads_n} threads took {} ({:.0} µs a thread): the last one began its nap that much
    after the first; with joining them, the threads took {} to nap {nap}. The tasks took {}.
  - Memory above the baseline's {}: a thread {per_thread} resident, a task {per_task}. The threads
    reserved {vmpeak} of address space (VmPeak): a 2 MiB stack each (std's default), plus glibc's
    malloc arenas (64 MiB each, up to 8 per CPU). VmHWM, the resident high-water mark, counts only
    the pages a thread touched: the top of its stack, its thread-local data. The kernel's own stack
    for each thread is in neither: the machine's KernelStack grew by {} ({kernel_each:.0} KiB a thread).
  - multiprocessing.Pool() starts {cpus} processes (one per CPU), not {all}: each runs its jobs one
    at a time, and a job that blocks in sleep holds its worker. Processes are for CPU work.
  - to_thread's pool has {pool_size} threads: a blocking sleep holds one, so {pool_size} sleep at a time.
    It is for a blocking call you cannot avoid; a rondo sleep costs a timer entry, not a thread.
  EXTRAPOLATED rows were not run: a pool worker, like a pool thread, runs one job at a time, so
    pool      = ceil({all} / {cpus} workers) x {nap} = {} x {nap} = {}
    to_thread = ceil({all} / {pool_size} threads) x {nap} = {} x {nap} = {}
    measured: the pool's slice took {} ({} of it the workers' jobs), to_thread's {}.",
        secs(start),
        start.as_secs_f64() * 1e6 / started(t) as f64,
        secs(t.wall),
        secs(k.wall),
        kib(base),
        kib(kernel),
        grouped(jobs_each as u64),
        long(pool_estimate),
        grouped(rounds as u64),
        long(to_thread_estimate),
        secs(m.pool.wall),
        secs(m.jobs_alone),
        secs(m.to_thread.wall),
    );
    text
}

/// `--plot out.svg`: wall time against sleepers there, peak memory in `out-memory.svg`.
pub fn plot(path: &str, points: &[Point], virtual_clock: bool) {
    let xs: Vec<f64> = points.iter().map(|p| p.n as f64).collect();
    let series = |f: &dyn Fn(&Point) -> (f64, f64)| {
        vec![
            Series { name: "threads".into(), ys: points.iter().map(|p| f(p).0).collect() },
            Series {
                name: if virtual_clock { "rondo tasks (virtual)" } else { "rondo tasks" }.into(),
                ys: points.iter().map(|p| f(p).1).collect(),
            },
        ]
    };
    let wall = series(&|p| (p.threads.wall.as_secs_f64(), p.tasks.wall.as_secs_f64()));
    let title = "seed 003: sleepers, wall time";
    experiment::write_plot(path, &experiment::line_chart(title, "sleepers", "seconds", &xs, &wall));
    let mib = |kib: u64| kib as f64 / 1024.0;
    let memory = series(&|p| (mib(p.threads.peak_kib), mib(p.tasks.peak_kib)));
    let memory_path = match path.strip_suffix(".svg") {
        Some(stem) => format!("{stem}-memory.svg"),
        None => format!("{path}-memory.svg"),
    };
    let title = "seed 003: sleepers, peak resident memory (VmHWM)";
    let svg = experiment::line_chart(title, "sleepers", "MiB", &xs, &memory);
    experiment::write_plot(&memory_path, &svg);
}
