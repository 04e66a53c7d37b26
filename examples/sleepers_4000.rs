//! # sleepers_4000 — 4,000 sleepers of 3 s as threads, as tasks, as a process pool
//!
//! Seed 003, "Threads, Multiprocessing and Asyncio":
//! ```python
//! def hello():        time.sleep(3)
//! async def ahello(): await asyncio.sleep(3)
//!
//! def t_main():                                  # 4.3 s
//!     threads = [threading.Thread(target=hello) for _ in range(4000)]
//!     for t in threads: t.start()
//!     for t in threads: t.join()
//! def m_main():                                  # "took quite some time"
//!     with multiprocessing.Pool() as pool:
//!         pool.map(snap, [hello for _ in range(4000)])
//! async def a_main():                            # ~3 s
//!     await asyncio.gather(*[ahello() for _ in range(4000)])
//! ```
//! Each way runs in a fresh process of this program (`--variant ...`), so
//! its peak resident memory is its own:
//! 1. **threads** — one OS thread per sleeper, `std::thread::sleep`;
//! 2. **tasks** — one rondo task per sleeper on one loop, `sleep` gathered;
//! 3. **process pool** — what `multiprocessing.Pool()` does: one worker
//!    process per CPU (not one per job, as the seed guessed), each running
//!    its share of the jobs *one after another*; the workers are this
//!    program again, started as rondo `Process`es and their
//!    `communicate()`s gathered on one loop. On 2 CPUs that is
//!    4,000 × 3 s / 2 = 100 minutes, so only a slice is run and the rest is
//!    extrapolated — and the output says so;
//! 4. **to_thread** — `asyncio.to_thread(time.sleep, 3)` 4,000 times: the
//!    loop's default pool has `min(32, cpus + 4)` threads, so the sleeps go
//!    that many at a time (a slice again, extrapolated).
//!
//! **Watch for:** threads and tasks both finish in about 3 s, but the
//! threads pay for *starting* 4,000 threads (the seed's 4.3 s) and about
//! ten kilobytes of resident memory each, the tasks a few hundred bytes;
//! a thread's 2 MiB stack is only *reserved* address space (`VmPeak` runs
//! into gigabytes), and `VmHWM` counts just the pages it touched. The
//! process pool is not slow because processes are slow but because a pool
//! worker runs one blocking job at a time; `to_thread` likewise.
//!
//! Run: `cargo run --release --example sleepers_4000` (about 20 s;
//! `-- --plot out.svg` also measures 500, 1,000 and 2,000 sleepers and draws
//! wall time, and memory beside it in `out-memory.svg`; `-- --sleep SECS`
//! for another nap than 3 s; `-- --sleepers N` for another count).
//! `-- --virtual` runs a tiny version in a second: 100 sleepers, the tasks on
//! the virtual clock, the threads and workers sleeping 10 ms for real.

#[path = "common/mod.rs"]
mod common;
#[path = "common/experiment.rs"]
mod experiment;
#[path = "sleepers_4000/ways.rs"]
mod ways;

use common::outln;
use experiment::{Cost, Series, kib, run_variant, secs};
use std::time::Duration;

/// The command line of the parent.
struct Flags {
    virtual_clock: bool,
    plot: Option<String>,
    /// `--sleep SECS`: each sleeper's nap (the seed's 3 s).
    nap: Duration,
    /// `--sleepers N`: how many (the seed's 4,000; 100 under `--virtual`).
    sleepers: Option<usize>,
}

impl Flags {
    fn parse(args: &[String]) -> Flags {
        let mut flags =
            Flags { virtual_clock: false, plot: None, nap: Duration::from_secs(3), sleepers: None };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value =
                |what: &str| args.next().cloned().unwrap_or_else(|| fail(&format!("{arg} needs {what}")));
            match arg.as_str() {
                "--virtual" => flags.virtual_clock = true,
                "--plot" => flags.plot = Some(value("a file name")),
                "--sleep" => {
                    let secs: f64 = value("a number of seconds").parse().unwrap_or(-1.0);
                    if !(0.0..=3600.0).contains(&secs) {
                        fail("--sleep takes seconds, from 0 to 3600");
                    }
                    flags.nap = Duration::from_secs_f64(secs);
                }
                "--sleepers" => {
                    let n = value("a count").parse().unwrap_or(0);
                    if n < 8 {
                        fail("--sleepers takes a count of at least 8");
                    }
                    flags.sleepers = Some(n);
                }
                "-h" | "--help" => {
                    outln!(
                        "flags: --virtual, --plot FILE.svg, --sleep SECS (default 3), --sleepers N (default 4000)"
                    );
                    std::process::exit(0);
                }
                other => fail(&format!("unknown flag {other:?}; try --help")),
            }
        }
        flags
    }
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2)
}

/// In a child: runs one way and reports (see `ways.rs`).
fn child(args: &[String]) {
    let number = |i: usize| -> u64 { args.get(i).and_then(|a| a.parse().ok()).expect("a variant's numbers") };
    let nap = |i: usize| Duration::from_nanos(number(i));
    match (args[0].as_str(), args.get(1).map(String::as_str)) {
        ("--worker", _) => ways::worker(number(1) as usize, nap(2)),
        ("--variant", Some("baseline")) => ways::baseline(),
        ("--variant", Some("threads")) => ways::threads(number(2) as usize, nap(3)),
        ("--variant", Some("tasks")) => ways::tasks(number(2) as usize, nap(3), number(4) == 1),
        ("--variant", Some("pool")) => ways::pool(number(2) as usize, number(3) as usize, nap(4)),
        ("--variant", Some("to_thread")) => ways::to_threads(number(2) as usize, nap(3)),
        _ => fail(&format!("unknown variant {args:?}")),
    }
}

/// Runs this program again as `--variant way numbers...`.
fn measure(way: &str, numbers: &[u128]) -> Cost {
    let mut args = vec!["--variant".to_string(), way.to_string()];
    args.extend(numbers.iter().map(|n| n.to_string()));
    run_variant(&args)
}

/// `4,000`.
fn grouped(n: u64) -> String {
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

/// The sizes and naps of one run of the experiment.
struct Plan {
    virtual_clock: bool,
    /// Sleepers at the biggest point, and in the extrapolations: 4,000.
    n: usize,
    /// The points measured for threads and tasks: `n` alone, or `n/8 .. n` for `--plot`.
    sizes: Vec<usize>,
    /// The tasks' nap (on the virtual clock under `--virtual`).
    task_nap: Duration,
    /// The nap of everything that sleeps for real: threads, pool workers, pool threads.
    real_nap: Duration,
    /// Pool workers: one per CPU, as `multiprocessing.Pool()`.
    cpus: usize,
    /// to_thread's pool: `min(32, cpus + 4)`, as asyncio's default executor.
    pool_size: usize,
    /// The slices: jobs per pool worker, rounds of the to_thread pool.
    rounds: usize,
}

impl Plan {
    fn new(flags: &Flags) -> Plan {
        let virtual_clock = flags.virtual_clock;
        let n = flags.sleepers.unwrap_or(if virtual_clock { 100 } else { 4_000 });
        Plan {
            virtual_clock,
            n,
            sizes: if flags.plot.is_some() { vec![n / 8, n / 4, n / 2, n] } else { vec![n] },
            task_nap: flags.nap,
            // Under --virtual a tiny version: a thread cannot sleep on the
            // virtual clock, so whatever sleeps for real sleeps 10 ms.
            real_nap: if virtual_clock { Duration::from_millis(10) } else { flags.nap },
            cpus: std::thread::available_parallelism().map_or(1, |c| c.get()),
            pool_size: rondo::ThreadPool::default_size(),
            rounds: if virtual_clock { 1 } else { 2 },
        }
    }

    /// The pool for all `n`: a worker runs one job at a time, so each runs
    /// `ceil(n / workers)` jobs one after another. (Jobs, time.)
    fn pool_estimate(&self) -> (usize, Duration) {
        let jobs_each = self.n.div_ceil(self.cpus);
        (jobs_each, self.real_nap * jobs_each as u32)
    }

    /// to_thread for all `n`: `ceil(n / pool threads)` rounds. (Rounds, time.)
    fn to_thread_estimate(&self) -> (usize, Duration) {
        let rounds = self.n.div_ceil(self.pool_size);
        (rounds, self.real_nap * rounds as u32)
    }
}

/// What one size of threads and tasks cost.
struct Point {
    n: usize,
    threads: Cost,
    tasks: Cost,
}

/// Everything measured, each in a process of its own.
struct Measured {
    baseline: Cost,
    points: Vec<Point>,
    pool: Cost,
    /// The pool's peak resident memory: its parent's and every worker's.
    pool_kib: u64,
    /// The slowest worker's time for its jobs alone (no process start).
    jobs_alone: Duration,
    /// The pool's parent's threads: main, watchdog, and each worker's watcher and stdout reader.
    parent_threads: u64,
    to_thread: Cost,
}

fn measure_all(plan: &Plan) -> Measured {
    let baseline = measure("baseline", &[]);
    let real_nap = plan.real_nap.as_nanos();
    let mut points = Vec::new();
    for &n in &plan.sizes {
        let threads = measure("threads", &[n as u128, real_nap]);
        let tasks = measure("tasks", &[n as u128, plan.task_nap.as_nanos(), plan.virtual_clock as u128]);
        points.push(Point { n, threads, tasks });
    }
    let pool = measure("pool", &[plan.cpus as u128, plan.rounds as u128, real_nap]);
    let (workers_kib, jobs_alone, parent_threads) = ways::pool_note(&pool.note);
    let pool_kib = pool.peak_kib + workers_kib;
    let to_thread = measure("to_thread", &[(plan.rounds * plan.pool_size) as u128, real_nap]);
    Measured { baseline, points, pool, pool_kib, jobs_alone, parent_threads, to_thread }
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

fn rows(plan: &Plan, m: &Measured) -> Vec<Vec<String>> {
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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if matches!(args.first().map(String::as_str), Some("--variant" | "--worker")) {
        return child(&args);
    }
    let flags = Flags::parse(&args);
    // The children inherit the environment, observers included: they would
    // cost the measured runs time and memory, and their output is not shown.
    for var in ["RONDO_TRACE", "RONDO_STEP", "RONDO_TIMELINE", "RONDO_SHUFFLE"] {
        if std::env::var(var).is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "off")) {
            eprintln!(
                "sleepers_4000: {var} is set; the measured child processes inherit it, which skews them"
            );
        }
    }
    let plan = Plan::new(&flags);
    let (n, nap) = (grouped(plan.n as u64), secs(plan.real_nap));
    outln!("{n} sleepers: threads, rondo tasks, a process pool and to_thread, each in a process of its own");
    if plan.virtual_clock {
        let task_nap = secs(plan.task_nap);
        outln!(
            "--virtual: a tiny version. The tasks sleep {task_nap} on the VIRTUAL clock (their wall time is loop"
        );
        outln!(
            "time); threads, pool workers and to_thread's pool sleep {nap} for real (no thread sleeps virtually)."
        );
    } else {
        outln!("each sleeps {nap}; the pool and to_thread rows are measured on a slice and extrapolated");
    }
    outln!("");

    let measured = measure_all(&plan);
    let header = ["way", "sleepers", "wall time", "peak resident", "per sleeper", "threads/procs", "note"];
    outln!("{}", experiment::table(&header, &rows(&plan, &measured)));
    outln!("{}", explain(&plan, &measured));
    if let Some(path) = &flags.plot {
        plot(path, &measured.points, plan.virtual_clock);
    }
}

/// What the numbers say, in numbers.
fn explain(plan: &Plan, m: &Measured) -> String {
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
fn plot(path: &str, points: &[Point], virtual_clock: bool) {
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
