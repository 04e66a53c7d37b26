//! rondo's benchmark workloads, written once: `examples/bench.rs` runs them
//! alone, and the compare crate includes this very file (`compare/src/main.rs`:
//! `#[path = "../../examples/bench/workloads.rs"] mod rondo_rt;`) for the
//! rondo column beside tokio, smol and futures.
//!
//! rondo is driven through its public API (the crate-root re-exports). It has
//! no `async fn` yet (that is stage 9), so tasks are hand-written coroutines
//! and combinators, in the same shapes as the generic `async` workloads of
//! `compare/src/workloads.rs`: spawn all, measure memory once every task
//! exists, then await each handle in order; a yield wakes itself and returns
//! `Pending` once.
//!
//! Each workload returns the numbers one measurement prints, in the order
//! `docs/performance.md` reports them.

use crate::measure::{cpu_time, overshoot_summary, resident_bytes};
use rondo::{Context, Coroutine, CoroutineExt, EventLoop, Poll, Task, sleep, spawn};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The yield workload runs this many tasks, each yielding `n` times.
pub const YIELD_TASKS: u64 = 1000;

/// The floor: what "queue a callback, run it" costs with no runtime at all —
/// a boxed `dyn FnMut` pushed onto a `VecDeque` and popped and called at once.
/// ns per call. (No rondo in it: the compare crate runs it once, for every
/// Rust column.)
pub fn floor(n: u64) -> f64 {
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

/// spawn+join: (ns per task, bytes per task while all are alive).
fn spawn_join(n: u64) -> Vec<f64> {
    let ev = EventLoop::new();
    let before = resident_bytes();
    let start = Instant::now();
    let peak = Rc::new(Cell::new(0u64));
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
    vec![ns, peak.get().saturating_sub(before) as f64 / n as f64]
}

/// Yields `left` times (wakes itself and returns Pending), then finishes:
/// the same hand-written yield every column uses.
struct Yielder {
    left: u64,
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

/// yield: ns per yield for `tasks` × `per_task`, on `ev`.
fn yields(ev: EventLoop, tasks: u64, per_task: u64) -> Vec<f64> {
    let start = Instant::now();
    let main = rondo::lazy(move || (0..tasks).map(|_| spawn(Yielder { left: per_task })).collect::<Vec<_>>())
        .then(rondo::gather_tasks);
    ev.run_until_complete(main).unwrap().unwrap();
    vec![start.elapsed().as_nanos() as f64 / (tasks * per_task) as f64]
}

/// sleepers: (wall s, CPU s, bytes per task) for `n` tasks sleeping 1 s.
fn sleepers(n: u64) -> Vec<f64> {
    let ev = EventLoop::new();
    let before = resident_bytes();
    let cpu_before = cpu_time();
    let start = Instant::now();
    let peak = Rc::new(Cell::new(0u64));
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
    let cpu = (cpu_time() - cpu_before).as_secs_f64();
    vec![wall, cpu, peak.get().saturating_sub(before) as f64 / n as f64]
}

/// idle: CPU seconds used while one task sleeps 2 s.
fn idle() -> Vec<f64> {
    let ev = EventLoop::new();
    let cpu_before = cpu_time();
    ev.run_until_complete(sleep(Duration::from_secs(2))).unwrap();
    vec![(cpu_time() - cpu_before).as_secs_f64()]
}

/// overshoot: how late `n` sequential 1 ms sleeps wake (median, p99 in µs).
fn overshoot(n: u64) -> Vec<f64> {
    let ev = EventLoop::new();
    let samples = Rc::new(RefCell::new(Vec::with_capacity(n as usize)));
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
            out.borrow_mut().push(started.elapsed().as_secs_f64() * 1e6 - 1000.0);
            current = None;
            done += 1;
            if done == n {
                return Poll::Ready(());
            }
        }
    });
    ev.run_until_complete(main).unwrap();
    overshoot_summary(samples.take())
}

/// Runs one measurement; `None` where rondo has nothing to measure yet.
pub fn run(workload: &str, n: u64) -> Option<Vec<f64>> {
    Some(match workload {
        "floor" => vec![floor(n)],
        "spawn_join" => spawn_join(n),
        "yield" => yields(EventLoop::new(), YIELD_TASKS, n),
        // The same on stage 4's bare loop: every seam empty (no stage-6
        // supervisor around the steps). The difference is what the seams
        // and what plugs into them cost per step.
        "yield_bare" => yields(EventLoop::bare(rondo::stage3_sleep::Clock::real()), YIELD_TASKS, n),
        "sleepers" => sleepers(n),
        "idle" => idle(),
        "overshoot" => overshoot(n),
        // The slot is here; it fills when stage 7 brings `Queue`: two tasks,
        // two queues of capacity 1, ns per round trip (see compare/src/tokio_rt.rs).
        "pingpong" => return None,
        other => panic!("unknown workload {other}"),
    })
}
