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
