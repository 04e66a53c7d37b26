//! The running loop: a thread-local, as asyncio's `get_running_loop()`.
//!
//! Code deep inside a coroutine — `spawn`, `call_soon`, `current_task` —
//! finds its loop here instead of having it passed down every call.
//! `RunningGuard` sets it for the duration of a run, and refuses a second,
//! nested one (the notebook's "cannot be called from a running event loop").

use super::core::Core;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

thread_local! {
    /// The event loop running on this thread, if any.
    static RUNNING: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// The loop running on this thread, weakly (for objects that outlive a run).
pub(crate) fn running_loop() -> Option<Weak<Core>> {
    RUNNING.with(|running| running.borrow().as_ref().map(Rc::downgrade))
}

/// The id of the loop running on this thread, if any (no reference count touched).
pub(crate) fn running_loop_id() -> Option<u32> {
    RUNNING.with(|running| running.borrow().as_ref().map(|core| core.id()))
}

/// The task the loop running on this thread is stepping, if any. Safe to
/// ask from a panic hook: it never panics, whatever is borrowed.
pub(crate) fn task_in_step() -> Option<crate::TaskInfo> {
    RUNNING.try_with(|running| running.try_borrow().ok()?.as_ref()?.current_task()).ok().flatten()
}

/// The key of the task being stepped, if any: for a callback that must find
/// that task again later (a timeout's timer).
pub(crate) fn current_task_key() -> Option<super::TaskKey> {
    RUNNING.with(|running| running.borrow().as_ref()?.current.get())
}

/// The running loop's iteration count (from 1 in its first iteration), if a
/// loop runs on this thread.
pub(crate) fn running_iteration() -> Option<u64> {
    RUNNING
        .try_with(|running| running.try_borrow().ok()?.as_ref().map(|core| core.iterations.get()))
        .ok()
        .flatten()
}

/// `true` while an event loop runs on this thread.
pub(crate) fn loop_is_running() -> bool {
    RUNNING.with(|running| running.borrow().is_some())
}

/// Runs `f` with the running loop, if there is one.
pub(crate) fn with_running_core(f: impl FnOnce(&Rc<Core>)) {
    RUNNING.with(|running| {
        if let Some(core) = &*running.borrow() {
            f(core)
        }
    })
}

/// Runs `f` with the running loop's core.
///
/// # Panics
/// Outside a running loop, naming `what` was called and what to do instead.
pub(crate) fn with_running_loop<R>(what: &str, f: impl FnOnce(&Rc<Core>) -> R) -> R {
    // A shared borrow, no `Rc` clone: this runs on every `spawn`. (Nothing in
    // `f` may start a loop — that needs the mutable borrow — and nothing does:
    // `run` checks `loop_is_running` first.)
    RUNNING.with(|running| match &*running.borrow() {
        Some(core) => f(core),
        None => panic!(
            "{what} called outside a running event loop: \
             call it from a coroutine run by rondo::run(main) (or an EventLoop)"
        ),
    })
}

/// Marks `core` as this thread's running loop until dropped; also installs
/// it as the timer context that `sleep` uses.
pub(crate) struct RunningGuard {
    _timers: crate::stage3_sleep::timers::TimersGuard,
}

impl RunningGuard {
    pub(crate) fn enter(core: &Rc<Core>, what: &str) -> RunningGuard {
        RUNNING.with(|running| {
            let mut running = running.borrow_mut();
            assert!(
                running.is_none(),
                "{what} cannot be called from a running event loop: \
                 inside a coroutine, await the coroutine or spawn() it instead"
            );
            *running = Some(core.clone());
        });
        let timers = crate::stage3_sleep::timers::enter(core.clone());
        RunningGuard { _timers: timers }
    }
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        RUNNING.with(|running| running.borrow_mut().take());
    }
}
