//! A std `Waker` for a rondo task: `Send + Sync`, and never the task itself.
//!
//! A `std::task::Waker` may be cloned into any thread and woken from there;
//! a rondo task lives in `Rc`s and `RefCell`s on its loop's thread. So the
//! std waker carries only what *names* the task — a slot in a table kept by
//! the loop's thread (a thread-local), with a generation so that a reused
//! slot is not mistaken for the old one — and what *reaches* the loop from
//! elsewhere: a weak handle on stage 8's inbox.
//!
//! - **On the loop's thread** (nearly every wake: a timer, a socket, another
//!   task) the waker looks the slot up and calls the task's rondo waker: the
//!   same call a hand-written coroutine's wake makes, so the task runs in
//!   the same iteration it would have.
//! - **From another thread** it sends the loop a callback through the inbox
//!   that does the same lookup there; the self-pipe wakes an idle loop at once.
//! - **After the loop is gone** the inbox is closed (or freed) and the slot
//!   empty: the wake does nothing.
//! - **During a drop**, the lookup takes the rondo waker out of the table
//!   before calling it, so no borrow of the table is held across the wake
//!   (tokio #6148 and #1929 are panics of exactly that shape).
//!
//! `std::task::Wake` on an `Arc` is std's safe way to make a `Waker` — no
//! `RawWakerVTable`, no `unsafe`. Its cost: one `Arc` per task (made at its
//! first poll and kept), and a thread-id comparison per wake.

use crate::Waker;
use crate::stage8_outside::inbox::Inbox;
use std::cell::RefCell;
use std::panic::Location;
use std::sync::{Arc, Weak};
use std::thread::{self, ThreadId};

/// Which table entry names the task: its index and the generation it had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    index: usize,
    generation: u64,
}

/// The loop thread's table of rondo wakers that std wakers stand for.
#[derive(Default)]
struct Table {
    /// `(generation, waker)`; `None` for a free entry.
    entries: Vec<(u64, Option<Waker>)>,
    free: Vec<usize>,
}

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table::default());
    /// This thread's id, read once: `thread::current()` clones an `Arc`
    /// (two atomic operations) on every call, and every wake asks.
    static HERE: ThreadId = thread::current().id();
}

/// `true` on the thread `home` (and `false` while this thread is ending).
fn on_thread(home: ThreadId) -> bool {
    HERE.try_with(|here| *here == home).unwrap_or(false)
}

impl Slot {
    /// A new entry holding `waker`.
    pub(crate) fn new(waker: &Waker) -> Slot {
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
    pub(crate) fn update(self, waker: &Waker) {
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
    pub(crate) fn free(self) {
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

    /// On the loop's thread: wakes the task, if the slot still names it.
    fn wake_here(self) {
        let waker = TABLE
            .try_with(|table| {
                let table = table.try_borrow().ok()?;
                let (generation, waker) = table.entries.get(self.index)?;
                (*generation == self.generation).then(|| waker.clone()).flatten()
            })
            .ok()
            .flatten();
        if let Some(waker) = waker {
            waker.wake(); // the table is not borrowed here
        }
    }
}

/// What a std `Waker` of a rondo task holds.
pub(crate) struct TaskWaker {
    slot: Slot,
    /// The loop's thread: where the table is.
    home: ThreadId,
    /// The loop's inbox, for a wake from another thread (`None`: the task
    /// runs where nothing can come from another thread, e.g. `block_on`).
    inbox: Option<Weak<Inbox>>,
}

impl TaskWaker {
    pub(crate) fn new(slot: Slot, inbox: Option<Weak<Inbox>>) -> Arc<TaskWaker> {
        Arc::new(TaskWaker { slot, home: HERE.with(|here| *here), inbox })
    }
}

impl std::task::Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if on_thread(self.home) {
            return self.slot.wake_here();
        }
        let Some(inbox) = self.inbox.as_ref().and_then(Weak::upgrade) else { return };
        let slot = self.slot;
        // Refused if the loop is gone: then there is nobody to wake.
        let _ = inbox.send(Box::new(move || slot.wake_here()), Location::caller());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Wake;
    use std::cell::Cell;
    use std::rc::Rc;

    struct Count(Cell<u32>);
    impl Wake for Count {
        fn wake(&self) {
            self.0.set(self.0.get() + 1);
        }
    }

    fn counter() -> (Rc<Count>, Waker) {
        let count = Rc::new(Count(Cell::new(0)));
        (count.clone(), Waker::new(count))
    }

    #[test]
    fn a_stale_std_waker_does_not_wake_the_slots_next_task() {
        let (first, first_waker) = counter();
        let slot = Slot::new(&first_waker);
        let stale = std::task::Waker::from(TaskWaker::new(slot, None));
        stale.wake_by_ref();
        assert_eq!(first.0.get(), 1, "on its thread: the task's own waker, at once");
        slot.free();
        let (second, second_waker) = counter();
        let reused = Slot::new(&second_waker);
        assert_eq!(reused.index, slot.index, "the entry is reused...");
        stale.wake_by_ref();
        assert_eq!((first.0.get(), second.0.get()), (1, 0), "...but the old generation wakes nobody");
        reused.free();
    }

    #[test]
    fn a_wake_from_another_thread_without_a_loop_does_nothing() {
        // No inbox (made outside a loop, as under `block_on`): nothing to send to.
        let (count, waker) = counter();
        let slot = Slot::new(&waker);
        let std_waker = std::task::Waker::from(TaskWaker::new(slot, None));
        std::thread::spawn(move || std_waker.wake()).join().unwrap();
        assert_eq!(count.0.get(), 0);
        slot.free();
    }
}
