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
    Call(Box<dyn FnOnce()>),
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
