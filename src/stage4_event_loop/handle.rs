//! `Handle`: one entry of the ready queue — one thing the loop will do next.
//!
//! asyncio's ready queue (`loop._ready`) holds `Handle`s: callbacks with their
//! arguments. Stepping a task is one such callback (`Task.__step`), firing a
//! timer is another. rondo spells the kinds out as an `enum`, which costs
//! nothing to dispatch and lets observers say what each entry is.

use super::task_table::TaskKey;
use crate::Waker;

/// Something the loop runs during an iteration.
pub(crate) enum Handle {
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

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Handle::Step(key) => write!(f, "Step({key:?})"),
            Handle::Wake(waker) => write!(f, "Wake({waker:?})"),
            Handle::Call(_) => f.write_str("Call(..)"),
            Handle::Stop => f.write_str("Stop"),
        }
    }
}
