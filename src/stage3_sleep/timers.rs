//! The timer context: how `sleep` asks "what time is it?" and leaves a wake-up call.
//!
//! A `Sleep` does not own a clock and must not start a thread. It needs two
//! services from whoever is running it: the current time, and somewhere to
//! register "wake me at this deadline". Both runners in rondo provide them —
//! the stage-3 naive runner (which only uses the deadline to let a virtual
//! clock jump) and the stage-4 event loop (which keeps a timer heap) — by
//! installing themselves in a thread-local for as long as they run.
//!
//! This is asyncio's `get_running_loop()`: code deep inside a coroutine
//! finds its runtime without having it passed down every call. Rejected
//! alternative: putting the timers into `Context`. That would tie every
//! coroutine to rondo's `Context`; stage 9 polls rondo coroutines from
//! `std::future::Future`s, whose `Context` has no room for them.

use crate::Waker;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// What a runtime offers to timed coroutines.
///
/// ```
/// use rondo::stage3_sleep::timers::enter;
/// use rondo::{Context, Coroutine, Poll, TimerId, Timers, Waker, now, sleep};
/// use std::{cell::RefCell, rc::Rc, time::Duration};
///
/// // the least a runtime offers sleep(): the time, and wake-up calls
/// struct Frozen(RefCell<Vec<TimerId>>);
/// impl Timers for Frozen {
///     fn now(&self) -> Duration {
///         Duration::from_secs(7)
///     }
///     fn add_timer(&self, deadline: Duration, _waker: &Waker) -> TimerId {
///         let id = TimerId { deadline, seq: self.0.borrow().len() as u64, owner: 0 };
///         self.0.borrow_mut().push(id);
///         id
///     }
///     fn cancel_timer(&self, _id: TimerId) {}
///     fn block_for(&self, _duration: Duration) {}
/// }
/// let frozen = Rc::new(Frozen(RefCell::new(Vec::new())));
/// let _inside = enter(frozen.clone()); // this thread's runtime, until dropped
/// assert_eq!(now(), Duration::from_secs(7));
/// let waker = Waker::noop();
/// assert_eq!(sleep(Duration::from_secs(1)).poll(&mut Context::from_waker(&waker)), Poll::Pending);
/// assert_eq!(frozen.0.borrow()[0].deadline, Duration::from_secs(8));
/// ```
pub trait Timers {
    /// The runtime's current time.
    fn now(&self) -> Duration;
    /// Asks for `waker` to be woken once the time reaches `deadline`.
    fn add_timer(&self, deadline: Duration, waker: &Waker) -> TimerId;
    /// Withdraws a timer that has not fired yet (a sleep dropped early).
    fn cancel_timer(&self, id: TimerId);
    /// Holds the whole thread for `duration`: see [`blocking_sleep`].
    fn block_for(&self, duration: Duration);
}

/// Names one registered timer, so that it can be cancelled.
///
/// ```
/// use rondo::TimerId;
/// use std::time::Duration;
///
/// // asyncio orders its TimerHandles by (when, sequence) in the same way
/// let first = TimerId { deadline: Duration::from_secs(1), seq: 0, owner: 1 };
/// let second = TimerId { seq: 1, ..first };
/// assert_ne!(first, second); // same deadline: registration order tells them apart
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerId {
    /// When it fires.
    pub deadline: Duration,
    /// Registration order: breaks ties between equal deadlines, first come first served.
    pub seq: u64,
    /// The id of the runtime that registered it ([`new_runtime_id`]): a
    /// runtime ignores requests to cancel another's timers (a sleep dropped
    /// while a different loop runs).
    pub owner: u32,
}

/// The last instant a timer can name: about 584 years of runtime time (a
/// `u64` of nanoseconds). A deadline at or past it means "never" — a sleep
/// of `Duration::MAX` is a sleep that never ends, not an overflow.
pub const END_OF_TIME: Duration = Duration::from_nanos(u64::MAX);

/// The deadline `delay` after `now`: saturating, so that a delay past the
/// end of representable time gives a deadline that [`is_never`] says is never.
pub fn deadline_after(now: Duration, delay: Duration) -> Duration {
    now.saturating_add(delay)
}

/// `true` for a deadline at or past [`END_OF_TIME`]: one that never comes.
pub fn is_never(deadline: Duration) -> bool {
    deadline >= END_OF_TIME
}

/// A fresh runtime id: every runtime takes one when it is made, and stamps
/// it on the timers it hands out. Never reused (a process would have to make
/// four billion runtimes first), so an id names one runtime for good.
pub fn new_runtime_id() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

thread_local! {
    /// The runtime running on this thread, if any.
    static CURRENT: RefCell<Option<Rc<dyn Timers>>> = const { RefCell::new(None) };
}

/// Installs `timers` as this thread's runtime until the guard is dropped.
///
/// # Panics
/// If a runtime is already running on this thread: one thread, one loop.
pub fn enter(timers: Rc<dyn Timers>) -> TimersGuard {
    CURRENT.with(|current| {
        let mut current = current.borrow_mut();
        assert!(
            current.is_none(),
            "cannot start a runtime from inside a running runtime: \
             await the coroutine (or spawn it) instead of running it"
        );
        *current = Some(timers);
    });
    TimersGuard { _private: () }
}

/// Uninstalls the runtime when dropped — also when a coroutine panics, so a
/// later runtime on this thread starts clean.
#[must_use = "the runtime is uninstalled when the guard is dropped"]
pub struct TimersGuard {
    _private: (),
}

impl Drop for TimersGuard {
    fn drop(&mut self) {
        CURRENT.with(|current| current.borrow_mut().take());
    }
}

/// Runs `f` with this thread's runtime.
///
/// # Panics
/// Outside a running runtime, with a message naming `what` was called.
pub fn with_timers<R>(what: &str, f: impl FnOnce(&dyn Timers) -> R) -> R {
    CURRENT.with(|current| match &*current.borrow() {
        Some(timers) => f(&**timers),
        None => panic!(
            "{what} called outside a running event loop: \
             run your program with rondo::run(main) (or an EventLoop) first"
        ),
    })
}

/// Runs `f` with this thread's runtime, or returns `None` outside one.
pub fn try_with_timers<R>(f: impl FnOnce(&dyn Timers) -> R) -> Option<R> {
    CURRENT.with(|current| current.borrow().as_ref().map(|t| f(&**t)))
}

/// A *blocking* sleep, like Python's `time.sleep`: the thread, and with it
/// every coroutine of the runtime, stops for `duration`.
///
/// This is the mistake seed 003 warns about, kept callable so examples can
/// show it. Under a virtual clock, time jumps forward by `duration` while
/// nothing else runs — exactly what a real blocking call does to the loop.
/// Outside a runtime it simply sleeps the thread.
///
/// ```
/// use rondo::{EventLoop, blocking_sleep, lazy};
/// use std::time::Duration;
///
/// // time.sleep(2) inside a coroutine: the whole loop stops for 2 s
/// let ev = EventLoop::new_virtual(); // virtual: time jumps instead of waiting
/// ev.set_slow_step_threshold(None); // (and no slow-step warning for it)
/// ev.run_until_complete(lazy(|| blocking_sleep(Duration::from_secs(2)))).unwrap();
/// assert_eq!(ev.time(), 2.0);
/// ```
pub fn blocking_sleep(duration: Duration) {
    if try_with_timers(|t| t.block_for(duration)).is_none() {
        std::thread::sleep(duration);
    }
}

/// The runtime's time, or `None` outside any runtime.
pub fn try_now() -> Option<Duration> {
    try_with_timers(|t| t.now())
}

/// The running loop's time (seconds since it started, as a `Duration`).
///
/// # Panics
/// Outside a running runtime.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, lazy, now, sleep};
/// use std::time::Duration;
///
/// // asyncio.get_running_loop().time()
/// let when = sleep(Duration::from_millis(1500)).then(|()| lazy(now));
/// assert_eq!(EventLoop::new_virtual().run(when).unwrap(), Duration::from_millis(1500));
/// ```
pub fn now() -> Duration {
    with_timers("now()", |timers| timers.now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    struct Fixed(Cell<u64>);
    impl Timers for Fixed {
        fn now(&self) -> Duration {
            Duration::from_secs(7)
        }
        fn add_timer(&self, deadline: Duration, _: &Waker) -> TimerId {
            self.0.set(self.0.get() + 1);
            TimerId { deadline, seq: self.0.get(), owner: 0 }
        }
        fn cancel_timer(&self, _: TimerId) {}
        fn block_for(&self, _: Duration) {}
    }

    #[test]
    fn installed_only_while_the_guard_lives() {
        assert_eq!(try_now(), None);
        {
            let _guard = enter(Rc::new(Fixed(Cell::new(0))));
            assert_eq!(now(), Duration::from_secs(7));
        }
        assert_eq!(try_now(), None);
    }

    #[test]
    #[should_panic(expected = "now() called outside a running event loop")]
    fn outside_a_runtime_is_a_clear_error() {
        now();
    }

    #[test]
    #[should_panic(expected = "cannot start a runtime from inside a running runtime")]
    fn nesting_is_refused() {
        let _a = enter(Rc::new(Fixed(Cell::new(0))));
        let _b = enter(Rc::new(Fixed(Cell::new(0))));
    }
}
