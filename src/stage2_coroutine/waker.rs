//! `Waker` and `Context`: how a paused coroutine asks to be polled again.
//!
//! A coroutine that returns `Pending` is making a promise: "I have told
//! somebody to call my waker when I can go on". What *waking* means is up to
//! whoever polls: [`block_on`](super::block_on) sets a flag; the stage-4 event
//! loop puts the task back on its ready queue.
//!
//! Rejected alternative: a waker that is just a task number. It is smaller, but
//! it only works inside one particular event loop; a trait object lets the same
//! coroutine run under `block_on`, the naive runner and the event loop.

use std::rc::Rc;

/// Something that can be told "the coroutine you poll can make progress".
///
/// Single-threaded on purpose: rondo's core is one thread, so wakers are
/// `Rc`-based and need no atomics. (Stage 8 adds the one cross-thread wake.)
///
/// ```
/// use rondo::{Wake, Waker};
/// use std::{cell::Cell, rc::Rc};
///
/// // what "waking" means is up to the poller: this one counts
/// struct Count(Cell<u32>);
/// impl Wake for Count {
///     fn wake(&self) {
///         self.0.set(self.0.get() + 1);
///     }
/// }
/// let count = Rc::new(Count(Cell::new(0)));
/// let waker = Waker::new(count.clone());
/// waker.wake();
/// waker.clone().wake();
/// assert_eq!(count.0.get(), 2);
/// ```
pub trait Wake {
    /// Schedules the coroutine this waker belongs to for another poll.
    fn wake(&self);
}

/// A cloneable handle to a [`Wake`] implementation.
///
/// ```
/// use rondo::Waker;
///
/// let waker = Waker::noop(); // wakes nobody: for runners that poll everything anyway
/// let copy = waker.clone();
/// assert!(copy.will_wake(&waker)); // same target: a coroutine need not store it again
/// ```
#[derive(Clone)]
pub struct Waker {
    target: Rc<dyn Wake>,
}

impl Waker {
    /// Wraps a wake target.
    pub fn new(target: Rc<dyn Wake>) -> Waker {
        Waker { target }
    }

    /// A waker that does nothing: for runners that poll everything anyway
    /// (the stage-3 naive runner) and for tests.
    pub fn noop() -> Waker {
        struct Noop;
        impl Wake for Noop {
            fn wake(&self) {}
        }
        Waker::new(Rc::new(Noop))
    }

    /// Asks for the coroutine to be polled again.
    pub fn wake(&self) {
        self.target.wake()
    }

    /// `true` if both wakers wake the same target (so a stored clone need not be replaced).
    pub fn will_wake(&self, other: &Waker) -> bool {
        self.target_addr() == other.target_addr()
    }

    /// The address of the wake target: identifies it without keeping it alive.
    pub(crate) fn target_addr(&self) -> usize {
        // The data pointer only: two vtables for one type may differ between
        // codegen units, so comparing fat pointers would be unreliable.
        Rc::as_ptr(&self.target) as *const () as usize
    }
}

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Waker({:p})", Rc::as_ptr(&self.target))
    }
}

/// What a poller hands to `poll`: for now, just the waker to call.
///
/// A struct rather than a bare `&Waker` so that it can grow without changing
/// every coroutine's signature (std's `Context` is built the same way).
///
/// ```
/// use rondo::{Context, Coroutine, Poll, Waker, yield_now};
///
/// // poll a coroutine by hand, as an event loop does
/// let waker = Waker::noop();
/// let mut cx = Context::from_waker(&waker);
/// let mut pause = yield_now(); // await asyncio.sleep(0)
/// assert_eq!(pause.poll(&mut cx), Poll::Pending); // suspended once (after waking cx.waker())
/// assert_eq!(pause.poll(&mut cx), Poll::Ready(()));
/// ```
pub struct Context<'a> {
    waker: &'a Waker,
}

impl<'a> Context<'a> {
    /// A context that carries `waker`.
    pub fn from_waker(waker: &'a Waker) -> Context<'a> {
        Context { waker }
    }

    /// The waker of the coroutine being polled.
    pub fn waker(&self) -> &'a Waker {
        self.waker
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    struct Counter(Cell<u32>);
    impl Wake for Counter {
        fn wake(&self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn waking_a_clone_reaches_the_same_target() {
        let counter = Rc::new(Counter(Cell::new(0)));
        let waker = Waker::new(counter.clone());
        let clone = waker.clone();
        clone.wake();
        waker.wake();
        assert_eq!(counter.0.get(), 2);
        assert!(waker.will_wake(&clone));
        assert!(!waker.will_wake(&Waker::noop()));
    }
}
