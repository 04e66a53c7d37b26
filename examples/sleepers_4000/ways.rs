//! The four ways to sleep, each as it runs in a process of its own.
//!
//! `sleepers_4000` starts itself again with `--variant WAY ...` for each
//! measurement (so each way's peak memory is its own), and, for the process
//! pool, with `--worker JOBS NANOS` for each pool worker. What runs in those
//! processes is here; the parent's plan is in `sleepers_4000.rs`, and how
//! it shows the numbers in `report.rs`.

use crate::experiment;
use rondo::{Context, Coroutine, Gather, Poll, Process, gather, sleep, to_thread};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The most address space this process ever had mapped, in KiB (Linux
/// `/proc/self/status`, `VmPeak`): reserved, not necessarily ever touched.
pub fn peak_virtual_kib() -> u64 {
    experiment::proc_field("/proc/self/status", "VmPeak")
}

/// What the kernel holds in the stacks of every thread on the machine, in
/// KiB (Linux `/proc/meminfo`, `KernelStack`): a thread's kernel-side stack
/// is in no process's resident memory. Machine-wide, so other programs add
/// noise; 4,000 threads of ours are most of it.
fn kernel_stack_kib() -> u64 {
    experiment::proc_field("/proc/meminfo", "KernelStack")
}

/// The parent's yardstick: a process of this program that sleeps nobody.
/// Its peak resident memory is what every variant costs before it starts.
pub fn baseline() {
    experiment::report(Duration::ZERO, experiment::threads_now(), "");
}

/// Way 1, the seed's `t_main`: one OS thread per sleeper, each in
/// `std::thread::sleep` (Python's `time.sleep`); start them all, then join
/// them all. The wall time includes starting them, as the seed's does.
///
/// If the system refuses a thread (`ulimit -u`, `threads-max`, memory), the
/// ones already started are joined and the report says where it stopped —
/// instead of std's `thread::spawn`, which would panic with "failed to
/// spawn thread".
pub fn threads(n: usize, nap: Duration) {
    let kernel_stacks_before = kernel_stack_kib();
    let start = Instant::now();
    let mut sleepers = Vec::with_capacity(n);
    let mut refused = None;
    for i in 0..n {
        match thread::Builder::new().spawn(move || thread::sleep(nap)) {
            Ok(handle) => sleepers.push(handle),
            Err(error) => {
                refused = Some(format!("the system refused thread {} of {n}: {error}", i + 1));
                break;
            }
        }
    }
    let started_in = start.elapsed();
    let kernel_stacks = kernel_stack_kib().saturating_sub(kernel_stacks_before);
    let started = sleepers.len();
    for sleeper in sleepers {
        sleeper.join().expect("a sleeper only sleeps");
    }
    let wall = start.elapsed();
    // For the parent to render: how long starting them took, the address
    // space reserved at the peak, the kernel's stacks for them, and why the
    // system refused a thread, if it did.
    let mut note = format!(
        "start_ns={} vmpeak_kib={} kernel_kib={kernel_stacks}",
        started_in.as_nanos(),
        peak_virtual_kib()
    );
    if let Some(refused) = refused {
        note += &format!(" refused={refused}");
    }
    experiment::report(wall, started + 1, &note); // + the main thread
}

/// Way 2, the seed's `a_main`: one rondo task per sleeper on one loop, all
/// gathered. Under `--virtual` the loop's clock is virtual and `wall` is
/// loop time.
pub fn tasks(n: usize, nap: Duration, virtual_clock: bool) {
    // tasks = [ahello() for _ in range(4000)], where ahello() is asyncio.sleep(3)
    let sleepers: Vec<_> = (0..n).map(|_| sleep(nap)).collect();
    let ran = crate::common::run_main(virtual_clock, GatherAll::new(sleepers));
    experiment::report(ran.took, ran.output.1, "");
}

/// Way 4, `asyncio.to_thread(time.sleep, 3)` 4,000 times: one task per
/// job on one loop, but each job a *blocking* sleep on the loop's default
/// thread pool, which has `min(32, cpus + 4)` threads — so at most that many
/// sleep at once, and the rest queue.
pub fn to_threads(n: usize, nap: Duration) {
    let jobs: Vec<_> = (0..n).map(|_| to_thread(move || thread::sleep(nap))).collect();
    let ran = crate::common::run_main(false, GatherAll::new(jobs));
    experiment::report(ran.took, ran.output.1, "");
}

/// ```text
/// async fn gather_all(coroutines) -> (Vec<T>, usize) {
///     let before = threads_now();                 // a child's watchers are there now
///     let outputs = gather(coroutines).await;    // every one at once, on this loop
///     (outputs, max(before, threads_now()))       // to_thread's pool is there now
/// }
/// ```
pub struct GatherAll<T> {
    state: GatherAllState<T>,
}

enum GatherAllState<T> {
    Start(Gather<T>),
    /// `gather` spawns its tasks when first polled: the measured run starts there.
    Gathering {
        all: Gather<T>,
        threads_before: usize,
    },
    Done,
}

impl<T: 'static> GatherAll<T> {
    #[track_caller]
    pub fn new<C: Coroutine<Output = T> + 'static>(coroutines: Vec<C>) -> GatherAll<T> {
        GatherAll { state: GatherAllState::Start(gather(coroutines)) }
    }
}

impl<T: 'static> Coroutine for GatherAll<T> {
    type Output = (Vec<T>, usize);

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &mut self.state {
                GatherAllState::Start(_) => {
                    let GatherAllState::Start(all) = std::mem::replace(&mut self.state, GatherAllState::Done)
                    else {
                        unreachable!()
                    };
                    let threads_before = experiment::threads_now();
                    self.state = GatherAllState::Gathering { all, threads_before };
                }
                GatherAllState::Gathering { all, threads_before } => {
                    let Poll::Ready(outcome) = all.poll(cx) else { return Poll::Pending };
                    let outputs = outcome.expect("no task here panics");
                    let threads = experiment::threads_now().max(*threads_before);
                    self.state = GatherAllState::Done;
                    return Poll::Ready((outputs, threads));
                }
                GatherAllState::Done => panic!("gather_all() polled after it completed"),
            }
        }
    }
}

/// The line a pool worker prints last, for the pool's parent to read.
const WORKER_REPORT: &str = "worker-report";

/// A pool worker (`--worker JOBS NANOS`): runs its share of the jobs *one
/// after another*, as a `multiprocessing.Pool` worker does — each job is
/// the seed's `hello()`, a blocking `time.sleep(3)`.
pub fn worker(jobs: usize, nap: Duration) {
    let start = Instant::now();
    for _ in 0..jobs {
        thread::sleep(nap);
    }
    println!(
        "{WORKER_REPORT} jobs_ns={} peak_kib={}",
        start.elapsed().as_nanos(),
        experiment::peak_resident_kib()
    );
}

/// What a worker reported: how long its jobs took, its peak resident memory.
fn parse_worker(stdout: &[u8]) -> Option<(Duration, u64)> {
    let text = String::from_utf8_lossy(stdout);
    let line = text.lines().rev().find(|l| l.starts_with(WORKER_REPORT))?;
    let field = |key: &str| line.split(' ').find_map(|f| f.strip_prefix(key)?.parse::<u64>().ok());
    Some((Duration::from_nanos(field("jobs_ns=")?), field("peak_kib=")?))
}

/// Way 3, the seed's `m_main` — `multiprocessing.Pool().map(snap, [hello] * 4000)`:
/// `workers` processes (Pool's default is one per CPU, not one per job),
/// each running `jobs_each` jobs one after another. They are rondo
/// [`Process`]es, awaited from one loop: `gather` of their `communicate()`s
/// (each worker's report comes back on its stdout). The wall time counts
/// starting the workers (a few ms for a Rust program; CPython's Pool starts
/// its workers before the seed's `start = time.time()`).
///
/// The peak memory reported is this process's plus every worker's: a pool
/// costs all of its processes. The threads reported are this process's: a
/// rondo `Process` is watched by a watcher thread and a reader thread per
/// captured pipe (stage 8's subprocesses say why).
pub fn pool(workers: usize, jobs_each: usize, nap: Duration) {
    let exe = std::env::current_exe().expect("the path of this program");
    let start = Instant::now();
    let mut processes = Vec::with_capacity(workers);
    for i in 0..workers {
        let mut command = Command::new(&exe);
        command
            .args(["--worker", &jobs_each.to_string(), &nap.as_nanos().to_string()])
            .stdout(Stdio::piped());
        match Process::spawn(&mut command) {
            Ok(process) => processes.push(process),
            Err(error) => panic!("could not start pool worker {} of {workers}: {error}", i + 1),
        }
    }
    // await asyncio.gather(*[worker.communicate() for worker in workers])
    let waits: Vec<_> = processes.iter().map(Process::communicate).collect();
    let ran = crate::common::run_main(false, GatherAll::new(waits));
    let wall = start.elapsed();
    let (outputs, threads) = ran.output;
    let (mut workers_kib, mut slowest) = (0, Duration::ZERO);
    for output in outputs {
        let output = output.expect("a pool worker's output");
        let report = parse_worker(&output.stdout).filter(|_| output.status.success());
        let (jobs_took, worker_kib) =
            report.unwrap_or_else(|| panic!("a pool worker failed: {}", output.status));
        workers_kib += worker_kib;
        slowest = slowest.max(jobs_took);
    }
    // The report carries this process's own peak; the workers' goes in the
    // note, for the parent to add (see `pool_note`).
    let note = format!("workers_kib={workers_kib} jobs_ns={} parent_threads={threads}", slowest.as_nanos());
    experiment::report(wall, workers, &note);
}

/// Reads back what [`pool`] put in its note: the workers' summed peak
/// resident memory (KiB), the slowest worker's time for its jobs alone, and
/// the threads of the pool's parent.
pub fn pool_note(note: &str) -> (u64, Duration, u64) {
    let jobs_alone = Duration::from_nanos(field(note, "jobs_ns=").unwrap_or(0));
    (field(note, "workers_kib=").unwrap_or(0), jobs_alone, field(note, "parent_threads=").unwrap_or(0))
}

/// A `key=NUMBER` field of a variant's note.
pub fn field(note: &str, key: &str) -> Option<u64> {
    note.split(' ').find_map(|f| f.strip_prefix(key)?.parse().ok())
}
