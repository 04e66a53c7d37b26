//! `EventLoop`: asyncio's `BaseEventLoop._run_once`, one iteration at a time.
//!
//! ```text
//! loop {
//!     1. wait:  0 if something is ready (or we are stopping),
//!               else until the earliest timer — the thread sleeps, or a
//!               virtual clock jumps; no timer and nothing ready = deadlock
//!     2. move every due timer, earliest (deadline, seq) first, to the
//!        tail of the ready queue
//!     3. run exactly the handles queued *now*, FIFO; whatever they queue
//!        waits for the next iteration
//!     if stopping { break }
//! }
//! ```
//! Rule 3 is the one that decides asyncio's order of events: a task spawned
//! in this iteration takes its first step in the next; a task woken by
//! another's completion runs one iteration after it.

use super::core::{Core, RunningGuard, TimerHandle};
use super::handle::Handle;
use super::hooks::{LoopEvent, Observer};
use super::task::{AnyTask, Task, TaskError, TaskInfo};
use super::task_table::TaskKey;
use super::timer_heap::TimerAction;
use crate::observe::shuffle::Shuffler;
use crate::stage3_sleep::Clock;
use crate::stage6_failure::deadlock::{self, StuckTask};
use crate::stage6_failure::slow_step::Watchdog;
use crate::stage6_failure::{SlowStep, Unobserved};
use crate::{Context, Coroutine, Poll, Waker};
use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

/// Why a loop run ended without the result it was asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoopError {
    /// Nothing is ready, no timer is pending, and nothing outside the loop can
    /// wake it — yet these tasks are still waiting. They would wait forever;
    /// asyncio, trio and tokio hang here, rondo stops and says who is stuck.
    Deadlock {
        /// The unfinished tasks, and what each waits on.
        stuck: Vec<StuckTask>,
    },
    /// `stop()` was called before the coroutine given to `run_until_complete` finished.
    StoppedBeforeComplete,
    /// The main coroutine's task ended without an output.
    Main(TaskError),
}

impl fmt::Display for LoopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoopError::Deadlock { stuck } if stuck.is_empty() => f.write_str(
                "deadlock: the loop has nothing to run, no timer pending and nothing that could wake it \
                 (run_forever would wait forever: call stop())",
            ),
            LoopError::Deadlock { stuck } => {
                write!(
                    f,
                    "deadlock: nothing is ready, no timer is pending, but {} task(s) still wait:",
                    stuck.len()
                )?;
                for task in stuck {
                    write!(f, "\n  {task}")?;
                }
                Ok(())
            }
            LoopError::StoppedBeforeComplete => {
                f.write_str("the event loop was stopped before the main coroutine completed")
            }
            LoopError::Main(error) => write!(f, "the main task failed: {error}"),
        }
    }
}

impl std::error::Error for LoopError {}

/// An event loop: tasks, a ready queue, timers, and a clock.
///
/// ```
/// use rondo::{EventLoop, sleep};
/// use std::time::Duration;
///
/// let ev = EventLoop::new_virtual();
/// ev.run_until_complete(sleep(Duration::from_secs(3600))).unwrap();
/// assert_eq!(ev.time(), 3600.0); // an hour, in no time
/// ```
pub struct EventLoop {
    core: Rc<Core>,
}

impl Default for EventLoop {
    fn default() -> Self {
        EventLoop::new()
    }
}

impl EventLoop {
    /// A loop on the real, monotonic clock.
    pub fn new() -> EventLoop {
        EventLoop::with_clock(Clock::real())
    }

    /// A loop on a virtual clock: when nothing is ready, time jumps to the next deadline.
    pub fn new_virtual() -> EventLoop {
        EventLoop::with_clock(Clock::virtual_())
    }

    /// A loop on the given clock.
    pub fn with_clock(clock: Clock) -> EventLoop {
        let ev = EventLoop { core: Core::new(clock) };
        // RONDO_TRACE and friends: watch any program without changing it.
        if let Some(observer) = crate::observe::from_env() {
            ev.observe(observer);
        }
        if let Some(seed) = crate::observe::shuffle::seed_from_env() {
            eprintln!(
                "rondo: RONDO_SHUFFLE={seed}: same-iteration order shuffled; run again with this seed to replay"
            );
            ev.shuffle(seed);
        }
        ev
    }

    /// Runs the handles of each iteration in an order shuffled from `seed`
    /// instead of FIFO (`RONDO_SHUFFLE`). The same seed gives the same schedule.
    pub fn shuffle(&self, seed: u64) {
        *self.core.shuffler.borrow_mut() = Some(Shuffler::new(seed));
    }

    /// The loop's time in seconds since it was made (asyncio: `loop.time()`).
    pub fn time(&self) -> f64 {
        self.core.clock.now().as_secs_f64()
    }

    /// The loop's time as a `Duration`.
    pub fn now(&self) -> Duration {
        self.core.clock.now()
    }

    /// `true` if the loop runs on a virtual clock.
    pub fn is_virtual(&self) -> bool {
        self.core.clock.is_virtual()
    }

    /// Iterations run so far.
    pub fn iterations(&self) -> u64 {
        self.core.iterations.get()
    }

    /// Schedules `coroutine` as a task (asyncio: `loop.create_task`); it starts
    /// when the loop runs. Works before the loop runs, unlike [`spawn`](crate::spawn).
    #[track_caller]
    pub fn spawn<C>(&self, coroutine: C) -> Task<C::Output>
    where
        C: Coroutine + 'static,
        C::Output: 'static,
    {
        self.core.spawn(coroutine, None, Location::caller())
    }

    /// Like [`spawn`](EventLoop::spawn), with a name.
    #[track_caller]
    pub fn spawn_named<C>(&self, name: &str, coroutine: C) -> Task<C::Output>
    where
        C: Coroutine + 'static,
        C::Output: 'static,
    {
        self.core.spawn(coroutine, Some(name.into()), Location::caller())
    }

    /// Runs `callback` on the next iteration (asyncio: `loop.call_soon`).
    pub fn call_soon(&self, callback: impl FnOnce() + 'static) {
        self.core.call_soon(Box::new(callback));
    }

    /// Runs `callback` once `delay` has passed (asyncio: `loop.call_later`).
    pub fn call_later(&self, delay: Duration, callback: impl FnOnce() + 'static) -> TimerHandle {
        self.core.call_later(delay, Box::new(callback))
    }

    /// Stops the loop once the current iteration ends (asyncio: `loop.stop()`).
    pub fn stop(&self) {
        self.core.stop();
    }

    /// Installs an observer of the loop's events (replacing any other);
    /// see [`hooks`](super::hooks).
    pub fn observe(&self, observer: Box<dyn Observer>) {
        *self.core.observer.borrow_mut() = Some(observer);
        self.core.observing.set(true);
    }

    /// Removes the observer, returning it.
    pub fn stop_observing(&self) -> Option<Box<dyn Observer>> {
        self.core.observing.set(false);
        self.core.observer.borrow_mut().take()
    }

    #[cfg(test)]
    pub(crate) fn core_for_tests(&self) -> Rc<Core> {
        self.core.clone()
    }

    /// Unfinished tasks.
    pub fn all_tasks(&self) -> Vec<TaskInfo> {
        self.core.all_tasks()
    }

    /// Runs until [`stop`](EventLoop::stop) is called (asyncio: `loop.run_forever()`).
    ///
    /// # Errors
    /// [`LoopError::Deadlock`] when nothing can ever happen again.
    ///
    /// # Panics
    /// When called from inside a running loop.
    pub fn run_forever(&self) -> Result<(), LoopError> {
        let _running = RunningGuard::enter(&self.core, "run_forever()");
        self.run_until_stopped()
    }

    fn run_until_stopped(&self) -> Result<(), LoopError> {
        self.start_watchdog();
        self.core.watchdog.get().inspect(|w| w.set_idle(false));
        let result = loop {
            if let Err(error) = self.run_once() {
                break Err(error);
            }
            if self.core.stopping.get() {
                break Ok(());
            }
        };
        self.core.stopping.set(false);
        self.core.watchdog.get().inspect(|w| w.set_idle(true));
        if self.core.observing.get()
            && let Some(observer) = self.core.observer.borrow_mut().as_mut()
        {
            observer.finished(self.core.clock.now());
        }
        result
    }

    /// Runs `main` as a task until it finishes and returns its output
    /// (asyncio: `loop.run_until_complete`). Other tasks are left as they are.
    ///
    /// As in asyncio, `main` finishing *schedules* the stop: the handles
    /// already queued in that iteration still run (seed 001: "finished", then
    /// "I am foo").
    ///
    /// # Errors
    /// A deadlock, `stop()` before `main` finished, or `main`'s task failing.
    ///
    /// # Panics
    /// When called from inside a running loop.
    #[track_caller]
    pub fn run_until_complete<C>(&self, main: C) -> Result<C::Output, LoopError>
    where
        C: Coroutine + 'static,
        C::Output: 'static,
    {
        let _running = RunningGuard::enter(&self.core, "run_until_complete()");
        let mut task = self.core.spawn(main, None, Location::caller());
        self.core.main_task.set(Some(task.key()));
        let result = self.run_until_stopped();
        self.core.main_task.set(None);
        result?;
        let noop = Waker::noop();
        match task.poll(&mut Context::from_waker(&noop)) {
            Poll::Ready(Ok(output)) => Ok(output),
            // A panic in main is the caller's panic (asyncio.run re-raises).
            Poll::Ready(Err(TaskError::Panicked(message))) => {
                std::panic::resume_unwind(Box::new(message.to_string()))
            }
            Poll::Ready(Err(error)) => Err(LoopError::Main(error)),
            Poll::Pending => Err(LoopError::StoppedBeforeComplete),
        }
    }

    /// asyncio's `asyncio.run`: runs `main` to completion, then cancels (drops)
    /// every task still pending, and returns `main`'s output.
    ///
    /// # Errors
    /// As [`run_until_complete`](EventLoop::run_until_complete).
    ///
    /// # Panics
    /// When called from inside a running loop.
    #[track_caller]
    pub fn run<C>(self, main: C) -> Result<C::Output, LoopError>
    where
        C: Coroutine + 'static,
        C::Output: 'static,
    {
        let result = self.run_until_complete(main);
        self.cancel_all();
        result
    }

    /// Cancels every unfinished task (their `Drop` runs now, inside the loop's
    /// context so that their sleeps withdraw their timers) and forgets every
    /// queued handle. Returns how many tasks were cancelled.
    pub fn cancel_all(&self) -> usize {
        let _running = RunningGuard::enter(&self.core, "cancel_all()");
        let cancelled = self.core.cancel_all();
        self.core.ready.borrow_mut().clear();
        cancelled
    }

    /// One iteration: wait, collect due timers, run the snapshot of the ready queue.
    fn run_once(&self) -> Result<(), LoopError> {
        let core = &*self.core;

        // 1. Wait — but only if there is nothing to do right now.
        if core.ready.borrow().is_empty() && !core.stopping.get() {
            let next = core.timers.borrow_mut().next_deadline();
            match next {
                Some(deadline) => {
                    if core.observing.get() {
                        let from = core.clock.now();
                        let event = if core.clock.is_virtual() {
                            LoopEvent::ClockJumped { from, to: deadline.max(from) }
                        } else {
                            LoopEvent::Idle { until: deadline }
                        };
                        core.emit(event);
                    }
                    let watchdog = core.watchdog.get();
                    watchdog.inspect(|w| w.set_idle(true));
                    core.clock.wait_until(deadline);
                    watchdog.inspect(|w| w.set_idle(false));
                }
                None => return Err(LoopError::Deadlock { stuck: deadlock::explain(core) }),
            }
        }

        core.iterations.set(core.iterations.get() + 1);
        if core.observing.get() {
            core.emit(LoopEvent::Iteration { n: core.iterations.get() });
        }

        // 2. Due timers join the tail of the ready queue, earliest first.
        {
            let mut timers = core.timers.borrow_mut();
            if timers.len() > 0 {
                let now = core.clock.now();
                let mut ready = core.ready.borrow_mut();
                let mut fired = Vec::new();
                timers.pop_due(now, |action| {
                    if core.observing.get() {
                        fired.push(match &action {
                            TimerAction::Wake(waker) => Some(waker.target_addr()),
                            TimerAction::Call(_) => None,
                        });
                    }
                    ready.push(action.into())
                });
                drop((ready, timers));
                if !fired.is_empty() {
                    let names = core.task_names_by_addr();
                    for target in fired {
                        let what = target
                            .and_then(|addr| names.iter().find(|(a, _)| *a == addr).map(|(_, n)| n.clone()))
                            .unwrap_or_else(|| "callback".to_string());
                        core.emit(LoopEvent::TimerFired { deadline: now, what });
                    }
                }
            }
        }

        // 3. Run exactly what is queued now. `pop_front` one at a time, with
        //    the borrow released, because each handle may queue more.
        let snapshot = core.ready.borrow().len();
        if let Some(shuffler) = core.shuffler.borrow_mut().as_mut() {
            // RONDO_SHUFFLE: same handles, this iteration, another order.
            core.ready.borrow_mut().permute(|handles| shuffler.shuffle(handles));
        }
        for _ in 0..snapshot {
            let handle = core.ready.borrow_mut().pop().expect("snapshot counted it");
            self.run_handle(handle);
        }
        Ok(())
    }

    fn run_handle(&self, handle: Handle) {
        match handle {
            Handle::Step(key) => self.run_step(key),
            Handle::Wake(waker) => waker.wake(),
            Handle::Call(callback) => callback(),
            Handle::Stop => self.core.stop(),
        }
    }

    /// Steps the task at `key` once, and finishes it if it is done.
    fn run_step(&self, key: TaskKey) {
        let core = &*self.core;
        // Clone the task out so no borrow of the table is held while it runs
        // (it may spawn). A missing key is a stale wake.
        let Some(task) = core.tasks.borrow().get(key).cloned() else { return };
        core.current.set(Some(key));
        // Stage 6: time the step — exactly under a virtual clock, by the
        // watchdog thread under the real one (see slow_step.rs).
        let seq = core.steps.get() + 1;
        core.steps.set(seq);
        let watchdog = core.watchdog.get();
        let timed = match watchdog {
            Some(watchdog) => {
                watchdog.step_started(seq, task.header().id);
                None
            }
            None => core.slow_step_threshold.get().map(|limit| (limit, core.clock.now())),
        };
        let observed_from = core.observing.get().then(|| {
            core.emit(LoopEvent::StepStarted { task: task.header().info() });
            core.clock.now()
        });
        let poll = task.step(&Waker::new(task.clone()));
        core.current.set(None);
        if let Some(watchdog) = watchdog
            && watchdog.step_ended(seq)
        {
            self.collect_sightings(watchdog, &*task);
        }
        if let Some((limit, started)) = timed {
            self.check_slow_step(&*task, started, limit);
        }
        if let Some(started) = observed_from {
            let held = core.clock.now().saturating_sub(started);
            let (ready, state) = (poll.is_ready(), task.state_name());
            core.emit(LoopEvent::StepEnded { task: task.header().info(), held, ready, state });
        }
        if poll.is_ready() {
            self.finish(key, &task);
        }
    }

    /// A task finished in this step: forget it, and tell whoever waits.
    fn finish(&self, key: TaskKey, task: &Rc<dyn AnyTask>) {
        let core = &*self.core;
        core.tasks.borrow_mut().remove(key);
        let panicked = task.panic_message();
        if core.observing.get() {
            let outcome = match (&panicked, task.header().cancel_requested.get()) {
                (Some(message), _) => format!("panicked: {message}"),
                (None, true) => "cancelled".to_string(),
                (None, false) => "done".to_string(),
            };
            core.emit(LoopEvent::Completed { task: task.header().info(), outcome });
        }
        if panicked.is_some() {
            core.failures.borrow_mut().push(task.clone());
        }
        // asyncio schedules a finished task's done-callbacks with call_soon,
        // in the order they were added: first the stop callback of
        // run_until_complete, then the awaiter.
        if core.main_task.get() == Some(key) {
            core.ready.borrow_mut().push(Handle::Stop);
        }
        if let Some(joiner) = task.header().joiner.take() {
            joiner.wake();
        }
    }
}

/// Stage 6: failures and blocking calls.
impl EventLoop {
    /// Reports steps that hold the loop longer than `threshold` (`None`: stop
    /// timing steps). The default is 100 ms.
    pub fn set_slow_step_threshold(&self, threshold: Option<Duration>) {
        self.core.slow_step_threshold.set(threshold);
        if let Some(watchdog) = self.core.watchdog.get() {
            watchdog.set_threshold(threshold);
        }
    }

    /// Starts the real clock's watchdog thread, the first time a loop runs.
    fn start_watchdog(&self) {
        let core = &self.core;
        if !core.clock.is_virtual()
            && core.watchdog.get().is_none()
            && core.slow_step_threshold.get().is_some()
        {
            let _ = core.watchdog.set(Watchdog::start(core.slow_step_threshold.get()));
        }
    }

    /// Turns the watchdog's sightings during `task`'s step into reports.
    fn collect_sightings(&self, watchdog: &Watchdog, task: &dyn AnyTask) {
        for sighting in watchdog.take_sightings() {
            if sighting.task_id != task.header().id {
                continue; // cannot happen: sightings are collected right after their step
            }
            let held = sighting.first_seen.elapsed();
            let at = self.core.clock.now().saturating_sub(held);
            let slow = SlowStep { task: task.header().info(), held, at };
            eprintln!("rondo: slow step: {slow}");
            self.core.slow_steps.borrow_mut().push(slow);
        }
    }

    /// The slow steps reported so far.
    pub fn slow_steps(&self) -> Vec<SlowStep> {
        self.core.slow_steps.borrow().clone()
    }

    /// Takes the failures nobody awaited so far (they are then not reported
    /// again when the loop is dropped).
    pub fn take_unobserved_failures(&self) -> Vec<Unobserved> {
        let failures = std::mem::take(&mut *self.core.failures.borrow_mut());
        failures
            .iter()
            .filter_map(|task| {
                let message = task.panic_message()?;
                Some(Unobserved { task: task.header().info(), message })
            })
            .collect()
    }

    fn check_slow_step(&self, task: &dyn AnyTask, started: Duration, limit: Duration) {
        let held = self.core.clock.now().saturating_sub(started);
        if held > limit {
            let slow = SlowStep { task: task.header().info(), held, at: started };
            eprintln!("rondo: slow step: {slow}");
            self.core.slow_steps.borrow_mut().push(slow);
        }
    }
}

impl Drop for EventLoop {
    /// asyncio's "Task exception was never retrieved": failures nobody
    /// awaited are said out loud, not lost.
    fn drop(&mut self) {
        for failure in self.take_unobserved_failures() {
            eprintln!("rondo: {failure}");
        }
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("time", &self.core.clock.now())
            .field("virtual", &self.core.clock.is_virtual())
            .field("tasks", &self.core.tasks.borrow().len())
            .field("ready", &self.core.ready.borrow().len())
            .field("timers", &self.core.timers.borrow().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{PollFn, never};
    use crate::{Transcript, sleep, spawn};

    #[test]
    fn call_soon_runs_fifo_next_iteration_and_call_later_on_time() {
        let ev = EventLoop::new_virtual();
        let out = Transcript::new();
        let (a, b, c) = (out.clone(), out.clone(), out.clone());
        let _late = ev.call_later(Duration::from_secs(2), move || a.say("later, 2 s"));
        ev.call_soon(move || b.say("soon 1"));
        ev.call_soon(move || c.say("soon 2"));
        ev.call_later(Duration::from_secs(3), crate::stop).cancel();
        let stopper = ev.call_later(Duration::from_secs(4), crate::stop);
        assert_eq!(stopper.deadline(), Duration::from_secs(4));
        ev.run_forever().unwrap();
        assert_eq!(out.stamped(), ["0.000 soon 1", "0.000 soon 2", "2.000 later, 2 s"]);
        assert_eq!(ev.time(), 4.0, "the cancelled stop at 3 s did not fire");
    }

    #[test]
    fn a_callback_due_at_time_zero_can_still_be_cancelled() {
        // Regression: the timer heap used to think everything due at or
        // before 0 had fired already, so this `cancel` was ignored.
        let ev = EventLoop::new_virtual();
        let out = Transcript::new();
        let log = out.clone();
        let timer = ev.call_later(Duration::ZERO, move || log.say("ran anyway"));
        assert!(timer.cancel(), "it has not run yet");
        ev.call_soon(crate::stop);
        ev.run_forever().unwrap();
        assert!(out.lines().is_empty(), "{:?}", out.lines());
    }

    #[test]
    fn stop_finishes_the_current_iteration_only() {
        // asyncio: stop() sets a flag; what the current iteration queues for
        // the next one does not run.
        let ev = EventLoop::new_virtual();
        let out = Transcript::new();
        let (a, b) = (out.clone(), out.clone());
        ev.call_soon(move || {
            crate::stop();
            a.say("same iteration, after stop()");
            crate::call_soon(move || b.say("next iteration"));
        });
        ev.run_forever().unwrap();
        assert_eq!(out.lines(), ["same iteration, after stop()"]);
        // The queued callback runs when the loop runs again.
        ev.call_soon(crate::stop);
        ev.run_forever().unwrap();
        assert_eq!(out.lines(), ["same iteration, after stop()", "next iteration"]);
    }

    #[test]
    fn run_forever_with_nothing_to_do_is_an_error_not_a_hang() {
        let error = EventLoop::new_virtual().run_forever().unwrap_err();
        assert_eq!(error, LoopError::Deadlock { stuck: vec![] });
        assert!(error.to_string().contains("call stop()"));
    }

    #[test]
    fn stopping_before_main_finishes_is_reported() {
        let ev = EventLoop::new_virtual();
        let _stop = ev.call_later(Duration::from_secs(1), crate::stop);
        let error = ev.run_until_complete(sleep(Duration::from_secs(5))).unwrap_err();
        assert_eq!(error, LoopError::StoppedBeforeComplete);
    }

    #[test]
    fn run_cancels_what_is_left_and_their_handles_say_cancelled() {
        let ev = EventLoop::new_virtual();
        let orphan = ev.spawn(never());
        let sleeper = ev.spawn(sleep(Duration::from_secs(60)));
        ev.run(PollFn(|_: &mut Context<'_>| Poll::Ready(()))).unwrap();
        let noop = Waker::noop();
        let mut cx = Context::from_waker(&noop);
        for mut task in [orphan, sleeper] {
            assert!(task.done());
            assert_eq!(task.poll(&mut cx), Poll::Ready(Err(TaskError::Cancelled)));
        }
    }

    #[test]
    fn a_hundred_thousand_cancelled_sleepers_leave_no_timer_and_no_task() {
        let ev = EventLoop::new_virtual();
        let main = PollFn(|_: &mut Context<'_>| {
            for _ in 0..100_000 {
                drop(spawn(sleep(Duration::from_secs(1))));
            }
            Poll::Ready(())
        });
        ev.run_until_complete(main).unwrap();
        assert_eq!(ev.all_tasks().len(), 100_000);
        // Step the loop once more so every sleeper has registered its timer.
        ev.call_soon(crate::stop);
        ev.run_forever().unwrap();
        assert_eq!(ev.core.timers.borrow().len(), 100_000);
        assert_eq!(ev.cancel_all(), 100_000);
        assert_eq!(ev.core.timers.borrow().len(), 0);
        assert!(ev.core.timers.borrow().capacity_used() < 100, "the heap was compacted");
        assert_eq!(ev.core.tasks.borrow().len(), 0);
        assert_eq!(ev.time(), 0.0);
    }

    #[test]
    fn a_wake_while_the_loop_is_not_running_is_kept_for_the_next_run() {
        // A task parked on a waker we hold; we wake it from outside the loop.
        let ev = EventLoop::new_virtual();
        let parked = std::rc::Rc::new(std::cell::RefCell::new(None::<Waker>));
        let p = parked.clone();
        let mut woken = false;
        let task = ev.spawn(PollFn(move |cx: &mut Context<'_>| {
            if woken {
                return Poll::Ready(42);
            }
            woken = true;
            *p.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }));
        ev.call_soon(crate::stop);
        ev.run_forever().unwrap();
        assert!(!task.done());
        parked.borrow_mut().take().unwrap().wake(); // outside any running loop
        assert_eq!(ev.run_until_complete(task).unwrap(), Ok(42));
    }
}
