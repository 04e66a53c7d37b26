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

use super::core::Core;
use super::runnable::Callback;
use crate::{Context, Coroutine, Poll};
use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};

/// The payload of a panic, as `catch_unwind` gives it.
pub(crate) type PanicPayload = Box<dyn Any + Send>;

/// Polls `coroutine`, catching a panic.
pub(crate) fn poll_catching<C: Coroutine + ?Sized>(
    coroutine: &mut C,
    cx: &mut Context<'_>,
) -> Result<Poll<C::Output>, PanicPayload> {
    catch_unwind(AssertUnwindSafe(|| coroutine.poll(cx)))
}

/// Drops `value`; a panic in its `Drop` is reported — naming `whose` it was —
/// not propagated.
pub(crate) fn drop_catching<T>(value: T, whose: impl FnOnce() -> String) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        eprintln!("rondo: {} panicked while being dropped: {}", whose(), panic_message(&*payload));
    }
}

/// A callback (or a timer's waker) that panicked. asyncio logs "Exception in
/// callback ..." and goes on; so does rondo, and keeps the report.
///
/// ```
/// use rondo::{EventLoop, sleep};
/// use std::time::Duration;
///
/// // loop.call_soon(f) where f raises: asyncio logs "Exception in callback" and goes on
/// let ev = EventLoop::new_virtual();
/// ev.call_soon(|| panic!("oops"));
/// ev.run_until_complete(sleep(Duration::from_secs(1))).unwrap(); // the loop went on
/// let panics = ev.callback_panics();
/// assert_eq!(panics[0].message, "oops");
/// println!("scheduled at {}", panics[0].scheduled_at);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackPanic {
    /// The panic's message.
    pub message: String,
    /// Where the callback was scheduled (`call_soon`, `call_later`,
    /// `add_done_callback`).
    pub scheduled_at: &'static Location<'static>,
}

impl fmt::Display for CallbackPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a callback scheduled at {} panicked: {}", self.scheduled_at, self.message)
    }
}

impl Core {
    /// Runs a callback; a panic is reported and kept, and the loop goes on.
    pub(crate) fn run_catching(&self, callback: Callback) {
        let scheduled_at = callback.scheduled_at;
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| callback.call())) {
            let failure = CallbackPanic { message: panic_message(&*payload), scheduled_at };
            eprintln!("rondo: {failure}");
            self.callback_panics.borrow_mut().push(failure);
        }
    }

    /// Wakes a queued waker — a fired timer's, or (stage 8) a ready
    /// descriptor's: the coroutine's own `Wake`, which may
    /// be anything — catching a panic as for a callback. (No `Callback` box
    /// here: a million sleepers fire a million of these.)
    pub(crate) fn wake_catching(&self, waker: crate::Waker) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| waker.wake())) {
            let failure =
                CallbackPanic { message: panic_message(&*payload), scheduled_at: Location::caller() };
            eprintln!("rondo: a waker (of a timer or a ready descriptor) panicked: {}", failure.message);
            self.callback_panics.borrow_mut().push(failure);
        }
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
        assert_eq!(result.err().map(|p| panic_message(&*p)).as_deref(), Some("boom 42"));
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
        drop_catching(Bomb, || "a bomb".to_string()); // returns normally
    }
}
