//! A std `Waker` for a rondo task: `Send + Sync`, and never the task itself.
//!
//! A `std::task::Waker` may be cloned into any thread and woken from there;
//! a rondo task lives in `Rc`s and `RefCell`s on its loop's thread. So the
//! std waker carries only what *names* the task — a slot in a table kept by
//! the loop's thread (a thread-local), with a generation so that a reused
//! slot is not mistaken for the old one — and what *reaches* the loop from
//! elsewhere: a weak handle on stage 8's inbox, once it is needed.
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
//! **The inbox, only when needed.** Most std wakers never leave their task:
//! an `async fn` that awaits rondo's own coroutines hands them the task's
//! rondo waker directly (`into_future`), and a future that wakes itself at
//! once drops its clone before returning. Only a waker that *outlives the
//! poll* — `Arc::strong_count` says so, or an early wake from a thread did —
//! may be woken elsewhere later; then, and only then, `from_future` installs
//! stage 8's selector and gives this waker the inbox ([`TaskWaker::open`]).
//! So a program that never leaves the loop keeps stage 3's precise wait and
//! its deadlock report, and a spawn pays for no inbox. The race — a thread
//! wakes the waker before the loop has given it the inbox — is closed by
//! the `reach` mutex: the thread leaves a note (`woken_early`) that the
//! loop reads when it opens the waker, and wakes the task itself.
//!
//! **Deadlock, revisited again.** A loop with nothing to do, no timer and
//! no socket used to be deadlocked. Now a task may be waiting on a std
//! waker that some other holder will wake: [`held_elsewhere`] tells
//! stage 8's `Outside` whether any open waker of a live task is still held
//! beyond its task — then the loop waits, as it does for a `LoopHandle`.
//! The price: a waker held on the loop's own thread by a future that will
//! never fire (two tasks waiting on each other through a std channel) is
//! indistinguishable, and that program waits, as it would on tokio.
//!
//! `std::task::Wake` on an `Arc` is std's safe way to make a `Waker` — no
//! `RawWakerVTable`, no `unsafe`. Its cost: one `Arc` per task (made at its
//! first poll), and a thread-id comparison per wake.

use crate::Waker;
use crate::stage8_outside::inbox::Inbox;
use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread::{self, ThreadId};

/// Which table entry names the task: its index and the generation it had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    index: usize,
    generation: u64,
}

/// The loop thread's table of rondo wakers that std wakers stand for.
struct Table {
    /// `(generation, waker)`; `None` for a free entry.
    entries: Vec<(u64, Option<Waker>)>,
    free: Vec<usize>,
}

thread_local! {
    static TABLE: RefCell<Table> = const { RefCell::new(Table { entries: Vec::new(), free: Vec::new() }) };
    /// This thread's id, read once: `thread::current()` clones an `Arc`
    /// (two atomic operations) on every call, and every wake asks.
    static HERE: ThreadId = thread::current().id();
    /// Std wakers given the inbox, for [`held_elsewhere`].
    static OPENED: RefCell<Vec<Weak<TaskWaker>>> = const { RefCell::new(Vec::new()) };
    /// The task `from_future` is polling right now: its std waker's data
    /// pointer, its slot and its rondo waker's address (see [`polling`]).
    static POLLING: Cell<Option<(*const (), Slot, usize)>> = const { Cell::new(None) };
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

    /// The rondo waker this slot names, if it is still in use.
    pub(crate) fn waker(self) -> Option<Waker> {
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
    fn wake_here(self) {
        if let Some(waker) = self.waker() {
            waker.wake(); // the table is not borrowed here
        }
    }
}

/// What a std `Waker` of a rondo task holds.
pub(crate) struct TaskWaker {
    slot: Slot,
    /// The loop's thread: where the table is.
    home: ThreadId,
    /// The loop's inbox, for a wake from another thread: `None` until the
    /// loop learns this waker may be woken elsewhere ([`TaskWaker::open`]),
    /// and for good outside a loop (`block_on`: only this thread can wake).
    reach: Mutex<Option<Weak<Inbox>>>,
    /// A thread woke this waker before it had the inbox: the loop wakes the
    /// task when it opens the waker.
    woken_early: AtomicBool,
}

impl TaskWaker {
    pub(crate) fn new(slot: Slot) -> Arc<TaskWaker> {
        let home = HERE.with(|here| *here);
        Arc::new(TaskWaker { slot, home, reach: Mutex::new(None), woken_early: AtomicBool::new(false) })
    }

    /// After a poll that returned `Pending`: may someone wake this waker
    /// later, from anywhere? (`waker` is the one `std::task::Waker` made
    /// from it, so two strong counts are the task's own.)
    pub(crate) fn may_be_woken_later(waker: &Arc<TaskWaker>) -> bool {
        // The count first: a thread that wakes early sets the flag *before*
        // it drops its clone, so if the count already shows the drop, the
        // fence makes the flag visible too.
        let held = Arc::strong_count(waker) > 2;
        fence(Ordering::Acquire);
        held || waker.woken_early.load(Ordering::Relaxed)
    }

    /// Gives this waker the loop's inbox, so that other threads can reach
    /// the task, and wakes the task if a thread already tried.
    pub(crate) fn open(waker: &Arc<TaskWaker>, inbox: Weak<Inbox>) {
        *waker.reach.lock().unwrap_or_else(PoisonError::into_inner) = Some(inbox);
        // Read under nothing: a thread that took the lock before us has set
        // the flag already; one that takes it after us finds the inbox.
        if waker.woken_early.swap(false, Ordering::AcqRel) {
            waker.slot.wake_here();
        }
        OPENED.with_borrow_mut(|opened| opened.push(Arc::downgrade(waker)));
    }
}

/// Is any opened std waker of a live task still held beyond its task —
/// so that a thread (or anything else) may still wake the loop? Stage 8's
/// `Outside` asks before it calls an idle loop deadlocked.
pub(crate) fn held_elsewhere() -> bool {
    OPENED
        .try_with(|opened| {
            let mut opened = opened.borrow_mut();
            // Forget wakers whose task has finished (no slot) or that nobody holds.
            opened.retain(|weak| weak.upgrade().is_some_and(|waker| waker.slot.waker().is_some()));
            // Two counts are the task's own (its Arc and its std Waker), one is the upgrade.
            opened.iter().any(|weak| weak.strong_count() > 2)
        })
        .unwrap_or(false)
}

impl std::task::Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if on_thread(self.home) {
            return self.slot.wake_here();
        }
        let reach = self.reach.lock().unwrap_or_else(PoisonError::into_inner);
        match reach.as_ref() {
            Some(inbox) => {
                let Some(inbox) = inbox.upgrade() else { return };
                let slot = self.slot;
                // Refused if the loop is gone: then there is nobody to wake.
                let _ = inbox.send(Box::new(move || slot.wake_here()), Location::caller());
            }
            // Not opened yet: the loop is still inside the poll that made
            // this clone (or outside any loop); it reads the note.
            None => self.woken_early.store(true, Ordering::Release),
        }
    }
}

/// While `from_future` polls its future: marks which task is being polled,
/// so that a rondo coroutine awaited inside can recognise its std waker.
pub(crate) struct Polling {
    outer: Option<(*const (), Slot, usize)>,
}

impl Polling {
    pub(crate) fn enter(std_waker: &std::task::Waker, slot: Slot, rondo_waker: &Waker) -> Polling {
        Polling { outer: POLLING.replace(Some((std_waker.data(), slot, rondo_waker.target_addr()))) }
    }
}

impl Drop for Polling {
    /// Also on a panic: the next poll must not see a task that is not polling.
    fn drop(&mut self) {
        POLLING.set(self.outer);
    }
}

/// If `std_waker` is the std waker of the rondo task `from_future` is
/// polling right now: that task's slot, and the address of the rondo waker
/// in it (to check a kept clone without the table). Its rondo waker can be
/// used directly. (Compared by data pointer while the task is polled, so
/// its `Arc` is alive and the address is its own.)
pub(crate) fn polling(std_waker: &std::task::Waker) -> Option<(Slot, usize)> {
    POLLING.get().filter(|(data, ..)| *data == std_waker.data()).map(|(_, slot, addr)| (slot, addr))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Wake;
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
        let stale = std::task::Waker::from(TaskWaker::new(slot));
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
    fn a_wake_from_another_thread_before_the_inbox_is_kept_for_the_loop() {
        // Not opened (no inbox yet): the wake is noted, not lost, and the
        // task is woken when the loop opens the waker.
        let (count, waker) = counter();
        let slot = Slot::new(&waker);
        let task_waker = TaskWaker::new(slot);
        let std_waker = std::task::Waker::from(task_waker.clone());
        let elsewhere = std_waker.clone();
        assert!(TaskWaker::may_be_woken_later(&task_waker), "a third clone: held beyond the task");
        std::thread::spawn(move || elsewhere.wake()).join().unwrap();
        assert_eq!(count.0.get(), 0, "nothing runs on another thread");
        assert!(TaskWaker::may_be_woken_later(&task_waker), "the clone is gone, but the note stays");
        let (inbox, _pipe) = Inbox::new().unwrap();
        let inbox = Arc::new(inbox);
        TaskWaker::open(&task_waker, Arc::downgrade(&inbox));
        assert_eq!(count.0.get(), 1, "opening the waker delivers the early wake");
        assert!(!held_elsewhere(), "only the task holds it now");
        drop(std_waker);
        slot.free();
    }

    #[test]
    fn an_opened_waker_held_elsewhere_keeps_the_loop_listening_until_its_task_ends() {
        let (_count, waker) = counter();
        let slot = Slot::new(&waker);
        let task_waker = TaskWaker::new(slot);
        let std_waker = std::task::Waker::from(task_waker.clone());
        let (inbox, _pipe) = Inbox::new().unwrap();
        let inbox = Arc::new(inbox);
        TaskWaker::open(&task_waker, Arc::downgrade(&inbox));
        let kept = std_waker.clone();
        assert!(held_elsewhere());
        slot.free(); // the task ended: a waker kept somewhere keeps nothing open
        assert!(!held_elsewhere());
        drop((kept, std_waker));
    }

    #[test]
    fn a_waker_compares_as_polling_only_inside_its_polls_window() {
        let (_count, waker) = counter();
        let slot = Slot::new(&waker);
        let std_waker = std::task::Waker::from(TaskWaker::new(slot));
        assert_eq!(polling(&std_waker), None);
        {
            let _polling = Polling::enter(&std_waker, slot, &waker);
            assert_eq!(polling(&std_waker), Some((slot, waker.target_addr())));
            assert_eq!(polling(std::task::Waker::noop()), None, "another waker is not the task's");
        }
        assert_eq!(polling(&std_waker), None, "restored when the poll ends");
        slot.free();
    }
}
