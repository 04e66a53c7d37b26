//! `sleep`: pausing without a thread, by deadline.
//!
//! The `async fn` it stands for is above [`SimpleSleep`]: a deadline, and
//! "wake me then" left with the runtime until it has passed.
//!
//! The deadline is taken when the sleep first runs, because a coroutine does
//! nothing until it is first polled: `let s = sleep(1s)` followed by ten
//! seconds of other work, then `s.await`, still sleeps one second — as in
//! Python, where `asyncio.sleep(1)` only builds a coroutine object.
//!
//! `sleep(0)` is special, as in asyncio: it does not touch the timers at all;
//! it suspends exactly once (see `yield_now`), letting every other ready
//! task run first.
//!
//! A sleep dropped before its deadline — a cancelled task, a lost race —
//! withdraws its timer, so dead sleeps never pile up in the runtime.
//!
//! *What programs really get:* [`sleep`] returns the compact
//! [`Sleep`](crate::Sleep) of `src/fast/` — this same state machine in 40
//! bytes instead of 64, which is 24 MB less with a million sleepers. This
//! [`SimpleSleep`] is the idea, and the oracle a proptest checks it against.

use super::timers::{TimerId, deadline_after, try_with_timers, with_timers};
use crate::{Context, Coroutine, Poll, Waker};
use std::time::Duration;

pub use crate::fast::Sleep;

/// Suspends the calling coroutine for `duration` of runtime time.
///
/// # Panics
/// When first polled outside a running runtime — except `sleep(0)`, which
/// needs no timer and so also works under `block_on`.
///
/// ```
/// use rondo::{EventLoop, sleep};
/// use std::time::Duration;
///
/// // await asyncio.sleep(1)
/// let ev = EventLoop::new_virtual();
/// ev.run_until_complete(sleep(Duration::from_secs(1))).unwrap();
/// assert_eq!(ev.time(), 1.0);
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new(duration)
}

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
/// The sleep state machine as the idea needs it (see the module docs).
#[derive(Debug)]
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct SimpleSleep {
    state: SimpleState,
}

#[derive(Debug)]
enum SimpleState {
    /// Not polled yet: no deadline exists.
    Start {
        duration: Duration,
    },
    /// `sleep(0)`: woke itself once, finishes on the next poll.
    Yielded,
    /// Waiting for `deadline`, with the wake-up call registered: its id, and
    /// the waker it will wake (to notice being polled by another task).
    Waiting {
        deadline: Duration,
        timer: Option<(TimerId, Waker)>,
    },
    Done,
}

impl SimpleSleep {
    /// A sleep of `duration`, not started.
    pub fn new(duration: Duration) -> SimpleSleep {
        SimpleSleep { state: SimpleState::Start { duration } }
    }
}

impl Coroutine for SimpleSleep {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                SimpleState::Start { duration } if duration.is_zero() => {
                    cx.waker().wake();
                    self.state = SimpleState::Yielded;
                    return Poll::Pending;
                }
                SimpleState::Start { duration } => {
                    // Past the end of time, the deadline is "never": the timer
                    // is left anyway, so the runtime knows who waits on it.
                    let deadline = deadline_after(with_timers("sleep()", |t| t.now()), *duration);
                    self.state = SimpleState::Waiting { deadline, timer: None };
                }
                SimpleState::Yielded => {
                    self.state = SimpleState::Done;
                    return Poll::Ready(());
                }
                SimpleState::Waiting { deadline, timer } => {
                    let deadline = *deadline;
                    let due = with_timers("sleep()", |t| {
                        if t.now() >= deadline {
                            return true;
                        }
                        // Register once; again only if a different waker polls
                        // us (then the old call is withdrawn, not leaked).
                        if !timer.as_ref().is_some_and(|(_, waker)| waker.will_wake(cx.waker())) {
                            if let Some((old, _)) = timer.take() {
                                t.cancel_timer(old);
                            }
                            *timer = Some((t.add_timer(deadline, cx.waker()), cx.waker().clone()));
                        }
                        false
                    });
                    if !due {
                        return Poll::Pending;
                    }
                    // The deadline passed, so the timer has fired: nothing to withdraw.
                    self.state = SimpleState::Done;
                    return Poll::Ready(());
                }
                SimpleState::Done => panic!("sleep() polled after it completed"),
            }
        }
    }
}

impl Drop for SimpleSleep {
    /// A sleep dropped before its deadline withdraws its timer.
    fn drop(&mut self) {
        if let SimpleState::Waiting { timer: Some((id, _)), .. } = &self.state {
            // `try`: if the runtime is already gone, so is its timer heap.
            let _ = try_with_timers(|t| t.cancel_timer(*id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Transcript;
    use crate::stage3_sleep::{Clock, NaiveRunner};
    use crate::test_support::PollFn;

    #[test]
    fn the_deadline_is_taken_at_the_first_poll_not_at_creation() {
        let runner = NaiveRunner::new(Clock::virtual_());
        let out = Transcript::new();
        let log = out.clone();
        let mut made_early = Some(sleep(Duration::from_secs(1)));
        let mut waiting = Some(sleep(Duration::from_secs(5)));
        let main = PollFn(move |cx: &mut Context<'_>| {
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
        runner.run(vec![Box::new(main)]);
        assert_eq!(out.stamped(), ["6.000 done"]);
    }

    #[test]
    fn sleep_zero_yields_once_and_takes_no_time() {
        // Two coroutines on the naive runner: the first says "before", sleeps
        // 0 and says "after"; its one yield lets the second run in between.
        let runner = NaiveRunner::new(Clock::virtual_());
        let out = Transcript::new();
        let (log, other_log) = (out.clone(), out.clone());
        let mut zero: Option<Sleep> = None;
        let main = PollFn(move |cx: &mut Context<'_>| {
            let zero = zero.get_or_insert_with(|| {
                log.say("before sleep(0)");
                sleep(Duration::ZERO)
            });
            if zero.poll(cx).is_pending() {
                return Poll::Pending;
            }
            log.say("after sleep(0)");
            Poll::Ready(())
        });
        let other = PollFn(move |_: &mut Context<'_>| {
            other_log.say("other task");
            Poll::Ready(())
        });
        runner.run(vec![Box::new(main), Box::new(other)]);
        assert_eq!(out.lines(), ["before sleep(0)", "other task", "after sleep(0)"]);
        assert_eq!(runner.clock().now(), Duration::ZERO, "sleep(0) takes no time");
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
        let runner = NaiveRunner::new(Clock::virtual_());
        let mut s = sleep(Duration::from_millis(1));
        runner.run(vec![Box::new(PollFn(move |cx: &mut Context<'_>| {
            if s.poll(cx).is_pending() {
                return Poll::Pending;
            }
            let _ = s.poll(cx); // the bug: once more after Ready
            Poll::Ready(())
        }))]);
    }
}
