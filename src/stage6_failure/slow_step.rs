//! The slow-step detector: a poll that holds the loop too long is a blocking call.
//!
//! Cooperative scheduling trusts every coroutine to return quickly. One that
//! calls `std::thread::sleep`, blocks on I/O, or crunches numbers without a
//! `yield_now` freezes every other task (seed 000's `time.sleep` inside
//! `highest_prime_below`). The loop times each step against its clock; one
//! longer than the threshold (100 ms unless set otherwise) is reported on
//! stderr with the task's name, and kept for [`EventLoop::slow_steps`](crate::EventLoop::slow_steps).
//! Under a virtual clock a `blocking_sleep` moves time forward, so tests catch
//! the offender exactly.

use crate::TaskInfo;
use std::fmt;
use std::time::Duration;

/// The threshold the loop starts with.
pub const DEFAULT_SLOW_STEP: Duration = Duration::from_millis(100);

/// One step that held the loop longer than the threshold.
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
