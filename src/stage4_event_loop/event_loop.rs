//! `EventLoop`: the loop a program holds — asyncio's `BaseEventLoop`, its public face.
//!
//! This file is the API: make a loop, spawn onto it, schedule callbacks,
//! run it (`run_forever`, `run_until_complete`, `run`), cancel what is left.
//! What one turn of the loop does is in [`run_once`](super::run_once); what
//! one task's step does, in [`step`](super::step).
//!
//! Stage 4 makes the loop *bare*: [`EventLoop::bare`]. The constructors a
//! program calls — [`EventLoop::new`], [`EventLoop::new_virtual`],
//! [`EventLoop::with_clock`] — are in `src/runtime.rs`: the same loop with
//! the later stages plugged into its [seams](super::seams) (stage 6's
//! failure handling, the observers the environment asks for).
//!
//! (Over 300 lines because of its documentation: each public method has a
//! compiled example; the code itself is about 160 lines.)

use super::catch_panic::CallbackPanic;
use super::core::Core;
use super::hooks::Observer;
use super::loop_error::LoopError;
use super::runnable::{Callback, Runnable};
use super::running::{self, RunningGuard};
use super::seams::Activity;
use super::task_handle::Task;
use super::task_info::{TaskError, TaskInfo};
use super::timer_handle::TimerHandle;
use crate::stage3_sleep::Clock;
use crate::{Context, Coroutine, Poll, Waker};
use std::fmt;
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

/// An event loop: tasks, a ready queue, timers, and a clock.
///
/// ```
/// use rondo::{EventLoop, sleep};
/// use std::time::Duration;
///
/// let ev = EventLoop::new_virtual();
/// ev.run_until_complete(sleep(Duration::from_secs(3600))).unwrap();
/// assert_eq!(ev.time(), 3600.0); // an hour, in no time
/// ```
pub struct EventLoop {
    pub(super) core: Rc<Core>,
}

impl EventLoop {
    /// Stage 4's loop alone, on `clock`: no slow-step detector, a deadlock
    /// report that names the stuck tasks but not what they wait on, no
    /// observers. [`EventLoop::with_clock`] is the loop with everything.
    pub fn bare(clock: Clock) -> EventLoop {
        EventLoop { core: Core::new(clock) }
    }

    /// The loop's time in seconds since it was made (asyncio: `loop.time()`).
    pub fn time(&self) -> f64 {
        self.core.clock.now().as_secs_f64()
    }

    /// The loop's time as a `Duration`.
    pub fn now(&self) -> Duration {
        self.core.clock.now()
    }

    /// `true` if the loop runs on a virtual clock.
    pub fn is_virtual(&self) -> bool {
        self.core.clock.is_virtual()
    }

    /// Iterations run so far.
    pub fn iterations(&self) -> u64 {
        self.core.iterations.get()
    }

    /// Schedules `coroutine` as a task (asyncio: `loop.create_task`); it starts
    /// when the loop runs. Works before the loop runs, unlike [`spawn`](crate::spawn).
    #[track_caller]
    pub fn spawn<C>(&self, coroutine: C) -> Task<C::Output>
    where
        C: Coroutine + 'static,
        C::Output: 'static,
    {
        self.core.spawn(coroutine, None, Location::caller())
    }

    /// Like [`spawn`](EventLoop::spawn), with a name.
    #[track_caller]
    pub fn spawn_named<C>(&self, name: &str, coroutine: C) -> Task<C::Output>
    where
        C: Coroutine + 'static,
        C::Output: 'static,
    {
        self.core.spawn(coroutine, Some(name.into()), Location::caller())
    }

    /// Runs `callback` on the next iteration (asyncio: `loop.call_soon`).
    /// A panic in it is reported, with this call's place, and the loop goes on.
    #[track_caller]
    pub fn call_soon(&self, callback: impl FnOnce() + 'static) {
        self.core.call_soon(Callback::new(callback));
    }

    /// Runs `callback` once `delay` has passed (asyncio: `loop.call_later`).
    #[track_caller]
    pub fn call_later(&self, delay: Duration, callback: impl FnOnce() + 'static) -> TimerHandle {
        self.core.call_later(delay, Callback::new(callback))
    }

    /// The callbacks that panicked so far, each with the place it was
    /// scheduled from (each was also reported on stderr when it panicked).
    pub fn callback_panics(&self) -> Vec<CallbackPanic> {
        self.core.callback_panics.borrow().clone()
    }

    /// Stops the loop once the current iteration ends (asyncio: `loop.stop()`).
    pub fn stop(&self) {
        self.core.stop();
    }

    /// Installs an observer of the loop's events (replacing any other);
    /// see [`hooks`](super::hooks).
    pub fn observe(&self, observer: Box<dyn Observer>) {
        *self.core.observer.borrow_mut() = Some(observer);
        self.core.observing.set(true);
    }

    /// Removes the observer, returning it.
    pub fn stop_observing(&self) -> Option<Box<dyn Observer>> {
        self.core.observing.set(false);
        self.core.observer.borrow_mut().take()
    }

    /// The loop's shared state, for the stages that plug into its seams.
    pub(crate) fn core(&self) -> &Rc<Core> {
        &self.core
    }

    /// Unfinished tasks.
    pub fn all_tasks(&self) -> Vec<TaskInfo> {
        self.core.all_tasks()
    }

    /// Runs until [`stop`](EventLoop::stop) is called (asyncio: `loop.run_forever()`).
    ///
    /// # Errors
    /// [`LoopError::Deadlock`] when nothing can ever happen again.
    ///
    /// # Panics
    /// When called from inside a running loop.
    pub fn run_forever(&self) -> Result<(), LoopError> {
        let _running = RunningGuard::enter(&self.core, "run_forever()");
        self.run_until_stopped()
    }

    fn run_until_stopped(&self) -> Result<(), LoopError> {
        let core = &*self.core;
        core.step_watch.get().inspect(|w| w.activity(core, Activity::Running));
        let result = loop {
            if let Err(error) = self.run_once() {
                break Err(error);
            }
            if core.stopping.get() {
                break Ok(());
            }
        };
        core.stopping.set(false);
        core.step_watch.get().inspect(|w| w.activity(core, Activity::Stopped));
        if core.observing.get()
            && let Some(observer) = core.observer.borrow_mut().as_mut()
        {
            observer.finished(core.clock.now());
        }
        result
    }

    /// Runs `main` as a task until it finishes and returns its output
    /// (asyncio: `loop.run_until_complete`). Other tasks are left as they are.
    ///
    /// As in asyncio, `main` finishing *schedules* the stop: the handles
    /// already queued in that iteration still run (seed 001: "finished", then
    /// "I am foo").
    ///
    /// # Errors
    /// A deadlock, `stop()` before `main` finished, or `main`'s task failing.
    ///
    /// # Panics
    /// When called from inside a running loop.
    #[track_caller]
    pub fn run_until_complete<C>(&self, main: C) -> Result<C::Output, LoopError>
    where
        C: Coroutine + 'static,
        C::Output: 'static,
    {
        let _running = RunningGuard::enter(&self.core, "run_until_complete()");
        let mut task = self.core.spawn(main, None, Location::caller());
        self.core.main_task.set(Some(task.key()));
        let result = self.run_until_stopped();
        self.core.main_task.set(None);
        result?;
        let noop = Waker::noop();
        match task.poll(&mut Context::from_waker(&noop)) {
            Poll::Ready(Ok(output)) => Ok(output),
            // A panic in main is the caller's panic (asyncio.run re-raises),
            // with its own payload, whatever its type.
            Poll::Ready(Err(TaskError::Panicked(message))) => {
                let payload = self.core.main_panic.borrow_mut().take();
                std::panic::resume_unwind(payload.unwrap_or_else(|| Box::new(message.to_string())))
            }
            Poll::Ready(Err(error)) => Err(LoopError::Main(error)),
            Poll::Pending => Err(LoopError::StoppedBeforeComplete),
        }
    }

    /// asyncio's `asyncio.run`: runs `main` to completion, then cancels (drops)
    /// every task still pending, and returns `main`'s output.
    ///
    /// # Errors
    /// As [`run_until_complete`](EventLoop::run_until_complete).
    ///
    /// # Panics
    /// When called from inside a running loop.
    #[track_caller]
    pub fn run<C>(self, main: C) -> Result<C::Output, LoopError>
    where
        C: Coroutine + 'static,
        C::Output: 'static,
    {
        let result = self.run_until_complete(main);
        self.cancel_all();
        result
    }

    /// Cancels every unfinished task (their `Drop` runs now, inside the loop's
    /// context so that their sleeps withdraw their timers), then runs the
    /// callbacks still queued, and forgets the rest. Returns how many tasks
    /// were cancelled.
    ///
    /// The callbacks are what `asyncio.run` runs when it runs the loop once
    /// more after cancelling: a `gather`'s done-callback that retrieves a
    /// child's failure (which would otherwise be reported as never
    /// observed), a promise's callbacks. The tasks' steps go with the tasks.
    pub fn cancel_all(&self) -> usize {
        let _running = RunningGuard::enter(&self.core, "cancel_all()");
        let mut cancelled = self.core.cancel_all();
        // Bounded: callbacks that keep queueing callbacks are cut off.
        for _ in 0..1_000 {
            let queued: Vec<Runnable> = std::iter::from_fn(|| self.core.ready.borrow_mut().pop()).collect();
            if queued.is_empty() {
                break;
            }
            for runnable in queued {
                if let Runnable::Call(callback) = runnable {
                    self.core.run_catching(callback);
                }
            }
            cancelled += self.core.cancel_all(); // a callback may have spawned
        }
        self.core.ready.borrow_mut().clear();
        cancelled
    }
}

impl Drop for EventLoop {
    /// A loop that ends with work left — returned, panicked, deadlocked, or
    /// simply dropped — cancels what is left, so that every coroutine it owns
    /// is dropped exactly once. Without this, a task and what it awaits hold
    /// each other (the awaited task's joiner is the awaiter's waker; the
    /// awaiter's coroutine holds the awaited task's handle) and neither would
    /// ever be freed, nor its clean-up run.
    fn drop(&mut self) {
        if running::loop_is_running() {
            // Dropped inside another loop's coroutine: cancel without
            // entering this one (the clean-ups' timers belong to no running loop).
            self.core.cancel_all();
            self.core.ready.borrow_mut().clear();
        } else {
            self.cancel_all();
        }
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("time", &self.core.clock.now())
            .field("virtual", &self.core.clock.is_virtual())
            .field("tasks", &self.core.tasks.borrow().len())
            .field("ready", &self.core.ready.borrow().len())
            .field("timers", &self.core.timers.borrow().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{PollFn, never};
    use crate::{sleep, spawn};

    #[test]
    fn stopping_before_main_finishes_is_reported() {
        let ev = EventLoop::new_virtual();
        let _stop = ev.call_later(Duration::from_secs(1), crate::stop);
        let error = ev.run_until_complete(sleep(Duration::from_secs(5))).unwrap_err();
        assert_eq!(error, LoopError::StoppedBeforeComplete);
    }

    #[test]
    fn run_cancels_what_is_left_and_their_handles_say_cancelled() {
        let ev = EventLoop::new_virtual();
        let orphan = ev.spawn(never());
        let sleeper = ev.spawn(sleep(Duration::from_secs(60)));
        ev.run(PollFn(|_: &mut Context<'_>| Poll::Ready(()))).unwrap();
        let noop = Waker::noop();
        let mut cx = Context::from_waker(&noop);
        for mut task in [orphan, sleeper] {
            assert!(task.done());
            assert_eq!(task.poll(&mut cx), Poll::Ready(Err(TaskError::Cancelled)));
        }
    }

    #[test]
    fn a_hundred_thousand_cancelled_sleepers_leave_no_timer_and_no_task() {
        let ev = EventLoop::new_virtual();
        let main = PollFn(|_: &mut Context<'_>| {
            for _ in 0..100_000 {
                drop(spawn(sleep(Duration::from_secs(1))));
            }
            Poll::Ready(())
        });
        ev.run_until_complete(main).unwrap();
        assert_eq!(ev.all_tasks().len(), 100_000);
        // Step the loop once more so every sleeper has registered its timer.
        ev.call_soon(crate::stop);
        ev.run_forever().unwrap();
        assert_eq!(ev.core.timers.borrow().len(), 100_000);
        assert_eq!(ev.cancel_all(), 100_000);
        assert_eq!(ev.core.timers.borrow().len(), 0);
        assert!(ev.core.timers.borrow().capacity_used() < 100, "the heap was compacted");
        assert_eq!(ev.core.tasks.borrow().len(), 0);
        assert_eq!(ev.time(), 0.0);
    }
}
