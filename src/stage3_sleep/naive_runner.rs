//! The naive runner: poll every coroutine on every pass, whether it can progress or not.
//!
//! This is the generator `loop()` of stage 1, grown up: it holds many
//! coroutines, polls each in turn, and drops the finished ones. It is kept
//! in the crate as teaching code because its flaws are the whole motivation
//! for the event loop of stage 4:
//!
//! 1. **It spins.** While every coroutine sleeps, it keeps polling them, and
//!    each poll just reads the clock and says "not yet". Under the real clock
//!    that is a CPU core at 100% doing nothing (`cargo run --example
//!    busy_vs_loop` measures it).
//! 2. **Every pass costs O(all coroutines)**, even if only one of 10,000 can
//!    move.
//!
//! It does honour the rules, though: it takes outputs in order, never polls a
//! finished coroutine, and under a virtual clock it jumps time forward when a
//! whole pass made no progress (nobody woke) — to the earliest deadline a sleep
//! registered. If nothing woke and no deadline exists, nothing ever will
//! change: it panics with "deadlock" instead of spinning forever.

use super::clock::Clock;
use super::timers::{TimerId, Timers, enter};
use crate::{BoxCoroutine, Context, Poll, Wake, Waker};
use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::time::Duration;

/// Polls a list of coroutines round-robin until all are done.
pub struct NaiveRunner {
    shared: Rc<Shared>,
}

/// What the runner shares with the sleeps it runs (through the timer context)
/// and with its waker.
struct Shared {
    clock: Clock,
    /// Deadlines registered by sleeps, earliest first; stale ones are
    /// dropped once a pass has started after them.
    deadlines: RefCell<BinaryHeap<Reverse<Duration>>>,
    /// Did any coroutine ask to be polled again during the current pass?
    woken: Cell<bool>,
    seq: Cell<u64>,
}

/// What a run did: the outputs in the order the coroutines were given, and how much polling it took.
#[derive(Debug)]
pub struct NaiveRun<T> {
    /// Output of each coroutine, in the order they were passed in.
    pub outputs: Vec<T>,
    /// Passes over the list.
    pub passes: u64,
    /// Total calls to `poll` — most of them useless under a real clock.
    pub polls: u64,
}

impl NaiveRunner {
    /// A runner reading `clock`.
    pub fn new(clock: Clock) -> NaiveRunner {
        let shared = Shared {
            clock,
            deadlines: RefCell::new(BinaryHeap::new()),
            woken: Cell::new(false),
            seq: Cell::new(0),
        };
        NaiveRunner { shared: Rc::new(shared) }
    }

    /// The runner's clock.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Runs all `coroutines` to completion.
    ///
    /// # Panics
    /// When a pass made no progress, nobody woke and no sleep is pending
    /// (a deadlock), or when called inside another running runtime.
    pub fn run<'a, T>(&self, coroutines: Vec<BoxCoroutine<'a, T>>) -> NaiveRun<T> {
        let _running = enter(self.shared.clone());
        let waker = Waker::new(self.shared.clone());
        let mut cx = Context::from_waker(&waker);
        // Each slot is taken (set to `None`) when its coroutine finishes, so a
        // finished coroutine is never polled again and outputs keep their order.
        let mut slots: Vec<Option<BoxCoroutine<'a, T>>> = coroutines.into_iter().map(Some).collect();
        let mut outputs: Vec<Option<T>> = slots.iter().map(|_| None).collect();
        let mut remaining = slots.len();
        let (mut passes, mut polls) = (0, 0);
        while remaining > 0 {
            passes += 1;
            let pass_start = self.shared.clock.now();
            self.shared.woken.set(false);
            for (slot, output) in slots.iter_mut().zip(outputs.iter_mut()) {
                let Some(coroutine) = slot else { continue };
                polls += 1;
                if let Poll::Ready(value) = coroutine.poll(&mut cx) {
                    *output = Some(value);
                    *slot = None;
                    remaining -= 1;
                }
            }
            if remaining > 0 && !self.shared.woken.get() {
                match self.shared.next_deadline_after(pass_start) {
                    // Nobody is ready: a virtual clock jumps to the next
                    // deadline; a real clock is just read again on the next
                    // pass — this is the spin.
                    Some(deadline) => {
                        if self.shared.clock.is_virtual() {
                            self.shared.clock.wait_until(deadline)
                        }
                    }
                    None => panic!(
                        "deadlock: {remaining} coroutine(s) are pending, none woke and none is sleeping"
                    ),
                }
            }
        }
        let outputs = outputs.into_iter().map(|o| o.expect("every slot finished")).collect();
        NaiveRun { outputs, passes, polls }
    }
}

impl Shared {
    /// The earliest deadline still ahead of `pass_start`. Deadlines at or
    /// before it are dropped: every sleep polled in a pass that started after
    /// its deadline has seen it pass and finished.
    fn next_deadline_after(&self, pass_start: Duration) -> Option<Duration> {
        let mut deadlines = self.deadlines.borrow_mut();
        while let Some(&Reverse(d)) = deadlines.peek() {
            if d > pass_start {
                return Some(d);
            }
            deadlines.pop();
        }
        None
    }
}

impl Timers for Shared {
    fn now(&self) -> Duration {
        self.clock.now()
    }

    fn add_timer(&self, deadline: Duration, _waker: &Waker) -> TimerId {
        // The runner polls everybody anyway, so it needs no waker here. It only
        // remembers the deadline, so that a virtual clock knows where to jump
        // and so that "nobody sleeps, nobody woke" can be told from "wait".
        self.deadlines.borrow_mut().push(Reverse(deadline));
        self.seq.set(self.seq.get() + 1);
        TimerId { deadline, seq: self.seq.get(), owner: 0 }
    }

    fn cancel_timer(&self, _id: TimerId) {}

    fn block_for(&self, duration: Duration) {
        self.clock.block_for(duration)
    }
}

impl Wake for Shared {
    fn wake(&self) {
        self.woken.set(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage3_sleep::{count, sleep};
    use crate::test_support::{PollFn, never};
    use crate::{BoxCoroutine, Coroutine, Transcript};

    #[test]
    fn overlapping_sleeps_finish_together_and_outputs_keep_their_order() {
        let runner = NaiveRunner::new(Clock::virtual_());
        let out = Transcript::new();
        let counts: Vec<BoxCoroutine<'_, ()>> = (0..3).map(|_| Box::new(count(out.clone())) as _).collect();
        let run = runner.run(counts);
        assert_eq!(run.outputs.len(), 3);
        assert_eq!(
            out.stamped(),
            ["0.000 One", "0.000 One", "0.000 One", "1.000 Two", "1.000 Two", "1.000 Two"]
        );
        assert_eq!(runner.clock().now(), Duration::from_secs(1));
        // Every pass polls every unfinished coroutine: the O(all) cost.
        assert_eq!((run.passes, run.polls), (2, 6));
    }

    #[test]
    fn outputs_come_back_in_argument_order_not_finishing_order() {
        let runner = NaiveRunner::new(Clock::virtual_());
        let slow_then_fast: Vec<BoxCoroutine<'_, u32>> = [3u64, 1, 2]
            .into_iter()
            .map(|secs| {
                let mut nap = sleep(Duration::from_secs(secs));
                Box::new(PollFn(move |cx: &mut Context<'_>| nap.poll(cx).map(|()| secs as u32))) as _
            })
            .collect();
        assert_eq!(runner.run(slow_then_fast).outputs, [3, 1, 2]);
        assert_eq!(runner.clock().now(), Duration::from_secs(3));
    }

    #[test]
    fn a_real_clock_makes_it_spin() {
        // Not a timing assertion: only that waiting 5 ms took more than one
        // useless poll, which is the flaw this runner exists to show.
        let runner = NaiveRunner::new(Clock::real());
        let nap: BoxCoroutine<'_, ()> = Box::new(sleep(Duration::from_millis(5)));
        assert!(runner.run(vec![nap]).polls > 2);
    }

    #[test]
    #[should_panic(expected = "deadlock: 1 coroutine(s) are pending, none woke and none is sleeping")]
    fn nothing_that_could_ever_wake_is_a_deadlock_not_a_spin() {
        let runner = NaiveRunner::new(Clock::real());
        let stuck: BoxCoroutine<'_, ()> = Box::new(never());
        runner.run(vec![stuck]);
    }
}
