//! A rondo coroutine as a std `Future`: what lets an `async fn` `.await`
//! `sleep`, a `Task`, a `gather`, a `Queue::get`, a TCP read.
//!
//! The other direction of `from_future`. A rondo coroutine wants a rondo
//! `Context`, whose waker is an `Rc<dyn Wake>`. Two cases:
//!
//! - **Inside a rondo task** (`from_future` is polling it, and the std
//!   waker in `cx` is the one it lent to that poll, or the task's own —
//!   `lent_waker::with_polling_task` says so) the
//!   coroutine gets the task's *rondo* waker itself: the same waker a
//!   hand-written coroutine would get. So a timer firing wakes the task in
//!   the same iteration, a lock's queue of waiters holds the task's waker
//!   (and the deadlock report can say which task waits for the lock), and
//!   no std waker is cloned — which is what lets `from_future` skip the
//!   inbox for a task that only awaits rondo coroutines.
//! - **Anywhere else** (tokio, smol, `futures::executor`, a std combinator
//!   with wakers of its own) the adapter makes a rondo waker that calls the
//!   std waker it was given (kept, and replaced only when it changes); a
//!   `from_future` inside whose future keeps its std waker adopts it
//!   reached through that foreign std waker (`lent_waker::Foreign`), so a
//!   thread's wake reaches the executor. A
//!   leaf that needs rondo's loop (`sleep`, a socket) panics there, saying
//!   it was polled outside a running rondo loop.
//!
//! Why a method (`.future()`), not `IntoFuture` on every coroutine: a
//! blanket `impl<C: Coroutine> IntoFuture for C` is refused by Rust's
//! orphan rule (both the trait and the type parameter are foreign to it).
//! rondo's own coroutine types get `IntoFuture` one by one instead
//! (`await_directly`), so `sleep(d).await` works; `.future()` is for any
//! other coroutine — a hand-written machine of yours.

use super::lent_waker;
use crate::{Context, Coroutine, Poll, Wake, Waker};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// `.future()`: any rondo coroutine as a std `Future`, to `.await` in an
/// `async` block or `async fn`.
///
/// ```
/// use rondo::{Awaitable, EventLoop, from_future, gather, ready, sleep};
/// use std::time::Duration;
///
/// let main = from_future(async {
///     let both = gather(vec![ready(1), ready(2)]).future().await;
///     sleep(Duration::from_millis(500)).future().await;
///     both
/// });
/// let ev = EventLoop::new_virtual();
/// assert_eq!(ev.run_until_complete(main).unwrap(), Ok(vec![1, 2]));
/// assert_eq!(ev.time(), 0.5);
/// ```
pub trait Awaitable: Coroutine + Sized {
    /// This coroutine, as a std `Future`.
    fn future(self) -> CoroutineFuture<Self> {
        CoroutineFuture { coroutine: self, foreign: None }
    }
}

impl<C: Coroutine> Awaitable for C {}

/// A rondo coroutine seen as a std `Future` (see [`Awaitable::future`]).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct CoroutineFuture<C> {
    coroutine: C,
    /// Off rondo (a foreign executor): the rondo waker handed to the
    /// coroutine and the std waker it calls, kept between polls. (On rondo
    /// the coroutine is polled with its task's own waker, nothing kept.)
    foreign: Option<(Rc<StdWake>, Waker)>,
}

/// A rondo wake target that wakes a std waker.
struct StdWake(RefCell<std::task::Waker>);

impl Wake for StdWake {
    fn wake(&self) {
        // Cloned out first: the std waker's wake may poll, or replace it.
        let waker = self.0.borrow().clone();
        waker.wake();
    }
}

impl<C: Coroutine> CoroutineFuture<C> {
    /// Polled by a foreign executor: through a rondo waker that wakes its
    /// std waker (made once, pointed at a new std waker only if it changes).
    fn poll_foreign(&mut self, std_waker: &std::task::Waker) -> Poll<C::Output> {
        let (target, waker) = self.foreign.get_or_insert_with(|| {
            let target = Rc::new(StdWake(RefCell::new(std_waker.clone())));
            (target.clone(), Waker::new(target))
        });
        if !target.0.borrow().will_wake(std_waker) {
            *target.0.borrow_mut() = std_waker.clone();
        }
        // A `from_future` inside that adopts a std waker reaches the task
        // through this one (`lent_waker::Foreign`).
        let _foreign = lent_waker::Foreign::enter(waker, std_waker);
        self.coroutine.poll(&mut Context::from_waker(waker))
    }
}

// A rondo coroutine is polled through `&mut`, never pinned: hand-written
// state machines do not borrow from themselves, so moving one is fine.
impl<C> Unpin for CoroutineFuture<C> {}

impl<C: Coroutine> Future for CoroutineFuture<C> {
    type Output = C::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<C::Output> {
        let this = self.get_mut();
        // The direct path: inside a rondo task's poll, with the task's own waker.
        let polled = lent_waker::with_polling_task(cx.waker(), |waker| {
            this.coroutine.poll(&mut Context::from_waker(waker))
        });
        match polled.unwrap_or_else(|| this.poll_foreign(cx.waker())) {
            Poll::Ready(output) => std::task::Poll::Ready(output),
            Poll::Pending => std::task::Poll::Pending,
        }
    }
}
