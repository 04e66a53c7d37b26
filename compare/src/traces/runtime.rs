//! What a trace scenario needs from a runtime ([`TraceRuntime`]), the
//! recorder every runtime says its lines into ([`say`]), and the three Rust
//! adapters: rondo (virtual clock), tokio (paused clock), smol (real clock).
//!
//! The trait is smaller than the benchmark's `LocalRuntime`
//! (`compare/src/workloads.rs`) and differs from it where a trace needs
//! more: a clock to stamp lines with, a fresh runtime whose clock starts at
//! zero for every run, a count of the tasks still pending when `main`
//! returned (asyncio.run cancels them), a semaphore and a lock.

use std::cell::{Cell, RefCell};
use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

/// One run of a scenario's `main`, as `rondo_vclock.run` reports it.
pub struct Ran {
    /// The runtime's time when `main` finished.
    pub end: Duration,
    /// Tasks still pending when `main` finished (asyncio.run cancels them).
    pub cancelled: usize,
}

/// What a scenario needs from a single-threaded runtime.
#[allow(async_fn_in_trait)] // used with concrete types only, on one thread
pub trait TraceRuntime: 'static {
    /// The column's title.
    const TITLE: &'static str;
    /// `true` if the clock is virtual (exact stamps), `false` for a real one.
    const VIRTUAL: bool;
    type Handle<T: 'static>: 'static;
    type Semaphore: 'static;

    /// A fresh runtime, its clock at zero: runs `main`, then counts (and
    /// drops: cancels) the tasks still pending.
    fn run<F: Future<Output = ()> + 'static>(main: F) -> Ran;
    /// The runtime's time since `run` started, or `None` outside `run`.
    fn now() -> Option<Duration>;
    /// asyncio's `create_task`. Dropping the handle does not cancel the task.
    fn spawn<F>(task: F) -> Self::Handle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static;
    async fn join<T: 'static>(handle: Self::Handle<T>) -> T;
    fn sleep(duration: Duration) -> impl Future<Output = ()> + 'static;
    fn semaphore(permits: usize) -> Self::Semaphore;
    /// `async with sem: body`.
    async fn with_permit<F: Future>(sem: &Self::Semaphore, body: F) -> F::Output;
    type Lock: 'static;
    fn lock() -> Self::Lock;
    /// `async with lock: body`.
    async fn with_lock<F: Future>(lock: &Self::Lock, body: F) -> F::Output;
}

pub use crate::yield_now::YieldNow;

thread_local! {
    /// The lines said so far: (stamp, text).
    static LINES: RefCell<Vec<(Option<Duration>, String)>> = const { RefCell::new(Vec::new()) };
    /// Tasks spawned and not finished, in the current run.
    static LIVE: Cell<usize> = const { Cell::new(0) };
}

/// `rondo_vclock.say`: records `text`, stamped with `R`'s clock.
pub fn say<R: TraceRuntime>(text: impl Display) {
    let at = R::now();
    LINES.with(|lines| lines.borrow_mut().push((at, text.to_string())));
}

/// Takes the lines said so far, formatted as `rondo_vclock.py` prints them:
/// `"1.000 text"`, or `"- text"` outside a run.
pub fn take_lines() -> Vec<String> {
    LINES.with(|lines| {
        lines
            .take()
            .into_iter()
            .map(|(at, text)| match at {
                Some(at) => format!("{:.3} {text}", at.as_secs_f64()),
                None => format!("- {text}"),
            })
            .collect()
    })
}

/// A spawned future, counted as live until it finishes: what is still live
/// when `main` returns is what asyncio.run would cancel. (rondo counts its
/// own: `EventLoop::cancel_all` returns the number.)
struct Counted<F> {
    future: Pin<Box<F>>,
    done: bool,
}

fn counted<F: Future>(future: F) -> Counted<F> {
    LIVE.with(|live| live.set(live.get() + 1));
    Counted { future: Box::pin(future), done: false }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let poll = self.future.as_mut().poll(cx);
        if poll.is_ready() && !self.done {
            self.done = true;
            LIVE.with(|live| live.set(live.get() - 1));
        }
        poll
    }
}

/// Runs `main` through `block_on` with the live count at zero; `now` is read
/// inside, when `main` finishes (outside the runtime there is no clock).
fn counted_run<F: Future<Output = ()> + 'static>(
    block_on: impl FnOnce(Pin<Box<dyn Future<Output = Duration>>>) -> Duration,
    now: fn() -> Option<Duration>,
    main: F,
) -> Ran {
    LIVE.with(|live| live.set(0));
    let end = block_on(Box::pin(async move {
        main.await;
        now().expect("inside the run")
    }));
    Ran { end, cancelled: LIVE.with(|live| live.get()) }
}

// ---------------------------------------------------------------- rondo

/// rondo on its virtual clock, through stage 9's bridge: `spawn(from_future(..))`
/// and `.await` on rondo's own coroutines; asyncio's order by construction.
pub struct Rondo;

impl TraceRuntime for Rondo {
    const TITLE: &'static str = "rondo (virtual clock)";
    const VIRTUAL: bool = true;
    type Handle<T: 'static> = rondo::Task<T>;
    type Semaphore = rondo::Semaphore;

    fn run<F: Future<Output = ()> + 'static>(main: F) -> Ran {
        use rondo::from_future;
        let ev = rondo::EventLoop::new_virtual();
        let main = from_future(async move {
            main.await;
            rondo::now()
        });
        let end = ev.run_until_complete(main).expect("main finishes");
        // asyncio.run: cancel what is left; rondo says how many that was.
        Ran { end, cancelled: ev.cancel_all() }
    }

    fn now() -> Option<Duration> {
        rondo::stage3_sleep::try_now()
    }

    fn spawn<F>(task: F) -> rondo::Task<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        rondo::spawn(rondo::from_future(task)) // dropping a rondo Task detaches it
    }

    async fn join<T: 'static>(handle: rondo::Task<T>) -> T {
        handle.await.expect("the task finishes")
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + 'static {
        rondo::sleep(duration).into_future() // what `.await` would call
    }

    fn semaphore(permits: usize) -> rondo::Semaphore {
        rondo::Semaphore::new(permits)
    }

    async fn with_permit<F: Future>(sem: &rondo::Semaphore, body: F) -> F::Output {
        let _permit = sem.acquire().await;
        body.await
    }

    type Lock = rondo::Lock;

    fn lock() -> rondo::Lock {
        rondo::Lock::new()
    }

    async fn with_lock<F: Future>(lock: &rondo::Lock, body: F) -> F::Output {
        let _guard = lock.acquire().await;
        body.await
    }
}

// ---------------------------------------------------------------- tokio

thread_local! {
    /// tokio's time when the current run started (its paused clock does not start at zero).
    static TOKIO_START: Cell<Option<tokio::time::Instant>> = const { Cell::new(None) };
}

/// tokio's current-thread runtime with a `LocalSet`, its clock paused
/// (`start_paused`, feature `test-util`): when every task waits, time
/// auto-advances to the next timer — a virtual clock, on tokio's timer wheel
/// (deadlines rounded up to the millisecond).
pub struct Tokio;

impl TraceRuntime for Tokio {
    const TITLE: &'static str = "tokio (paused clock)";
    const VIRTUAL: bool = true;
    type Handle<T: 'static> = tokio::task::JoinHandle<T>;
    type Semaphore = tokio::sync::Semaphore;

    fn run<F: Future<Output = ()> + 'static>(main: F) -> Ran {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("a tokio runtime");
        let local = tokio::task::LocalSet::new();
        let ran = counted_run(
            |main| {
                local.block_on(&rt, async {
                    TOKIO_START.with(|s| s.set(Some(tokio::time::Instant::now())));
                    main.await
                })
            },
            Tokio::now,
            main,
        );
        TOKIO_START.with(|s| s.set(None));
        drop(local); // cancels the tasks left
        ran
    }

    fn now() -> Option<Duration> {
        TOKIO_START.with(|s| s.get()).map(|start| start.elapsed())
    }

    fn spawn<F>(task: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        tokio::task::spawn_local(counted(task)) // dropping a JoinHandle detaches
    }

    async fn join<T: 'static>(handle: tokio::task::JoinHandle<T>) -> T {
        handle.await.expect("the task finishes")
    }

    async fn sleep(duration: Duration) {
        tokio::time::sleep(duration).await
    }

    fn semaphore(permits: usize) -> tokio::sync::Semaphore {
        tokio::sync::Semaphore::new(permits)
    }

    async fn with_permit<F: Future>(sem: &tokio::sync::Semaphore, body: F) -> F::Output {
        let _permit = sem.acquire().await.expect("the semaphore is open");
        body.await
    }

    /// Fair: a FIFO of waiters, as asyncio's `Lock`.
    type Lock = tokio::sync::Mutex<()>;

    fn lock() -> Self::Lock {
        tokio::sync::Mutex::new(())
    }

    async fn with_lock<F: Future>(lock: &Self::Lock, body: F) -> F::Output {
        let _guard = lock.lock().await;
        body.await
    }
}

// ---------------------------------------------------------------- smol

thread_local! {
    /// The real time when the current run started.
    static SMOL_START: Cell<Option<std::time::Instant>> = const { Cell::new(None) };
    /// Every sleep of the smol column is multiplied by this, and every stamp
    /// divided by it (`--smol-scale`; 1 = the scenario's own durations).
    static SMOL_SCALE: Cell<f64> = const { Cell::new(1.0) };
}

/// Sets the smol column's time scale (see `SMOL_SCALE`).
pub fn set_smol_scale(scale: f64) {
    SMOL_SCALE.with(|s| s.set(scale));
}

/// smol's `LocalExecutor` under `smol::block_on`. smol has no virtual
/// clock: its column runs on the real clock (async-io's `Timer`), its stamps
/// are real seconds (divided by `--smol-scale`), compared with a tolerance.
pub struct Smol;

thread_local! {
    static SMOL_EX: RefCell<Option<Rc<smol::LocalExecutor<'static>>>> = const { RefCell::new(None) };
}

/// smol's task handle, detached on drop: a dropped `smol::Task` cancels its
/// task, an asyncio task runs on when nobody holds it.
pub struct SmolHandle<T>(Option<smol::Task<T>>);

impl<T> Drop for SmolHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.detach();
        }
    }
}

impl TraceRuntime for Smol {
    const TITLE: &'static str = "smol (real clock)";
    const VIRTUAL: bool = false;
    type Handle<T: 'static> = SmolHandle<T>;
    type Semaphore = smol::lock::Semaphore;

    fn run<F: Future<Output = ()> + 'static>(main: F) -> Ran {
        let ex = Rc::new(smol::LocalExecutor::new());
        SMOL_EX.with(|e| *e.borrow_mut() = Some(ex.clone()));
        SMOL_START.with(|s| s.set(Some(std::time::Instant::now())));
        let ran = counted_run(|main| smol::block_on(ex.run(main)), Smol::now, main);
        SMOL_START.with(|s| s.set(None));
        SMOL_EX.with(|e| e.borrow_mut().take());
        drop(ex); // cancels the tasks left
        ran
    }

    fn now() -> Option<Duration> {
        let scale = SMOL_SCALE.with(|s| s.get());
        SMOL_START.with(|s| s.get()).map(|start| start.elapsed().div_f64(scale))
    }

    fn spawn<F>(task: F) -> SmolHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let ex = SMOL_EX.with(|e| e.borrow().clone()).expect("spawn inside Smol::run");
        SmolHandle(Some(ex.spawn(counted(task))))
    }

    async fn join<T: 'static>(mut handle: SmolHandle<T>) -> T {
        handle.0.take().expect("joined once").await
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + 'static {
        let scaled = duration.mul_f64(SMOL_SCALE.with(|s| s.get()));
        async move {
            smol::Timer::after(scaled).await; // the deadline is taken at the first poll
        }
    }

    fn semaphore(permits: usize) -> smol::lock::Semaphore {
        smol::lock::Semaphore::new(permits)
    }

    async fn with_permit<F: Future>(sem: &smol::lock::Semaphore, body: F) -> F::Output {
        let _permit = sem.acquire().await;
        body.await
    }

    /// async-lock's `Mutex`, which smol re-exports (not strictly fair).
    type Lock = smol::lock::Mutex<()>;

    fn lock() -> Self::Lock {
        smol::lock::Mutex::new(())
    }

    async fn with_lock<F: Future>(lock: &Self::Lock, body: F) -> F::Output {
        let _guard = lock.lock().await;
        body.await
    }
}
