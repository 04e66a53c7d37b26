//! `timeout_at`: a deadline in loop time that can be moved while it runs; and `call_at`.
//!
//! ```python
//! async with asyncio.timeout_at(loop.time() + 10) as cm:   # rondo: timeout_at(when, |cm| body)
//!     await step_one()
//!     cm.reschedule(loop.time() + 5)     # later, earlier, or None: never
//!     await step_two()
//! print(cm.expired(), cm.when())
//! ```
//!
//! **What stage 6 could not do.** Stage 5's [`timeout`](crate::timeout)
//! fixes its limit when it is made: a protocol that wants "ten seconds for
//! the handshake, then five more for each message" needed a new timeout per
//! step, and another task could not extend or shorten it.
//!
//! **What this adds** (asyncio 3.11's `Timeout`, from `timeouts.py`): the
//! body gets a [`TimeoutHandle`] — `when()`, `reschedule(when)`, `expired()` —
//! and the deadline is a loop timer (`call_at`) that the handle withdraws and
//! sets again. When it fires, the task running the body is woken, and its
//! next step drops the body (a cancellation) and ends with [`Elapsed`].
//! The order is asyncio's: the timer's callback runs in the iteration the
//! deadline falls due, and the body is cancelled in the next one; a deadline
//! already past is a callback on the next iteration (`call_soon`), so the
//! body is cancelled in the one after — it runs until its first pause.
//!
//! **Where it differs.** asyncio cancels the *task* and takes the cancel
//! back on exit (`uncancel()`, 3.11's counter); rondo drops the body, so the
//! cancellation stops at the timeout's edge by construction. The order is
//! kept: as asyncio's `task.cancel()` first cancels what the task awaits, the
//! expiry first cancels a task or a gather the body awaits, and the body is
//! dropped when that has ended (`cancel_awaited`) — checked against CPython
//! on the scenarios of `tests/stage7_task_group.rs` and on 400 generated
//! programs in `tests/stage7_task_group_vs_cpython.rs`. A deadline and a result
//! due in the same iteration: the deadline wins, as in asyncio (and as in
//! stage 5's `timeout`, which cancels what its task awaits the same way:
//! `Core::cancel_what_it_awaits`). A body that catches its cancellation and
//! goes on cannot be written: a dropped body is gone.
//!
//! (Over 300 lines with its tests: the deadline's three phases, the handle
//! that moves it, `call_at`, and a test per rescheduling case.)

use super::cancel_awaited::cancel_what_it_awaits;
use crate::stage4_event_loop::seams::task_being_stepped;
use crate::stage4_event_loop::{AnyTask, TaskKey, in_cancel_scope, running_loop};
use crate::{Context, Coroutine, Elapsed, Poll, TimerHandle, Waker};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

/// Runs `callback` when the loop's clock reaches `when` (asyncio:
/// `loop.call_at(when, callback)`); a time already past means "at the next
/// iteration's timers".
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, Transcript, call_at, lazy, sleep};
/// use std::time::Duration;
///
/// // loop.call_at(2.5, print, "at 2.5")
/// let out = Transcript::new();
/// let say = out.clone();
/// let main = lazy(move || call_at(Duration::from_millis(2500), move || say.say("at 2.5")))
///     .then(|_handle| sleep(Duration::from_secs(3)));
/// EventLoop::new_virtual().run(main).unwrap();
/// assert_eq!(out.stamped(), ["2.500 at 2.5"]);
/// ```
#[track_caller]
pub fn call_at(when: Duration, callback: impl FnOnce() + 'static) -> TimerHandle {
    crate::call_later(when.saturating_sub(crate::now()), callback)
}

/// Where a timeout is in its life (asyncio's `_State`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Created,
    Entered,
    Expiring,
    Expired,
    Exited,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Created => "created",
            Phase::Entered => "active",
            Phase::Expiring => "expiring",
            Phase::Expired => "expired",
            Phase::Exited => "finished",
        }
    }
}

/// What the coroutine, its handles and its timer's callback share.
struct Shared {
    phase: Cell<Phase>,
    /// The deadline in loop time; `None`: never.
    when: Cell<Option<Duration>>,
    /// Loop time when the body started (for [`Elapsed::limit`]).
    entered_at: Cell<Duration>,
    /// Bumped whenever the timer is withdrawn: an older callback does nothing
    /// (a `call_soon` cannot be withdrawn; asyncio skips a cancelled handle).
    generation: Cell<u64>,
    timer: RefCell<Option<TimerHandle>>,
    /// The task running the body, from its last poll.
    waker: RefCell<Option<Waker>>,
    /// That task, noted when the timeout starts (to find what it awaits).
    task: RefCell<Option<Weak<dyn AnyTask>>>,
    me: Weak<Shared>,
}

impl Shared {
    /// Sets the timer for `when` (asyncio: `reschedule`'s `call_at`/`call_soon`).
    fn arm(&self) {
        let Some(when) = self.when.get() else { return };
        let generation = self.generation.get();
        let me = self.me.clone();
        let on_timeout = move || {
            if let Some(shared) = me.upgrade() {
                shared.on_timeout(generation);
            }
        };
        if when <= crate::now() {
            crate::call_soon(on_timeout);
        } else {
            *self.timer.borrow_mut() = Some(call_at(when, on_timeout));
        }
    }

    /// Withdraws the timer, if any.
    fn disarm(&self) {
        self.generation.set(self.generation.get() + 1);
        if let Some(timer) = self.timer.borrow_mut().take() {
            timer.cancel();
        }
    }

    /// asyncio's `_on_timeout`: mark it expiring and cancel the task — here,
    /// what the task awaits (a task, a gather), whose end wakes it; or, if
    /// it awaits nothing cancellable, wake it now. Its next step drops the body.
    fn on_timeout(&self, generation: u64) {
        if generation != self.generation.get() || self.phase.get() != Phase::Entered {
            return;
        }
        self.phase.set(Phase::Expiring);
        self.timer.borrow_mut().take();
        let waker = self.waker.borrow_mut().take();
        if let Some(waker) = waker
            && !self.cancel_what_the_task_awaits()
        {
            waker.wake();
        }
    }

    /// Cancels what the task running the body awaits, if it can (see
    /// `cancel_awaited`): `true` if its end will wake the task.
    fn cancel_what_the_task_awaits(&self) -> bool {
        let Some(core) = running_loop().and_then(|core| core.upgrade()) else { return false };
        let Some(task) = self.task.borrow().as_ref().and_then(Weak::upgrade) else { return false };
        let awaiting = task.header().awaiting.get();
        let target = if awaiting == TaskKey::TARGET { core.awaited_target(task.header().key) } else { None };
        cancel_what_it_awaits(&core, &task, awaiting, target)
    }
}

/// The deadline of a running [`timeout_at`] (asyncio: the `asyncio.Timeout`
/// of `async with timeout_at(when) as cm`).
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, TimeoutHandle, sleep, timeout_at};
/// use std::time::Duration;
///
/// // async with asyncio.timeout_at(1) as cm:
/// //     await asyncio.sleep(0.5); cm.reschedule(None); await asyncio.sleep(2)
/// let run = timeout_at(Duration::from_secs(1), |cm: TimeoutHandle| {
///     sleep(Duration::from_millis(500)).then(move |()| {
///         cm.reschedule(None); // never
///         sleep(Duration::from_secs(2))
///     })
/// });
/// let cm = run.handle();
/// assert_eq!(EventLoop::new_virtual().run(run).unwrap(), Ok(()));
/// assert_eq!((cm.when(), cm.expired()), (None, false));
/// ```
#[derive(Clone)]
pub struct TimeoutHandle {
    shared: Rc<Shared>,
}

impl std::fmt::Debug for TimeoutHandle {
    /// As asyncio's `repr`: `Timeout { state: "active", when: Some(2s) }`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shared = &self.shared;
        f.debug_struct("Timeout")
            .field("state", &shared.phase.get().name())
            .field("when", &shared.when.get())
            .finish()
    }
}

impl TimeoutHandle {
    /// The deadline, in loop time; `None`: never (asyncio: `cm.when()`).
    pub fn when(&self) -> Option<Duration> {
        self.shared.when.get()
    }

    /// `true` once the deadline has passed and the body is (being) cancelled
    /// (asyncio: `cm.expired()`).
    pub fn expired(&self) -> bool {
        matches!(self.shared.phase.get(), Phase::Expiring | Phase::Expired)
    }

    /// Moves the deadline — later, earlier, into the past (it expires on the
    /// next iteration) or to `None`, never (asyncio: `cm.reschedule(when)`).
    ///
    /// # Panics
    /// Before the timeout runs, and after it expired or finished, as asyncio
    /// raises `RuntimeError`; outside a running loop.
    pub fn reschedule(&self, when: impl Into<Option<Duration>>) {
        let shared = &self.shared;
        match shared.phase.get() {
            Phase::Entered => {}
            Phase::Created => panic!("Timeout has not been entered: reschedule it once it runs"),
            phase => panic!("Cannot change state of {} Timeout", phase.name()),
        }
        shared.when.set(when.into());
        shared.disarm();
        shared.arm();
    }
}

/// Runs the body made by `body(cm)` until it ends or the loop's clock
/// reaches `when` (asyncio: `async with asyncio.timeout_at(when) as cm:`).
/// `cm` reads and moves the deadline while the body runs; `None` is never.
///
/// ```
/// use rondo::{EventLoop, sleep, timeout_at};
/// use std::time::Duration;
///
/// // async with asyncio.timeout_at(2) as cm: cm.reschedule(5); await asyncio.sleep(4)
/// let ev = EventLoop::new_virtual();
/// let run = timeout_at(Duration::from_secs(2), |cm| {
///     cm.reschedule(Duration::from_secs(5)); // more time
///     sleep(Duration::from_secs(4))
/// });
/// assert_eq!(ev.run_until_complete(run).unwrap(), Ok(()));
/// assert_eq!(ev.time(), 4.0);
/// ```
pub fn timeout_at<F, B>(when: impl Into<Option<Duration>>, body: F) -> TimeoutAt<F, B>
where
    F: FnOnce(TimeoutHandle) -> B,
    B: Coroutine,
{
    let shared = Rc::new_cyclic(|me| Shared {
        phase: Cell::new(Phase::Created),
        when: Cell::new(when.into()),
        entered_at: Cell::new(Duration::ZERO),
        generation: Cell::new(0),
        timer: RefCell::new(None),
        waker: RefCell::new(None),
        task: RefCell::new(None),
        me: me.clone(),
    });
    TimeoutAt { state: State::Start(body), handle: TimeoutHandle { shared } }
}

/// ```text
/// async fn timeout_at(when, body) -> Result<T, Elapsed> {
///     let cm = TimeoutHandle { when };
///     call_at(when, || { expiring = true; wake me });   // call_soon if already past
///     select! {                                        // checked first: the deadline wins a tie
///         expiring => { drop the body; Err(Elapsed) }
///         output = body(cm) => { withdraw the timer; Ok(output) }
///     }
/// }
/// ```
///
/// The coroutine returned by [`timeout_at`].
///
/// ```
/// use rondo::{Elapsed, EventLoop, TimeoutAt, sleep, timeout_at};
/// use std::time::Duration;
///
/// // async with asyncio.timeout_at(2): await asyncio.sleep(5)   -> TimeoutError at 2
/// let ev = EventLoop::new_virtual();
/// let late = timeout_at(Duration::from_secs(2), |_cm| sleep(Duration::from_secs(5)));
/// assert_eq!(ev.run_until_complete(late).unwrap(), Err(Elapsed { limit: Duration::from_secs(2) }));
/// assert_eq!(ev.time(), 2.0);
/// # fn _named<F, B>(_: TimeoutAt<F, B>) {}
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct TimeoutAt<F, B> {
    state: State<F, B>,
    handle: TimeoutHandle,
}

enum State<F, B> {
    /// Not polled yet: no timer, no body.
    Start(F),
    Running(B),
    Done,
}

impl<F, B> TimeoutAt<F, B> {
    /// A handle on the deadline, for another task to read or move it (it can
    /// be rescheduled only while the body runs).
    pub fn handle(&self) -> TimeoutHandle {
        self.handle.clone()
    }
}

impl<F, B> Coroutine for TimeoutAt<F, B>
where
    F: FnOnce(TimeoutHandle) -> B,
    B: Coroutine,
{
    type Output = Result<B::Output, Elapsed>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let shared = self.handle.shared.clone();
        loop {
            match &mut self.state {
                State::Start(_) => {
                    let State::Start(make_body) = std::mem::replace(&mut self.state, State::Done) else {
                        unreachable!()
                    };
                    // asyncio's `__aenter__`: enter, set the timer, then the body runs.
                    shared.phase.set(Phase::Entered);
                    shared.entered_at.set(crate::now());
                    *shared.task.borrow_mut() = task_being_stepped();
                    shared.arm();
                    self.state = State::Running(make_body(self.handle.clone()));
                }
                State::Running(body) => {
                    if shared.phase.get() == Phase::Expiring {
                        let body = std::mem::replace(&mut self.state, State::Done);
                        in_cancel_scope(|| drop(body)); // the body's cancellation
                        shared.phase.set(Phase::Expired);
                        let deadline = shared.when.get().expect("only a deadline expires");
                        return Poll::Ready(Err(Elapsed {
                            limit: deadline.saturating_sub(shared.entered_at.get()),
                        }));
                    }
                    if let Poll::Ready(output) = body.poll(cx) {
                        self.state = State::Done;
                        shared.disarm();
                        shared.phase.set(Phase::Exited);
                        return Poll::Ready(Ok(output));
                    }
                    *shared.waker.borrow_mut() = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                State::Done => panic!("timeout_at() polled after it completed"),
            }
        }
    }
}

impl<F, B> Drop for TimeoutAt<F, B> {
    /// Cancelled while the body runs: withdraw the timer (asyncio's `__aexit__`).
    fn drop(&mut self) {
        let shared = &self.handle.shared;
        if let State::Running(_) = self.state {
            shared.disarm();
            match shared.phase.get() {
                Phase::Entered => shared.phase.set(Phase::Exited),
                Phase::Expiring => shared.phase.set(Phase::Expired),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::PollFn;
    use crate::{CoroutineExt, EventLoop, lazy, ready, sleep};

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn a_finished_body_withdraws_its_timer() {
        // The deadline at 100 s must not keep the loop (or its clock) going.
        let ev = EventLoop::new_virtual();
        let run = timeout_at(s(100), |_cm| sleep(s(1)));
        assert_eq!(ev.run_until_complete(run).unwrap(), Ok(()));
        ev.run_until_complete(sleep(Duration::ZERO)).unwrap();
        assert_eq!(ev.time(), 1.0);
    }

    #[test]
    fn another_task_can_move_the_deadline() {
        let ev = EventLoop::new_virtual();
        let run = timeout_at(s(10), |_cm| sleep(s(5)));
        let cm = run.handle();
        assert_eq!(cm.when(), Some(s(10)));
        let _mover = ev.spawn(sleep(s(1)).map(move |()| cm.reschedule(s(2))));
        let ended = ev.run_until_complete(run).unwrap();
        assert_eq!(ended, Err(Elapsed { limit: s(2) }));
        assert_eq!(ev.time(), 2.0);
    }

    #[test]
    #[should_panic(expected = "Timeout has not been entered")]
    fn rescheduling_before_the_timeout_runs_panics() {
        let run = timeout_at(s(1), |_cm| ready(()));
        run.handle().reschedule(s(2));
    }

    #[test]
    #[should_panic(expected = "Cannot change state of finished Timeout")]
    fn rescheduling_after_the_timeout_finished_panics() {
        let ev = EventLoop::new_virtual();
        let run = timeout_at(s(1), |_cm| ready(()));
        let cm = run.handle();
        ev.run_until_complete(run).unwrap().unwrap();
        ev.run_until_complete(lazy(move || cm.reschedule(None))).unwrap();
    }

    #[test]
    #[should_panic(expected = "timeout_at() polled after it completed")]
    fn polling_a_finished_timeout_panics() {
        let mut run = Some(timeout_at(None, |_cm| ready(())));
        EventLoop::new_virtual()
            .run(PollFn(move |cx: &mut Context<'_>| {
                let t = run.as_mut().unwrap();
                assert!(t.poll(cx).is_ready());
                let _ = t.poll(cx); // the bug
                Poll::Ready(())
            }))
            .unwrap();
    }

    #[test]
    fn call_at_a_past_time_runs_on_the_next_iteration() {
        let ev = EventLoop::new_virtual();
        let hit = Rc::new(Cell::new(0.0));
        let h = hit.clone();
        let main = sleep(s(2))
            .then(move |()| lazy(move || call_at(s(1), move || h.set(crate::now().as_secs_f64()))))
            .then(|_handle| sleep(Duration::ZERO));
        ev.run_until_complete(main).unwrap();
        assert_eq!(hit.get(), 2.0);
    }
}
