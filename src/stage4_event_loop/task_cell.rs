//! `TaskCell`: a coroutine the loop owns, stepped when woken, its output kept until taken.
//!
//! A task is one heap allocation, `TaskCell<C>`, shared by three parties:
//! - the loop's [`TaskTable`](super::task_table), which owns it while it runs
//!   and steps it (through the object-safe [`AnyTask`]);
//! - its [`Waker`]s: a task *is* its own waker (`Rc<TaskCell>` coerces to
//!   `Rc<dyn Wake>`), so making a waker allocates nothing;
//! - the [`Task<T>`](super::Task) handle returned by `spawn`, which awaits
//!   the output (through [`Joinable`]).
//!
//! ```text
//! TaskCell<C> ── header:   key, id, flags, joiner waker, spawn site
//!             └─ progress: Running(C) ─► Finished(Result<Output, TaskError>) ─► Taken
//! ```
//!
//! A step is asyncio's `Task.__step`, minimal: a requested cancellation ends
//! the task instead of polling it; otherwise the coroutine is polled once
//! under `catch_unwind`, and a panic ends the task with its message.

use super::cancel_scope::in_cancel_scope;
use super::catch_panic::{PanicPayload, drop_catching, panic_message, poll_catching};
use super::task_header::TaskHeader;
use super::task_info::TaskError;
use super::task_table::TaskKey;
use crate::fast::LoopRef;
use crate::{Context, Coroutine, Poll, Wake, Waker};
use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::rc::Rc;

/// How far a task has got.
enum Progress<C: Coroutine> {
    Running(C),
    Finished(Result<C::Output, TaskError>),
    /// The output was handed to the `Task<T>` handle.
    Taken,
}

pub(crate) struct TaskCell<C: Coroutine> {
    header: TaskHeader,
    progress: RefCell<Progress<C>>,
}

/// The loop's view of a task: step it, cancel it, read its header.
///
/// A task is also its own [`Wake`]: `Rc<dyn AnyTask>` converts to the
/// `Rc<dyn Wake>` of a [`Waker`] (trait upcasting), so the loop makes a
/// task's waker from the reference it already holds.
pub(crate) trait AnyTask: Wake {
    fn header(&self) -> &TaskHeader;
    /// Polls the coroutine once with `waker` (the task's own); `Ready` when
    /// the task has finished — with the panic's payload if it panicked.
    fn step(&self, waker: &Waker) -> Poll<Option<PanicPayload>>;
    /// Drops the coroutine (running its `Drop` as clean-up) and records `Cancelled`.
    fn cancel(&self);
    /// The panic message, while the task's failure has not been taken by an awaiter.
    fn panic_message(&self) -> Option<String>;
    /// The coroutine's state name, while it runs (hooks).
    fn state_name(&self) -> Option<String>;
}

/// Whether a task has finished, and how — readable without knowing its output type.
pub(crate) trait TaskStatus {
    fn is_finished(&self) -> bool;
    /// Finished without an output (failed or cancelled)?
    fn has_failed(&self) -> bool;
    /// Finished by a cancellation (its outcome not taken yet)?
    fn was_cancelled(&self) -> bool;
    fn name(&self) -> String;
    /// Takes and drops the outcome of a finished task nobody will await
    /// (asyncio: `fut.exception()` in a done-callback, which marks it
    /// retrieved); nothing if it is unfinished or already taken.
    fn discard_outcome(&self);
}

/// The handle's view of a task: its header and its output.
pub(crate) trait Joinable<T>: TaskStatus {
    fn header(&self) -> &TaskHeader;
    fn poll_join(&self, waker: &Waker) -> Poll<Result<T, TaskError>>;
}

impl<C: Coroutine + 'static> TaskCell<C> {
    pub(crate) fn new(
        coroutine: C,
        key: TaskKey,
        id: u64,
        named: bool,
        owner: LoopRef,
        spawned_at: &'static Location<'static>,
    ) -> Rc<TaskCell<C>> {
        let header = TaskHeader {
            key,
            id,
            named,
            queued: Cell::new(false),
            cancel_requested: Cell::new(false),
            awaiting: Cell::new(TaskKey::NONE),
            handle_awaited: Cell::new(false),
            joiner: Cell::new(None),
            owner,
            spawned_at,
        };
        Rc::new(TaskCell { header, progress: RefCell::new(Progress::Running(coroutine)) })
    }
}

impl<C: Coroutine> TaskCell<C> {
    /// "task 'name' (spawned at file:line)", for reports.
    fn describe(&self) -> String {
        format!("task '{}' (spawned at {})", self.header.name(), self.header.spawned_at)
    }
}

impl<C: Coroutine + 'static> AnyTask for TaskCell<C> {
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    fn step(&self, waker: &Waker) -> Poll<Option<PanicPayload>> {
        // Cleared *before* polling: a coroutine that wakes itself (yield_now)
        // must be able to queue the task again.
        self.header.queued.set(false);
        if self.header.cancel_requested.get() {
            // A cancelled task's next step is its end.
            self.cancel();
            return Poll::Ready(None);
        }
        let mut cx = Context::from_waker(waker);
        let mut progress = self.progress.borrow_mut();
        let Progress::Running(coroutine) = &mut *progress else {
            return Poll::Ready(None); // cancelled meanwhile: nothing to run
        };
        let (finished, payload) = match poll_catching(coroutine, &mut cx) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => (Progress::Finished(Ok(output)), None),
            Err(payload) => {
                let message = panic_message(&*payload).into();
                (Progress::Finished(Err(TaskError::Panicked(message))), Some(payload))
            }
        };
        // The finished (or broken) coroutine is dropped here, so it can never
        // be polled again — outside the borrow, and catching a panic in its
        // `Drop`: the task has ended either way.
        let coroutine = std::mem::replace(&mut *progress, finished);
        drop(progress);
        drop_catching(coroutine, || self.describe());
        Poll::Ready(payload)
    }

    fn cancel(&self) {
        let old = {
            let mut progress = self.progress.borrow_mut();
            match &*progress {
                Progress::Running(_) => {
                    std::mem::replace(&mut *progress, Progress::Finished(Err(TaskError::Cancelled)))
                }
                _ => return,
            }
        };
        // The coroutine's `Drop` (its clean-up) runs outside the borrow, so it
        // may look at this task without tripping the `RefCell` — and inside a
        // cancel scope, so the tasks it was awaiting are cancelled too.
        in_cancel_scope(|| drop_catching(old, || format!("{}, cancelled,", self.describe())));
    }

    fn state_name(&self) -> Option<String> {
        match &*self.progress.try_borrow().ok()? {
            Progress::Running(coroutine) => coroutine.state_name(),
            _ => None,
        }
    }

    fn panic_message(&self) -> Option<String> {
        match &*self.progress.try_borrow().ok()? {
            Progress::Finished(Err(TaskError::Panicked(message))) => Some(message.to_string()),
            _ => None,
        }
    }
}

impl<C: Coroutine + 'static> Joinable<C::Output> for TaskCell<C> {
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    fn poll_join(&self, waker: &Waker) -> Poll<Result<C::Output, TaskError>> {
        let Ok(mut progress) = self.progress.try_borrow_mut() else {
            // Borrowed only while this very task is being polled: it is
            // awaiting its own handle. It will wait forever; the loop's
            // deadlock report says so ("awaits itself").
            self.header.joiner.set(Some(waker.clone()));
            return Poll::Pending;
        };
        match &*progress {
            Progress::Running(_) => {
                // Remember whom to wake; a later poll by another waker replaces it.
                self.header.joiner.set(Some(waker.clone()));
                Poll::Pending
            }
            Progress::Finished(_) => match std::mem::replace(&mut *progress, Progress::Taken) {
                Progress::Finished(result) => {
                    drop(progress);
                    if let Err(TaskError::Panicked(_)) = &result
                        && let Some(core) = self.header.owner.core()
                        && let Some(watch) = core.step_watch()
                    {
                        watch.panic_observed(&core); // taken: nothing left to report
                    }
                    Poll::Ready(result)
                }
                _ => unreachable!(),
            },
            Progress::Taken => {
                panic!("task {} polled after it completed: its output was already taken", self.header.name())
            }
        }
    }
}

impl<C: Coroutine + 'static> TaskStatus for TaskCell<C> {
    // `try_borrow`: the progress is borrowed only while the task's own step
    // runs — so a task asking about its own handle (asyncio allows
    // `current_task().cancel()`) is running: not finished, not failed.
    fn is_finished(&self) -> bool {
        self.progress.try_borrow().is_ok_and(|p| !matches!(&*p, Progress::Running(_)))
    }

    fn has_failed(&self) -> bool {
        self.progress.try_borrow().is_ok_and(|p| matches!(&*p, Progress::Finished(Err(_))))
    }

    fn was_cancelled(&self) -> bool {
        self.progress.try_borrow().is_ok_and(|p| matches!(&*p, Progress::Finished(Err(TaskError::Cancelled))))
    }

    fn name(&self) -> String {
        self.header.name()
    }

    fn discard_outcome(&self) {
        let finished = self.progress.try_borrow().is_ok_and(|p| matches!(&*p, Progress::Finished(_)));
        if finished {
            drop(self.poll_join(&Waker::noop()));
        }
    }
}

impl<C: Coroutine + 'static> Wake for TaskCell<C> {
    fn wake(&self) {
        if self.header.queued.replace(true) {
            return; // already in the ready queue
        }
        match self.header.owner.core() {
            Some(core) => core.schedule_step(self.header.key),
            None => self.header.queued.set(false), // the loop is gone
        }
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn a_small_task_fits_glibcs_fast_bins_and_its_handle_is_two_words() {
        // malloc's chunk is the request + 8, rounded to 16; chunks up to 128
        // bytes are freed to the "fast bins", much cheaper than the sorted
        // bins above them (measured: ~30 ns per spawn+join). `Rc` adds two
        // counts (16 bytes) to the cell. Every 16 bytes of chunk is 16 MB
        // with a million tasks alive: the header is kept at 56 bytes so a
        // trivial task takes 112.
        type Trivial = crate::stage5_combinators::Ready<u64>;
        assert_eq!(std::mem::size_of::<TaskHeader>(), 56);
        let chunk = (std::mem::size_of::<TaskCell<Trivial>>() + 16 + 8).next_multiple_of(16);
        assert!(chunk <= 112, "a trivial task now takes a {chunk}-byte chunk");
        assert_eq!(std::mem::size_of::<crate::Task<u64>>(), 16);
        assert_eq!(std::mem::size_of::<TaskError>(), 24);
    }
}
