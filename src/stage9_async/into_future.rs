//! A rondo coroutine as a std `Future`: what lets an `async fn` `.await`
//! `sleep`, a `Task`, a `gather`, a `Queue::get`, a TCP read.
//!
//! The other direction of `from_future`. A rondo coroutine wants a rondo
//! `Context`, whose waker is an `Rc<dyn Wake>`; the adapter makes one that
//! calls the std waker it was given (kept, and replaced only when the std
//! waker changes), and polls the coroutine with it. On rondo, that std waker
//! is the task's own (`task_waker`), so a timer firing wakes the task in the
//! same iteration as for a hand-written coroutine: the order of events does
//! not change. On another executor (tokio, smol) the coroutine wakes that
//! executor's task — but a leaf that needs rondo's loop (`sleep`, a socket)
//! panics there, saying it was polled outside a running rondo loop.
//!
//! Why a method (`.future()`), not `IntoFuture` on every coroutine: a
//! blanket `impl<C: Coroutine> IntoFuture for C` is refused by Rust's
//! orphan rule (both the trait and the type parameter are foreign to it).

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
        CoroutineFuture { coroutine: self, waker: None }
    }
}

impl<C: Coroutine> Awaitable for C {}

/// A rondo coroutine seen as a std `Future` (see [`Awaitable::future`]).
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct CoroutineFuture<C> {
    coroutine: C,
    /// The rondo waker handed to the coroutine: it calls the std waker.
    waker: Option<(Rc<StdWake>, Waker)>,
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

// A rondo coroutine is polled through `&mut`, never pinned: hand-written
// state machines do not borrow from themselves, so moving one is fine.
impl<C> Unpin for CoroutineFuture<C> {}

impl<C: Coroutine> Future for CoroutineFuture<C> {
    type Output = C::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<C::Output> {
        let this = self.get_mut();
        let (target, waker) = this.waker.get_or_insert_with(|| {
            let target = Rc::new(StdWake(RefCell::new(cx.waker().clone())));
            let waker = Waker::new(target.clone());
            (target, waker)
        });
        if !target.0.borrow().will_wake(cx.waker()) {
            *target.0.borrow_mut() = cx.waker().clone();
        }
        match this.coroutine.poll(&mut Context::from_waker(waker)) {
            Poll::Ready(output) => std::task::Poll::Ready(output),
            Poll::Pending => std::task::Poll::Pending,
        }
    }
}
