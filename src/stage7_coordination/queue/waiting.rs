//! The queue's three waiting coroutines: `put`, `get` and `join`.
//!
//! `put` and `get` are mirror images — each checks, parks in its line, is
//! popped out of the line by the other side's operation, and checks again —
//! so they share their states. A child module of `queue`, so that it can
//! reach the queue's fields.

use super::super::waiters::{Waiter, report_once};
use super::{GetError, JoinLine, PutError, Queue};
use crate::stage4_event_loop::seams::WaitsOn;
use crate::{Context, Coroutine, Poll};
use std::rc::Rc;

pub(super) fn put<T>(queue: Queue<T>, item: T) -> QueuePut<T> {
    QueuePut { queue, item: Some(item), state: WaitState::Check }
}

pub(super) fn get<T>(queue: Queue<T>) -> QueueGet<T> {
    QueueGet { queue, state: WaitState::Check }
}

pub(super) fn join(line: Rc<JoinLine>) -> QueueJoin {
    QueueJoin { line, state: JoinState::Start }
}

/// The states of [`QueuePut`] and [`QueueGet`].
enum WaitState {
    /// Check for room (or an item): asyncio's `while self.full():`.
    Check,
    /// Out of room (or items): in line until a get (or put) or `shutdown` wakes us.
    Waiting(Rc<Waiter>),
    Done,
}

/// ```text
/// async fn put(q, item) -> Result<(), PutError<T>> {
///     while q.full() {
///         if q.shut_down { return Err(ShutDown(item)) }
///         let me = q.putters.push(my waker);
///         suspend until me.woken;     // a get popped us out of line
///     }
///     q.put_nowait(item)              // wakes the first getter
/// }   // dropped after a wake, with room: wake the next putter
/// ```
///
/// The coroutine returned by [`Queue::put`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct QueuePut<T> {
    queue: Queue<T>,
    /// Until it is put (or handed back in the error).
    item: Option<T>,
    state: WaitState,
}

impl<T: 'static> Coroutine for QueuePut<T> {
    type Output = Result<(), PutError<T>>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &self.state {
                WaitState::Check => {
                    let item = self.item.take().expect("Queue::put() polled after it completed");
                    if !self.queue.full() {
                        self.state = WaitState::Done;
                        return Poll::Ready(self.queue.put_nowait(item));
                    }
                    if self.queue.is_shut_down() {
                        self.state = WaitState::Done;
                        return Poll::Ready(Err(PutError::ShutDown(item)));
                    }
                    self.item = Some(item);
                    let me = self.queue.inner.putters.borrow_mut().push(cx);
                    self.queue.report();
                    self.state = WaitState::Waiting(me);
                    return Poll::Pending;
                }
                WaitState::Waiting(me) => {
                    if !me.woken() {
                        me.update(cx);
                        return Poll::Pending;
                    }
                    // Already out of line (the waker popped us): look again,
                    // and hand the waiter back for the next wait.
                    if let WaitState::Waiting(me) = std::mem::replace(&mut self.state, WaitState::Check) {
                        self.queue.inner.putters.borrow_mut().recycle(me);
                    }
                }
                WaitState::Done => panic!("Queue::put() polled after it completed"),
            }
        }
    }
}

impl<T> Drop for QueuePut<T> {
    /// Cancelled (asyncio's `except:` in `put`): leave the line; if we were
    /// woken and there is room, the wake was for nothing — pass it on.
    fn drop(&mut self) {
        if let WaitState::Waiting(me) = &self.state {
            let inner = &self.queue.inner;
            inner.putters.borrow_mut().remove(me);
            let full = inner.maxsize > 0 && inner.items.borrow().len() >= inner.maxsize;
            if me.woken() && !full {
                inner.putters.borrow_mut().pop_and_wake();
            }
        }
    }
}

/// ```text
/// async fn get(q) -> Result<T, GetError> {
///     while q.empty() {
///         if q.shut_down { return Err(ShutDown) }
///         let me = q.getters.push(my waker);
///         suspend until me.woken;     // a put popped us out of line;
///     }                               // a newcomer may have taken the item: back of the line
///     q.get_nowait()                  // wakes the first putter
/// }   // dropped after a wake, with items left: wake the next getter
/// ```
///
/// The coroutine returned by [`Queue::get`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct QueueGet<T> {
    queue: Queue<T>,
    state: WaitState,
}

impl<T: 'static> Coroutine for QueueGet<T> {
    type Output = Result<T, GetError>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &self.state {
                WaitState::Check => {
                    if !self.queue.empty() || self.queue.is_shut_down() {
                        self.state = WaitState::Done;
                        return Poll::Ready(self.queue.get_nowait());
                    }
                    let me = self.queue.inner.getters.borrow_mut().push(cx);
                    self.queue.report();
                    self.state = WaitState::Waiting(me);
                    return Poll::Pending;
                }
                WaitState::Waiting(me) => {
                    if !me.woken() {
                        me.update(cx);
                        return Poll::Pending;
                    }
                    // Out of line (a put popped us): look again, and hand
                    // the waiter back for the next wait.
                    if let WaitState::Waiting(me) = std::mem::replace(&mut self.state, WaitState::Check) {
                        self.queue.inner.getters.borrow_mut().recycle(me);
                    }
                }
                WaitState::Done => panic!("Queue::get() polled after it completed"),
            }
        }
    }
}

impl<T> Drop for QueueGet<T> {
    /// Cancelled (asyncio's `except:` in `get`): leave the line; if we were
    /// woken and an item is there, the wake was for nothing — pass it on.
    fn drop(&mut self) {
        if let WaitState::Waiting(me) = &self.state {
            let inner = &self.queue.inner;
            inner.getters.borrow_mut().remove(me);
            if me.woken() && inner.items.borrow().len() > 0 {
                inner.getters.borrow_mut().pop_and_wake();
            }
        }
    }
}

/// ```text
/// async fn join(q) {
///     if q.unfinished > 0 {
///         let me = q.joiners.push(my waker);
///         suspend until me.woken;     // the last task_done wakes every joiner
///     }
/// }
/// ```
///
/// The coroutine returned by [`Queue::join`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct QueueJoin {
    line: Rc<JoinLine>,
    state: JoinState,
}

enum JoinState {
    Start,
    Waiting(Rc<Waiter>),
    Done,
}

impl Coroutine for QueueJoin {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match &self.state {
            JoinState::Start => {
                if self.line.unfinished.get() == 0 {
                    self.state = JoinState::Done;
                    return Poll::Ready(());
                }
                let me = self.line.waiters.borrow_mut().push(cx);
                let line = &self.line;
                report_once(&line.reported, || {
                    let me: Rc<dyn WaitsOn> = line.clone();
                    Rc::downgrade(&me)
                });
                self.state = JoinState::Waiting(me);
                Poll::Pending
            }
            JoinState::Waiting(me) => {
                if !me.woken() {
                    me.update(cx);
                    return Poll::Pending;
                }
                // Woken: done, even if more was put meanwhile (an Event's rule).
                self.line.waiters.borrow_mut().remove(me);
                self.state = JoinState::Done;
                Poll::Ready(())
            }
            JoinState::Done => panic!("Queue::join() polled after it completed"),
        }
    }
}

impl Drop for QueueJoin {
    fn drop(&mut self) {
        if let JoinState::Waiting(me) = &self.state {
            self.line.waiters.borrow_mut().remove(me);
        }
    }
}
