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
#[path = "sleepers_4000/report.rs"]
mod report;
#[path = "sleepers_4000/ways.rs"]
mod ways;

use common::outln;
use experiment::{Cost, run_variant, secs};
use report::{explain, grouped, plot, rows};
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
