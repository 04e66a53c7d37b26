//! Chaining: `ready`, `lazy`, `poll_fn`, and `then`/`map` on any coroutine.
//!
//! Stage 4's examples spent a dozen lines of `enum` on "say One, sleep, say
//! Two". These four small machines compose instead:
//!
//! ```
//! use rondo::{CoroutineExt, EventLoop, Transcript, lazy, sleep};
//! use std::time::Duration;
//!
//! let out = Transcript::new();
//! let (one, two) = (out.clone(), out.clone());
//! // async def count(): print("One"); await asyncio.sleep(1); print("Two")
//! let count = lazy(move || one.say("One"))
//!     .then(|()| sleep(Duration::from_secs(1)))
//!     .then(move |()| lazy(move || two.say("Two")));
//! EventLoop::new_virtual().run(count).unwrap();
//! assert_eq!(out.stamped(), ["0.000 One", "1.000 Two"]);
//! ```
//! `lazy` matters: `out.say("One")` written directly would run when the
//! chain is *built*; inside `lazy` it runs when the coroutine is first
//! polled — as the body of an `async def` runs only once the task is scheduled.

use crate::{Context, Coroutine, Poll};

/// A coroutine that is finished at its first poll (`async def f(): return v`).
pub fn ready<T>(value: T) -> Ready<T> {
    Ready(Some(value))
}

/// ```text
/// async fn ready(value) -> T { value }
/// ```
///
/// The coroutine returned by [`ready`].
#[derive(Debug)]
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Ready<T>(Option<T>);

impl<T> Coroutine for Ready<T> {
    type Output = T;
    fn poll(&mut self, _cx: &mut Context<'_>) -> Poll<T> {
        Poll::Ready(self.0.take().expect("ready() polled after it completed"))
    }
}

/// Runs `f` at the first poll and finishes with its result: an `async def`
/// body without `await`.
pub fn lazy<T, F: FnOnce() -> T>(f: F) -> Lazy<F> {
    Lazy(Some(f))
}

/// ```text
/// async fn lazy(f) -> T { f() }
/// ```
///
/// The coroutine returned by [`lazy`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Lazy<F>(Option<F>);

impl<T, F: FnOnce() -> T> Coroutine for Lazy<F> {
    type Output = T;
    fn poll(&mut self, _cx: &mut Context<'_>) -> Poll<T> {
        let f = self.0.take().expect("lazy() polled after it completed");
        Poll::Ready(f())
    }
}

/// A coroutine whose `poll` is the closure `f`: the escape hatch for a
/// one-off state machine that does not deserve a type.
pub fn poll_fn<T, F: FnMut(&mut Context<'_>) -> Poll<T>>(f: F) -> PollFn<F> {
    PollFn(f)
}

/// ```text
/// async fn poll_fn(f) -> T {
///     loop {
///         if let Ready(x) = f(cx) { return x }
///         suspend;
///     }
/// }
/// ```
///
/// The coroutine returned by [`poll_fn`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct PollFn<F>(F);

impl<T, F: FnMut(&mut Context<'_>) -> Poll<T>> Coroutine for PollFn<F> {
    type Output = T;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<T> {
        (self.0)(cx)
    }
}

/// `then` and `map` for every coroutine.
pub trait CoroutineExt: Coroutine + Sized {
    /// Runs `self`, then the coroutine `f` makes from its output:
    /// `let x = self.await; f(x).await`.
    fn then<C: Coroutine, F: FnOnce(Self::Output) -> C>(self, f: F) -> Then<Self, C, F> {
        Then { state: ThenState::First(self, Some(f)) }
    }

    /// Runs `self` and transforms its output: `f(self.await)`.
    fn map<T, F: FnOnce(Self::Output) -> T>(self, f: F) -> Map<Self, F> {
        Map { inner: Some(self), f: Some(f) }
    }

    /// Boxes the coroutine, erasing its type (to keep different coroutines in one list).
    fn boxed<'a>(self) -> crate::BoxCoroutine<'a, Self::Output>
    where
        Self: 'a,
    {
        Box::new(self)
    }
}

impl<C: Coroutine> CoroutineExt for C {}

/// ```text
/// async fn then(first, f) { let x = first.await; f(x).await }
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Then<A, B, F> {
    state: ThenState<A, B, F>,
}

enum ThenState<A, B, F> {
    /// Running the first coroutine; `f` waits in an `Option` to be taken once.
    First(A, Option<F>),
    Second(B),
    Done,
}

impl<A: Coroutine, B: Coroutine, F: FnOnce(A::Output) -> B> Coroutine for Then<A, B, F> {
    type Output = B::Output;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<B::Output> {
        loop {
            match &mut self.state {
                ThenState::First(first, f) => {
                    let Poll::Ready(x) = first.poll(cx) else { return Poll::Pending };
                    let f = f.take().expect("then: the continuation is taken once");
                    // Replacing the state drops the finished first coroutine.
                    self.state = ThenState::Second(f(x));
                }
                ThenState::Second(second) => {
                    let Poll::Ready(y) = second.poll(cx) else { return Poll::Pending };
                    self.state = ThenState::Done;
                    return Poll::Ready(y);
                }
                ThenState::Done => panic!("then() polled after it completed"),
            }
        }
    }
}

/// ```text
/// async fn map(inner, f) { f(inner.await) }
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Map<C, F> {
    inner: Option<C>,
    f: Option<F>,
}

impl<C: Coroutine, T, F: FnOnce(C::Output) -> T> Coroutine for Map<C, F> {
    type Output = T;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<T> {
        let inner = self.inner.as_mut().expect("map() polled after it completed");
        let Poll::Ready(x) = inner.poll(cx) else { return Poll::Pending };
        self.inner = None;
        let f = self.f.take().expect("map: the function is taken once");
        Poll::Ready(f(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventLoop, Transcript, block_on, yield_now};

    #[test]
    fn lazy_runs_nothing_until_polled() {
        let out = Transcript::new();
        let log = out.clone();
        let c = lazy(move || log.say("ran"));
        assert!(out.lines().is_empty());
        block_on(c);
        assert_eq!(out.lines(), ["ran"]);
    }

    #[test]
    fn then_and_map_compose_in_order() {
        let c = ready(2).then(|x| yield_now().map(move |()| x * 10)).map(|x| x + 1);
        assert_eq!(EventLoop::new_virtual().run(c).unwrap(), 21);
    }

    #[test]
    fn poll_fn_is_polled_until_ready() {
        let mut polls = 0;
        let c = poll_fn(move |cx: &mut Context<'_>| {
            polls += 1;
            if polls == 3 {
                return Poll::Ready(polls);
            }
            cx.waker().wake();
            Poll::Pending
        });
        assert_eq!(block_on(c), 3);
    }

    #[test]
    #[should_panic(expected = "map() polled after it completed")]
    fn a_finished_map_panics_when_polled_again() {
        let mut c = ready(1).map(|x| x);
        let waker = crate::Waker::noop();
        let mut cx = Context::from_waker(&waker);
        let _ = c.poll(&mut cx);
        let _ = c.poll(&mut cx);
    }
}
