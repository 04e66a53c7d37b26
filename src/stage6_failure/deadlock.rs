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

use crate::stage4_event_loop::{AnyTask, Core};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// What a stuck task waits on (defined with `LoopError`, in stage 4).
pub use crate::stage4_event_loop::StuckTask;

/// The explainer this stage installs in the loop's seam: every unfinished
/// task, by id, with what it waits on.
///
/// Linear in the tasks and the wakers held: each question — "who holds my
/// waker?" — is a lookup in a map built once, not a search (a hundred
/// thousand tasks stuck on one promise are explained in well under a second).
pub(crate) fn explain(core: &Core) -> Vec<StuckTask> {
    let tasks = core.unfinished_tasks();
    let addr = |task: &Rc<dyn AnyTask>| Rc::as_ptr(task) as *const () as usize;
    // Whose waker is each task's joiner: awaiter's address -> awaited task.
    let mut awaits: HashMap<usize, usize> = HashMap::new();
    for (i, task) in tasks.iter().enumerate() {
        if let Some(awaiter) = task.header().joiner_addr() {
            awaits.entry(awaiter).or_insert(i); // (the first, in id order)
        }
    }
    // Who else holds wakers: waiter's address -> what reported itself.
    let things = core.waits_on();
    let mut holder: HashMap<usize, usize> = HashMap::new();
    for (k, thing) in things.iter().enumerate() {
        for waiter in thing.waiter_addrs() {
            holder.entry(waiter).or_insert(k);
        }
    }
    let forever: HashSet<usize> = core.waiting_forever().into_iter().collect();
    tasks
        .iter()
        .enumerate()
        .map(|(i, task)| {
            let me = addr(task);
            let waits_on = match awaits.get(&me) {
                Some(&j) if j == i => "awaits itself: it can never finish".to_string(),
                Some(&j) => format!("awaits task '{}'", tasks[j].header().name()),
                None => match holder.get(&me) {
                    Some(&k) => things[k].describe(),
                    None if forever.contains(&me) => {
                        "sleeps until the end of time: its deadline is past the \
                         last instant a timer can name (584 years), so it can never wake"
                            .to_string()
                    }
                    None => "waits on something that can no longer wake it \
                             (no timer, task or promise of this loop holds its waker)"
                        .to_string(),
                },
            };
            StuckTask { task: task.header().info(), waits_on }
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
