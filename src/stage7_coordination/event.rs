//! `Event`: a flag that tasks wait to see set — asyncio's `Event`.
//!
//! ```python
//! event = asyncio.Event()
//! async def waiter(): await event.wait()      # parks until someone calls set()
//! event.set()                                 # wakes every waiter, in order
//! ```
//! A flag and a [`Waiters`] line. From CPython's `locks.py`:
//! - `wait` on a set event returns at once, without suspending;
//! - `set` wakes every waiter that is not done, in arrival order; each runs
//!   one iteration later, and **returns even if the flag was cleared
//!   meanwhile**: being woken is the answer (`await fut; return True`),
//!   the flag is not read again;
//! - a waiter cancelled while parked just leaves the line: there is no wake
//!   to pass on, since `set` wakes everyone anyway.
//!
//! Rejected alternative: re-reading the flag when the woken waiter runs
//! (`while !event.is_set() { park }`). It looks safer, but a `set(); clear()`
//! pair — a pulse — would then wake nobody, and asyncio's waiters do return.

use super::waiters::{Waiter, Waiters, report_once};
use crate::stage4_event_loop::seams::WaitsOn;
use crate::{Context, Coroutine, Poll};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

/// A flag tasks can wait on (asyncio: `asyncio.Event`). A `Clone` handle.
///
/// ```
/// use rondo::{CoroutineExt, Event, EventLoop, call_later, lazy};
/// use std::time::Duration;
///
/// // loop.call_later(1, event.set); await event.wait()
/// let event = Event::new();
/// let (setter, waited) = (event.clone(), event.clone());
/// let main = lazy(move || {
///     call_later(Duration::from_secs(1), move || setter.set());
///     waited.wait()
/// })
/// .then(|wait| wait);
/// let ev = EventLoop::new_virtual();
/// ev.run_until_complete(main).unwrap();
/// assert!(event.is_set());
/// assert_eq!(ev.time(), 1.0);
/// ```
#[derive(Clone, Default)]
pub struct Event {
    inner: Rc<EventInner>,
}

#[derive(Default)]
struct EventInner {
    value: Cell<bool>,
    /// Who waits; a woken waiter stays until it runs.
    waiters: RefCell<Waiters>,
    /// Told the loop about itself (for deadlock reports), once.
    reported: Cell<bool>,
}

impl Event {
    /// An event that is not set.
    pub fn new() -> Event {
        Event::default()
    }

    /// `true` once set, until cleared.
    pub fn is_set(&self) -> bool {
        self.inner.value.get()
    }

    /// Sets the flag and wakes every waiter (each runs one iteration later).
    /// Does nothing if it is already set.
    pub fn set(&self) {
        if !self.inner.value.replace(true) {
            self.inner.waiters.borrow().wake_up_to(usize::MAX);
        }
    }

    /// Clears the flag: later `wait`s park again. Waiters already woken
    /// still return.
    pub fn clear(&self) {
        self.inner.value.set(false);
    }

    /// A coroutine that finishes once the flag is set (at once if it is).
    pub fn wait(&self) -> EventWait {
        EventWait { event: self.clone(), state: EventWaitState::Start }
    }
}

impl WaitsOn for EventInner {
    fn waiter_addrs(&self) -> Vec<usize> {
        self.waiters.borrow().addrs()
    }

    fn describe(&self) -> String {
        "waits on an unset Event".to_string()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.is_set() { "set" } else { "unset" };
        write!(f, "Event({state}, {} waiting)", self.inner.waiters.borrow().len())
    }
}

/// ```text
/// async fn wait(event) {
///     if event.value { return }        // set: no suspension
///     let me = event.waiters.push(my waker);
///     suspend until me.woken;          // set() wakes everyone
///     event.waiters.remove(me);        // (also when dropped: cancelled)
/// }
/// ```
///
/// The coroutine returned by [`Event::wait`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct EventWait {
    event: Event,
    state: EventWaitState,
}

enum EventWaitState {
    Start,
    Waiting(Rc<Waiter>),
    Done,
}

impl Coroutine for EventWait {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match &self.state {
            EventWaitState::Start => {
                if self.event.is_set() {
                    self.state = EventWaitState::Done;
                    return Poll::Ready(());
                }
                let me = self.event.inner.waiters.borrow_mut().push(cx);
                let inner = &self.event.inner;
                report_once(&inner.reported, || {
                    let me: Rc<dyn WaitsOn> = inner.clone();
                    Rc::downgrade(&me)
                });
                self.state = EventWaitState::Waiting(me);
                Poll::Pending
            }
            EventWaitState::Waiting(me) => {
                if !me.woken() {
                    me.update(cx);
                    return Poll::Pending;
                }
                // Woken: done, whatever the flag says now.
                self.event.inner.waiters.borrow_mut().remove(me);
                self.state = EventWaitState::Done;
                Poll::Ready(())
            }
            EventWaitState::Done => panic!("Event::wait() polled after it completed"),
        }
    }
}

impl Drop for EventWait {
    /// Cancelled while parked: leave the line (asyncio's `finally:`).
    fn drop(&mut self) {
        if let EventWaitState::Waiting(me) = &self.state {
            self.event.inner.waiters.borrow_mut().remove(me);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage7_coordination::test_util::{Iter, TickLog};
    use crate::{CoroutineExt, EventLoop, block_on, lazy, spawn, yield_now};

    #[test]
    fn waiting_on_a_set_event_does_not_suspend() {
        let event = Event::new();
        event.set();
        block_on(event.wait()); // block_on reports a suspension nobody wakes
        assert!(event.is_set());
    }

    /// Checked on CPython 3.11: the same iterations, and waiter 2 returns
    /// although the flag was cleared before it ran.
    #[test]
    fn set_wakes_everyone_in_order_one_iteration_later_even_if_cleared_meanwhile() {
        let it = Iter::new();
        let out = TickLog::new(&it);
        let ev = it.track(EventLoop::new_virtual());
        let event = Event::new();
        let (e, o) = (event.clone(), out.clone());
        let main = lazy(move || {
            let tasks: Vec<_> = (1..=3)
                .map(|n| {
                    let o = o.clone();
                    spawn(e.wait().map(move |()| o.say(format!("waiter {n} woke"))))
                })
                .collect();
            yield_now().then(move |()| {
                e.set();
                e.clear();
                o.say("set and cleared");
                crate::gather_tasks(tasks)
            })
        })
        .then(|g| g);
        ev.run(main).unwrap().unwrap();
        assert_eq!(
            out.lines(),
            ["2 set and cleared", "3 waiter 1 woke", "3 waiter 2 woke", "3 waiter 3 woke"]
        );
        assert!(!event.is_set());
    }

    #[test]
    fn a_cancelled_waiter_leaves_the_line_and_the_others_still_wake() {
        let event = Event::new();
        let e = event.clone();
        let main = lazy(move || {
            let gone = spawn(e.wait());
            let stays = spawn(e.wait());
            yield_now().then(move |()| {
                assert_eq!(e.inner.waiters.borrow().len(), 2);
                assert!(gone.cancel());
                e.set();
                stays
            })
        })
        .then(|t| t);
        EventLoop::new_virtual().run(main).unwrap().unwrap();
        assert_eq!(event.inner.waiters.borrow().len(), 0);
        assert_eq!(Rc::strong_count(&event.inner), 1, "nothing keeps the event alive");
    }

    #[test]
    fn a_stuck_wait_says_the_event_is_unset() {
        let ev = EventLoop::new_virtual();
        let _t = ev.spawn(Event::new().wait());
        let crate::LoopError::Deadlock { stuck } = ev.run_forever().unwrap_err() else {
            panic!("a deadlock")
        };
        assert_eq!(stuck[0].waits_on, "waits on an unset Event");
    }

    #[test]
    #[should_panic(expected = "Event::wait() polled after it completed")]
    fn polling_after_completion_panics() {
        let event = Event::new();
        event.set();
        let mut wait = event.wait();
        let waker = crate::Waker::noop();
        let mut cx = Context::from_waker(&waker);
        let _ = wait.poll(&mut cx);
        let _ = wait.poll(&mut cx);
    }
}
