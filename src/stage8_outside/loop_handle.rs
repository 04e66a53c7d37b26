//! `LoopHandle`: the one piece of a loop another thread may hold.
//!
//! Everything else of a loop is `Rc` and stays on its thread. A handle is
//! `Send + Sync` because it holds only the loop's inbox (a mutex and the
//! self-pipe's writing end): with it, a thread can ask the loop to run a
//! callback — asyncio's `loop.call_soon_threadsafe(f)` — and an idle loop
//! wakes at once to run it.
//!
//! While a handle is alive the loop may still be woken, so an idle loop
//! waits for it instead of reporting a deadlock.

use super::inbox::{Inbox, LoopClosed};
use super::outside::Outside;
use crate::stage4_event_loop::spawn_at;
use crate::{Coroutine, CoroutineExt, EventLoop, TaskError};
use std::panic::Location;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver};

/// A thread-safe handle to an event loop: schedules callbacks on it from any
/// thread (asyncio: `loop.call_soon_threadsafe`).
///
/// ```
/// use rondo::EventLoop;
/// use std::sync::mpsc;
///
/// // a thread does some work, then tells the loop — idle in poll(2), with
/// // no timer at all — to stop; it wakes at once
/// let ev = EventLoop::new();
/// let handle = ev.handle();
/// let (tx, rx) = mpsc::channel();
/// std::thread::spawn(move || {
///     tx.send(42).unwrap();
///     handle.call_soon_threadsafe(rondo::stop).unwrap();
/// });
/// ev.run_forever().unwrap();
/// assert_eq!(rx.try_recv(), Ok(42));
/// ```
///
/// The callback must be `Send`, so it cannot capture the loop's own objects
/// (a `Promise`, a `Task`: `Rc`s). It runs on the loop's thread, where it
/// can reach them through a thread-local or the loop's functions (`spawn`,
/// `stop`); [`to_thread`](crate::to_thread) carries a result back this way.
pub struct LoopHandle {
    inbox: Arc<Inbox>,
}

impl LoopHandle {
    fn new(inbox: Arc<Inbox>) -> LoopHandle {
        inbox.handles.fetch_add(1, Ordering::AcqRel);
        LoopHandle { inbox }
    }

    /// Runs `f` on the loop's thread, in its next iteration (asyncio:
    /// `call_soon_threadsafe`). Callable from any thread, the loop's own too.
    ///
    /// # Errors
    /// [`LoopClosed`] if the loop is gone; `f` is then dropped, not run.
    #[track_caller]
    pub fn call_soon_threadsafe(&self, f: impl FnOnce() + Send + 'static) -> Result<(), LoopClosed> {
        self.inbox.send(Box::new(f), Location::caller())
    }

    /// Runs the coroutine `make()` as a task on the loop, from any thread,
    /// and returns where its outcome will arrive (asyncio:
    /// `asyncio.run_coroutine_threadsafe(coro, loop)`, whose
    /// `concurrent.futures.Future` is a channel here).
    ///
    /// `make` runs on the loop's thread: a coroutine holds `Rc`s and cannot
    /// be made on one thread and sent to another; a recipe for one can.
    ///
    /// ```
    /// use rondo::{CoroutineExt, EventLoop, sleep};
    /// use std::time::Duration;
    ///
    /// let ev = EventLoop::new();
    /// let handle = ev.handle();
    /// let asker = std::thread::spawn(move || {
    ///     let answer = handle
    ///         .run_coroutine_threadsafe(|| sleep(Duration::from_millis(5)).map(|()| 6 * 7))
    ///         .unwrap();
    ///     let outcome = answer.recv().unwrap(); // blocks this thread, not the loop
    ///     handle.call_soon_threadsafe(rondo::stop).unwrap();
    ///     outcome
    /// });
    /// ev.run_forever().unwrap();
    /// assert_eq!(asker.join().unwrap(), Ok(42));
    /// ```
    ///
    /// # Errors
    /// [`LoopClosed`] if the loop is gone.
    #[track_caller]
    pub fn run_coroutine_threadsafe<C, F>(
        &self,
        make: F,
    ) -> Result<Receiver<Result<C::Output, TaskError>>, LoopClosed>
    where
        F: FnOnce() -> C + Send + 'static,
        C: Coroutine + 'static,
        C::Output: Send + 'static,
    {
        let (outcome, receiver) = mpsc::channel();
        let at = Location::caller();
        self.inbox.send(
            Box::new(move || {
                let task = spawn_at(make(), at);
                // A second task forwards the first one's outcome (a panic too);
                // a thread that stopped listening is no error.
                let _forward = spawn_at(task.map(move |result| drop(outcome.send(result))), at);
            }),
            at,
        )?;
        Ok(receiver)
    }
}

impl Clone for LoopHandle {
    fn clone(&self) -> LoopHandle {
        LoopHandle::new(self.inbox.clone())
    }
}

impl Drop for LoopHandle {
    fn drop(&mut self) {
        self.inbox.handles.fetch_sub(1, Ordering::AcqRel);
    }
}

impl std::fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoopHandle")
    }
}

impl EventLoop {
    /// A handle other threads can use to schedule callbacks on this loop.
    pub fn handle(&self) -> LoopHandle {
        LoopHandle::new(Outside::of(self.core()).inbox().clone())
    }
}

/// A handle to the running loop, for a coroutine to give to a thread
/// (asyncio: `asyncio.get_running_loop()`, passed to the thread).
///
/// # Panics
/// Outside a running loop.
pub fn loop_handle() -> LoopHandle {
    LoopHandle::new(Outside::of_running_loop("loop_handle()").inbox().clone())
}
