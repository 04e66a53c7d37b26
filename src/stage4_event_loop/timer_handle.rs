//! `TimerHandle`: what `call_later` returns — the user's way to withdraw the callback.

use super::core::Core;
use crate::TimerId;
use std::rc::Weak;
use std::time::Duration;

/// A `call_later` callback that has not run yet (asyncio: `TimerHandle`).
///
/// ```
/// use rondo::{EventLoop, sleep};
/// use std::time::Duration;
///
/// // handle = loop.call_later(5, callback); handle.when(); handle.cancel()
/// let ev = EventLoop::new_virtual();
/// let handle = ev.call_later(Duration::from_secs(5), || unreachable!("cancelled"));
/// assert_eq!(handle.deadline(), Duration::from_secs(5));
/// assert!(handle.cancel());
/// ev.run_until_complete(sleep(Duration::from_secs(10))).unwrap();
/// ```
#[derive(Debug)]
#[must_use = "dropping the handle does not cancel the callback; keep it to cancel"]
pub struct TimerHandle {
    pub(super) id: TimerId,
    pub(super) core: Weak<Core>,
}

impl TimerHandle {
    /// When the callback is due, in loop time.
    pub fn deadline(&self) -> Duration {
        self.id.deadline
    }

    /// Withdraws the callback. `false` if it already ran (or the loop is gone).
    /// Consumes the handle: a timer is cancelled at most once.
    pub fn cancel(self) -> bool {
        match self.core.upgrade() {
            Some(core) => core.timers.borrow_mut().cancel(self.id),
            None => false,
        }
    }
}
