//! `Poll`: the answer a coroutine gives each time it is advanced.

/// The result of advancing a coroutine by one step.
///
/// This is rondo's own copy of `std::task::Poll`: `Ready(v)` means the
/// coroutine finished with `v` (and must not be polled again); `Pending` means
/// it could not finish yet and has arranged to be woken when it can go on.
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
}
