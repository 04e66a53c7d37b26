//! rondo's benchmark workloads, written once: `examples/bench.rs` runs them
//! alone, and the compare crate includes this very file (`compare/src/main.rs`:
//! `#[path = "../../examples/bench/workloads.rs"] mod rondo_rt;`) for the
//! rondo column beside tokio, smol and futures.
//!
//! rondo is driven through its public API (the crate-root re-exports). Tasks
//! are hand-written coroutines and combinators — the machines the chapters
//! explain — in the same shapes as the generic `async` workloads of
//! `compare/src/workloads.rs`: spawn all, measure memory once every task
//! exists, then await each handle in order; a yield wakes itself and returns
//! `Pending` once. (Those generic `async` workloads also run on rondo, through
//! stage 9's bridge: the compare crate's `rondo-async` column.)
//!
//! Each workload returns the numbers one measurement prints, in the order
//! `docs/performance.md` reports them.

use crate::measure::{cpu_time, overshoot_summary, resident_bytes};
use rondo::stage7_coordination::{Acquire, QueueGet, QueuePut};
use rondo::{Context, Coroutine, CoroutineExt, EventLoop, Lock, LockGuard, Poll, Queue, Task, sleep, spawn};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The yield workload runs this many tasks, each yielding `n` times.
pub const YIELD_TASKS: u64 = 1000;

/// The lock workload runs this many tasks, each acquiring `n` times.
pub const LOCK_TASKS: u64 = 1000;

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
    spawn_join_of(n, rondo::ready)
}

/// spawn+join of the tasks `make` makes (each outputs its number).
fn spawn_join_of<C>(n: u64, make: fn(u64) -> C) -> Vec<f64>
where
    C: Coroutine<Output = u64> + 'static,
{
    let ev = EventLoop::new();
    let before = resident_bytes();
    let start = Instant::now();
    let peak = Rc::new(Cell::new(0u64));
    let peak_in = peak.clone();
    let mut handles: Option<Vec<Task<u64>>> = None;
    let mut next = 0;
    let main = rondo::poll_fn(move |cx: &mut Context<'_>| {
        let tasks = handles.get_or_insert_with(|| {
            let tasks: Vec<Task<u64>> = (0..n).map(|i| spawn(make(i))).collect();
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

/// A std future that wakes itself and returns `Pending` once: the compare
/// crate's `YieldNow`, for the `async` rows (stage 9's bridge).
#[derive(Default)]
struct StdYield {
    yielded: bool,
}

impl std::future::Future for StdYield {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if std::mem::replace(&mut self.yielded, true) {
            return std::task::Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

/// yield, with every task an `async` block on stage 9's bridge. With
/// `rondo_yield`, each yield is rondo's own `yield_now().await` (what a rondo
/// program writes: polled with the task's own rondo waker); without, the std
/// future `StdYield` (what the other runtimes' columns run: its std waker is
/// lent by the bridge for the poll).
fn yields_async(tasks: u64, per_task: u64, rondo_yield: bool) -> Vec<f64> {
    let ev = EventLoop::new();
    let start = Instant::now();
    let main = rondo::lazy(move || {
        (0..tasks)
            .map(|_| {
                spawn(rondo::from_future(async move {
                    for _ in 0..per_task {
                        if rondo_yield {
                            rondo::yield_now().await;
                        } else {
                            StdYield::default().await;
                        }
                    }
                }))
            })
            .collect::<Vec<_>>()
    })
    .then(rondo::gather_tasks);
    ev.run_until_complete(main).unwrap().unwrap();
    vec![start.elapsed().as_nanos() as f64 / (tasks * per_task) as f64]
}

/// spawn+join with `async` blocks on stage 9's bridge: (ns per task, bytes per task).
fn spawn_join_async(n: u64) -> Vec<f64> {
    spawn_join_of(n, |i| rondo::from_future(async move { i }))
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

/// ping-pong's "ping": puts `i`, waits for it to come back, `n` times; then
/// shuts its outgoing queue down, which ends pong's loop (the other columns
/// drop their sender). Returns the time the `n` round trips took.
///
/// ```text
/// async fn ping(to_pong, from_pong, n) -> Duration {
///     let start = Instant::now();
///     for i in 0..n { to_pong.put(i).await; from_pong.get().await; }
///     to_pong.shutdown(false);
///     start.elapsed()
/// }
/// ```
struct Ping {
    to_pong: Queue<u64>,
    from_pong: Queue<u64>,
    n: u64,
    sent: u64,
    start: Option<Instant>,
    state: PingState,
}

enum PingState {
    Put(QueuePut<u64>),
    Get(QueueGet<u64>),
}

impl Coroutine for Ping {
    type Output = Duration;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Duration> {
        let start = *self.start.get_or_insert_with(Instant::now);
        loop {
            match &mut self.state {
                PingState::Put(put) => {
                    let Poll::Ready(done) = put.poll(cx) else { return Poll::Pending };
                    done.expect("pong's queue is open");
                    self.state = PingState::Get(self.from_pong.get());
                }
                PingState::Get(get) => {
                    let Poll::Ready(v) = get.poll(cx) else { return Poll::Pending };
                    std::hint::black_box(v.expect("pong answers"));
                    self.sent += 1;
                    if self.sent == self.n {
                        let elapsed = start.elapsed();
                        self.to_pong.shutdown(false); // ends pong's loop
                        return Poll::Ready(elapsed);
                    }
                    self.state = PingState::Put(self.to_pong.put(self.sent));
                }
            }
        }
    }
}

/// ping-pong's "pong": `while let Ok(v) = inbox.get().await { outbox.put(v).await }`.
struct Pong {
    inbox: Queue<u64>,
    outbox: Queue<u64>,
    state: PongState,
}

enum PongState {
    Get(QueueGet<u64>),
    Put(QueuePut<u64>),
}

impl Coroutine for Pong {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                PongState::Get(get) => match get.poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(_shut_down)) => return Poll::Ready(()),
                    Poll::Ready(Ok(v)) => self.state = PongState::Put(self.outbox.put(v)),
                },
                PongState::Put(put) => {
                    let Poll::Ready(done) = put.poll(cx) else { return Poll::Pending };
                    done.expect("ping's queue is open");
                    self.state = PongState::Get(self.inbox.get());
                }
            }
        }
    }
}

/// ping-pong: ns per round trip between two tasks over two `Queue`s of
/// maxsize 1 (one value in flight at any time).
fn pingpong(n: u64) -> Vec<f64> {
    let ev = EventLoop::new();
    let main = rondo::lazy(move || {
        let (to_pong, to_ping) = (Queue::new(1), Queue::new(1));
        let pong = spawn(Pong {
            inbox: to_pong.clone(),
            outbox: to_ping.clone(),
            state: PongState::Get(to_pong.get()),
        });
        let first = to_pong.put(0);
        let ping = spawn(Ping {
            to_pong,
            from_pong: to_ping,
            n,
            sent: 0,
            start: None,
            state: PingState::Put(first),
        });
        ping.then(move |elapsed| pong.map(move |_| elapsed))
    })
    .then(|both| both);
    let elapsed = ev.run_until_complete(main).unwrap().unwrap();
    vec![elapsed.as_nanos() as f64 / n as f64]
}

/// One contender of the lock workload: `n` times, acquire, yield once while
/// holding the lock, release.
///
/// ```text
/// async fn contender(lock, n) {
///     for _ in 0..n { let _guard = lock.acquire().await; yield_now().await; }
/// }
/// ```
struct Contender {
    lock: Lock,
    left: u64,
    state: ContenderState,
}

enum ContenderState {
    Acquire(Acquire),
    Hold(LockGuard, Yielder),
    Done,
}

impl Coroutine for Contender {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                ContenderState::Acquire(acquire) => {
                    let Poll::Ready(guard) = acquire.poll(cx) else { return Poll::Pending };
                    self.state = ContenderState::Hold(guard, Yielder { left: 1 });
                }
                ContenderState::Hold(_guard, yielder) => {
                    if yielder.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.left -= 1;
                    // Replacing the state drops the guard: released.
                    self.state = match self.left {
                        0 => ContenderState::Done,
                        _ => ContenderState::Acquire(self.lock.acquire()),
                    };
                }
                ContenderState::Done => return Poll::Ready(()),
            }
        }
    }
}

/// lock: ns per acquire, `tasks` tasks × `per_task` acquire / yield /
/// release of one `Lock`.
fn lock_contention(tasks: u64, per_task: u64) -> Vec<f64> {
    let ev = EventLoop::new();
    let start = Instant::now();
    let main = rondo::lazy(move || {
        let lock = Lock::new();
        (0..tasks)
            .map(|_| {
                spawn(Contender {
                    lock: lock.clone(),
                    left: per_task,
                    state: ContenderState::Acquire(lock.acquire()),
                })
            })
            .collect::<Vec<_>>()
    })
    .then(rondo::gather_tasks);
    ev.run_until_complete(main).unwrap().unwrap();
    vec![start.elapsed().as_nanos() as f64 / (tasks * per_task) as f64]
}

/// to_thread: ns per round trip of a trivial job sent to the pool and
/// awaited, `n` times one after another — the inbox, the self-pipe and the
/// pool's wake-up, with nothing else to do (asyncio: `await to_thread(f)`).
fn to_thread_round_trips(n: u64) -> Vec<f64> {
    let ev = EventLoop::new();
    let start = Instant::now();
    let main = rondo::lazy(move || {
        let left = Rc::new(Cell::new(n));
        let mut job: Option<rondo::ToThread<u64>> = None;
        rondo::poll_fn(move |cx: &mut Context<'_>| {
            loop {
                let running = job.get_or_insert_with(|| {
                    let i = left.get();
                    rondo::to_thread(move || i)
                });
                if running.poll(cx).is_pending() {
                    return Poll::Pending;
                }
                job = None;
                left.set(left.get() - 1);
                if left.get() == 0 {
                    return Poll::Ready(());
                }
            }
        })
    })
    .then(|trips| trips);
    ev.run_until_complete(main).unwrap();
    vec![start.elapsed().as_nanos() as f64 / n as f64]
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
        "pingpong" => pingpong(n),
        "lock" => lock_contention(LOCK_TASKS, n),
        "to_thread" => to_thread_round_trips(n),
        "yield_async" => yields_async(YIELD_TASKS, n, false),
        "yield_await" => yields_async(YIELD_TASKS, n, true),
        "spawn_join_async" => spawn_join_async(n),
        other => panic!("unknown workload {other}"),
    })
}
