//! rondo, driven through its public API (the crate-root re-exports), with the
//! same code shapes as `examples/bench.rs`: rondo has no `async fn` yet (that
//! is stage 9), so tasks are hand-written coroutines and combinators.

use crate::measure::{cpu_time, overshoot_summary, resident_bytes};
use rondo::{Context, Coroutine, CoroutineExt, EventLoop, Poll, Task, sleep, spawn};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

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

/// yield: ns per yield for `tasks` × `per_task`.
fn yields(tasks: u64, per_task: u64) -> Vec<f64> {
    let ev = EventLoop::new();
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
        "spawn_join" => spawn_join(n),
        "yield" => yields(crate::YIELD_TASKS, n),
        "sleepers" => sleepers(n),
        "idle" => idle(),
        "overshoot" => overshoot(n),
        // The slot is here; it fills when stage 7 brings `Queue`: two tasks,
        // two queues of capacity 1, ns per round trip (see tokio_rt.rs).
        "pingpong" => return None,
        other => panic!("unknown workload {other}"),
    })
}
