//! `Sleep`: the sleep every program gets — stage 3's, in 40 bytes instead of 64.
//!
//! *Skip on first read:* it is the state machine of stage 3's
//! [`SimpleSleep`](crate::stage3_sleep::SimpleSleep), and a proptest below
//! drives both alike and checks that they ask the runtime for the same
//! timers, withdraw the same ones, and finish at the same poll.
//!
//! A sleep sits in every sleeping task, so with a million sleepers every
//! byte is a megabyte. Hence: the duration only in `Start`; the deadline
//! once (not again inside a `TimerId`); and the waker's *address* rather
//! than a clone of the waker — all the sleep needs of it is to notice being
//! polled by a different one (a clone would also keep the task alive for
//! nothing: the timer heap holds one already).

use crate::stage3_sleep::timers::{TimerId, deadline_after, try_with_timers, with_timers};
use crate::{Context, Coroutine, Poll};
use std::time::Duration;

/// ```text
/// async fn sleep(duration) {
///     let deadline = now() + duration;   // at the first poll
///     while now() < deadline {
///         leave_a_wake_up_call(deadline);
///         suspend;
///     }
/// }
/// ```
///
/// The coroutine returned by [`sleep`](crate::sleep).
///
/// ```
/// use rondo::{EventLoop, Sleep, sleep};
/// use std::time::Duration;
///
/// let ev = EventLoop::new_virtual();
/// ev.run_until_complete(sleep(Duration::from_secs(2))).unwrap();
/// let nap: Sleep = sleep(Duration::from_secs(1));
/// assert_eq!(nap.deadline(), None); // taken at the first poll, not when built
/// ev.run_until_complete(nap).unwrap();
/// assert_eq!(ev.time(), 3.0);
/// ```
#[derive(Debug)]
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Sleep {
    state: SleepState,
}

/// A sleep is 40 bytes — it sits in every sleeping task, so a million
/// sleepers make every byte a megabyte. Hence the duration only in `Start`,
/// the deadline once (not again inside a `TimerId`), and the waker's address
/// rather than a clone of the waker.
#[derive(Debug)]
enum SleepState {
    /// Not polled yet: no deadline exists.
    Start {
        duration: Duration,
    },
    /// `sleep(0)`: woke itself once, finishes on the next poll.
    Yielded,
    /// Waiting for `deadline`, with the wake-up call registered (if it is).
    Waiting {
        deadline: Duration,
        timer: Option<Registered>,
    },
    Done,
}

/// A registered wake-up call: its `TimerId` (less the deadline), and the
/// address of the waker it will wake, to notice being polled by another task.
#[derive(Debug, Clone, Copy)]
struct Registered {
    seq: u64,
    owner: u32,
    waker: std::num::NonZeroUsize,
}

impl Registered {
    fn id(self, deadline: Duration) -> TimerId {
        TimerId { deadline, seq: self.seq, owner: self.owner }
    }
}

impl Sleep {
    /// A sleep of `duration`, not started (see [`sleep`](crate::sleep)).
    pub(crate) fn new(duration: Duration) -> Sleep {
        Sleep { state: SleepState::Start { duration } }
    }

    /// The deadline, once the sleep has started.
    pub fn deadline(&self) -> Option<Duration> {
        match self.state {
            SleepState::Waiting { deadline, .. } => Some(deadline),
            _ => None,
        }
    }
}

impl Coroutine for Sleep {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        // `true` right after `Start` computed the deadline from `now`: it is
        // not due yet, no need to read the clock a second time.
        let mut just_started = false;
        loop {
            match &mut self.state {
                SleepState::Start { duration } if duration.is_zero() => {
                    cx.waker().wake();
                    self.state = SleepState::Yielded;
                    return Poll::Pending;
                }
                SleepState::Start { duration } => {
                    let deadline = deadline_after(with_timers("sleep()", |t| t.now()), *duration);
                    self.state = SleepState::Waiting { deadline, timer: None };
                    just_started = true;
                }
                SleepState::Yielded => {
                    self.state = SleepState::Done;
                    return Poll::Ready(());
                }
                SleepState::Waiting { deadline, timer } => {
                    let deadline = *deadline;
                    let registered = with_timers("sleep()", |t| {
                        if !just_started && t.now() >= deadline {
                            return None;
                        }
                        // Register once; again only if a different waker polls
                        // us (then the old call is withdrawn, not leaked).
                        let waker = std::num::NonZeroUsize::new(cx.waker().target_addr())
                            .expect("a waker's target has an address");
                        match timer {
                            Some(registered) if registered.waker == waker => {}
                            _ => {
                                if let Some(old) = timer.take() {
                                    t.cancel_timer(old.id(deadline));
                                }
                                let id = t.add_timer(deadline, cx.waker());
                                *timer = Some(Registered { seq: id.seq, owner: id.owner, waker });
                            }
                        }
                        Some(())
                    });
                    if registered.is_some() {
                        return Poll::Pending;
                    }
                    // The deadline passed, so the timer has fired: nothing to withdraw.
                    self.state = SleepState::Done;
                    return Poll::Ready(());
                }
                SleepState::Done => panic!("sleep() polled after it completed"),
            }
        }
    }
}

impl Drop for Sleep {
    /// A sleep dropped before its deadline (a cancelled task, a lost race)
    /// withdraws its timer, so dead sleeps never pile up in the timer heap.
    fn drop(&mut self) {
        if let SleepState::Waiting { deadline, timer: Some(registered) } = &self.state {
            let id = registered.id(*deadline);
            // `try`: if the runtime is already gone, so is its timer heap.
            let _ = try_with_timers(|t| t.cancel_timer(id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage3_sleep::{SimpleSleep, Timers};
    use crate::{Wake, Waker};
    use proptest::prelude::*;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    #[test]
    fn a_sleep_is_40_bytes() {
        assert_eq!(std::mem::size_of::<Sleep>(), 40);
        assert_eq!(std::mem::size_of::<SimpleSleep>(), 64, "what the simple one takes");
    }

    /// A runtime that only logs what a sleep asks of it.
    #[derive(Default)]
    struct Recorder {
        now: Cell<Duration>,
        seq: Cell<u64>,
        log: RefCell<Vec<String>>,
    }

    impl Timers for Recorder {
        fn now(&self) -> Duration {
            self.now.get()
        }
        fn add_timer(&self, deadline: Duration, _: &Waker) -> TimerId {
            self.seq.set(self.seq.get() + 1);
            self.log.borrow_mut().push(format!("add {deadline:?} #{}", self.seq.get()));
            TimerId { deadline, seq: self.seq.get(), owner: 7 }
        }
        fn cancel_timer(&self, id: TimerId) {
            self.log.borrow_mut().push(format!("cancel {:?} #{} of {}", id.deadline, id.seq, id.owner));
        }
        fn block_for(&self, _: Duration) {}
    }

    struct Nobody;
    impl Wake for Nobody {
        fn wake(&self) {}
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// Poll with one of two wakers.
        Poll(bool),
        /// Time moves on this many ms.
        Advance(u64),
    }

    /// Runs `ops` on a sleep made by `make`, under a recording runtime, and
    /// returns what it asked for and what each poll gave.
    fn run<S: Coroutine<Output = ()>>(make: impl FnOnce() -> S, ops: &[Op], drop_early: bool) -> Vec<String> {
        let recorder = Rc::new(Recorder::default());
        let _runtime = crate::stage3_sleep::timers::enter(recorder.clone());
        let wakers = [Waker::new(Rc::new(Nobody)), Waker::new(Rc::new(Nobody))];
        let mut sleep = Some(make());
        let mut out = vec![];
        for op in ops {
            match *op {
                Op::Advance(ms) => recorder.now.set(recorder.now.get() + Duration::from_millis(ms)),
                Op::Poll(which) => {
                    let Some(s) = sleep.as_mut() else { break };
                    let poll = s.poll(&mut Context::from_waker(&wakers[which as usize]));
                    out.push(format!("poll: {poll:?}"));
                    if poll.is_ready() {
                        sleep = None;
                    } else if drop_early {
                        break;
                    }
                }
            }
        }
        drop(sleep); // a sleep dropped while waiting withdraws its timer
        out.extend(recorder.log.borrow().iter().cloned());
        out
    }

    proptest! {
        /// The compact sleep and the simple one, polled alike, ask for the
        /// same timers, withdraw the same ones and finish at the same poll.
        #[test]
        fn the_compact_sleep_behaves_like_the_simple_one(
            ms in prop_oneof![Just(0u64), 1u64..50],
            ops in proptest::collection::vec(prop_oneof![
                3 => any::<bool>().prop_map(Op::Poll),
                2 => (0u64..30).prop_map(Op::Advance),
            ], 0..20),
            drop_early in proptest::bool::weighted(0.2),
        ) {
            let duration = Duration::from_millis(ms);
            let compact = run(|| Sleep::new(duration), &ops, drop_early);
            let simple = run(|| SimpleSleep::new(duration), &ops, drop_early);
            prop_assert_eq!(compact, simple);
        }
    }
}
