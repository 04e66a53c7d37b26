//! The workloads of docs/design.md ("Performance"), written once as `async` code
//! over a small [`LocalRuntime`] trait, and run on every `std::future`
//! runtime (tokio, smol, futures) through its adapter module — and on rondo
//! through stage 9's bridge (`rondo_async.rs`: `spawn(from_future(..))`,
//! `.await`), the `rondo-async` column. rondo's own column keeps the same
//! shapes written by hand as coroutines, in `examples/bench/workloads.rs`
//! (module `rondo_rt` here): the two rondo columns side by side show what the
//! bridge costs.
//!
//! Every shape here mirrors rondo's: spawn all, measure memory
//! once every task exists, then await each handle in order; sleeps take their
//! deadline at first poll (as rondo's and asyncio's do); a yield is a future
//! that wakes itself and returns `Pending` once (rondo's `Yielder`,
//! `futures_lite::future::yield_now`), not a runtime-specific yield.

use crate::measure::{cpu_time, overshoot_summary, resident_bytes};
use std::future::Future;
use std::time::{Duration, Instant};

/// What a workload needs from a single-threaded runtime.
#[allow(async_fn_in_trait)] // used with concrete types only, on one thread
pub trait LocalRuntime: Sized {
    /// What a task uses to spawn more tasks (cheap to clone).
    type Spawner: Clone + 'static;
    /// A join handle.
    type Handle<T: 'static>: 'static;
    type Sender: 'static;
    type Receiver: 'static;

    fn new() -> Self;
    fn spawner(&self) -> Self::Spawner;
    /// Runs `main` to completion on this runtime (spawned tasks run too).
    /// (`'static`: rondo's loop runs `main` as a task, like any other.)
    fn block_on<F: Future + 'static>(&mut self, main: F) -> F::Output;
    fn spawn<F>(spawner: &Self::Spawner, task: F) -> Self::Handle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static;
    async fn join<T: 'static>(handle: Self::Handle<T>) -> T;
    /// A sleep whose deadline is taken at its first poll.
    fn sleep(duration: Duration) -> impl Future<Output = ()> + 'static;
    /// A channel of capacity 1, for ping-pong.
    fn channel() -> (Self::Sender, Self::Receiver);
    async fn send(tx: &mut Self::Sender, value: u64);
    async fn recv(rx: &mut Self::Receiver) -> Option<u64>;
    /// The runtime's async mutex, for the lock workload.
    type Mutex: 'static;
    fn mutex() -> Self::Mutex;
    /// Acquires `m`, yields once ([`YieldNow`]) while holding it, releases.
    async fn locked_yield(m: &Self::Mutex);
    /// `false` for a runtime with no pool for blocking work.
    const HAS_BLOCKING_POOL: bool = true;
    /// Runs `f` on the runtime's pool for blocking work and awaits it
    /// (asyncio's `to_thread`); `None` if the runtime has no such pool.
    /// (Call it inside `block_on`: tokio starts the job at once.)
    fn to_thread<T: Send + 'static>(
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<impl Future<Output = T> + 'static>;
}

pub use crate::yield_now::YieldNow;

/// spawn+join: (ns per task, bytes per task while all are alive).
fn spawn_join<R: LocalRuntime>(n: u64) -> Vec<f64> {
    let mut rt = R::new();
    let sp = rt.spawner();
    let before = resident_bytes();
    let start = Instant::now();
    let peak = rt.block_on(async move {
        let handles: Vec<_> = (0..n).map(|i| R::spawn(&sp, async move { i })).collect();
        let peak = resident_bytes();
        for handle in handles {
            std::hint::black_box(R::join(handle).await);
        }
        peak
    });
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    vec![ns, peak.saturating_sub(before) as f64 / n as f64]
}

/// yield: ns per yield for `tasks` × `per_task`.
fn yields<R: LocalRuntime>(tasks: u64, per_task: u64) -> Vec<f64> {
    let mut rt = R::new();
    let sp = rt.spawner();
    let start = Instant::now();
    rt.block_on(async move {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                R::spawn(&sp, async move {
                    for _ in 0..per_task {
                        YieldNow::default().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            R::join(handle).await;
        }
    });
    vec![start.elapsed().as_nanos() as f64 / (tasks * per_task) as f64]
}

/// sleepers: (wall s, CPU s, bytes per task) for `n` tasks sleeping 1 s.
fn sleepers<R: LocalRuntime>(n: u64) -> Vec<f64> {
    let mut rt = R::new();
    let sp = rt.spawner();
    let before = resident_bytes();
    let cpu_before = cpu_time();
    let start = Instant::now();
    let peak = rt.block_on(async move {
        let handles: Vec<_> = (0..n).map(|_| R::spawn(&sp, R::sleep(Duration::from_secs(1)))).collect();
        // Spawned last, so it runs after every sleeper took its first step
        // (registered its timer).
        let peak = R::join(R::spawn(&sp, async { resident_bytes() })).await;
        for handle in handles {
            R::join(handle).await;
        }
        peak
    });
    let wall = start.elapsed().as_secs_f64();
    let cpu = (cpu_time() - cpu_before).as_secs_f64();
    vec![wall, cpu, peak.saturating_sub(before) as f64 / n as f64]
}

/// idle: CPU seconds used while one task sleeps 2 s.
fn idle<R: LocalRuntime>() -> Vec<f64> {
    let mut rt = R::new();
    let cpu_before = cpu_time();
    rt.block_on(R::sleep(Duration::from_secs(2)));
    vec![(cpu_time() - cpu_before).as_secs_f64()]
}

/// overshoot: how late `n` sequential 1 ms sleeps wake (median, p99 in µs).
fn overshoot<R: LocalRuntime>(n: u64) -> Vec<f64> {
    let mut rt = R::new();
    let samples = rt.block_on(async move {
        let mut samples = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let started = Instant::now();
            R::sleep(Duration::from_millis(1)).await;
            samples.push(started.elapsed().as_secs_f64() * 1e6 - 1000.0);
        }
        samples
    });
    overshoot_summary(samples)
}

/// ping-pong: ns per round trip between two tasks over two channels of
/// capacity 1 (one value in flight at any time).
fn pingpong<R: LocalRuntime>(n: u64) -> Vec<f64> {
    let mut rt = R::new();
    let sp = rt.spawner();
    let elapsed = rt.block_on(async move {
        let (mut to_pong, mut pong_rx) = R::channel();
        let (mut to_ping, mut ping_rx) = R::channel();
        let pong = R::spawn(&sp, async move {
            while let Some(v) = R::recv(&mut pong_rx).await {
                R::send(&mut to_ping, v).await;
            }
        });
        let ping = R::spawn(&sp, async move {
            let start = Instant::now();
            for i in 0..n {
                R::send(&mut to_pong, i).await;
                std::hint::black_box(R::recv(&mut ping_rx).await.unwrap());
            }
            let elapsed = start.elapsed();
            drop(to_pong); // ends pong's loop
            elapsed
        });
        let elapsed = R::join(ping).await;
        R::join(pong).await;
        elapsed
    });
    vec![elapsed.as_nanos() as f64 / n as f64]
}

/// lock: ns per acquire, `tasks` tasks × `per_task` acquire / yield /
/// release of one mutex.
fn lock_contention<R: LocalRuntime>(tasks: u64, per_task: u64) -> Vec<f64> {
    let mut rt = R::new();
    let sp = rt.spawner();
    let start = Instant::now();
    rt.block_on(async move {
        let mutex = std::rc::Rc::new(R::mutex());
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let mutex = mutex.clone();
                R::spawn(&sp, async move {
                    for _ in 0..per_task {
                        R::locked_yield(&mutex).await;
                    }
                })
            })
            .collect();
        for handle in handles {
            R::join(handle).await;
        }
    });
    vec![start.elapsed().as_nanos() as f64 / (tasks * per_task) as f64]
}

/// to_thread: ns per round trip of a trivial job sent to the blocking pool
/// and awaited, `n` times one after another (rondo's `to_thread` workload).
fn to_thread_round_trips<R: LocalRuntime>(n: u64) -> Option<Vec<f64>> {
    if !R::HAS_BLOCKING_POOL {
        return None;
    }
    let mut rt = R::new();
    let start = Instant::now();
    rt.block_on(async move {
        for i in 0..n {
            let job = R::to_thread(move || i).expect("it has a pool");
            assert_eq!(job.await, i);
        }
    });
    Some(vec![start.elapsed().as_nanos() as f64 / n as f64])
}

/// Runs one measurement of `workload` (size `n`) on runtime `R`.
pub fn run<R: LocalRuntime>(workload: &str, n: u64) -> Option<Vec<f64>> {
    Some(match workload {
        "spawn_join" => spawn_join::<R>(n),
        "yield" => yields::<R>(crate::YIELD_TASKS, n),
        "sleepers" => sleepers::<R>(n),
        "idle" => idle::<R>(),
        "overshoot" => overshoot::<R>(n),
        "pingpong" => pingpong::<R>(n),
        "lock" => lock_contention::<R>(crate::LOCK_TASKS, n),
        "to_thread" => return to_thread_round_trips::<R>(n),
        other => panic!("unknown workload {other}"),
    })
}
