//! `Lock`: one holder at a time, the others in a fair line — asyncio's `Lock`.
//!
//! ```python
//! lock = asyncio.Lock()
//! async with lock:            # await lock.acquire() ... finally: lock.release()
//!     balance = read(); await asyncio.sleep(0); write(balance + 10)
//! ```
//! A flag (`locked`) and a [`Waiters`] line. The rules, from CPython's
//! `locks.py`:
//! - **uncontended `acquire` does not suspend**: if the lock is free and
//!   nobody (alive) is in line, it is taken at once — returning `Pending`
//!   there would add an iteration and change the order of events;
//! - **release wakes the first in line, who keeps its place**: the lock is
//!   free but the woken waiter is still in the line, so a newcomer that
//!   arrives before it runs queues behind it. That makes the lock FIFO-fair
//!   (asyncio's `Queue` is not: see [`queue`](super::queue));
//! - **the woken waiter runs one iteration later** (its future's
//!   `set_result` schedules its task with `call_soon`) and takes the lock;
//! - **a waiter cancelled after being woken passes the wake on**, or the lock
//!   would stay free with everyone asleep. asyncio does it in `except
//!   CancelledError`; rondo cancels by dropping the coroutine, so it is done
//!   in [`Acquire`]'s `Drop`.
//!
//! **Why a guard is asyncio's `async with`.** `acquire` gives a [`LockGuard`];
//! dropping it releases the lock. Python needs `async with` (or `try/finally`)
//! because nothing runs when a name goes out of scope; Rust runs `Drop` on
//! every way out — return, `?`, panic, and *cancellation*, which in rondo is
//! dropping the coroutine that holds the guard. So "forgot to release" and
//! "released a lock I do not hold" (asyncio's `RuntimeError('Lock is not
//! acquired.')`) cannot be written. Rejected: a `release()` method beside the
//! guard, which would bring both mistakes back.
//!
//! (Over 300 lines with its tests: the lock, its guard and its coroutine
//! share `LockInner`; half the file is one test per rule above.)

use super::waiters::{Waiter, Waiters, report_once};
use crate::stage4_event_loop::AnyTask;
use crate::stage4_event_loop::seams::{HeldBy, WaitsOn, task_being_stepped};
use crate::{Context, Coroutine, Poll};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::Location;
use std::rc::{Rc, Weak};

/// A fair lock for the tasks of one loop (asyncio: `asyncio.Lock`).
///
/// A `Clone` handle: every clone is the same lock.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, Lock};
///
/// // async with lock: ...
/// let lock = Lock::new();
/// let held = lock.clone();
/// let main = lock.acquire().map(move |guard| {
///     assert!(held.locked());
///     drop(guard); // leaving `async with`
///     held.locked()
/// });
/// assert_eq!(EventLoop::new_virtual().run(main).unwrap(), false);
/// ```
#[derive(Clone)]
pub struct Lock {
    inner: Rc<LockInner>,
}

struct LockInner {
    /// `true` from the moment someone takes it until its guard is dropped.
    locked: Cell<bool>,
    /// Who waits, in arrival order; a woken waiter stays until it runs.
    waiters: RefCell<Waiters>,
    /// The task that took it, for deadlock reports ("held by 'B'").
    /// Invariant: `Some` only while `locked`, and then the task that was
    /// being stepped when it was taken (uncontended, or a woken waiter
    /// taking it); `None` while free, or if it was taken outside any task
    /// (under `block_on`). A `Weak`: a lock does not keep a task alive, and
    /// the task's address cannot be reused while the lock names it. (A guard
    /// moved to another task still names the one that took it.)
    holder: RefCell<Option<Weak<dyn AnyTask>>>,
    /// Its name in deadlock reports (`Lock::named`).
    name: Option<Box<str>>,
    created_at: &'static Location<'static>,
    /// Told the loop about itself (for deadlock reports), once.
    reported: Cell<bool>,
}

impl Default for Lock {
    #[track_caller]
    fn default() -> Self {
        Lock::new()
    }
}

impl Lock {
    /// A free lock.
    #[track_caller]
    pub fn new() -> Lock {
        Lock::make(None)
    }

    /// A free lock with a name, used in deadlock reports ("waits to acquire Lock 'fork'").
    ///
    /// ```
    /// let fork = rondo::Lock::named("fork");
    /// assert_eq!(format!("{fork:?}"), "Lock('fork', unlocked)");
    /// ```
    #[track_caller]
    pub fn named(name: &str) -> Lock {
        Lock::make(Some(name.into()))
    }

    #[track_caller]
    fn make(name: Option<Box<str>>) -> Lock {
        let inner = LockInner {
            locked: Cell::new(false),
            waiters: RefCell::default(),
            holder: RefCell::new(None),
            name,
            created_at: Location::caller(),
            reported: Cell::new(false),
        };
        Lock { inner: Rc::new(inner) }
    }

    /// `true` while someone holds it (asyncio: `lock.locked()`).
    pub fn locked(&self) -> bool {
        self.inner.locked.get()
    }

    /// A coroutine that finishes holding the lock: `await lock.acquire()`.
    pub fn acquire(&self) -> Acquire {
        Acquire { lock: self.clone(), state: AcquireState::Start }
    }

    /// Takes the lock if that needs no waiting (free, nobody in line);
    /// `None` otherwise. (asyncio has no `acquire_nowait`; this is the
    /// branch of `acquire` that does not suspend.)
    pub fn try_acquire(&self) -> Option<LockGuard> {
        let inner = &self.inner;
        if !inner.locked.get() && inner.waiters.borrow().all_cancelled() {
            self.take();
            Some(LockGuard { lock: self.clone() })
        } else {
            None
        }
    }

    /// `true` if both handles are the same lock.
    pub fn same_as(&self, other: &Lock) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// Takes the free lock for the task being stepped (asyncio sets
    /// `_locked`; rondo also writes down who took it, for deadlock reports).
    fn take(&self) {
        self.inner.locked.set(true);
        *self.inner.holder.borrow_mut() = task_being_stepped();
    }

    /// asyncio's `release()`: frees the lock and wakes the first in line.
    fn release(&self) {
        debug_assert!(self.inner.locked.get(), "a guard exists only while locked");
        self.inner.locked.set(false);
        // Taken out before waking anyone: a wake may run code that reads it.
        let holder = self.inner.holder.take();
        drop(holder);
        self.inner.waiters.borrow().wake_first();
    }

    fn report(&self) {
        let inner = &self.inner;
        report_once(&inner.reported, || {
            let me: Rc<dyn WaitsOn> = self.inner.clone();
            Rc::downgrade(&me)
        });
    }
}

impl WaitsOn for LockInner {
    fn waiter_addrs(&self) -> Vec<usize> {
        self.waiters.borrow().addrs()
    }

    fn describe(&self) -> String {
        match &self.name {
            Some(name) => format!("waits to acquire Lock '{name}'"),
            None => format!("waits to acquire a Lock (created at {})", self.created_at),
        }
    }

    fn held_by(&self) -> Option<HeldBy> {
        if !self.locked.get() {
            return None;
        }
        let holder = self.holder.borrow();
        let task_addr = Weak::as_ptr(holder.as_ref()?) as *const () as usize;
        let what = match &self.name {
            Some(name) => format!("Lock '{name}'"),
            None => format!("a Lock (created at {})", self.created_at),
        };
        Some(HeldBy { task_addr, what })
    }
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.locked() { "locked" } else { "unlocked" };
        let waiting = self.inner.waiters.borrow().len();
        let name = self.inner.name.as_deref().map(|n| format!("'{n}', ")).unwrap_or_default();
        match waiting {
            0 => write!(f, "Lock({name}{state})"),
            n => write!(f, "Lock({name}{state}, {n} waiting)"),
        }
    }
}

/// Proof of holding a [`Lock`]; dropping it releases the lock (the end of
/// asyncio's `async with lock:` block).
///
/// ```
/// use rondo::Lock;
///
/// let lock = Lock::new();
/// {
///     let guard = lock.try_acquire().unwrap(); // async with lock:
///     assert!(guard.lock().locked());
/// } // the block ends: released
/// assert!(!lock.locked());
/// ```
#[must_use = "dropping the guard releases the lock at once"]
pub struct LockGuard {
    lock: Lock,
}

impl LockGuard {
    /// The lock this guard holds.
    pub fn lock(&self) -> &Lock {
        &self.lock
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        self.lock.release();
    }
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LockGuard({:?})", self.lock)
    }
}

/// ```text
/// async fn acquire(lock) -> LockGuard {
///     if !lock.locked && lock.waiters.all_cancelled() {   // uncontended: no suspension
///         lock.locked = true;
///         return guard;
///     }
///     let me = lock.waiters.push(my waker);
///     suspend until me.woken;          // release() wakes the first in line
///     lock.waiters.remove(me);         // it kept its place until now
///     lock.locked = true;
///     guard
/// }   // dropped while waiting: leave the line; if the lock is free, wake the first
/// ```
///
/// The coroutine returned by [`Lock::acquire`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Acquire {
    lock: Lock,
    state: AcquireState,
}

enum AcquireState {
    Start,
    /// In line; `release` sets the waiter's `woken`.
    Waiting(Rc<Waiter>),
    Done,
}

impl Coroutine for Acquire {
    type Output = LockGuard;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<LockGuard> {
        match &self.state {
            AcquireState::Start => {
                if let Some(guard) = self.lock.try_acquire() {
                    self.state = AcquireState::Done;
                    return Poll::Ready(guard);
                }
                let me = self.lock.inner.waiters.borrow_mut().push(cx);
                self.lock.report();
                self.state = AcquireState::Waiting(me);
                Poll::Pending
            }
            AcquireState::Waiting(me) => {
                if !me.woken() {
                    me.update(cx); // polled without a wake (inside a select, say)
                    return Poll::Pending;
                }
                // Nobody could take it meanwhile: the line was not empty.
                debug_assert!(!self.lock.locked(), "a woken waiter finds the lock free");
                self.lock.take();
                if let AcquireState::Waiting(me) = std::mem::replace(&mut self.state, AcquireState::Done) {
                    let mut waiters = self.lock.inner.waiters.borrow_mut();
                    waiters.remove(&me); // it kept its place until now
                    waiters.recycle(me);
                }
                Poll::Ready(LockGuard { lock: self.lock.clone() })
            }
            AcquireState::Done => panic!("Lock::acquire() polled after it completed"),
        }
    }
}

impl Drop for Acquire {
    /// Cancelled while in line (asyncio's `except CancelledError:` in
    /// `acquire`): leave the line; if the lock is free, make sure the first
    /// waiter runs — it may be us that `release` woke.
    fn drop(&mut self) {
        if let AcquireState::Waiting(me) = &self.state {
            let inner = &self.lock.inner;
            inner.waiters.borrow_mut().remove(me);
            if !inner.locked.get() {
                inner.waiters.borrow().wake_first();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage7_coordination::test_util::{Iter, TickLog};
    use crate::{CoroutineExt, EventLoop, Transcript, block_on, lazy, spawn, yield_now};

    #[test]
    fn an_uncontended_acquire_does_not_suspend() {
        // block_on would report a coroutine that suspends without a wake.
        let lock = Lock::new();
        let guard = block_on(lock.acquire());
        assert!(lock.locked());
        drop(guard);
        assert!(!lock.locked());
        let it = Iter::new();
        let ev = it.track(EventLoop::new_virtual());
        let i = it.clone();
        let at = ev.run_until_complete(lock.acquire().map(move |_guard| i.get())).unwrap();
        assert_eq!(at, 1, "main's first step took it");
    }

    /// Three tasks queue for a held lock; main releases it at iteration 2.
    #[test]
    fn waiters_get_it_in_arrival_order_one_iteration_after_each_release() {
        let it = Iter::new();
        let out = TickLog::new(&it);
        let ev = it.track(EventLoop::new_virtual());
        let lock = Lock::new();
        let (l, o) = (lock.clone(), out.clone());
        let main = lazy(move || {
            let holder = l.try_acquire().unwrap();
            let tasks: Vec<_> = (1..=3)
                .map(|n| {
                    let o = o.clone();
                    spawn(l.acquire().then(move |g| {
                        o.say(format!("w{n} got it"));
                        yield_now().map(move |()| drop(g))
                    }))
                })
                .collect();
            yield_now().then(move |()| {
                // Iteration 2: everybody is in line.
                drop(holder);
                o.say("released");
                crate::gather_tasks(tasks)
            })
        })
        .then(|g| g);
        ev.run(main).unwrap().unwrap();
        // CPython 3.11 prints the same iterations (each holder yields once
        // before it lets go, so the next one runs two iterations later).
        assert_eq!(out.lines(), ["2 released", "3 w1 got it", "5 w2 got it", "7 w3 got it"]);
    }

    #[test]
    fn a_newcomer_cannot_jump_a_woken_waiter() {
        let out = Transcript::new();
        let lock = Lock::new();
        let (l, o) = (lock.clone(), out.clone());
        let main = lazy(move || {
            let holder = l.try_acquire().unwrap();
            let o1 = o.clone();
            let first = spawn(l.acquire().map(move |_g| o1.say("waiter")));
            let (l2, o2) = (l.clone(), o.clone());
            yield_now().then(move |()| {
                drop(holder); // wakes `first`, which has not run yet
                assert!(l2.try_acquire().is_none(), "the woken waiter keeps its place");
                let newcomer = spawn(l2.acquire().map(move |_g| o2.say("newcomer")));
                crate::gather_tasks(vec![first, newcomer])
            })
        })
        .then(|g| g);
        EventLoop::new_virtual().run(main).unwrap().unwrap();
        assert_eq!(out.lines(), ["waiter", "newcomer"]);
    }

    #[test]
    fn a_woken_waiter_cancelled_before_it_runs_passes_the_wake_on_and_leaks_nothing() {
        let out = Transcript::new();
        let lock = Lock::new();
        let (l, o) = (lock.clone(), out.clone());
        let main = lazy(move || {
            let holder = l.try_acquire().unwrap();
            let o1 = o.clone();
            let first = spawn(l.acquire().map(move |_g| o1.say("first")));
            let o2 = o.clone();
            let second = spawn(l.acquire().map(move |_g| o2.say("second")));
            yield_now().then(move |()| {
                drop(holder); // wakes `first`...
                assert!(first.cancel()); // ...which is cancelled before it runs
                second
            })
        })
        .then(|t| t);
        EventLoop::new_virtual().run(main).unwrap().unwrap();
        assert_eq!(out.lines(), ["second"]);
        assert!(!lock.locked());
        assert_eq!(lock.inner.waiters.borrow().len(), 0, "nobody left in line");
        assert_eq!(Rc::strong_count(&lock.inner), 1, "no coroutine keeps the lock alive");
    }

    /// ```python
    /// await l.acquire(); w1 = create_task(w()); await sleep(0)   # w1 in line
    /// w1.cancel(); l.release()
    /// await l.acquire(); say("main took it back at once")       # no suspension
    /// await sleep(0); say(f"w1 cancelled: {w1.cancelled()}")
    /// ```
    /// asyncio's `task.cancel()` cancels w1's future at once, so the line
    /// holds only cancelled waiters: `release` wakes nobody and a newcomer
    /// takes the lock without waiting. CPython 3.11 and 3.13 print this.
    #[test]
    fn a_line_of_cancelled_waiters_does_not_hold_up_a_newcomer() {
        let it = Iter::new();
        let out = TickLog::new(&it);
        let ev = it.track(EventLoop::new_virtual());
        let lock = Lock::new();
        let (l, o) = (lock.clone(), out.clone());
        let main = lazy(move || {
            let held = l.try_acquire().unwrap();
            let o1 = o.clone();
            let w1 = spawn(l.acquire().map(move |_g| o1.say("w1 got it")));
            yield_now()
                .then(move |()| {
                    w1.cancel();
                    drop(held);
                    l.acquire().map(move |g| (g, w1, o))
                })
                .then(|(g, w1, o)| {
                    o.say("main took it back at once");
                    yield_now().map(move |()| {
                        o.say(format!("w1 cancelled: {}", w1.cancelled()));
                        drop(g);
                    })
                })
        })
        .then(|c| c);
        ev.run(main).unwrap();
        assert_eq!(out.lines(), ["2 main took it back at once", "3 w1 cancelled: true"]);
        assert_eq!(format!("{lock:?}"), "Lock(unlocked)");
    }

    #[test]
    fn a_waiter_cancelled_while_queued_leaves_the_line() {
        let lock = Lock::new();
        let l = lock.clone();
        let main = lazy(move || {
            let holder = l.try_acquire().unwrap();
            let waiter = spawn(l.acquire().map(drop));
            yield_now().map(move |()| {
                assert_eq!(l.inner.waiters.borrow().len(), 1);
                assert!(waiter.cancel());
                holder
            })
        })
        .then(|holder| yield_now().map(move |()| drop(holder)));
        EventLoop::new_virtual().run(main).unwrap();
        assert_eq!(lock.inner.waiters.borrow().len(), 0);
        assert!(!lock.locked());
    }

    #[test]
    fn a_stuck_acquire_is_described_with_the_locks_name() {
        let fork = Lock::named("fork");
        let _held = fork.try_acquire().unwrap();
        let ev = EventLoop::new_virtual();
        let _t = ev.spawn_named("philosopher", fork.acquire());
        let crate::LoopError::Deadlock { stuck } = ev.run_forever().unwrap_err() else {
            panic!("a deadlock")
        };
        assert_eq!(stuck[0].waits_on, "waits to acquire Lock 'fork'");
    }

    #[test]
    #[should_panic(expected = "Lock::acquire() polled after it completed")]
    fn polling_after_completion_panics() {
        let lock = Lock::new();
        let mut acquire = lock.acquire();
        let waker = crate::Waker::noop();
        let mut cx = Context::from_waker(&waker);
        let _guard = acquire.poll(&mut cx);
        let _ = acquire.poll(&mut cx);
    }
}

#[cfg(test)]
mod holder_tests {
    //! The holder bookkeeping the deadlock explainer reads.
    use super::*;
    use crate::{CoroutineExt, EventLoop, lazy, spawn_named, yield_now};

    /// The name of the task the lock says holds it, if any.
    fn holder(lock: &Lock) -> Option<String> {
        let held = lock.inner.holder.borrow();
        held.as_ref().and_then(Weak::upgrade).map(|task| task.header().name())
    }

    #[test]
    fn an_uncontended_acquire_records_its_task_and_the_guard_clears_it() {
        let lock = Lock::new();
        let l = lock.clone();
        let main = lazy(move || {
            let guard = l.try_acquire().unwrap();
            let seen = holder(&l);
            drop(guard);
            (seen, holder(&l))
        });
        let (seen, after) = EventLoop::new_virtual().run(main).unwrap();
        assert_eq!(seen.as_deref(), Some("Task-1"));
        assert_eq!(after, None, "released: nobody holds it");
        // Outside any task (block_on): locked, holder unknown.
        let guard = crate::block_on(lock.acquire());
        assert!(lock.locked() && holder(&lock).is_none());
        assert!(lock.inner.held_by().is_none());
        drop(guard);
    }

    #[test]
    fn a_woken_waiter_that_takes_it_becomes_the_holder() {
        let lock = Lock::new();
        let l = lock.clone();
        let main = lazy(move || {
            let held = l.try_acquire().unwrap();
            let l2 = l.clone();
            let w = spawn_named("w", l.acquire().then(move |g| yield_now().map(move |()| (holder(&l2), g))));
            yield_now().then(move |()| {
                assert_eq!(holder(&l).as_deref(), Some("Task-1"));
                drop(held); // wakes w, who keeps its place
                assert_eq!(holder(&l), None, "free until the woken waiter runs");
                w
            })
        })
        .then(|w| w);
        let (seen, guard) = EventLoop::new_virtual().run(main).unwrap().unwrap();
        assert_eq!(seen.as_deref(), Some("w"));
        drop(guard);
        assert_eq!(holder(&lock), None);
    }

    #[test]
    fn a_cancelled_holder_releases_through_its_guard_and_is_forgotten() {
        let lock = Lock::new();
        let l = lock.clone();
        let main = lazy(move || {
            let holder_task = spawn_named(
                "holder",
                l.acquire().then(|g| crate::test_support::never().map(move |()| drop(g))),
            );
            yield_now().then(move |()| {
                assert_eq!(holder(&l).as_deref(), Some("holder"));
                assert!(holder_task.cancel());
                yield_now().map(move |()| l)
            })
        })
        .then(|l| l);
        let l = EventLoop::new_virtual().run(main).unwrap();
        assert!(!l.locked());
        assert_eq!(holder(&lock), None);
    }

    #[test]
    fn a_cancelled_waiter_leaves_the_holder_as_it_was() {
        let lock = Lock::new();
        let l = lock.clone();
        let main = lazy(move || {
            let held = l.try_acquire().unwrap();
            let waiter = spawn_named("waiter", l.acquire().map(drop));
            yield_now().then(move |()| {
                assert!(waiter.cancel());
                yield_now().map(move |()| {
                    assert_eq!(l.inner.waiters.borrow().len(), 0);
                    let seen = holder(&l);
                    drop(held);
                    seen
                })
            })
        })
        .then(|seen| seen);
        assert_eq!(EventLoop::new_virtual().run(main).unwrap().as_deref(), Some("Task-1"));
        assert_eq!(holder(&lock), None);
    }
}

#[cfg(test)]
mod teardown_tests {
    use super::*;
    use crate::stage7_coordination::test_util::Iter;
    use crate::{CoroutineExt, EventLoop, lazy, spawn, yield_now};

    /// `run` cancels what is left when `main` returns: a waiter woken but
    /// not yet run is dropped then, and passes its wake on to the next one
    /// — into a loop that is ending. Nothing may panic or leak.
    #[test]
    fn waiters_dropped_when_the_loop_ends_pass_wakes_on_safely() {
        for observed in [false, true] {
            let lock = Lock::new();
            let l = lock.clone();
            let it = Iter::new();
            let ev = if observed { it.track(EventLoop::new_virtual()) } else { EventLoop::new_virtual() };
            let main = lazy(move || {
                let held = l.try_acquire().unwrap();
                let _waiters: Vec<_> = (0..3).map(|_| spawn(l.acquire().map(drop))).collect();
                yield_now().map(move |()| drop(held)) // wakes the first; main returns
            })
            .then(|c| c);
            ev.run(main).unwrap();
            assert!(!lock.locked());
            assert_eq!(format!("{lock:?}"), "Lock(unlocked)");
            assert_eq!(Rc::strong_count(&lock.inner), 1);
        }
    }
}
