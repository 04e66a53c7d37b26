//! `Core`: the loop's shared state, and the operations every coroutine may ask of it.
//!
//! Everything a running coroutine may need from its loop — spawn a task, read
//! the time, set a timer, ask which task it is — lives here, behind `Rc` and
//! `RefCell`s: the loop is single-threaded, so no locks and no atomics.
//!
//! The fields are `RefCell`s borrowed for one short operation at a time and
//! *never* held across a poll: a polled coroutine may spawn (borrowing
//! `tasks`), wake (borrowing `ready`) or sleep (borrowing `timers`). They are
//! private to stage 4; later stages go through the methods and the seams.
//!
//! (Over 300 lines: the state and the twenty-odd small operations every
//! later stage calls; each is a few lines, and splitting them by theme would
//! scatter one struct's methods across files.)

use super::catch_panic::CallbackPanic;
use super::hooks::{LoopEvent, LoopView, Observer};
use super::runnable::{Callback, Runnable};
use super::seams::{
    CancelPolicy, CancelTarget, ClockWait, Explainer, IdleWait, Reorder, StepBeacon, StepWatch, WaitsOn,
    cancel_at_next_step, name_the_stuck,
};
use super::task_cell::{AnyTask, TaskCell};
use super::task_handle::Task;
use super::task_info::TaskInfo;
use super::task_table::{TaskKey, TaskTable};
use super::timer_handle::TimerHandle;
use super::timer_heap::DueAction;
use crate::fast::{FifoTimerHeap, LoopRef, PackedReadyQueue};
use crate::stage3_sleep::{Clock, deadline_after, new_runtime_id};
use crate::{Coroutine, TimerId, Timers, Waker};
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::panic::Location;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::Duration;

pub(crate) struct Core {
    pub(super) clock: Clock,
    /// This loop, as its tasks name it: its id (stage 3's runtime id, also
    /// stamped on its timers) and the way back to it.
    pub(super) me: LoopRef,
    /// FIFO of what to run; each iteration runs only the entries present when
    /// it starts (asyncio's `ntodo` snapshot). (Stage 4's `ReadyQueue`, packed.)
    pub(super) ready: RefCell<PackedReadyQueue>,
    pub(super) tasks: RefCell<TaskTable>,
    /// Pending timers. (Stage 4's `TimerHeap`, with a FIFO beside it.)
    pub(super) timers: RefCell<FifoTimerHeap>,
    /// Set by a `Stop` runnable; checked when the iteration ends.
    pub(super) stopping: Cell<bool>,
    /// The task being stepped right now.
    pub(super) current: Cell<Option<TaskKey>>,
    /// The task `run_until_complete` waits for: its finishing schedules `Stop`.
    pub(super) main_task: Cell<Option<TaskKey>>,
    next_task_id: Cell<u64>,
    /// Names of the tasks spawned with one, by id (most tasks have none).
    names: RefCell<HashMap<u64, Box<str>>>,
    /// Iterations run so far.
    pub(super) iterations: Cell<u64>,
    /// Callbacks that panicked (each reported when it did; kept for tests).
    pub(super) callback_panics: RefCell<Vec<CallbackPanic>>,
    /// The panic payload of the main task, for `run` to resume with.
    pub(super) main_panic: RefCell<Option<Box<dyn std::any::Any + Send>>>,
    // The seams (see `seams.rs`, which also has the methods that fill them).
    pub(super) step_watch: OnceCell<Rc<dyn StepWatch>>,
    /// Call the step watch before and after every step (or only as needed).
    pub(super) watch_every_step: Cell<bool>,
    pub(super) beacon: OnceCell<Arc<StepBeacon>>,
    /// Steps taken so far: numbers them for the beacon.
    pub(super) steps: Cell<u64>,
    pub(super) idle_wait: RefCell<Rc<dyn IdleWait>>,
    /// Ask the idle wait in busy iterations too (stage 8's selector).
    pub(super) poll_when_busy: Cell<bool>,
    pub(super) waits_on: RefCell<Vec<Weak<dyn WaitsOn>>>,
    /// What each waiting task awaits that is not a task (a gather), for
    /// cancellation to pass into. Entries go when their task ends.
    pub(super) awaited_targets: RefCell<HashMap<TaskKey, Weak<dyn CancelTarget>>>,
    pub(super) explainer: Cell<Explainer>,
    pub(super) cancel_policy: Cell<CancelPolicy>,
    /// `true` while an observer is installed — the one flag every hook site checks.
    pub(super) observing: Cell<bool>,
    pub(super) observer: RefCell<Option<Box<dyn Observer>>>,
    pub(super) reorder: RefCell<Option<Reorder>>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Core")
    }
}

impl Core {
    pub(crate) fn new(clock: Clock) -> Rc<Core> {
        let id = new_runtime_id();
        Rc::new_cyclic(|me| Core {
            clock,
            me: LoopRef::register(id, me),
            ready: RefCell::new(PackedReadyQueue::default()),
            tasks: RefCell::new(TaskTable::default()),
            timers: RefCell::new(FifoTimerHeap::new(id)),
            stopping: Cell::new(false),
            current: Cell::new(None),
            main_task: Cell::new(None),
            next_task_id: Cell::new(1),
            names: RefCell::new(HashMap::new()),
            iterations: Cell::new(0),
            callback_panics: RefCell::new(Vec::new()),
            main_panic: RefCell::new(None),
            step_watch: OnceCell::new(),
            watch_every_step: Cell::new(false),
            beacon: OnceCell::new(),
            steps: Cell::new(0),
            idle_wait: RefCell::new(Rc::new(ClockWait)),
            poll_when_busy: Cell::new(false),
            waits_on: RefCell::new(Vec::new()),
            awaited_targets: RefCell::new(HashMap::new()),
            explainer: Cell::new(name_the_stuck),
            cancel_policy: Cell::new(cancel_at_next_step),
            observing: Cell::new(false),
            observer: RefCell::new(None),
            reorder: RefCell::new(None),
        })
    }

    /// Creates a task and schedules its first step for the next iteration
    /// (asyncio: `Task.__init__` calls `loop.call_soon(self.__step)`).
    pub(crate) fn spawn<C>(
        self: &Rc<Self>,
        coroutine: C,
        name: Option<Box<str>>,
        at: &'static Location<'static>,
    ) -> Task<C::Output>
    where
        C: Coroutine + 'static,
        C::Output: 'static,
    {
        let id = self.next_task_id.get();
        self.next_task_id.set(id + 1);
        let named = name.is_some();
        if let Some(name) = name {
            self.names.borrow_mut().insert(id, name);
        }
        let mut tasks = self.tasks.borrow_mut();
        let key = tasks.next_key();
        let cell = TaskCell::new(coroutine, key, id, named, self.me, at);
        let inserted = tasks.insert(cell.clone());
        debug_assert_eq!(inserted, key);
        drop(tasks);
        cell.header().queued.set(true);
        self.ready.borrow_mut().push_step(key);
        if self.observing.get() {
            self.emit(LoopEvent::Spawned { task: cell.header().info() });
        }
        Task::new(cell)
    }

    /// Queues a step of the task at `key` (called by its waker).
    pub(crate) fn schedule_step(&self, key: TaskKey) {
        self.ready.borrow_mut().push_step(key);
        if self.observing.get() {
            let info = self.tasks.borrow().get(key).map(|t| t.header().info());
            if let Some(task) = info {
                self.emit(LoopEvent::Woken { task });
            }
        }
    }

    /// Makes sure the task at `key` gets a step soon: queues one unless one is queued.
    pub(crate) fn step_soon(&self, key: TaskKey) {
        let queued = self.tasks.borrow().get(key).map(|task| task.header().queued.replace(true));
        if queued == Some(false) {
            self.schedule_step(key);
        }
    }

    /// Queues a callback (asyncio: `call_soon`).
    pub(crate) fn call_soon(&self, callback: Callback) {
        self.ready.borrow_mut().push(Runnable::Call(callback));
    }

    /// Queues a wake: the outside world (stage 8's selector) has what a
    /// waiting coroutine waits for. Like a fired timer, the wake runs in
    /// this iteration and the woken task one iteration later — asyncio's
    /// I/O callback resolving a future whose callback schedules the task.
    pub(crate) fn queue_wake(&self, waker: Waker) {
        self.ready.borrow_mut().push(Runnable::Wake(waker));
    }

    /// The loop's clock.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Registers a callback to run once `delay` has passed (asyncio: `call_later`).
    pub(crate) fn call_later(self: &Rc<Self>, delay: Duration, callback: Callback) -> TimerHandle {
        let deadline = deadline_after(self.clock.now(), delay);
        let id = self.timers.borrow_mut().push(deadline, DueAction::Call(callback));
        TimerHandle { id, core: Rc::downgrade(self) }
    }

    /// Asks the loop to stop once the current iteration ends (asyncio:
    /// `loop.stop()` sets a flag; it schedules nothing, so what was queued for
    /// the next iteration does not run).
    pub(crate) fn stop(&self) {
        self.stopping.set(true);
    }

    /// The loop's one id (also stamped on its timers).
    pub(crate) fn id(&self) -> u32 {
        self.me.id()
    }

    pub(crate) fn now(&self) -> Duration {
        self.clock.now()
    }

    pub(crate) fn is_virtual(&self) -> bool {
        self.clock.is_virtual()
    }

    /// The task at `key`, while it is unfinished.
    pub(crate) fn task(&self, key: TaskKey) -> Option<Rc<dyn AnyTask>> {
        self.tasks.borrow().get(key).cloned()
    }

    /// The unfinished task whose cell is at `addr` (a waker's target), if
    /// any. A walk over the table: for rare questions only.
    pub(crate) fn unfinished_task_at(&self, addr: usize) -> Option<Rc<dyn AnyTask>> {
        let tasks = self.tasks.borrow();
        tasks.iter().find(|task| Rc::as_ptr(task) as *const () as usize == addr).cloned()
    }

    /// Every unfinished task, by id.
    pub(crate) fn unfinished_tasks(&self) -> Vec<Rc<dyn AnyTask>> {
        let mut all: Vec<Rc<dyn AnyTask>> = self.tasks.borrow().iter().cloned().collect();
        all.sort_by_key(|task| task.header().id);
        all
    }

    /// The name a task was spawned with, if any.
    pub(crate) fn task_name(&self, id: u64) -> Option<String> {
        self.names.try_borrow().ok()?.get(&id).map(|name| name.to_string())
    }

    pub(crate) fn forget_name(&self, id: u64) {
        if let Ok(mut names) = self.names.try_borrow_mut() {
            names.remove(&id);
        }
    }

    /// Unfinished tasks as (address, name): to name the owner of a waker.
    pub(crate) fn task_names_by_addr(&self) -> Vec<(usize, String)> {
        let tasks = self.tasks.borrow();
        tasks.iter().map(|t| (Rc::as_ptr(t) as *const () as usize, t.header().name())).collect()
    }

    /// Delivers `event` to the observer, if one is installed. Callers check
    /// `observing` first, so that building the event costs nothing otherwise.
    ///
    /// An observer is user code too: if it panics, the panic is reported and
    /// the observer removed — the program it watches goes on.
    pub(crate) fn emit(&self, event: LoopEvent) {
        let Ok(mut slot) = self.observer.try_borrow_mut() else { return }; // no re-entry
        let Some(observer) = slot.as_mut() else { return };
        let watched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            observer.event(self.clock.now(), &event, &LoopView { core: self })
        }));
        if let Err(payload) = watched {
            eprintln!(
                "rondo: an observer panicked and was removed: {}",
                super::catch_panic::panic_message(&*payload)
            );
            self.observing.set(false);
            let removed = slot.take();
            drop(slot);
            drop(removed);
        }
    }

    /// Records that the running task now awaits the task at `awaited`.
    pub(crate) fn note_awaiting(&self, awaited: TaskKey) {
        if let Some(current) = self.current.get()
            && let Some(task) = self.tasks.borrow().get(current)
            && task.header().awaiting.replace(awaited) == TaskKey::TARGET
        {
            self.awaited_targets.borrow_mut().remove(&current); // it awaits a task now
        }
    }

    /// Cancels a task (asyncio: `Task.cancel()`): sets its flag, then lets
    /// the cancel policy carry the request (stage 4: to the task's next step).
    pub(crate) fn cancel_task(&self, key: TaskKey) {
        if self.mark_cancel_requested(key) {
            (self.cancel_policy.get())(self, key);
        }
    }

    /// Cancels what the task awaits, not the task: the installed policy's
    /// walk from it, without its own flag (stage 4's policy just steps it;
    /// stage 6's cancels the task it awaits, down the chain, and lets that
    /// one's end wake it). asyncio's `timeout` does this with
    /// `task.cancel()` and then takes the cancellation back (`uncancel`);
    /// rondo's `Timeout` finds the limit passed at the task's next poll.
    pub(crate) fn cancel_what_it_awaits(&self, key: TaskKey) {
        if self.task(key).is_some() {
            (self.cancel_policy.get())(self, key);
        }
    }

    /// Sets the task's cancel-requested flag (and tells the observer, the
    /// first time). `false` if there is no such unfinished task.
    pub(crate) fn mark_cancel_requested(&self, key: TaskKey) -> bool {
        let Some(task) = self.task(key) else { return false };
        let header = task.header();
        if self.observing.get() && !header.cancel_requested.get() {
            self.emit(LoopEvent::CancelRequested { task: header.info() });
        }
        header.cancel_requested.set(true);
        true
    }

    pub(crate) fn current_task(&self) -> Option<TaskInfo> {
        let key = self.current.get()?;
        // `try_borrow`: this is also asked from a panic hook, at any moment.
        self.tasks.try_borrow().ok()?.get(key).map(|task| task.header().info())
    }

    /// Unfinished tasks, by id.
    pub(crate) fn all_tasks(&self) -> Vec<TaskInfo> {
        self.unfinished_tasks().iter().map(|t| t.header().info()).collect()
    }

    /// Cancels every unfinished task, in spawn order: drops its coroutine
    /// and tells its awaiter. A clean-up (a coroutine's `Drop`) may spawn a
    /// task — asyncio's `finally: create_task(...)` — so the table is drained
    /// again until it stays empty: those are cancelled too, before they ever
    /// run. (Clean-ups that spawn forever are cut off, and said so.)
    pub(crate) fn cancel_all(&self) -> usize {
        const ROUNDS: usize = 1_000;
        let mut cancelled = 0;
        for _ in 0..ROUNDS {
            let mut tasks: Vec<Rc<dyn AnyTask>> = self.tasks.borrow_mut().drain();
            if tasks.is_empty() {
                return cancelled;
            }
            tasks.sort_by_key(|t| t.header().id);
            for task in &tasks {
                task.header().cancel_requested.set(true); // so `Task::cancelled()` says so
                task.cancel();
                if let Some(joiner) = task.header().joiner.take() {
                    joiner.wake();
                }
            }
            cancelled += tasks.len();
        }
        eprintln!(
            "rondo: clean-ups kept spawning tasks after {ROUNDS} rounds of cancellation; {} left",
            self.tasks.borrow().len()
        );
        cancelled
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        self.me.unregister();
    }
}

impl Timers for Core {
    fn now(&self) -> Duration {
        self.clock.now()
    }

    fn add_timer(&self, deadline: Duration, waker: &Waker) -> TimerId {
        self.timers.borrow_mut().push(deadline, DueAction::Wake(waker.clone()))
    }

    fn cancel_timer(&self, id: TimerId) {
        self.timers.borrow_mut().cancel(id);
    }

    fn block_for(&self, duration: Duration) {
        self.clock.block_for(duration)
    }
}
