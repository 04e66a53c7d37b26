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
//!
//! (Just over 300 lines: six small coroutines and their compiled examples.)

use crate::{Context, Coroutine, Poll};

/// A coroutine that is finished at its first poll (`async def f(): return v`).
///
/// ```
/// use rondo::{block_on, ready};
///
/// // async def answer(): return 42
/// assert_eq!(block_on(ready(42)), 42);
/// ```
pub fn ready<T>(value: T) -> Ready<T> {
    Ready(Some(value))
}

/// ```text
/// async fn ready(value) -> T { value }
/// ```
///
/// The coroutine returned by [`ready`].
///
/// ```
/// use rondo::{CoroutineExt, Ready, block_on, ready};
///
/// let r: Ready<&str> = ready("now");
/// assert_eq!(block_on(r.map(str::len)), 3);
/// ```
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
///
/// ```
/// use rondo::{Transcript, block_on, lazy};
///
/// // async def hello(): print("hello")   — calling it runs nothing yet
/// let out = Transcript::new();
/// let say = out.clone();
/// let hello = lazy(move || say.say("hello"));
/// assert!(out.lines().is_empty());
/// block_on(hello); // await hello()
/// assert_eq!(out.lines(), ["hello"]);
/// ```
pub fn lazy<T, F: FnOnce() -> T>(f: F) -> Lazy<F> {
    Lazy(Some(f))
}

/// ```text
/// async fn lazy(f) -> T { f() }
/// ```
///
/// The coroutine returned by [`lazy`].
///
/// ```
/// use rondo::{Lazy, block_on, lazy};
///
/// let sum: Lazy<_> = lazy(|| (1..=4).sum::<u32>());
/// assert_eq!(block_on(sum), 10);
/// ```
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
///
/// ```
/// use rondo::{Poll, block_on, poll_fn};
///
/// // `await asyncio.sleep(0)` by hand: pending once (asking to be woken), then done
/// let mut first = true;
/// let once = poll_fn(move |cx| {
///     if first {
///         first = false;
///         cx.waker().wake();
///         return Poll::Pending;
///     }
///     Poll::Ready("second poll")
/// });
/// assert_eq!(block_on(once), "second poll");
/// ```
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
///
/// ```
/// use rondo::{Poll, PollFn, block_on, poll_fn};
///
/// let now: PollFn<_> = poll_fn(|_cx| Poll::Ready(1));
/// assert_eq!(block_on(now), 1);
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct PollFn<F>(F);

impl<T, F: FnMut(&mut Context<'_>) -> Poll<T>> Coroutine for PollFn<F> {
    type Output = T;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<T> {
        (self.0)(cx)
    }
}

/// `then` and `map` for every coroutine.
///
/// ```
/// use rondo::{CoroutineExt, block_on, ready};
///
/// // x = await twenty(); y = await double(x + 1)
/// let chain = ready(20).map(|x| x + 1).then(|x| ready(x * 2));
/// assert_eq!(block_on(chain), 42);
/// let boxed = vec![ready(1).boxed(), ready(1).map(|x| x + 1).boxed()]; // one type
/// assert_eq!(boxed.len(), 2);
/// ```
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
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, Then, sleep};
/// use std::time::Duration;
///
/// // await asyncio.sleep(1); await asyncio.sleep(2)
/// let both: Then<_, _, _> = sleep(Duration::from_secs(1)).then(|()| sleep(Duration::from_secs(2)));
/// let ev = EventLoop::new_virtual();
/// ev.run_until_complete(both).unwrap();
/// assert_eq!(ev.time(), 3.0);
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
///
/// ```
/// use rondo::{CoroutineExt, Map, block_on, ready};
///
/// // len(await greeting())
/// let length: Map<_, _> = ready("hello").map(str::len);
/// assert_eq!(block_on(length), 5);
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
