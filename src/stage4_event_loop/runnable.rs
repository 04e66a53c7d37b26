//! `Runnable`: one entry of the ready queue — one thing the loop will do next.
//!
//! asyncio's ready queue (`loop._ready`) holds `Handle`s: callbacks with their
//! arguments. Stepping a task is one such callback (`Task.__step`), firing a
//! timer is another. rondo spells the kinds out as an `enum`, which costs
//! nothing to dispatch and lets observers say what each entry is.
//!
//! Three names, three jobs, so that they are never confused:
//! - a [`Runnable`] is *in the ready queue*: it runs in this or the next iteration;
//! - a [`DueAction`](super::timer_heap::DueAction) is *in the timer heap*: what
//!   becomes a `Runnable` when its deadline comes;
//! - a [`TimerHandle`](crate::TimerHandle) is *the user's*: asyncio's name for
//!   what `call_later` returns, good for cancelling the timer.

use super::task_table::TaskKey;
use crate::Waker;
use std::panic::Location;

/// Something the loop runs during an iteration.
pub(crate) enum Runnable {
    /// Poll this task once (asyncio: `Task.__step`). Stale keys — of tasks
    /// that finished meanwhile — are skipped.
    Step(TaskKey),
    /// Call this waker: a fired timer waking a sleeper. The sleeper itself runs
    /// one iteration later, exactly like asyncio's `sleep`, whose timer only
    /// resolves a future whose callback then schedules the task.
    Wake(Waker),
    /// A plain callback (`call_soon`, `call_later`).
    Call(Callback),
    /// Stop the loop once this iteration ends (`loop.stop()`'s callback; also
    /// what `run_until_complete` schedules when the main task finishes).
    Stop,
}

/// A queued [`Runnable`], borrowed: what an observer may look at.
pub(crate) enum RunnableRef<'a> {
    Step(TaskKey),
    Wake(&'a Waker),
    Call,
    Stop,
}

/// A callback, and where it was scheduled: what a report names if it panics
/// (asyncio's `Handle` keeps its `_source_traceback` for the same reason).
pub(crate) struct Callback {
    run: Box<dyn FnOnce()>,
    pub(crate) scheduled_at: &'static Location<'static>,
}

impl Callback {
    /// Wraps `f`; the caller's caller, through `#[track_caller]`, is the site.
    #[track_caller]
    pub(crate) fn new(f: impl FnOnce() + 'static) -> Callback {
        Callback { run: Box::new(f), scheduled_at: Location::caller() }
    }

    /// Wraps `f`, scheduled at `at` (when the site was taken earlier).
    pub(crate) fn scheduled_at(f: impl FnOnce() + 'static, at: &'static Location<'static>) -> Callback {
        Callback { run: Box::new(f), scheduled_at: at }
    }

    /// Runs it (the loop runs it through `Core::run_catching`).
    pub(crate) fn call(self) {
        (self.run)()
    }
}

impl Runnable {
    /// Borrows this entry as observers see it.
    pub(crate) fn as_ref(&self) -> RunnableRef<'_> {
        match self {
            Runnable::Step(key) => RunnableRef::Step(*key),
            Runnable::Wake(waker) => RunnableRef::Wake(waker),
            Runnable::Call(_) => RunnableRef::Call,
            Runnable::Stop => RunnableRef::Stop,
        }
    }
}

impl std::fmt::Debug for Runnable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Runnable::Step(key) => write!(f, "Step({key:?})"),
            Runnable::Wake(waker) => write!(f, "Wake({waker:?})"),
            Runnable::Call(_) => f.write_str("Call(..)"),
            Runnable::Stop => f.write_str("Stop"),
        }
    }
}
