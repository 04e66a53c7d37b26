//! `sleep`: pausing without a thread, by deadline.
//!
//! ```text
//! async fn sleep(duration) {
//!     let deadline = now() + duration;   // taken at the FIRST poll, not at creation
//!     while now() < deadline {
//!         leave_a_wake_up_call(deadline);
//!         suspend;
//!     }
//! }
//! ```
//! The deadline is taken when the sleep first runs, because a coroutine does
//! nothing until it is first polled: `let s = sleep(1s)` followed by ten
//! seconds of other work, then `s.await`, still sleeps one second — as in
//! Python, where `asyncio.sleep(1)` only builds a coroutine object.
//!
//! `sleep(0)` is special, as in asyncio: it does not touch the timers at all;
//! it suspends exactly once (see `yield_now`), letting every other ready
//! task run first.

use super::timers::{TimerId, with_timers};
use crate::{Context, Coroutine, Poll};
use std::time::Duration;

/// Suspends the calling coroutine for `duration` of runtime time.
///
/// # Panics
/// When first polled outside a running runtime — except `sleep(0)`, which
/// needs no timer and so also works under `block_on`.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep { state: SleepState::Start { duration } }
}

/// The coroutine returned by [`sleep`].
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
                    let deadline = with_timers("sleep()", |t| t.now()) + *duration;
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
            let _ = super::timers::try_with_timers(|t| t.cancel_timer(id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventLoop, Transcript, spawn};

    #[test]
    fn a_sleep_is_40_bytes() {
        assert_eq!(std::mem::size_of::<Sleep>(), 40);
    }

    #[test]
    fn the_deadline_is_taken_at_the_first_poll_not_at_creation() {
        let ev = EventLoop::new_virtual();
        let out = Transcript::new();
        let log = out.clone();
        let mut made_early = Some(sleep(Duration::from_secs(1)));
        let mut waiting = Some(sleep(Duration::from_secs(5)));
        let main = crate::test_support::PollFn(move |cx: &mut Context<'_>| {
            // First wait 5 s, then start the sleep that was created at t=0.
            if let Some(w) = &mut waiting {
                if w.poll(cx).is_pending() {
                    return Poll::Pending;
                }
                waiting = None;
            }
            let s = made_early.as_mut().unwrap();
            if s.poll(cx).is_pending() {
                return Poll::Pending;
            }
            log.say("done");
            Poll::Ready(())
        });
        ev.run_until_complete(main).unwrap();
        assert_eq!(out.stamped(), ["6.000 done"]);
    }

    #[test]
    fn sleep_zero_yields_once_without_a_timer() {
        // main: spawn `other`, say "before", sleep(0), say "after". The
        // spawned task's first step was queued before main's re-queue, so it
        // runs in between — and no time passes.
        let ev = EventLoop::new_virtual();
        let out = Transcript::new();
        let (log, other_log) = (out.clone(), out.clone());
        let mut zero: Option<Sleep> = None;
        let main = crate::test_support::PollFn(move |cx: &mut Context<'_>| {
            if zero.is_none() {
                let other_log = other_log.clone();
                let _other = spawn(crate::test_support::PollFn(move |_: &mut Context<'_>| {
                    other_log.say("other task");
                    Poll::Ready(())
                }));
                log.say("before sleep(0)");
                zero = Some(sleep(Duration::ZERO));
            }
            if zero.as_mut().unwrap().poll(cx).is_pending() {
                return Poll::Pending;
            }
            log.say("after sleep(0)");
            Poll::Ready(())
        });
        ev.run_until_complete(main).unwrap();
        assert_eq!(out.lines(), ["before sleep(0)", "other task", "after sleep(0)"]);
        assert_eq!(ev.now(), Duration::ZERO, "sleep(0) takes no time");
    }

    #[test]
    #[should_panic(expected = "sleep() called outside a running event loop")]
    fn sleeping_outside_a_loop_is_a_clear_error() {
        let waker = crate::Waker::noop();
        let _ = sleep(Duration::from_secs(1)).poll(&mut Context::from_waker(&waker));
    }

    #[test]
    #[should_panic(expected = "sleep() polled after it completed")]
    fn polling_a_finished_sleep_panics() {
        let ev = EventLoop::new_virtual();
        let mut s = sleep(Duration::from_millis(1));
        ev.run_until_complete(crate::test_support::PollFn(move |cx: &mut Context<'_>| {
            if s.poll(cx).is_pending() {
                return Poll::Pending;
            }
            let _ = s.poll(cx); // the bug: once more after Ready
            Poll::Ready(())
        }))
        .unwrap();
    }
}
