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

use super::task_waker::{Polling, Slot, TaskWaker};
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
    FromFuture { future: Some(Box::pin(future)), bridge: None }
}

/// The coroutine of [`from_future`].
#[must_use = "a coroutine does nothing until it is awaited or spawned"]
pub struct FromFuture<F: Future> {
    /// Pinned for its whole life; `None` once it has finished.
    future: Option<Pin<Box<F>>>,
    /// The std waker handed to the future, made at the first poll.
    bridge: Option<Bridge>,
}

/// A task's std waker and what it stands for.
struct Bridge {
    /// What the std waker wakes (kept to ask whether it outlives a poll).
    task_waker: Arc<TaskWaker>,
    /// The one `std::task::Waker` made from it, lent to every poll.
    std_waker: std::task::Waker,
    /// The table entry that names the task's rondo waker...
    slot: Slot,
    /// ...and that waker, to see without the table whether it changed (a
    /// task's never does).
    rondo_waker: crate::Waker,
    /// The std waker has the loop's inbox (see `TaskWaker::open`).
    opened: bool,
}

impl Bridge {
    /// The bridge for `cx.waker()`: made at the first poll, and only its
    /// table entry refreshed after that.
    fn of<'b>(made: &'b mut Option<Bridge>, cx: &Context<'_>) -> &'b mut Bridge {
        match made {
            Some(bridge) => {
                if !bridge.rondo_waker.will_wake(cx.waker()) {
                    bridge.slot.update(cx.waker());
                    bridge.rondo_waker = cx.waker().clone();
                }
                bridge
            }
            None => {
                let slot = Slot::new(cx.waker());
                let task_waker = TaskWaker::new(slot);
                let std_waker = std::task::Waker::from(task_waker.clone());
                made.insert(Bridge {
                    task_waker,
                    std_waker,
                    slot,
                    rondo_waker: cx.waker().clone(),
                    opened: false,
                })
            }
        }
    }

    /// After a `Pending`: if the future kept the std waker (or a thread
    /// already woke it), give it the loop's inbox so another thread can
    /// reach the task — installing stage 8's selector the first time. A
    /// future that only awaits rondo coroutines never gets here.
    fn open_if_kept(&mut self) {
        if self.opened || !TaskWaker::may_be_woken_later(&self.task_waker) {
            return;
        }
        self.opened = true;
        // Outside a loop (`block_on`) there is no inbox: only this thread
        // can wake the task, and it will.
        crate::stage4_event_loop::with_running_core(|core| {
            let outside = Outside::of(core);
            outside.listen_while("std wakers held outside their tasks", super::task_waker::held_elsewhere);
            TaskWaker::open(&self.task_waker, Arc::downgrade(outside.inbox()));
        });
    }

    /// The future is done or dropped: wakes through its std waker (kept
    /// somewhere, perhaps) now do nothing.
    fn finish(self) {
        self.slot.free();
    }
}

impl<F: Future> Coroutine for FromFuture<F> {
    type Output = F::Output;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(future) = self.future.as_mut() else {
            panic!("a FromFuture polled after it completed");
        };
        let bridge = Bridge::of(&mut self.bridge, cx);
        let polled = {
            // A rondo coroutine `.await`ed inside recognises this task by it.
            let _polling = Polling::enter(&bridge.std_waker, bridge.slot, &bridge.rondo_waker);
            future.as_mut().poll(&mut std::task::Context::from_waker(&bridge.std_waker))
        };
        match polled {
            std::task::Poll::Ready(output) => {
                // Done: the future goes, and so does the table's clone of the
                // task's waker (a std waker kept somewhere now wakes nobody).
                self.future = None;
                if let Some(bridge) = self.bridge.take() {
                    bridge.finish();
                }
                Poll::Ready(output)
            }
            std::task::Poll::Pending => {
                bridge.open_if_kept();
                Poll::Pending
            }
        }
    }
}

impl<F: Future> Drop for FromFuture<F> {
    fn drop(&mut self) {
        self.future = None; // first the future (its drop may still wake us)...
        if let Some(bridge) = self.bridge.take() {
            bridge.finish(); // ...then the slot, so that a wake after this does nothing
        }
    }
}
