//! The std waker lent to each poll, the task that adopts it, and the
//! running poll published for `.await`.
//!
//! A task's first poll does not make it a std waker: most never keep one.
//! Each poll *borrows* the thread's spare ([`Lent`]), published with the
//! task's rondo waker in a thread-local ([`Polling`]) so that a rondo
//! coroutine `.await`ed inside recognises it by its data pointer and is
//! polled with the task's own rondo waker (the direct path,
//! [`with_polling_task`]). After the poll, `Arc::strong_count` says whether
//! the future kept a clone: if not, the spare goes back (and a wake it got
//! during the poll requeues the task now — asyncio's rule for a yield); if
//! so, the task adopts it for good ([`Own`]: a table slot and a way for
//! other threads to reach it, see `task_waker`).

use super::task_waker::{Reach, TaskWaker};
use super::waker_table::Slot;
use crate::Waker;
use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::sync::atomic::{Ordering, fence};

thread_local! {
    /// What `from_future`'s polls use on this thread (one thread-local for
    /// both: a poll needs both).
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
pub(super) fn polled_now(data: *const ()) -> bool {
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
    pub(super) slot: Slot,
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
