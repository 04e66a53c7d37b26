//! `ChildTask`: a task spawned into a group, seen two ways — by the group, and by the body.
//!
//! The group must treat children of different output types alike (cancel
//! them, ask if they are done, take a failure out), so it sees each through
//! the object-safe [`Child`] trait; the body keeps a typed [`ChildTask<T>`]
//! for the output. Both are views of one `Slot`, which holds the `Task` and,
//! once it has ended, its outcome.
//!
//! A rondo task wakes one waker when it ends, and the group needs it. So
//! the group's waker is a `DoneWaker` that does what asyncio's list of
//! done-callbacks does, in its order: it schedules the group's callback
//! (`_on_task_done`, added first, at `create_task`), then wakes whoever
//! awaits the `ChildTask` (the awaiting task's `__wakeup`, added later).

use super::group_error::GroupError;
use crate::stage4_event_loop::TaskKey;
use crate::{Context, Coroutine, Poll, Task, TaskError, Wake, Waker};
use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};

/// A child as the group sees it, whatever its output type.
pub(super) trait Child<E> {
    fn key(&self) -> TaskKey;
    fn cancel(&self) -> bool;
    fn done(&self) -> bool;
    fn name(&self) -> String;
    /// Takes the ended task's failure out, if it failed.
    fn settle(&self) -> Option<GroupError<E>>;
    /// The wake target of whoever awaits the child's handle, if anyone does.
    fn awaiter_addr(&self) -> Option<usize>;
    /// Puts `waker` in the awaiter's place (a cancellation from outside does).
    fn set_awaiter(&self, waker: Waker);
}

/// A child as its [`ChildTask`] handle sees it.
trait ChildView<T> {
    fn task_cancel(&self) -> bool;
    fn task_done(&self) -> bool;
    fn task_cancelled(&self) -> bool;
    fn task_name(&self) -> String;
    fn poll_outcome(&self, waker: &Waker) -> Poll<Result<T, TaskError>>;
    fn take_output(&self) -> Option<T>;
    fn forget_awaiter(&self);
}

/// How a child ended (`Running` until its slot has looked).
enum Outcome<T, E> {
    Running,
    /// Its output, until the body takes it.
    Succeeded(Option<T>),
    /// Its error, until the group takes it.
    Failed(Option<E>),
    Panicked(Box<str>),
    Cancelled,
}

/// One child: its task and, once it has ended, its outcome.
pub(super) struct Slot<T, E> {
    task: Task<Result<T, E>>,
    outcome: RefCell<Outcome<T, E>>,
    /// Whoever awaits the `ChildTask`; shared (weakly) with the `DoneWaker`.
    awaiter: Rc<RefCell<Option<Waker>>>,
}

/// The waker the group leaves on a child's task: asyncio's two done-callbacks.
struct DoneWaker {
    /// The group's `_on_task_done`, to run next iteration.
    on_done: Rc<dyn Fn()>,
    awaiter: Weak<RefCell<Option<Waker>>>,
}

impl Wake for DoneWaker {
    fn wake(&self) {
        let on_done = self.on_done.clone();
        crate::call_soon(move || on_done());
        let awaiter = self.awaiter.upgrade().and_then(|a| a.borrow_mut().take());
        if let Some(awaiter) = awaiter {
            awaiter.wake();
        }
    }
}

impl<T, E> Slot<T, E> {
    /// Watches `task`: when it ends, `on_done` runs next iteration, and
    /// whoever awaits its handle is woken after it.
    pub(super) fn new(task: Task<Result<T, E>>, on_done: Rc<dyn Fn()>) -> Rc<Slot<T, E>>
    where
        T: 'static,
        E: 'static,
    {
        let awaiter = Rc::new(RefCell::new(None));
        let waker = Waker::new(Rc::new(DoneWaker { on_done, awaiter: Rc::downgrade(&awaiter) }));
        let finished = task.watch(&waker);
        debug_assert!(!finished, "a task just spawned has not run");
        Rc::new(Slot { task, outcome: RefCell::new(Outcome::Running), awaiter })
    }

    /// Takes the task's result into `outcome` once it has ended.
    fn fetch(&self)
    where
        T: 'static,
    {
        if !matches!(*self.outcome.borrow(), Outcome::Running) {
            return;
        }
        let Some(result) = self.task.try_take() else { return };
        *self.outcome.borrow_mut() = match result {
            Ok(Ok(output)) => Outcome::Succeeded(Some(output)),
            Ok(Err(error)) => Outcome::Failed(Some(error)),
            Err(TaskError::Cancelled) => Outcome::Cancelled,
            Err(TaskError::Panicked(message) | TaskError::Failed(message)) => Outcome::Panicked(message),
        };
    }
}

impl<T: 'static, E: 'static> Child<E> for Slot<T, E> {
    fn key(&self) -> TaskKey {
        self.task.key()
    }
    fn cancel(&self) -> bool {
        self.task.cancel()
    }
    fn done(&self) -> bool {
        self.task.done()
    }
    fn name(&self) -> String {
        self.task.name()
    }
    fn settle(&self) -> Option<GroupError<E>> {
        self.fetch();
        let task = self.task.name();
        match &mut *self.outcome.borrow_mut() {
            Outcome::Failed(error) => error.take().map(|error| GroupError::Failed { task, error }),
            Outcome::Panicked(message) => Some(GroupError::Panicked { task, message: message.clone() }),
            // Cancelled by the group or by anyone else: not a failure (asyncio's `if task.cancelled(): return`).
            Outcome::Running | Outcome::Succeeded(_) | Outcome::Cancelled => None,
        }
    }
    fn awaiter_addr(&self) -> Option<usize> {
        self.awaiter.borrow().as_ref().map(Waker::target_addr)
    }
    fn set_awaiter(&self, waker: Waker) {
        *self.awaiter.borrow_mut() = Some(waker);
    }
}

impl<T: 'static, E: 'static> ChildView<T> for Slot<T, E> {
    fn task_cancel(&self) -> bool {
        self.task.cancel()
    }
    fn task_done(&self) -> bool {
        self.task.done()
    }
    fn task_cancelled(&self) -> bool {
        self.task.cancelled()
    }
    fn task_name(&self) -> String {
        self.task.name()
    }
    fn poll_outcome(&self, waker: &Waker) -> Poll<Result<T, TaskError>> {
        self.fetch();
        let name = self.task.name();
        Poll::Ready(match &mut *self.outcome.borrow_mut() {
            Outcome::Running => {
                *self.awaiter.borrow_mut() = Some(waker.clone());
                return Poll::Pending;
            }
            Outcome::Succeeded(output) => Ok(output.take().unwrap_or_else(|| {
                panic!(
                    "child task {name} awaited after its output was taken (take_output, or an earlier await)"
                )
            })),
            // Its error went to the group's `ExceptionGroup` (an awaiting body
            // is cancelled by the group before it can see this).
            Outcome::Failed(_) => Err(TaskError::Failed(format!("child task {name} failed").into())),
            Outcome::Panicked(message) => Err(TaskError::Panicked(message.clone())),
            Outcome::Cancelled => Err(TaskError::Cancelled),
        })
    }
    fn take_output(&self) -> Option<T> {
        self.fetch();
        match &mut *self.outcome.borrow_mut() {
            Outcome::Succeeded(output) => output.take(),
            _ => None,
        }
    }
    fn forget_awaiter(&self) {
        self.awaiter.borrow_mut().take();
    }
}

/// A task spawned into a group (what `tg.create_task()` returns).
///
/// Await it for the child's output (asyncio: `await task`), or take the
/// output once the group has ended (`task.result()`).
///
/// ```
/// use rondo::{ChildTask, CoroutineExt, EventLoop, TaskGroup, lazy, sleep, task_group};
/// use std::time::Duration;
///
/// // async with TaskGroup() as tg: t = tg.create_task(answer())
/// // print(t.result())
/// let ev = EventLoop::new_virtual();
/// let group = task_group(|tg: TaskGroup<String>| {
///     let t: ChildTask<u32> = tg.spawn_named("answer", sleep(Duration::from_secs(1)).map(|()| Ok(42)));
///     lazy(move || Ok(t))
/// });
/// let t = ev.run_until_complete(group).unwrap().unwrap();
/// assert_eq!((t.name(), t.done(), t.take_output()), ("answer".to_string(), true, Some(42)));
/// ```
pub struct ChildTask<T> {
    view: Rc<dyn ChildView<T>>,
    /// Awaited to the end: polling again is a bug.
    finished: bool,
}

impl<T> ChildTask<T> {
    pub(super) fn new<E: 'static>(slot: Rc<Slot<T, E>>) -> ChildTask<T>
    where
        T: 'static,
    {
        ChildTask { view: slot, finished: false }
    }

    /// Cancels the child (asyncio: `task.cancel()`); not a failure of the group.
    pub fn cancel(&self) -> bool {
        self.view.task_cancel()
    }
    /// `true` once the child has ended.
    pub fn done(&self) -> bool {
        self.view.task_done()
    }
    /// `true` if the child ended cancelled.
    pub fn cancelled(&self) -> bool {
        self.view.task_cancelled()
    }
    /// The child task's name.
    pub fn name(&self) -> String {
        self.view.task_name()
    }
    /// The child's output (asyncio: `task.result()`), once: `None` while it
    /// runs, if it failed or was cancelled, or if it was taken already.
    pub fn take_output(&self) -> Option<T> {
        self.view.take_output()
    }
}

/// ```text
/// async fn await_child(child) -> Result<T, TaskError> {
///     while child is running { child.awaiter = my waker; suspend }   // woken after the group's callback
///     its output; or why there is none (a failure's error goes to the group)
/// }
/// ```
impl<T> Coroutine for ChildTask<T> {
    type Output = Result<T, TaskError>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.finished, "a ChildTask polled after it completed");
        let poll = self.view.poll_outcome(cx.waker());
        self.finished = poll.is_ready();
        poll
    }
}

impl<T> Drop for ChildTask<T> {
    /// Whoever awaited it does not any more: it must not be woken for it.
    fn drop(&mut self) {
        self.view.forget_awaiter();
    }
}

impl<T> fmt::Debug for ChildTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildTask").field("name", &self.name()).field("done", &self.done()).finish()
    }
}
