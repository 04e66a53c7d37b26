//! `Stream`: a coroutine that produces many values — asyncio's async generator.
//!
//! ```python
//! async def ticker(n, delay):        # an async generator
//!     for i in range(n):
//!         yield i
//!         await asyncio.sleep(delay)
//!
//! async for i in ticker(3, 1.0): print(i)
//! ```
//! A stream is polled with `poll_next`: `Ready(Some(item))` for each value,
//! `Ready(None)` when it is exhausted, `Pending` to wait. It is the stage-1
//! generator again — but one that may wait between values, and that wakes
//! its consumer instead of being spun.

use crate::{Context, Coroutine, Poll, Sleep, sleep};
use std::time::Duration;

/// A source of values over time.
///
/// ```
/// use rondo::{Context, EventLoop, Poll, Stream, StreamExt};
///
/// // class Countdown: async def __anext__(self): ...  (an async iterator)
/// struct Countdown(u32);
/// impl Stream for Countdown {
///     type Item = u32;
///     fn poll_next(&mut self, _cx: &mut Context<'_>) -> Poll<Option<u32>> {
///         if self.0 == 0 {
///             return Poll::Ready(None); // raise StopAsyncIteration
///         }
///         self.0 -= 1;
///         Poll::Ready(Some(self.0 + 1))
///     }
/// }
/// // [n async for n in Countdown(3)]
/// assert_eq!(EventLoop::new_virtual().run(Countdown(3).collect()).unwrap(), [3, 2, 1]);
/// ```
pub trait Stream {
    /// What each step yields.
    type Item;
    /// Advances to the next value: `Ready(Some(v))`, `Ready(None)` at the end, or `Pending`.
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Self::Item>>;
}

/// `next`, `for_each` and `collect` for every stream (`async for`).
///
/// ```
/// use rondo::{EventLoop, StreamExt, Transcript, ticker};
/// use std::time::Duration;
///
/// // async for i in ticker(3, 1): print(i)
/// let out = Transcript::new();
/// let say = out.clone();
/// let each = ticker(3, Duration::from_secs(1)).for_each(move |i| say.say(i));
/// EventLoop::new_virtual().run(each).unwrap();
/// assert_eq!(out.stamped(), ["0.000 0", "1.000 1", "2.000 2"]);
/// ```
pub trait StreamExt: Stream + Sized {
    /// The next value, or `None` at the end (`await anext(agen)`).
    fn next(&mut self) -> Next<'_, Self> {
        Next { stream: self }
    }

    /// Calls `f` on every value until the stream ends (`async for x in s: f(x)`).
    fn for_each<F: FnMut(Self::Item)>(self, f: F) -> ForEach<Self, F> {
        ForEach { stream: Some(self), f }
    }

    /// Every value, in order (`[x async for x in s]`).
    fn collect(self) -> Collect<Self> {
        Collect { stream: Some(self), items: Vec::new() }
    }
}

impl<S: Stream> StreamExt for S {}

/// ```text
/// async fn next(stream) -> Option<Item> { stream.poll_next().await }
/// ```
///
/// The coroutine returned by [`StreamExt::next`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Next<'a, S> {
    stream: &'a mut S,
}

impl<S: Stream> Coroutine for Next<'_, S> {
    type Output = Option<S::Item>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        self.stream.poll_next(cx)
    }
}

/// ```text
/// async fn for_each(stream, f) { while let Some(item) = stream.next().await { f(item) } }
/// ```
///
/// The coroutine returned by [`StreamExt::for_each`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct ForEach<S, F> {
    stream: Option<S>,
    f: F,
}

impl<S: Stream, F: FnMut(S::Item)> Coroutine for ForEach<S, F> {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let stream = self.stream.as_mut().expect("for_each() polled after it completed");
        loop {
            match crate::ready!(stream.poll_next(cx)) {
                Some(item) => (self.f)(item),
                None => {
                    self.stream = None;
                    return Poll::Ready(());
                }
            }
        }
    }
}

/// ```text
/// async fn collect(stream) -> Vec<Item> {
///     let mut all = vec![];
///     while let Some(item) = stream.next().await { all.push(item) }
///     all
/// }
/// ```
///
/// The coroutine returned by [`StreamExt::collect`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Collect<S: Stream> {
    stream: Option<S>,
    items: Vec<S::Item>,
}

impl<S: Stream> Coroutine for Collect<S> {
    type Output = Vec<S::Item>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Vec<S::Item>> {
        let stream = self.stream.as_mut().expect("collect() polled after it completed");
        loop {
            match crate::ready!(stream.poll_next(cx)) {
                Some(item) => self.items.push(item),
                None => {
                    self.stream = None;
                    return Poll::Ready(std::mem::take(&mut self.items));
                }
            }
        }
    }
}

/// The async generator `ticker(n, delay)`: yields 0, 1, … n-1, sleeping
/// `delay` after each value.
///
/// ```
/// use rondo::{EventLoop, StreamExt, Ticker, ticker};
/// use std::time::Duration;
///
/// // [i async for i in ticker(3, 1)]
/// let ticks: Ticker = ticker(3, Duration::from_secs(1));
/// let ev = EventLoop::new_virtual();
/// assert_eq!(ev.run_until_complete(ticks.collect()).unwrap(), [0, 1, 2]);
/// assert_eq!(ev.time(), 3.0); // it sleeps after each value, the last too
/// ```
pub fn ticker(n: u64, delay: Duration) -> Ticker {
    Ticker { n, delay, state: TickerState::Next(0) }
}

/// ```text
/// async gen fn ticker(n, delay) -> u64 {            // a Stream: yields
///     for i in 0..n {
///         yield i;
///         sleep(delay).await;
///     }
/// }
/// ```
///
/// A hand-written async generator: the stream returned by [`ticker`].
///
/// ```
/// use rondo::{EventLoop, StreamExt, Ticker, ticker};
/// use std::time::Duration;
///
/// // [i async for i in ticker(3, 1)]
/// let ticks: Ticker = ticker(3, Duration::from_secs(1));
/// let ev = EventLoop::new_virtual();
/// assert_eq!(ev.run_until_complete(ticks.collect()).unwrap(), [0, 1, 2]);
/// assert_eq!(ev.time(), 3.0); // it sleeps after each value, the last too
/// ```
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Ticker {
    n: u64,
    delay: Duration,
    state: TickerState,
}

#[derive(Debug)]
enum TickerState {
    /// About to yield this value (the `yield i` of the loop).
    Next(u64),
    /// Sleeping after yielding; then yields this value.
    Sleeping(Sleep, u64),
    /// Returned `None`: exhausted.
    Done,
}

impl Stream for Ticker {
    type Item = u64;
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<u64>> {
        loop {
            match &mut self.state {
                TickerState::Next(i) if *i >= self.n => {
                    self.state = TickerState::Done;
                    return Poll::Ready(None);
                }
                TickerState::Next(i) => {
                    let i = *i;
                    self.state = TickerState::Sleeping(sleep(self.delay), i + 1);
                    return Poll::Ready(Some(i));
                }
                TickerState::Sleeping(nap, next) => {
                    if nap.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.state = TickerState::Next(*next);
                }
                TickerState::Done => panic!("ticker polled after it was exhausted"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventLoop, Transcript};

    #[test]
    fn async_for_over_a_ticker_sees_each_value_after_its_sleep() {
        let out = Transcript::new();
        let log = out.clone();
        let c = ticker(3, Duration::from_secs(1)).for_each(move |i| log.say(i));
        let ev = EventLoop::new_virtual();
        ev.run_until_complete(c).unwrap();
        assert_eq!(out.stamped(), ["0.000 0", "1.000 1", "2.000 2"]);
        assert_eq!(ev.time(), 3.0, "the generator sleeps after its last value too");
    }

    #[test]
    fn collect_gathers_every_value() {
        let v = EventLoop::new_virtual().run(ticker(4, Duration::from_millis(10)).collect()).unwrap();
        assert_eq!(v, [0, 1, 2, 3]);
    }
}
