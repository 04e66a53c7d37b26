//! Tasks: a coroutine the loop owns, steps when woken, and whose output waits in a cell.
//!
//! A task is one heap allocation, `TaskCell<C>`, shared by three parties:
//! - the loop's [`TaskTable`](super::task_table), which owns it while it runs
//!   and steps it (through the object-safe [`AnyTask`]);
//! - its [`Waker`]s: a task *is* its own waker (`Rc<TaskCell>` coerces to
//!   `Rc<dyn Wake>`), so making a waker allocates nothing;
//! - the [`Task<T>`] handle returned by `spawn`, which awaits the output.
//!
//! ```text
//! TaskCell<C> ── header: key, id, named?, queued?, joiner waker, spawn site
//!             └─ stage:  Running(C) ─► Finished(Result<Output, TaskError>) ─► Joined
//! ```

use super::loop_registry::LoopNumber;
use super::task_table::TaskKey;
use crate::stage6_failure::cancel::in_cancel_scope;
use crate::stage6_failure::panics::{drop_catching, poll_catching};
use crate::{Context, Coroutine, Poll, Wake, Waker};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::Location;
use std::rc::{Rc, Weak};

/// Why a task produced no output.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskError {
    /// The task was cancelled (its coroutine dropped) before it finished —
    /// for instance by `run` when `main` returned while it was still pending.
    Cancelled,
    /// The task's coroutine panicked; the message is the panic's payload.
    Panicked(Box<str>),
    /// A promise was failed on purpose: `Promise::set_error(message)`.
    Failed(Box<str>),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str("task was cancelled"),
            TaskError::Panicked(message) => write!(f, "task panicked: {message}"),
            TaskError::Failed(message) => write!(f, "failed: {message}"),
        }
    }
}

impl std::error::Error for TaskError {}

/// A task's identity, as `current_task()` and `all_tasks()` report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    /// Per-loop number, from 1 in spawn order.
    pub id: u64,
    /// The name given to `spawn_named`, or `Task-<id>` as in asyncio.
    pub name: String,
    /// Where the task was spawned (file:line of the `spawn` call).
    pub spawned_at: &'static Location<'static>,
}

/// What every task has, whatever its coroutine type.
pub(crate) struct TaskHeader {
    pub(crate) key: TaskKey,
    pub(crate) id: u64,
    /// Given a name (`spawn_named`)? The name itself lives in the loop's
    /// side table, so that the many unnamed tasks (`Task-<id>`, formatted on
    /// demand) carry no string at all.
    named: Cell<bool>,
    /// Invariant: `true` exactly while a `Handle::Step` for this task sits in
    /// the ready queue. A second wake is then a no-op, so a task woken by two
    /// sources in one iteration is polled once.
    pub(crate) queued: Cell<bool>,
    /// Set by `Task::cancel` (stage 6): the next step drops the coroutine
    /// instead of polling it.
    pub(crate) cancel_requested: Cell<bool>,
    /// The task this one last awaited through a `Task` handle (stage 6:
    /// cancellation goes down this chain first, as in asyncio);
    /// `TaskKey::NONE` if none.
    pub(crate) awaiting: Cell<TaskKey>,
    /// Its `Task` handle is being awaited (its last poll was `Pending`):
    /// cancelling the awaiter then cancels this task too (stage 6). Kept
    /// here rather than in the handle, which stays two words.
    pub(crate) handle_awaited: Cell<bool>,
    /// The waker of whoever awaits this task's `Task<T>` handle.
    pub(crate) joiner: Cell<Option<Waker>>,
    /// Its loop (see `loop_registry`: 4 bytes where a `Weak<Core>` takes 8).
    pub(crate) owner: LoopNumber,
    /// Where `spawn` was called: reported with the task's failures.
    pub(crate) spawned_at: &'static Location<'static>,
}

impl Drop for TaskHeader {
    /// A named task's name leaves the loop's side table with the task.
    fn drop(&mut self) {
        if self.named.get()
            && let Some(core) = self.owner.core()
            && let Ok(mut names) = core.names.try_borrow_mut()
        {
            names.remove(&self.id);
        }
    }
}

impl TaskHeader {
    pub(crate) fn name(&self) -> String {
        if self.named.get()
            && let Some(core) = self.owner.core()
            && let Some(name) = core.names.borrow().get(&self.id)
        {
            return name.to_string();
        }
        format!("Task-{}", self.id)
    }

    /// Cancels this task through its loop (see `Core::cancel_task`).
    pub(crate) fn request_cancel(&self) {
        match self.owner.core() {
            Some(core) => core.cancel_task(self.key),
            None => self.cancel_requested.set(true), // the loop is gone; nothing will step it
        }
    }

    pub(crate) fn info(&self) -> TaskInfo {
        TaskInfo { id: self.id, name: self.name(), spawned_at: self.spawned_at }
    }
}

enum Stage<C: Coroutine> {
    Running(C),
    Finished(Result<C::Output, TaskError>),
    /// The output was handed to the `Task<T>` handle.
    Joined,
}

pub(crate) struct TaskCell<C: Coroutine> {
    header: TaskHeader,
    stage: RefCell<Stage<C>>,
}

/// The loop's view of a task: step it, cancel it, read its header.
///
/// A task is also its own [`Wake`]: `Rc<dyn AnyTask>` converts to the
/// `Rc<dyn Wake>` of a [`Waker`] (trait upcasting), so the loop makes a
/// task's waker from the reference it already holds.
pub(crate) trait AnyTask: Wake {
    fn header(&self) -> &TaskHeader;
    /// Polls the coroutine once with `waker` (the task's own); `Ready` when
    /// the task has finished.
    fn step(&self, waker: &Waker) -> Poll<()>;
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
    fn name(&self) -> String;
}

/// The handle's view of a task: its header and its output.
trait Joinable<T>: TaskStatus {
    fn header(&self) -> &TaskHeader;
    fn poll_join(&self, waker: &Waker) -> Poll<Result<T, TaskError>>;
}

impl<C: Coroutine + 'static> TaskCell<C> {
    pub(crate) fn new(
        coroutine: C,
        key: TaskKey,
        id: u64,
        named: bool,
        owner: LoopNumber,
        spawned_at: &'static Location<'static>,
    ) -> Rc<TaskCell<C>> {
        let header = TaskHeader {
            key,
            id,
            named: Cell::new(named),
            queued: Cell::new(false),
            cancel_requested: Cell::new(false),
            awaiting: Cell::new(TaskKey::NONE),
            handle_awaited: Cell::new(false),
            joiner: Cell::new(None),
            owner,
            spawned_at,
        };
        Rc::new(TaskCell { header, stage: RefCell::new(Stage::Running(coroutine)) })
    }
}

impl<C: Coroutine + 'static> AnyTask for TaskCell<C> {
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    fn step(&self, waker: &Waker) -> Poll<()> {
        // Cleared *before* polling: a coroutine that wakes itself (yield_now)
        // must be able to queue the task again.
        self.header.queued.set(false);
        if self.header.cancel_requested.get() {
            // Stage 6: a cancelled task's next step is its end.
            self.cancel();
            return Poll::Ready(());
        }
        let mut cx = Context::from_waker(waker);
        let mut stage = self.stage.borrow_mut();
        let Stage::Running(coroutine) = &mut *stage else {
            return Poll::Ready(()); // cancelled meanwhile: nothing to run
        };
        // Stage 6: a panic ends this task, not the loop.
        match poll_catching(coroutine, &mut cx) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => {
                // Dropping the finished coroutine here means it can never be
                // polled again.
                *stage = Stage::Finished(Ok(output));
                Poll::Ready(())
            }
            Err(message) => {
                let broken =
                    std::mem::replace(&mut *stage, Stage::Finished(Err(TaskError::Panicked(message.into()))));
                drop(stage);
                drop_catching(broken);
                Poll::Ready(())
            }
        }
    }

    fn cancel(&self) {
        let old = {
            let mut stage = self.stage.borrow_mut();
            match &*stage {
                Stage::Running(_) => {
                    std::mem::replace(&mut *stage, Stage::Finished(Err(TaskError::Cancelled)))
                }
                _ => return,
            }
        };
        // The coroutine's `Drop` (its clean-up) runs outside the borrow, so it
        // may look at this task without tripping the `RefCell` — and inside a
        // cancel scope, so the tasks it was awaiting are cancelled too.
        in_cancel_scope(|| drop_catching(old));
    }

    fn state_name(&self) -> Option<String> {
        match &*self.stage.try_borrow().ok()? {
            Stage::Running(coroutine) => coroutine.state_name(),
            _ => None,
        }
    }

    fn panic_message(&self) -> Option<String> {
        match &*self.stage.borrow() {
            Stage::Finished(Err(TaskError::Panicked(message))) => Some(message.to_string()),
            _ => None,
        }
    }
}

impl<C: Coroutine + 'static> Joinable<C::Output> for TaskCell<C> {
    fn header(&self) -> &TaskHeader {
        &self.header
    }

    fn poll_join(&self, waker: &Waker) -> Poll<Result<C::Output, TaskError>> {
        let Ok(mut stage) = self.stage.try_borrow_mut() else {
            // The stage is borrowed only while this very task is being
            // polled: it is awaiting its own handle. It will wait forever;
            // the loop's deadlock report says so ("awaits itself").
            self.header.joiner.set(Some(waker.clone()));
            return Poll::Pending;
        };
        match &*stage {
            Stage::Running(_) => {
                // Remember whom to wake; a later poll by another waker replaces it.
                self.header.joiner.set(Some(waker.clone()));
                Poll::Pending
            }
            Stage::Finished(_) => match std::mem::replace(&mut *stage, Stage::Joined) {
                Stage::Finished(result) => Poll::Ready(result),
                _ => unreachable!(),
            },
            Stage::Joined => {
                panic!("task {} polled after it completed: its output was already taken", self.header.name())
            }
        }
    }
}

impl<C: Coroutine + 'static> TaskStatus for TaskCell<C> {
    fn is_finished(&self) -> bool {
        !matches!(&*self.stage.borrow(), Stage::Running(_))
    }

    fn has_failed(&self) -> bool {
        matches!(&*self.stage.borrow(), Stage::Finished(Err(_)))
    }

    fn name(&self) -> String {
        self.header.name()
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

/// A spawned task: awaiting it gives the coroutine's output, or why there is none.
///
/// Dropping a `Task` does not stop the task (as in asyncio and tokio): it
/// runs on, detached, and its output is dropped.
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

    /// Polls for the output without telling the awaiting task what it waits
    /// on, so cancelling that task does not reach this one (`shield`).
    pub(crate) fn poll_shielded(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        self.cell.poll_join(cx.waker())
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
    /// its output (what `gather` and `wait` need). Returns `true` if it has
    /// already finished, in which case nothing is registered.
    pub(crate) fn watch(&self, waker: &Waker) -> bool {
        if self.cell.is_finished() {
            return true;
        }
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
        let status: Rc<dyn TaskStatus> = self.cell.clone();
        Rc::downgrade(&status)
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
        let poll = self.cell.poll_join(cx.waker());
        self.cell.header().handle_awaited.set(poll.is_pending());
        if poll.is_pending() {
            // Let the awaiting task know what it waits on: cancelling it will
            // cancel this task first (stage 6).
            if let Some(core) = self.cell.header().owner.core() {
                core.note_awaiting(self.cell.header().key);
            }
        }
        poll
    }
}

impl<T> Drop for Task<T> {
    /// Dropping a handle detaches the task — unless the handle was being
    /// awaited by a coroutine that is being cancelled: then, as in asyncio,
    /// the cancellation goes on into the awaited task.
    fn drop(&mut self) {
        let header = self.cell.header();
        if header.handle_awaited.get()
            && crate::stage6_failure::cancel::cancelling()
            && !self.cell.is_finished()
        {
            self.cell.header().request_cancel();
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
        assert_eq!(std::mem::size_of::<Task<u64>>(), 16);
        assert_eq!(std::mem::size_of::<TaskError>(), 24);
    }
}
