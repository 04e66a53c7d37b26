//! `Poll`: the answer a coroutine gives each time it is advanced.

/// The result of advancing a coroutine by one step.
///
/// This is rondo's own copy of `std::task::Poll`: `Ready(v)` means the
/// coroutine finished with `v` (and must not be polled again); `Pending` means
/// it could not finish yet and has arranged to be woken when it can go on.
///
/// ```
/// use rondo::{Context, Coroutine, Poll, Waker, sleep};
/// use std::time::Duration;
///
/// // A coroutine that is not polled does nothing; polled once, a sleep
/// // of zero suspends exactly once (asyncio: `await asyncio.sleep(0)`).
/// let waker = Waker::noop();
/// let mut cx = Context::from_waker(&waker);
/// let mut nap = sleep(Duration::ZERO);
/// assert_eq!(nap.poll(&mut cx), Poll::Pending);
/// assert_eq!(nap.poll(&mut cx), Poll::Ready(()));
/// ```
///
/// **`?` does not work on it.** `?` on a value calls the `Try` trait, which
/// is still unstable: std's own `Poll` gets `?` from impls inside std that a
/// crate on stable Rust cannot write for its own type. Use
/// [`ready!`](crate::ready!) instead — `let x = ready!(child.poll(cx));`
/// returns `Poll::Pending` early, as `?` would — which is all std's
/// `std::task::ready!` gives too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use = "a Poll says whether the coroutine finished; ignoring it loses the output"]
pub enum Poll<T> {
    /// Finished, with the coroutine's output.
    Ready(T),
    /// Not finished; the coroutine kept a waker and will call it when it can progress.
    Pending,
}

impl<T> Poll<T> {
    /// `true` for `Ready`.
    pub fn is_ready(&self) -> bool {
        matches!(self, Poll::Ready(_))
    }

    /// `true` for `Pending`.
    pub fn is_pending(&self) -> bool {
        !self.is_ready()
    }

    /// Transforms the ready value, keeping `Pending` as it is.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Poll<U> {
        match self {
            Poll::Ready(v) => Poll::Ready(f(v)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Extracts the value of a `Poll::Ready`, or returns `Poll::Pending` from
/// the enclosing function: the `await` of a hand-written state machine.
///
/// `let x = ready!(child.poll(cx));` reads "await the child; if it is not
/// done, neither am I" — the child has kept the waker, so this coroutine is
/// woken when the child can go on. It is rondo's copy of
/// `std::task::ready!`, for rondo's [`Poll`]; `?` cannot do it on stable
/// Rust (see [`Poll`]).
///
/// ```
/// use rondo::{Context, Coroutine, EventLoop, Poll, Sleep, ready, sleep};
/// use std::time::Duration;
///
/// // async def twice_as_late(): await asyncio.sleep(1); return 2
/// struct TwiceAsLate(Sleep);
///
/// impl Coroutine for TwiceAsLate {
///     type Output = u32;
///     fn poll(&mut self, cx: &mut Context<'_>) -> Poll<u32> {
///         ready!(self.0.poll(cx)); // Pending from here while the sleep is
///         Poll::Ready(2)
///     }
/// }
///
/// let ev = EventLoop::new_virtual();
/// let two = ev.run_until_complete(TwiceAsLate(sleep(Duration::from_secs(1)))).unwrap();
/// assert_eq!((two, ev.time()), (2, 1.0));
/// ```
#[macro_export]
macro_rules! ready {
    ($poll:expr $(,)?) => {
        match $poll {
            $crate::Poll::Ready(value) => value,
            $crate::Poll::Pending => return $crate::Poll::Pending,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_pending_and_transforms_ready() {
        assert_eq!(Poll::Ready(2).map(|x| x * 10), Poll::Ready(20));
        assert_eq!(Poll::<i32>::Pending.map(|x| x * 10), Poll::Pending);
        assert!(Poll::Ready(()).is_ready());
        assert!(Poll::<()>::Pending.is_pending());
    }

    #[test]
    fn ready_returns_pending_early_and_unwraps_ready() {
        fn add_one(p: Poll<i32>) -> Poll<i32> {
            let x = crate::ready!(p);
            Poll::Ready(x + 1)
        }
        assert_eq!(add_one(Poll::Ready(1)), Poll::Ready(2));
        assert_eq!(add_one(Poll::Pending), Poll::Pending);
    }
}
