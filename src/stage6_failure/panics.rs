//! Panics nobody awaited: said out loud when the loop goes, not lost.
//!
//! Stage 4 already runs each step under `catch_unwind`: a panicking
//! coroutine ends its task with `TaskError::Panicked(message)`, the loop and
//! the sibling tasks go on, and awaiting the task gives the error. But if
//! nobody ever takes that error — the handle was dropped, or never awaited —
//! it would vanish. This stage keeps every failed task in a `FailureLog`
//! and reports those whose error nobody took when the loop is dropped, with
//! the task's name and the place it was spawned (asyncio's "Task exception
//! was never retrieved").

use super::supervisor::Supervisor;
use crate::stage4_event_loop::AnyTask;
use crate::{EventLoop, TaskInfo};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

/// The tasks that panicked, kept until an awaiter takes the error or the
/// loop is dropped. Filled around each step (the `StepWatch` seam).
#[derive(Default)]
pub(crate) struct FailureLog {
    failed: RefCell<Vec<Rc<dyn AnyTask>>>,
    /// How many of `failed` have been awaited since the last clean-up.
    observed: Cell<usize>,
}

impl FailureLog {
    /// A task just ended by panicking: keep it, in case nobody awaits it.
    pub(crate) fn task_panicked(&self, task: &Rc<dyn AnyTask>) {
        self.failed.borrow_mut().push(task.clone());
    }

    /// An awaiter took one of the failures. Once they are half the log,
    /// forget the taken ones: a million awaited panics must not keep a
    /// million tasks alive (amortised: one pass per as many takes).
    pub(crate) fn panic_observed(&self) {
        self.observed.set(self.observed.get() + 1);
        let Ok(mut failed) = self.failed.try_borrow_mut() else { return };
        if self.observed.get() >= 64 && self.observed.get() * 2 >= failed.len() {
            failed.retain(|task| task.panic_message().is_some());
            let keep = failed.len() * 2;
            failed.shrink_to(keep);
            self.observed.set(0);
        }
    }

    /// The failures whose error nobody has taken, forgetting them all.
    fn take_unobserved(&self) -> Vec<Unobserved> {
        let failed = std::mem::take(&mut *self.failed.borrow_mut());
        failed
            .iter()
            .filter_map(|task| {
                let message = task.panic_message()?; // `None`: an awaiter took it
                Some(Unobserved { task: task.header().info(), message })
            })
            .collect()
    }
}

impl Drop for FailureLog {
    /// asyncio's "Task exception was never retrieved": when the loop goes,
    /// failures nobody awaited are said out loud, not lost.
    fn drop(&mut self) {
        for failure in self.take_unobserved() {
            eprintln!("rondo: {failure}");
        }
    }
}

/// Installs, once per process, a panic hook that says which task panicked.
///
/// Rust's default hook prints "thread 'main' panicked at …" for every panic
/// — also for the ones the loop catches and turns into task errors — with
/// nothing about the task; five thousand failing tasks, five thousand such
/// lines. While a task's step runs, this hook prints one line naming the
/// task and where it was spawned instead. Every other panic (outside any
/// task, or in a callback) goes to the hook it replaced, and so does a task's
/// when `RUST_BACKTRACE` asks for a backtrace — after rondo's line.
pub(crate) fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let Some(task) = crate::stage4_event_loop::task_in_step() else { return previous(info) };
            let at = info.location().map_or_else(|| "an unknown place".to_string(), ToString::to_string);
            let message = info.payload_as_str().unwrap_or("a panic with a non-string payload");
            eprintln!(
                "rondo: task '{}' (spawned at {}) panicked at {at}: {message}",
                task.name, task.spawned_at
            );
            if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
                previous(info);
            }
        }));
    });
}

impl EventLoop {
    /// Takes the failures nobody awaited so far (they are then not reported
    /// again when the loop is dropped).
    pub fn take_unobserved_failures(&self) -> Vec<Unobserved> {
        Supervisor::of(self).map(|s| s.failures.take_unobserved()).unwrap_or_default()
    }
}

/// A task that panicked and whose error nobody took.
///
/// ```
/// use rondo::{EventLoop, lazy, sleep};
/// use std::time::Duration;
///
/// // asyncio: "Task exception was never retrieved"
/// let ev = EventLoop::new_virtual();
/// drop(ev.spawn_named("forgotten", lazy(|| panic!("oops")))); // nobody will await it
/// ev.run_until_complete(sleep(Duration::from_secs(1))).unwrap();
/// let failures = ev.take_unobserved_failures(); // else reported when `ev` is dropped
/// assert_eq!((failures[0].task.name.as_str(), failures[0].message.as_str()), ("forgotten", "oops"));
/// ```
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
    use std::panic::Location;

    #[test]
    fn the_report_names_the_task_and_where_it_was_spawned() {
        let task = TaskInfo { id: 3, name: "worker".into(), spawned_at: Location::caller() };
        let report = Unobserved { task, message: "oops".into() }.to_string();
        assert!(report.starts_with("task 'worker' (spawned at src/stage6_failure/panics.rs:"), "{report}");
        assert!(report.ends_with("panicked and nobody awaited it: oops"), "{report}");
    }
}
