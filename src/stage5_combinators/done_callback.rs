//! Done-callbacks: why awaiting `gather` costs one more loop iteration than awaiting a task.
//!
//! In asyncio a finished task does not resume its awaiters itself: it
//! *schedules* its done-callbacks with `call_soon`. When the awaiter is a
//! task, the callback is its `__wakeup`, which steps it at once — one hop.
//! When the awaiter is `gather` (or `wait`, or `as_completed`), the callback
//! is gather's bookkeeping (`_done_callback`), and only *that* resolves the
//! future the awaiting task waits on, which schedules the task — two hops:
//!
//! ```text
//! iteration N    child finishes          → call_soon(gather's callback)
//! iteration N+1  gather's callback runs  → last child? wake the awaiter
//! iteration N+2  the awaiter resumes
//! ```
//! A third task's steps can land in between, so rondo reproduces the hop
//! exactly: a `callback_waker` is a waker whose `wake` *schedules* a
//! callback instead of running it.

use crate::{Wake, Waker};
use std::rc::Rc;

/// A waker that, when woken, schedules `callback` on the running loop's next
/// iteration (asyncio: a future's done-callback, run with `call_soon`).
pub(crate) fn callback_waker(callback: Rc<dyn Fn()>) -> Waker {
    Waker::new(Rc::new(ScheduleCallback(callback)))
}

struct ScheduleCallback(Rc<dyn Fn()>);

impl Wake for ScheduleCallback {
    fn wake(&self) {
        let callback = self.0.clone();
        crate::call_soon(move || callback());
    }
}
