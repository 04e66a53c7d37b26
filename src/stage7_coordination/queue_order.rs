//! The three orders a [`Queue`](super::Queue) can hand its items out in.
//!
//! asyncio's `LifoQueue` and `PriorityQueue` are subclasses of `Queue` that
//! override three methods — `_init`, `_put`, `_get` — and nothing else: the
//! waiting, waking and counting are the same. Rondo does the same with a
//! trait object: a queue holds its items in a `Box<dyn Order<T>>`, and
//! [`LifoQueue::new`](super::LifoQueue::new) or
//! [`PriorityQueue::new`](super::PriorityQueue::new) pick the order.
//!
//! Rejected alternative: a type parameter (`Queue<T, O = Fifo>`). It saves a
//! virtual call per item, but every coroutine type would carry it, and
//! `Queue::new(2)` could no longer infer its own type.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Where the items wait: asyncio's `_put`, `_get` and `len(self._queue)`.
pub(crate) trait Order<T> {
    fn put(&mut self, item: T);
    fn get(&mut self) -> Option<T>;
    fn len(&self) -> usize;
}

/// `Queue`: first in, first out (`collections.deque`, `append`/`popleft`).
impl<T> Order<T> for VecDeque<T> {
    fn put(&mut self, item: T) {
        self.push_back(item);
    }
    fn get(&mut self) -> Option<T> {
        self.pop_front()
    }
    fn len(&self) -> usize {
        VecDeque::len(self)
    }
}

/// `LifoQueue`: last in, first out (a list, `append`/`pop`).
pub(crate) struct Lifo<T>(pub(crate) Vec<T>);

impl<T> Order<T> for Lifo<T> {
    fn put(&mut self, item: T) {
        self.0.push(item);
    }
    fn get(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// `PriorityQueue`: smallest first (`heapq.heappush`/`heappop`, a min-heap;
/// std's `BinaryHeap` is a max-heap, hence `Reverse`). Like `heapq`, equal
/// items come out in no particular order: give `(priority, seq, item)`
/// tuples for a stable order.
pub(crate) struct Priority<T>(pub(crate) BinaryHeap<Reverse<T>>);

impl<T: Ord> Order<T> for Priority<T> {
    fn put(&mut self, item: T) {
        self.0.push(Reverse(item));
    }
    fn get(&mut self) -> Option<T> {
        self.0.pop().map(|Reverse(item)| item)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<T>(mut order: impl Order<T>, items: Vec<T>) -> Vec<T> {
        items.into_iter().for_each(|i| order.put(i));
        std::iter::from_fn(|| order.get()).collect()
    }

    #[test]
    fn each_order_is_asyncios() {
        assert_eq!(drain(VecDeque::new(), vec![3, 1, 2]), [3, 1, 2]);
        assert_eq!(drain(Lifo(vec![]), vec![3, 1, 2]), [2, 1, 3]);
        assert_eq!(drain(Priority(BinaryHeap::new()), vec![3, 1, 2]), [1, 2, 3]);
    }
}
