//! `ChildTask`: a task spawned into a group, seen two ways — by the group, and by the body.
//!
//! The group must treat children of different output types alike (cancel
//! them, ask if they are done, take a failure out), so it sees each through
//! the object-safe [`Child`] trait; the body keeps a typed [`ChildTask<T>`]
//! for the output. Both are views of one `Slot`, which holds the `Task`.
//!
//! The group is the task's one awaiter (it registered the done-callback), so
//! a `ChildTask` is not awaited: its output is *taken* once the group has
//! seen the task end — asyncio's `task.result()` after the `async with`.

use super::group_error::GroupError;
use crate::{Task, TaskError};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// A child as the group sees it, whatever its output type.
pub(super) trait Child<E> {
    fn number(&self) -> u64;
    fn cancel(&self) -> bool;
    fn done(&self) -> bool;
    fn name(&self) -> String;
    /// Takes the ended task's outcome: its failure, if it is one.
    fn settle(&self) -> Option<GroupError<E>>;
}

/// A child as its [`ChildTask`] handle sees it.
trait ChildView<T> {
    fn task_cancel(&self) -> bool;
    fn task_done(&self) -> bool;
    fn task_cancelled(&self) -> bool;
    fn task_name(&self) -> String;
    fn take_output(&self) -> Option<T>;
}

/// One child: its task, and its output once the group has taken it.
pub(super) struct Slot<T, E> {
    number: u64,
    task: Task<Result<T, E>>,
    output: RefCell<Option<T>>,
}

impl<T: 'static, E: 'static> Child<E> for Slot<T, E> {
    fn number(&self) -> u64 {
        self.number
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
        let task = self.task.name();
        match self.task.try_take()? {
            Ok(Ok(output)) => {
                *self.output.borrow_mut() = Some(output);
                None
            }
            Ok(Err(error)) => Some(GroupError::Failed { task, error }),
            // Cancelled by the group or by anyone else: not a failure (asyncio's `if task.cancelled(): return`).
            Err(TaskError::Cancelled) => None,
            Err(TaskError::Panicked(message) | TaskError::Failed(message)) => {
                Some(GroupError::Panicked { task, message })
            }
        }
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
    fn take_output(&self) -> Option<T> {
        self.output.borrow_mut().take()
    }
}

/// A task spawned into a group (what `tg.create_task()` returns).
///
/// It cannot be awaited — the group is the task's one awaiter; its output
/// can be taken once the group has seen the task end.
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
}

impl<T> ChildTask<T> {
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
    /// The child's output (asyncio: `task.result()` after the group), once:
    /// `None` before the group saw it end, if it failed or was cancelled, or
    /// if it was taken already.
    pub fn take_output(&self) -> Option<T> {
        self.view.take_output()
    }
}

impl<T, E> Slot<T, E> {
    pub(super) fn new(number: u64, task: Task<Result<T, E>>) -> Slot<T, E> {
        Slot { number, task, output: RefCell::new(None) }
    }
}

impl<T> ChildTask<T> {
    pub(super) fn new<E: 'static>(slot: Rc<Slot<T, E>>) -> ChildTask<T>
    where
        T: 'static,
    {
        ChildTask { view: slot }
    }
}

impl<T> fmt::Debug for ChildTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildTask").field("name", &self.name()).field("done", &self.done()).finish()
    }
}
