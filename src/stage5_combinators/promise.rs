//! `Promise`: a result that someone will set later — asyncio's `Future`.
//!
//! ```python
//! future = asyncio.Future()
//! async def bar(future): await asyncio.sleep(2); future.set_result("future is resolved")
//! async def foo(future): result = await future      # many may await the same future
//! ```
//! A `Promise<T>` is a shared cell: any number of coroutines await it
//! ([`Promise::wait`]), and whoever has a clone sets it once. Awaiters and
//! done-callbacks are kept in one list, in the order they registered; when
//! the promise is resolved they are scheduled in that order — awaiting tasks
//! resume on the next iteration, and callbacks run via `call_soon`, exactly
//! as asyncio schedules a future's callbacks.
//!
//! Every awaiter gets its own copy of the value, hence `T: Clone`.
//!
//! (Just over 300 lines: the promise, its waiting coroutine, its examples
//! and tests, which share `Inner`.)

use crate::stage4_event_loop::seams::{WaitsOn, report_waits_on};
use crate::stage4_event_loop::{Callback, Core, running_loop};
use crate::{Context, Coroutine, Poll, TaskError, Waker};
use std::cell::RefCell;
use std::fmt;
use std::panic::Location;
use std::rc::{Rc, Weak};

/// A value that will be set later, awaitable by any number of coroutines.
///
/// ```
/// use rondo::{EventLoop, Promise};
/// use std::time::Duration;
///
/// // fut = loop.create_future(); loop.call_later(1, fut.set_result, "hi"); await fut
/// let ev = EventLoop::new_virtual();
/// let promise = Promise::new();
/// let setter = promise.clone();
/// let _timer = ev.call_later(Duration::from_secs(1), move || setter.set_result("hi"));
/// assert_eq!(ev.run_until_complete(promise.wait()).unwrap(), Ok("hi"));
/// assert_eq!((promise.done(), promise.result()), (true, Some(Ok("hi")))); // fut.done(), fut.result()
/// ```
pub struct Promise<T> {
    inner: Rc<RefCell<Inner<T>>>,
}

impl<T> Clone for Promise<T> {
    fn clone(&self) -> Self {
        Promise { inner: self.inner.clone() }
    }
}

struct Inner<T> {
    outcome: Option<Result<T, TaskError>>,
    /// Awaiters and callbacks, in registration order; emptied on resolution.
    listeners: Vec<Listener<T>>,
    /// The loop that runs the callbacks (captured when one is added).
    event_loop: Option<Weak<Core>>,
    /// Where it was made, for deadlock reports.
    created_at: &'static Location<'static>,
    /// Told the loop about itself (stage 6), once.
    registered: bool,
}

/// A callback given to `add_done_callback`.
type DoneCallback<T> = Box<dyn FnOnce(&Promise<T>)>;

enum Listener<T> {
    /// A coroutine awaiting the promise.
    Awaiter(Waker),
    /// `add_done_callback`, and where it was called (reported if it panics).
    Callback(DoneCallback<T>, &'static Location<'static>),
}

impl<T: Clone + 'static> Default for Promise<T> {
    #[track_caller]
    fn default() -> Self {
        Promise::new()
    }
}

impl<T: Clone + 'static> Promise<T> {
    /// A promise nobody has set yet.
    #[track_caller]
    pub fn new() -> Promise<T> {
        let inner = Inner {
            outcome: None,
            listeners: Vec::new(),
            event_loop: None,
            created_at: Location::caller(),
            registered: false,
        };
        Promise { inner: Rc::new(RefCell::new(inner)) }
    }

    /// Sets the value and schedules every awaiter and callback.
    ///
    /// # Panics
    /// If the promise was already resolved (asyncio: `InvalidStateError`).
    pub fn set_result(&self, value: T) {
        self.resolve(Ok(value), "set_result");
    }

    /// Fails the promise: awaiters get `Err(TaskError::Failed(message))`.
    ///
    /// # Panics
    /// If the promise was already resolved.
    pub fn set_error(&self, message: impl Into<String>) {
        self.resolve(Err(TaskError::Failed(message.into().into())), "set_error");
    }

    /// Cancels the promise if it is still pending: awaiters get
    /// `Err(TaskError::Cancelled)`. Returns `false` if it was already resolved.
    pub fn cancel(&self) -> bool {
        if self.done() {
            return false;
        }
        self.resolve(Err(TaskError::Cancelled), "cancel");
        true
    }

    /// `true` once resolved (value, error or cancellation).
    pub fn done(&self) -> bool {
        self.inner.borrow().outcome.is_some()
    }

    /// The outcome, if resolved (asyncio's `result()`, without the exception
    /// for "not ready yet": that is `None`).
    pub fn result(&self) -> Option<Result<T, TaskError>> {
        self.inner.borrow().outcome.clone()
    }

    /// Runs `callback` once the promise is resolved, on a later iteration of
    /// the loop (at once-scheduled if it already is), in registration order
    /// with the awaiters.
    ///
    /// A panic in the callback is reported with this call's place, and the
    /// loop goes on.
    ///
    /// # Panics
    /// Outside a running loop.
    #[track_caller]
    pub fn add_done_callback(&self, callback: impl FnOnce(&Promise<T>) + 'static) {
        let Some(event_loop) = running_loop() else {
            panic!("add_done_callback() called outside a running event loop: call it from a coroutine")
        };
        let mut inner = self.inner.borrow_mut();
        inner.event_loop = Some(event_loop);
        if inner.outcome.is_some() {
            drop(inner);
            let promise = self.clone();
            crate::call_soon(move || callback(&promise));
        } else {
            inner.listeners.push(Listener::Callback(Box::new(callback), Location::caller()));
        }
    }

    /// A coroutine that finishes with the promise's outcome.
    pub fn wait(&self) -> PromiseWait<T> {
        PromiseWait { promise: self.clone(), registered: None, done: false }
    }

    fn resolve(&self, outcome: Result<T, TaskError>, what: &str) {
        let (listeners, event_loop) = {
            let mut inner = self.inner.borrow_mut();
            assert!(inner.outcome.is_none(), "Promise::{what}() on a promise that is already resolved");
            inner.outcome = Some(outcome);
            (std::mem::take(&mut inner.listeners), inner.event_loop.clone())
        };
        // The borrow is released: an awaiter or callback may look at the promise.
        for listener in listeners {
            match listener {
                Listener::Awaiter(waker) => waker.wake(),
                Listener::Callback(callback, at) => {
                    let promise = self.clone();
                    match event_loop.as_ref().and_then(Weak::upgrade) {
                        Some(core) => core.call_soon(Callback::scheduled_at(move || callback(&promise), at)),
                        None => panic!("a done-callback's event loop is gone; the callback cannot run"),
                    }
                }
            }
        }
    }
}

impl<T> WaitsOn for RefCell<Inner<T>> {
    fn waiter_addrs(&self) -> Vec<usize> {
        let inner = self.borrow();
        let awaiters = inner.listeners.iter().filter_map(|l| match l {
            Listener::Awaiter(waker) => Some(waker.target_addr()),
            Listener::Callback(..) => None,
        });
        awaiters.collect()
    }

    fn describe(&self) -> String {
        format!("awaits a promise that nobody has resolved (created at {})", self.borrow().created_at)
    }
}

impl<T> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.borrow();
        let state = if inner.outcome.is_some() { "done" } else { "pending" };
        write!(f, "Promise({state}, {} listening)", inner.listeners.len())
    }
}

/// ```text
/// async fn wait(promise) -> Result<T, TaskError> {
///     while !promise.done() {
///         promise.listeners.push(my waker);   // once per waker
///         suspend;
///     }
///     promise.result()
/// }
/// ```
///
/// The coroutine returned by [`Promise::wait`].
///
/// ```
/// use rondo::{EventLoop, Promise, PromiseWait, join};
///
/// // two coroutines awaiting one future
/// let promise = Promise::new();
/// let (a, b): (PromiseWait<u8>, PromiseWait<u8>) = (promise.wait(), promise.wait());
/// promise.set_result(7);
/// assert_eq!(EventLoop::new_virtual().run(join(a, b)).unwrap(), (Ok(7), Ok(7)));
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct PromiseWait<T> {
    promise: Promise<T>,
    /// The waker registered last (by address), so a re-poll does not register twice.
    registered: Option<usize>,
    done: bool,
}

impl<T: Clone + 'static> Coroutine for PromiseWait<T> {
    type Output = Result<T, TaskError>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.done, "Promise::wait() polled after it completed");
        let mut inner = self.promise.inner.borrow_mut();
        if let Some(outcome) = &inner.outcome {
            self.done = true;
            return Poll::Ready(outcome.clone());
        }
        let addr = cx.waker().target_addr();
        if self.registered != Some(addr) {
            inner.listeners.push(Listener::Awaiter(cx.waker().clone()));
            self.registered = Some(addr);
        }
        if !inner.registered {
            // Tell the loop what its awaiters wait on, so a deadlock report can name this promise.
            inner.registered = true;
            drop(inner);
            let me: Rc<dyn WaitsOn> = self.promise.inner.clone();
            report_waits_on(Rc::downgrade(&me));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CoroutineExt, EventLoop, Transcript, sleep, spawn};
    use std::time::Duration;

    #[test]
    fn many_awaiters_all_get_the_value_and_callbacks_run_in_order() {
        let out = Transcript::new();
        let promise: Promise<&'static str> = Promise::new();
        let ev = EventLoop::new_virtual();
        let (p, log) = (promise.clone(), out.clone());
        let main = crate::lazy(move || {
            let waiters: Vec<_> = (0..2)
                .map(|i| {
                    let log = log.clone();
                    spawn(p.wait().map(move |r| log.say(format!("waiter {i} got {}", r.unwrap()))))
                })
                .collect();
            let cb_log = log.clone();
            p.add_done_callback(move |p| cb_log.say(format!("callback sees done={}", p.done())));
            let setter = p.clone();
            let _setter = spawn(sleep(Duration::from_secs(2)).map(move |()| setter.set_result("ok")));
            waiters
        })
        .then(super::super::gather_tasks);
        ev.run(main).unwrap().unwrap();
        // The callback registered first (before the waiters took their first step).
        assert_eq!(
            out.stamped(),
            ["2.000 callback sees done=true", "2.000 waiter 0 got ok", "2.000 waiter 1 got ok"]
        );
        assert_eq!(promise.result(), Some(Ok("ok")));
    }

    #[test]
    fn errors_and_cancellation_reach_the_awaiter() {
        let ev = EventLoop::new_virtual();
        let failed: Promise<u8> = Promise::new();
        failed.set_error("no luck");
        assert_eq!(ev.run_until_complete(failed.wait()).unwrap(), Err(TaskError::Failed("no luck".into())));
        let cancelled: Promise<u8> = Promise::new();
        assert!(cancelled.cancel());
        assert!(!cancelled.cancel());
        assert_eq!(ev.run_until_complete(cancelled.wait()).unwrap(), Err(TaskError::Cancelled));
    }

    #[test]
    #[should_panic(expected = "Promise::set_result() on a promise that is already resolved")]
    fn resolving_twice_is_an_error() {
        let p = Promise::new();
        p.set_result(1);
        p.set_result(2);
    }
}
