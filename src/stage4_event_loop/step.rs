//! A task's step, and its end: asyncio's `Task.__step` as the loop runs it.
//!
//! The loop takes the task out of its table by key (a stale key — the task
//! finished since it was queued — is skipped), marks it current, polls it
//! once with its own waker, and if it is done, removes it and tells whoever
//! waits: the main task's end schedules the stop, an awaiter is woken.
//!
//! The around-a-step seam is here: the `StepBeacon` gets the step's number
//! on both sides of the poll, a `StepWatch` that asked for every step is
//! called on both sides, and one is told of every task that panics. Stage 6
//! times steps there and notes failures nobody may await.

use super::event_loop::EventLoop;
use super::hooks::LoopEvent;
use super::runnable::Runnable;
use super::task_cell::AnyTask;
use super::task_table::TaskKey;
use crate::{Poll, Waker};
use std::rc::Rc;

impl EventLoop {
    /// Steps the task at `key` once, and finishes it if it is done.
    pub(super) fn run_step(&self, key: TaskKey) {
        let core = &*self.core;
        // Clone the task out so no borrow of the table is held while it runs
        // (it may spawn).
        let Some(task) = core.tasks.borrow().get(key).cloned() else { return };
        core.current.set(Some(key));
        let seq = core.steps.get() + 1;
        core.steps.set(seq);
        let beacon = core.beacon.get();
        beacon.inspect(|b| b.step_started(seq));
        let watch = core.step_watch.get().filter(|_| core.watch_every_step.get());
        watch.inspect(|w| w.step_started(core, &*task));
        let observed_from = core.observing.get().then(|| {
            core.emit(LoopEvent::StepStarted { task: task.header().info() });
            core.clock.now()
        });
        let poll = task.step(&Waker::new(task.clone()));
        core.current.set(None);
        watch.inspect(|w| w.step_ended(core, &*task));
        if let Some(beacon) = beacon
            && beacon.step_ended(seq)
            && let Some(watch) = core.step_watch.get()
        {
            watch.step_flagged(core, &*task);
        }
        if let Some(started) = observed_from {
            let held = core.clock.now().saturating_sub(started);
            let (ready, state) = (poll.is_ready(), task.state_name());
            core.emit(LoopEvent::StepEnded { task: task.header().info(), held, ready, state });
        }
        if let Poll::Ready(panicked) = poll {
            if let Some(payload) = panicked {
                core.step_watch.get().inspect(|w| w.task_panicked(core, &task));
                if core.main_task.get() == Some(key) {
                    *core.main_panic.borrow_mut() = Some(payload); // for `run` to resume with
                }
            }
            self.finish(key, &task);
        }
    }

    /// A task finished in this step: forget it, and tell whoever waits.
    fn finish(&self, key: TaskKey, task: &Rc<dyn AnyTask>) {
        let core = &*self.core;
        core.tasks.borrow_mut().remove(key);
        if task.header().awaiting.get() == TaskKey::TARGET {
            core.awaited_targets.borrow_mut().remove(&key);
        }
        if core.observing.get() {
            let outcome = match (task.panic_message(), task.header().cancel_requested.get()) {
                (Some(message), _) => format!("panicked: {message}"),
                (None, true) => "cancelled".to_string(),
                (None, false) => "done".to_string(),
            };
            core.emit(LoopEvent::Completed { task: task.header().info(), outcome });
        }
        // asyncio schedules a finished task's done-callbacks with call_soon,
        // in the order they were added: first the stop callback of
        // run_until_complete, then the awaiter.
        if core.main_task.get() == Some(key) {
            core.ready.borrow_mut().push(Runnable::Stop);
        }
        if let Some(joiner) = task.header().joiner.take() {
            joiner.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::PollFn;
    use crate::{Context, EventLoop, Poll, Waker};

    #[test]
    fn a_wake_while_the_loop_is_not_running_is_kept_for_the_next_run() {
        // A task parked on a waker we hold; we wake it from outside the loop.
        let ev = EventLoop::new_virtual();
        let parked = std::rc::Rc::new(std::cell::RefCell::new(None::<Waker>));
        let p = parked.clone();
        let mut woken = false;
        let task = ev.spawn(PollFn(move |cx: &mut Context<'_>| {
            if woken {
                return Poll::Ready(42);
            }
            woken = true;
            *p.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        }));
        ev.call_soon(crate::stop);
        ev.run_forever().unwrap();
        assert!(!task.done());
        parked.borrow_mut().take().unwrap().wake(); // outside any running loop
        assert_eq!(ev.run_until_complete(task).unwrap(), Ok(42));
    }
}
