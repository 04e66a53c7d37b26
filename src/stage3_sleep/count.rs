//! Seed 004's `count()`: the coroutine behind `countasync` and `countsync`.
//!
//! ```python
//! async def count():
//!     print("One")
//!     await asyncio.sleep(1)
//!     print("Two")
//! ```
//! Three of these, run together, say One One One, wait *one* second, and say
//! Two Two Two. The `count_blocking` variant uses `time.sleep(1)` (here
//! [`blocking_sleep`]) instead: the sleep blocks the whole thread, so the three
//! run one after the other and take three seconds — the same as `countsync`,
//! even under a runner that could have overlapped them.

use super::{Sleep, blocking_sleep, sleep};
use crate::{Context, Coroutine, Poll, Transcript};
use std::time::Duration;

/// `count()`: say "One", sleep one second without blocking, say "Two".
pub fn count(out: Transcript) -> Count {
    Count { out, blocking: false, state: CountState::Start }
}

/// `count()` written with a *blocking* sleep: One, (thread frozen 1 s), Two.
pub fn count_blocking(out: Transcript) -> Count {
    Count { out, blocking: true, state: CountState::Start }
}

/// ```text
/// async fn count() {
///     print("One");
///     sleep(1 s).await;          // count_blocking: blocking_sleep(1 s), no await
///     print("Two");
/// }
/// ```
///
/// The state machine of [`count`] and [`count_blocking`].
#[derive(Debug)]
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Count {
    out: Transcript,
    blocking: bool,
    state: CountState,
}

#[derive(Debug)]
enum CountState {
    Start,
    Sleeping(Sleep),
    Done,
}

impl Coroutine for Count {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                CountState::Start => {
                    self.out.say("One");
                    if self.blocking {
                        // Never returns Pending: nobody else can run meanwhile.
                        blocking_sleep(Duration::from_secs(1));
                        self.out.say("Two");
                        self.state = CountState::Done;
                        return Poll::Ready(());
                    }
                    self.state = CountState::Sleeping(sleep(Duration::from_secs(1)));
                }
                CountState::Sleeping(nap) => {
                    if nap.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.out.say("Two");
                    self.state = CountState::Done;
                    return Poll::Ready(());
                }
                CountState::Done => panic!("count() polled after it completed"),
            }
        }
    }

    fn state_name(&self) -> Option<String> {
        Some(match &self.state {
            CountState::Start => "Start".to_string(),
            CountState::Sleeping(nap) => match nap.deadline() {
                Some(deadline) => format!("Sleeping(until {:.3})", deadline.as_secs_f64()),
                None => "Sleeping".to_string(),
            },
            CountState::Done => "Done".to_string(),
        })
    }
}
