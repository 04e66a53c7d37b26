//! `wait_for` / `timeout`: give a coroutine a deadline; on expiry it is cancelled.
//!
//! ```python
//! result = await asyncio.wait_for(slow(), timeout=1.0)   # TimeoutError after 1 s
//! ```
//! The inner coroutine runs inline in the caller's task, as in Python 3.12+
//! (where `wait_for` is `async with timeout(...)`); Python 3.11 and older
//! wrapped it in a task, which costs extra iterations. On expiry the inner
//! coroutine is dropped — cancelled — and the caller gets [`Elapsed`].

use crate::stage4_event_loop::in_cancel_scope;
use crate::{Context, Coroutine, Poll, Sleep, sleep};
use std::fmt;
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
    Timeout { inner: Some(inner), timer: sleep(limit), limit }
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
///     match select(inner, sleep(limit)).await {   // inline; inner first: a tie goes to the result
///         Left(output) => Ok(output),
///         Right(()) => Err(Elapsed),             // inner is cancelled (dropped)
///     }
/// }
/// ```
///
/// The coroutine returned by [`wait_for`] and [`timeout`].
///
/// ```
/// use rondo::{Timeout, block_on, ready, wait_for};
/// use std::time::Duration;
///
/// // a tie goes to the result: a coroutine done at once never times out
/// let quick: Timeout<_> = wait_for(ready("done"), Duration::ZERO);
/// assert_eq!(block_on(quick), Ok("done"));
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Timeout<C> {
    inner: Option<C>,
    timer: Sleep,
    limit: Duration,
}

impl<C: Coroutine> Coroutine for Timeout<C> {
    type Output = Result<C::Output, Elapsed>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut().expect("wait_for() polled after it completed");
        if let Poll::Ready(output) = inner.poll(cx) {
            self.inner = None;
            return Poll::Ready(Ok(output));
        }
        if self.timer.poll(cx).is_pending() {
            return Poll::Pending;
        }
        // Cancels the inner coroutine: its `Drop` runs now, and a task it was
        // awaiting is cancelled too (stage 6).
        let inner = self.inner.take();
        in_cancel_scope(|| drop(inner));
        Poll::Ready(Err(Elapsed { limit: self.limit }))
    }
}
