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
//! the task's rondo waker directly (`into_future`, through [`Polling`]), and
//! a future that wakes itself at once does not keep its clone. So a task
//! gets no std waker of its own at its first poll: it borrows the thread's
//! spare ([`Lent`]); a wake of it during the poll is noted and delivered
//! when the poll returns. Afterwards `Arc::strong_count` says whether
//! anyone kept a clone. Only then does the task adopt it — a slot in the table,
//! and stage 8's inbox (installing the selector) so other threads can reach
//! it. A program that never leaves the loop keeps stage 3's precise wait and
//! its deadlock report, and a spawn pays for no `Arc`. The race — a thread
//! wakes the clone before the loop has adopted it — is closed by the
//! `reach` mutex: the thread leaves a note (`woken`) that adoption reads.
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

use crate::Waker;
use crate::stage8_outside::inbox::Inbox;
use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
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
    /// What `from_future`'s polls use on this thread (one thread-local for
    /// both: each access costs a check, and a poll needs both).
    static POLLS: Polls = const {
        Polls { spare: Cell::new(None), lent: Cell::new(std::ptr::null()), task_waker: Cell::new(None) }
    };
    /// Spare std wakers for `from_future`s polled inside a task's poll, one
    /// per level (kept apart from `POLLS`: the common case never nests).
    static DEEPER: RefCell<Vec<Lent>> = const { RefCell::new(Vec::new()) };
    /// While `into_future` polls a rondo coroutine for a foreign executor
    /// (see [`Foreign`]): the address of the rondo waker it made (0: none)...
    static FOREIGN_TASK: Cell<usize> = const { Cell::new(0) };
    /// ...and the foreign std waker that rondo waker calls.
    static FOREIGN_WAKER: Cell<Option<std::task::Waker>> = const { Cell::new(None) };
}

/// `true` on the thread `home` (and `false` while this thread is ending).
#[inline]
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
    /// The loop's thread: where the table is.
    home: ThreadId,
    /// The slot of the task this waker names — `NOBODY` while it is only
    /// lent (see [`Lent`]). Written under `reach`, by the loop's thread.
    index: AtomicUsize,
    generation: AtomicU64,
    /// How a wake from another thread reaches the task: set when the waker
    /// is adopted ([`Reach`]).
    reach: Mutex<Reach>,
    /// Woken while it named nobody: the task that lent it wakes itself.
    woken: AtomicBool,
}

/// How an adopted std waker is reached from another thread.
pub(crate) enum Reach {
    /// Through the running loop's inbox (and its self-pipe).
    Inbox(Weak<Inbox>),
    /// The task is a foreign executor's (`from_future(f).future()` polled by
    /// tokio, say): its std waker, woken directly (see [`Foreign`]).
    Foreign(std::task::Waker),
    /// Not at all: outside any loop, under stage 2's `block_on`, which cannot
    /// wait for threads; only wakes on this thread count.
    Nowhere,
}

/// `index` of a waker that names no task (yet).
const NOBODY: usize = usize::MAX;

impl TaskWaker {
    fn new() -> Arc<TaskWaker> {
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
    fn slot(&self) -> Option<Slot> {
        let index = self.index.load(Ordering::Relaxed);
        (index != NOBODY).then(|| Slot { index, generation: self.generation.load(Ordering::Relaxed) })
    }

    /// Makes this waker name `slot` for good, reached from other threads as
    /// `reach` says; delivers a wake that came while it named nobody.
    fn adopt(waker: &Arc<TaskWaker>, slot: Slot, reach: Reach) {
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

/// What `from_future`'s polls use on this thread.
struct Polls {
    /// The std waker this thread lends to a task's poll (see [`Lent`]);
    /// `DEEPER` holds those of nested polls. (Not one stack: the common
    /// case — no nesting — then moves one `Option` in and out, which is
    /// measurably cheaper.)
    spare: Cell<Option<Lent>>,
    /// The poll running now (see [`Polling`]): the data pointer of the std
    /// waker it lent or gave (null: none), and the task's rondo waker.
    lent: Cell<*const ()>,
    task_waker: Cell<Option<Waker>>,
}

/// At most this many spare std wakers kept per thread for nested polls
/// (deeper ones are made and dropped).
const DEEPER_SPARES: usize = 8;

/// If `rondo_waker` is the one `into_future` made for a foreign executor's
/// poll running now, that executor's std waker (see [`Foreign`]).
pub(crate) fn foreign_waker_for(rondo_waker: &Waker) -> Option<std::task::Waker> {
    if FOREIGN_TASK.get() != rondo_waker.target_addr() {
        return None;
    }
    FOREIGN_WAKER
        .try_with(|foreign| {
            let waker = foreign.take();
            let std_waker = waker.clone();
            foreign.set(waker);
            std_waker
        })
        .ok()
        .flatten()
}

/// Polls a task's future with a std waker lent for the poll (the thread's
/// spare), and says what became of the waker; see [`Lent`].
#[inline]
pub(crate) fn poll_lent<T>(
    rondo_waker: &Waker,
    poll: impl FnOnce(&std::task::Waker) -> std::task::Poll<T>,
) -> (std::task::Poll<T>, AfterPoll) {
    POLLS.with(|polls| {
        let lent = match polls.spare.take() {
            Some(lent) => lent,
            None => DEEPER.with_borrow_mut(Vec::pop).unwrap_or_else(Lent::new),
        };
        let polled = {
            let _polling = Polling::enter(polls, &lent.std_waker, rondo_waker);
            poll(&lent.std_waker)
        };
        (polled, lent.after_poll(polls))
    })
}

/// Polls a task's future with its own std waker; `true` with the result
/// if the waker was woken during the poll (see `wake_by_ref`).
#[inline]
pub(crate) fn poll_own<T>(
    own: &mut Own,
    rondo_waker: &Waker,
    poll: impl FnOnce(&std::task::Waker) -> std::task::Poll<T>,
) -> (std::task::Poll<T>, bool) {
    let std_waker = own.std_waker(rondo_waker);
    let polled = POLLS.with(|polls| {
        let _polling = Polling::enter(polls, std_waker, rondo_waker);
        poll(std_waker)
    });
    (polled, own.task_waker.woken.swap(false, Ordering::AcqRel))
}

/// Is the poll running on this thread now the one lent (or owning) the
/// std waker whose data pointer is `data`?
fn polled_now(data: *const ()) -> bool {
    POLLS.try_with(|polls| polls.lent.get() == data).unwrap_or(false)
}

/// A std waker lent to one poll of a task that has none of its own yet.
///
/// Most `async` tasks never keep their std waker: they await rondo
/// coroutines (which get the task's rondo waker, see [`Polling`]) or wake
/// it before they return. So a task does not get a waker of its own at its
/// first poll; it borrows the thread's spare, and afterwards looks at it:
/// - nobody kept a clone (`Arc::strong_count`): it goes back, to be lent
///   again — and if it was woken meanwhile, the task wakes itself;
/// - a clone was kept: the task adopts it (a slot in the table, and the
///   loop's inbox so other threads can reach it), and the thread makes a
///   new spare. The clone out there names the task from then on.
pub(crate) struct Lent {
    task_waker: Arc<TaskWaker>,
    std_waker: std::task::Waker,
}

/// What became of a lent waker after its poll.
pub(crate) enum AfterPoll {
    /// Nobody kept it; `woken`: it was woken during the poll.
    Returned { woken: bool },
    /// A clone was kept: the task now owns it (see [`Lent::adopt`]).
    Kept(Lent),
}

impl Lent {
    /// A new std waker, naming nobody yet (the spare, or one for a nested poll).
    fn new() -> Lent {
        let task_waker = TaskWaker::new();
        Lent { std_waker: std::task::Waker::from(task_waker.clone()), task_waker }
    }

    /// After the poll: gives the waker back if no clone is left anywhere.
    #[inline]
    fn after_poll(self, polls: &Polls) -> AfterPoll {
        // The count first: a thread that wakes it sets the flag *before* it
        // drops its clone, so if the count already shows the drop, the fence
        // makes the flag visible too.
        let kept = Arc::strong_count(&self.task_waker) > 2;
        fence(Ordering::Acquire);
        if kept {
            return AfterPoll::Kept(self);
        }
        // No clone anywhere: nobody else can touch the flag now.
        let woken = self.task_waker.woken.load(Ordering::Relaxed);
        if woken {
            self.task_waker.woken.store(false, Ordering::Relaxed);
        }
        if let Some(inner) = polls.spare.replace(Some(self)) {
            // A nested poll gave its spare back first: keep it for the next.
            let _ = DEEPER.try_with(|deeper| {
                let mut deeper = deeper.borrow_mut();
                if deeper.len() < DEEPER_SPARES {
                    deeper.push(inner);
                }
            });
        }
        AfterPoll::Returned { woken }
    }

    /// The task keeps this waker for good: it names `rondo_waker`'s task
    /// through a new slot, and other threads reach it as `reach` says.
    pub(crate) fn adopt(self, rondo_waker: &Waker, reach: Reach) -> Own {
        let slot = Slot::new(rondo_waker);
        TaskWaker::adopt(&self.task_waker, slot, reach);
        Own { task_waker: self.task_waker, std_waker: self.std_waker, slot, rondo_waker: rondo_waker.clone() }
    }
}

/// A task's own std waker (adopted from a [`Lent`] one).
pub(crate) struct Own {
    /// The waker's shared part: its note of a wake during the poll.
    task_waker: Arc<TaskWaker>,
    std_waker: std::task::Waker,
    slot: Slot,
    /// The rondo waker in the slot, to see without the table whether it
    /// changed (a task's never does).
    rondo_waker: Waker,
}

impl Own {
    /// The std waker to lend this poll: the slot follows `rondo_waker` if it changed.
    pub(crate) fn std_waker(&mut self, rondo_waker: &Waker) -> &std::task::Waker {
        if !self.rondo_waker.will_wake(rondo_waker) {
            self.slot.update(rondo_waker);
            self.rondo_waker = rondo_waker.clone();
        }
        &self.std_waker
    }

    /// The task's future is done or dropped: wakes through the std waker
    /// (kept somewhere, perhaps) now do nothing.
    pub(crate) fn finish(self) {
        self.slot.free();
    }
}

/// While `from_future` polls its future: which std waker it lent, and the
/// task's rondo waker — so that a rondo coroutine `.await`ed inside can
/// recognise the std waker and use the rondo one directly.
struct Polling<'p> {
    polls: &'p Polls,
    outer: (*const (), Option<Waker>),
}

impl<'p> Polling<'p> {
    #[inline]
    fn enter(polls: &'p Polls, std_waker: &std::task::Waker, rondo_waker: &Waker) -> Polling<'p> {
        let outer =
            (polls.lent.replace(std_waker.data()), polls.task_waker.replace(Some(rondo_waker.clone())));
        Polling { polls, outer }
    }
}

impl Drop for Polling<'_> {
    /// Also on a panic: the next poll must not see a task that is not polling.
    #[inline]
    fn drop(&mut self) {
        self.polls.lent.set(self.outer.0);
        self.polls.task_waker.set(self.outer.1.take());
    }
}

/// While `into_future` polls a rondo coroutine for a foreign executor:
/// `rondo_waker` (the one it made) stands for `std_waker`. A `from_future`
/// polled with that rondo waker — `from_future(f).future()` on tokio — whose
/// `f` keeps its std waker then adopts it reached through that foreign
/// `std_waker` ([`Reach::Foreign`]): a wake from any thread reaches the
/// executor directly. (Checked only when a waker is adopted, never per poll.)
pub(crate) struct Foreign {
    outer: (usize, Option<std::task::Waker>),
}

impl Foreign {
    pub(crate) fn enter(rondo_waker: &Waker, std_waker: &std::task::Waker) -> Foreign {
        Foreign {
            outer: (
                FOREIGN_TASK.replace(rondo_waker.target_addr()),
                FOREIGN_WAKER.replace(Some(std_waker.clone())),
            ),
        }
    }
}

impl Drop for Foreign {
    fn drop(&mut self) {
        FOREIGN_TASK.set(self.outer.0);
        let waker = self.outer.1.take();
        let _ = FOREIGN_WAKER.try_with(|foreign| foreign.set(waker));
    }
}

/// The task's rondo waker, moved out of `POLLS` for one call: put back on
/// drop, also if the call panics (and something below catches it).
struct Lend<'p> {
    cell: &'p Cell<Option<Waker>>,
    waker: Option<Waker>,
}

impl Drop for Lend<'_> {
    #[inline]
    fn drop(&mut self) {
        self.cell.set(self.waker.take());
    }
}

/// If `std_waker` is the one `from_future` lent (or gave) to the poll
/// running now, calls `f` with that task's rondo waker: the direct path.
/// (Compared by data pointer while the poll runs, so the waker is alive and
/// the address its own. The rondo waker is moved out for the call and back,
/// not cloned: nothing below a rondo coroutine looks for it, and a nested
/// `from_future` publishes its own.)
#[inline]
pub(crate) fn with_polling_task<R>(std_waker: &std::task::Waker, f: impl FnOnce(&Waker) -> R) -> Option<R> {
    POLLS
        .try_with(|polls| {
            if polls.lent.get() != std_waker.data() {
                return None;
            }
            let waker = Lend { cell: &polls.task_waker, waker: polls.task_waker.take() };
            Some(f(waker.waker.as_ref()?))
        })
        .ok()
        .flatten()
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

    /// A poll that lends a waker and does `f` with it (`Lent`, unwrapped).
    fn lend(f: impl FnOnce(&std::task::Waker)) -> AfterPoll {
        let (_count, waker) = counter();
        poll_lent(&waker, |std_waker| {
            f(std_waker);
            std::task::Poll::<()>::Pending
        })
        .1
    }

    #[test]
    fn a_lent_waker_woken_in_its_poll_is_noted_and_goes_back() {
        let mut data = None;
        // As a future that yields does: wake, return Pending.
        let after = lend(|std_waker| {
            data = Some(std_waker.data());
            std_waker.wake_by_ref();
        });
        assert!(matches!(after, AfterPoll::Returned { woken: true }), "the poll finds the note");
        let after =
            lend(|std_waker| assert_eq!(Some(std_waker.data()), data, "the spare is lent again: no new Arc"));
        assert!(matches!(after, AfterPoll::Returned { woken: false }), "the note was cleared");
    }

    #[test]
    fn an_outer_lent_waker_woken_during_a_nested_poll_is_noted_for_its_own() {
        let after = lend(|outer| {
            let inner = lend(|_| outer.wake_by_ref());
            assert!(matches!(inner, AfterPoll::Returned { woken: false }), "not the inner task's wake");
        });
        assert!(matches!(after, AfterPoll::Returned { woken: true }), "the outer poll finds its note");
    }

    #[test]
    fn a_nested_poll_gets_its_own_spare_and_keeps_it_for_the_next_time() {
        let mut seen = vec![];
        for _ in 0..2 {
            let after = lend(|outer| {
                let inner = lend(|inner| {
                    assert_ne!(outer.data(), inner.data());
                    seen.push((outer.data(), inner.data()));
                });
                assert!(matches!(inner, AfterPoll::Returned { .. }));
            });
            assert!(matches!(after, AfterPoll::Returned { .. }));
        }
        // Both spares went back: the second round is lent the same two (in
        // some order), no new `Arc` for either level.
        let (first, second) = (seen[0], seen[1]);
        assert!(second == first || second == (first.1, first.0), "{seen:?}");
    }

    /// A poll whose future keeps a clone of the lent waker: the clone and the
    /// `Own` the task adopts (named after `waker`, reached through `inbox`).
    fn kept(
        waker: &Waker,
        inbox: Option<&Arc<Inbox>>,
        also: impl FnOnce(&std::task::Waker),
    ) -> (std::task::Waker, Own) {
        let mut kept = None;
        let after = lend(|std_waker| {
            kept = Some(std_waker.clone());
            also(std_waker);
        });
        let AfterPoll::Kept(lent) = after else { panic!("a clone is kept") };
        let reach = inbox.map_or(Reach::Nowhere, |inbox| Reach::Inbox(Arc::downgrade(inbox)));
        (kept.unwrap(), lent.adopt(waker, reach))
    }

    #[test]
    fn a_kept_clone_is_adopted_and_then_names_the_task() {
        let (count, waker) = counter();
        let (kept, own) = kept(&waker, None, |_| {});
        kept.wake_by_ref();
        assert_eq!(count.0.get(), 1, "on its thread: the task's own waker, at once");
        own.finish();
        kept.wake_by_ref();
        assert_eq!(count.0.get(), 1, "the task is gone: the kept clone wakes nobody");
        lend(|lent| assert_ne!(lent.data(), kept.data(), "an adopted waker is never lent again"));
    }

    #[test]
    fn a_stale_std_waker_does_not_wake_the_slots_next_task() {
        let (first, first_waker) = counter();
        let (stale, own) = kept(&first_waker, None, |_| {});
        let slot = own.slot;
        own.finish();
        let (second, second_waker) = counter();
        let reused = Slot::new(&second_waker);
        assert_eq!(reused.index, slot.index, "the entry is reused...");
        stale.wake_by_ref();
        assert_eq!((first.0.get(), second.0.get()), (0, 0), "...but the old generation wakes nobody");
        reused.free();
    }

    #[test]
    fn a_wake_from_another_thread_before_adoption_is_delivered_by_it() {
        // The clone went to a thread, which woke it (and dropped it) before
        // the poll ended: the note survives, and adoption delivers it.
        let (count, waker) = counter();
        let (inbox, _pipe) = Inbox::new().unwrap();
        let inbox = Arc::new(inbox);
        let (kept, own) = kept(&waker, Some(&inbox), |std_waker| {
            let elsewhere = std_waker.clone();
            std::thread::spawn(move || elsewhere.wake()).join().unwrap();
            assert_eq!(count.0.get(), 0, "nothing runs on another thread");
        });
        assert_eq!(count.0.get(), 1, "adopting the waker delivers the early wake");
        assert!(held_elsewhere(), "a clone is still held beyond the task");
        drop(kept);
        assert!(!held_elsewhere(), "only the task holds it now");
        own.finish();
    }

    #[test]
    fn a_waker_held_elsewhere_keeps_the_loop_listening_only_while_its_task_lives() {
        let (_count, waker) = counter();
        let (inbox, _pipe) = Inbox::new().unwrap();
        let inbox = Arc::new(inbox);
        let (kept, own) = kept(&waker, Some(&inbox), |_| {});
        assert!(held_elsewhere());
        own.finish(); // the task ended: a waker kept somewhere keeps nothing open
        assert!(!held_elsewhere());
        drop(kept);
    }

    #[test]
    fn a_waker_is_recognised_only_inside_the_poll_that_lent_it() {
        let (_count, waker) = counter();
        let is_task =
            |std: &std::task::Waker| with_polling_task(std, |task| task.will_wake(&waker)).unwrap_or(false);
        let mut lent = None;
        let _ = poll_lent(&waker, |std_waker| {
            assert!(is_task(std_waker));
            assert!(!is_task(std::task::Waker::noop()), "another waker is not the task's");
            lent = Some(std_waker.data());
            std::task::Poll::Ready(())
        });
        lend(|std_waker| {
            assert_eq!(Some(std_waker.data()), lent, "the same spare...");
            assert!(!is_task(std_waker), "...is not that task's once its poll ended");
        });
    }
}
