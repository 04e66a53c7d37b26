//! The `Coroutine` trait: a state machine advanced one step per `poll`.

use super::{Context, Poll};

/// A computation that can pause and be resumed: rondo's `Future`.
///
/// Each call to [`poll`](Coroutine::poll) runs the coroutine until it either
/// finishes (`Poll::Ready(output)`) or has to wait (`Poll::Pending`). Before
/// returning `Pending` it must arrange for `cx.waker()` to be woken when it can
/// make progress — otherwise nobody will ever poll it again.
///
/// Polling a coroutine after it returned `Ready` is a bug in the caller; every
/// coroutine in rondo panics with a clear message when that happens.
///
/// ```
/// use rondo::{Context, Coroutine, Poll, block_on};
///
/// // async def answer(): return 42   — by hand: a struct whose poll() finishes at once
/// struct Answer;
/// impl Coroutine for Answer {
///     type Output = u32;
///     fn poll(&mut self, _cx: &mut Context<'_>) -> Poll<u32> {
///         Poll::Ready(42)
///     }
/// }
/// assert_eq!(block_on(Answer), 42); // asyncio.run(answer())
/// ```
pub trait Coroutine {
    /// What the coroutine produces when it finishes (the `return` value of an `async def`).
    type Output;

    /// Advances the coroutine by one step.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output>;

    /// The name of the state the machine is in, for step mode and traces
    /// (stage 4's hooks). Hand-written machines return their `State`
    /// variant; the default says nothing.
    fn state_name(&self) -> Option<String> {
        None
    }
}

/// A boxed coroutine: how runners store coroutines of different types in one list.
///
/// ```
/// use rondo::{BoxCoroutine, EventLoop, join_all, ready, sleep};
/// use std::time::Duration;
///
/// // coroutines of different types in one list: [asyncio.sleep(1), nothing()]
/// let list: Vec<BoxCoroutine<'static, ()>> = vec![Box::new(ready(())), Box::new(sleep(Duration::from_secs(1)))];
/// let ev = EventLoop::new_virtual();
/// ev.run_until_complete(join_all(list)).unwrap();
/// assert_eq!(ev.time(), 1.0);
/// ```
pub type BoxCoroutine<'a, T> = Box<dyn Coroutine<Output = T> + 'a>;

// A box of a coroutine is a coroutine: runners keep `Box<dyn Coroutine>` in lists.
impl<C: Coroutine + ?Sized> Coroutine for Box<C> {
    type Output = C::Output;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<C::Output> {
        (**self).poll(cx)
    }
    fn state_name(&self) -> Option<String> {
        (**self).state_name()
    }
}

// Polling through a `&mut` lets a parent poll a child it does not own outright.
impl<C: Coroutine + ?Sized> Coroutine for &mut C {
    type Output = C::Output;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<C::Output> {
        (**self).poll(cx)
    }
    fn state_name(&self) -> Option<String> {
        (**self).state_name()
    }
}
