//! The deadlock explainer on random programs of locks: a few tasks each take
//! a few named locks in a random order, with random pauses between, and hold
//! them all to the end. Some such programs finish; the others deadlock.
//! Whenever the loop reports a deadlock:
//! - at least one cycle is named (every stuck task waits for a lock held by
//!   a stuck task, so a cycle must exist);
//! - every cycle named is real: each "Task 'T' waits for Lock 'L' held by
//!   'U'" is true of the program's own bookkeeping (T is in line for L, U
//!   holds it), and the last holder is the first task;
//! - every "held by" names the task that really holds that lock.

use proptest::prelude::*;
use rondo::{BoxCoroutine, CoroutineExt, EventLoop, Lock, LockGuard, LoopError, ready, sleep};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

/// The truth, kept by the tasks themselves: lock -> holder, task -> lock waited for.
#[derive(Default)]
struct Truth {
    holds: HashMap<String, String>,
    waits: HashMap<String, String>,
}

/// Takes `plan`'s locks in order (pausing `ms` before each), then lets go of all.
fn taker(
    me: String,
    locks: Rc<Vec<Lock>>,
    plan: Vec<(usize, u64)>,
    held: Vec<LockGuard>,
    truth: Rc<RefCell<Truth>>,
) -> BoxCoroutine<'static, ()> {
    let Some((&(lock, ms), rest)) = plan.split_first() else {
        let t = truth.clone();
        let mine: Vec<String> = (0..locks.len()).map(|i| format!("L{i}")).collect();
        t.borrow_mut().holds.retain(|l, holder| !(holder == &me && mine.contains(l)));
        drop(held);
        return Box::new(ready(()));
    };
    let rest = rest.to_vec();
    let name = format!("L{lock}");
    Box::new(sleep(Duration::from_millis(ms)).then(move |()| {
        truth.borrow_mut().waits.insert(me.clone(), name.clone());
        locks[lock].acquire().then(move |guard| {
            {
                let mut t = truth.borrow_mut();
                t.waits.remove(&me);
                t.holds.insert(name, me.clone());
            }
            let mut held = held;
            held.push(guard);
            taker(me, locks, rest, held, truth)
        })
    }))
}

/// "Task 'T' waits for Lock 'L' held by 'U', which waits for Lock 'M' held by 'V'" -> [(T, L, U), (U, M, V)].
fn parse_cycle(sentence: &str) -> Vec<(String, String, String)> {
    let body = sentence.strip_prefix("Task '").expect("starts with a task");
    let mut first = body.splitn(2, "' ");
    let mut who = first.next().unwrap().to_string();
    let mut rest = first.next().unwrap();
    let mut edges = vec![];
    loop {
        let after = rest.strip_prefix("waits for Lock '").expect("a lock edge");
        let (lock, after) = after.split_once("' held by '").unwrap();
        let (holder, after) = after.split_once('\'').unwrap();
        edges.push((who.clone(), lock.to_string(), holder.to_string()));
        who = holder.to_string();
        match after.strip_prefix(", which ") {
            Some(more) => rest = more,
            None => break,
        }
    }
    edges
}

proptest! {
    // No regression files: a failure prints its plans (the project's rule).
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_reported_cycle_is_a_real_cycle(
        plans in prop::collection::vec(
            prop::collection::vec((0usize..3, 0u64..3), 1..4),
            2..5,
        ),
    ) {
        let locks: Rc<Vec<Lock>> = Rc::new((0..3).map(|i| Lock::named(&format!("L{i}"))).collect());
        let truth: Rc<RefCell<Truth>> = Rc::default();
        let ev = EventLoop::new_virtual();
        let mut tasks = vec![];
        for (t, plan) in plans.iter().enumerate() {
            // Each lock at most once per task (a Lock is not reentrant: that is another report).
            let mut seen = vec![];
            let plan: Vec<_> = plan.iter().copied().filter(|(l, _)| !seen.contains(l) && { seen.push(*l); true }).collect();
            let me = format!("T{t}");
            tasks.push(ev.spawn_named(&me, taker(me.clone(), locks.clone(), plan, vec![], truth.clone())));
        }
        match ev.run_forever() {
            // Every task finished: run_forever has nothing left to wait for.
            Err(LoopError::Deadlock { stuck }) if stuck.is_empty() => {}
            Err(LoopError::Deadlock { stuck }) => {
                let truth = truth.borrow();
                let mut cycles = 0;
                for s in &stuck {
                    let said = &s.waits_on;
                    if let Some((_, holder)) = said.split_once(" held by '") {
                        let holder = holder.split('\'').next().unwrap();
                        let lock = truth.waits.get(&s.task.name).expect("a task said to wait for a lock waits for one");
                        prop_assert!(said.starts_with(&format!("waits to acquire Lock '{lock}' held by")), "{}", said);
                        prop_assert_eq!(truth.holds.get(lock).map(String::as_str), Some(holder), "{}", said);
                    }
                    if let Some((_, sentence)) = said.split_once(", in a cycle: ") {
                        cycles += 1;
                        let edges = parse_cycle(sentence);
                        prop_assert!(edges.len() >= 2, "{}", sentence);
                        prop_assert_eq!(&edges[0].0, &s.task.name);
                        prop_assert_eq!(&edges.last().unwrap().2, &edges[0].0, "the cycle closes: {}", sentence);
                        for (who, lock, holder) in &edges {
                            prop_assert_eq!(truth.waits.get(who), Some(lock), "{} waits for {}", who, lock);
                            prop_assert_eq!(truth.holds.get(lock), Some(holder), "{} holds {}", holder, lock);
                        }
                    }
                }
                prop_assert!(cycles >= 1, "a deadlock of locks alone has a cycle: {:?}", stuck);
            }
            Err(other) => prop_assert!(false, "unexpected error {:?}", other),
            Ok(()) => {} // run_forever ends only by an error here
        }
        drop(tasks);
    }
}
