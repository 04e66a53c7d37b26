//! The deadlock explainer: who is stuck, and on what.
//!
//! When nothing is ready, no timer is pending and nothing outside the loop
//! can wake it, the tasks still waiting will wait forever. asyncio, trio and
//! tokio hang there; rondo stops with [`LoopError::Deadlock`](crate::LoopError),
//! and says for each task what it waits on. The loop finds that out only
//! then, by asking everything that holds wakers whose wakers it holds:
//! - a task's *joiner* slot: "awaits task X" (or "awaits itself");
//! - the [`Blocker`]s — promises, gathers — that registered with the loop
//!   when someone started waiting on them;
//! - anything else is a waker handed to something the loop does not know
//!   (a custom `Wake`, a hand-written coroutine that kept no waker): said as such.
//!
//! Nothing of this runs on the hot path: registering a blocker is one push
//! the first time somebody waits on it.

use crate::TaskInfo;
use crate::stage4_event_loop::core::Core;
use std::fmt;
use std::rc::Weak;

/// A task found stuck, and what it waits on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StuckTask {
    /// The task.
    pub task: TaskInfo,
    /// What it waits on, in words.
    pub waits_on: String,
}

impl fmt::Display for StuckTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task '{}' (spawned at {}) {}", self.task.name, self.task.spawned_at, self.waits_on)
    }
}

/// Something tasks wait on that can explain itself.
pub(crate) trait Blocker {
    /// Wake-target addresses of the wakers it holds (see `Waker::target_addr`).
    fn waiter_addrs(&self) -> Vec<usize>;
    /// What it is, e.g. "awaits a promise nobody has resolved (created at src/main.rs:7:13)".
    fn describe(&self) -> String;
}

/// Tells the running loop (if any) about a blocker, for deadlock reports.
pub(crate) fn register_blocker(blocker: Weak<dyn Blocker>) {
    if let Some(core) = crate::stage4_event_loop::core::running_loop().and_then(|w| w.upgrade()) {
        let mut blockers = core.blockers.borrow_mut();
        // Forget dead ones now and then, so the list stays as long as the live ones.
        if blockers.len() >= 64 && blockers.len().is_power_of_two() {
            blockers.retain(|b| b.strong_count() > 0);
        }
        blockers.push(blocker);
    }
}

/// Every unfinished task, with what it waits on.
pub(crate) fn explain(core: &Core) -> Vec<StuckTask> {
    let tasks = core.tasks.borrow();
    // (address, info, address of whoever awaits it)
    let known: Vec<(usize, TaskInfo, Option<usize>)> = tasks
        .iter()
        .map(|task| {
            let header = task.header();
            let joiner = header.joiner.take();
            let joiner_addr = joiner.as_ref().map(|w| w.target_addr());
            header.joiner.set(joiner);
            (std::rc::Rc::as_ptr(task) as *const () as usize, header.info(), joiner_addr)
        })
        .collect();
    let blockers: Vec<_> = core.blockers.borrow().iter().filter_map(Weak::upgrade).collect();
    let mut stuck: Vec<StuckTask> = known
        .iter()
        .map(|(addr, info, _)| {
            let awaited = known.iter().find(|(_, _, joiner)| *joiner == Some(*addr));
            let waits_on = match awaited {
                Some((other, _, _)) if other == addr => "awaits itself: it can never finish".to_string(),
                Some((_, other, _)) => format!("awaits task '{}'", other.name),
                None => match blockers.iter().find(|b| b.waiter_addrs().contains(addr)) {
                    Some(blocker) => blocker.describe(),
                    None => "waits on something that can no longer wake it \
                             (no timer, task or promise of this loop holds its waker)"
                        .to_string(),
                },
            };
            StuckTask { task: info.clone(), waits_on }
        })
        .collect();
    stuck.sort_by_key(|s| s.task.id);
    stuck
}

#[cfg(test)]
mod tests {
    use crate::test_support::never;
    use crate::{EventLoop, LoopError, Promise};

    #[test]
    fn a_waker_nobody_holds_and_a_dropped_promise_are_told_apart() {
        let ev = EventLoop::new_virtual();
        let _lost = ev.spawn_named("lost", never());
        let dropped: Promise<u8> = Promise::new();
        let _orphan = ev.spawn_named("orphan", dropped.wait());
        drop(dropped); // the task still holds a clone: the promise lives on, unresolved
        let error = ev.run_forever().unwrap_err();
        let LoopError::Deadlock { stuck } = error else { panic!("a deadlock") };
        assert_eq!(stuck.len(), 2);
        assert!(stuck[0].waits_on.contains("can no longer wake it"), "{}", stuck[0].waits_on);
        assert!(
            stuck[1].waits_on.starts_with("awaits a promise that nobody has resolved"),
            "{}",
            stuck[1].waits_on
        );
    }
}
