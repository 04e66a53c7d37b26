//! `yield_now`: the smallest coroutine that pauses — asyncio's `await asyncio.sleep(0)`.

use super::{Context, Coroutine, Poll};

/// Gives the poller a chance to run something else, then finishes.
///
/// ```text
/// async fn yield_now() { /* suspend exactly once */ }
/// ```
/// On the first poll it wakes itself (so it will be polled again) and returns
/// `Pending`; on the second it is `Ready`. Under the event loop the self-wake
/// puts the task at the *tail* of the ready queue, exactly like asyncio's
/// `sleep(0)`, so every other ready task gets a turn first.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, Transcript, lazy, yield_now};
///
/// // await asyncio.sleep(0): let every other ready task run first
/// let out = Transcript::new();
/// let (a, b) = (out.clone(), out.clone());
/// let ev = EventLoop::new_virtual();
/// let main = ev.spawn(yield_now().then(move |()| lazy(move || b.say("main, after yielding"))));
/// let _other = ev.spawn(lazy(move || a.say("other")));
/// ev.run_until_complete(main).unwrap().unwrap();
/// assert_eq!(out.lines(), ["other", "main, after yielding"]);
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { state: YieldState::Start }
}

/// The coroutine returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct YieldNow {
    state: YieldState,
}

#[derive(Debug)]
enum YieldState {
    Start,
    Yielded,
    Done,
}

impl Coroutine for YieldNow {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self.state {
            YieldState::Start => {
                // Ask to be polled again *before* saying Pending: the promise a
                // Pending return makes is that someone will wake us.
                cx.waker().wake();
                self.state = YieldState::Yielded;
                Poll::Pending
            }
            YieldState::Yielded => {
                self.state = YieldState::Done;
                Poll::Ready(())
            }
            YieldState::Done => panic!("yield_now() polled after it completed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage2_coroutine::block_on;

    #[test]
    fn pending_once_then_ready() {
        // block_on panics if a Pending coroutine did not wake itself, so this
        // also checks the self-wake.
        block_on(yield_now());
    }

    #[test]
    #[should_panic(expected = "yield_now() polled after it completed")]
    fn polling_after_completion_panics() {
        let mut y = yield_now();
        let waker = crate::Waker::noop();
        let mut cx = Context::from_waker(&waker);
        assert!(y.poll(&mut cx).is_pending());
        assert!(y.poll(&mut cx).is_ready());
        let _ = y.poll(&mut cx);
    }
}
