//! Cancellation down the await chain, and `shield` to stop it.
//!
//! Stage 4 ends a cancelled task at its next step, by dropping its
//! coroutine inside a cancel scope (`Drop` is the clean-up; a dropped
//! `Task` handle that was being awaited cancels its task in turn). That
//! order is wrong for a chain: asyncio's `Task.cancel()` passes the
//! cancellation *down* first — to the future the task awaits — so the
//! innermost clean-up runs first, and each awaiter ends one iteration after
//! the task it awaited. This stage installs that as the loop's cancel policy
//! (`cancel_down_the_chain`), and adds [`shield`], which awaits a task
//! without letting a cancellation through.
//!
//! A coroutine cannot catch and ignore its cancellation — a dropped state
//! machine is gone — the one place rondo differs on purpose (see
//! `docs/06-failure.md`).

use crate::stage4_event_loop::seams::{WaitsOn, report_waits_on};
use crate::stage4_event_loop::{Core, TaskKey};
use crate::stage5_combinators::done_callback::callback_waker;
use crate::{Context, Coroutine, Poll, Task, TaskError, Waker};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

/// The cancel policy this stage installs (asyncio: `Task.cancel()` cancels
/// `_fut_waiter`, the future the task waits on).
///
/// - A task awaiting another task through its handle: cancel that one
///   first, and let its end wake this one, which then ends in turn — so
///   clean-ups run innermost first, one iteration apart.
/// - A task awaiting a gather: cancel the gather's children
///   (`_GatheringFuture.cancel()`); the gather wakes the task when they
///   have ended.
/// - Otherwise — or where an await cycle closes — the task's next step is
///   its end, as in stage 4.
///
/// A work list, not recursion: a chain may be a million tasks deep.
pub(crate) fn cancel_down_the_chain(core: &Core, key: TaskKey) {
    // (task, was it the one asked for?) — its flag is already set.
    let mut work = vec![(key, true)];
    // The tasks this cancellation has reached: meeting one again is a cycle.
    let mut reached = HashSet::new();
    while let Some((key, asked)) = work.pop() {
        let Some(task) = core.task(key) else { continue };
        if !reached.insert(key) || (!asked && task.header().cancel_requested.get()) {
            continue; // reached already, or on its way out: its end will wake its awaiter
        }
        if !asked {
            core.mark_cancel_requested(key);
        }
        let me = Rc::as_ptr(&task) as *const () as usize;
        if let Some(awaited) = core.task(task.header().awaiting.get())
            && awaited.header().handle_awaited.get()
            && awaited.header().joiner_addr() == Some(me)
        {
            let next = awaited.header().key;
            if reached.contains(&next) {
                core.step_soon(key); // an await cycle closes here: end this one, the rest follow
            } else {
                work.push((next, false));
            }
            continue;
        }
        if let Some(children) = core.awaited_target(key).and_then(|target| target.pass_cancel()) {
            // Reversed onto the stack, so that they are cancelled in order,
            // each with all it awaits before the next (asyncio's recursion).
            work.extend(children.into_iter().rev().map(|child| (child, false)));
            continue;
        }
        core.step_soon(key);
    }
}

/// Awaits `task` without passing a cancellation on to it (asyncio: `shield`).
///
/// If the coroutine awaiting the shield is cancelled, the task goes on
/// running, detached; only the wait is abandoned.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, lazy, shield, sleep, spawn_named};
/// use std::time::Duration;
///
/// // await asyncio.shield(task): cancelling the awaiter leaves the task running
/// let ev = EventLoop::new_virtual();
/// let waiter = ev.spawn(
///     lazy(|| spawn_named("precious", sleep(Duration::from_secs(2)).map(|()| 42))).then(shield),
/// );
/// ev.run_until_complete(sleep(Duration::from_secs(1))).unwrap();
/// waiter.cancel();
/// ev.run_until_complete(sleep(Duration::from_secs(1))).unwrap();
/// assert!(waiter.cancelled());
/// assert!(ev.take_unobserved_failures().is_empty());
/// assert_eq!(ev.time(), 2.0); // "precious" ran to its end, unharmed
/// ```
pub fn shield<T: 'static>(task: Task<T>) -> Shield<T> {
    Shield { state: ShieldState::Start(task) }
}

/// ```text
/// async fn shield(task) -> Result<T, TaskError> {
///     if task.done() { return task.await }          // no pause at all
///     let outer = Promise::new();                    // what the awaiter awaits
///     task.add_done_callback(|t| outer.set(t));      // one hop, then one more
///     outer.await   // a cancellation stops here; the callback stays on the task
/// }
/// ```
///
/// The coroutine returned by [`shield`].
///
/// As in asyncio, the awaiter resumes *two* iterations after the task ends
/// (the task's done-callback sets the outer future, whose callback wakes the
/// awaiter), like `gather`'s (`done_callback.rs`); polling the task directly
/// would take one. If the awaiter is cancelled, the callback is withdrawn
/// and the task runs on, detached, as asyncio's `_outer_done_callback`
/// withdraws `_inner_done_callback`: a failure it ends with later is nobody's
/// (asyncio logs "Task exception was never retrieved"; rondo's supervisor
/// reports it).
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Shield<T> {
    state: ShieldState<T>,
}

enum ShieldState<T> {
    Start(Task<T>),
    Waiting(Rc<Shielded<T>>),
    Done,
}

/// What the task's done-callback and the awaiter share.
struct Shielded<T> {
    task: RefCell<Option<Task<T>>>,
    /// Set by the callback: the outer future is resolved.
    resolved: Cell<bool>,
    awaiter: RefCell<Option<Waker>>,
    name: String,
}

impl<T> WaitsOn for Shielded<T> {
    fn waiter_addrs(&self) -> Vec<usize> {
        self.awaiter.borrow().iter().map(Waker::target_addr).collect()
    }

    fn describe(&self) -> String {
        format!("awaits shield of task '{}'", self.name)
    }
}

impl<T: 'static> Coroutine for Shield<T> {
    type Output = Result<T, TaskError>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &mut self.state {
                ShieldState::Start(task) if task.done() => {
                    let ShieldState::Start(task) = std::mem::replace(&mut self.state, ShieldState::Done)
                    else {
                        unreachable!()
                    };
                    return Poll::Ready(task.try_take().expect("a finished task has its outcome"));
                }
                ShieldState::Start(_) => {
                    let ShieldState::Start(task) = std::mem::replace(&mut self.state, ShieldState::Done)
                    else {
                        unreachable!()
                    };
                    let shared = Rc::new(Shielded {
                        name: task.name(),
                        task: RefCell::new(None),
                        resolved: Cell::new(false),
                        awaiter: RefCell::new(None),
                    });
                    // The callback holds the shared state (and so the handle)
                    // until the task ends and empties its waker slot.
                    let on_done = shared.clone();
                    let callback: Rc<dyn Fn()> = Rc::new(move || {
                        on_done.resolved.set(true);
                        if let Some(awaiter) = on_done.awaiter.take() {
                            awaiter.wake();
                        }
                    });
                    task.watch(&callback_waker(callback));
                    *shared.task.borrow_mut() = Some(task);
                    let waits_on: Rc<dyn WaitsOn> = shared.clone();
                    report_waits_on(Rc::downgrade(&waits_on));
                    self.state = ShieldState::Waiting(shared);
                }
                ShieldState::Waiting(shared) => {
                    if !shared.resolved.get() {
                        *shared.awaiter.borrow_mut() = Some(cx.waker().clone());
                        return Poll::Pending;
                    }
                    let task = shared.task.take().expect("the shielded task");
                    self.state = ShieldState::Done;
                    return Poll::Ready(task.try_take().expect("a finished task has its outcome"));
                }
                ShieldState::Done => panic!("shield() polled after it completed"),
            }
        }
    }
}

impl<T> Drop for Shield<T> {
    /// Dropped while waiting (the awaiter was cancelled): the task runs on,
    /// detached, and no longer wakes anyone.
    fn drop(&mut self) {
        if let ShieldState::Waiting(shared) = &self.state {
            // The callback may be queued already (the task ended in this
            // iteration): it must find nobody to wake, or the dead awaiter's
            // wake would cost the loop an iteration (asyncio's outer future
            // is cancelled: its `set_result` never happens).
            shared.awaiter.take();
            if let Some(task) = shared.task.take() {
                task.unwatch();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CoroutineExt, EventLoop, Transcript, lazy, sleep, spawn};
    use std::time::Duration;

    #[test]
    fn dropping_an_awaited_handle_outside_a_cancellation_only_detaches_the_task() {
        // `select` lost by a plain drop of the whole coroutine from user code
        // (not a cancellation): the child runs on.
        let out = Transcript::new();
        let o = out.clone();
        let ev = EventLoop::new_virtual();
        ev.run_until_complete(
            lazy(move || {
                let o2 = o.clone();
                let child = spawn(sleep(Duration::from_secs(1)).map(move |()| o2.say("child finished")));
                // Await it for one step, then give up by dropping the handle.
                let mut waiting = Some(child);
                crate::poll_fn(move |cx| {
                    if let Some(mut c) = waiting.take() {
                        assert!(c.poll(cx).is_pending());
                        drop(c); // discarded, not cancelled
                    }
                    Poll::Ready(())
                })
                .then(|()| sleep(Duration::from_secs(2)))
            })
            .then(|c| c),
        )
        .unwrap();
        assert_eq!(out.stamped(), ["1.000 child finished"]);
    }
}
