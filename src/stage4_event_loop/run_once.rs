//! `run_once`: one turn of the loop — asyncio's `BaseEventLoop._run_once`.
//!
//! ```text
//! loop {                                          ← run_forever
//!     1. wait:  0 if something is ready (or we are stopping),
//!               else until the earliest timer — the thread sleeps, or a
//!               virtual clock jumps; nothing that could end the wait = deadlock
//!               (stage 8 waits in poll(2): what the outside world has —
//!               a readable socket, a thread's result — is queued here, first)
//!     2. move every due timer, earliest (deadline, seq) first, to the
//!        tail of the ready queue
//!     3. run exactly the runnables queued *now*, FIFO; whatever they queue
//!        waits for the next iteration
//!     if stopping { break }
//! }
//! ```
//! Rule 3 is the one that decides asyncio's order of events: a task spawned
//! in this iteration takes its first step in the next; a task woken by
//! another's completion runs one iteration after it.

use super::event_loop::EventLoop;
use super::hooks::LoopEvent;
use super::loop_error::LoopError;
use super::runnable::Runnable;
use super::seams::Activity;
use super::timer_heap::DueAction;

impl EventLoop {
    /// One iteration: wait, collect due timers, run the snapshot of the ready queue.
    pub(super) fn run_once(&self) -> Result<(), LoopError> {
        let core = &*self.core;

        // 1. Wait — but only if there is nothing to do right now. How to
        //    wait is the idle-wait seam's business (stage 3's clock; stage 8's poll).
        if core.ready.borrow().is_empty() && !core.stopping.get() {
            let deadline = core.timers.borrow_mut().next_deadline();
            if core.observing.get()
                && let Some(until) = deadline
            {
                let from = core.clock.now();
                core.emit(match core.clock.is_virtual() {
                    true => LoopEvent::ClockJumped { from, to: until.max(from) },
                    false => LoopEvent::Idle { until },
                });
            }
            let watch = core.step_watch.get();
            watch.inspect(|w| w.activity(core, Activity::Waiting));
            // A clone, not a borrow held across the wait: the wait queues
            // runnables, and a stage may install another wait meanwhile.
            let idle_wait = core.idle_wait.borrow().clone();
            let woke = idle_wait.wait(core, deadline);
            watch.inspect(|w| w.activity(core, Activity::Woken));
            if !woke {
                return Err(LoopError::Deadlock { stuck: core.explain() });
            }
        } else if core.poll_when_busy.get() {
            // Something is ready, so no waiting — but what the outside world
            // has now still joins this iteration (asyncio's `select(0)`).
            let idle_wait = core.idle_wait.borrow().clone();
            idle_wait.poll_now(core);
        }

        core.iterations.set(core.iterations.get() + 1);
        if core.observing.get() {
            core.emit(LoopEvent::Iteration { n: core.iterations.get() });
        }

        // 2. Due timers join the tail of the ready queue, earliest first.
        let now = core.clock.now();
        let mut fired = Vec::new(); // what they wake, for observers
        let mut timers = core.timers.borrow_mut();
        if timers.len() > 0 {
            let mut ready = core.ready.borrow_mut();
            timers.pop_due(now, |action| {
                if core.observing.get() {
                    fired.push(match &action {
                        DueAction::Wake(waker) => Some(waker.target_addr()),
                        DueAction::Call(_) => None,
                    });
                }
                ready.push(action.into())
            });
        }
        drop(timers);
        if !fired.is_empty() {
            let names = core.task_names_by_addr();
            let name_of = |addr| names.iter().find(|(a, _)| *a == addr).map(|(_, n)| n.clone());
            for target in fired {
                let what = target.and_then(name_of).unwrap_or_else(|| "callback".to_string());
                core.emit(LoopEvent::TimerFired { deadline: now, what });
            }
        }

        // 3. Run exactly what is queued now. `pop` one at a time, with the
        //    borrow released, because each runnable may queue more.
        let snapshot = core.ready.borrow().len();
        if let Some(reorder) = core.reorder.borrow_mut().as_mut() {
            core.ready.borrow_mut().permute(reorder); // RONDO_SHUFFLE: same iteration, another order
        }
        for _ in 0..snapshot {
            let runnable = core.ready.borrow_mut().pop().expect("the snapshot counted it");
            match runnable {
                Runnable::Step(key) => self.run_step(key),
                // A panicking callback or waker is reported, and the loop
                // goes on (asyncio logs "Exception in callback ...").
                Runnable::Wake(waker) => core.wake_catching(waker),
                Runnable::Call(callback) => core.run_catching(callback),
                Runnable::Stop => core.stop(),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::PollFn;
    use crate::{Context, Coroutine, EventLoop, LoopError, Poll, Transcript, spawn};
    use std::time::Duration;

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
    fn sleep_zero_yields_once_without_a_timer() {
        // main: spawn `other`, say "before", sleep(0), say "after". The
        // spawned task's first step was queued before main's re-queue, so it
        // runs in between — and no time passes.
        let ev = EventLoop::new_virtual();
        let out = Transcript::new();
        let (log, other_log) = (out.clone(), out.clone());
        let mut zero: Option<crate::Sleep> = None;
        let main = PollFn(move |cx: &mut Context<'_>| {
            if zero.is_none() {
                let other_log = other_log.clone();
                let _other = spawn(PollFn(move |_: &mut Context<'_>| {
                    other_log.say("other task");
                    Poll::Ready(())
                }));
                log.say("before sleep(0)");
                zero = Some(crate::sleep(Duration::ZERO));
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
}
