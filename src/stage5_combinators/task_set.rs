//! `TaskSet`: several tasks watched the asyncio way, for `gather`, `wait` and `as_completed`.
//!
//! Each task gets a [`callback_waker`](super::done_callback): when it
//! finishes, a callback runs on the *next* iteration, records which task
//! finished and whether it failed, and wakes the awaiter only if the set's
//! condition now holds (all done, first done, first failure…). So the awaiter
//! resumes exactly when asyncio's would: two iterations after the deciding
//! task finished, and never for nothing.
//!
//! The callbacks hold only `Weak` references: a task's waker must not keep
//! the set alive, or task → callback → set → task would be a cycle.

use super::done_callback::callback_waker;
use crate::stage4_event_loop::seams::{CancelTarget, WaitsOn, report_awaiting_target, report_waits_on};
use crate::stage4_event_loop::{TaskKey, TaskStatus, cancelling};
use crate::{Task, Waker};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

/// When a set's awaiter should be woken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Until {
    /// Every task has finished (`gather(..., return_exceptions=True)`, `ALL_COMPLETED`).
    All,
    /// Any task has finished (`FIRST_COMPLETED`).
    First,
    /// A task failed, or all finished (`gather`, `FIRST_EXCEPTION`).
    FirstFailure,
    /// After every single completion (`as_completed`).
    Each,
}

/// Which combinator watches the set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SetKind {
    Gather,
    Wait,
    AsCompleted,
}

impl SetKind {
    fn name(self) -> &'static str {
        match self {
            SetKind::Gather => "gather",
            SetKind::Wait => "wait",
            SetKind::AsCompleted => "as_completed",
        }
    }

    /// `gather` owns its children — cancelling it cancels them, as asyncio's
    /// `_GatheringFuture.cancel()` does; `wait` and `as_completed` do not.
    fn owns_tasks(self) -> bool {
        self == SetKind::Gather
    }
}

/// What the callbacks record, shared with the set.
pub(crate) struct SetState {
    until: Until,
    total: usize,
    /// Indices of finished tasks, in the order their callbacks ran.
    pub(crate) finished: RefCell<Vec<usize>>,
    /// The first task whose callback saw it failed.
    pub(crate) first_failure: Cell<Option<usize>>,
    /// The condition held (for `Each`: reset by the consumer).
    pub(crate) fired: Cell<bool>,
    awaiter: RefCell<Option<Waker>>,
    /// Who watches, and which tasks: for deadlock reports. (Names are
    /// looked up when a report asks: formatting a million `Task-<id>`s for a
    /// `gather` that never deadlocks cost 10% of the 1M-sleepers benchmark.)
    kind: SetKind,
    watched: Vec<Weak<dyn TaskStatus>>,
    /// The tasks' keys: where a cancellation of the awaiter goes (gather only).
    keys: Vec<TaskKey>,
}

impl CancelTarget for SetState {
    /// asyncio's `_GatheringFuture.cancel()`: a gather passes the
    /// cancellation of its awaiter to its children, and resolves (waking the
    /// awaiter, cancelled) once their ends have been seen. `wait` and
    /// `as_completed` do not own their tasks: their awaiter just ends.
    fn pass_cancel(&self) -> Option<Vec<TaskKey>> {
        (self.kind.owns_tasks() && !self.fired.get()).then(|| self.keys.clone())
    }
}

impl WaitsOn for SetState {
    fn waiter_addrs(&self) -> Vec<usize> {
        self.awaiter.borrow().iter().map(Waker::target_addr).collect()
    }

    fn describe(&self) -> String {
        let names: Vec<String> = self
            .watched
            .iter()
            .map(|task| task.upgrade().map_or_else(|| "(a dropped task)".to_string(), |task| task.name()))
            .collect();
        format!("awaits {} of tasks {}", self.kind.name(), names.join(", "))
    }
}

impl SetState {
    /// The callback for task `index`, run one iteration after it finished.
    fn on_done(&self, index: usize, status: &Weak<dyn TaskStatus>) {
        // asyncio's `wait(FIRST_EXCEPTION)` does not count a cancelled task
        // as an exception (`not f.cancelled() and f.exception() is not None`);
        // its `gather` does: a cancelled child cancels the gather at once.
        let failed = status
            .upgrade()
            .is_some_and(|s| s.has_failed() && !(self.kind == SetKind::Wait && s.was_cancelled()));
        let count = {
            let mut finished = self.finished.borrow_mut();
            finished.push(index);
            finished.len()
        };
        if failed && self.first_failure.get().is_none() {
            self.first_failure.set(Some(index));
        }
        let holds = match self.until {
            Until::All => count == self.total,
            Until::First | Until::Each => true,
            Until::FirstFailure => failed || count == self.total,
        };
        if holds && (self.until == Until::Each || !self.fired.get()) {
            self.fired.set(true);
            if let Some(awaiter) = self.awaiter.borrow_mut().take() {
                awaiter.wake();
            }
        }
    }

    /// Remembers whom to wake; called on every `Pending` poll of the awaiter.
    pub(crate) fn set_awaiter(self: &Rc<Self>, waker: &Waker) {
        *self.awaiter.borrow_mut() = Some(waker.clone());
        if self.kind.owns_tasks() {
            // The awaiting task now waits on this gather: cancelling it passes in here.
            let target: Rc<dyn CancelTarget> = self.clone();
            report_awaiting_target(Rc::downgrade(&target));
        }
    }
}

/// Tasks being watched, and what their callbacks found out.
pub(crate) struct TaskSet<T> {
    pub(crate) tasks: Vec<Task<T>>,
    pub(crate) state: Rc<SetState>,
    /// Cancel the unfinished tasks if the set is dropped by a cancellation:
    /// `gather` owns its children, `wait` and `as_completed` do not (as in asyncio).
    owns_tasks: bool,
}

impl<T: 'static> TaskSet<T> {
    /// Starts watching `tasks`. A task that has already finished gets its
    /// callback scheduled right away — asyncio's `add_done_callback` on a done
    /// future does the same, so the hop count does not change.
    pub(crate) fn watch(tasks: Vec<Task<T>>, until: Until, kind: SetKind) -> TaskSet<T> {
        let state = Rc::new(SetState {
            kind,
            watched: tasks.iter().map(Task::status).collect(),
            keys: if kind.owns_tasks() { tasks.iter().map(Task::key).collect() } else { Vec::new() },
            until,
            total: tasks.len(),
            finished: RefCell::new(Vec::with_capacity(tasks.len())),
            first_failure: Cell::new(None),
            fired: Cell::new(false),
            awaiter: RefCell::new(None),
        });
        for (index, task) in tasks.iter().enumerate() {
            let weak_state = Rc::downgrade(&state);
            let status = task.status();
            let callback: Rc<dyn Fn()> = Rc::new(move || {
                if let Some(state) = weak_state.upgrade() {
                    state.on_done(index, &status);
                }
            });
            if task.watch(&callback_waker(callback.clone())) {
                crate::call_soon(move || callback());
            }
        }
        let waits_on: Rc<dyn WaitsOn> = state.clone();
        report_waits_on(Rc::downgrade(&waits_on));
        TaskSet { tasks, state, owns_tasks: kind.owns_tasks() }
    }

    /// `gather` returned the error of task `returned` and lets the other
    /// tasks run on; their outcomes are still the gather's to retrieve
    /// (`retrieve_when_done`).
    pub(crate) fn retrieve_the_rest(&mut self, returned: usize) {
        let mut tasks = std::mem::take(&mut self.tasks);
        drop(tasks.remove(returned)); // its error was taken: it is the gather's
        tasks.into_iter().for_each(retrieve_when_done);
    }

    /// Stops watching: later completions must not wake anyone (asyncio's
    /// `remove_done_callback` at the end of `wait`).
    pub(crate) fn unwatch(&self) {
        for task in &self.tasks {
            if !task.done() {
                task.unwatch();
            }
        }
    }
}

impl<T> Drop for TaskSet<T> {
    /// A `gather` cancelled while waiting cancels its unfinished children,
    /// as asyncio's `_GatheringFuture.cancel()` does — and, cancelled or
    /// not, it still retrieves what each child ends with.
    ///
    /// A `wait` dropped while waiting (its awaiter cancelled, a timeout)
    /// withdraws its callbacks, as the `finally:` of asyncio's `_wait` does:
    /// a task that ends later must not schedule a callback for nobody, which
    /// would cost the loop an iteration. (`as_completed` leaves its callbacks
    /// on the tasks, as asyncio's does.)
    fn drop(&mut self) {
        if self.owns_tasks {
            let cancel = cancelling();
            for task in std::mem::take(&mut self.tasks) {
                if cancel && !task.done() {
                    task.cancel();
                }
                retrieve_when_done(task);
            }
        } else if self.state.kind == SetKind::Wait {
            self.tasks.iter().filter(|task| !task.done()).for_each(Task::unwatch);
        }
    }
}

/// Takes a gather child's outcome when it ends, or now if it has ended.
///
/// asyncio's gather keeps its `_done_callback` on every child, whatever
/// happens to the gather: once the outer future is done (it returned a first
/// error, or it was cancelled) the callback calls `fut.exception()`, so a
/// child failing later is never "Task exception was never retrieved". Here an
/// unfinished child's done-callback owns its handle and takes the outcome,
/// one iteration after the child ends (the hop asyncio's callback has too).
fn retrieve_when_done<T>(task: Task<T>) {
    let status = task.status_rc();
    if task.done() {
        status.discard_outcome();
        return;
    }
    // The callback holds the task (as its status) in the task's own waker
    // slot until the task ends and empties the slot: no cycle outlives it.
    let callback: Rc<dyn Fn()> = Rc::new(move || status.discard_outcome());
    task.watch(&callback_waker(callback));
}
