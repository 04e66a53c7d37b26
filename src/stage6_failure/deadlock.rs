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
//! **Who holds what.** A thing that one task holds (stage 7's `Lock`) also
//! says who, through the seam's `held_by` — a task address and a few words,
//! so this stage never names a stage-7 type: "waits to acquire Lock 'fork'
//! held by 'B'". Each stuck task then waits for at most one other task (one
//! it awaits, or one holding what it wants to acquire); following those
//! edges finds every **cycle**, named once on its first task: "Task 'A'
//! waits for Lock 'fork' held by 'B', which waits for Lock 'knife' held by
//! 'A'" (the others in it say "in the cycle above").
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
    let index: HashMap<usize, usize> = tasks.iter().enumerate().map(|(i, t)| (addr(t), i)).collect();
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
    let name = |j: usize| tasks[j].header().name();
    // What each task waits on, and the task it waits for, if any (the edge
    // a cycle is made of), with the words for that edge in a cycle.
    let mut next: Vec<Option<(usize, String)>> = vec![None; tasks.len()];
    let mut waits_on: Vec<String> = tasks
        .iter()
        .enumerate()
        .map(|(i, task)| {
            let me = addr(task);
            match awaits.get(&me) {
                Some(&j) if j == i => "awaits itself: it can never finish".to_string(),
                Some(&j) => {
                    next[i] = Some((j, format!("awaits task '{}'", name(j))));
                    format!("awaits task '{}'", name(j))
                }
                None => match holder.get(&me) {
                    Some(&k) => {
                        let said = things[k].describe();
                        match things[k].held_by() {
                            None => said,
                            Some(held) => match index.get(&held.task_addr) {
                                Some(&j) if j == i => {
                                    format!("{said} held by '{}' itself: a Lock is not reentrant", name(j))
                                }
                                Some(&j) => {
                                    next[i] =
                                        Some((j, format!("waits for {} held by '{}'", held.what, name(j))));
                                    format!("{said} held by '{}'", name(j))
                                }
                                None => {
                                    format!("{said} held by a task that has finished (its guard outlived it)")
                                }
                            },
                        }
                    }
                    None if forever.contains(&me) => {
                        "sleeps until the end of time: its deadline is past the \
                         last instant a timer can name (584 years), so it can never wake"
                            .to_string()
                    }
                    None => "waits on something that can no longer wake it \
                             (no timer, task or promise of this loop holds its waker)"
                        .to_string(),
                },
            }
        })
        .collect();
    for cycle in cycles(&next) {
        let mut sentence = format!("Task '{}' {}", name(cycle[0]), next[cycle[0]].as_ref().unwrap().1);
        for &i in &cycle[1..] {
            sentence.push_str(", which ");
            sentence.push_str(&next[i].as_ref().unwrap().1);
        }
        waits_on[cycle[0]].push_str(&format!(", in a cycle: {sentence}"));
        for &i in &cycle[1..] {
            waits_on[i].push_str(", in the cycle above");
        }
    }
    tasks
        .iter()
        .zip(waits_on)
        .map(|(task, waits_on)| StuckTask { task: task.header().info(), waits_on })
        .collect()
}

/// The cycles of a graph where each node has at most one edge out (a task
/// waits for one thing): each as its nodes in order along the edges,
/// starting at its lowest node, so that it starts with the task listed
/// first. Linear: each node is walked once.
fn cycles(next: &[Option<(usize, String)>]) -> Vec<Vec<usize>> {
    // 0: not seen; 1 + start: on the walk from `start`; usize::MAX: done.
    let mut seen = vec![0usize; next.len()];
    let mut found = vec![];
    for start in 0..next.len() {
        let mut path = vec![];
        let mut at = start;
        while seen[at] == 0 {
            seen[at] = 1 + start;
            path.push(at);
            match &next[at] {
                Some((j, _)) => at = *j,
                None => break,
            }
        }
        // Back on this walk's own path: the part from there is a cycle.
        if seen[at] == 1 + start
            && next[at].is_some()
            && let Some(from) = path.iter().position(|&p| p == at)
        {
            let mut cycle = path[from..].to_vec();
            let lowest = (0..cycle.len()).min_by_key(|&c| cycle[c]).unwrap_or(0);
            cycle.rotate_left(lowest);
            found.push(cycle);
        }
        for p in path {
            seen[p] = usize::MAX;
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use crate::test_support::never;
    use crate::{CoroutineExt, EventLoop, LoopError, Promise};

    #[test]
    fn cycles_are_found_once_each_from_their_lowest_task() {
        let edge = |j: usize| Some((j, String::new()));
        // 0 -> 1 -> 2 -> 1 (0 only leads into the cycle); 3 -> 4 -> 3; 5 waits on nothing.
        let next = vec![edge(1), edge(2), edge(1), edge(4), edge(3), None];
        assert_eq!(super::cycles(&next), [vec![1, 2], vec![3, 4]]);
        assert!(super::cycles(&[None, edge(0)]).is_empty());
    }

    #[test]
    fn a_task_waiting_for_a_lock_it_holds_is_told_it_is_not_reentrant() {
        let ev = EventLoop::new_virtual();
        let lock = crate::Lock::named("fork");
        let l = lock.clone();
        let _t = ev.spawn_named("A", lock.acquire().then(move |g| l.acquire().map(move |g2| drop((g, g2)))));
        let LoopError::Deadlock { stuck } = ev.run_forever().unwrap_err() else { panic!("a deadlock") };
        assert_eq!(
            stuck[0].waits_on,
            "waits to acquire Lock 'fork' held by 'A' itself: a Lock is not reentrant"
        );
    }

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
