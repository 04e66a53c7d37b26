//! A std `Waker` for a rondo task: `Send + Sync`, and never the task itself.
//!
//! A `std::task::Waker` may be cloned into any thread and woken from there;
//! a rondo task lives in `Rc`s and `RefCell`s on its loop's thread. So the
//! std waker carries only what *names* the task — a slot in a table kept by
//! the loop's thread (a thread-local), with a generation so that a reused
//! slot is not mistaken for the old one — and what *reaches* the loop from
//! elsewhere: a weak handle on stage 8's inbox, once it is needed.
//!
//! - **On the loop's thread** (a std channel, another task — timers and
//!   sockets wake rondo wakers directly, see below) the waker looks the slot
//!   up and calls the task's rondo waker: the same call a hand-written
//!   coroutine's wake makes, so the task runs in the same iteration it
//!   would have.
//! - **From another thread** it sends the loop a callback through the inbox
//!   that does the same lookup there; the self-pipe wakes an idle loop at once.
//! - **After the loop is gone** the inbox is closed (or freed) and the slot
//!   empty: the wake does nothing.
//! - **During a drop**, the lookup clones the rondo waker out of the table
//!   and releases the borrow before calling it, so no borrow of the table
//!   is held across the wake (tokio #1929 is a panic of exactly that shape;
//!   #6148, a wake after the runtime's thread-local was destroyed: here
//!   `try_with` makes that "nobody to wake").
//!
//! **A waker of its own, only when needed.** Most std wakers never leave
//! their poll: an `async fn` that awaits rondo's own coroutines hands them
//! the task's rondo waker directly (`into_future`, through `lent_waker::Polling`), and
//! a future that wakes itself at once does not keep its clone. So a task
//! gets no std waker of its own at its first poll: it borrows the thread's
//! spare (`lent_waker::Lent`); a wake of it during the poll is noted and delivered
//! when the poll returns. Afterwards `Arc::strong_count` says whether
//! anyone kept a clone. Only then does the task adopt it — a slot in the table,
//! and stage 8's inbox (installing the selector) so other threads can reach
//! it. A program that never leaves the loop keeps stage 3's precise wait and
//! its deadlock report, and a spawn pays for no `Arc`. The race — a thread
//! wakes the clone before the loop has adopted it — is closed by the
//! `reach` mutex: the thread leaves a note (`woken`) that adoption reads.
//!
//! **Reading order of the pieces:** `waker_table` (the slots), this file
//! (the waker and how it is reached), `lent_waker` (the spare lent to each
//! poll, adoption, and the running poll published for `.await`).
//!
//! **Deadlock, revisited again.** A loop with nothing to do, no timer and
//! no socket used to be deadlocked. Now a task may be waiting on a std
//! waker that some other holder will wake: [`held_elsewhere`] tells
//! stage 8's `Outside` whether any open waker of a live task is still held
//! beyond its task — then the loop waits, as it does for a `LoopHandle`.
//! The price: rondo cannot tell who holds the clone — a thread that will
//! call, a std channel between two tasks that wait on each other, or the
//! task's own future keeping its waker in a local across an `.await` — and
//! in the last two the program waits for ever, as it would on tokio.
//!
//! `std::task::Wake` on an `Arc` is std's safe way to make a `Waker` — no
//! `RawWakerVTable`, no `unsafe`. Its cost: an `Arc` per task that keeps its
//! waker, a thread-id comparison per wake, and — because `Wake` has no hook
//! on `clone` — a look at the strong count after every poll that lent one.
//! (A `RawWakerVTable` would see each clone, at the price of `unsafe` in a
//! stage that is not about it.)

use super::lent_waker::polled_now;
use super::waker_table::Slot;
use crate::stage8_outside::inbox::Inbox;
use std::cell::RefCell;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread::{self, ThreadId};

thread_local! {
    /// This thread's id, read once: `thread::current()` clones an `Arc`
    /// (two atomic operations) on every call, and every wake asks.
    static HERE: ThreadId = thread::current().id();
    /// Std wakers given the inbox, for [`held_elsewhere`].
    static OPENED: RefCell<Vec<Weak<TaskWaker>>> = const { RefCell::new(Vec::new()) };
}

/// `true` on the thread `home` (and `false` while this thread is ending).
#[inline]
fn on_thread(home: ThreadId) -> bool {
    HERE.try_with(|here| *here == home).unwrap_or(false)
}

/// What a std `Waker` of a rondo task holds.
pub(crate) struct TaskWaker {
    /// The loop's thread: where the table is.
    home: ThreadId,
    /// The slot of the task this waker names — `NOBODY` while it is only
    /// lent (see `lent_waker::Lent`). Written under `reach`, by the loop's thread.
    index: AtomicUsize,
    generation: AtomicU64,
    /// How a wake from another thread reaches the task: set when the waker
    /// is adopted ([`Reach`]).
    reach: Mutex<Reach>,
    /// Woken while it named nobody, or during its task's own poll: the
    /// poll reads the note when it returns (`lent_waker`).
    pub(super) woken: AtomicBool,
}

/// How an adopted std waker is reached from another thread.
pub(crate) enum Reach {
    /// Through the running loop's inbox (and its self-pipe).
    Inbox(Weak<Inbox>),
    /// The task is a foreign executor's (`from_future(f).future()` polled by
    /// tokio, say): its std waker, woken directly (see `lent_waker::Foreign`).
    Foreign(std::task::Waker),
    /// Not at all: outside any loop, under stage 2's `block_on`, which cannot
    /// wait for threads; only wakes on this thread count.
    Nowhere,
}

/// `index` of a waker that names no task (yet).
const NOBODY: usize = usize::MAX;

impl TaskWaker {
    pub(super) fn new() -> Arc<TaskWaker> {
        Arc::new(TaskWaker {
            home: HERE.with(|here| *here),
            index: AtomicUsize::new(NOBODY),
            generation: AtomicU64::new(0),
            reach: Mutex::new(Reach::Nowhere),
            woken: AtomicBool::new(false),
        })
    }

    /// The slot this waker names (read on the loop's thread, which wrote it).
    #[inline]
    pub(super) fn slot(&self) -> Option<Slot> {
        let index = self.index.load(Ordering::Relaxed);
        (index != NOBODY).then(|| Slot { index, generation: self.generation.load(Ordering::Relaxed) })
    }

    /// Makes this waker name `slot` for good, reached from other threads as
    /// `reach` says; delivers a wake that came while it named nobody.
    pub(super) fn adopt(waker: &Arc<TaskWaker>, slot: Slot, reach: Reach) {
        let opened = matches!(reach, Reach::Inbox(_));
        {
            let mut reached = waker.reach.lock().unwrap_or_else(PoisonError::into_inner);
            waker.index.store(slot.index, Ordering::Relaxed);
            waker.generation.store(slot.generation, Ordering::Relaxed);
            *reached = reach;
        }
        // After the lock: a thread that took it before us has set the flag;
        // one that takes it after us finds the slot and the inbox.
        if waker.woken.swap(false, Ordering::AcqRel) {
            slot.wake_here();
        }
        if opened {
            OPENED.with_borrow_mut(|opened| opened.push(Arc::downgrade(waker)));
        }
    }
}

/// Is any opened std waker of a live task still held beyond its task —
/// so that a thread (or anything else) may still wake the loop? Stage 8's
/// `Outside` asks before it calls an idle loop deadlocked.
pub(crate) fn held_elsewhere() -> bool {
    OPENED
        .try_with(|opened| {
            let mut opened = opened.borrow_mut();
            // Forget wakers whose task has finished (its slot freed) or that nobody holds.
            opened.retain(|weak| {
                weak.upgrade().is_some_and(|waker| waker.slot().and_then(Slot::waker).is_some())
            });
            // Two counts are the task's own (its Arc and its std Waker).
            opened.iter().any(|weak| weak.strong_count() > 2)
        })
        .unwrap_or(false)
}

impl std::task::Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    #[inline]
    fn wake_by_ref(self: &Arc<Self>) {
        if on_thread(self.home) {
            match self.slot() {
                Some(slot) if !polled_now(Arc::as_ptr(self).cast()) => slot.wake_here(),
                // Lent (so the poll that lent it is running on this thread),
                // or its task's own and that task is being polled: leave a
                // note; the task is woken when the poll returns — after
                // anything else the poll woke, which is asyncio's rule for a
                // task that yields (`await asyncio.sleep(0)` puts the task
                // back in the queue when its step ends). Cheaper, too, than
                // finding the polling task from here.
                _ => self.woken.store(true, Ordering::Release),
            }
            return;
        }
        let reach = self.reach.lock().unwrap_or_else(PoisonError::into_inner);
        match (&*reach, self.slot()) {
            (Reach::Inbox(inbox), Some(slot)) => {
                let Some(inbox) = inbox.upgrade() else { return };
                // Refused if the loop is gone: then there is nobody to wake.
                let _ = inbox.send(Box::new(move || slot.wake_here()), Location::caller());
            }
            (Reach::Foreign(waker), Some(_)) => {
                let waker = waker.clone();
                drop(reach); // not held while a foreign executor's wake runs
                waker.wake();
            }
            // Not adopted yet: the loop reads the note when it adopts it (or,
            // if its task finished meanwhile, nobody needs the wake). Reached
            // nowhere, the note is all there is.
            _ => self.woken.store(true, Ordering::Release),
        }
    }
}
