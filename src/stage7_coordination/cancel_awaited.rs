//! Cancelling what a task awaits, without cancelling the task.
//!
//! asyncio's `TaskGroup` and `timeout` cancel the *task* that runs them and
//! take the request back later (`uncancel()`). `Task.cancel()` first cancels
//! the future the task waits on (`_fut_waiter`): a task it awaits ends
//! first, and the task wakes one iteration later to meet its
//! `CancelledError`. rondo cannot cancel the task without ending it, so
//! these two do that first half themselves — cancel what the task awaits —
//! and drop their body when the task wakes. This is that first half,
//! following stage 6's cancel policy: a task awaited through its handle, or
//! a gather (its children).
//!
//! Why not stage 4's `Core::cancel_what_it_awaits`, which stage 5's
//! `timeout` uses: that one reads what the task awaits *now*, from its
//! header, and hands it to the installed policy. A group or `timeout_at`
//! covers its task's record with a target of its own while the body runs,
//! so it must act on what the body awaited (noted before the cover), and it
//! needs to know whether anything was cancelled. One walk could serve both
//! if the cover kept the body's record beside it; left for later.

use crate::stage4_event_loop::seams::CancelTarget;
use crate::stage4_event_loop::{AnyTask, Core, TaskKey};
use std::rc::Rc;

/// The unfinished task that `task` awaits through its handle, if `awaiting`
/// (what `task`'s header said) names one that it still awaits.
pub(super) fn awaited_task(
    core: &Core,
    task: &Rc<dyn AnyTask>,
    awaiting: TaskKey,
) -> Option<Rc<dyn AnyTask>> {
    let me = Rc::as_ptr(task) as *const () as usize;
    core.task(awaiting)
        .filter(|awaited| awaited.header().handle_awaited.get() && awaited.header().joiner_addr() == Some(me))
}

/// Cancels the task or the gather that `task` awaits (`awaiting` and
/// `target`, as noted from its header). `true` if there was one: its end
/// will wake `task`. `false`: nothing to cancel — wake `task` yourself.
pub(super) fn cancel_what_it_awaits(
    core: &Core,
    task: &Rc<dyn AnyTask>,
    awaiting: TaskKey,
    target: Option<Rc<dyn CancelTarget>>,
) -> bool {
    if let Some(awaited) = awaited_task(core, task, awaiting) {
        core.cancel_task(awaited.header().key);
        return true;
    }
    if awaiting == TaskKey::TARGET
        && let Some(children) = target.and_then(|t| t.pass_cancel())
    {
        for child in children {
            core.cancel_task(child);
        }
        return true;
    }
    false
}
