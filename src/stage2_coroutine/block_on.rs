//! `block_on`: the smallest executor — poll one coroutine until it is done.

use super::{Context, Coroutine, Poll, Wake, Waker};
use std::cell::Cell;
use std::rc::Rc;

/// Runs `coroutine` to completion on the current thread and returns its output.
///
/// The waker it hands out only sets a flag. After a `Pending` the flag must
/// be set — by the coroutine itself (as [`yield_now`](super::yield_now) does) —
/// or else nothing in the world can ever wake it: `block_on` has no timers and
/// no I/O. Rather than spin or hang forever, it panics and says so.
///
/// ```
/// use rondo::stage2_coroutine::{block_on, yield_now};
/// block_on(yield_now()); // pauses once, wakes itself, finishes
/// ```
pub fn block_on<C: Coroutine>(mut coroutine: C) -> C::Output {
    let flag = Rc::new(WokenFlag(Cell::new(false)));
    let waker = Waker::new(flag.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = coroutine.poll(&mut cx) {
            return output;
        }
        // `replace(false)` reads and clears in one go, ready for the next poll.
        if !flag.0.replace(false) {
            panic!(
                "block_on: the coroutine returned Pending without arranging a wake-up, \
                 and block_on has no timers or I/O that could wake it; \
                 run coroutines that sleep with rondo::run(...) instead"
            );
        }
    }
}

/// The flag behind `block_on`'s waker.
struct WokenFlag(Cell<bool>);

impl Wake for WokenFlag {
    fn wake(&self) {
        self.0.set(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pending forever, and never wakes anyone: a hung coroutine.
    struct Stuck;
    impl Coroutine for Stuck {
        type Output = ();
        fn poll(&mut self, _cx: &mut Context<'_>) -> Poll<()> {
            Poll::Pending
        }
    }

    /// Ready with 42 on the third poll, waking itself each time before.
    struct ThirdTime(u32);
    impl Coroutine for ThirdTime {
        type Output = u32;
        fn poll(&mut self, cx: &mut Context<'_>) -> Poll<u32> {
            self.0 += 1;
            if self.0 == 3 {
                Poll::Ready(42)
            } else {
                cx.waker().wake();
                Poll::Pending
            }
        }
    }

    #[test]
    fn returns_the_output_after_several_polls() {
        assert_eq!(block_on(ThirdTime(0)), 42);
    }

    #[test]
    #[should_panic(expected = "without arranging a wake-up")]
    fn a_coroutine_nobody_can_wake_is_an_error_not_a_hang() {
        block_on(Stuck);
    }
}
