//! Panics as task errors: one failing task must not take the loop down.
//!
//! Each step runs under `catch_unwind`. A panicking coroutine ends its task
//! with `TaskError::Panicked(message)`; the loop and the sibling tasks go on;
//! awaiting the task gives the error. If nobody ever takes that error — the
//! handle was dropped, or never awaited — the loop reports it when it is
//! dropped, with the task's name and the place it was spawned (asyncio's
//! "Task exception was never retrieved").
//!
//! `AssertUnwindSafe` is sound here because a task that panicked is never
//! polled again: its state machine is dropped, so nobody can observe it
//! half-updated.

use crate::{Context, Coroutine, Poll, TaskInfo};
use std::any::Any;
use std::fmt;
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

/// A task that panicked and whose error nobody took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unobserved {
    /// The task.
    pub task: TaskInfo,
    /// Its panic message.
    pub message: String,
}

impl fmt::Display for Unobserved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task '{}' (spawned at {}) panicked and nobody awaited it: {}",
            self.task.name, self.task.spawned_at, self.message
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TaskInfo, Waker};
    use std::panic::Location;

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

    #[test]
    fn the_report_names_the_task_and_where_it_was_spawned() {
        let task = TaskInfo { id: 3, name: "worker".into(), spawned_at: Location::caller() };
        let report = Unobserved { task, message: "oops".into() }.to_string();
        assert!(report.starts_with("task 'worker' (spawned at src/stage6_failure/panics.rs:"), "{report}");
        assert!(report.ends_with("panicked and nobody awaited it: oops"), "{report}");
    }
}
