//! The slow-step detector: a poll that holds the loop too long is a blocking call.
//!
//! Cooperative scheduling trusts every coroutine to return quickly. One that
//! calls `std::thread::sleep`, blocks on I/O, or crunches numbers without a
//! `yield_now` freezes every other task (seed 000's `time.sleep` inside
//! `highest_prime_below`). A step longer than the threshold (100 ms unless
//! set otherwise) is reported on stderr with the task's name, and kept for
//! [`EventLoop::slow_steps`](crate::EventLoop::slow_steps). Under a virtual
//! clock the loop times each step itself — a `blocking_sleep` moves time
//! forward, so tests catch the offender exactly; under the real clock a
//! `Watchdog` thread does it, so that fast steps pay almost nothing.

use super::supervisor::Supervisor;
use super::watchdog::Watchdog;
use crate::stage4_event_loop::{AnyTask, Core};
use crate::{EventLoop, TaskInfo};
use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;
use std::time::Duration;

/// The threshold the loop starts with.
pub const DEFAULT_SLOW_STEP: Duration = Duration::from_millis(100);

/// One step that held the loop longer than the threshold.
///
/// ```
/// use rondo::{EventLoop, blocking_sleep, lazy};
/// use std::time::Duration;
///
/// // asyncio debug mode: "Executing <Task ...> took 0.500 seconds"
/// let ev = EventLoop::new_virtual(); // a blocking sleep moves virtual time: no real wait
/// ev.run_until_complete(lazy(|| blocking_sleep(Duration::from_millis(500)))).unwrap();
/// let slow = &ev.slow_steps()[0];
/// assert_eq!((slow.task.name.as_str(), slow.held), ("Task-1", Duration::from_millis(500)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlowStep {
    /// The task that held the loop.
    pub task: TaskInfo,
    /// For how long.
    pub held: Duration,
    /// Loop time when the step began.
    pub at: Duration,
}

impl fmt::Display for SlowStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "task '{}' (spawned at {}) held the loop for {:.3} s in one step at t={:.3}: \
             a blocking call (std::thread::sleep, blocking I/O, a long computation without yield_now)?",
            self.task.name,
            self.task.spawned_at,
            self.held.as_secs_f64(),
            self.at.as_secs_f64()
        )
    }
}

/// Times every step against a threshold, and keeps the slow ones.
///
/// Under a virtual clock it is called before and after every step and reads
/// the clock. Under the real clock it starts a [`Watchdog`] thread on the
/// loop's step beacon, and is called only for the steps the watchdog flags.
pub(crate) struct SlowStepDetector {
    /// Steps longer than this are reported (`None`: not timed).
    threshold: Cell<Option<Duration>>,
    slow_steps: RefCell<Vec<SlowStep>>,
    /// Real clock: the thread that spots slow steps (started by the first run).
    watchdog: OnceCell<Watchdog>,
    /// Virtual clock: when the running step began.
    started: Cell<Option<Duration>>,
}

impl SlowStepDetector {
    pub(crate) fn new(threshold: Option<Duration>) -> SlowStepDetector {
        SlowStepDetector {
            threshold: Cell::new(threshold),
            slow_steps: RefCell::new(Vec::new()),
            watchdog: OnceCell::new(),
            started: Cell::new(None),
        }
    }

    /// The loop runs (`true`) or waits or has stopped: under the real clock,
    /// the first run starts the watchdog, which sleeps while the loop does.
    pub(crate) fn loop_active(&self, core: &Core, active: bool) {
        if active && !core.is_virtual() && self.watchdog.get().is_none() && self.threshold.get().is_some() {
            let _ = self.watchdog.set(Watchdog::start(core.step_beacon(), self.threshold.get()));
        }
        self.watchdog.get().inspect(|w| w.set_idle(!active));
    }

    /// Virtual clock: a step begins.
    pub(crate) fn step_started(&self, core: &Core) {
        self.started.set(self.threshold.get().map(|_| core.now()));
    }

    /// Virtual clock: the step is over; compare the clock with its start.
    pub(crate) fn step_ended(&self, core: &Core, task: &dyn AnyTask) {
        if let (Some(started), Some(limit)) = (self.started.take(), self.threshold.get()) {
            let held = core.now().saturating_sub(started);
            if held > limit {
                self.report(SlowStep { task: task.header().info(), held, at: started });
            }
        }
    }

    /// Real clock: the watchdog saw this step run past the threshold.
    pub(crate) fn step_flagged(&self, core: &Core, task: &dyn AnyTask) {
        let Some(watchdog) = self.watchdog.get() else { return };
        for sighting in watchdog.take_sightings() {
            let held = sighting.first_seen.elapsed();
            let at = core.now().saturating_sub(held);
            self.report(SlowStep { task: task.header().info(), held, at });
        }
    }

    fn report(&self, slow: SlowStep) {
        eprintln!("rondo: slow step: {slow}");
        self.slow_steps.borrow_mut().push(slow);
    }
}

impl EventLoop {
    /// Reports steps that hold the loop longer than `threshold` (`None`: stop
    /// timing steps). The default is 100 ms.
    pub fn set_slow_step_threshold(&self, threshold: Option<Duration>) {
        let supervisor = Supervisor::install(self);
        supervisor.slow.threshold.set(threshold);
        if let Some(watchdog) = supervisor.slow.watchdog.get() {
            watchdog.set_threshold(threshold);
        }
    }

    /// The slow steps reported so far.
    pub fn slow_steps(&self) -> Vec<SlowStep> {
        Supervisor::of(self).map(|s| s.slow.slow_steps.borrow().clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use crate::{EventLoop, blocking_sleep, lazy};
    use std::time::Duration;

    #[test]
    fn only_steps_over_the_threshold_are_reported_and_the_threshold_can_be_changed() {
        let ev = EventLoop::new_virtual();
        ev.run_until_complete(lazy(|| blocking_sleep(Duration::from_millis(100)))).unwrap();
        assert!(ev.slow_steps().is_empty(), "exactly the threshold is not over it");
        ev.set_slow_step_threshold(Some(Duration::from_millis(10)));
        ev.run_until_complete(lazy(|| blocking_sleep(Duration::from_millis(11)))).unwrap();
        assert_eq!(ev.slow_steps().len(), 1);
        assert_eq!(ev.slow_steps()[0].held, Duration::from_millis(11));
        assert_eq!(ev.slow_steps()[0].at, Duration::from_millis(100));
        ev.set_slow_step_threshold(None);
        ev.run_until_complete(lazy(|| blocking_sleep(Duration::from_secs(5)))).unwrap();
        assert_eq!(ev.slow_steps().len(), 1, "not timed any more");
    }
}
