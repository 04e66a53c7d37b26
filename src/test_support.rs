//! Helpers for the unit tests only.

use crate::{Context, Coroutine, Poll};

/// A coroutine from a closure — stage 5 makes a public one; tests need it earlier.
pub(crate) struct PollFn<F>(pub(crate) F);

impl<T, F: FnMut(&mut Context<'_>) -> Poll<T>> Coroutine for PollFn<F> {
    type Output = T;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<T> {
        (self.0)(cx)
    }
}

/// Never finishes and never arranges a wake-up.
pub(crate) fn never() -> PollFn<impl FnMut(&mut Context<'_>) -> Poll<()>> {
    PollFn(|_: &mut Context<'_>| Poll::Pending)
}
