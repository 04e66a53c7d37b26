//! `TaskTable`: every unfinished task, by key — a slab with generations.
//!
//! The loop owns its tasks here. A `TaskKey` is a slot index plus the slot's
//! generation: when a task finishes, its slot is reused by a later task with
//! the next generation, so a stale key (a late wake of a finished task) finds
//! nothing instead of the wrong task. Rejected alternative: a `HashMap<u64, _>`
//! keyed by task id — same behaviour, but a hash per lookup on the hottest
//! path of the loop.

use super::task_cell::AnyTask;
use std::rc::Rc;

/// Names a task's slot in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TaskKey {
    index: u32,
    generation: u32,
}

impl TaskKey {
    /// Names no task (its slot index is never used).
    pub(crate) const NONE: TaskKey = TaskKey { index: u32::MAX, generation: 0 };

    /// Names no task either: in a header's `awaiting`, "awaits something
    /// that is not a task — see the loop's awaited targets".
    pub(crate) const TARGET: TaskKey = TaskKey { index: u32::MAX, generation: 1 };

    /// The key as one `u64` (slot index in the high half), for compact queues.
    #[inline]
    pub(crate) fn to_bits(self) -> u64 {
        (u64::from(self.index) << 32) | u64::from(self.generation)
    }

    /// The key back from [`to_bits`](TaskKey::to_bits).
    #[inline]
    pub(crate) fn from_bits(bits: u64) -> TaskKey {
        TaskKey { index: (bits >> 32) as u32, generation: bits as u32 }
    }

    /// Any key, for tests of the structures that store keys.
    #[cfg(test)]
    pub(crate) fn for_tests(index: u32, generation: u32) -> TaskKey {
        TaskKey { index, generation }
    }
}

#[derive(Default)]
pub(crate) struct TaskTable {
    /// 16 bytes a slot. The generation is not stored here: a task knows its
    /// own key, and a lookup compares it (a separate field would round the
    /// slot up to 24 bytes — 8 MB more with a million tasks).
    slots: Vec<Option<Rc<dyn AnyTask>>>,
    /// Empty slots and the generation each will give its next task, reused
    /// last-freed first.
    free: Vec<TaskKey>,
    len: usize,
}

impl TaskTable {
    /// The key the next `insert` will return.
    pub(crate) fn next_key(&self) -> TaskKey {
        match self.free.last() {
            Some(&key) => key,
            None => {
                let index = u32::try_from(self.slots.len()).ok().filter(|&i| i != u32::MAX);
                TaskKey { index: index.expect("more than 4 billion live tasks"), generation: 0 }
            }
        }
    }

    /// Stores a task in the slot `next_key()` named; the task's header must
    /// carry that key.
    pub(crate) fn insert(&mut self, task: Rc<dyn AnyTask>) -> TaskKey {
        let key = self.next_key();
        debug_assert_eq!(task.header().key, key);
        match self.free.pop() {
            Some(free) => self.slots[free.index as usize] = Some(task),
            None => self.slots.push(Some(task)),
        }
        self.len += 1;
        key
    }

    pub(crate) fn get(&self, key: TaskKey) -> Option<&Rc<dyn AnyTask>> {
        let task = self.slots.get(key.index as usize)?.as_ref()?;
        (task.header().key == key).then_some(task)
    }

    /// Takes a task out; its slot's next task gets a new generation, so old keys go stale.
    pub(crate) fn remove(&mut self, key: TaskKey) -> Option<Rc<dyn AnyTask>> {
        let slot = self.slots.get_mut(key.index as usize)?;
        if slot.as_ref()?.header().key != key {
            return None;
        }
        let task = slot.take()?;
        self.free.push(TaskKey { index: key.index, generation: key.generation.wrapping_add(1) });
        self.len -= 1;
        Some(task)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Every task in the table, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Rc<dyn AnyTask>> {
        self.slots.iter().flatten()
    }

    /// Removes and returns every task.
    pub(crate) fn drain(&mut self) -> Vec<Rc<dyn AnyTask>> {
        let mut all = Vec::with_capacity(self.len);
        for slot in &mut self.slots {
            if let Some(task) = slot.take() {
                let key = task.header().key;
                self.free.push(TaskKey { index: key.index, generation: key.generation.wrapping_add(1) });
                all.push(task);
            }
        }
        self.len = 0;
        all
    }
}
