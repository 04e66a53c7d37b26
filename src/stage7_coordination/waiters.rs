//! `Waiters`: a FIFO of parked coroutines — the one piece every primitive is made of.
//!
//! ```python
//! fut = self._get_loop().create_future()   # one future per waiting coroutine
//! self._waiters.append(fut)
//! try:
//!     await fut                            # parked until someone calls fut.set_result()
//! finally:
//!     self._waiters.remove(fut)
//! ```
//! Every asyncio primitive in `locks.py` and `queues.py` is this pattern: a
//! `collections.deque` of futures, each awaited by one coroutine. What tells
//! them apart is only *who* is woken and *when the waiter leaves the deque*:
//!
//! | primitive | wakes | the woken waiter leaves the deque |
//! |---|---|---|
//! | `Lock` | the first, if not done ([`Waiters::wake_first`]) | when it runs: it keeps its place |
//! | `Semaphore` | the first not done ([`Waiters::wake_next`]) | when it runs |
//! | `Event`, `Condition` | all / `n` not done ([`Waiters::wake_up_to`]) | when it runs |
//! | `Queue` | the first not done, popped ([`Waiters::pop_and_wake`]) | at once: it may lose the item and go to the back |
//!
//! A [`Waiter`] is what stands for asyncio's future: the parked coroutine's
//! waker, and a `woken` flag — `fut.done()` with a result. The flag is the
//! state "woken but not yet run" that the design calls for: a waiter
//! dropped (cancelled) in that state must pass its wake on, or it is lost.
//!
//! asyncio's `fut.done()` is also true for a *cancelled* future, and
//! `task.cancel()` cancels the future its task awaits at once, long before
//! the task runs its `except CancelledError:`. The primitives skip such
//! waiters when they wake someone. Rondo cancels by dropping the coroutine at
//! the task's next step, so a waiter remembers its task and asks its
//! cancel-requested flag ([`Waiter::cancelled`]) — the same answer at the
//! same moment.
//!
//! Rejected alternative: a slab of waiters addressed by index, removed in
//! O(1). asyncio's `deque.remove(fut)` is a linear scan too, and the lists
//! are short; an `Rc` per wait is what asyncio's future costs, and both
//! sides (the primitive and the parked coroutine) can see the flag. A line
//! keeps the last such `Rc` that came back to it ([`Waiters::recycle`]) for
//! its next waiter, so a steady back-and-forth (a queue ping-pong, a
//! contended lock) does not pay a malloc and a free per wait.

use crate::stage4_event_loop::AnyTask;
use crate::stage4_event_loop::seams::task_being_stepped;
use crate::{Context, Waker};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

/// One parked coroutine: asyncio's future in a primitive's `_waiters`.
pub(crate) struct Waiter {
    /// The parked coroutine's waker, refreshed on every poll; `None` only
    /// while the waiter is a line's spare ([`Waiters::recycle`]).
    waker: RefCell<Option<Waker>>,
    /// Invariant: `true` once someone woke it (asyncio: `fut.set_result()`),
    /// and never reset; it is consumed by the coroutine that owns it.
    woken: Cell<bool>,
    /// The task it waits in (none under `block_on`), to see a cancel request.
    task: Option<Weak<dyn AnyTask>>,
}

impl Waiter {
    /// `true` once woken.
    pub(crate) fn woken(&self) -> bool {
        self.woken.get()
    }

    /// asyncio's `fut.cancelled()`: not woken, and its task has been asked
    /// to cancel (its coroutine will be dropped at the task's next step).
    pub(crate) fn cancelled(&self) -> bool {
        !self.woken.get()
            && self
                .task
                .as_ref()
                .and_then(Weak::upgrade)
                .is_some_and(|task| task.header().cancel_requested.get())
    }

    /// asyncio's `fut.done()`: woken or cancelled — either way not to be woken again.
    pub(crate) fn done(&self) -> bool {
        self.woken.get() || self.cancelled()
    }

    /// Keeps the latest waker (a coroutine may be polled by another waker,
    /// e.g. moved into a `select`).
    pub(crate) fn update(&self, cx: &Context<'_>) {
        let mut waker = self.waker.borrow_mut();
        if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *waker = Some(cx.waker().clone());
        }
    }

    /// asyncio's `fut.set_result(...)`: the task is scheduled and runs one
    /// iteration later.
    fn wake(&self) {
        self.woken.set(true);
        // Clone out of the cell: waking may run code that looks at this waiter.
        let waker = self.waker.borrow().clone();
        waker.expect("a waiter in line has a waker").wake();
    }

    fn addr(&self) -> usize {
        self.waker.borrow().as_ref().map_or(0, Waker::target_addr)
    }
}

/// A FIFO of [`Waiter`]s: asyncio's `collections.deque()` of futures.
#[derive(Default)]
pub(crate) struct Waiters {
    list: VecDeque<Rc<Waiter>>,
    /// The allocation of the last waiter that left the line for good, kept
    /// empty (no waker, no task) for the next [`push`](Waiters::push): a
    /// queue ping-pong or a contended lock then parks without a malloc/free
    /// pair per wait. An optimization only — nothing reads it but `push`.
    spare: Option<Rc<Waiter>>,
}

impl Waiters {
    /// Parks the coroutine being polled at the back: `create_future` + `append`.
    pub(crate) fn push(&mut self, cx: &Context<'_>) -> Rc<Waiter> {
        let fresh = Waiter {
            waker: RefCell::new(Some(cx.waker().clone())),
            woken: Cell::new(false),
            task: task_being_stepped(),
        };
        let waiter = match self.spare.take() {
            Some(mut spare) => {
                *Rc::get_mut(&mut spare).expect("a spare is held by its line alone") = fresh;
                spare
            }
            None => Rc::new(fresh),
        };
        self.list.push_back(waiter.clone());
        waiter
    }

    /// Takes back a waiter whose coroutine is done with this line (woken,
    /// out of the line, moving on), to reuse its allocation at the next
    /// [`push`](Waiters::push). Kept only if nobody else holds it, and
    /// emptied first, so a spare keeps no task alive.
    pub(crate) fn recycle(&mut self, mut waiter: Rc<Waiter>) {
        if let Some(w) = Rc::get_mut(&mut waiter) {
            w.waker.get_mut().take();
            w.task = None;
            self.spare = Some(waiter);
        }
    }

    /// `_waiters.remove(fut)`, if it is still there (a queue pops the woken).
    pub(crate) fn remove(&mut self, waiter: &Rc<Waiter>) {
        if let Some(i) = self.list.iter().position(|w| Rc::ptr_eq(w, waiter)) {
            self.list.remove(i);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// `all(w.cancelled() for w in waiters)` (true when empty): nobody
    /// alive is in line, so a newcomer may take what is free.
    pub(crate) fn all_cancelled(&self) -> bool {
        self.list.iter().all(|w| w.cancelled())
    }

    /// Lock's `_wake_up_first`: wakes the *first* waiter unless it is done
    /// (already woken, or cancelled — then its own exit passes the wake on).
    /// It stays in line until it runs.
    pub(crate) fn wake_first(&self) {
        if let Some(first) = self.list.front()
            && !first.done()
        {
            first.wake();
        }
    }

    /// Semaphore's `_wake_up_next`: wakes the first waiter that is not done;
    /// `false` if there is none. It stays in line until it runs.
    pub(crate) fn wake_next(&self) -> bool {
        match self.list.iter().find(|w| !w.done()) {
            Some(waiter) => {
                waiter.wake();
                true
            }
            None => false,
        }
    }

    /// Event's `set` (`n = usize::MAX`) and Condition's `notify(n)`: wakes up
    /// to `n` waiters that are not done, in order; they stay until they run.
    pub(crate) fn wake_up_to(&self, n: usize) -> usize {
        let mut woken = 0;
        for waiter in &self.list {
            if woken >= n {
                break;
            }
            if !waiter.done() {
                waiter.wake();
                woken += 1;
            }
        }
        woken
    }

    /// Queue's `_wakeup_next`: pops waiters from the front until one is not
    /// done, and wakes it. The woken one is out of line: when it runs it
    /// re-checks, and waits again at the back if a newcomer was faster.
    pub(crate) fn pop_and_wake(&mut self) {
        while let Some(waiter) = self.list.pop_front() {
            if !waiter.done() {
                waiter.wake();
                break;
            }
        }
    }

    /// Queue's `shutdown`: pops every waiter, waking those not done.
    pub(crate) fn pop_and_wake_all(&mut self) {
        while let Some(waiter) = self.list.pop_front() {
            if !waiter.done() {
                waiter.wake();
            }
        }
    }

    /// Wake-target addresses of the parked coroutines (for the deadlock
    /// explainer: whose task waits here).
    pub(crate) fn addrs(&self) -> Vec<usize> {
        self.list.iter().map(|w| w.addr()).collect()
    }
}

/// What every primitive keeps beside its waiters: whether it has told the
/// running loop about itself (once), for deadlock reports.
pub(crate) fn report_once(
    reported: &Cell<bool>,
    me: impl FnOnce() -> Weak<dyn crate::stage4_event_loop::seams::WaitsOn>,
) {
    if !reported.replace(true) {
        crate::stage4_event_loop::seams::report_waits_on(me());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Wake;

    struct Count(Cell<u32>);
    impl Wake for Count {
        fn wake(&self) {
            self.0.set(self.0.get() + 1);
        }
    }

    fn cx_for(count: &Rc<Count>) -> Waker {
        Waker::new(count.clone())
    }

    #[test]
    fn each_rule_wakes_whom_asyncio_wakes() {
        let counts: Vec<Rc<Count>> = (0..3).map(|_| Rc::new(Count(Cell::new(0)))).collect();
        let wakers: Vec<Waker> = counts.iter().map(cx_for).collect();
        let mut waiters = Waiters::default();
        let ws: Vec<_> = wakers.iter().map(|w| waiters.push(&Context::from_waker(w))).collect();
        // Lock: the first, once.
        waiters.wake_first();
        waiters.wake_first();
        assert_eq!(counts.iter().map(|c| c.0.get()).collect::<Vec<_>>(), [1, 0, 0]);
        // Semaphore: the first not done.
        assert!(waiters.wake_next());
        assert_eq!(counts[1].0.get(), 1);
        // Condition: up to n not done.
        assert_eq!(waiters.wake_up_to(5), 1);
        assert!(!waiters.wake_next(), "everyone is woken");
        assert_eq!(waiters.len(), 3, "woken waiters keep their place until they run");
        waiters.remove(&ws[0]);
        assert_eq!(waiters.addrs().len(), 2);
        // Queue: popped.
        let mut q = Waiters::default();
        let w = q.push(&Context::from_waker(&wakers[0]));
        q.pop_and_wake();
        assert!(q.len() == 0 && w.woken());
        assert!(!w.cancelled() && w.done());
        // Handed back, its allocation serves the next waiter, emptied.
        let at = Rc::as_ptr(&w);
        q.recycle(w);
        assert_eq!(q.spare.as_ref().map(|s| s.addr()), Some(0), "a spare holds no waker");
        let again = q.push(&Context::from_waker(&wakers[1]));
        assert_eq!(Rc::as_ptr(&again), at);
        assert!(!again.woken() && again.addr() == wakers[1].target_addr());
        // A waiter still held elsewhere is not taken back.
        let shared = again.clone();
        q.recycle(again);
        assert!(q.spare.is_none());
        drop(shared);
    }
}
