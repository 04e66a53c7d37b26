//! The loop's seams: the named places where later stages plug in.
//!
//! Stage 4 is a whole event loop, but later stages add to what happens
//! around its steps, while it waits, and when it fails. They must not be
//! edited *into* stage 4 (a reader of stage 4 would meet stage 8's sockets),
//! so stage 4 names the few places where they attach and gives each a
//! default — the way trio keeps its instruments and its `io_manager` behind
//! names, CPython's `_run_once` has slow-callback timing as one debug
//! branch, and `async-task`'s task takes a `schedule` function instead of
//! knowing its executor.
//!
//! | seam | decides | stage 4's default | filled by |
//! |---|---|---|---|
//! | [`StepWatch`] and [`StepBeacon`] | what happens around a step | nothing | stage 6: slow-step detector, unobserved-failure log |
//! | [`IdleWait`] | how the loop waits when nothing is ready (and, if asked, what it takes from outside when something is) | [`ClockWait`]: stage 3's clock | stage 8: `poll(2)` with a self-pipe |
//! | [`WaitsOn`], [`CancelTarget`] | what a waiting task waits on, and whether a cancellation passes into it | a task awaiting a task | stage 5: promises, gathers; stage 7: queues, locks (a lock also says who holds it: [`HeldBy`]) |
//! | [`Explainer`] | the deadlock report | names the stuck tasks | stage 6: says what each waits on (reads `WaitsOn`) |
//! | [`CancelPolicy`] | where a cancel request goes | the task's next step | stage 6: down the await chain first |
//! | [`Observer`](super::Observer) | who watches | nobody | `observe/`: trace, timeline, step mode |
//! | [`Reorder`] | the order of one iteration | FIFO | `observe/shuffle`: `RONDO_SHUFFLE` |
//! | [`task_being_stepped`] | which task a parked coroutine belongs to | (read only) | stage 7: a waiter sees its task's cancel request |
//!
//! Each is checked with one branch or called through one pointer; with
//! nothing installed they cost within noise (`docs/performance.md`).
//!
//! (Over 300 lines with its tests: seven seams, each with its default, the
//! `Core` methods that fill and read them, and a test per seam that matters.)

use super::core::Core;
use super::loop_error::StuckTask;
use super::runnable::Runnable;
use super::task_cell::AnyTask;
use super::task_table::TaskKey;
use std::any::Any;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// What the loop is doing, for a [`StepWatch`] that cares (a watchdog
/// thread sleeps while the loop does not step).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Activity {
    /// `run_forever` (or `run_until_complete`) begins.
    Running,
    /// The loop is about to wait: nothing is ready.
    Waiting,
    /// The wait is over.
    Woken,
    /// The run has ended.
    Stopped,
}

/// Around a step: told when a task panics and when the loop runs or idles —
/// and, if it asks for it when installed, before and after every step.
///
/// Every step is the loop's hottest path: two calls through a pointer cost
/// a `yield_now` a quarter more (measured: 276 → 353 instructions). So a
/// watch that only needs to notice *long* steps does not ask for every step:
/// it reads the [`StepBeacon`] from another thread instead, and is called
/// only for a step its watcher flagged.
pub(crate) trait StepWatch: Any {
    fn activity(&self, core: &Core, activity: Activity);
    /// Before each step (only if installed with `every_step`).
    fn step_started(&self, core: &Core, task: &dyn AnyTask);
    /// After each step (only if installed with `every_step`).
    fn step_ended(&self, core: &Core, task: &dyn AnyTask);
    /// After a step that the beacon's watcher flagged while it ran.
    fn step_flagged(&self, core: &Core, task: &dyn AnyTask);
    /// A task ended in this step by panicking. (Only then: told of every
    /// end, the watch would cost every task a call.)
    fn task_panicked(&self, core: &Core, task: &Rc<dyn AnyTask>);
    /// An awaiter took a panicked task's error: it is observed.
    fn panic_observed(&self, core: &Core);
    /// For the stage that installed it, to find it again.
    fn as_any(&self) -> &dyn Any;
}

/// The loop's step number, published for a watcher on another thread.
///
/// The one `Arc` and the one atomic of stage 4: a thread outside the loop
/// cannot read a `Cell`. The loop writes the number of the step it is
/// taking (odd while the step runs, even between steps) with two relaxed
/// stores per step, and after the step looks at `flagged`, which the watcher
/// sets when it has something to say about that step (stage 6's watchdog:
/// "it ran past the threshold").
#[derive(Default)]
pub(crate) struct StepBeacon {
    /// `(step number << 1) | 1` while a step runs, `step number << 1` between steps.
    pub(crate) step: AtomicU64,
    /// Set by the watcher; cleared by whoever handles it.
    pub(crate) flagged: AtomicBool,
}

impl StepBeacon {
    #[inline]
    pub(crate) fn step_started(&self, seq: u64) {
        self.step.store((seq << 1) | 1, Ordering::Relaxed);
    }

    /// The step is over: `true` if the watcher flagged it.
    #[inline]
    pub(crate) fn step_ended(&self, seq: u64) -> bool {
        self.step.store(seq << 1, Ordering::Relaxed);
        self.flagged.load(Ordering::Acquire)
    }
}

/// The idle wait: nothing is ready; wait for the next deadline, or for
/// something outside the loop.
///
/// Kept as an `Rc` so that the stage that installs one can find it again
/// ([`Core::idle_wait_or_install`]): stage 8's selector is also where its
/// sockets register and its threads' results arrive.
pub(crate) trait IdleWait: Any {
    /// Waits until `deadline` (`None`: no timer is pending). Returns `false`
    /// if nothing could ever end the wait — the loop is deadlocked.
    fn wait(&self, core: &Core, deadline: Option<Duration>) -> bool;
    /// Something is ready, so the loop will not wait: take what the outside
    /// world has for this iteration anyway (asyncio calls `select(0)` in
    /// every iteration). Called only for an idle wait installed with
    /// `busy_too`: stage 3's clock has nothing to take.
    fn poll_now(&self, core: &Core) {
        let _ = core;
    }
    /// For the stage that installed it, to find it again.
    fn as_any(self: Rc<Self>) -> Rc<dyn Any>;
}

/// Stage 3's wait: the clock sleeps the thread until the deadline (or a
/// virtual clock jumps to it). Without a deadline nothing can come: the loop
/// has only timers to wait for until stage 8 lets it wait for the world.
pub(crate) struct ClockWait;

impl IdleWait for ClockWait {
    fn wait(&self, core: &Core, deadline: Option<Duration>) -> bool {
        match deadline {
            Some(deadline) => {
                core.clock.wait_until(deadline);
                true
            }
            None => false,
        }
    }

    fn as_any(self: Rc<Self>) -> Rc<dyn Any> {
        self
    }
}

/// Something tasks wait on that can say so: a promise, a gather, a queue.
pub(crate) trait WaitsOn {
    /// Wake-target addresses of the wakers it holds (see `Waker::target_addr`).
    fn waiter_addrs(&self) -> Vec<usize>;
    /// What it is, e.g. "awaits a promise nobody has resolved (created at src/main.rs:7:13)".
    fn describe(&self) -> String;
    /// Who holds it, if it is a thing one task holds and the others wait
    /// to acquire (stage 7's `Lock`); `None` for everything else, and for
    /// a free thing or one taken outside any task. The explainer adds
    /// "held by 'B'" to [`describe`](WaitsOn::describe), and follows the
    /// holder to find a cycle of waits.
    fn held_by(&self) -> Option<HeldBy> {
        None
    }
}

/// Who holds a thing that its waiters wait to acquire — said generically,
/// so that the explainer (stage 6) can follow it without knowing the thing
/// (stage 7's `Lock`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeldBy {
    /// The holder task's address: the same number its wakers give as
    /// `Waker::target_addr` (the data pointer of its `Rc<dyn AnyTask>`).
    /// The thing keeps a `Weak` to the task, so the address cannot be reused
    /// by another task while it is reported; a holder that has finished
    /// (its guard outlived it) matches no unfinished task.
    pub(crate) task_addr: usize,
    /// What is held, for a sentence about a cycle: "Lock 'fork'", "a Lock
    /// (created at src/main.rs:3:9)".
    pub(crate) what: String,
}

/// Something a task awaits that a cancellation of the task passes into —
/// asyncio's `Task.cancel()` cancels the future the task waits on
/// (`_fut_waiter`), and a gather's future cancels its children.
pub(crate) trait CancelTarget {
    /// The tasks to cancel in the awaiter's place, if the wait is still on:
    /// the awaiter is then left waiting, to be woken when they have ended.
    /// `None`: nothing to pass the cancellation into (the awaiter's next step
    /// is its end).
    fn pass_cancel(&self) -> Option<Vec<TaskKey>>;
}

/// Writes the deadlock report: every unfinished task, and what it waits on.
pub(crate) type Explainer = fn(&Core) -> Vec<StuckTask>;

/// Carries a cancel request to the task at `key` (the request flag is set
/// by then, and the `CancelRequested` event sent).
pub(crate) type CancelPolicy = fn(&Core, TaskKey);

/// Reorders the runnables of one iteration before they run.
pub(crate) type Reorder = Box<dyn FnMut(&mut [Runnable])>;

/// Stage 4's report: who is stuck, without knowing on what.
pub(crate) fn name_the_stuck(core: &Core) -> Vec<StuckTask> {
    let waits_on = "is still waiting (stage 6's explainer says on what)".to_string();
    core.unfinished_tasks()
        .iter()
        .map(|task| StuckTask { task: task.header().info(), waits_on: waits_on.clone() })
        .collect()
}

/// Stage 4's cancellation: the task's next step is its end.
pub(crate) fn cancel_at_next_step(core: &Core, key: TaskKey) {
    core.step_soon(key);
}

/// Filling the seams, and reading what they hold.
impl Core {
    /// The deadlock report, by the installed explainer.
    pub(crate) fn explain(&self) -> Vec<StuckTask> {
        (self.explainer.get())(self)
    }

    /// The wakers (by target address) of timers that never come: sleeps
    /// past the end of time. For the deadlock report; walks the timers.
    pub(crate) fn waiting_forever(&self) -> Vec<usize> {
        let timers = self.timers.borrow().live_entries();
        timers
            .into_iter()
            .filter(|(deadline, _)| crate::stage3_sleep::is_never(*deadline))
            .filter_map(|(_, w)| w)
            .collect()
    }

    /// Everything alive that reported what its waiters wait on.
    pub(crate) fn waits_on(&self) -> Vec<Rc<dyn WaitsOn>> {
        self.waits_on.borrow().iter().filter_map(Weak::upgrade).collect()
    }

    pub(crate) fn add_waits_on(&self, what: Weak<dyn WaitsOn>) {
        let mut all = self.waits_on.borrow_mut();
        // Forget dead ones now and then, so the list stays as long as the live ones.
        if all.len() >= 64 && all.len().is_power_of_two() {
            all.retain(|w| w.strong_count() > 0);
        }
        all.push(what);
    }

    /// Records that the running task now awaits `target` (a gather), so
    /// that cancelling the task can pass into it.
    pub(crate) fn note_awaiting_target(&self, target: Weak<dyn CancelTarget>) {
        if let Some(current) = self.current.get()
            && let Some(task) = self.tasks.borrow().get(current)
        {
            // The header says "a target" (no hashing when the task ends
            // otherwise); the map says which.
            task.header().awaiting.set(TaskKey::TARGET);
            self.awaited_targets.borrow_mut().insert(current, target);
        }
    }

    /// What the task at `key` awaits that a cancellation can pass into, if anything.
    pub(crate) fn awaited_target(&self, key: TaskKey) -> Option<Rc<dyn CancelTarget>> {
        let task = self.task(key)?;
        if task.header().awaiting.get() != TaskKey::TARGET {
            return None;
        }
        self.awaited_targets.borrow().get(&key)?.upgrade()
    }

    /// The task being stepped, if any: for code that reads what it awaits
    /// before covering it with a target of its own (stage 7's `TaskGroup`
    /// and `timeout_at` cancel what their body awaits first, as asyncio does).
    pub(crate) fn stepping_task(&self) -> Option<Rc<dyn AnyTask>> {
        self.task(self.current.get()?)
    }

    // Filling the seams.

    /// The step watch, installing it with `make` if there is none yet;
    /// `every_step`: call it before and after every step.
    pub(crate) fn step_watch_or_install(
        &self,
        make: impl FnOnce() -> Rc<dyn StepWatch>,
        every_step: bool,
    ) -> &Rc<dyn StepWatch> {
        self.step_watch.get_or_init(|| {
            self.watch_every_step.set(every_step);
            make()
        })
    }

    /// The step beacon, made the first time a watcher asks for it.
    pub(crate) fn step_beacon(&self) -> std::sync::Arc<StepBeacon> {
        self.beacon.get_or_init(Default::default).clone()
    }

    pub(crate) fn step_watch(&self) -> Option<&Rc<dyn StepWatch>> {
        self.step_watch.get()
    }

    /// The installed idle wait if it is a `W`, or `make()` installed in its
    /// place. `busy_too`: also ask it in iterations that do not wait
    /// ([`IdleWait::poll_now`]) — one more branch per iteration, so only
    /// a wait that has something to take asks for it.
    pub(crate) fn idle_wait_or_install<W: IdleWait>(
        &self,
        make: impl FnOnce() -> Rc<W>,
        busy_too: bool,
    ) -> Rc<W> {
        let installed = self.idle_wait.borrow().clone();
        if let Ok(found) = installed.as_any().downcast::<W>() {
            return found;
        }
        let made = make();
        *self.idle_wait.borrow_mut() = made.clone();
        self.poll_when_busy.set(busy_too);
        made
    }

    pub(crate) fn set_explainer(&self, explainer: Explainer) {
        self.explainer.set(explainer);
    }

    pub(crate) fn set_cancel_policy(&self, policy: CancelPolicy) {
        self.cancel_policy.set(policy);
    }

    pub(crate) fn set_reorder(&self, reorder: Reorder) {
        *self.reorder.borrow_mut() = Some(reorder);
    }
}

/// Tells the running loop (if any) that its current task now awaits
/// `target`, so that cancelling the task passes into it.
pub(crate) fn report_awaiting_target(target: Weak<dyn CancelTarget>) {
    super::running::with_running_core(|core| core.note_awaiting_target(target));
}

/// Tells the running loop (if any) what some waiters wait on, for deadlock
/// reports. Call it once per thing, when the first waiter arrives.
pub(crate) fn report_waits_on(what: Weak<dyn WaitsOn>) {
    super::running::with_running_core(|core| core.add_waits_on(what));
}

/// The task the running loop is stepping, weakly, if any: a waiter of a
/// stage-7 primitive keeps it to see whether its task has been asked to
/// cancel. asyncio marks the waiter's future cancelled the moment
/// `task.cancel()` is called, and its locks and queues skip such waiters at
/// once; rondo drops the coroutine only at the task's next step, so the
/// primitive asks the task's flag instead.
pub(crate) fn task_being_stepped() -> Option<Weak<dyn AnyTask>> {
    let mut found = None;
    super::running::with_running_core(|core| found = core.stepping_task().map(|task| Rc::downgrade(&task)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage3_sleep::Clock;
    use crate::{CoroutineExt, EventLoop, LoopError, Transcript, lazy, sleep, spawn};
    use std::cell::RefCell;

    /// Logs on drop: a coroutine's `finally:`.
    struct Finally(Transcript, &'static str);
    impl Drop for Finally {
        fn drop(&mut self) {
            self.0.say(self.1);
        }
    }

    /// Cancels `outer`, which awaits `inner`, on `ev`: whose clean-up runs first?
    fn cancel_a_chain(ev: EventLoop) -> Vec<String> {
        let out = Transcript::new();
        let o = out.clone();
        let main = lazy(move || {
            let guard = Finally(o.clone(), "inner cleanup");
            let inner = spawn(sleep(Duration::from_secs(10)).map(move |()| drop(guard)));
            let guard = Finally(o.clone(), "outer cleanup");
            let outer = spawn(inner.map(move |_| drop(guard)));
            sleep(Duration::from_secs(1)).map(move |()| assert!(outer.cancel()))
        });
        ev.run(main.then(|c| c)).unwrap();
        out.lines()
    }

    #[test]
    fn the_cancel_policy_decides_whose_clean_up_runs_first() {
        // Stage 4 alone: the outer task ends at its next step, and dropping
        // its awaited handle in the cancel scope then cancels the inner one.
        let bare = cancel_a_chain(EventLoop::bare(Clock::virtual_()));
        assert_eq!(bare, ["outer cleanup", "inner cleanup"]);
        // With stage 6's policy, as asyncio: down the chain first.
        let full = cancel_a_chain(EventLoop::new_virtual());
        assert_eq!(full, ["inner cleanup", "outer cleanup"]);
    }

    #[test]
    fn the_default_explainer_names_the_stuck_tasks() {
        let ev = EventLoop::bare(Clock::virtual_());
        let _stuck = ev.spawn_named("stuck", crate::test_support::never());
        let LoopError::Deadlock { stuck } = ev.run_forever().unwrap_err() else { panic!("a deadlock") };
        assert_eq!(stuck.len(), 1);
        assert_eq!(stuck[0].task.name, "stuck");
        assert!(stuck[0].waits_on.starts_with("is still waiting"), "{}", stuck[0].waits_on);
    }

    /// An idle wait that writes down every deadline it is asked to wait for.
    struct Logged(Rc<RefCell<Vec<Option<Duration>>>>);
    impl IdleWait for Logged {
        fn wait(&self, core: &Core, deadline: Option<Duration>) -> bool {
            self.0.borrow_mut().push(deadline);
            ClockWait.wait(core, deadline)
        }
        fn as_any(self: Rc<Self>) -> Rc<dyn Any> {
            self
        }
    }

    #[test]
    fn the_idle_wait_is_asked_only_when_nothing_is_ready() {
        let ev = EventLoop::bare(Clock::virtual_());
        let log = Rc::new(RefCell::new(vec![]));
        let logged = ev.core().idle_wait_or_install(|| Rc::new(Logged(log.clone())), false);
        assert!(Rc::ptr_eq(&logged, &ev.core().idle_wait_or_install(|| panic!("installed once"), false)));
        let s = Duration::from_secs;
        ev.run_until_complete(sleep(s(1)).then(move |()| sleep(s(2)))).unwrap();
        assert_eq!(*log.borrow(), [Some(s(1)), Some(s(3))]);
        assert_eq!(ev.run_forever().unwrap_err(), LoopError::Deadlock { stuck: vec![] });
        assert_eq!(log.borrow().last(), Some(&None), "no timer: asked, and it said nothing can come");
    }
}
