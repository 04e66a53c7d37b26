//! `Queue`: hand items from producers to consumers — asyncio's `Queue`.
//!
//! ```python
//! q = asyncio.Queue(maxsize=2)
//! await q.put(item)      # waits while the queue is full
//! item = await q.get()   # waits while it is empty
//! q.task_done()          # one item fully handled
//! await q.join()         # waits until every item put has been handled
//! q.shutdown()           # 3.13: no more puts; gets drain, then fail
//! ```
//! Items in an [`Order`] (FIFO, LIFO or priority), and *two* [`Waiters`]
//! lines — getters, waiting for an item, and putters, waiting for room —
//! plus a third for `join`. The rules, from CPython 3.13's `queues.py`:
//! - a `put` on a queue with room and a `get` on one with an item **do not
//!   suspend**;
//! - every put wakes the first getter, every get the first putter. **The
//!   woken one leaves the line at once** (`popleft`), and when it runs one
//!   iteration later it checks again: if a newcomer took the item (or the
//!   room) first, it waits again *at the back*. So, unlike [`Lock`](super::Lock),
//!   a queue is not fair — asyncio's design, copied;
//! - a getter cancelled after being woken, with items still there, wakes the
//!   next getter (the same for putters) — in `Drop` here;
//! - `shutdown()` makes every later `put` fail with `ShutDown`; `get` drains
//!   what is left, then fails; `shutdown(true)` also empties the queue and
//!   counts the dropped items as done (which may release `join`); both wake
//!   every waiting getter and putter, to fail or to drain.
//!
//! `shutdown` is from Python 3.13: its tests were checked on CPython 3.13.0,
//! the others on 3.11.7 and 3.13.0 (which agree on them).

use super::queue_order::{Lifo, Order, Priority};
use super::waiters::{Waiters, report_once};
use crate::stage4_event_loop::seams::WaitsOn;
use std::cell::{Cell, RefCell};
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::rc::Rc;

/// A queue between the tasks of one loop (asyncio: `asyncio.Queue`). A
/// `Clone` handle: every clone is the same queue.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, Queue, spawn};
///
/// // q = asyncio.Queue(); create_task(q.put("hi")); print(await q.get())
/// let q = Queue::new(0); // 0: unbounded
/// let (tx, rx) = (q.clone(), q.clone());
/// let main = rondo::lazy(move || {
///     let _producer = spawn(tx.put("hi"));
///     rx.get()
/// })
/// .then(|get| get);
/// assert_eq!(EventLoop::new_virtual().run(main).unwrap(), Ok("hi"));
/// ```
pub struct Queue<T> {
    inner: Rc<QueueInner<T>>,
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue { inner: self.inner.clone() }
    }
}

struct QueueInner<T> {
    items: RefCell<Box<dyn Order<T>>>,
    /// 0: unbounded.
    maxsize: usize,
    /// Waiting for an item. A woken getter has already left the line.
    getters: RefCell<Waiters>,
    /// Waiting for room. A woken putter has already left the line.
    putters: RefCell<Waiters>,
    /// `join`: the items not yet `task_done`, and who waits for them.
    join: Rc<JoinLine>,
    /// Set by `shutdown`, for good.
    shut_down: Cell<bool>,
    /// "Queue", "LifoQueue" or "PriorityQueue", for messages.
    kind: &'static str,
    /// Told the loop about itself (for deadlock reports), once.
    reported: Cell<bool>,
}

/// The queue's `_unfinished_tasks` and its `_finished` event, as one line of
/// waiters with its own deadlock description.
#[derive(Default)]
struct JoinLine {
    unfinished: Cell<usize>,
    waiters: RefCell<Waiters>,
    reported: Cell<bool>,
}

/// asyncio's `LifoQueue`: a [`Queue`] that hands out the newest item first.
///
/// ```
/// use rondo::LifoQueue;
///
/// let q = LifoQueue::new(0);
/// q.put_nowait(1).unwrap();
/// q.put_nowait(2).unwrap();
/// assert_eq!(q.get_nowait(), Ok(2));
/// ```
#[derive(Debug)]
pub struct LifoQueue;

impl LifoQueue {
    /// A LIFO queue holding at most `maxsize` items (0: unbounded).
    // It returns a `Queue`, not a `LifoQueue`: like asyncio's subclass, it
    // *is* a queue, with another order inside.
    #[allow(clippy::new_ret_no_self)]
    pub fn new<T: 'static>(maxsize: usize) -> Queue<T> {
        Queue::with_order(maxsize, Box::new(Lifo(Vec::new())), "LifoQueue")
    }
}

/// asyncio's `PriorityQueue`: a [`Queue`] that hands out the smallest item first.
///
/// ```
/// use rondo::PriorityQueue;
///
/// let q = PriorityQueue::new(0);
/// q.put_nowait((2, "later")).unwrap();
/// q.put_nowait((1, "first")).unwrap();
/// assert_eq!(q.get_nowait(), Ok((1, "first")));
/// ```
#[derive(Debug)]
pub struct PriorityQueue;

impl PriorityQueue {
    /// A min-priority queue holding at most `maxsize` items (0: unbounded).
    #[allow(clippy::new_ret_no_self)] // a `Queue`, as `LifoQueue::new`
    pub fn new<T: Ord + 'static>(maxsize: usize) -> Queue<T> {
        Queue::with_order(maxsize, Box::new(Priority(BinaryHeap::new())), "PriorityQueue")
    }
}

impl<T: 'static> Queue<T> {
    /// A FIFO queue holding at most `maxsize` items (0: unbounded).
    pub fn new(maxsize: usize) -> Queue<T> {
        Queue::with_order(maxsize, Box::new(VecDeque::new()), "Queue")
    }

    fn with_order(maxsize: usize, items: Box<dyn Order<T>>, kind: &'static str) -> Queue<T> {
        let inner = QueueInner {
            items: RefCell::new(items),
            maxsize,
            getters: RefCell::default(),
            putters: RefCell::default(),
            join: Rc::default(),
            shut_down: Cell::new(false),
            kind,
            reported: Cell::new(false),
        };
        Queue { inner: Rc::new(inner) }
    }

    /// Items in the queue now.
    pub fn qsize(&self) -> usize {
        self.inner.items.borrow().len()
    }

    /// The most items it holds (0: unbounded).
    pub fn maxsize(&self) -> usize {
        self.inner.maxsize
    }

    /// `true` if there is no item.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// `true` if `put` would wait (never, for an unbounded queue).
    pub fn full(&self) -> bool {
        self.inner.maxsize > 0 && self.qsize() >= self.inner.maxsize
    }

    /// `true` once [`shutdown`](Queue::shutdown) was called.
    pub fn is_shut_down(&self) -> bool {
        self.inner.shut_down.get()
    }

    /// A coroutine that puts `item`, waiting for room while the queue is full.
    pub fn put(&self, item: T) -> QueuePut<T> {
        waiting::put(self.clone(), item)
    }

    /// A coroutine that takes an item, waiting while the queue is empty.
    pub fn get(&self) -> QueueGet<T> {
        waiting::get(self.clone())
    }

    /// Puts `item` if there is room, and wakes the first getter.
    pub fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
        if self.is_shut_down() {
            return Err(PutError::ShutDown(item));
        }
        if self.full() {
            return Err(PutError::Full(item));
        }
        self.inner.items.borrow_mut().put(item);
        let join = &self.inner.join;
        join.unfinished.set(join.unfinished.get() + 1);
        self.inner.getters.borrow_mut().pop_and_wake();
        Ok(())
    }

    /// Takes an item if there is one, and wakes the first putter.
    pub fn get_nowait(&self) -> Result<T, GetError> {
        let Some(item) = self.inner.items.borrow_mut().get() else {
            return Err(if self.is_shut_down() { GetError::ShutDown } else { GetError::Empty });
        };
        self.inner.putters.borrow_mut().pop_and_wake();
        Ok(item)
    }

    /// Says that an item taken earlier is fully handled; when every item
    /// put has been, `join` returns. An error if called once too often.
    pub fn task_done(&self) -> Result<(), TooManyTaskDone> {
        let join = &self.inner.join;
        let unfinished = join.unfinished.get().checked_sub(1).ok_or(TooManyTaskDone)?;
        join.unfinished.set(unfinished);
        if unfinished == 0 {
            join.waiters.borrow().wake_up_to(usize::MAX); // `_finished.set()`
        }
        Ok(())
    }

    /// A coroutine that finishes once every item put has been `task_done`
    /// (at once if none is unfinished).
    pub fn join(&self) -> QueueJoin {
        waiting::join(self.inner.join.clone())
    }

    /// Shuts the queue down (Python 3.13): later puts fail; gets drain what
    /// is left, then fail. With `immediate`, the items left are dropped and
    /// counted as done, so `join` may return. Wakes every waiting getter and
    /// putter.
    pub fn shutdown(&self, immediate: bool) {
        let inner = &self.inner;
        inner.shut_down.set(true);
        if immediate {
            let join = &inner.join;
            while let Some(item) = inner.items.borrow_mut().get() {
                drop(item);
                join.unfinished.set(join.unfinished.get().saturating_sub(1));
            }
            if join.unfinished.get() == 0 {
                join.waiters.borrow().wake_up_to(usize::MAX);
            }
        }
        // Getters must look again (and fail, or drain); putters fail.
        inner.getters.borrow_mut().pop_and_wake_all();
        inner.putters.borrow_mut().pop_and_wake_all();
    }

    fn report(&self) {
        let inner = &self.inner;
        report_once(&inner.reported, || {
            let me: Rc<dyn WaitsOn> = inner.clone();
            Rc::downgrade(&me)
        });
    }
}

impl<T> WaitsOn for QueueInner<T> {
    fn waiter_addrs(&self) -> Vec<usize> {
        let mut addrs = self.getters.borrow().addrs();
        addrs.extend(self.putters.borrow().addrs());
        addrs
    }

    /// Said by whose line is not empty: in a deadlock only one can be (the
    /// queue is empty or full); both at once would mean a lost wake, and
    /// the counts say so.
    fn describe(&self) -> String {
        let (n, kind) = (self.items.borrow().len(), self.kind);
        let how_full = match self.maxsize {
            0 => format!("{n}, unbounded"),
            max => format!("{n} of maxsize {max}"),
        };
        let (getters, putters) = (self.getters.borrow().len(), self.putters.borrow().len());
        match (getters > 0, putters > 0) {
            (true, false) => format!("waits on an empty {kind} ({how_full})"),
            (false, true) => format!("waits on a full {kind} ({how_full})"),
            _ => format!("waits on a {kind} ({how_full}; {getters} getters and {putters} putters in line)"),
        }
    }
}

impl WaitsOn for JoinLine {
    fn waiter_addrs(&self) -> Vec<usize> {
        self.waiters.borrow().addrs()
    }

    fn describe(&self) -> String {
        let n = self.unfinished.get();
        format!("waits in Queue.join() for {n} unfinished item{}", if n == 1 { "" } else { "s" })
    }
}

impl<T: 'static> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        write!(f, "{}(maxsize={}, qsize={}", inner.kind, inner.maxsize, self.qsize())?;
        let (getters, putters) = (inner.getters.borrow().len(), inner.putters.borrow().len());
        if getters > 0 {
            write!(f, ", {getters} getters")?;
        }
        if putters > 0 {
            write!(f, ", {putters} putters")?;
        }
        if self.is_shut_down() {
            f.write_str(", shut down")?;
        }
        f.write_str(")")
    }
}

mod errors;
#[cfg(test)]
mod tests;
mod waiting;

pub use errors::{GetError, PutError, TooManyTaskDone};
pub use waiting::{QueueGet, QueueJoin, QueuePut};
