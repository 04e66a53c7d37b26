//! A rondo coroutine as a std `Future`: what lets an `async fn` `.await`
//! `sleep`, a `Task`, a `gather`, a `Queue::get`, a TCP read.
//!
//! The other direction of `from_future`. A rondo coroutine wants a rondo
//! `Context`, whose waker is an `Rc<dyn Wake>`. Two cases:
//!
//! - **Inside a rondo task** (`from_future` is polling it, and the std
//!   waker in `cx` is the one it lent to that poll, or the task's own —
//!   `task_waker::polling_task` says so) the
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
//!   reached through that foreign std waker (`task_waker::Foreign`), so a
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

use super::task_waker;
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
    /// The rondo waker handed to the coroutine, kept between polls.
    waker: Option<RondoWaker>,
}

/// Which rondo waker the coroutine is polled with.
enum RondoWaker {
    /// The rondo task's own (the one `from_future` is polling with).
    Task(Waker),
    /// One that wakes a foreign std waker.
    Std(Rc<StdWake>, Waker),
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

impl RondoWaker {
    /// The rondo waker to poll with for `std_waker`, reusing `kept` when it
    /// still fits.
    /// (`true` with it: the rondo waker stands for a foreign std waker.)
    fn for_std<'k>(kept: &'k mut Option<RondoWaker>, std_waker: &std::task::Waker) -> (&'k Waker, bool) {
        let kept_task = match kept {
            Some(RondoWaker::Task(waker)) => Some(&*waker),
            _ => None,
        };
        match task_waker::polling_task(std_waker, kept_task) {
            task_waker::PollingTask::Is(waker) => *kept = Some(RondoWaker::Task(waker)),
            task_waker::PollingTask::Kept => {} // the task's waker, kept from the last poll
            task_waker::PollingTask::No => match kept {
                Some(RondoWaker::Std(target, _)) => {
                    if !target.0.borrow().will_wake(std_waker) {
                        *target.0.borrow_mut() = std_waker.clone();
                    }
                }
                _ => {
                    let target = Rc::new(StdWake(RefCell::new(std_waker.clone())));
                    *kept = Some(RondoWaker::Std(target.clone(), Waker::new(target)));
                }
            },
        }
        match kept.as_ref().expect("set above") {
            RondoWaker::Task(waker) => (waker, false),
            RondoWaker::Std(_, waker) => (waker, true),
        }
    }
}

// A rondo coroutine is polled through `&mut`, never pinned: hand-written
// state machines do not borrow from themselves, so moving one is fine.
impl<C> Unpin for CoroutineFuture<C> {}

impl<C: Coroutine> Future for CoroutineFuture<C> {
    type Output = C::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<C::Output> {
        let this = self.get_mut();
        let (waker, foreign) = RondoWaker::for_std(&mut this.waker, cx.waker());
        // For a foreign executor: a `from_future` inside that adopts a std
        // waker reaches the task through this one (`task_waker::Foreign`).
        let _foreign = foreign.then(|| task_waker::Foreign::enter(waker, cx.waker()));
        match this.coroutine.poll(&mut Context::from_waker(waker)) {
            Poll::Ready(output) => std::task::Poll::Ready(output),
            Poll::Pending => std::task::Poll::Pending,
        }
    }
}
