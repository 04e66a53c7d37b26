//! The cancel scope: "this drop is a cancellation", as one bit of thread context.
//!
//! asyncio cancels a task by throwing `CancelledError` into its coroutine at
//! the next step; the coroutine's `finally` blocks run. rondo cancels by
//! *dropping* the state machine at its next step: `Drop` is the `finally`.
//! (A coroutine cannot catch and ignore its cancellation — a dropped state
//! machine is gone — the one place rondo differs on purpose, see
//! `docs/06-failure.md`.)
//!
//! A drop alone does not say *why*. When a `Task` handle is dropped, was it
//! dropped because its owner is being cancelled (then, as in asyncio, the
//! task it awaits is cancelled too) or simply discarded (then the task runs
//! on, detached)? Whoever drops a coroutine to cancel it — the loop at a
//! cancelled task's step, `select` dropping its losers, `wait_for` its
//! timed-out child — does it inside [`in_cancel_scope`], and a handle's
//! `Drop` asks [`cancelling`].

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_is_entered_and_left_even_when_the_drop_panics() {
        assert!(!cancelling());
        in_cancel_scope(|| assert!(cancelling()));
        let caught = std::panic::catch_unwind(|| in_cancel_scope(|| panic!("in a drop")));
        assert!(caught.is_err());
        assert!(!cancelling(), "left the scope while unwinding");
    }
}
