//! The deadlock explainer: who is stuck, and on what.
//!
//! When nothing is ready, no timer is pending and nothing outside the loop
//! can wake it, the tasks still waiting will wait forever. asyncio, trio and
//! tokio hang there; rondo stops with [`LoopError::Deadlock`](crate::LoopError),
//! and says for each task what it waits on. This explainer fills the loop's
//! explainer seam; it finds the answer only then, by asking everything that
//! holds wakers whose wakers it holds:
//! - a task's *joiner* slot: "awaits task X" (or "awaits itself");
//! - what reported itself through the loop's waits-on seam — promises,
//!   gathers (stage 5), queues and locks (stage 7) — when someone started
//!   waiting on it;
//! - anything else is a waker handed to something the loop does not know
//!   (a custom `Wake`, a hand-written coroutine that kept no waker): said as such.
//!
//! Nothing of this runs on the hot path: reporting is one push the first
//! time somebody waits on a thing.

use crate::stage4_event_loop::{Core, TaskInfo};

/// What a stuck task waits on (defined with `LoopError`, in stage 4).
pub use crate::stage4_event_loop::StuckTask;

/// The explainer this stage installs in the loop's seam: every unfinished
/// task, by id, with what it waits on.
pub(crate) fn explain(core: &Core) -> Vec<StuckTask> {
    // (address, info, address of whoever awaits it)
    let known: Vec<(usize, TaskInfo, Option<usize>)> = core
        .unfinished_tasks()
        .iter()
        .map(|task| {
            let addr = std::rc::Rc::as_ptr(task) as *const () as usize;
            (addr, task.header().info(), task.header().joiner_addr())
        })
        .collect();
    let waits_on = core.waits_on();
    known
        .iter()
        .map(|(addr, info, _)| {
            let awaited = known.iter().find(|(_, _, joiner)| *joiner == Some(*addr));
            let waits_on = match awaited {
                Some((other, _, _)) if other == addr => "awaits itself: it can never finish".to_string(),
                Some((_, other, _)) => format!("awaits task '{}'", other.name),
                None => match waits_on.iter().find(|w| w.waiter_addrs().contains(addr)) {
                    Some(what) => what.describe(),
                    None => "waits on something that can no longer wake it \
                             (no timer, task or promise of this loop holds its waker)"
                        .to_string(),
                },
            };
            StuckTask { task: info.clone(), waits_on }
        })
        .collect()
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
