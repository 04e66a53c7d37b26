//! `Barrier`: nobody goes on until *n* have arrived — asyncio's `Barrier` (3.11+).
//!
//! ```python
//! barrier = asyncio.Barrier(3)
//! index = await barrier.wait()     # the third arrival releases all three
//! ```
//! asyncio builds its barrier from a [`Condition`] and a little state
//! machine — filling, draining, resetting, broken — and so does rondo, step
//! for step, so that the order of events is asyncio's:
//! - `wait` takes the condition's lock, waits while the barrier is still
//!   draining a previous round (or resetting), then counts itself in; its
//!   arrival index (0, 1, …) is its return value;
//! - the last arrival switches to *draining*, notifies everyone and goes on
//!   without suspending; the others, notified, run in the next iteration,
//!   each taking the lock (free by then: no suspension), checking, leaving
//!   and releasing it for the next;
//! - the last one out of a drained round switches back to *filling*;
//! - `abort()` breaks the barrier: everyone waiting, and every later `wait`,
//!   fails with [`BrokenBarrierError`]; `reset()` fails the ones waiting and
//!   starts afresh.
//!
//! Rejected alternative: a counter and one line of waiters, all woken by
//! the last arrival. Shorter, and faster — but each notified waiter would
//! resume in the next iteration without taking the lock, while asyncio's
//! take it in turn; the first programs where that shows (a barrier reused
//! at once, a reset during draining) would order their events differently.
//!
//! A waiter cancelled in the barrier counts itself out and, if it was the
//! last one out, ends the round — asyncio's `finally:`, here in `Drop`
//! (without re-taking the lock, which a `Drop` cannot wait for; see
//! [`condition`](super::condition)).
//!
//! (Over 300 lines with its tests: asyncio's barrier is itself a small
//! state machine over a condition, and each of its states is one here.)

use super::condition::{CondWaitFor, Condition};
use super::lock::{Acquire, LockGuard};
use crate::{Context, Coroutine, Poll};
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

/// A meeting point for `parties` tasks (asyncio: `asyncio.Barrier`). A `Clone` handle.
///
/// ```
/// use rondo::{Barrier, EventLoop, gather};
///
/// // await asyncio.gather(*(barrier.wait() for _ in range(3)))
/// let barrier = Barrier::new(3);
/// let waits = (0..3).map(|_| barrier.wait()).collect();
/// let indexes = EventLoop::new_virtual().run(gather(waits)).unwrap().unwrap();
/// assert_eq!(indexes, [Ok(0), Ok(1), Ok(2)]);
/// ```
#[derive(Clone)]
pub struct Barrier {
    inner: Rc<BarrierInner>,
}

struct BarrierInner {
    /// Every change of state is announced on it (`notify_all`).
    cond: Condition,
    parties: usize,
    state: Cell<BarrierState>,
    /// Tasks inside `wait` past the "block" step, this round.
    count: Cell<usize>,
}

/// asyncio's `_BarrierState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BarrierState {
    /// Waiting for arrivals.
    Filling,
    /// Released: the arrivals are leaving; newcomers wait for the next round.
    Draining,
    /// `reset()` while some waited: they fail, then it fills again.
    Resetting,
    /// `abort()`: everyone fails, for good (until `reset`).
    Broken,
}

/// A barrier `wait` that could not complete: the barrier was aborted or
/// reset (asyncio's `BrokenBarrierError`).
///
/// ```
/// use rondo::{Barrier, BrokenBarrierError, CoroutineExt, EventLoop};
///
/// // await barrier.abort(); await barrier.wait()  -> BrokenBarrierError
/// let barrier = Barrier::new(2);
/// let b = barrier.clone();
/// let outcome = EventLoop::new_virtual().run(barrier.abort().then(move |()| b.wait())).unwrap();
/// assert_eq!(outcome, Err(BrokenBarrierError));
/// assert!(barrier.broken());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrokenBarrierError;

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the barrier was aborted or reset")
    }
}

impl std::error::Error for BrokenBarrierError {}

impl Barrier {
    /// A barrier for `parties` tasks.
    ///
    /// # Panics
    /// If `parties` is 0 (asyncio: `ValueError('parties must be > 0')`).
    pub fn new(parties: usize) -> Barrier {
        assert!(parties > 0, "parties must be > 0");
        let inner = Rc::new(BarrierInner {
            cond: Condition::new(),
            parties,
            state: Cell::new(BarrierState::Filling),
            count: Cell::new(0),
        });
        let me = Rc::downgrade(&inner);
        inner.cond.describe_waiters_as(move || match me.upgrade() {
            Some(b) => format!("waits at a Barrier ({} of {} arrived)", b.count.get(), b.parties),
            None => "waits at a Barrier".to_string(),
        });
        Barrier { inner }
    }

    /// How many tasks it waits for.
    pub fn parties(&self) -> usize {
        self.inner.parties
    }

    /// How many wait now, in the filling round.
    pub fn n_waiting(&self) -> usize {
        if self.inner.state.get() == BarrierState::Filling { self.inner.count.get() } else { 0 }
    }

    /// `true` once aborted (until reset).
    pub fn broken(&self) -> bool {
        self.inner.state.get() == BarrierState::Broken
    }

    /// A coroutine that waits until `parties` tasks wait, and gives this
    /// task's arrival index — or fails if the barrier is broken or reset.
    pub fn wait(&self) -> BarrierWait {
        BarrierWait { barrier: self.clone(), state: WaitState::Acquiring(self.inner.cond.acquire()) }
    }

    /// A coroutine that breaks the barrier: every waiter, and every later
    /// `wait`, fails.
    pub fn abort(&self) -> BarrierControl {
        BarrierControl { barrier: self.clone(), acquire: Some(self.inner.cond.acquire()), reset: false }
    }

    /// A coroutine that resets the barrier: current waiters fail, and it fills afresh.
    pub fn reset(&self) -> BarrierControl {
        BarrierControl { barrier: self.clone(), acquire: Some(self.inner.cond.acquire()), reset: true }
    }
}

impl BarrierInner {
    /// asyncio's `_exit`: the last one out of a round starts the next.
    /// Called holding the lock — or from a `Drop`, which cannot take it.
    fn exit(&self) {
        if self.count.get() == 0 {
            if matches!(self.state.get(), BarrierState::Resetting | BarrierState::Draining) {
                self.state.set(BarrierState::Filling);
            }
            self.cond.notify_unchecked(usize::MAX);
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = format!("{:?}", self.inner.state.get()).to_lowercase();
        write!(f, "Barrier({state}, {}/{})", self.n_waiting(), self.parties())
    }
}

/// A predicate on the barrier, re-checked under the lock after each notify.
type Until = Box<dyn FnMut() -> bool>;

/// ```text
/// async fn wait(barrier) -> Result<usize, BrokenBarrierError> {
///     let guard = barrier.cond.acquire().await;            // async with self._cond:
///     let guard = cond.wait_for(guard, || !(draining || resetting)).await;   // _block
///     if broken { return Err(Broken) }
///     let index = count; count += 1;
///     let outcome = if index + 1 == parties {
///         state = Draining; cond.notify_all(); Ok(index)    // _release: no suspension
///     } else {
///         let guard = cond.wait_for(guard, || state != Filling).await;       // _wait
///         if broken || resetting { Err(Broken) } else { Ok(index) }
///     };
///     count -= 1; exit();                                   // finally: (also when dropped)
///     outcome                                               // the guard is dropped: lock released
/// }
/// ```
///
/// The coroutine returned by [`Barrier::wait`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct BarrierWait {
    barrier: Barrier,
    state: WaitState,
}

enum WaitState {
    /// `async with self._cond:`
    Acquiring(Acquire),
    /// `_block`: waiting while a previous round drains or a reset runs.
    Blocking(CondWaitFor<Until>),
    /// `_wait`: counted in, waiting for the last arrival.
    Waiting {
        index: usize,
        wait: CondWaitFor<Until>,
    },
    Done,
}

impl Coroutine for BarrierWait {
    type Output = Result<usize, BrokenBarrierError>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.barrier.inner.clone();
        loop {
            match &mut self.state {
                WaitState::Acquiring(acquire) => {
                    let Poll::Ready(guard) = acquire.poll(cx) else { return Poll::Pending };
                    let b = inner.clone();
                    let until: Until = Box::new(move || {
                        !matches!(b.state.get(), BarrierState::Draining | BarrierState::Resetting)
                    });
                    self.state = WaitState::Blocking(inner.cond.wait_for(guard, until));
                }
                WaitState::Blocking(block) => {
                    let Poll::Ready(guard) = block.poll(cx) else { return Poll::Pending };
                    if inner.state.get() == BarrierState::Broken {
                        self.state = WaitState::Done;
                        return Poll::Ready(Err(BrokenBarrierError));
                    }
                    let index = inner.count.get();
                    inner.count.set(index + 1);
                    if index + 1 == inner.parties {
                        // `_release`: the last arrival lets everyone go, and goes on at once.
                        inner.state.set(BarrierState::Draining);
                        inner.cond.notify_all();
                        return Poll::Ready(self.finish(guard, Ok(index)));
                    }
                    let b = inner.clone();
                    let until: Until = Box::new(move || b.state.get() != BarrierState::Filling);
                    self.state = WaitState::Waiting { index, wait: inner.cond.wait_for(guard, until) };
                }
                WaitState::Waiting { index, wait } => {
                    let index = *index;
                    let Poll::Ready(guard) = wait.poll(cx) else { return Poll::Pending };
                    let outcome = match inner.state.get() {
                        BarrierState::Broken | BarrierState::Resetting => Err(BrokenBarrierError),
                        _ => Ok(index),
                    };
                    return Poll::Ready(self.finish(guard, outcome));
                }
                WaitState::Done => panic!("Barrier::wait() polled after it completed"),
            }
        }
    }
}

impl BarrierWait {
    /// The `finally:` of a counted-in waiter, still holding the lock.
    fn finish(
        &mut self,
        guard: LockGuard,
        outcome: Result<usize, BrokenBarrierError>,
    ) -> Result<usize, BrokenBarrierError> {
        let inner = &self.barrier.inner;
        inner.count.set(inner.count.get() - 1);
        inner.exit();
        drop(guard); // leaving `async with self._cond:`
        self.state = WaitState::Done;
        outcome
    }
}

impl Drop for BarrierWait {
    /// Cancelled after counting in: count out, and end the round if last
    /// (the inner condition wait, dropped with us, passes its notify on).
    fn drop(&mut self) {
        if let WaitState::Waiting { .. } = std::mem::replace(&mut self.state, WaitState::Done) {
            let inner = &self.barrier.inner;
            inner.count.set(inner.count.get() - 1);
            inner.exit();
        }
    }
}

/// ```text
/// async fn abort(barrier) { async with cond: state = Broken; cond.notify_all() }
/// async fn reset(barrier) {
///     async with cond:
///         state = if count > 0 { Resetting } else { Filling };   // the waiting fail
///         cond.notify_all()
/// }
/// ```
///
/// The coroutine returned by [`Barrier::abort`] and [`Barrier::reset`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct BarrierControl {
    barrier: Barrier,
    /// `None` once done.
    acquire: Option<Acquire>,
    reset: bool,
}

impl Coroutine for BarrierControl {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let acquire = self.acquire.as_mut().expect("Barrier::abort()/reset() polled after it completed");
        let Poll::Ready(_guard) = acquire.poll(cx) else { return Poll::Pending };
        self.acquire = None;
        let inner = &self.barrier.inner;
        let next = match (self.reset, inner.count.get()) {
            (false, _) => BarrierState::Broken,
            (true, 0) => BarrierState::Filling,
            (true, _) => BarrierState::Resetting,
        };
        inner.state.set(next);
        inner.cond.notify_all();
        Poll::Ready(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage7_coordination::test_util::{Iter, TickLog};
    use crate::{CoroutineExt, EventLoop, Task, lazy, spawn, yield_now};

    fn runner(b: &Barrier, out: &TickLog, n: u32) -> Task<()> {
        let o = out.clone();
        spawn(b.wait().map(move |r| o.say(format!("runner {n}: {r:?}"))))
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
    /// b = Barrier(3); ts = [create_task(r(n)) for n in (1, 2, 3)]; await gather(*ts)
    /// ```
    /// CPython 3.11: the same lines at the same iterations.
    #[test]
    fn the_last_arrival_goes_on_at_once_and_the_others_follow_in_the_next_iteration() {
        let lines = run_counted(|out| {
            let b = Barrier::new(3);
            let ts: Vec<_> = (1..=3).map(|n| runner(&b, &out, n)).collect();
            crate::gather_tasks(ts).map(|r| r.map(drop).unwrap()).boxed()
        });
        // Both notified runners take the (free) lock in turn in the next iteration.
        assert_eq!(lines, ["2 runner 3: Ok(2)", "3 runner 1: Ok(0)", "3 runner 2: Ok(1)"]);
    }

    /// ```python
    /// b = Barrier(3); ts = [create_task(r(n)) for n in (1, 2)]; await sleep(0)
    /// await b.abort(); say("aborted"); await gather(*ts); say(f"later: {await b.wait()}")
    /// ```
    /// CPython 3.11: the same lines at the same iterations.
    #[test]
    fn abort_fails_everyone_waiting_and_every_later_wait() {
        let lines = run_counted(|out| {
            let b = Barrier::new(3);
            let ts: Vec<_> = (1..=2).map(|n| runner(&b, &out, n)).collect();
            let (b2, o) = (b.clone(), out.clone());
            yield_now()
                .then(move |()| b2.abort())
                .then(move |()| {
                    o.say("aborted");
                    crate::gather_tasks(ts).then(move |r| {
                        r.unwrap();
                        b.wait().map(move |r| o.say(format!("later: {r:?}")))
                    })
                })
                .boxed()
        });
        assert_eq!(
            lines,
            [
                "2 aborted",
                "3 runner 1: Err(BrokenBarrierError)",
                "3 runner 2: Err(BrokenBarrierError)",
                "5 later: Err(BrokenBarrierError)"
            ]
        );
    }

    #[test]
    fn a_cancelled_waiter_counts_itself_out_and_leaks_nothing() {
        let barrier = Barrier::new(2);
        let b = barrier.clone();
        let lines = run_counted(move |out| {
            let gone = runner(&b, &out, 1);
            let (b2, o) = (b.clone(), out.clone());
            yield_now()
                .then(move |()| {
                    assert_eq!(b2.n_waiting(), 1);
                    assert!(gone.cancel());
                    yield_now()
                })
                .then(move |()| {
                    assert_eq!(b.n_waiting(), 0);
                    let (a, c) = (runner(&b, &o, 2), runner(&b, &o, 3));
                    crate::gather_tasks(vec![a, c]).map(|r| r.map(drop).unwrap())
                })
                .boxed()
        });
        // CPython 3.11: the same (`gone.cancel(); await sleep(0)`, then two new runners).
        assert_eq!(lines, ["4 runner 3: Ok(1)", "5 runner 2: Ok(0)"]);
        assert_eq!(Rc::strong_count(&barrier.inner), 1);
    }

    #[test]
    fn a_stuck_wait_says_how_many_arrived() {
        let ev = EventLoop::new_virtual();
        let b = Barrier::new(3);
        let (_t1, _t2) = (ev.spawn(b.wait()), ev.spawn(b.wait()));
        let crate::LoopError::Deadlock { stuck } = ev.run_forever().unwrap_err() else {
            panic!("a deadlock")
        };
        assert_eq!(stuck[0].waits_on, "waits at a Barrier (2 of 3 arrived)");
    }

    #[test]
    #[should_panic(expected = "parties must be > 0")]
    fn a_barrier_for_nobody_is_refused() {
        let _ = Barrier::new(0);
    }
}
