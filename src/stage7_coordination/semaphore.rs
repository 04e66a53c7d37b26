//! `Semaphore` and `BoundedSemaphore`: at most *n* holders — asyncio's.
//!
//! ```python
//! sem = asyncio.Semaphore(3)
//! async def fetch(i):
//!     async with sem:                # at most three fetches at once
//!         ...
//! ```
//! A counter and a [`Waiters`] line, copied from CPython 3.13's `locks.py`
//! (3.11 and 3.12.1 wake at most one extra waiter where 3.13 wakes as many
//! as the counter allows; they agree whenever releases come one at a time —
//! the test `a_woken_waiter_wakes_as_many_as_the_counter_allows` shows where
//! they do not):
//! - `acquire` does not suspend if the counter is above zero **and nobody
//!   alive is in line** (`locked()` is false) — even with a free slot, a
//!   newcomer queues behind earlier waiters: the semaphore is FIFO-fair;
//! - `release` adds one and wakes the first waiter that is not done, *taking
//!   the slot for it* (the counter goes down at the wake, not when it runs),
//!   so a newcomer cannot steal the slot; the woken one runs an iteration later;
//! - when a woken waiter runs — or is cancelled — it wakes as many more as
//!   the counter allows (new waiters may have queued behind it); one
//!   cancelled after being woken gives its slot back first, so the wake
//!   passes on (rondo: in `Drop`).
//!
//! `acquire` gives a [`Permit`] that releases on drop — `async with sem:` —
//! and [`Permit::forget`] keeps the slot taken (a bare `await sem.acquire()`).
//!
//! Rejected alternative: taking the slot when the woken waiter *runs*
//! (asyncio 3.10 and older). Between the wake and the run, a newcomer finds
//! the counter above zero and takes the slot; the woken waiter finds none
//! and parks again, at the back — unfair, and on a busy semaphore it can
//! wait forever.
//!
//! (Over 300 lines with its tests: two semaphores, their permit and their
//! coroutine share `SemaphoreInner`; a third of the file is tests.)

use super::waiters::{Waiter, Waiters, report_once};
use crate::stage4_event_loop::seams::WaitsOn;
use crate::{Context, Coroutine, Poll};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

/// A counter of free slots (asyncio: `asyncio.Semaphore`). A `Clone` handle.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, Semaphore};
///
/// // async with sem: ...
/// let sem = Semaphore::new(2);
/// let s = sem.clone();
/// let main = sem.acquire().map(move |permit| {
///     assert_eq!(s.value(), 1);
///     drop(permit); // leaving `async with`
///     s.value()
/// });
/// assert_eq!(EventLoop::new_virtual().run(main).unwrap(), 2);
/// ```
#[derive(Clone)]
pub struct Semaphore {
    inner: Rc<SemaphoreInner>,
}

/// A [`Semaphore`] whose `release` refuses to go above the initial value
/// (asyncio: `asyncio.BoundedSemaphore`, `ValueError` there).
///
/// ```
/// use rondo::{BoundedSemaphore, ReleasedTooManyTimes};
///
/// let sem = BoundedSemaphore::new(1);
/// assert_eq!(sem.release(), Err(ReleasedTooManyTimes));
/// ```
#[derive(Clone)]
pub struct BoundedSemaphore {
    inner: Rc<SemaphoreInner>,
}

struct SemaphoreInner {
    /// Free slots. A wake takes a slot for the woken waiter at once.
    value: Cell<usize>,
    /// `Some(initial)` for a bounded semaphore.
    bound: Option<usize>,
    /// Who waits; a woken waiter stays until it runs.
    waiters: RefCell<Waiters>,
    /// Told the loop about itself (for deadlock reports), once.
    reported: Cell<bool>,
}

/// `BoundedSemaphore::release` past the initial value: asyncio's
/// `ValueError('BoundedSemaphore released too many times')`.
///
/// ```
/// use rondo::{BoundedSemaphore, ReleasedTooManyTimes};
///
/// let sem = BoundedSemaphore::new(2);
/// sem.try_acquire().unwrap().forget();
/// assert_eq!(sem.release(), Ok(()));
/// assert_eq!(sem.release().unwrap_err().to_string(), "BoundedSemaphore released too many times");
/// # let _ = ReleasedTooManyTimes;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleasedTooManyTimes;

impl fmt::Display for ReleasedTooManyTimes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoundedSemaphore released too many times")
    }
}

impl std::error::Error for ReleasedTooManyTimes {}

impl SemaphoreInner {
    fn new(value: usize, bound: Option<usize>) -> Rc<SemaphoreInner> {
        Rc::new(SemaphoreInner {
            value: Cell::new(value),
            bound,
            waiters: RefCell::default(),
            reported: Cell::new(false),
        })
    }

    /// asyncio's `locked()`: `acquire` would suspend.
    fn locked(&self) -> bool {
        self.value.get() == 0 || !self.waiters.borrow().all_cancelled()
    }

    /// `_wake_up_next`: the first waiter not done gets a slot, and a wake.
    fn wake_up_next(&self) -> bool {
        let woke = self.waiters.borrow().wake_next();
        if woke {
            self.value.set(self.value.get() - 1);
        }
        woke
    }

    /// The `finally:` of `acquire`: wake as many as the counter allows.
    fn wake_while_free(&self) {
        while self.value.get() > 0 && self.wake_up_next() {}
    }

    fn release(&self) -> Result<(), ReleasedTooManyTimes> {
        if self.bound.is_some_and(|bound| self.value.get() >= bound) {
            return Err(ReleasedTooManyTimes);
        }
        self.value.set(self.value.get() + 1);
        self.wake_up_next();
        Ok(())
    }

    fn acquire(self: &Rc<Self>) -> SemaphoreAcquire {
        SemaphoreAcquire { sem: self.clone(), state: AcquireState::Start }
    }

    fn try_acquire(self: &Rc<Self>) -> Option<Permit> {
        if self.locked() {
            return None;
        }
        self.value.set(self.value.get() - 1);
        Some(Permit { sem: Some(self.clone()) })
    }
}

/// The methods both semaphores share, written once.
macro_rules! semaphore_methods {
    () => {
        /// Free slots now.
        pub fn value(&self) -> usize {
            self.inner.value.get()
        }

        /// `true` if `acquire` would wait: no slot free, or someone already in line.
        pub fn locked(&self) -> bool {
            self.inner.locked()
        }

        /// A coroutine that finishes with a slot: `await sem.acquire()`.
        pub fn acquire(&self) -> SemaphoreAcquire {
            self.inner.acquire()
        }

        /// Takes a slot if that needs no waiting; `None` otherwise (the
        /// branch of asyncio's `acquire` that does not suspend).
        pub fn try_acquire(&self) -> Option<Permit> {
            self.inner.try_acquire()
        }
    };
}

impl Semaphore {
    /// A semaphore with `value` free slots.
    pub fn new(value: usize) -> Semaphore {
        Semaphore { inner: SemaphoreInner::new(value, None) }
    }

    semaphore_methods!();

    /// Adds a slot and wakes the first waiter, if any (asyncio's `release()`:
    /// it needs no matching `acquire`).
    pub fn release(&self) {
        self.inner.release().expect("an unbounded semaphore can always be released");
    }
}

impl BoundedSemaphore {
    /// A semaphore with `value` free slots, never more.
    pub fn new(value: usize) -> BoundedSemaphore {
        BoundedSemaphore { inner: SemaphoreInner::new(value, Some(value)) }
    }

    semaphore_methods!();

    /// Adds a slot and wakes the first waiter, if any; an error if all
    /// slots are already free.
    pub fn release(&self) -> Result<(), ReleasedTooManyTimes> {
        self.inner.release()
    }
}

impl WaitsOn for SemaphoreInner {
    fn waiter_addrs(&self) -> Vec<usize> {
        self.waiters.borrow().addrs()
    }

    fn describe(&self) -> String {
        let kind = if self.bound.is_some() { "BoundedSemaphore" } else { "Semaphore" };
        format!(
            "waits to acquire a {kind} (value {}, {} waiting)",
            self.value.get(),
            self.waiters.borrow().len()
        )
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Semaphore(value {}, {} waiting)", self.value(), self.inner.waiters.borrow().len())
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BoundedSemaphore(value {}, {} waiting)", self.value(), self.inner.waiters.borrow().len())
    }
}

/// A slot of a semaphore; dropping it releases the slot (the end of
/// `async with sem:`).
///
/// ```
/// use rondo::Semaphore;
///
/// let sem = Semaphore::new(1);
/// let permit = sem.try_acquire().unwrap();
/// assert!(sem.try_acquire().is_none()); // no slot left
/// drop(permit);
/// sem.try_acquire().unwrap().forget(); // await sem.acquire(), never released
/// assert_eq!(sem.value(), 0);
/// ```
#[must_use = "dropping the permit releases the slot at once"]
pub struct Permit {
    /// `None` once forgotten.
    sem: Option<Rc<SemaphoreInner>>,
}

impl Permit {
    /// Keeps the slot taken for good: a bare `await sem.acquire()` with no
    /// `release()` (someone may `release()` the semaphore later).
    pub fn forget(mut self) {
        self.sem = None;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(sem) = self.sem.take()
            && sem.release().is_err()
            && !std::thread::panicking()
        {
            // Someone released this slot by hand already, as in asyncio,
            // where `__aexit__` then raises.
            panic!("{ReleasedTooManyTimes} (a permit was dropped after release() gave its slot back)");
        }
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Permit")
    }
}

/// ```text
/// async fn acquire(sem) -> Permit {
///     if !sem.locked() { sem.value -= 1; return permit }  // no suspension
///     let me = sem.waiters.push(my waker);
///     suspend until me.woken;         // release() took a slot for us
///     sem.waiters.remove(me);
///     while sem.value > 0 && sem.wake_up_next() {}        // others queued behind
///     permit
/// }   // dropped in line: leave; give back the slot if woken; wake while free
/// ```
///
/// The coroutine returned by `acquire` of [`Semaphore`] and [`BoundedSemaphore`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct SemaphoreAcquire {
    sem: Rc<SemaphoreInner>,
    state: AcquireState,
}

enum AcquireState {
    Start,
    Waiting(Rc<Waiter>),
    Done,
}

impl Coroutine for SemaphoreAcquire {
    type Output = Permit;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Permit> {
        match &self.state {
            AcquireState::Start => {
                if let Some(permit) = self.sem.try_acquire() {
                    self.state = AcquireState::Done;
                    return Poll::Ready(permit);
                }
                let me = self.sem.waiters.borrow_mut().push(cx);
                let sem = &self.sem;
                report_once(&sem.reported, || {
                    let me: Rc<dyn WaitsOn> = sem.clone();
                    Rc::downgrade(&me)
                });
                self.state = AcquireState::Waiting(me);
                Poll::Pending
            }
            AcquireState::Waiting(me) => {
                if !me.woken() {
                    me.update(cx);
                    return Poll::Pending;
                }
                self.sem.waiters.borrow_mut().remove(me);
                self.sem.wake_while_free();
                self.state = AcquireState::Done;
                Poll::Ready(Permit { sem: Some(self.sem.clone()) })
            }
            AcquireState::Done => panic!("Semaphore::acquire() polled after it completed"),
        }
    }
}

impl Drop for SemaphoreAcquire {
    /// Cancelled in line (asyncio's `except CancelledError` and `finally`).
    fn drop(&mut self) {
        if let AcquireState::Waiting(me) = &self.state {
            self.sem.waiters.borrow_mut().remove(me);
            if me.woken() {
                // A slot was taken for us: give it back.
                self.sem.value.set(self.sem.value.get() + 1);
            }
            self.sem.wake_while_free();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage7_coordination::test_util::{Iter, TickLog};
    use crate::{CoroutineExt, EventLoop, block_on, lazy, spawn, yield_now};

    #[test]
    fn acquiring_a_free_slot_does_not_suspend() {
        let sem = Semaphore::new(2);
        let (a, b) = (block_on(sem.acquire()), block_on(sem.acquire()));
        assert_eq!((sem.value(), sem.locked()), (0, true));
        drop((a, b));
        assert_eq!(sem.value(), 2);
    }

    /// Checked on CPython 3.11: the same lines at the same iterations.
    #[test]
    fn waiters_get_slots_in_order_one_iteration_after_each_release() {
        let it = Iter::new();
        let out = TickLog::new(&it);
        let ev = it.track(EventLoop::new_virtual());
        let sem = Semaphore::new(1);
        let (s, o) = (sem.clone(), out.clone());
        let main = lazy(move || {
            let held = s.try_acquire().unwrap();
            let tasks: Vec<_> = (1..=3)
                .map(|n| {
                    let o = o.clone();
                    spawn(s.acquire().map(move |permit| {
                        o.say(format!("w{n} in"));
                        permit.forget();
                    }))
                })
                .collect();
            yield_now().then(move |()| {
                held.forget();
                s.release();
                s.release();
                o.say("released twice");
                // Both slots are taken for w1 and w2 already: a newcomer waits.
                assert!(s.try_acquire().is_none());
                yield_now().then(move |()| {
                    o.say("third release");
                    s.release();
                    crate::gather_tasks(tasks)
                })
            })
        })
        .then(|g| g);
        ev.run(main).unwrap().unwrap();
        assert_eq!(out.lines(), ["2 released twice", "3 w1 in", "3 w2 in", "3 third release", "4 w3 in"]);
    }

    /// ```python
    /// w1 = create_task(w("w1")); await sleep(0)           # w1 waits
    /// n1 = create_task(w("n1")); n2 = create_task(w("n2"))
    /// s.release(); s.release(); s.release(); say("released 3 times")
    /// await gather(w1, n1, n2)
    /// ```
    /// n1 and n2 queue behind the woken w1 although two slots are free
    /// (FIFO); when w1 runs it wakes both. CPython 3.13.0 prints exactly
    /// this; 3.11.7 and 3.12.1 wake only n1, and n2 one iteration later.
    #[test]
    fn a_woken_waiter_wakes_as_many_as_the_counter_allows() {
        let it = Iter::new();
        let out = TickLog::new(&it);
        let ev = it.track(EventLoop::new_virtual());
        let sem = Semaphore::new(0);
        let (s, o, log) = (sem.clone(), out.clone(), out.clone());
        let main = lazy(move || {
            let w = move |name: &'static str| {
                let o = o.clone();
                spawn(s.acquire().map(move |p| {
                    o.say(format!("{name} in"));
                    p.forget();
                }))
            };
            let w1 = w("w1");
            yield_now().then(move |()| {
                let (n1, n2) = (w("n1"), w("n2"));
                (0..3).for_each(|_| sem.release());
                out.say("released 3 times");
                crate::gather_tasks(vec![w1, n1, n2])
            })
        })
        .then(|g| g);
        ev.run(main).unwrap().unwrap();
        assert_eq!(log.lines(), ["2 released 3 times", "3 w1 in", "4 n1 in", "4 n2 in"]);
    }

    #[test]
    fn a_woken_waiter_cancelled_gives_its_slot_to_the_next() {
        let sem = Semaphore::new(0);
        let s = sem.clone();
        let main = lazy(move || {
            let first = spawn(s.acquire().map(Permit::forget));
            let second = spawn(s.acquire().map(Permit::forget));
            yield_now().then(move |()| {
                s.release(); // a slot taken for `first`...
                assert!(first.cancel()); // ...who is cancelled before it runs
                second
            })
        })
        .then(|t| t);
        EventLoop::new_virtual().run(main).unwrap().unwrap();
        assert_eq!(sem.value(), 0, "second holds the slot");
        assert_eq!(sem.inner.waiters.borrow().len(), 0);
        assert_eq!(Rc::strong_count(&sem.inner), 1);
    }

    #[test]
    fn a_waiter_cancelled_in_line_leaves_it_and_the_slot_goes_to_the_next() {
        let sem = Semaphore::new(0);
        let s = sem.clone();
        let main = lazy(move || {
            let first = spawn(s.acquire().map(Permit::forget));
            let second = spawn(s.acquire().map(Permit::forget));
            yield_now().then(move |()| {
                assert!(first.cancel()); // still in line, never woken
                yield_now().then(move |()| {
                    assert_eq!(s.inner.waiters.borrow().len(), 1, "first has left the line");
                    s.release(); // goes to `second`
                    second
                })
            })
        })
        .then(|t| t);
        EventLoop::new_virtual().run(main).unwrap().unwrap();
        assert_eq!((sem.value(), sem.inner.waiters.borrow().len()), (0, 0));
        assert_eq!(Rc::strong_count(&sem.inner), 1);
    }

    #[test]
    fn a_bounded_semaphore_refuses_to_grow() {
        let sem = BoundedSemaphore::new(2);
        let permit = block_on(sem.acquire());
        assert_eq!(sem.release(), Ok(()));
        assert_eq!(sem.release(), Err(ReleasedTooManyTimes));
        permit.forget();
        assert_eq!(ReleasedTooManyTimes.to_string(), "BoundedSemaphore released too many times");
    }

    #[test]
    #[should_panic(expected = "BoundedSemaphore released too many times")]
    fn a_permit_dropped_after_its_slot_was_released_by_hand_panics() {
        // asyncio: `async with sem: sem.release()` raises in `__aexit__`.
        let sem = BoundedSemaphore::new(1);
        let permit = sem.try_acquire().unwrap();
        sem.release().unwrap();
        drop(permit);
    }

    #[test]
    fn a_stuck_acquire_is_described() {
        let ev = EventLoop::new_virtual();
        let _t = ev.spawn(Semaphore::new(0).acquire());
        let crate::LoopError::Deadlock { stuck } = ev.run_forever().unwrap_err() else {
            panic!("a deadlock")
        };
        assert_eq!(stuck[0].waits_on, "waits to acquire a Semaphore (value 0, 1 waiting)");
    }

    #[test]
    #[should_panic(expected = "Semaphore::acquire() polled after it completed")]
    fn polling_after_completion_panics() {
        let sem = Semaphore::new(1);
        let mut acquire = sem.acquire();
        let waker = crate::Waker::noop();
        let mut cx = Context::from_waker(&waker);
        let _permit = acquire.poll(&mut cx);
        let _ = acquire.poll(&mut cx);
    }
}
