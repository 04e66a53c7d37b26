//! `Clock`: where a runtime reads the time — the real one, or a virtual one for tests.
//!
//! Everything time-related in rondo asks a `Clock`, never `Instant::now()`
//! directly. That one indirection is what lets a test run the seed's 12-hour
//! chess exhibition in milliseconds: the virtual clock does not wait for a
//! deadline, it *jumps* to it (trio calls this "autojump").

use std::cell::Cell;
use std::time::{Duration, Instant};

/// A monotonic time source, read as "time since the clock was made".
///
/// ```
/// use rondo::{Clock, EventLoop};
/// use std::time::Duration;
///
/// let clock = Clock::virtual_();
/// clock.wait_until(Duration::from_secs(5)); // jumps there: no real waiting
/// assert_eq!(clock.now(), Duration::from_secs(5));
/// let ev = EventLoop::with_clock(Clock::virtual_()); // what EventLoop::new_virtual() does
/// assert!(ev.is_virtual() && !Clock::real().is_virtual());
/// ```
#[derive(Debug)]
pub enum Clock {
    /// Wall time from `Instant`; waiting really waits.
    Real {
        /// When the clock started: time zero.
        epoch: Instant,
    },
    /// Time that only moves when the runtime has nothing else to do:
    /// waiting for a deadline sets the time to that deadline at once.
    Virtual {
        /// The current virtual time.
        now: Cell<Duration>,
    },
}

impl Clock {
    /// A real clock starting now.
    pub fn real() -> Clock {
        Clock::Real { epoch: Instant::now() }
    }

    /// A virtual clock at time zero.
    pub fn virtual_() -> Clock {
        Clock::Virtual { now: Cell::new(Duration::ZERO) }
    }

    /// `true` for a virtual clock.
    pub fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual { .. })
    }

    /// The current time.
    pub fn now(&self) -> Duration {
        match self {
            Clock::Real { epoch } => epoch.elapsed(),
            Clock::Virtual { now } => now.get(),
        }
    }

    /// Waits until `deadline`: a real clock puts the thread to sleep (the CPU
    /// is free meanwhile); a virtual clock jumps there at once. Never moves
    /// time backwards.
    pub fn wait_until(&self, deadline: Duration) {
        match self {
            Clock::Real { epoch } => {
                let now = epoch.elapsed();
                if deadline > now {
                    tighten_timer_slack();
                    std::thread::sleep(deadline - now);
                }
            }
            Clock::Virtual { now } => {
                if deadline > now.get() {
                    now.set(deadline);
                }
            }
        }
    }

    /// Holds the thread for `duration`, as a blocking call would (`time.sleep`
    /// in the seeds): a real clock really sleeps; a virtual clock moves
    /// forward by `duration`, so a test can observe that time passed while
    /// nothing else ran.
    pub fn block_for(&self, duration: Duration) {
        match self {
            Clock::Real { .. } => std::thread::sleep(duration),
            Clock::Virtual { now } => now.set(now.get().saturating_add(duration)),
        }
    }
}

/// Asks Linux not to delay our wake-ups.
///
/// The kernel adds up to 50 µs of "timer slack" to every sleep, to batch
/// wake-ups and save power; a loop waiting for a 1 ms deadline then wakes
/// ~80 µs late instead of ~35 µs (measured in `docs/performance.md`). The
/// slack is per thread and settable through `/proc` — no `libc` needed. Only
/// the main thread's file (`/proc/self/timerslack_ns`) is reachable without
/// knowing the OS thread id, so loops on other threads keep the default.
/// Done once per process; harmless where `/proc` is missing.
fn tighten_timer_slack() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static DONE: AtomicBool = AtomicBool::new(false);
    if std::thread::current().name() == Some("main") && !DONE.swap(true, Ordering::Relaxed) {
        let _ = std::fs::write("/proc/self/timerslack_ns", "1");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_jumps_and_never_goes_back() {
        let clock = Clock::virtual_();
        assert_eq!(clock.now(), Duration::ZERO);
        clock.wait_until(Duration::from_secs(3600));
        assert_eq!(clock.now(), Duration::from_secs(3600));
        clock.wait_until(Duration::from_secs(1));
        assert_eq!(clock.now(), Duration::from_secs(3600));
        clock.block_for(Duration::from_secs(2));
        assert_eq!(clock.now(), Duration::from_secs(3602));
    }

    #[test]
    fn real_clock_waits_at_least_until_the_deadline() {
        let clock = Clock::real();
        let deadline = clock.now() + Duration::from_millis(2);
        clock.wait_until(deadline);
        assert!(clock.now() >= deadline);
    }
}
