//! # bench — rondo's speed on the workloads of DESIGN.md, medians of several runs
//!
//! Run: `cargo run --release --example bench` (`-- --quick` for smaller
//! sizes). Prints one table; `compare/run.sh` puts the same workloads on
//! tokio, smol, futures and asyncio beside it.
//!
//! | workload | what is measured |
//! |---|---|
//! | floor | a boxed `dyn FnMut` called through a `VecDeque` push/pop: the cost of "queue a callback, run it" with no runtime at all |
//! | spawn+join | 1M trivial tasks spawned, then each awaited: ns per task, and bytes per task while all are alive |
//! | yield | 1,000 tasks × 1,000 `yield_now`: ns per yield |
//! | sleepers | 100k / 1M tasks sleeping 1 s at once: wall time, CPU time, bytes per task |
//! | idle | one task sleeping 2 s: CPU used (the event loop must not spin) |
//! | overshoot | 1,000 sequential 1 ms sleeps: how late each wakes (median, p99) |
//! | ping-pong | a queue round trip: waits for stage 7's `Queue` |
//!
//! Memory is read from the process's resident set (`/proc/self/statm`) at the
//! moment every task is alive, so "bytes per task" includes everything the
//! runtime keeps per task (task cell, table slot, timer entry, handle).
//! Timings use the real clock; the virtual clock, the slow-step detector and
//! asyncio's ordering rules all stay on — speed is not bought with semantics.

use rondo::stage3_sleep::process_cpu_time;
use rondo::{Context, Coroutine, CoroutineExt, EventLoop, Poll, Task, sleep, spawn};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Resident memory of this process, in bytes (Linux), or 0 if unknown.
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let index = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs[index]
}

/// The floor: ns per boxed-closure call through a queue.
fn floor(n: u64) -> f64 {
    let mut queue: VecDeque<Box<dyn FnMut() -> u64>> = VecDeque::with_capacity(1024);
    let mut total = 0u64;
    let start = Instant::now();
    for i in 0..n {
        queue.push_back(Box::new(move || i ^ 0x5a));
        let mut f = queue.pop_front().unwrap();
        total = total.wrapping_add(f());
    }
    std::hint::black_box(total);
    start.elapsed().as_nanos() as f64 / n as f64
}

/// spawn+join: (ns per task, bytes per task).
fn spawn_join(n: u64) -> (f64, f64) {
    let ev = EventLoop::new();
    let before = resident_bytes();
    let start = Instant::now();
    let peak = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let peak_in = peak.clone();
    let mut handles: Option<Vec<Task<u64>>> = None;
    let mut next = 0;
    let main = rondo::poll_fn(move |cx: &mut Context<'_>| {
        let tasks = handles.get_or_insert_with(|| {
            let tasks: Vec<Task<u64>> = (0..n).map(|i| spawn(rondo::ready(i))).collect();
            peak_in.set(resident_bytes());
            tasks
        });
        while next < tasks.len() {
            match tasks[next].poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(v) => {
                    std::hint::black_box(v.unwrap());
                    next += 1;
                }
            }
        }
        Poll::Ready(())
    });
    ev.run_until_complete(main).unwrap();
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    (ns, peak.get().saturating_sub(before) as f64 / n as f64)
}

/// Yields `left` times, then finishes.
struct Yielder {
    left: u32,
}

impl Coroutine for Yielder {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.left == 0 {
            return Poll::Ready(());
        }
        self.left -= 1;
        cx.waker().wake();
        Poll::Pending
    }
}

/// yield: ns per yield for `tasks` × `yields`.
fn yields(tasks: u32, per_task: u32) -> f64 {
    let ev = EventLoop::new();
    let start = Instant::now();
    let main = rondo::lazy(move || (0..tasks).map(|_| spawn(Yielder { left: per_task })).collect::<Vec<_>>())
        .then(rondo::gather_tasks);
    ev.run_until_complete(main).unwrap().unwrap();
    start.elapsed().as_nanos() as f64 / (tasks as f64 * per_task as f64)
}

/// sleepers: (wall s, CPU s, bytes per task) for `n` tasks sleeping 1 s.
fn sleepers(n: u64) -> (f64, f64, f64) {
    let ev = EventLoop::new();
    let before = resident_bytes();
    let cpu_before = process_cpu_time().unwrap_or_default();
    let start = Instant::now();
    let peak = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let peak_in = peak.clone();
    let main = rondo::lazy(move || {
        let tasks: Vec<Task<()>> = (0..n).map(|_| spawn(sleep(Duration::from_secs(1)))).collect();
        // Runs after every sleeper took its first step (registered its timer).
        let probe = spawn(rondo::lazy(move || peak_in.set(resident_bytes())));
        (tasks, probe)
    })
    .then(|(tasks, probe)| probe.then(move |_| rondo::gather_tasks(tasks)));
    ev.run_until_complete(main).unwrap().unwrap();
    let wall = start.elapsed().as_secs_f64();
    let cpu = (process_cpu_time().unwrap_or_default() - cpu_before).as_secs_f64();
    (wall, cpu, peak.get().saturating_sub(before) as f64 / n as f64)
}

/// idle: CPU seconds used while one task sleeps 2 s.
fn idle() -> f64 {
    let ev = EventLoop::new();
    let cpu_before = process_cpu_time().unwrap_or_default();
    ev.run_until_complete(sleep(Duration::from_secs(2))).unwrap();
    (process_cpu_time().unwrap_or_default() - cpu_before).as_secs_f64()
}

/// overshoot: how late `n` sequential 1 ms sleeps wake, in µs (all samples).
fn overshoot(n: usize) -> Vec<f64> {
    let ev = EventLoop::new();
    let samples = std::rc::Rc::new(std::cell::RefCell::new(Vec::with_capacity(n)));
    let out = samples.clone();
    let mut current: Option<(Instant, rondo::Sleep)> = None;
    let mut done = 0;
    let main = rondo::poll_fn(move |cx: &mut Context<'_>| {
        loop {
            let (started, nap) =
                current.get_or_insert_with(|| (Instant::now(), sleep(Duration::from_millis(1))));
            if nap.poll(cx).is_pending() {
                return Poll::Pending;
            }
            let late = started.elapsed().as_secs_f64() * 1e6 - 1000.0;
            out.borrow_mut().push(late);
            current = None;
            done += 1;
            if done == n {
                return Poll::Ready(());
            }
        }
    });
    ev.run_until_complete(main).unwrap();
    samples.take()
}

/// Runs one measurement in this process and prints its numbers on one line.
fn run_one(workload: &str, n: u64) {
    let numbers: Vec<f64> = match workload {
        "floor" => vec![floor(n)],
        "spawn_join" => {
            let (ns, bytes) = spawn_join(n);
            vec![ns, bytes]
        }
        "yield" => vec![yields(1000, n as u32)],
        "sleepers" => {
            let (wall, cpu, bytes) = sleepers(n);
            vec![wall, cpu, bytes]
        }
        "idle" => vec![idle()],
        "overshoot" => {
            let samples = overshoot(n as usize);
            vec![median(samples.clone()), percentile(samples, 0.99)]
        }
        other => panic!("unknown workload {other}"),
    };
    let text: Vec<String> = numbers.iter().map(|x| x.to_string()).collect();
    println!("{}", text.join(" "));
}

/// Runs a measurement `runs` times, each in a fresh process (so memory
/// figures start from a clean heap), and returns the medians of each number.
fn measure(workload: &str, n: u64, runs: usize) -> Vec<f64> {
    let exe = std::env::current_exe().expect("the bench's own path");
    let mut samples: Vec<Vec<f64>> = Vec::new();
    for _ in 0..runs {
        let output = std::process::Command::new(&exe)
            .args(["--one", workload, &n.to_string()])
            .output()
            .expect("run a measurement");
        assert!(output.status.success(), "{workload} failed: {}", String::from_utf8_lossy(&output.stderr));
        let line = String::from_utf8(output.stdout).unwrap();
        samples.push(line.split_whitespace().map(|x| x.parse().unwrap()).collect());
    }
    (0..samples[0].len()).map(|k| median(samples.iter().map(|s| s[k]).collect())).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "--one" {
        return run_one(&args[2], args[3].parse().expect("a count"));
    }
    let quick = args.iter().any(|a| a == "--quick");
    let runs = 3;
    let million: u64 = if quick { 100_000 } else { 1_000_000 };
    println!(
        "rondo bench ({runs} runs each in a fresh process, medians; {})",
        if quick { "quick sizes" } else { "full sizes" }
    );
    println!("| workload | rondo |");
    println!("|---|---|");
    let m = measure("floor", million, runs);
    println!("| floor: boxed dyn FnMut via VecDeque | {:.1} ns/call |", m[0]);
    let m = measure("spawn_join", million, runs);
    println!("| spawn+join {million} | {:.1} ns/task, {:.0} bytes/task |", m[0], m[1]);
    let per_task = if quick { 100 } else { 1000 };
    let m = measure("yield", per_task, runs);
    println!("| yield 1000 tasks × {per_task} | {:.1} ns/yield |", m[0]);
    for n in [100_000, million] {
        let m = measure("sleepers", n, runs);
        println!("| {n} sleepers of 1 s | {:.3} s wall, {:.3} s CPU, {:.0} bytes/task |", m[0], m[1], m[2]);
    }
    let m = measure("idle", 0, runs);
    println!("| one task idle 2 s | {:.4} s CPU |", m[0]);
    let n = if quick { 200 } else { 1000 };
    let m = measure("overshoot", n, runs);
    println!("| {n} × 1 ms sleeps, overshoot | median {:.0} µs, p99 {:.0} µs |", m[0], m[1]);
    println!("| queue ping-pong | n/a: waits for stage 7's Queue |");
}
