//! `TaskTable`: every unfinished task, by key — a slab with generations.
//!
//! The loop owns its tasks here. A `TaskKey` is a slot index plus the slot's
//! generation: when a task finishes, its slot is reused by a later task with
//! the next generation, so a stale key (a late wake of a finished task) finds
//! nothing instead of the wrong task. Rejected alternative: a `HashMap<u64, _>`
//! keyed by task id — same behaviour, but a hash per lookup on the hottest
//! path of the loop.

use super::task::AnyTask;
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
}

struct Slot {
    generation: u32,
    task: Option<Rc<dyn AnyTask>>,
}

#[derive(Default)]
pub(crate) struct TaskTable {
    slots: Vec<Slot>,
    /// Indices of empty slots, reused last-freed first.
    free: Vec<u32>,
    len: usize,
}

impl TaskTable {
    /// The key the next `insert` will return.
    pub(crate) fn next_key(&self) -> TaskKey {
        match self.free.last() {
            Some(&index) => TaskKey { index, generation: self.slots[index as usize].generation },
            None => TaskKey { index: self.slots.len() as u32, generation: 0 },
        }
    }

    /// Stores a task in the slot `next_key()` named.
    pub(crate) fn insert(&mut self, task: Rc<dyn AnyTask>) -> TaskKey {
        let key = self.next_key();
        match self.free.pop() {
            Some(index) => self.slots[index as usize].task = Some(task),
            None => self.slots.push(Slot { generation: 0, task: Some(task) }),
        }
        self.len += 1;
        key
    }

    pub(crate) fn get(&self, key: TaskKey) -> Option<&Rc<dyn AnyTask>> {
        let slot = self.slots.get(key.index as usize)?;
        if slot.generation != key.generation {
            return None;
        }
        slot.task.as_ref()
    }

    /// Takes a task out; its slot gets a new generation, so old keys go stale.
    pub(crate) fn remove(&mut self, key: TaskKey) -> Option<Rc<dyn AnyTask>> {
        let slot = self.slots.get_mut(key.index as usize)?;
        if slot.generation != key.generation {
            return None;
        }
        let task = slot.task.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(key.index);
        self.len -= 1;
        Some(task)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Every task in the table, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Rc<dyn AnyTask>> {
        self.slots.iter().filter_map(|slot| slot.task.as_ref())
    }

    /// Removes and returns every task.
    pub(crate) fn drain(&mut self) -> Vec<Rc<dyn AnyTask>> {
        let mut all = Vec::with_capacity(self.len);
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if let Some(task) = slot.task.take() {
                slot.generation = slot.generation.wrapping_add(1);
                self.free.push(index as u32);
                all.push(task);
            }
        }
        self.len = 0;
        all
    }
}
