//! `TaskHeader`: what every task has, whatever its coroutine type.
//!
//! The loop steps tasks of many coroutine types through one table, so the
//! part it needs to read — the task's key, id, flags and the waker of whoever
//! awaits it — sits in a header of one type at the front of every task. Each
//! field is documented with its invariant, the way smol's `async-task`
//! documents its state bits.

use super::task_info::TaskInfo;
use super::task_table::TaskKey;
use crate::Waker;
use crate::fast::LoopRef;
use std::cell::Cell;
use std::panic::Location;

/// What every task has, whatever its coroutine type.
pub(crate) struct TaskHeader {
    pub(crate) key: TaskKey,
    pub(crate) id: u64,
    /// Given a name (`spawn_named`)? The name itself lives in the loop's
    /// side table, so that the many unnamed tasks (`Task-<id>`, formatted on
    /// demand) carry no string at all.
    pub(crate) named: bool,
    /// Invariant: `true` exactly while a `Runnable::Step` for this task sits
    /// in the ready queue. A second wake is then a no-op, so a task woken by
    /// two sources in one iteration is polled once.
    pub(crate) queued: Cell<bool>,
    /// Set by `Task::cancel`: the next step drops the coroutine instead of
    /// polling it (asyncio's `_must_cancel`).
    pub(crate) cancel_requested: Cell<bool>,
    /// The task this one last awaited through a `Task` handle, `TaskKey::NONE`
    /// if none, `TaskKey::TARGET` if it awaits a gather (the loop keeps which,
    /// in its awaited targets): what a cancellation follows down the await
    /// chain (stage 6).
    pub(crate) awaiting: Cell<TaskKey>,
    /// Its `Task` handle is being awaited (its last poll was `Pending`):
    /// cancelling the awaiter then cancels this task too. Kept here rather
    /// than in the handle, which stays two words.
    pub(crate) handle_awaited: Cell<bool>,
    /// The waker of whoever awaits this task's `Task<T>` handle.
    pub(crate) joiner: Cell<Option<Waker>>,
    /// Its loop. (The simple way is a `Weak<Core>`; a `LoopRef` is the same
    /// in 4 bytes instead of 8 — see `fast/loop_registry.rs`.)
    pub(crate) owner: LoopRef,
    /// Where `spawn` was called: reported with the task's failures.
    pub(crate) spawned_at: &'static Location<'static>,
}

impl TaskHeader {
    pub(crate) fn name(&self) -> String {
        if self.named
            && let Some(core) = self.owner.core()
            && let Some(name) = core.task_name(self.id)
        {
            return name;
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

    /// Who awaits this task's handle: the wake target's address, if anyone.
    pub(crate) fn joiner_addr(&self) -> Option<usize> {
        let joiner = self.joiner.take();
        let addr = joiner.as_ref().map(Waker::target_addr);
        self.joiner.set(joiner);
        addr
    }
}

impl Drop for TaskHeader {
    /// A named task's name leaves the loop's side table with the task.
    fn drop(&mut self) {
        if self.named
            && let Some(core) = self.owner.core()
        {
            core.forget_name(self.id);
        }
    }
}
