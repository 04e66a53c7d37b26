//! A std `Future` as a rondo coroutine: what lets `async` blocks run on rondo.
//!
//! Polling a `Future` needs a `Pin<&mut F>` and a `std::task::Context`;
//! rondo's `poll` has a `&mut self` and a rondo `Context`. The adapter keeps
//! the future pinned in a `Box` (it may borrow from itself across an
//! `.await`, so it must never move again — chapter 9 says why), and hands it
//! a std waker that stands for the task's rondo waker (`task_waker`).
//!
//! ```text
//! // what spawn(from_future(async { ... })) runs, each step:
//! fn poll(&mut self, cx) -> Poll<T> {
//!     let waker = std waker for cx.waker()     // made once, refreshed if cx.waker() changes
//!     self.future.as_mut().poll(&mut std::task::Context::from_waker(&waker))
//! }
//! ```

use super::task_waker::{Slot, TaskWaker};
use crate::stage8_outside::outside::Outside;
use crate::{Context, Coroutine, Poll};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Runs a std `Future` — an `async` block, an `async fn`'s call — as a rondo
/// coroutine: spawn it, `run` it, gather it.
///
/// ```
/// use rondo::{Awaitable, EventLoop, from_future, sleep};
/// use std::time::Duration;
///
/// // async def main(): await asyncio.sleep(1); return 42
/// let main = from_future(async {
///     sleep(Duration::from_secs(1)).future().await;
///     42
/// });
/// let ev = EventLoop::new_virtual();
/// assert_eq!(ev.run(main).unwrap(), 42);
/// ```
pub fn from_future<F: Future + 'static>(future: F) -> FromFuture<F> {
    FromFuture { future: Some(Box::pin(future)), waker: None }
}

/// The coroutine of [`from_future`].
#[must_use = "a coroutine does nothing until it is awaited or spawned"]
pub struct FromFuture<F: Future> {
    /// Pinned for its whole life; `None` once it has finished.
    future: Option<Pin<Box<F>>>,
    /// The std waker handed to the future, the table slot it names, and
    /// the rondo waker in that slot (to see, without the table, whether it
    /// changed: a task's never does).
    waker: Option<(std::task::Waker, Slot, crate::Waker)>,
}

impl<F: Future> FromFuture<F> {
    /// The std waker that stands for `cx.waker()`: made at the first poll,
    /// and only its table entry refreshed after that. (A function of the
    /// field, not of `self`, so the future can be borrowed beside it.)
    fn std_waker<'w>(
        made: &'w mut Option<(std::task::Waker, Slot, crate::Waker)>,
        cx: &Context<'_>,
    ) -> &'w std::task::Waker {
        if let Some((_, slot, stored)) = made {
            if !stored.will_wake(cx.waker()) {
                slot.update(cx.waker());
                *stored = cx.waker().clone();
            }
        } else {
            let slot = Slot::new(cx.waker());
            // Another thread reaches the task through the loop's inbox
            // (installing stage 8's selector); outside a loop (`block_on`)
            // there is no inbox, and only this thread can wake it.
            let mut inbox = None;
            crate::stage4_event_loop::with_running_core(|core| {
                inbox = Some(Arc::downgrade(Outside::of(core).inbox()));
            });
            *made = Some((std::task::Waker::from(TaskWaker::new(slot, inbox)), slot, cx.waker().clone()));
        }
        &made.as_ref().expect("just made").0
    }
}

impl<F: Future> Coroutine for FromFuture<F> {
    type Output = F::Output;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(future) = self.future.as_mut() else {
            panic!("a FromFuture polled after it completed");
        };
        let waker = Self::std_waker(&mut self.waker, cx);
        let mut std_cx = std::task::Context::from_waker(waker);
        match future.as_mut().poll(&mut std_cx) {
            std::task::Poll::Ready(output) => {
                // Done: the future goes, and so does the table's clone of the
                // task's waker (a std waker kept somewhere now wakes nobody).
                self.future = None;
                if let Some((_, slot, _)) = self.waker.take() {
                    slot.free();
                }
                Poll::Ready(output)
            }
            std::task::Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: Future> Drop for FromFuture<F> {
    fn drop(&mut self) {
        self.future = None; // first the future (its drop may still wake us)...
        if let Some((_, slot, _)) = self.waker.take() {
            slot.free(); // ...then the slot, so that a wake after this does nothing
        }
    }
}
