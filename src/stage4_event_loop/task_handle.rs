//! `Task<T>`: the handle `spawn` returns — await it for the output.
//!
//! The handle is two words: an `Rc` of the task's cell, seen through
//! [`Joinable`] so that the output type is known but the coroutine type is
//! not. Awaiting it registers the awaiter's waker as the task's *joiner*;
//! the loop wakes it when the task finishes (asyncio: the awaiter's
//! `__wakeup` is the task's done-callback).

use super::cancel_scope::cancelling;
use super::running::running_loop_id;
use super::task_cell::{Joinable, TaskCell, TaskStatus};
use super::task_info::TaskError;
use super::task_table::TaskKey;
use crate::{Context, Coroutine, Poll, Waker};
use std::fmt;
use std::rc::{Rc, Weak};

/// ```text
/// async fn await_task(task) -> Result<T, TaskError> {
///     while task is unfinished {
///         task.joiner = my waker;
///         suspend;
///     }
///     take its output                    // once: a second await panics
/// }
/// ```
///
/// A spawned task: awaiting it gives the coroutine's output, or why there is none.
///
/// Dropping a `Task` does not stop the task (as in asyncio and tokio): it
/// runs on, detached, and its output is dropped.
///
/// ```
/// use rondo::{EventLoop, sleep};
/// use std::time::Duration;
///
/// // task = asyncio.create_task(asyncio.sleep(10), name="sleeper"); task.cancel()
/// let ev = EventLoop::new_virtual();
/// let task = ev.spawn_named("sleeper", sleep(Duration::from_secs(10)));
/// assert_eq!((task.name(), task.done()), ("sleeper".to_string(), false));
/// assert!(task.cancel());
/// ev.run_until_complete(sleep(Duration::from_secs(1))).unwrap();
/// assert!(task.done() && task.cancelled()); // task.done(), task.cancelled()
/// ```
#[must_use = "a task runs without being awaited, but its output is lost if the handle is dropped"]
pub struct Task<T> {
    cell: Rc<dyn Joinable<T>>,
}

impl<T: 'static> Task<T> {
    pub(crate) fn new<C: Coroutine<Output = T> + 'static>(cell: Rc<TaskCell<C>>) -> Task<T> {
        Task { cell }
    }
}

impl<T> Task<T> {
    /// Cancels the task: at its next step the loop drops its coroutine
    /// instead of polling it (its `Drop` is its clean-up, and the tasks it was
    /// awaiting are cancelled too), and its awaiter gets
    /// `Err(TaskError::Cancelled)`. Returns `false` if it had already finished.
    ///
    /// asyncio throws `CancelledError` into the coroutine, which may catch it
    /// and go on; a dropped Rust state machine cannot, so a rondo cancellation
    /// always ends the task — see `docs/06-failure.md`.
    pub fn cancel(&self) -> bool {
        if self.cell.is_finished() {
            return false;
        }
        self.cell.header().request_cancel();
        true
    }

    /// `true` if the task ended because it was cancelled.
    pub fn cancelled(&self) -> bool {
        self.cell.header().cancel_requested.get() && self.cell.is_finished()
    }

    /// The task's per-loop number.
    pub fn id(&self) -> u64 {
        self.cell.header().id
    }

    /// The task's name (`Task-<id>` unless it was spawned with a name).
    pub fn name(&self) -> String {
        self.cell.header().name()
    }

    /// `true` once the task has finished: completed, cancelled or failed.
    pub fn done(&self) -> bool {
        self.cell.is_finished()
    }

    pub(crate) fn key(&self) -> TaskKey {
        self.cell.header().key
    }

    /// Asks for `waker` to be woken when the task finishes, *without* taking
    /// its output (what `gather`, `wait` and `shield` need: a done-callback,
    /// not an await). Returns `true` if it has already finished, in which
    /// case nothing is registered.
    pub(crate) fn watch(&self, waker: &Waker) -> bool {
        if self.cell.is_finished() {
            return true;
        }
        // Even if it was awaited directly before: a cancellation of whoever
        // awaited it no longer follows into it (`shield` relies on this).
        self.cell.header().handle_awaited.set(false);
        self.cell.header().joiner.set(Some(waker.clone()));
        false
    }

    /// Withdraws a waker registered by [`watch`](Task::watch) or a poll
    /// (asyncio: `remove_done_callback`), so a finished `wait` is not woken later.
    pub(crate) fn unwatch(&self) {
        self.cell.header().joiner.set(None);
    }

    /// `true` if the task finished without an output (it failed or was cancelled).
    pub fn failed(&self) -> bool {
        self.cell.has_failed()
    }

    /// A weak view of the task's status, for callbacks that must not keep it alive.
    pub(crate) fn status(&self) -> Weak<dyn TaskStatus> {
        Rc::downgrade(&self.status_rc())
    }

    /// The same, keeping the task alive.
    pub(crate) fn status_rc(&self) -> Rc<dyn TaskStatus> {
        self.cell.clone()
    }

    /// Takes the output of a finished task (`None` while it runs).
    pub(crate) fn try_take(&self) -> Option<Result<T, TaskError>> {
        if !self.cell.is_finished() {
            return None;
        }
        match self.cell.poll_join(&Waker::noop()) {
            Poll::Ready(result) => Some(result),
            Poll::Pending => None,
        }
    }
}

impl<T: 'static> Coroutine for Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        self.refuse_a_second_awaiter(cx.waker());
        let poll = self.cell.poll_join(cx.waker());
        self.cell.header().handle_awaited.set(poll.is_pending());
        if poll.is_pending() {
            let header = self.cell.header();
            // A task is stepped by its own loop only: awaited from a
            // coroutine of another loop, it would never wake its awaiter.
            if running_loop_id().is_some_and(|running| running != header.owner.id()) {
                panic!(
                    "task {} was spawned on another event loop: a task can only be awaited \
                     from a coroutine running on its own loop (spawn it on this one instead)",
                    header.name()
                );
            }
            // Let the awaiting task know what it waits on: a cancellation
            // follows that (stage 6), and a deadlock report says it.
            if let Some(core) = header.owner.core() {
                core.note_awaiting(header.key);
            }
        }
        poll
    }
}

impl<T> Task<T> {
    /// A task wakes one awaiter (its joiner). A second task awaiting the same
    /// handle — shared through an `Rc<RefCell<..>>` — would take the first
    /// one's place, and the first would wait forever; say so instead. (Only
    /// when the earlier awaiter is a task of this loop that still awaits this
    /// one: a handle moved on with its coroutine is fine.)
    fn refuse_a_second_awaiter(&self, waker: &Waker) {
        let header = self.cell.header();
        if !header.handle_awaited.get() {
            return;
        }
        let Some(previous) = header.joiner_addr().filter(|&a| a != waker.target_addr()) else { return };
        let Some(core) = header.owner.core() else { return };
        if let Some(first) = core.unfinished_task_at(previous)
            && first.header().awaiting.get() == header.key
        {
            panic!(
                "task {} is awaited by two coroutines at once (task {} awaits it already): a task \
                 has one awaiter; to share its result, set a Promise from it",
                header.name(),
                first.header().name()
            );
        }
    }
}

impl<T> Drop for Task<T> {
    /// Dropping a handle detaches the task — unless the handle was being
    /// awaited by a coroutine that is being cancelled: then, as in asyncio,
    /// the cancellation goes on into the awaited task.
    fn drop(&mut self) {
        let header = self.cell.header();
        // Nobody awaits the task through this handle any more: a later
        // cancellation of the former awaiter must not follow a stale record.
        let awaited = header.handle_awaited.replace(false);
        if awaited && cancelling() && !self.cell.is_finished() {
            header.request_cancel();
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header = self.cell.header();
        f.debug_struct("Task").field("id", &header.id).field("name", &header.name()).finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::PollFn;
    use crate::{Context, Coroutine, CoroutineExt, EventLoop, Poll, Task, spawn};
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn a_task_awaiting_itself_is_reported_as_a_deadlock() {
        let me: Rc<RefCell<Option<Task<()>>>> = Rc::default();
        let slot = me.clone();
        let ev = EventLoop::new_virtual();
        let task = ev.spawn_named(
            "narcissus",
            PollFn(move |cx: &mut Context<'_>| {
                let mut guard = slot.borrow_mut();
                guard.as_mut().expect("handle stored before the first step").poll(cx).map(|_| ())
            }),
        );
        *me.borrow_mut() = Some(task);
        let error = ev.run_until_complete(
            crate::stage2_coroutine::yield_now().then(|()| PollFn(|_: &mut Context<'_>| Poll::Pending::<()>)),
        );
        let crate::LoopError::Deadlock { stuck } = error.unwrap_err() else { panic!("a deadlock") };
        assert_eq!(stuck[0].task.name, "narcissus");
        assert_eq!(stuck[0].waits_on, "awaits itself: it can never finish");
        me.borrow_mut().take(); // break the handle's cycle through the closure
    }

    #[test]
    #[should_panic(expected = "polled after it completed: its output was already taken")]
    fn polling_a_task_after_its_output_was_taken_panics() {
        EventLoop::new_virtual()
            .run(PollFn({
                let mut child = None;
                move |cx: &mut Context<'_>| {
                    let c = child.get_or_insert_with(|| spawn(PollFn(|_: &mut Context<'_>| Poll::Ready(7))));
                    if c.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let _ = c.poll(cx); // the bug
                    Poll::Ready(())
                }
            }))
            .unwrap();
    }

    #[test]
    fn a_handle_knows_its_task() {
        let ev = EventLoop::new_virtual();
        let named = ev.spawn_named("Subtraction", PollFn(|_: &mut Context<'_>| Poll::Ready(-10)));
        let unnamed = ev.spawn(PollFn(|_: &mut Context<'_>| Poll::Ready(0)));
        assert_eq!((named.id(), named.name()), (1, "Subtraction".to_string()));
        assert_eq!((unnamed.id(), unnamed.name()), (2, "Task-2".to_string()));
        assert!(!named.done());
        assert_eq!(format!("{named:?}"), r#"Task { id: 1, name: "Subtraction" }"#);
        assert_eq!(ev.run_until_complete(named).unwrap(), Ok(-10));
        assert!(unnamed.done(), "it ran in the same iteration");
    }
}
