//! # prime_workers — seed 003's "is prime" and "conclusion": CPU work on the loop, on threads, in processes
//!
//! ```python
//! def is_prime(n):                        # the seed's loop: every divisor, downwards
//!     for i in range(n-1, 0, -1):
//!         if n % i == 0:
//!             return ...                  # (the seed returns True here — even for i == 1)
//!
//! async def ahello():                     # one job
//!     await asyncio.sleep(1)
//!     is_prime(16769823)
//!
//! # (a) await asyncio.gather(*(ahello() for _ in range(5)))            seed: 6 s
//! # (b) the sleep and is_prime in threads (t_main)                     seed: "similar", ~6 s
//! # (c) asyncio combined with multiprocessing: each process runs its own loop
//! def _main(coroutine):
//!     asyncio.run(coroutine())
//! with multiprocessing.Pool(5) as pool:
//!     pool.map(_main, [ahello for _ in range(5)])                      # seed: 3 s
//! ```
//! Five jobs, each `sleep(1 s)` then a CPU-bound `is_prime`, run three ways:
//! (a) all on one loop; (b) on one loop with the CPU part in `to_thread`;
//! (c) each in a worker process — this same program started again with
//! `--worker N` through rondo's [`Process`] — that runs the job on a rondo
//! loop of its own; the parent gathers the children's `communicate()`s and
//! reads each result from the child's stdout.
//!
//! **Watch for:** in (a) the five sleeps overlap, but every `is_prime` holds
//! the loop, so they queue: 1 s + 5 × the job's CPU time, and stage 6's
//! slow-step detector names each job (`rondo: slow step: task 'job 3' …`).
//! In (b) the five searches run on pool threads *at the same time*, on every
//! core: 1 s + 5 × CPU ÷ cores. This is where rondo and the seed part ways:
//! CPython's threads take turns holding the GIL to run bytecode, so the
//! seed's threads gained nothing (~6 s, like (a)); Rust threads have no such
//! lock — CPU work in `to_thread` is parallel, and the "CPU parallelism"
//! column shows about as many busy cores as the machine has. (c) is as fast
//! as (b) plus the cost of starting processes — worth it in Python, where
//! only separate processes escape the GIL, an extra cost in Rust, where a
//! thread already does. The table's last column counts the slow steps.
//!
//! The work is sized at start-up: `is_prime(16769823)` — the seed's number
//! — is timed, and a job searches a prime `N` chosen so that the seed's loop
//! (a prime has no divisor but 1: it tries them all) takes about 0.5 s here.
//! **CPU parallelism** is the jobs' CPU time (each measured on its own
//! thread, from `/proc/thread-self/schedstat`) divided by the span from the
//! first search's start to the last one's end: 1.0 means one core at a time.
//!
//! `--plot out.svg` runs each way with 1, 2, 5 and 10 jobs (about 30 s) and
//! draws wall time against the number of jobs: (a) climbs by the CPU time
//! of every job, (b) and (c) by that time divided among the cores.
//!
//! Under `--virtual` (what CI runs): the sleeps take no real time, but CPU
//! work does — a virtual clock cannot shorten it — so the jobs are sized to
//! 20 ms and there are two; wall times are real. The slow-step detector
//! reports nothing there: under `--virtual` it times steps on the loop's
//! clock, which CPU work does not move (only `blocking_sleep` does).
//!
//! Wall times count whatever else the machine runs; the output says how
//! busy it was, and a CPU parallelism near 1.0 in (b) or (c) means another
//! program had the other core. `--best-of 3` keeps each way's fastest run.
//!
//! Run: `cargo run --release --example prime_workers` (about 8 s),
//! `-- --jobs 10`, `-- --best-of 3`, `-- --plot out.svg`, `-- --virtual`.

#[path = "common/mod.rs"]
mod common;
#[path = "common/experiment.rs"]
mod experiment;

use common::outln;
use rondo::stage5_combinators::Gather;
use rondo::{
    Communicate, Context, Coroutine, Poll, Process, Sleep, Task, ToThread, gather, gather_tasks, sleep,
    spawn_named, to_thread,
};
use std::io;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Every job sleeps this long first (`await asyncio.sleep(1)`).
const NAP: Duration = Duration::from_secs(1);

/// The seed's number: 3 × 5,589,941, so its search stops at 5,589,941.
const SEED_NUMBER: u64 = 16_769_823;

// ---- the work ----------------------------------------------------------------

/// The seed's loop, named for what it finds: the largest divisor of `n`
/// below `n`, tried downwards from `n - 1`. It is 1 exactly when `n` is
/// prime — after trying every candidate: the slowest case.
fn largest_divisor(n: u64) -> u64 {
    let n = std::hint::black_box(n); // a number the compiler cannot know
    (1..n).rev().find(|i| n.is_multiple_of(*i)).unwrap_or(1)
}

fn is_prime(n: u64) -> bool {
    n >= 2 && largest_divisor(n) == 1
}

/// A quick primality test (divisors up to √n), to choose `N`.
fn quick_is_prime(n: u64) -> bool {
    n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| !n.is_multiple_of(d))
}

/// Times (in CPU time) the seed's `is_prime(16769823)` (or a smaller sample
/// under `--virtual`, where even a debug build must be quick) and returns
/// the prime `N` whose search takes about `target`, with one sample's time.
fn calibrate(target: Duration, virtual_clock: bool) -> (u64, Duration) {
    let sample = if virtual_clock { 1_000_003 } else { SEED_NUMBER };
    // CPU time, not wall time: on a busy machine the wall clock also counts
    // the time other programs had the core. The kernel brings a running
    // thread's CPU time up to date only now and then (every few ms), so the
    // sample is repeated until enough of it has piled up.
    let enough = target / 10;
    let (cpu0, wall0) = (thread_cpu(), Instant::now());
    let (mut runs, mut tried) = (0u32, 0u64);
    let took = loop {
        tried += sample - largest_divisor(sample); // candidates n-1 down to the divisor
        runs += 1;
        let (cpu, wall) = (thread_cpu().saturating_sub(cpu0), wall0.elapsed());
        if cpu >= enough || wall >= 20 * enough {
            // (No CPU time to read at all: fall back on the wall clock.)
            break if cpu.is_zero() { wall } else { cpu };
        }
    };
    let per_second = tried as f64 / took.as_secs_f64().max(1e-9);
    let mut n = (per_second * target.as_secs_f64()) as u64 + 2;
    while !quick_is_prime(n) {
        n += 1;
    }
    (n, took / runs)
}

/// What one job did: its answer, its CPU time, and when its search ran
/// (wall-clock nanoseconds, comparable across processes).
#[derive(Clone, Copy, Debug)]
struct JobReport {
    prime: bool,
    cpu: Duration,
    start_ns: u128,
    end_ns: u128,
}

impl JobReport {
    /// Runs the search for `n` here, on this thread, and measures it.
    fn search(n: u64) -> JobReport {
        let (cpu0, start_ns) = (thread_cpu(), wall_ns());
        let prime = is_prime(n);
        let (end_ns, cpu) = (wall_ns(), thread_cpu().saturating_sub(cpu0));
        JobReport { prime, cpu, start_ns, end_ns }
    }

    /// The line a worker prints for its parent.
    fn to_line(self) -> String {
        format!(
            "job prime={} cpu_ns={} start_ns={} end_ns={}",
            self.prime,
            self.cpu.as_nanos(),
            self.start_ns,
            self.end_ns
        )
    }

    /// Reads a worker's line back.
    fn parse(stdout: &str) -> Option<JobReport> {
        let line = stdout.lines().find(|l| l.starts_with("job "))?;
        let field = |name: &str| {
            line.split(' ').find_map(|f| f.strip_prefix(name)?.strip_prefix('=')).map(str::to_string)
        };
        Some(JobReport {
            prime: field("prime")?.parse().ok()?,
            cpu: Duration::from_nanos(field("cpu_ns")?.parse().ok()?),
            start_ns: field("start_ns")?.parse().ok()?,
            end_ns: field("end_ns")?.parse().ok()?,
        })
    }
}

/// CPU time this thread has used: Linux's `/proc/thread-self/schedstat`
/// (nanoseconds on a CPU), else its `stat` (10 ms ticks), else zero.
fn thread_cpu() -> Duration {
    if let Ok(text) = std::fs::read_to_string("/proc/thread-self/schedstat")
        && let Some(ns) = text.split_whitespace().next().and_then(|f| f.parse().ok())
    {
        return Duration::from_nanos(ns);
    }
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // After the ")" that ends the thread's name: state is field 3, utime 14, stime 15.
    let fields: Vec<u64> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect())
        .unwrap_or_default();
    let ticks = fields.get(11).unwrap_or(&0) + fields.get(12).unwrap_or(&0);
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

fn wall_ns() -> u128 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos()
}

// ---- (a) and (b): one job on the loop --------------------------------------------

/// Where a job runs its search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// On the loop's thread, in the task's step: every other task waits.
    OnTheLoop,
    /// `await to_thread(...)`: on a pool thread; the task is parked meanwhile.
    OnAThread,
}

/// ```text
/// async fn job(n, place) -> JobReport {
///     sleep(1 s).await;                                      // asyncio.sleep(1)
///     match place {
///         OnTheLoop => JobReport::search(n),                  // is_prime(n), holding the loop
///         OnAThread => to_thread(move || JobReport::search(n)).await,
///     }
/// }
/// ```
struct Job {
    n: u64,
    place: Place,
    state: JobState,
}

enum JobState {
    Start,
    Napping(Sleep),
    Searching(ToThread<JobReport>),
    Done,
}

impl Coroutine for Job {
    type Output = JobReport;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<JobReport> {
        loop {
            match &mut self.state {
                JobState::Start => self.state = JobState::Napping(sleep(NAP)),
                JobState::Napping(nap) => {
                    if nap.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let n = self.n;
                    match self.place {
                        Place::OnTheLoop => {
                            let report = JobReport::search(n); // no Pending: this step goes on
                            self.state = JobState::Done;
                            return Poll::Ready(report);
                        }
                        Place::OnAThread => {
                            self.state = JobState::Searching(to_thread(move || JobReport::search(n)))
                        }
                    }
                }
                JobState::Searching(search) => {
                    let Poll::Ready(report) = search.poll(cx) else { return Poll::Pending };
                    self.state = JobState::Done;
                    return Poll::Ready(report);
                }
                JobState::Done => panic!("job() polled after it completed"),
            }
        }
    }
}

// ---- (c): one job in a worker process --------------------------------------------

/// This program again, as a worker for `n` (`--worker N`).
fn worker_command(n: u64, virtual_clock: bool) -> Command {
    let exe = std::env::current_exe().expect("the path of this program");
    let mut command = Command::new(exe);
    command.args(["--worker", &n.to_string()]);
    if virtual_clock {
        command.arg("--virtual");
    }
    // The child's stdout is its answer; its stderr (trace lines, if asked
    // for) is ours. Step mode and timeline files stay with the parent.
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::inherit());
    command.env_remove("RONDO_STEP").env_remove("RONDO_TIMELINE");
    command
}

/// ```text
/// async fn workers(n, jobs) -> Vec<JobReport> {
///     // asyncio.create_subprocess_exec(sys.argv[0], "--worker", n, stdout=PIPE), `jobs` times
///     let children: Vec<Process> = (0..jobs).map(|_| Process::spawn(worker_command(n))?).collect();
///     let outputs = gather(children.map(|child| child.communicate())).await;
///     outputs.map(|output| JobReport::parse(output?.stdout))   // each child ran job(n) on its own loop
/// }
/// ```
/// The seed's `multiprocessing.Pool(5).map(_main, ...)` keeps five
/// processes and hands them the jobs; here each job gets a fresh process,
/// as many at once as there are jobs.
struct Workers {
    n: u64,
    jobs: usize,
    virtual_clock: bool,
    state: WorkersState,
}

enum WorkersState {
    Start,
    /// Every child's `communicate()`: its exit and everything it printed.
    Gathering(Gather<io::Result<Output>>),
    Done,
}

impl Coroutine for Workers {
    type Output = Vec<JobReport>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Vec<JobReport>> {
        loop {
            match &mut self.state {
                WorkersState::Start => {
                    let children: Vec<Communicate> = (0..self.jobs)
                        .map(|_| {
                            let child = Process::spawn(&mut worker_command(self.n, self.virtual_clock));
                            child.expect("start a worker process").communicate()
                        })
                        .collect();
                    self.state = WorkersState::Gathering(gather(children));
                }
                WorkersState::Gathering(all) => {
                    let Poll::Ready(outputs) = all.poll(cx) else { return Poll::Pending };
                    let reports = outputs
                        .expect("every communicate() completes")
                        .into_iter()
                        .map(|output| {
                            let output = output.expect("read a worker's output");
                            let stdout = String::from_utf8_lossy(&output.stdout);
                            assert!(output.status.success(), "a worker failed ({}): {stdout}", output.status);
                            JobReport::parse(&stdout).unwrap_or_else(|| panic!("no report: {stdout}"))
                        })
                        .collect();
                    self.state = WorkersState::Done;
                    return Poll::Ready(reports);
                }
                WorkersState::Done => panic!("workers() polled after it completed"),
            }
        }
    }
}

/// `--worker N`: the child's `asyncio.run(ahello())` — one job on a loop of
/// its own, its report on stdout. Alone on its loop, its search blocks
/// nobody, so the slow-step detector is off.
fn worker_main(n: u64, virtual_clock: bool) {
    let ev = common::event_loop(virtual_clock);
    ev.set_slow_step_threshold(None);
    let report = ev.run_until_complete(Job { n, place: Place::OnTheLoop, state: JobState::Start });
    outln!("{}", report.expect("the job completes").to_line());
}

// ---- main: start every job, gather them ---------------------------------------------

/// ```text
/// async fn main(jobs) -> Vec<JobReport> {
///     gather(jobs.map(|(i, job)| spawn_named(format!("job {i}"), job))).await
/// }
/// ```
/// The tasks are named so that the slow-step warnings say which job blocked.
struct Main {
    state: MainState,
}

enum MainState {
    Start(Vec<Job>),
    Gathering(Gather<JobReport>),
    Done,
}

impl Coroutine for Main {
    type Output = Vec<JobReport>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Vec<JobReport>> {
        loop {
            match &mut self.state {
                MainState::Start(jobs) => {
                    let tasks: Vec<Task<JobReport>> = jobs
                        .drain(..)
                        .enumerate()
                        .map(|(i, job)| spawn_named(&format!("job {}", i + 1), job))
                        .collect();
                    self.state = MainState::Gathering(gather_tasks(tasks));
                }
                MainState::Gathering(all) => {
                    let Poll::Ready(reports) = all.poll(cx) else { return Poll::Pending };
                    self.state = MainState::Done;
                    return Poll::Ready(reports.expect("every job completes"));
                }
                MainState::Done => panic!("main() polled after it completed"),
            }
        }
    }
}

// ---- the experiment ------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    Loop,
    Threads,
    Processes,
}

impl Way {
    const ALL: [Way; 3] = [Way::Loop, Way::Threads, Way::Processes];

    fn label(self) -> &'static str {
        match self {
            Way::Loop => "(a) on the loop",
            Way::Threads => "(b) to_thread",
            Way::Processes => "(c) worker processes",
        }
    }
}

/// One run of one way: a row of the table.
struct Measured {
    way: Way,
    jobs: usize,
    wall: Duration,
    loop_time: Duration,
    cpu: Duration,
    /// CPU time ÷ the span of the searches: how many cores were busy.
    parallelism: f64,
    slow_steps: usize,
}

fn run_way(way: Way, jobs: usize, n: u64, virtual_clock: bool) -> Measured {
    let ev = common::event_loop(virtual_clock);
    let started = Instant::now();
    let reports = match way {
        Way::Loop | Way::Threads => {
            let place = if way == Way::Loop { Place::OnTheLoop } else { Place::OnAThread };
            let jobs = (0..jobs).map(|_| Job { n, place, state: JobState::Start }).collect();
            ev.run_until_complete(Main { state: MainState::Start(jobs) })
        }
        Way::Processes => {
            ev.run_until_complete(Workers { n, jobs, virtual_clock, state: WorkersState::Start })
        }
    };
    let reports = reports.expect("main completes");
    ev.cancel_all(); // nothing is left: every job was awaited
    let wall = started.elapsed();
    assert!(reports.iter().all(|r| r.prime), "N is prime");
    let cpu: Duration = reports.iter().map(|r| r.cpu).sum();
    let first = reports.iter().map(|r| r.start_ns).min().unwrap_or(0);
    let last = reports.iter().map(|r| r.end_ns).max().unwrap_or(0);
    let span = Duration::from_nanos(last.saturating_sub(first) as u64);
    let parallelism = cpu.as_secs_f64() / span.as_secs_f64().max(1e-9);
    Measured { way, jobs, wall, loop_time: ev.now(), cpu, parallelism, slow_steps: ev.slow_steps().len() }
}

/// What the example reads from its command line.
struct Flags {
    virtual_clock: bool,
    jobs: Option<usize>,
    /// Run each way this many times and keep the fastest (the run the rest
    /// of the machine disturbed least).
    best_of: usize,
    plot: Option<String>,
    worker: Option<u64>,
}

fn flags() -> Flags {
    let mut flags = Flags { virtual_clock: false, jobs: None, best_of: 1, plot: None, worker: None };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |what: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("{arg} needs {what}; try --help");
                std::process::exit(2)
            })
        };
        match arg.as_str() {
            "--virtual" => flags.virtual_clock = true,
            "--stamps" => {} // accepted as by every example; this one prints no loop lines
            "--jobs" => flags.jobs = value("a number").parse().ok().filter(|&j| j > 0),
            "--best-of" => flags.best_of = value("a number").parse().unwrap_or(1).max(1),
            "--plot" => flags.plot = Some(value("a file name")),
            "--worker" => flags.worker = value("a number").parse().ok(),
            "-h" | "--help" => {
                outln!(
                    "flags: --virtual, --jobs N (default 5), --best-of N (keep each way's fastest of N runs), \
                     --plot out.svg (1, 2, 5, 10 jobs per way)"
                );
                std::process::exit(0);
            }
            other => {
                eprintln!("unknown flag {other:?}; try --help");
                std::process::exit(2);
            }
        }
    }
    flags
}

fn main() {
    let flags = flags();
    if let Some(n) = flags.worker {
        return worker_main(n, flags.virtual_clock);
    }
    let virtual_clock = flags.virtual_clock;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let target = if virtual_clock { Duration::from_millis(20) } else { Duration::from_millis(500) };
    let (n, sample) = calibrate(target, virtual_clock);
    if virtual_clock {
        outln!("--virtual: sleeps take no real time, CPU work does: jobs of ~20 ms, wall times are real");
        outln!("calibration: the seed's loop over 1,000,003 takes {}", experiment::secs(sample));
    } else {
        outln!(
            "calibration: is_prime({SEED_NUMBER}), the seed's number, takes {} here",
            experiment::secs(sample)
        );
        outln!("(in CPython the same loop takes about 1 s: the seed's 5 jobs on one loop took 6 s)");
    }
    // Wall times include whatever else the machine runs: say how busy it is.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    if let Some(one_minute) = load.split_whitespace().next() {
        outln!("machine load (1-minute average, from /proc/loadavg): {one_minute} on {cores} cores");
    }
    outln!(
        "one job: sleep 1 s, then is_prime({n}) — a prime: the loop tries all {} candidates (~{} ms); {cores} cores",
        n - 1,
        target.as_millis()
    );
    let default_jobs = if virtual_clock { 2 } else { 5 };
    let counts: Vec<usize> =
        if flags.plot.is_some() { vec![1, 2, 5, 10] } else { vec![flags.jobs.unwrap_or(default_jobs)] };

    let mut rows = Vec::new();
    for &jobs in &counts {
        for way in Way::ALL {
            outln!("--- {}: {jobs} job{}", way.label(), if jobs == 1 { "" } else { "s" });
            let mut best: Option<Measured> = None;
            for _ in 0..flags.best_of {
                let m = run_way(way, jobs, n, virtual_clock);
                let clock = if virtual_clock {
                    format!(" ({:.3} s of loop time)", m.loop_time.as_secs_f64())
                } else {
                    String::new()
                };
                outln!("{} jobs in {}{clock}; {} slow steps", m.jobs, experiment::secs(m.wall), m.slow_steps);
                if best.as_ref().is_none_or(|b| m.wall < b.wall) {
                    best = Some(m);
                }
            }
            rows.push(best.expect("at least one run"));
        }
    }

    let nap = if virtual_clock { 0.0 } else { NAP.as_secs_f64() };
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|m| {
            // The nap, then the measured CPU time on one core, or on all of them.
            let cpu = m.cpu.as_secs_f64();
            let ideal = match m.way {
                Way::Loop => nap + cpu,
                Way::Threads | Way::Processes => nap + cpu / m.jobs.min(cores) as f64,
            };
            vec![
                m.way.label().to_string(),
                m.jobs.to_string(),
                experiment::secs(m.wall),
                experiment::secs(Duration::from_secs_f64(ideal)),
                experiment::secs(m.cpu),
                format!("{:.2}", m.parallelism),
                m.slow_steps.to_string(),
            ]
        })
        .collect();
    outln!("");
    outln!(
        "{}",
        experiment::table(&["way", "jobs", "wall", "ideal", "CPU", "CPU parallelism", "slow steps"], &table)
            .trim_end()
    );
    outln!("ideal: the nap, then the jobs' CPU time on one core (a) or shared by {cores} cores (b, c)");
    outln!(
        "CPU parallelism: the jobs' CPU time ÷ the span from the first search's start to the last one's end"
    );

    if let Some(path) = flags.plot {
        let xs: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        let series: Vec<experiment::Series> = Way::ALL
            .iter()
            .map(|&way| experiment::Series {
                name: way.label().to_string(),
                ys: rows.iter().filter(|m| m.way == way).map(|m| m.wall.as_secs_f64()).collect(),
            })
            .collect();
        let title = format!("sleep 1 s + is_prime, ~{} ms of CPU per job, {cores} cores", target.as_millis());
        let svg = experiment::line_chart(&title, "jobs", "wall time (s)", &xs, &series);
        experiment::write_plot(&path, &svg);
    }
}
