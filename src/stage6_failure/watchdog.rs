//! The watchdog: a thread that spots slow steps under the real clock.
//!
//! Timing every step with `Instant::now()` costs two clock reads per step —
//! about 80 ns here, eight times a `yield_now`'s whole budget. So under the
//! real clock the loop only *publishes* which step is running — stage 4's
//! `StepBeacon`, two relaxed atomic stores, about a nanosecond, and no call
//! into this stage at all — and this thread samples it every
//! quarter of the threshold. A step it sees still running after the threshold
//! is reported when it returns, with the time held measured from when the
//! watchdog first saw it: a lower bound, within a quarter of the threshold.
//!
//! This is the one place besides stage 8 where rondo leaves its thread, so
//! the shared state is `Arc` and atomics — and only this little struct.
//! Under a virtual clock no thread is needed: reading a virtual clock is a
//! `Cell` read, so the loop times each step exactly itself.

use crate::stage4_event_loop::seams::StepBeacon;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The watchdog thread, and what it shares with the loop.
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    /// The loop's step number (see `StepBeacon`): what the watchdog samples,
    /// and where it flags a step that ran past the threshold.
    beacon: Arc<StepBeacon>,
    /// 0: not watching.
    threshold_ns: AtomicU64,
    stop: AtomicBool,
    /// The loop is waiting for a deadline, or not running: nothing to watch,
    /// so the watchdog sleeps until woken instead of sampling.
    idle: AtomicBool,
    sightings: Mutex<Vec<Sighting>>,
}

/// A step the watchdog saw running past the threshold.
pub(crate) struct Sighting {
    pub(crate) first_seen: Instant,
}

impl Watchdog {
    /// Starts watching the loop whose steps `beacon` publishes.
    pub(crate) fn start(beacon: Arc<StepBeacon>, threshold: Option<Duration>) -> Watchdog {
        let shared = Arc::new(Shared {
            beacon,
            threshold_ns: AtomicU64::new(threshold.map_or(0, |t| t.as_nanos() as u64)),
            stop: AtomicBool::new(false),
            idle: AtomicBool::new(false),
            sightings: Mutex::new(Vec::new()),
        });
        let watched = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("rondo-watchdog".into())
            .spawn(move || watch(&watched))
            .expect("spawn the slow-step watchdog thread");
        Watchdog { shared, thread: Some(thread) }
    }

    pub(crate) fn set_threshold(&self, threshold: Option<Duration>) {
        self.shared.threshold_ns.store(threshold.map_or(0, |t| t.as_nanos() as u64), Ordering::Relaxed);
    }

    /// The loop goes idle (waits for a deadline, or stops running) or comes back.
    /// Coming back wakes the watchdog: one unpark per wait, not per step.
    pub(crate) fn set_idle(&self, idle: bool) {
        self.shared.idle.store(idle, Ordering::Relaxed);
        if !idle && let Some(thread) = &self.thread {
            thread.thread().unpark();
        }
    }

    pub(crate) fn take_sightings(&self) -> Vec<Sighting> {
        self.shared.beacon.flagged.store(false, Ordering::Relaxed);
        std::mem::take(&mut *self.shared.sightings.lock().expect("watchdog lock"))
    }
}

/// The watchdog thread: sample, compare, report; until told to stop.
fn watch(shared: &Shared) {
    // The step being watched, when it was first seen, and whether it was reported.
    let mut watching: Option<(u64, Instant, bool)> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        let threshold = shared.threshold_ns.load(Ordering::Relaxed);
        let step = shared.beacon.step.load(Ordering::Relaxed);
        if threshold > 0 && step & 1 == 1 {
            match &mut watching {
                Some((seen, first_seen, reported)) if *seen == step => {
                    if !*reported && first_seen.elapsed().as_nanos() as u64 >= threshold {
                        *reported = true;
                        let sighting = Sighting { first_seen: *first_seen };
                        shared.sightings.lock().expect("watchdog lock").push(sighting);
                        shared.beacon.flagged.store(true, Ordering::Release);
                    }
                }
                _ => watching = Some((step, Instant::now(), false)),
            }
        } else {
            watching = None;
        }
        if watching.is_none() && shared.idle.load(Ordering::Relaxed) {
            // Nothing runs: sleep until the loop wakes us (or a spurious wake).
            std::thread::park();
            continue;
        }
        let period = if threshold == 0 { 100_000_000 } else { (threshold / 4).max(1_000_000) };
        std::thread::park_timeout(Duration::from_nanos(period));
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod watchdog_tests {
    use crate::{EventLoop, lazy};
    use std::time::Duration;

    #[test]
    fn under_the_real_clock_the_watchdog_catches_a_blocking_step() {
        // Not a timing assertion: a 1 s block against a 50 ms threshold
        // leaves the watchdog thread ample time, even on a loaded machine.
        let ev = EventLoop::new();
        ev.set_slow_step_threshold(Some(Duration::from_millis(50)));
        let blocker = ev.spawn_named("sleepy", lazy(|| std::thread::sleep(Duration::from_secs(1))));
        ev.run_until_complete(blocker).unwrap().unwrap();
        let slow = ev.slow_steps();
        assert_eq!(slow.len(), 1, "{slow:?}");
        assert_eq!(slow[0].task.name, "sleepy");
        assert!(slow[0].held >= Duration::from_millis(50), "{:?}", slow[0].held);
        // A lower bound measured from the first sighting: never more than the
        // step itself (which a loaded machine may stretch well past 1 s).
        assert!(slow[0].held < Duration::from_secs(30), "{:?}", slow[0].held);
    }
}
