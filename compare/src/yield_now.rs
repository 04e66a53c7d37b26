//! `await asyncio.sleep(0)` for every Rust runtime: a future that wakes
//! itself and returns `Pending` once. One definition, shared by the
//! measurements (`workloads.rs`) and the traces (`traces/`), so that a yield
//! is the same hand-written future on every runtime, never a runtime's own.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Wakes itself and returns `Pending` once: a yield to the scheduler.
#[derive(Default)]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
