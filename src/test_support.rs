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

/// A `Write` whose bytes a test reads back (observers write to it).
#[derive(Clone, Default)]
pub(crate) struct SharedBuffer(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl SharedBuffer {
    /// Everything written so far, as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.borrow().clone()).expect("utf-8")
    }
}

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
