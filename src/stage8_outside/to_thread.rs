//! `to_thread` and `run_in_executor`: a blocking call on a pool thread, awaited.
//!
//! The awaiting task sends `f` to a pool thread and parks. The thread runs
//! `f`, leaves the result in a slot they share, and sends the loop one
//! callback through the inbox (waking it through the self-pipe). That
//! callback, run by the loop, wakes the task, which takes the result in the
//! *next* iteration: two hops, as asyncio's — `call_soon_threadsafe` runs
//! `_chain_future`'s copy of the result, and the future's callback then
//! schedules the task.
//!
//! - A panic in `f` is caught on the thread and resumed in the awaiting
//!   task, so it ends that task with `TaskError::Panicked` and the message
//!   — as an exception raised in `f` is raised at `await` in asyncio.
//! - Cancelling the awaiter does **not** stop the thread: no thread can be
//!   stopped from outside (CPython cannot either; `run_in_executor`'s docs
//!   say the same). The result, when it comes, is dropped.
//! - A result that arrives after the loop is gone is dropped on the thread
//!   (the inbox refuses it).
//!
//! Rejected alternative: give the thread the task's waker. A rondo `Waker`
//! is an `Rc` — it cannot cross threads, and waking a task from another
//! thread would race the loop. The thread instead sends a callback that runs
//! on the loop's thread: everything the loop owns stays on it.

use super::outside::{Outside, Ticket};
use super::thread_pool::ThreadPool;
use crate::{Context, Coroutine, Poll};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::thread;

/// Runs `f` on the loop's default thread pool and waits for its result
/// (asyncio: `await asyncio.to_thread(f)`, or `loop.run_in_executor(None, f)`).
///
/// The pool has at most `min(32, cpus + 4)` threads ([`ThreadPool::default_size`]).
///
/// ```
/// use rondo::{EventLoop, gather, to_thread};
/// use std::time::{Duration, Instant};
///
/// // three blocking naps of 50 ms, side by side on pool threads
/// let nap = || std::thread::sleep(Duration::from_millis(50));
/// let started = Instant::now();
/// EventLoop::new().run(gather(vec![to_thread(nap), to_thread(nap), to_thread(nap)])).unwrap();
/// assert!(started.elapsed() < Duration::from_millis(140), "together, not one after the other");
/// ```
///
/// # Panics
/// When polled outside a running loop. A panic in `f` is resumed in the
/// awaiting task (its error then carries the message).
#[track_caller]
pub fn to_thread<T, F>(f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    ToThread { state: State::Start { f: Box::new(f), pool: None }, at: Location::caller() }
}

/// Runs `f` on `pool` and waits for its result (asyncio:
/// `await loop.run_in_executor(executor, f)`).
///
/// ```
/// use rondo::{EventLoop, ThreadPool, run_in_executor};
///
/// let pool = ThreadPool::new(1);
/// let name = EventLoop::new_virtual()
///     .run(run_in_executor(&pool, || std::thread::current().name().unwrap().to_string()))
///     .unwrap();
/// assert_eq!(name, "rondo-pool-1");
/// ```
#[track_caller]
pub fn run_in_executor<T, F>(pool: &ThreadPool, f: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    ToThread { state: State::Start { f: Box::new(f), pool: Some(pool.clone()) }, at: Location::caller() }
}

/// The coroutine of [`to_thread`] and [`run_in_executor`].
///
/// ```text
/// async fn to_thread(f) -> T {
///     let slot = submit(f);      // Start: the job goes to a pool thread
///     slot.await                 // Waiting: parked until the inbox says "done"
/// }
/// ```
#[must_use = "a coroutine does nothing until it is awaited or spawned"]
pub struct ToThread<T> {
    state: State<T>,
    at: &'static Location<'static>,
}

/// Where the thread leaves the result (or the panic) for the awaiter.
type Slot<T> = Arc<Mutex<Option<thread::Result<T>>>>;

enum State<T> {
    Start { f: Box<dyn FnOnce() -> T + Send>, pool: Option<ThreadPool> },
    Waiting { outside: Rc<Outside>, ticket: Ticket, slot: Slot<T> },
    Done,
}

impl<T: Send + 'static> Coroutine for ToThread<T> {
    type Output = T;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<T> {
        match &mut self.state {
            State::Start { .. } => {
                let State::Start { f, pool } = std::mem::replace(&mut self.state, State::Done) else {
                    unreachable!()
                };
                let outside = Outside::of_running_loop("to_thread()");
                let ticket = outside.expect(cx.waker());
                let slot: Slot<T> = Arc::new(Mutex::new(None));
                let (result, inbox, at) = (slot.clone(), outside.inbox().clone(), self.at);
                let job = Box::new(move || {
                    let outcome = catch_unwind(AssertUnwindSafe(f));
                    *result.lock().unwrap_or_else(|p| p.into_inner()) = Some(outcome);
                    // Refused if the loop is gone: the result is dropped here.
                    let arrived =
                        Box::new(move || Outside::of_running_loop("a thread's answer").arrived(ticket));
                    let _ = inbox.send(arrived, at);
                });
                let pool = pool.as_ref().unwrap_or_else(|| outside.default_pool());
                if let Err(error) = pool.submit(job) {
                    outside.arrived(ticket);
                    panic!("to_thread(): the pool could not start a thread: {error}");
                }
                self.state = State::Waiting { outside, ticket, slot };
                Poll::Pending
            }
            State::Waiting { outside, ticket, slot } => {
                // Not the slot but the ticket says "done": the answer
                // counts from the iteration its callback ran, as asyncio's.
                if outside.is_expected(*ticket) {
                    outside.rewait(*ticket, Some(cx.waker()));
                    return Poll::Pending;
                }
                let outcome = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
                self.state = State::Done;
                match outcome.expect("the thread fills the slot before it sends its answer") {
                    Ok(value) => Poll::Ready(value),
                    Err(payload) => std::panic::resume_unwind(payload),
                }
            }
            State::Done => panic!("ToThread polled after it completed"),
        }
    }
}

impl<T> Drop for ToThread<T> {
    /// Cancelled while the thread works: the thread goes on (nothing can stop
    /// it); the loop still expects its answer, but nobody is woken by it.
    fn drop(&mut self) {
        if let State::Waiting { outside, ticket, .. } = &self.state {
            outside.rewait(*ticket, None);
        }
    }
}
