//! `Condition`: wait, under a lock, until someone says "look again" — asyncio's `Condition`.
//!
//! ```python
//! cond = asyncio.Condition()
//! async with cond:
//!     await cond.wait_for(lambda: len(items) > 0)   # releases the lock while it waits
//!     item = items.pop()
//! ...
//! async with cond:
//!     items.append(x); cond.notify()                # wakes one waiter, who re-takes the lock
//! ```
//! A [`Lock`] and a [`Waiters`] line of its own. From CPython's `locks.py`:
//! - `wait` releases the lock, parks, and when notified *re-acquires the
//!   lock* before it returns. The notifier usually still holds the lock, so
//!   a notified waiter runs one iteration later only to queue for the lock,
//!   and gets it one iteration after the notifier releases it: a notify
//!   costs **at least two** iterations;
//! - `notify(n)` wakes up to `n` waiters that are not done, in order;
//!   they stay in line until they run. It must be called holding the lock;
//! - a waiter cancelled while parked — notified or not — notifies one other
//!   waiter instead (3.13; 3.11 loses a notify cancelled this way: a hang), since
//!   the notify may have been meant for it: a spurious wake-up is allowed
//!   for condition variables, a lost one is a hang.
//!
//! **Rust's version of "holding the lock".** `wait` takes the [`LockGuard`]
//! and gives it back: waiting without holding the lock (asyncio's
//! `RuntimeError('cannot wait on un-acquired lock')`) does not compile, in
//! the way std's `Condvar::wait(guard)` works. `notify` takes no guard (a
//! guard held elsewhere in the task is the common case) and checks
//! `locked()` as asyncio does.
//!
//! Rejected alternative: `wait(&self)` checking `locked()` at run time, as
//! asyncio does. It would compile a `wait` in a task that does not hold the
//! lock — or that holds it through a guard it then keeps using while
//! parked, which is exactly the bug the lock is there to prevent.
//!
//! **Where rondo differs.** A cancelled asyncio waiter re-acquires the lock
//! before it unwinds (its `finally:` must run under the lock), which may
//! take iterations; a cancelled rondo waiter is dropped and cannot await,
//! so it leaves without the lock and passes its notify on at once.
//!
//! (Over 300 lines with its tests: two coroutines, `wait` and `wait_for`,
//! the second made of the first; a third of the file is tests.)

use super::lock::{Acquire, Lock, LockGuard};
use super::waiters::{Waiter, Waiters, report_once};
use crate::stage4_event_loop::seams::WaitsOn;
use crate::{Context, Coroutine, Poll};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

/// A condition variable over a [`Lock`] (asyncio: `asyncio.Condition`). A
/// `Clone` handle.
///
/// ```
/// use rondo::{Condition, CoroutineExt, EventLoop, lazy, spawn};
/// use std::{cell::Cell, rc::Rc};
///
/// // async with cond: await cond.wait_for(lambda: ready)   ...   async with cond: ready = True; cond.notify()
/// let (cond, ready) = (Condition::new(), Rc::new(Cell::new(false)));
/// let (c, r) = (cond.clone(), ready.clone());
/// let waiter = cond.acquire().then(move |guard| c.wait_for(guard, move || r.get())).map(drop);
/// let (c, r) = (cond.clone(), ready.clone());
/// let main = lazy(move || {
///     let waiter = spawn(waiter);
///     c.acquire().map(move |_guard| {
///         r.set(true);
///         c.notify(1);
///         waiter
///     })
/// })
/// .then(|acquired| acquired) // the lock taken, notified, released: the waiter task
/// .then(|waiter| waiter);
/// EventLoop::new_virtual().run(main).unwrap().unwrap();
/// assert!(!cond.locked());
/// ```
#[derive(Clone)]
pub struct Condition {
    inner: Rc<CondInner>,
}

struct CondInner {
    lock: Lock,
    /// Who waits to be notified; a notified waiter stays until it runs.
    waiters: RefCell<Waiters>,
    /// Told the loop about itself (for deadlock reports), once.
    reported: Cell<bool>,
    /// What its waiters wait on, if it is part of something bigger (a
    /// `Barrier` says how many have arrived).
    describe_as: RefCell<Option<Box<dyn Fn() -> String>>>,
}

impl Default for Condition {
    #[track_caller]
    fn default() -> Self {
        Condition::new()
    }
}

impl Condition {
    /// A condition over a new lock.
    #[track_caller]
    pub fn new() -> Condition {
        Condition::with_lock(Lock::new())
    }

    /// A condition over `lock` (asyncio: `Condition(lock)`).
    pub fn with_lock(lock: Lock) -> Condition {
        Condition {
            inner: Rc::new(CondInner {
                lock,
                waiters: RefCell::default(),
                reported: Cell::new(false),
                describe_as: RefCell::default(),
            }),
        }
    }

    /// The lock under the condition.
    pub fn lock(&self) -> &Lock {
        &self.inner.lock
    }

    /// `async with cond:` — acquire the lock.
    pub fn acquire(&self) -> Acquire {
        self.inner.lock.acquire()
    }

    /// `true` while someone holds the lock.
    pub fn locked(&self) -> bool {
        self.inner.lock.locked()
    }

    /// A coroutine that releases the lock (`guard`), waits for a notify,
    /// re-acquires the lock and gives the guard back.
    ///
    /// # Panics
    /// If `guard` holds another lock than this condition's.
    pub fn wait(&self, guard: LockGuard) -> CondWait {
        assert!(
            guard.lock().same_as(&self.inner.lock),
            "Condition::wait() was given the guard of another lock"
        );
        CondWait { cond: self.clone(), state: CondWaitState::Start(guard) }
    }

    /// A coroutine that waits (as [`wait`](Condition::wait)) until
    /// `predicate` is true, checking it first and after each wake, always
    /// holding the lock; it gives the guard back.
    pub fn wait_for<P: FnMut() -> bool>(&self, guard: LockGuard, predicate: P) -> CondWaitFor<P> {
        assert!(
            guard.lock().same_as(&self.inner.lock),
            "Condition::wait_for() was given the guard of another lock"
        );
        CondWaitFor { cond: self.clone(), predicate, state: WaitForState::Check(Some(guard)) }
    }

    /// Wakes up to `n` waiters (each re-takes the lock before its `wait` returns).
    ///
    /// # Panics
    /// If the lock is not held (asyncio: `RuntimeError('cannot notify on
    /// un-acquired lock')`).
    pub fn notify(&self, n: usize) {
        assert!(self.locked(), "cannot notify on un-acquired lock: hold the Condition's lock to notify");
        self.inner.waiters.borrow().wake_up_to(n);
    }

    /// Wakes every waiter.
    ///
    /// # Panics
    /// As [`notify`](Condition::notify).
    pub fn notify_all(&self) {
        self.notify(usize::MAX);
    }

    /// `notify` without the lock check: a cancelled waiter passing its
    /// notify on, and the barrier's internal bookkeeping.
    pub(crate) fn notify_unchecked(&self, n: usize) {
        self.inner.waiters.borrow().wake_up_to(n);
    }

    /// Says what its waiters wait on in deadlock reports, instead of "a Condition".
    pub(crate) fn describe_waiters_as(&self, describe: impl Fn() -> String + 'static) {
        *self.inner.describe_as.borrow_mut() = Some(Box::new(describe));
    }
}

impl WaitsOn for CondInner {
    fn waiter_addrs(&self) -> Vec<usize> {
        self.waiters.borrow().addrs()
    }

    fn describe(&self) -> String {
        match &*self.describe_as.borrow() {
            Some(describe) => describe(),
            None => "waits on a Condition that nobody notifies".to_string(),
        }
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.locked() { "locked" } else { "unlocked" };
        write!(f, "Condition({state}, {} waiting)", self.inner.waiters.borrow().len())
    }
}

/// ```text
/// async fn wait(cond, guard) -> LockGuard {
///     drop(guard);                          // release the lock
///     let me = cond.waiters.push(my waker);
///     suspend until me.woken;               // notify() wakes us; we stay in line until now
///     cond.waiters.remove(me);
///     cond.lock.acquire().await             // the notifier may still hold it
/// }   // dropped while parked or re-acquiring: notify one other waiter
/// ```
///
/// The coroutine returned by [`Condition::wait`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct CondWait {
    cond: Condition,
    state: CondWaitState,
}

enum CondWaitState {
    /// Not yet polled: still holding the lock.
    Start(LockGuard),
    /// Lock released, parked until notified.
    Waiting(Rc<Waiter>),
    /// Notified; taking the lock back.
    Reacquiring(Acquire),
    Done,
}

impl Coroutine for CondWait {
    type Output = LockGuard;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<LockGuard> {
        loop {
            match &mut self.state {
                CondWaitState::Start(_) => {
                    let me = self.cond.inner.waiters.borrow_mut().push(cx);
                    let inner = &self.cond.inner;
                    report_once(&inner.reported, || {
                        let me: Rc<dyn WaitsOn> = inner.clone();
                        Rc::downgrade(&me)
                    });
                    let held = std::mem::replace(&mut self.state, CondWaitState::Waiting(me));
                    let CondWaitState::Start(guard) = held else { unreachable!("matched Start") };
                    drop(guard); // releases the lock (and may wake its first waiter)
                    return Poll::Pending;
                }
                CondWaitState::Waiting(me) => {
                    if !me.woken() {
                        me.update(cx);
                        return Poll::Pending;
                    }
                    self.cond.inner.waiters.borrow_mut().remove(me);
                    self.state = CondWaitState::Reacquiring(self.cond.inner.lock.acquire());
                }
                CondWaitState::Reacquiring(acquire) => {
                    let Poll::Ready(guard) = acquire.poll(cx) else { return Poll::Pending };
                    self.state = CondWaitState::Done;
                    return Poll::Ready(guard);
                }
                CondWaitState::Done => panic!("Condition::wait() polled after it completed"),
            }
        }
    }
}

impl Drop for CondWait {
    /// Cancelled (3.13's `except BaseException: self._notify(1)`): leave the
    /// line, and notify another waiter in case the notify was ours.
    fn drop(&mut self) {
        match std::mem::replace(&mut self.state, CondWaitState::Done) {
            CondWaitState::Waiting(me) => {
                self.cond.inner.waiters.borrow_mut().remove(&me);
                self.cond.notify_unchecked(1);
            }
            CondWaitState::Reacquiring(acquire) => {
                drop(acquire); // leaves the lock's line (passing a lock wake on)
                self.cond.notify_unchecked(1);
            }
            CondWaitState::Start(_) | CondWaitState::Done => {}
        }
    }
}

/// ```text
/// async fn wait_for(cond, guard, predicate) -> LockGuard {
///     while !predicate() {
///         guard = cond.wait(guard).await;
///     }
///     guard
/// }
/// ```
///
/// The coroutine returned by [`Condition::wait_for`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct CondWaitFor<P> {
    cond: Condition,
    predicate: P,
    state: WaitForState,
}

enum WaitForState {
    /// Holding the lock: check the predicate.
    Check(Option<LockGuard>),
    Waiting(CondWait),
    Done,
}

impl<P: FnMut() -> bool> Coroutine for CondWaitFor<P> {
    type Output = LockGuard;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<LockGuard> {
        loop {
            match &mut self.state {
                WaitForState::Check(guard) => {
                    let guard = guard.take().expect("the guard is held while checking");
                    if (self.predicate)() {
                        self.state = WaitForState::Done;
                        return Poll::Ready(guard);
                    }
                    self.state = WaitForState::Waiting(self.cond.wait(guard));
                }
                WaitForState::Waiting(wait) => {
                    let Poll::Ready(guard) = wait.poll(cx) else { return Poll::Pending };
                    self.state = WaitForState::Check(Some(guard));
                }
                WaitForState::Done => panic!("Condition::wait_for() polled after it completed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage7_coordination::test_util::{Iter, TickLog};
    use crate::{CoroutineExt, EventLoop, Task, lazy, spawn, yield_now};

    /// `async with cond: await cond.wait(); say(f"{name} woke")`
    fn waiter(cond: &Condition, out: &TickLog, name: &'static str) -> Task<()> {
        let (c, o) = (cond.clone(), out.clone());
        spawn(cond.acquire().then(move |g| c.wait(g)).map(move |_g| o.say(format!("{name} woke"))))
    }

    fn run_counted(main: impl FnOnce(TickLog) -> crate::BoxCoroutine<'static, ()> + 'static) -> Vec<String> {
        let it = Iter::new();
        let out = TickLog::new(&it);
        let ev = it.track(EventLoop::new_virtual());
        let o = out.clone();
        ev.run(lazy(move || main(o)).then(|c| c)).unwrap();
        out.lines()
    }

    /// ```python
    /// ts = [create_task(w(n)) for n in ("a", "b", "c")]; await sleep(0)
    /// async with cond:
    ///     cond.notify(2); say("notified 2"); await sleep(0); say("releasing")
    /// await sleep(0); async with cond: cond.notify(); say("notified 1")
    /// await gather(*ts)
    /// ```
    /// CPython 3.11 says the same, iteration for iteration.
    #[test]
    fn notify_wakes_in_order_and_each_waiter_retakes_the_lock_after_the_notifier() {
        let lines = run_counted(|out| {
            let cond = Condition::new();
            let ts: Vec<_> = ["a", "b", "c"].into_iter().map(|n| waiter(&cond, &out, n)).collect();
            let (c, o) = (cond.clone(), out.clone());
            yield_now()
                .then(move |()| c.acquire())
                .then(move |g| {
                    cond.notify(2);
                    o.say("notified 2");
                    let (c, o) = (cond.clone(), o.clone());
                    yield_now().map(move |()| {
                        o.say("releasing");
                        drop(g);
                        (c, o)
                    })
                })
                .then(|(c, o)| yield_now().then(move |()| c.acquire().map(move |_g| (c, o, _g))))
                .map(|(c, o, g)| {
                    c.notify(1);
                    o.say("notified 1");
                    drop(g);
                    ts
                })
                .then(crate::gather_tasks)
                .map(|r| r.map(drop).unwrap())
                .boxed()
        });
        // `a` takes the lock first in iteration 4; main, arriving behind the woken
        // `b`, waits for it too: the lock is fair.
        assert_eq!(
            lines,
            ["2 notified 2", "3 releasing", "4 a woke", "5 b woke", "6 notified 1", "7 c woke"]
        );
    }

    #[test]
    fn wait_for_checks_first_and_after_each_wake() {
        let ready = Rc::new(Cell::new(0));
        let lines = run_counted({
            let ready = ready.clone();
            move |out| {
                let cond = Condition::new();
                let (c, r, o) = (cond.clone(), ready.clone(), out.clone());
                let w = spawn(cond.acquire().then(move |g| {
                    c.wait_for(g, move || {
                        r.set(r.get() + 1);
                        r.get() >= 3
                    })
                    .map(move |_g| o.say("predicate true"))
                }));
                let notify_once =
                    move |c: Condition| yield_now().then(move |()| c.acquire().map(move |_g| c.notify_all()));
                let (c1, c2) = (cond.clone(), cond.clone());
                notify_once(c1).then(move |()| notify_once(c2)).then(move |()| w).map(|r| r.unwrap()).boxed()
            }
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(ready.get(), 3, "checked before waiting and after each of two notifies");
    }

    /// On CPython 3.11 this program hangs: `second` is never notified. On
    /// 3.13.0 `first`, cancelled, re-takes the free lock in iteration 3 and
    /// notifies `second`, who wakes in 4 — as here.
    #[test]
    fn a_notified_waiter_cancelled_passes_the_notify_on_and_leaks_nothing() {
        let cond = Condition::new();
        let c = cond.clone();
        let lines = run_counted(move |out| {
            let first = waiter(&c, &out, "first");
            let second = waiter(&c, &out, "second");
            let c2 = c.clone();
            yield_now()
                .then(move |()| c2.acquire())
                .then(move |g| {
                    c.notify(1); // meant for `first`...
                    assert!(first.cancel()); // ...who is cancelled before it runs
                    drop(g);
                    second.map(|r| r.unwrap())
                })
                .boxed()
        });
        assert_eq!(lines, ["4 second woke"]);
        assert_eq!(cond.inner.waiters.borrow().len(), 0);
        assert_eq!(Rc::strong_count(&cond.inner), 1);
        assert!(!cond.locked());
    }

    #[test]
    #[should_panic(expected = "cannot notify on un-acquired lock")]
    fn notify_without_the_lock_panics() {
        Condition::new().notify(1);
    }

    #[test]
    #[should_panic(expected = "given the guard of another lock")]
    fn waiting_with_another_locks_guard_panics() {
        let other = Lock::new();
        let guard = other.try_acquire().unwrap();
        let _ = Condition::new().wait(guard);
    }

    #[test]
    fn a_stuck_wait_is_described() {
        let cond = Condition::new();
        let c = cond.clone();
        let ev = EventLoop::new_virtual();
        let _t = ev.spawn(cond.acquire().then(move |g| c.wait(g)));
        let crate::LoopError::Deadlock { stuck } = ev.run_forever().unwrap_err() else {
            panic!("a deadlock")
        };
        assert_eq!(stuck[0].waits_on, "waits on a Condition that nobody notifies");
    }
}
