//! `select` and `race`: the first coroutine to finish wins; the others are dropped.
//!
//! asyncio has no single call for this (`wait(..., FIRST_COMPLETED)` then
//! cancel the rest is the idiom). Polled inline, like [`join`](super::join):
//! on each poll the children are polled in order, and the first one `Ready`
//! decides. The losers are *dropped* — that is how rondo cancels a coroutine
//! (its `Drop` runs; a sleep withdraws its timer).

use crate::stage4_event_loop::in_cancel_scope;
use crate::{Context, Coroutine, Poll};

/// Which of two coroutines won, with its output.
///
/// ```
/// use rondo::{Either, EventLoop, ready, select, sleep};
/// use std::time::Duration;
///
/// let won = EventLoop::new_virtual().run(select(sleep(Duration::from_secs(1)), ready(7))).unwrap();
/// match won {
///     Either::Left(()) => unreachable!("the sleep lost"),
///     Either::Right(n) => assert_eq!(n, 7),
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Either<A, B> {
    /// The first coroutine finished first.
    Left(A),
    /// The second coroutine finished first.
    Right(B),
}

/// Runs `a` and `b` until one finishes; drops the other.
///
/// ```
/// use rondo::{CoroutineExt, Either, EventLoop, select, sleep};
/// use std::time::Duration;
///
/// // done, pending = await asyncio.wait({a, b}, return_when=FIRST_COMPLETED)
/// // and cancel the loser
/// let slow = sleep(Duration::from_secs(5)).map(|()| 5);
/// let fast = sleep(Duration::from_secs(1)).map(|()| "fast");
/// let ev = EventLoop::new_virtual();
/// assert_eq!(ev.run_until_complete(select(slow, fast)).unwrap(), Either::Right("fast"));
/// assert_eq!(ev.time(), 1.0);
/// ```
pub fn select<A: Coroutine, B: Coroutine>(a: A, b: B) -> Select<A, B> {
    Select { children: Some((a, b)) }
}

/// ```text
/// async fn select(a, b) -> Either<A, B> {
///     loop {
///         if let Ready(x) = a.poll() { cancel b; return Left(x) }
///         if let Ready(y) = b.poll() { cancel a; return Right(y) }
///         suspend;
///     }
/// }
/// ```
///
/// The coroutine returned by [`select`].
///
/// ```
/// use rondo::{Either, Select, block_on, ready, select, sleep};
/// use std::time::Duration;
///
/// // a tie goes to the first
/// let first: Select<_, _> = select(ready("a"), sleep(Duration::ZERO));
/// assert_eq!(block_on(first), Either::Left("a"));
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Select<A, B> {
    children: Option<(A, B)>,
}

impl<A: Coroutine, B: Coroutine> Coroutine for Select<A, B> {
    type Output = Either<A::Output, B::Output>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (a, b) = self.children.as_mut().expect("select() polled after it completed");
        let winner = match a.poll(cx) {
            Poll::Ready(x) => Either::Left(x),
            Poll::Pending => match b.poll(cx) {
                Poll::Ready(y) => Either::Right(y),
                Poll::Pending => return Poll::Pending,
            },
        };
        // Drops the loser — cancels it: its clean-up runs now, and a task it
        // was awaiting is cancelled too (stage 6).
        let losers = self.children.take();
        in_cancel_scope(|| drop(losers));
        Poll::Ready(winner)
    }
}

/// Runs coroutines of one type until the first finishes: `(index, output)`;
/// drops the others. An empty race never finishes, so it is refused.
///
/// # Panics
/// If `coroutines` is empty.
///
/// ```
/// use rondo::{Coroutine, CoroutineExt, EventLoop, race, sleep};
/// use std::time::Duration;
///
/// fn nap(secs: u64) -> impl Coroutine<Output = u64> {
///     sleep(Duration::from_secs(secs)).map(move |()| secs)
/// }
///
/// // the first of asyncio.as_completed(...), the others cancelled
/// let ev = EventLoop::new_virtual();
/// assert_eq!(ev.run_until_complete(race(vec![nap(3), nap(1), nap(2)])).unwrap(), (1, 1)); // (index, output)
/// assert_eq!(ev.time(), 1.0);
/// ```
pub fn race<C: Coroutine>(coroutines: Vec<C>) -> Race<C> {
    assert!(!coroutines.is_empty(), "race() of no coroutines would never finish");
    Race { children: Some(coroutines) }
}

/// ```text
/// async fn race(children) -> (usize, T) {
///     loop {
///         for (i, child) in children {
///             if let Ready(x) = child.poll() { cancel the others; return (i, x) }
///         }
///         suspend;
///     }
/// }
/// ```
///
/// The coroutine returned by [`race`].
///
/// ```
/// use rondo::{Race, block_on, race, ready};
///
/// let first: Race<_> = race(vec![ready('x'), ready('y')]);
/// assert_eq!(block_on(first), (0, 'x'));
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Race<C> {
    children: Option<Vec<C>>,
}

impl<C: Coroutine> Coroutine for Race<C> {
    type Output = (usize, C::Output);
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let children = self.children.as_mut().expect("race() polled after it completed");
        for (index, child) in children.iter_mut().enumerate() {
            if let Poll::Ready(output) = child.poll(cx) {
                let losers = self.children.take(); // every loser is cancelled
                in_cancel_scope(|| drop(losers));
                return Poll::Ready((index, output));
            }
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CoroutineExt, EventLoop, sleep};
    use std::time::Duration;

    #[test]
    fn the_first_to_finish_wins_and_the_loser_is_dropped_with_its_timer() {
        let ev = EventLoop::new_virtual();
        let fast = sleep(Duration::from_secs(1)).map(|()| "fast");
        let slow = sleep(Duration::from_secs(60)).map(|()| 60);
        assert_eq!(ev.run_until_complete(select(slow, fast)).unwrap(), Either::Right("fast"));
        // Nothing is left to wake the loop: the 60 s timer was withdrawn.
        assert_eq!(ev.run_forever(), Err(crate::LoopError::Deadlock { stuck: vec![] }));
        assert_eq!(ev.time(), 1.0);
    }

    #[test]
    fn race_reports_the_winners_index() {
        let naps: Vec<_> =
            [5u64, 2, 9].map(|s| sleep(Duration::from_secs(s)).map(move |()| s)).into_iter().collect();
        assert_eq!(EventLoop::new_virtual().run(race(naps)).unwrap(), (1, 2));
    }

    #[test]
    #[should_panic(expected = "race() of no coroutines would never finish")]
    fn an_empty_race_is_refused() {
        let _ = race(Vec::<crate::Sleep>::new());
    }
}
