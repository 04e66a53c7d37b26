//! `TaskGroup`: structured concurrency — children that cannot outlive their group.
//!
//! ```python
//! async with asyncio.TaskGroup() as tg:      # rondo: task_group(|tg| body)
//!     tg.create_task(a())                    #        tg.spawn(a())
//!     tg.create_task(b())
//!     print("body done")
//! # here every child has ended; if any failed, an ExceptionGroup lists them all
//! ```
//!
//! **What stage 6 could not do.** `gather` returns the first failure and
//! leaves the siblings running, detached; `gather_settled` waits for all but
//! cancels nobody. Neither cancels the code that spawned them, and neither
//! lets a child spawn a sibling into the same set.
//!
//! **What this adds** (asyncio 3.11's `TaskGroup`, from `taskgroups.py`):
//! - children spawned into the group start on the next iteration, like any task;
//! - the group's coroutine ends only when the body *and* every child have ended;
//! - the first child failure (an `Err` it returns, or a panic) cancels every
//!   other unfinished child and the body, one iteration after the failing child
//!   ended — asyncio's done-callback hop;
//! - a body that fails cancels the children at once;
//! - the group ends with [`ExceptionGroup`]: every failure, in the order the
//!   group saw them (the children's, in the order they ended, then the body's);
//! - a child cancelled by someone else is not a failure.
//!
//! **The API, and the one rejected.** The group is a coroutine that *owns its
//! body*: `task_group(|tg| body)` calls the closure on the first poll with a
//! [`TaskGroup`] handle (clone it into children to let them spawn siblings)
//! and polls the body inline, in the caller's task. Owning the body is what
//! lets the group cancel it — by dropping it — without cancelling the task
//! that runs the group. The rejected alternative, a `TaskGroup::new()` handle
//! whose `join()` the caller awaits after its own code (tokio's `JoinSet`
//! style), cannot do that: the code between `new()` and `join()` belongs to
//! the caller's task, and the only way to stop it would be to cancel that
//! task — which in rondo ends it for good.
//!
//! **Where rondo differs, and why.** asyncio cancels the parent task and
//! takes the request back (`uncancel()`, 3.11's cancel counter) when the
//! group exits; rondo has no counter because a cancellation drops the
//! coroutine. The nearest faithful rule: the group cancels *its body* (drops
//! it in a cancel scope), so the cancellation stops at the group's edge,
//! which is where `uncancel()` stops it. The order stays asyncio's: as
//! `parent_task.cancel()` first cancels what the task awaits, the group first
//! cancels the task, the child or the gather the body awaits (noted at each
//! pause of the body), and drops the body when that has ended; and when the task running
//! the group is cancelled from outside — a step would now end it — a
//! callback stands in for the step asyncio takes there (drop the body, cancel
//! the children), and the task ends when they have. Every order above is
//! checked against CPython in `tests/stage7_task_group.rs`, iteration by
//! iteration, and on 400 generated groups in
//! `tests/stage7_task_group_vs_cpython.rs`. Further differences:
//! - asyncio's `_abort()` walks a `set` of tasks (hash order); rondo cancels
//!   in spawn order. (The generated comparison patches CPython's `_abort` to
//!   spawn order too: the order shows, in lines and in iteration counts.)
//! - If the task awaiting the group is cancelled from outside, asyncio raises
//!   the `ExceptionGroup` instead of `CancelledError` when children had failed;
//!   in rondo a cancelled task always ends cancelled, so the failures are dropped.
//!   And if, then, the body awaits a gather (not a task), rondo drops the body
//!   one iteration after the cancel instead of after the gather's children.
//! - A task cancelled when its next step is already queued (say, a timer of
//!   the body fired in the same iteration) ends at that step: the group is
//!   dropped, and its children are cancelled but not waited for — they end
//!   one iteration after the task. asyncio's task, told to cancel at that
//!   step, goes on to wait for them. Only a cancel counter (asyncio's
//!   `uncancel()`) lets a task refuse to end, and rondo has none.
//! - Awaiting a [`ChildTask`] whose child failed gives `TaskError::Failed`
//!   naming it (its error value went to the group); in practice the body is
//!   cancelled before it can see it, in both.
//! - Dropped by a cancellation (a `select` or `wait_for` around it), the group
//!   cancels its children but cannot wait for them: a dropped coroutine
//!   cannot wait.
//!
//! (Over 300 lines with its tests: the scenarios of a group's life — outputs,
//! misuse, a deadlock report, teardown, timeouts around it, nesting — sit at
//! the bottom; the traces checked against CPython are in
//! `tests/stage7_task_group.rs`.)

use super::cancel_awaited::{awaited_task, cancel_what_it_awaits};
use super::child_task::{Child, ChildTask, Slot};
use super::group_error::{ExceptionGroup, GroupError};
use crate::stage4_event_loop::seams::{CancelTarget, WaitsOn, report_awaiting_target, report_waits_on};
use crate::stage4_event_loop::{AnyTask, Callback, Core, TaskKey, in_cancel_scope, running_loop};
use crate::stage5_combinators::done_callback::callback_waker;
use crate::{Context, Coroutine, Poll, Task, Waker};
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::{Rc, Weak};

/// What the group, its handles and its children's done-callbacks share.
struct Shared<E> {
    /// Unfinished children, by number: in spawn order (asyncio: `_tasks`, a
    /// set). A map, not a `Vec`: each child's end removes it, and a group may
    /// have a hundred thousand.
    children: RefCell<BTreeMap<u64, Rc<dyn Child<E>>>>,
    /// Failures seen so far, in order (asyncio: `_errors`).
    errors: RefCell<Vec<GroupError<E>>>,
    /// Children are being cancelled: no new ones (asyncio: `_aborting`).
    aborting: Cell<bool>,
    /// The body has ended; the group waits for its children (asyncio: `_exiting`).
    exiting: Cell<bool>,
    /// A child failed while the body ran: the body's next poll drops it
    /// (asyncio: `_parent_cancel_requested` and `parent_task.cancel()`).
    cancel_body: Cell<bool>,
    /// The waker of the task running the group, from its last `Pending`.
    awaiter: RefCell<Option<Waker>>,
    /// Drops the body in a cancel scope, when the awaiting task is cancelled.
    drop_body: RefCell<Option<Box<dyn FnOnce()>>>,
    /// The task running the group is being cancelled: its next step is its
    /// end, so only the last child's end may wake it.
    cancelled: Cell<bool>,
    /// The task running the group (noted when the body first pauses).
    parent: OnceCell<Option<Weak<dyn AnyTask>>>,
    /// What the body awaited at its last pause, if a task (its key) or a
    /// gather (`TaskKey::TARGET`, and which one): a child's failure cancels
    /// that first, as asyncio's `parent_task.cancel()` cancels its `_fut_waiter`.
    body_awaits: Cell<TaskKey>,
    body_awaits_target: RefCell<Option<Weak<dyn CancelTarget>>>,
    /// The loop, to schedule work when a cancellation passes in.
    core: Weak<Core>,
    /// Itself, for the callbacks it schedules.
    me: Weak<Shared<E>>,
    /// Children spawned so far: numbers them.
    spawned: Cell<u64>,
}

impl<E: 'static> Shared<E> {
    /// asyncio's `_abort()`: cancel every unfinished child (in spawn order here).
    fn abort(&self) {
        self.aborting.set(true);
        let children: Vec<_> = self.children.borrow().values().cloned().collect();
        for child in children {
            if !child.done() {
                child.cancel();
            }
        }
    }

    fn wake_awaiter(&self) {
        if let Some(waker) = self.awaiter.borrow_mut().take() {
            waker.wake();
        }
    }

    /// asyncio's `_on_task_done`, run one iteration after child `number` ended.
    fn on_child_done(&self, number: u64) {
        let Some(child) = self.children.borrow_mut().remove(&number) else { return };
        if self.exiting.get() && self.children.borrow().is_empty() {
            self.wake_awaiter(); // the last child: the group's `_on_completed_fut`
        }
        let Some(failure) = child.settle() else { return };
        self.errors.borrow_mut().push(failure);
        if !self.aborting.get() {
            self.abort();
            // Cancel the body (asyncio: `parent_task.cancel()`): what it
            // awaits is cancelled first, and its end wakes the task running
            // the group; if it awaits nothing cancellable, that task is woken
            // now. Either way it steps after the children just cancelled, and
            // drops the body. (If that task is itself being cancelled, the
            // body is gone already.)
            self.cancel_body.set(true);
            if !self.cancelled.get() && !self.cancel_what_the_body_awaits() {
                self.wake_awaiter();
            }
        }
    }
}

impl<E: 'static> Shared<E> {
    /// Cancels the task or the gather the body awaits, if any: `true` if
    /// its end will wake the task running the group.
    fn cancel_what_the_body_awaits(&self) -> bool {
        if self.child_the_body_awaits().is_some() {
            return true; // cancelled with the others by `abort`; its end wakes the body
        }
        let (Some(core), Some(parent)) = (self.core.upgrade(), self.parent()) else {
            return false;
        };
        let target = self.body_awaits_target.borrow().as_ref().and_then(Weak::upgrade);
        cancel_what_it_awaits(&core, &parent, self.body_awaits.get(), target)
    }

    /// The unfinished child whose `ChildTask` the body awaits, if any.
    fn child_the_body_awaits(&self) -> Option<Rc<dyn Child<E>>> {
        let parent = self.awaiter.borrow().as_ref()?.target_addr();
        self.children.borrow().values().find(|c| !c.done() && c.awaiter_addr() == Some(parent)).cloned()
    }

    fn parent(&self) -> Option<Rc<dyn AnyTask>> {
        self.parent.get()?.as_ref().and_then(Weak::upgrade)
    }

    /// Notes what the body awaits now, before the group reports itself as
    /// what the task awaits (which overwrites it).
    fn note_what_the_body_awaits(&self) {
        let Some(core) = self.core.upgrade() else { return };
        let parent = self
            .parent
            .get_or_init(|| core.stepping_task().map(|task| Rc::downgrade(&task)))
            .as_ref()
            .and_then(Weak::upgrade);
        let Some(parent) = parent else { return };
        let awaiting = parent.header().awaiting.get();
        self.body_awaits.set(awaiting);
        let target = if awaiting == TaskKey::TARGET {
            // Unless it is this group itself, reported at an earlier pause.
            core.awaited_target(parent.header().key)
                .filter(|t| Rc::as_ptr(t) as *const () != self.me.as_ptr() as *const ())
                .map(|t| Rc::downgrade(&t))
        } else {
            None
        };
        *self.body_awaits_target.borrow_mut() = target;
    }
}

impl<E: 'static> CancelTarget for Shared<E> {
    /// The task running the group is being cancelled (asyncio: its
    /// `CancelledError` reaches the body, then `__aexit__`). With children
    /// left, the task stays waiting — a step would end it — and a callback
    /// does what its step would do in asyncio: drop the body and cancel the
    /// children; the task ends once they have. The callback runs next
    /// iteration, or, if the body awaits a task, after that task (cancelled
    /// first) has ended: it takes the awaiting task's place as that task's
    /// awaiter. Without children, the task ends as any task does: after what
    /// the body awaits, if that is a task or a gather; else at its next step.
    fn pass_cancel(&self) -> Option<Vec<TaskKey>> {
        let core = self.core.upgrade()?;
        let child = self.child_the_body_awaits();
        if let Some(child) = &child
            && self.children.borrow().len() == 1
        {
            // It is the last child: the task ends as any task does, after it.
            return Some(vec![child.key()]);
        }
        if self.children.borrow().is_empty() {
            // Only the body is left: the task ends as any task does, after
            // what it awaits (stage 6's policy, on what the body awaits).
            let awaited =
                self.parent().and_then(|parent| awaited_task(&core, &parent, self.body_awaits.get()));
            if let Some(awaited) = awaited {
                return Some(vec![awaited.header().key]);
            }
            let target = self.body_awaits_target.borrow().as_ref().and_then(Weak::upgrade);
            return target
                .filter(|_| self.body_awaits.get() == TaskKey::TARGET)
                .and_then(|t| t.pass_cancel());
        }
        self.cancelled.set(true);
        let me = self.me.clone();
        let abort = move || {
            if let Some(shared) = me.upgrade() {
                let drop_body = shared.drop_body.borrow_mut().take();
                if let Some(drop_body) = drop_body {
                    drop_body();
                }
                // The body is gone: the group now only waits for its children.
                shared.exiting.set(true);
                if !shared.aborting.get() {
                    shared.abort();
                }
            }
        };
        // The body's cancellation, at the step asyncio's task would take
        // once what it awaits has ended: run once, by whichever comes.
        let abort = Cell::new(Some(abort));
        let abort: Rc<dyn Fn()> = Rc::new(move || {
            if let Some(abort) = abort.take() {
                abort();
            }
        });
        if let Some(child) = child {
            // The body awaits one of the children: it is cancelled first (the
            // policy does it), as `Task.cancel()` cancels what the task
            // awaits; the others when it has ended.
            child.set_awaiter(callback_waker(abort));
            return Some(vec![child.key()]);
        }
        let awaited = self.parent().and_then(|parent| awaited_task(&core, &parent, self.body_awaits.get()));
        if let Some(awaited) = awaited {
            awaited.header().joiner.set(Some(callback_waker(abort)));
            return Some(vec![awaited.header().key]);
        }
        core.call_soon(Callback::new(move || abort()));
        Some(Vec::new())
    }
}

impl<E: 'static> WaitsOn for Shared<E> {
    fn waiter_addrs(&self) -> Vec<usize> {
        self.awaiter.borrow().iter().map(Waker::target_addr).collect()
    }

    fn describe(&self) -> String {
        let names: Vec<String> = self.children.borrow().values().map(|c| c.name()).collect();
        format!("awaits the task group of tasks {}", names.join(", "))
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    /// As asyncio's `repr`: `TaskGroup { tasks: 2, errors: 1, cancelling: true }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.shared;
        f.debug_struct("TaskGroup")
            .field("tasks", &shared.children.borrow().len())
            .field("errors", &shared.errors.borrow().len())
            .field("cancelling", &shared.aborting.get())
            .finish()
    }
}

/// The handle a group's body gets: spawn children into the group with it
/// (asyncio: the `tg` of `async with TaskGroup() as tg`). Clone it into a
/// child to let that child spawn siblings.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, TaskGroup, ready, sleep, task_group};
/// use std::time::Duration;
///
/// // async def parent(tg): await asyncio.sleep(1); tg.create_task(asyncio.sleep(1))
/// let group = task_group(|tg: TaskGroup<String>| {
///     let tg2 = tg.clone();
///     tg.spawn(sleep(Duration::from_secs(1)).map(move |()| {
///         tg2.spawn(sleep(Duration::from_secs(1)).map(Ok)); // a sibling, spawned by a child
///         Ok(())
///     }));
///     ready(Ok(()))
/// });
/// let ev = EventLoop::new_virtual();
/// ev.run_until_complete(group).unwrap().unwrap();
/// assert_eq!(ev.time(), 2.0); // the group waited for the late sibling too
/// ```
pub struct TaskGroup<E> {
    shared: Rc<Shared<E>>,
}

impl<E> Clone for TaskGroup<E> {
    fn clone(&self) -> Self {
        TaskGroup { shared: self.shared.clone() }
    }
}

impl<E: 'static> TaskGroup<E> {
    /// Spawns `coroutine` as a child of the group (asyncio:
    /// `tg.create_task(coro)`). It returns `Ok(output)` or `Err(error)`;
    /// an `Err` or a panic fails the group.
    ///
    /// # Panics
    /// If the group is shutting down (a failure or a cancellation is ending
    /// it) or has finished — asyncio's `RuntimeError`s. Inside a child, the
    /// panic makes that child fail, as the `RuntimeError` would.
    #[track_caller]
    pub fn spawn<C, T>(&self, coroutine: C) -> ChildTask<T>
    where
        C: Coroutine<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        self.check_open();
        let task = crate::spawn(coroutine);
        self.adopt(task)
    }

    /// [`spawn`](TaskGroup::spawn) with a name (`tg.create_task(coro, name=...)`).
    ///
    /// # Panics
    /// As [`spawn`](TaskGroup::spawn).
    #[track_caller]
    pub fn spawn_named<C, T>(&self, name: &str, coroutine: C) -> ChildTask<T>
    where
        C: Coroutine<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        self.check_open();
        let task = crate::spawn_named(name, coroutine);
        self.adopt(task)
    }

    fn check_open(&self) {
        let shared = &self.shared;
        if shared.exiting.get() && shared.children.borrow().is_empty() {
            panic!("TaskGroup is finished: spawn into a group only while it runs");
        }
        if shared.aborting.get() {
            panic!("TaskGroup is shutting down: a failure or a cancellation is ending it");
        }
    }

    /// Watches the new task: when it ends, `on_child_done` runs one
    /// iteration later (asyncio: `task.add_done_callback(self._on_task_done)`).
    fn adopt<T: 'static>(&self, task: Task<Result<T, E>>) -> ChildTask<T> {
        let number = self.shared.spawned.get();
        self.shared.spawned.set(number + 1);
        let weak = Rc::downgrade(&self.shared);
        let callback: Rc<dyn Fn()> = Rc::new(move || {
            if let Some(shared) = weak.upgrade() {
                shared.on_child_done(number);
            }
        });
        let slot = Slot::new(task, callback);
        self.shared.children.borrow_mut().insert(number, slot.clone());
        ChildTask::new(slot)
    }
}

/// Runs `body` with a new task group, and waits for the body and every
/// child (asyncio: `async with asyncio.TaskGroup() as tg: body`).
///
/// Ends with the body's output, or with every failure if any child or the
/// body failed.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, GroupError, Transcript, sleep, task_group};
/// use std::time::Duration;
///
/// // async with asyncio.TaskGroup() as tg:
/// //     tg.create_task(work(1)); tg.create_task(fail_after(2))
/// let out = Transcript::new();
/// let o = out.clone();
/// let group = task_group(move |tg| {
///     let o2 = o.clone();
///     tg.spawn(sleep(Duration::from_secs(1)).map(move |()| Ok::<_, &str>(o2.say("work done"))));
///     tg.spawn_named("failing", sleep(Duration::from_secs(2)).map(|()| Err::<(), _>("boom")));
///     rondo::ready(Ok(()))
/// });
/// let errors = EventLoop::new_virtual().run(group).unwrap().unwrap_err().errors;
/// assert_eq!(errors, [GroupError::Failed { task: "failing".into(), error: "boom" }]);
/// assert_eq!(out.stamped(), ["1.000 work done"]);
/// ```
pub fn task_group<E, F, B, R>(body: F) -> WithTaskGroup<E, F, B, R>
where
    F: FnOnce(TaskGroup<E>) -> B,
    B: Coroutine<Output = Result<R, E>> + 'static,
    E: 'static,
{
    WithTaskGroup { state: State::Start(body), shared: None, body_error: None }
}

/// ```text
/// async fn task_group(body) -> Result<R, ExceptionGroup<E>> {
///     let tg = TaskGroup::new();
///     let output = match body(tg).await {      // dropped if a child fails first
///         Ok(output) => Some(output),
///         Err(error) => { cancel the children; body_error = error; None }
///     };
///     suspend until every child has ended;       // woken by the last done-callback
///     every failure (children's, then the body's), or the output
/// }
/// ```
///
/// The coroutine returned by [`task_group`].
///
/// ```
/// use rondo::{EventLoop, TaskGroup, WithTaskGroup, ready, task_group};
///
/// // async with asyncio.TaskGroup() as tg: pass   -- nothing runs until awaited
/// let empty = task_group(|_tg: TaskGroup<String>| ready(Ok("body's output")));
/// assert_eq!(EventLoop::new_virtual().run(empty).unwrap(), Ok("body's output"));
/// # fn _named<E, F, B, R>(_: WithTaskGroup<E, F, B, R>) {}
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct WithTaskGroup<E, F, B, R> {
    state: State<F, B, R>,
    shared: Option<Rc<Shared<E>>>,
    body_error: Option<E>,
}

enum State<F, B, R> {
    /// Not polled yet: the closure has not made the body.
    Start(F),
    /// The body runs, inline; shared so that a cancellation can drop it.
    Body(Rc<RefCell<Option<B>>>),
    /// The body has ended (with this output, unless it failed or was
    /// cancelled); waiting for the children.
    Exiting(Option<R>),
    Done,
}

impl<E, F, B, R> Coroutine for WithTaskGroup<E, F, B, R>
where
    F: FnOnce(TaskGroup<E>) -> B,
    B: Coroutine<Output = Result<R, E>> + 'static,
    E: 'static,
{
    type Output = Result<R, ExceptionGroup<E>>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &mut self.state {
                State::Start(_) => {
                    let State::Start(make_body) = std::mem::replace(&mut self.state, State::Done) else {
                        unreachable!()
                    };
                    let core = running_loop().expect("task_group() polled outside a running event loop");
                    let shared = Rc::new_cyclic(|me| Shared {
                        children: RefCell::new(BTreeMap::new()),
                        errors: RefCell::new(Vec::new()),
                        aborting: Cell::new(false),
                        exiting: Cell::new(false),
                        cancel_body: Cell::new(false),
                        awaiter: RefCell::new(None),
                        drop_body: RefCell::new(None),
                        cancelled: Cell::new(false),
                        parent: OnceCell::new(),
                        body_awaits: Cell::new(TaskKey::NONE),
                        body_awaits_target: RefCell::new(None),
                        core,
                        me: me.clone(),
                        spawned: Cell::new(0),
                    });
                    let waits_on: Rc<dyn WaitsOn> = shared.clone();
                    report_waits_on(Rc::downgrade(&waits_on));
                    let body = Rc::new(RefCell::new(Some(make_body(TaskGroup { shared: shared.clone() }))));
                    let weak_body = Rc::downgrade(&body);
                    *shared.drop_body.borrow_mut() = Some(Box::new(move || {
                        if let Some(body) = weak_body.upgrade() {
                            let body = body.borrow_mut().take();
                            in_cancel_scope(|| drop(body));
                        }
                    }));
                    self.shared = Some(shared);
                    self.state = State::Body(body);
                }
                State::Body(body) => {
                    let shared = self.shared.as_ref().expect("made at the start");
                    if shared.cancel_body.get() {
                        // A child failed: cancel the body (asyncio cancels the
                        // parent task and uncancels it on exit; rondo drops the body).
                        let body = body.borrow_mut().take();
                        in_cancel_scope(|| drop(body));
                        self.state = State::Exiting(None);
                        continue;
                    }
                    let polled = body.borrow_mut().as_mut().map(|b| b.poll(cx));
                    match polled {
                        // Dropped by a cancellation of this task.
                        None => self.state = State::Exiting(None),
                        Some(Poll::Ready(Ok(output))) => {
                            body.borrow_mut().take();
                            self.state = State::Exiting(Some(output));
                        }
                        Some(Poll::Ready(Err(error))) => {
                            body.borrow_mut().take();
                            // asyncio's `__aexit__` with an exception: abort now.
                            self.body_error = Some(error);
                            if !shared.aborting.get() {
                                shared.abort();
                            }
                            self.state = State::Exiting(None);
                        }
                        Some(Poll::Pending) => {
                            shared.note_what_the_body_awaits();
                            self.wait_here(cx);
                            return Poll::Pending;
                        }
                    }
                    shared.drop_body.borrow_mut().take();
                }
                State::Exiting(_) => {
                    let shared = self.shared.as_ref().expect("made at the start");
                    shared.exiting.set(true);
                    if !shared.children.borrow().is_empty() {
                        self.wait_here(cx);
                        return Poll::Pending;
                    }
                    let State::Exiting(output) = std::mem::replace(&mut self.state, State::Done) else {
                        unreachable!()
                    };
                    let mut errors = shared.errors.take();
                    if let Some(error) = self.body_error.take() {
                        errors.push(GroupError::Body(error));
                    }
                    if errors.is_empty() {
                        let output = output.expect("a body is cancelled only when something failed");
                        return Poll::Ready(Ok(output));
                    }
                    return Poll::Ready(Err(ExceptionGroup { errors }));
                }
                State::Done => panic!("task_group() polled after it completed"),
            }
        }
    }
}

impl<E: 'static, F, B, R> WithTaskGroup<E, F, B, R> {
    /// Remembers whom to wake, and tells the loop that the running task
    /// waits on this group (so that cancelling it passes in here).
    fn wait_here(&self, cx: &mut Context<'_>) {
        let shared = self.shared.as_ref().expect("made at the start");
        *shared.awaiter.borrow_mut() = Some(cx.waker().clone());
        let target: Rc<dyn CancelTarget> = shared.clone();
        report_awaiting_target(Rc::downgrade(&target));
    }
}

impl<E, F, B, R> Drop for WithTaskGroup<E, F, B, R> {
    /// Cancelled (or dropped) before its children ended: cancel them — a
    /// group's children never outlive it. They cannot be waited for here.
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            shared.drop_body.borrow_mut().take();
            let children = std::mem::take(&mut *shared.children.borrow_mut());
            for child in children.into_values() {
                if !child.done() {
                    child.cancel();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{PollFn, never};
    use crate::{CoroutineExt, EventLoop, LoopError, TaskError, lazy, ready, sleep};
    use std::time::Duration;

    fn ok_after(secs: u64) -> impl Coroutine<Output = Result<u64, String>> {
        sleep(Duration::from_secs(secs)).map(move |()| Ok(secs))
    }

    #[test]
    fn outputs_are_taken_from_the_child_handles_after_the_group() {
        let ev = EventLoop::new_virtual();
        let handles = Rc::new(RefCell::new(Vec::new()));
        let h = handles.clone();
        let group = task_group(move |tg: TaskGroup<String>| {
            h.borrow_mut().extend([tg.spawn(ok_after(2)), tg.spawn_named("one", ok_after(1))]);
            ready(Ok("body"))
        });
        assert_eq!(ev.run_until_complete(group).unwrap(), Ok("body"));
        assert_eq!(ev.time(), 2.0);
        let handles = handles.borrow();
        assert_eq!(handles[1].name(), "one");
        assert!(handles.iter().all(|h| h.done() && !h.cancelled()));
        assert_eq!((handles[0].take_output(), handles[1].take_output()), (Some(2), Some(1)));
        assert_eq!(handles[0].take_output(), None, "taken once");
    }

    #[test]
    #[should_panic(expected = "task_group() polled after it completed")]
    fn polling_a_finished_group_panics() {
        let mut group = Some(task_group(|_tg: TaskGroup<String>| ready(Ok(()))));
        EventLoop::new_virtual()
            .run(PollFn(move |cx: &mut Context<'_>| {
                let g = group.as_mut().unwrap();
                assert!(g.poll(cx).is_ready());
                let _ = g.poll(cx); // the bug
                Poll::Ready(())
            }))
            .unwrap();
    }

    #[test]
    fn spawning_into_a_finished_group_fails_the_spawner() {
        let ev = EventLoop::new_virtual();
        let kept: Rc<RefCell<Option<TaskGroup<String>>>> = Rc::default();
        let k = kept.clone();
        let group = task_group(move |tg: TaskGroup<String>| {
            *k.borrow_mut() = Some(tg);
            ready(Ok(()))
        });
        ev.run_until_complete(group).unwrap().unwrap();
        let tg = kept.borrow_mut().take().unwrap();
        let late = ev.spawn(lazy(move || drop(tg.spawn(ready(Ok(()))))));
        let Err(TaskError::Panicked(message)) = ev.run_until_complete(late).unwrap() else { panic!() };
        assert!(message.starts_with("TaskGroup is finished"), "{message}");
    }

    #[test]
    fn spawning_while_the_group_shuts_down_is_refused() {
        let ev = EventLoop::new_virtual();
        let group = task_group(|tg: TaskGroup<String>| {
            lazy(move || {
                tg.shared.aborting.set(true); // as after a child's failure
                let refused =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tg.spawn(ready(Ok(())))));
                let message = refused.err().and_then(|p| p.downcast_ref::<&str>().map(|s| s.to_string()));
                Ok(message.unwrap_or_default())
            })
        });
        let message = ev.run_until_complete(group).unwrap().unwrap();
        assert!(message.starts_with("TaskGroup is shutting down"), "{message}");
    }

    #[test]
    fn the_body_awaits_a_child_and_gets_its_output() {
        let ev = EventLoop::new_virtual();
        let group = task_group(|tg: TaskGroup<String>| {
            let child = tg.spawn(ok_after(2));
            child.map(|got| Ok(got.expect("it succeeded") * 10))
        });
        assert_eq!(ev.run_until_complete(group).unwrap(), Ok(20));
        assert_eq!(ev.time(), 2.0);
    }

    #[test]
    #[should_panic(expected = "a ChildTask polled after it completed")]
    fn polling_a_finished_child_handle_panics() {
        let group = task_group(|tg: TaskGroup<String>| {
            let mut child = tg.spawn(ready(Ok(1)));
            crate::poll_fn(move |cx| {
                let Poll::Ready(_) = child.poll(cx) else { return Poll::Pending };
                let _ = child.poll(cx); // the bug
                Poll::Ready(Ok(()))
            })
        });
        let _ = EventLoop::new_virtual().run(group);
    }

    #[test]
    fn a_hundred_thousand_children() {
        // Each child's end is one map removal, not a scan: this is quick.
        let ev = EventLoop::new_virtual();
        let group = task_group(|tg: TaskGroup<String>| {
            for i in 0..100_000u64 {
                tg.spawn(sleep(Duration::from_millis(i % 1000)).map(Ok));
            }
            ready(Ok(()))
        });
        ev.run_until_complete(group).unwrap().unwrap();
        assert_eq!(ev.time(), 0.999);
    }

    #[test]
    fn a_stuck_group_is_named_in_the_deadlock_report() {
        let ev = EventLoop::new_virtual();
        let group = task_group(|tg: TaskGroup<String>| {
            tg.spawn_named("stuck child", never().map(Ok));
            ready(Ok(()))
        });
        let LoopError::Deadlock { stuck } = ev.run_until_complete(group).unwrap_err() else { panic!() };
        let waits: Vec<&str> = stuck.iter().map(|s| s.waits_on.as_str()).collect();
        assert!(waits.contains(&"awaits the task group of tasks stuck child"), "{waits:?}");
    }

    #[test]
    fn a_group_left_running_is_cancelled_with_its_children_when_main_returns() {
        // asyncio.run cancels what main left: the task running the group,
        // then (through the group) its children. Nothing leaks or panics.
        let ev = EventLoop::new_virtual();
        let ended = Rc::new(Cell::new(0));
        let e = ended.clone();
        struct Count(Rc<Cell<u32>>);
        impl Drop for Count {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let main = lazy(move || {
            let e = e.clone();
            drop(crate::spawn(task_group(move |tg: TaskGroup<String>| {
                for _ in 0..3 {
                    let guard = Count(e.clone());
                    tg.spawn(sleep(Duration::from_secs(5)).map(move |()| {
                        drop(guard);
                        Ok(())
                    }));
                }
                let guard = Count(e.clone());
                sleep(Duration::from_secs(9)).map(move |()| {
                    drop(guard);
                    Ok(())
                })
            })));
        })
        .then(|()| sleep(Duration::from_secs(1)));
        ev.run(main).unwrap();
        assert_eq!(ended.get(), 4, "three children and the body, each dropped once");
    }

    #[test]
    fn a_dropped_loop_drops_a_waiting_group_and_its_children() {
        let ended = Rc::new(Cell::new(0));
        {
            let ev = EventLoop::new_virtual();
            let e = ended.clone();
            let _group = ev.spawn(task_group(move |tg: TaskGroup<String>| {
                let e2 = e.clone();
                tg.spawn(sleep(Duration::from_secs(5)).map(move |()| {
                    e2.set(e2.get() + 1);
                    Ok(())
                }));
                lazy(move || {
                    e.set(e.get() + 10);
                    Ok(())
                })
            }));
            ev.run_until_complete(sleep(Duration::from_secs(1))).unwrap();
        }
        assert_eq!(ended.get(), 10, "the body ran; the child was dropped, not run");
    }

    #[test]
    fn a_timeout_around_a_group_cancels_body_and_children() {
        let ev = EventLoop::new_virtual();
        let group = task_group(|tg: TaskGroup<String>| {
            tg.spawn(sleep(Duration::from_secs(5)).map(Ok));
            sleep(Duration::from_secs(9)).map(Ok)
        });
        let ended = ev.run_until_complete(crate::timeout(Duration::from_secs(1), group)).unwrap();
        assert!(ended.is_err());
        ev.run_until_complete(sleep(Duration::ZERO)).unwrap();
        assert!(ev.all_tasks().is_empty(), "the child was cancelled with the group");
        assert_eq!(ev.time(), 1.0);
    }

    #[test]
    fn groups_nest() {
        let ev = EventLoop::new_virtual();
        let outer = task_group(|tg: TaskGroup<String>| {
            tg.spawn(
                task_group(|inner: TaskGroup<String>| {
                    inner.spawn(sleep(Duration::from_secs(2)).map(|()| Err::<(), _>("deep".to_string())));
                    ready(Ok(()))
                })
                .map(|ended| ended.map_err(|group| group.errors[0].to_string())),
            );
            sleep(Duration::from_secs(9)).map(Ok)
        });
        let errors = ev.run_until_complete(outer).unwrap().unwrap_err().errors;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].to_string(), "deep");
        assert_eq!(ev.time(), 2.0, "the outer body was cancelled at 2 s");
    }
}
