//! Where `asleep` reads the time: the real clock, or a fake one for tests.
//!
//! The seed's `asleep` calls `time.time()` directly. A test of that code
//! would have to really wait, and would pass or fail depending on how busy the
//! machine is. So the time source is handed in instead: examples pass
//! [`RealTime`], tests pass [`SteppingTime`], whose clock moves only when it
//! is read. (Stage 3 replaces this with a proper `Clock`; stage 1 stays
//! standalone on purpose.)

use std::cell::Cell;
use std::thread;
use std::time::{Duration, Instant};

/// A source of "now", measured as the time since the source's own start.
///
/// Generators share one source through an `Rc<dyn TimeSource>`, which is why
/// the methods take `&self`: a fake source that changes when read keeps its
/// state in a `Cell`.
///
/// Rejected alternatives: a bare `Instant` cannot be faked; a generic
/// `F: FnMut() -> Duration` parameter would make every generator that holds
/// a sleeper generic too (`HelloYieldFromAsleep<F>`), which buries the idea
/// under type parameters.
pub trait TimeSource {
    /// The time elapsed since this source started.
    fn now(&self) -> Duration;

    /// Blocks the whole thread until `duration` has passed, the way Python's
    /// `time.sleep` does. Nothing else runs meanwhile.
    ///
    /// The default spins on [`now`](TimeSource::now), which is what makes a
    /// fake source's time pass; [`RealTime`] really sleeps.
    fn block_for(&self, duration: Duration) {
        let until = self.now() + duration;
        while self.now() < until {}
    }
}

/// The real, monotonic clock. `now()` is the time since [`RealTime::new`].
#[derive(Debug, Clone, Copy)]
pub struct RealTime {
    /// The moment this source was created; `now()` counts from here.
    start: Instant,
}

impl RealTime {
    /// A real-time source whose `now()` starts at zero now.
    pub fn new() -> Self {
        RealTime { start: Instant::now() }
    }
}

impl Default for RealTime {
    fn default() -> Self {
        Self::new()
    }
}

impl TimeSource for RealTime {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn block_for(&self, duration: Duration) {
        // A real sleep: the OS parks the thread, no CPU is used.
        thread::sleep(duration);
    }
}

/// A fake clock for tests: every [`now`](TimeSource::now) returns the
/// current fake time and then moves it forward by a fixed step.
///
/// So time passes exactly as fast as somebody looks at it. A busy sleeper,
/// which reads the time on every resume, makes its own time pass, and a test
/// can count how often it looked ([`reads`](SteppingTime::reads)) without
/// waiting at all.
#[derive(Debug)]
pub struct SteppingTime {
    /// The fake "now": what the next `now()` returns.
    current: Cell<Duration>,
    /// How far each `now()` moves `current` forward.
    step: Duration,
    /// How many times `now()` has been called.
    reads: Cell<u64>,
}

impl SteppingTime {
    /// A fake clock starting at zero that advances by `step` on every read.
    pub fn new(step: Duration) -> Self {
        SteppingTime { current: Cell::new(Duration::ZERO), step, reads: Cell::new(0) }
    }

    /// The current fake time, *without* counting as a read or advancing it.
    /// Tests use it to timestamp what they observe.
    pub fn peek(&self) -> Duration {
        self.current.get()
    }

    /// How many times [`now`](TimeSource::now) has been called so far.
    pub fn reads(&self) -> u64 {
        self.reads.get()
    }
}

impl TimeSource for SteppingTime {
    fn now(&self) -> Duration {
        let now = self.current.get();
        self.current.set(now + self.step);
        self.reads.set(self.reads.get() + 1);
        now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn stepping_time_advances_once_per_read() {
        let time = SteppingTime::new(10 * MS);
        assert_eq!(time.now(), Duration::ZERO);
        assert_eq!(time.now(), 10 * MS);
        assert_eq!(time.peek(), 20 * MS);
        assert_eq!(time.peek(), 20 * MS, "peek does not advance");
        assert_eq!(time.reads(), 2);
    }

    #[test]
    fn blocking_on_a_fake_source_spins_until_the_time_has_passed() {
        let time = SteppingTime::new(10 * MS);
        time.block_for(50 * MS);
        // One read to find the deadline (0 ms), then reads at 10..=50 ms.
        assert_eq!(time.reads(), 6);
        assert_eq!(time.peek(), 60 * MS);
    }

    #[test]
    fn real_time_moves_forward() {
        let time = RealTime::new();
        let a = time.now();
        time.block_for(MS);
        assert!(time.now() >= a + MS);
    }
}
