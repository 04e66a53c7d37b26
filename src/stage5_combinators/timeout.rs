//! `wait_for` / `timeout`: give a coroutine a deadline; on expiry it is cancelled.
//!
//! ```python
//! result = await asyncio.wait_for(slow(), timeout=1.0)   # TimeoutError after 1 s
//! ```
//! The inner coroutine runs inline in the caller's task, as in Python 3.12+
//! (where `wait_for` is `async with timeout(...)`); Python 3.11 and older
//! wrapped it in a task, which costs extra iterations. On expiry the inner
//! coroutine is dropped — cancelled — and the caller gets [`Elapsed`].
//!
//! *When* it is dropped follows asyncio exactly. asyncio's timeout is a
//! timer callback that calls `task.cancel()`: at the limit, in the timer's
//! own iteration, the cancellation goes into whatever the task awaits. If
//! that is a sleep, the task resumes one iteration later and the inner
//! coroutine unwinds then; if it is another task, *that* task is cancelled
//! first — and what it awaits, down the chain — and the inner coroutine
//! unwinds only when it has ended. So rondo's timeout is a timer callback
//! too, which hands the task to the loop's cancel policy without marking
//! the task itself cancelled (`Core::cancel_what_it_awaits`); the next poll
//! of `Timeout` finds the limit passed and drops the inner coroutine.
//!
//! (Rejected: an inline `select(inner, sleep(limit))`, the first version.
//! The sleep's wake costs the hop to the task's step, so a task the inner
//! coroutine awaited was cancelled one iteration late and *after* the inner
//! coroutine's clean-up — the reverse of asyncio's order. The random
//! programs compared with CPython found it.)

use crate::stage4_event_loop::{TaskKey, current_task_key, in_cancel_scope, with_running_core};
use crate::{Context, Coroutine, Poll, TimerHandle};
use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

/// The error of a coroutine that ran out of time.
///
/// ```
/// use rondo::{Elapsed, EventLoop, Promise, wait_for};
/// use std::time::Duration;
///
/// // except TimeoutError:
/// let never = Promise::<()>::new();
/// let limit = Duration::from_millis(250);
/// let Err(elapsed) = EventLoop::new_virtual().run(wait_for(never.wait(), limit)).unwrap() else {
///     unreachable!()
/// };
/// assert_eq!(elapsed, Elapsed { limit });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed {
    /// The limit that passed.
    pub limit: Duration,
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out after {:?}", self.limit)
    }
}

impl std::error::Error for Elapsed {}

/// Runs `inner` for at most `limit` (asyncio: `wait_for(inner, timeout=limit)`).
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, sleep, wait_for};
/// use std::time::Duration;
///
/// // await asyncio.wait_for(answer_in_one_second(), timeout=2)
/// let answer = sleep(Duration::from_secs(1)).map(|()| 42);
/// let ev = EventLoop::new_virtual();
/// assert_eq!(ev.run(wait_for(answer, Duration::from_secs(2))).unwrap(), Ok(42));
/// ```
pub fn wait_for<C: Coroutine>(inner: C, limit: Duration) -> Timeout<C> {
    Timeout { inner: Some(inner), limit, expired: Rc::new(Cell::new(false)), timer: None }
}

/// [`wait_for`] with the arguments the other way round, like `asyncio.timeout(limit)`.
///
/// ```
/// use rondo::{EventLoop, sleep, timeout};
/// use std::time::Duration;
///
/// // async with asyncio.timeout(1): await asyncio.sleep(5)   -> TimeoutError
/// let ev = EventLoop::new_virtual();
/// let late = ev.run_until_complete(timeout(Duration::from_secs(1), sleep(Duration::from_secs(5)))).unwrap();
/// assert_eq!(late.unwrap_err().limit, Duration::from_secs(1));
/// assert_eq!(ev.time(), 1.0); // the sleep was cancelled at the limit
/// ```
pub fn timeout<C: Coroutine>(limit: Duration, inner: C) -> Timeout<C> {
    wait_for(inner, limit)
}

/// ```text
/// async fn wait_for(inner, limit) -> Result<T, Elapsed> {
///     let timer = call_later(limit, || cancel what this task awaits);  // asyncio: task.cancel()
///     let output = inner.await;            // ends early if the limit passed: Err(Elapsed)
///     timer.cancel();
///     Ok(output)
/// }
/// ```
///
/// The coroutine returned by [`wait_for`] and [`timeout`]. It needs a
/// running loop: its timer is the loop's.
///
/// ```
/// use rondo::{EventLoop, Timeout, ready, wait_for};
/// use std::time::Duration;
///
/// // a coroutine done at its first poll never times out, even with no time at all
/// let quick: Timeout<_> = wait_for(ready("done"), Duration::ZERO);
/// assert_eq!(EventLoop::new_virtual().run(quick).unwrap(), Ok("done"));
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Timeout<C> {
    inner: Option<C>,
    limit: Duration,
    /// Set by the timer's callback.
    expired: Rc<Cell<bool>>,
    /// Armed at the first poll; withdrawn when the inner coroutine finishes
    /// or the `Timeout` is dropped, so that it never acts on a later await.
    timer: Option<TimerHandle>,
}

impl<C: Coroutine> Coroutine for Timeout<C> {
    type Output = Result<C::Output, Elapsed>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut().expect("wait_for() polled after it completed");
        if self.timer.is_none() {
            self.timer = Some(arm(self.limit, &self.expired));
        }
        // The limit first: when the timer and the inner coroutine's wake
        // land in the same iteration, asyncio's cancellation wins too.
        if self.expired.get() {
            // Cancels the inner coroutine: its `Drop` runs now, and a task it
            // was awaiting (ended already, if the cancel policy followed the
            // chain) is cancelled too.
            let inner = self.inner.take();
            in_cancel_scope(|| drop(inner));
            return Poll::Ready(Err(Elapsed { limit: self.limit }));
        }
        let Poll::Ready(output) = inner.poll(cx) else { return Poll::Pending };
        self.inner = None;
        if let Some(timer) = self.timer.take() {
            timer.cancel();
        }
        Poll::Ready(Ok(output))
    }
}

/// The timer of a `Timeout` polled by the current task: at the limit it sets
/// `expired` and cancels what the task awaits (not the task itself).
fn arm(limit: Duration, expired: &Rc<Cell<bool>>) -> TimerHandle {
    let task: TaskKey =
        current_task_key().expect("wait_for() and timeout() need a task of a running loop to poll them");
    let expired = Rc::downgrade(expired);
    crate::call_later(limit, move || {
        if let Some(expired) = expired.upgrade() {
            expired.set(true);
            with_running_core(|core| core.cancel_what_it_awaits(task));
        }
    })
}

impl<C> Drop for Timeout<C> {
    /// A timeout dropped unfinished (its task cancelled, or a `select` lost)
    /// must not cancel whatever its task awaits later.
    fn drop(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.cancel();
        }
    }
}
