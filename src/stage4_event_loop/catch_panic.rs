//! Catching a panic around user code: one failing task must not take the loop down.
//!
//! asyncio's `Task.__step` wraps the coroutine's `send` in `try/except
//! BaseException` and ends the task with the exception; rondo's step wraps
//! the poll in `catch_unwind` and ends the task with
//! `TaskError::Panicked(message)`. The loop and the sibling tasks go on.
//! (Reporting a failure nobody awaited is stage 6's.)
//!
//! `AssertUnwindSafe` is sound here because a task that panicked is never
//! polled again: its state machine is dropped, so nobody can observe it
//! half-updated.

use crate::{Context, Coroutine, Poll};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Polls `coroutine`, turning a panic into its message.
pub(crate) fn poll_catching<C: Coroutine + ?Sized>(
    coroutine: &mut C,
    cx: &mut Context<'_>,
) -> Result<Poll<C::Output>, String> {
    catch_unwind(AssertUnwindSafe(|| coroutine.poll(cx))).map_err(|payload| panic_message(&*payload))
}

/// Drops `value`; a panic in its `Drop` is reported, not propagated.
pub(crate) fn drop_catching<T>(value: T) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        eprintln!("rondo: a coroutine panicked while being dropped: {}", panic_message(&*payload));
    }
}

/// The text of a panic payload (`panic!("...")` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Waker;

    #[test]
    fn a_panic_becomes_its_message() {
        let mut boom = crate::poll_fn(|_| -> Poll<()> { panic!("boom {}", 42) });
        let waker = Waker::noop();
        let result = poll_catching(&mut boom, &mut Context::from_waker(&waker));
        assert_eq!(result.err().as_deref(), Some("boom 42"));
        let static_str: Box<dyn Any + Send> = Box::new("plain");
        assert_eq!(panic_message(&*static_str), "plain");
        let other: Box<dyn Any + Send> = Box::new(7u8);
        assert_eq!(panic_message(&*other), "a panic with a non-string payload");
    }

    #[test]
    fn a_panicking_drop_is_contained() {
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                panic!("in drop");
            }
        }
        drop_catching(Bomb); // returns normally
    }
}
