//! A std `Future` as a rondo coroutine: what lets `async` blocks run on rondo.
//!
//! Polling a `Future` needs a `Pin<&mut F>` and a `std::task::Context`;
//! rondo's `poll` has a `&mut self` and a rondo `Context`. The adapter keeps
//! the future pinned in a `Box` (it may borrow from itself across an
//! `.await`, so it must never move again — chapter 9 says why), and hands it
//! a std waker that stands for the task's rondo waker (`task_waker`): the
//! thread's spare one, lent for the poll, until the future keeps a clone —
//! then the task adopts it.
//!
//! ```text
//! // what spawn(from_future(async { ... })) runs, each step:
//! fn poll(&mut self, cx) -> Poll<T> {
//!     let waker = own std waker, or the thread's spare, lent
//!     mark "this poll lent `waker`, for the task whose rondo waker is cx.waker()"
//!     let polled = self.future.as_mut().poll(&mut std::task::Context::from_waker(&waker))
//!     if lent: nobody kept it? give it back (and wake cx.waker() if it was woken)
//!              kept?           adopt it: a slot in the table, the loop's inbox
//!     polled
//! }
//! ```

use super::lent_waker::{AfterPoll, Own};
use super::task_waker::Reach;
use crate::stage8_outside::outside::Outside;
use crate::{Context, Coroutine, Poll};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Runs a std `Future` — an `async` block, an `async fn`'s call — as a rondo
/// coroutine: spawn it, `run` it, gather it.
///
/// ```
/// use rondo::{EventLoop, from_future, sleep};
/// use std::time::Duration;
///
/// // async def main(): await asyncio.sleep(1); return 42
/// let main = from_future(async {
///     sleep(Duration::from_secs(1)).await;
///     42
/// });
/// let ev = EventLoop::new_virtual();
/// assert_eq!(ev.run(main).unwrap(), 42);
/// ```
pub fn from_future<F: Future + 'static>(future: F) -> FromFuture<F> {
    FromFuture { future: Some(Box::pin(future)), own: None }
}

/// The coroutine of [`from_future`].
#[must_use = "a coroutine does nothing until it is awaited or spawned"]
pub struct FromFuture<F: Future> {
    /// Pinned for its whole life; `None` once it has finished.
    future: Option<Pin<Box<F>>>,
    /// The task's own std waker, once the future has kept one. (Boxed: most
    /// tasks never have one, and each word here is a word of every task.)
    own: Option<Box<Own>>,
}

impl<F: Future> Coroutine for FromFuture<F> {
    type Output = F::Output;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(future) = self.future.as_mut() else {
            panic!("a FromFuture polled after it completed");
        };
        // A rondo coroutine `.await`ed inside recognises this task by the
        // std waker it is polled with (`into_future`).
        let poll = |std_waker: &std::task::Waker| {
            future.as_mut().poll(&mut std::task::Context::from_waker(std_waker))
        };
        if let Some(own) = self.own.as_mut() {
            return match super::lent_waker::poll_own(own, cx.waker(), poll) {
                (std::task::Poll::Ready(output), _) => {
                    // Done: the future goes, and so does the table's clone of the
                    // task's waker (a std waker kept somewhere now wakes nobody).
                    self.future = None;
                    self.own.take().expect("own waker").finish();
                    Poll::Ready(output)
                }
                (std::task::Poll::Pending, woken) => {
                    if woken {
                        cx.waker().wake(); // the wake it made during its own poll
                    }
                    Poll::Pending
                }
            };
        }
        match super::lent_waker::poll_lent(cx.waker(), poll) {
            (std::task::Poll::Ready(output), _) => {
                // A clone kept somewhere names nobody: it wakes nothing.
                self.future = None;
                Poll::Ready(output)
            }
            (std::task::Poll::Pending, AfterPoll::Returned { woken }) => {
                if woken {
                    cx.waker().wake(); // what the std waker would have done
                }
                Poll::Pending
            }
            (std::task::Poll::Pending, AfterPoll::Kept(lent)) => {
                // Whoever kept it may wake it from another thread: give it the
                // loop's inbox (installing stage 8's selector the first time);
                // under a foreign executor (`from_future(f).future()` on
                // tokio), that executor's own std waker; under stage 2's
                // `block_on`, which cannot wait for threads, nothing.
                let mut reach = Reach::Nowhere;
                crate::stage4_event_loop::with_running_core(|core| {
                    let outside = Outside::of(core);
                    outside.listen_while(
                        "std wakers held outside their tasks",
                        super::task_waker::held_elsewhere,
                    );
                    reach = Reach::Inbox(Arc::downgrade(outside.inbox()));
                });
                if matches!(reach, Reach::Nowhere)
                    && let Some(foreign) = super::lent_waker::foreign_waker_for(cx.waker())
                {
                    reach = Reach::Foreign(foreign);
                }
                self.own = Some(Box::new(lent.adopt(cx.waker(), reach)));
                Poll::Pending
            }
        }
    }
}

impl<F: Future> Drop for FromFuture<F> {
    fn drop(&mut self) {
        self.future = None; // first the future (its drop may still wake us)...
        if let Some(own) = self.own.take() {
            own.finish(); // ...then the slot, so that a wake after this does nothing
        }
    }
}
