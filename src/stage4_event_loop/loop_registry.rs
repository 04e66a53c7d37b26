//! `LoopNumber`: which loop a task belongs to, in four bytes instead of eight.
//!
//! A task must find its loop again — to queue itself when woken, to look up
//! its name, to be cancelled. The obvious way is a `Weak<Core>` in every task
//! (8 bytes). But each loop lives on one thread (`Core` is `!Send`), so a
//! small per-thread table of loops does the same job with a `u32` index,
//! which fits in the padding beside the task's flags: the task header
//! shrinks from 64 to 56 bytes, and a trivial task's allocation from a
//! 128-byte malloc chunk to a 112-byte one.
//!
//! The price is a lookup per wake. The common case — a task woken while its
//! own loop runs — goes through the running loop's thread-local, borrowed,
//! with no reference count touched (`with_core`); only other cases look in
//! the table. Measured: yield within noise of the `Weak::upgrade` it replaces.

use super::core::Core;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

/// A loop's number on this thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LoopNumber(u32);

/// The loops of this thread, numbered in creation order from `base`.
///
/// Numbers are never reused: a task that outlives its loop (its handle kept
/// somewhere) keeps its number, and a reused number would send its late wakes,
/// and the lookup of its name, to an unrelated loop. Dead loops at the front
/// are dropped, so sequential loops (one `run` after another) keep one entry.
#[derive(Default)]
struct Registry {
    base: u32,
    loops: Vec<Weak<Core>>,
}

thread_local! {
    static LOOPS: RefCell<Registry> =
        const { RefCell::new(Registry { base: 0, loops: Vec::new() }) };
}

impl LoopNumber {
    /// Gives `core` (under construction, see `Rc::new_cyclic`) a number.
    pub(crate) fn register(core: &Weak<Core>) -> LoopNumber {
        LOOPS.with(|registry| {
            let mut registry = registry.borrow_mut();
            let n = u32::try_from(registry.loops.len())
                .ok()
                .and_then(|len| registry.base.checked_add(len))
                .expect("more than 4 billion event loops created on this thread");
            registry.loops.push(core.clone());
            LoopNumber(n)
        })
    }

    /// Forgets the loop when it is dropped. (At thread exit the table may
    /// already be gone: nothing to forget then.)
    pub(crate) fn unregister(self) {
        let _ = LOOPS.try_with(|registry| {
            let mut registry = registry.borrow_mut();
            // (Already gone if an earlier clean-up saw it dead.)
            if let Some(index) = self.0.checked_sub(registry.base)
                && let Some(slot) = registry.loops.get_mut(index as usize)
            {
                *slot = Weak::new();
            }
            let dead = registry.loops.iter().take_while(|l| l.strong_count() == 0).count();
            registry.loops.drain(..dead);
            registry.base += dead as u32;
        });
    }

    /// The loop, if it still exists.
    #[inline]
    pub(crate) fn core(self) -> Option<Rc<Core>> {
        LOOPS
            .try_with(|registry| {
                let registry = registry.borrow();
                registry.loops.get(self.0.checked_sub(registry.base)? as usize)?.upgrade()
            })
            .ok()
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::PollFn;
    use crate::{Context, EventLoop, Poll};

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
        assert!(old.cancel(), "cancelling it is harmless");
        assert!(!new.cancelled() && !new.done());
        assert_eq!(new.name(), "new");
        assert_eq!(second.all_tasks().len(), 1);
    }

    #[test]
    fn sequential_loops_keep_the_registry_small() {
        for _ in 0..1000 {
            drop(EventLoop::new_virtual());
        }
        let len = super::LOOPS.with(|registry| registry.borrow().loops.len());
        assert!(len <= 1, "{len} entries left");
    }
}
