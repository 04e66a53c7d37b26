//! Cancellation: dropping a coroutine, and the scope that carries it into awaited tasks.
//!
//! asyncio cancels a task by throwing `CancelledError` into its coroutine at
//! the next step; the coroutine's `finally` blocks run, and the task it was
//! awaiting is cancelled too. rondo cancels by *dropping* the state machine
//! at its next step: `Drop` is the `finally`. A coroutine cannot catch and
//! ignore its cancellation — a dropped state machine is gone — which is the
//! one place rondo differs on purpose (see `docs/06-failure.md`).
//!
//! Carrying the cancellation into awaited tasks needs one bit of context:
//! when a `Task` handle is dropped, was it dropped *because its owner is
//! being cancelled* (then cancel the task, as asyncio does) or simply
//! discarded (then the task runs on, detached)? The loop answers by running
//! every cancelling drop inside [`in_cancel_scope`].

use crate::{Context, Coroutine, Poll, Task, TaskError};
use std::cell::Cell;

thread_local! {
    /// How many cancelling drops are in progress on this thread.
    static CANCELLING: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f` (a drop) as part of a cancellation.
pub(crate) fn in_cancel_scope<R>(f: impl FnOnce() -> R) -> R {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            CANCELLING.with(|c| c.set(c.get() - 1));
        }
    }
    CANCELLING.with(|c| c.set(c.get() + 1));
    let _leave = Leave; // also leaves the scope if `f` panics
    f()
}

/// `true` inside a cancelling drop.
pub(crate) fn cancelling() -> bool {
    CANCELLING.with(|c| c.get() > 0)
}

/// Awaits `task` without passing a cancellation on to it (asyncio: `shield`).
///
/// If the coroutine awaiting the shield is cancelled, the task goes on
/// running, detached; only the wait is abandoned.
pub fn shield<T: 'static>(task: Task<T>) -> Shield<T> {
    Shield { task: Some(task) }
}

/// The coroutine returned by [`shield`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Shield<T> {
    task: Option<Task<T>>,
}

impl<T: 'static> Coroutine for Shield<T> {
    type Output = Result<T, TaskError>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = self.task.as_mut().expect("shield() polled after it completed");
        let poll = task.poll_shielded(cx);
        if poll.is_ready() {
            self.task = None;
        }
        poll
    }
}

impl<T> Drop for Shield<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            // Dropping the handle only detaches the task, and stops it
            // waking us.
            task.unwatch();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CoroutineExt, EventLoop, Transcript, lazy, sleep, spawn};
    use std::time::Duration;

    #[test]
    fn the_scope_is_entered_and_left_even_when_the_drop_panics() {
        assert!(!cancelling());
        in_cancel_scope(|| assert!(cancelling()));
        let caught = std::panic::catch_unwind(|| in_cancel_scope(|| panic!("in a drop")));
        assert!(caught.is_err());
        assert!(!cancelling(), "left the scope while unwinding");
    }

    #[test]
    fn dropping_an_awaited_handle_outside_a_cancellation_only_detaches_the_task() {
        // `select` lost by a plain drop of the whole coroutine from user code
        // (not a cancellation): the child runs on.
        let out = Transcript::new();
        let o = out.clone();
        let ev = EventLoop::new_virtual();
        ev.run_until_complete(
            lazy(move || {
                let o2 = o.clone();
                let child = spawn(sleep(Duration::from_secs(1)).map(move |()| o2.say("child finished")));
                // Await it for one step, then give up by dropping the handle.
                let mut waiting = Some(child);
                crate::poll_fn(move |cx| {
                    if let Some(mut c) = waiting.take() {
                        assert!(c.poll(cx).is_pending());
                        drop(c); // discarded, not cancelled
                    }
                    Poll::Ready(())
                })
                .then(|()| sleep(Duration::from_secs(2)))
            })
            .then(|c| c),
        )
        .unwrap();
        assert_eq!(out.stamped(), ["1.000 child finished"]);
    }
}
