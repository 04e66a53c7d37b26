//! The loop thread's table of rondo wakers that std wakers stand for.
//!
//! A std `Waker` may travel to any thread; a rondo `Waker` (an `Rc`) may
//! not. So a task's std waker holds a [`Slot`] — an index in this
//! thread-local table and the generation the entry had — and the table
//! holds the task's rondo waker. A freed entry's generation is bumped, so a
//! std waker that outlives its task names an old generation and wakes
//! nobody, not the task that reuses the entry. Nothing here is called while
//! the table is borrowed: a wake clones the rondo waker out first, a free
//! drops the old one after the borrow (a waker's drop is user code).

use crate::Waker;
use std::cell::RefCell;

/// Which table entry names the task: its index and the generation it had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(super) index: usize,
    pub(super) generation: u64,
}

/// The loop thread's table of rondo wakers that std wakers stand for.
struct Table {
    /// `(generation, waker)`; `None` for a free entry.
    entries: Vec<(u64, Option<Waker>)>,
    free: Vec<usize>,
}

thread_local! {
    static TABLE: RefCell<Table> = const { RefCell::new(Table { entries: Vec::new(), free: Vec::new() }) };
}

impl Slot {
    /// A new entry holding `waker`.
    pub(super) fn new(waker: &Waker) -> Slot {
        TABLE.with(|table| {
            let mut table = table.borrow_mut();
            match table.free.pop() {
                Some(index) => {
                    let entry = &mut table.entries[index];
                    entry.1 = Some(waker.clone());
                    Slot { index, generation: entry.0 }
                }
                None => {
                    table.entries.push((0, Some(waker.clone())));
                    Slot { index: table.entries.len() - 1, generation: 0 }
                }
            }
        })
    }

    /// The task was polled with another waker: the slot holds that one now.
    pub(super) fn update(self, waker: &Waker) {
        TABLE.with(|table| {
            let mut table = table.borrow_mut();
            if let Some((generation, Some(stored))) = table.entries.get_mut(self.index)
                && *generation == self.generation
            {
                *stored = waker.clone();
            }
        });
    }

    /// The task's coroutine is gone: wakes through this slot do nothing now.
    pub(super) fn free(self) {
        // `try_with`: the thread may be ending, its table already gone.
        let _ = TABLE.try_with(|table| {
            let Ok(mut table) = table.try_borrow_mut() else { return };
            if let Some(entry) = table.entries.get_mut(self.index)
                && entry.0 == self.generation
            {
                entry.0 += 1;
                let old = entry.1.take();
                table.free.push(self.index);
                drop(table);
                drop(old); // outside the borrow: a waker's drop is user code
            }
        });
    }

    /// The rondo waker this slot names, if it is still in use.
    pub(super) fn waker(self) -> Option<Waker> {
        TABLE
            .try_with(|table| {
                let table = table.try_borrow().ok()?;
                let (generation, waker) = table.entries.get(self.index)?;
                (*generation == self.generation).then(|| waker.clone()).flatten()
            })
            .ok()
            .flatten()
    }

    /// On the loop's thread: wakes the task, if the slot still names it.
    pub(super) fn wake_here(self) {
        if let Some(waker) = self.waker() {
            waker.wake(); // the table is not borrowed here
        }
    }
}
