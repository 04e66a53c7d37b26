//! `Core`: the loop's shared state, and the thread-local that finds it.
//!
//! Everything a running coroutine may need from its loop — spawn a task, read
//! the time, set a timer, ask which task it is — lives here, behind `Rc` and
//! `RefCell`s: the loop is single-threaded, so no locks and no atomics.
//!
//! The fields are `RefCell`s borrowed for one short operation at a time and
//! *never* held across a poll: a polled coroutine may spawn (borrowing
//! `tasks`), wake (borrowing `ready`) or sleep (borrowing `timers`).

use super::handle::Handle;
use super::hooks::{LoopEvent, LoopView, Observer};
use super::loop_registry::LoopNumber;
use super::ready_queue::ReadyQueue;
use super::task::{AnyTask, Task, TaskCell, TaskInfo};
use super::task_table::{TaskKey, TaskTable};
use super::timer_heap::{TimerAction, TimerHeap};
use crate::observe::shuffle::Shuffler;
use crate::stage3_sleep::Clock;
use crate::stage6_failure::deadlock::Blocker;
use crate::stage6_failure::slow_step::Watchdog;
use crate::stage6_failure::{DEFAULT_SLOW_STEP, SlowStep};
use crate::{Coroutine, TimerId, Timers, Waker};
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::panic::Location;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub(crate) struct Core {
    pub(crate) clock: Clock,
    /// This loop's number on its thread: how its tasks find it.
    pub(crate) number: LoopNumber,
    /// FIFO of what to run; each iteration runs only the entries present when
    /// it starts (asyncio's `ntodo` snapshot).
    pub(crate) ready: RefCell<ReadyQueue>,
    pub(crate) tasks: RefCell<TaskTable>,
    pub(crate) timers: RefCell<TimerHeap>,
    /// Set by a `Stop` handle; checked when the iteration ends.
    pub(crate) stopping: Cell<bool>,
    /// The task being stepped right now.
    pub(crate) current: Cell<Option<TaskKey>>,
    /// The task `run_until_complete` waits for: its finishing schedules `Stop`.
    pub(crate) main_task: Cell<Option<TaskKey>>,
    next_task_id: Cell<u64>,
    /// Names of the tasks spawned with one, by id (most tasks have none).
    pub(crate) names: RefCell<HashMap<u64, Box<str>>>,
    /// Iterations run so far.
    pub(crate) iterations: Cell<u64>,
    /// Stage 6: things tasks wait on that can explain a deadlock.
    pub(crate) blockers: RefCell<Vec<Weak<dyn Blocker>>>,
    /// Stage 6: tasks that panicked, kept to report the ones nobody awaited.
    pub(crate) failures: RefCell<Vec<Rc<dyn AnyTask>>>,
    /// Stage 6: steps longer than this are reported (`None`: not timed).
    pub(crate) slow_step_threshold: Cell<Option<Duration>>,
    pub(crate) slow_steps: RefCell<Vec<SlowStep>>,
    /// Stage 6, real clock: the thread that spots slow steps (started by the first run).
    pub(crate) watchdog: OnceCell<Watchdog>,
    /// Steps run so far (numbers the steps for the watchdog).
    pub(crate) steps: Cell<u64>,
    /// Hooks: `true` while an observer is installed — the one flag every
    /// hook site checks.
    pub(crate) observing: Cell<bool>,
    pub(crate) observer: RefCell<Option<Box<dyn Observer>>>,
    /// `RONDO_SHUFFLE`: reorders each iteration's handles, from a seed.
    pub(crate) shuffler: RefCell<Option<Shuffler>>,
}

/// Gives each loop a distinct number, so timers are never cancelled in the wrong loop.
static NEXT_LOOP_ID: AtomicU32 = AtomicU32::new(1);

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Core")
    }
}

impl Core {
    pub(crate) fn new(clock: Clock) -> Rc<Core> {
        Rc::new_cyclic(|me| Core::with_number(clock, LoopNumber::register(me)))
    }

    fn with_number(clock: Clock, number: LoopNumber) -> Core {
        let owner = NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed);
        Core {
            clock,
            number,
            ready: RefCell::new(ReadyQueue::default()),
            tasks: RefCell::new(TaskTable::default()),
            timers: RefCell::new(TimerHeap::new(owner)),
            stopping: Cell::new(false),
            current: Cell::new(None),
            main_task: Cell::new(None),
            next_task_id: Cell::new(1),
            names: RefCell::new(HashMap::new()),
            iterations: Cell::new(0),
            blockers: RefCell::new(Vec::new()),
            failures: RefCell::new(Vec::new()),
            slow_step_threshold: Cell::new(Some(DEFAULT_SLOW_STEP)),
            slow_steps: RefCell::new(Vec::new()),
            watchdog: OnceCell::new(),
            steps: Cell::new(0),
            observing: Cell::new(false),
            observer: RefCell::new(None),
            shuffler: RefCell::new(None),
        }
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
        let cell = TaskCell::new(coroutine, key, id, named, self.number, at);
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

    /// Queues a callback (asyncio: `call_soon`).
    pub(crate) fn call_soon(&self, callback: Box<dyn FnOnce()>) {
        self.ready.borrow_mut().push(Handle::Call(callback));
    }

    /// Registers a callback to run once `delay` has passed (asyncio: `call_later`).
    pub(crate) fn call_later(self: &Rc<Self>, delay: Duration, callback: Box<dyn FnOnce()>) -> TimerHandle {
        let deadline = self.clock.now() + delay;
        let id = self.timers.borrow_mut().push(deadline, TimerAction::Call(callback));
        TimerHandle { id, core: Rc::downgrade(self) }
    }

    /// Asks the loop to stop once the current iteration ends (asyncio:
    /// `loop.stop()` sets a flag; it schedules nothing, so what was queued for
    /// the next iteration does not run).
    pub(crate) fn stop(&self) {
        self.stopping.set(true);
    }

    /// Unfinished tasks as (address, name): to name the owner of a waker.
    pub(crate) fn task_names_by_addr(&self) -> Vec<(usize, String)> {
        let tasks = self.tasks.borrow();
        tasks.iter().map(|t| (Rc::as_ptr(t) as *const () as usize, t.header().name())).collect()
    }

    /// Unfinished tasks by id: (queued?, address) — in the order `explain` lists them.
    pub(crate) fn task_addrs_by_id(&self) -> Vec<(bool, usize)> {
        let tasks = self.tasks.borrow();
        let mut all: Vec<(u64, bool, usize)> = tasks
            .iter()
            .map(|t| (t.header().id, t.header().queued.get(), Rc::as_ptr(t) as *const () as usize))
            .collect();
        all.sort_by_key(|&(id, _, _)| id);
        all.into_iter().map(|(_, queued, addr)| (queued, addr)).collect()
    }

    /// Delivers `event` to the observer, if one is installed. Callers check
    /// `observing` first, so that building the event costs nothing otherwise.
    pub(crate) fn emit(&self, event: LoopEvent) {
        let Ok(mut observer) = self.observer.try_borrow_mut() else { return }; // no re-entry
        if let Some(observer) = observer.as_mut() {
            observer.event(self.clock.now(), &event, &LoopView { core: self });
        }
    }

    /// Records that the running task now awaits the task at `awaited`.
    pub(crate) fn note_awaiting(&self, awaited: TaskKey) {
        if let Some(current) = self.current.get()
            && let Some(task) = self.tasks.borrow().get(current)
        {
            task.header().awaiting.set(awaited);
        }
    }

    /// Cancels a task the way asyncio does (stage 6). If it is awaiting
    /// another task — that task's joiner is this task's waker — cancel that
    /// one first and let its end wake this one, which then ends in turn; so
    /// clean-ups run innermost first. Otherwise make sure this task gets a
    /// step soon, in which its coroutine is dropped.
    pub(crate) fn cancel_task(&self, key: TaskKey) {
        let Some(task) = self.tasks.borrow().get(key).cloned() else { return };
        let header = task.header();
        if self.observing.get() && !header.cancel_requested.get() {
            self.emit(LoopEvent::CancelRequested { task: header.info() });
        }
        header.cancel_requested.set(true);
        let me = Rc::as_ptr(&task) as *const () as usize;
        let awaited = self.tasks.borrow().get(header.awaiting.get()).cloned();
        if let Some(awaited) = awaited {
            let joiner = awaited.header().joiner.take();
            let awaited_by_me = joiner.as_ref().is_some_and(|w| w.target_addr() == me);
            awaited.header().joiner.set(joiner);
            if awaited_by_me {
                // Its end wakes us; if it is already being cancelled, just wait.
                if !awaited.header().cancel_requested.get() {
                    self.cancel_task(awaited.header().key);
                }
                return;
            }
        }
        if !header.queued.replace(true) {
            self.schedule_step(key);
        }
    }

    pub(crate) fn current_task(&self) -> Option<TaskInfo> {
        let key = self.current.get()?;
        self.tasks.borrow().get(key).map(|task| task.header().info())
    }

    /// Unfinished tasks, by id.
    pub(crate) fn all_tasks(&self) -> Vec<TaskInfo> {
        let mut all: Vec<TaskInfo> = self.tasks.borrow().iter().map(|t| t.header().info()).collect();
        all.sort_by_key(|info| info.id);
        all
    }

    /// Cancels every unfinished task, in spawn order: drops its coroutine
    /// and tells its awaiter.
    pub(crate) fn cancel_all(&self) -> usize {
        let mut tasks: Vec<Rc<dyn AnyTask>> = self.tasks.borrow_mut().drain();
        tasks.sort_by_key(|t| t.header().id);
        for task in &tasks {
            task.header().cancel_requested.set(true); // so `Task::cancelled()` says so
            task.cancel();
            if let Some(joiner) = task.header().joiner.take() {
                joiner.wake();
            }
        }
        tasks.len()
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        self.number.unregister();
    }
}

impl Timers for Core {
    fn now(&self) -> Duration {
        self.clock.now()
    }

    fn add_timer(&self, deadline: Duration, waker: &Waker) -> TimerId {
        self.timers.borrow_mut().push(deadline, TimerAction::Wake(waker.clone()))
    }

    fn cancel_timer(&self, id: TimerId) {
        self.timers.borrow_mut().cancel(id);
    }

    fn block_for(&self, duration: Duration) {
        self.clock.block_for(duration)
    }
}

/// A `call_later` callback that has not run yet (asyncio: `TimerHandle`).
#[derive(Debug)]
#[must_use = "dropping the handle does not cancel the callback; keep it to cancel"]
pub struct TimerHandle {
    id: TimerId,
    core: Weak<Core>,
}

impl TimerHandle {
    /// When the callback is due, in loop time.
    pub fn deadline(&self) -> Duration {
        self.id.deadline
    }

    /// Withdraws the callback. `false` if it already ran (or the loop is gone).
    /// Consumes the handle: a timer is cancelled at most once.
    pub fn cancel(self) -> bool {
        match self.core.upgrade() {
            Some(core) => core.timers.borrow_mut().cancel(self.id),
            None => false,
        }
    }
}

thread_local! {
    /// The event loop running on this thread, if any.
    static RUNNING: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// The loop running on this thread, weakly (for objects that outlive a run).
pub(crate) fn running_loop() -> Option<Weak<Core>> {
    RUNNING.with(|running| running.borrow().as_ref().map(Rc::downgrade))
}

/// `true` while an event loop runs on this thread.
pub(crate) fn loop_is_running() -> bool {
    RUNNING.with(|running| running.borrow().is_some())
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
