//! `LoopRef`: how a task finds its loop, in four bytes instead of eight.
//!
//! *Skip on first read:* the simple way is a `Weak<Core>` in every task
//! header; this does the same job, and a proptest below checks that it
//! answers exactly as the `Weak` would.
//!
//! A task must find its loop again — to queue itself when woken, to look up
//! its name, to be cancelled. A `Weak<Core>` takes 8 bytes. But each loop
//! lives on one thread (`Core` is `!Send`), so a small per-thread table of
//! the thread's loops, keyed by the loop's id (a `u32`, which fits in the
//! padding beside the task's flags), does the same: the task header shrinks
//! from 64 to 56 bytes, and a trivial task's allocation from a 128-byte
//! malloc chunk to a 112-byte one.
//!
//! The price is a lookup per wake: a binary search over the thread's live
//! loops — almost always one, found at the first compare. Measured: yield
//! within noise of the `Weak::upgrade` it replaces.

use crate::stage4_event_loop::Core;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

/// The loops of one thread, by id, in increasing id order.
///
/// Ids are never reused (stage 3 hands them out from a global counter), so a
/// task that outlives its loop — its handle kept somewhere — can never
/// reach a later loop through its stale id: it finds nothing.
struct Registry<T> {
    loops: Vec<(u32, Weak<T>)>,
}

impl<T> Registry<T> {
    const fn new() -> Registry<T> {
        Registry { loops: Vec::new() }
    }

    /// Adds a loop. Ids arrive in increasing order on each thread, so the
    /// vector stays sorted.
    fn register(&mut self, id: u32, core: Weak<T>) {
        debug_assert!(self.loops.last().is_none_or(|&(last, _)| last < id), "ids only grow");
        self.loops.push((id, core));
    }

    /// Forgets the loop `id`, and any other that has died meanwhile.
    fn unregister(&mut self, id: u32) {
        self.loops.retain(|(other, core)| *other != id && core.strong_count() > 0);
    }

    fn get(&self, id: u32) -> Option<Rc<T>> {
        // The newest loop is the usual answer: look there first.
        let (last, core) = self.loops.last()?;
        if *last == id {
            return core.upgrade();
        }
        let at = self.loops.binary_search_by_key(&id, |(id, _)| *id).ok()?;
        self.loops[at].1.upgrade()
    }
}

thread_local! {
    static LOOPS: RefCell<Registry<Core>> = const { RefCell::new(Registry::new()) };
}

/// A loop, named by its id: what a task header keeps to find its loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LoopRef(u32);

impl LoopRef {
    /// Registers `core` (under construction, see `Rc::new_cyclic`) under `id`.
    pub(crate) fn register(id: u32, core: &Weak<Core>) -> LoopRef {
        LOOPS.with(|registry| registry.borrow_mut().register(id, core.clone()));
        LoopRef(id)
    }

    /// Forgets the loop when it is dropped. (At thread exit the table may
    /// already be gone: nothing to forget then.)
    pub(crate) fn unregister(self) {
        let _ = LOOPS.try_with(|registry| registry.borrow_mut().unregister(self.0));
    }

    /// The loop's id (stage 3's runtime id).
    pub(crate) fn id(self) -> u32 {
        self.0
    }

    /// The loop, if it still exists.
    #[inline]
    pub(crate) fn core(self) -> Option<Rc<Core>> {
        LOOPS.try_with(|registry| registry.borrow().get(self.0)).ok().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::PollFn;
    use crate::{Context, EventLoop, Poll};
    use proptest::prelude::*;

    fn pending_forever() -> PollFn<impl FnMut(&mut Context<'_>) -> Poll<u32>> {
        PollFn(|_: &mut Context<'_>| Poll::Pending)
    }

    #[test]
    fn a_task_that_outlives_its_loop_never_reaches_a_later_one() {
        let first = EventLoop::new_virtual();
        let old = first.spawn_named("old", pending_forever());
        drop(first);
        let second = EventLoop::new_virtual();
        let new = second.spawn_named("new", pending_forever());
        assert_eq!(old.name(), "Task-1", "its loop, and the loop's names, are gone");
        // Dropping its loop cancelled it (the loop drops what it owns), and
        // asking again is harmless: it reaches no other loop.
        assert!(old.cancelled());
        assert!(!old.cancel());
        assert!(!new.cancelled() && !new.done());
        assert_eq!(new.name(), "new");
        assert_eq!(second.all_tasks().len(), 1);
    }

    #[test]
    fn sequential_loops_keep_the_registry_small() {
        for _ in 0..1000 {
            drop(EventLoop::new_virtual());
        }
        let len = LOOPS.with(|registry| registry.borrow().loops.len());
        assert!(len <= 1, "{len} entries left");
    }

    #[derive(Clone, Debug)]
    enum Op {
        Create,
        Drop(usize),
        Look(usize),
    }

    proptest! {
        /// Looking a loop up by id gives what upgrading a `Weak` to it would:
        /// the loop while it lives, nothing after — and never another loop.
        #[test]
        fn the_registry_answers_like_a_weak_pointer(ops in proptest::collection::vec(
            prop_oneof![
                2 => Just(Op::Create),
                1 => any::<usize>().prop_map(Op::Drop),
                3 => any::<usize>().prop_map(Op::Look),
            ],
            0..100,
        )) {
            let mut registry = Registry::new();
            // Every loop ever made: its id, the simple `Weak`, and the loop while it lives.
            let mut made: Vec<(u32, Weak<u32>, Option<Rc<u32>>)> = vec![];
            for op in ops {
                match op {
                    Op::Create => {
                        let id = made.len() as u32 * 3 + 1; // increasing, with gaps
                        let core = Rc::new(id);
                        registry.register(id, Rc::downgrade(&core));
                        made.push((id, Rc::downgrade(&core), Some(core)));
                    }
                    Op::Drop(pick) if !made.is_empty() => {
                        let n = pick % made.len();
                        if made[n].2.take().is_some() {
                            registry.unregister(made[n].0);
                        }
                    }
                    Op::Look(pick) if !made.is_empty() => {
                        let (id, weak, _) = &made[pick % made.len()];
                        prop_assert_eq!(registry.get(*id), weak.upgrade());
                        prop_assert_eq!(registry.get(*id + 1), None, "an id no loop has");
                    }
                    _ => {}
                }
                let live = made.iter().filter(|(_, _, core)| core.is_some()).count();
                prop_assert_eq!(registry.loops.len(), live, "dead loops are forgotten");
            }
        }
    }
}
