//! `TimerHeap`: pending timers, earliest `(deadline, sequence)` first.
//!
//! A binary heap, like asyncio's `loop._scheduled`. Ties between equal
//! deadlines go to the earlier registration (the sequence number) — FIFO.
//! asyncio leaves equal deadlines in heap order (unspecified); rondo makes
//! them deterministic on purpose.
//!
//! Cancelling removes nothing from the heap — a heap cannot remove from the
//! middle cheaply. The timer's sequence number goes into a `cancelled` set
//! and the entry is skipped when it surfaces. So that cancelled sleeps cannot
//! pile up (100,000 cancelled tasks must leave the heap empty), the heap is
//! rebuilt without them once they are more than half of it — asyncio's rule
//! too (`_MIN_CANCELLED_TIMER_HANDLES_FRACTION`).
//!
//! A deadline past the end of representable time (`is_never`: a sleep of
//! `Duration::MAX`) is kept — it says who waits — but never comes due, and
//! is not a deadline the loop waits for: a loop with nothing else is
//! deadlocked.
//!
//! *What the loop really uses:* [`FifoTimerHeap`](crate::fast::FifoTimerHeap),
//! the same timers with a FIFO beside the heap for timers that arrive in
//! deadline order (most do) and 32-byte entries: 1M sleepers 0.81 → 0.60 s
//! of CPU. This heap stays as its oracle: a proptest drives both alike.

// The loop runs on the fast version; this one is the idea, and its test oracle.
#![cfg_attr(not(test), allow(dead_code))]

use super::runnable::{Callback, Runnable};
use crate::stage3_sleep::{END_OF_TIME, is_never};
use crate::{TimerId, Waker};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};
use std::time::Duration;

/// What a timer does when its deadline comes: it becomes a [`Runnable`].
pub(crate) enum DueAction {
    /// Wake a sleeping coroutine's task.
    Wake(Waker),
    /// Run a `call_later` callback.
    Call(Callback),
}

impl From<DueAction> for Runnable {
    fn from(action: DueAction) -> Runnable {
        match action {
            DueAction::Wake(waker) => Runnable::Wake(waker),
            DueAction::Call(f) => Runnable::Call(f),
        }
    }
}

struct Entry {
    deadline: Duration,
    seq: u64,
    action: DueAction,
}

// `BinaryHeap` is a max-heap: order entries *backwards* so the earliest
// (deadline, seq) is at the top.
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}
impl Eq for Entry {}

/// The loop's timers.
pub(crate) struct TimerHeap {
    heap: BinaryHeap<Entry>,
    /// Sequence numbers of entries still in the heap but cancelled.
    /// Invariant: every member names an entry that is in the heap.
    cancelled: HashSet<u64>,
    next_seq: u64,
    /// The last collection: its time, and the last sequence number pushed
    /// before it. An entry pushed by then, due by then, has fired; that is
    /// how `cancel` tells. (`None` before the first: a timer due at 0 has not
    /// fired yet — nor has one pushed after a collection, its deadline
    /// already past.)
    collected: Option<(Duration, u64)>,
    /// The loop's id, so that a timer of another loop is never cancelled here.
    owner: u32,
}

impl TimerHeap {
    pub(crate) fn new(owner: u32) -> TimerHeap {
        TimerHeap { heap: BinaryHeap::new(), cancelled: HashSet::new(), next_seq: 0, collected: None, owner }
    }

    /// Registers `action` to fire at `deadline`.
    pub(crate) fn push(&mut self, deadline: Duration, action: DueAction) -> TimerId {
        self.next_seq += 1;
        let seq = self.next_seq;
        // All "never"s are one instant, the end of time, as in the fast heap.
        self.heap.push(Entry { deadline: deadline.min(END_OF_TIME), seq, action });
        TimerId { deadline, seq, owner: self.owner }
    }

    /// Withdraws a timer. Returns `false` if it already fired or belongs to
    /// another loop.
    ///
    /// Contract: each id is cancelled at most once (after a compaction the
    /// heap no longer remembers cancelled ids, so it could not tell). Callers
    /// own their ids: `Sleep` takes its id out when cancelling, and
    /// `TimerHandle::cancel` consumes the handle.
    pub(crate) fn cancel(&mut self, id: TimerId) -> bool {
        let fired =
            |(up_to, seq): (Duration, u64)| id.seq <= seq && id.deadline <= up_to && !is_never(id.deadline);
        if id.owner != self.owner || self.collected.is_some_and(fired) {
            return false;
        }
        if !self.cancelled.insert(id.seq) {
            return false;
        }
        if self.cancelled.len() > 64 && self.cancelled.len() * 2 > self.heap.len() {
            let cancelled = std::mem::take(&mut self.cancelled);
            self.heap.retain(|entry| !cancelled.contains(&entry.seq));
        }
        true
    }

    /// Live (not cancelled) timers.
    pub(crate) fn len(&self) -> usize {
        self.heap.len() - self.cancelled.len()
    }

    /// Entries physically in the heap, cancelled ones included.
    #[cfg(test)]
    pub(crate) fn capacity_used(&self) -> usize {
        self.heap.len()
    }

    /// The earliest live deadline, dropping cancelled entries from the top.
    /// `None` if there is none, or only "never".
    pub(crate) fn next_deadline(&mut self) -> Option<Duration> {
        while let Some(top) = self.heap.peek() {
            if self.cancelled.remove(&top.seq) {
                self.heap.pop();
            } else {
                return Some(top.deadline).filter(|&d| !is_never(d));
            }
        }
        None
    }

    /// Live timers, earliest first: deadline, and the wake target's address
    /// for a wake (`None` for a callback). For observers; walks the heap.
    pub(crate) fn live_entries(&self) -> Vec<(Duration, Option<usize>)> {
        let mut entries: Vec<&Entry> =
            self.heap.iter().filter(|e| !self.cancelled.contains(&e.seq)).collect();
        entries.sort_by_key(|e| (e.deadline, e.seq));
        let target = |e: &Entry| match &e.action {
            DueAction::Wake(waker) => Some(waker.target_addr()),
            DueAction::Call(_) => None,
        };
        entries.into_iter().map(|e| (e.deadline, target(e))).collect()
    }

    /// Hands every live timer due at `now` to `fire`, earliest first.
    pub(crate) fn pop_due(&mut self, now: Duration, mut fire: impl FnMut(DueAction)) {
        self.collected = Some((now, self.next_seq));
        while self.heap.peek().is_some_and(|top| top.deadline <= now && !is_never(top.deadline)) {
            let entry = self.heap.pop().expect("peeked");
            if !self.cancelled.remove(&entry.seq) {
                fire(entry.action);
            }
        }
    }
}

/// Timers that say when they fire, for the tests of both heaps.
#[cfg(test)]
pub(crate) mod test_timers {
    use super::DueAction;
    use crate::stage4_event_loop::Callback;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A callback timer that logs `n` when it runs.
    pub(crate) fn call(log: &Rc<RefCell<Vec<u32>>>, n: u32) -> DueAction {
        let log = log.clone();
        DueAction::Call(Callback::new(move || log.borrow_mut().push(n)))
    }

    /// Runs a fired timer.
    pub(crate) fn fire(action: DueAction) {
        match action {
            DueAction::Call(f) => f.call(),
            DueAction::Wake(w) => w.wake(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_timers::{call, fire};
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    fn fire_all(heap: &mut TimerHeap, now: Duration) {
        heap.pop_due(now, fire);
    }

    #[test]
    fn fires_earliest_first_and_equal_deadlines_in_registration_order() {
        let log = Rc::new(RefCell::new(vec![]));
        let mut heap = TimerHeap::new(1);
        let s = Duration::from_secs;
        heap.push(s(2), call(&log, 1));
        heap.push(s(1), call(&log, 2));
        heap.push(s(2), call(&log, 3));
        heap.push(s(1), call(&log, 4));
        assert_eq!(heap.next_deadline(), Some(s(1)));
        fire_all(&mut heap, s(1));
        assert_eq!(*log.borrow(), [2, 4]);
        fire_all(&mut heap, s(5));
        assert_eq!(*log.borrow(), [2, 4, 1, 3]);
        assert_eq!(heap.len(), 0);
    }

    #[test]
    fn cancelled_timers_never_fire_and_do_not_accumulate() {
        let log = Rc::new(RefCell::new(vec![]));
        let mut heap = TimerHeap::new(1);
        let ids: Vec<TimerId> =
            (0..1000).map(|i| heap.push(Duration::from_millis(10 + i), call(&log, i as u32))).collect();
        for id in &ids[..999] {
            assert!(heap.cancel(*id));
        }
        assert_eq!(heap.len(), 1);
        assert!(heap.capacity_used() < 100, "the heap was compacted: {}", heap.capacity_used());
        fire_all(&mut heap, Duration::from_secs(10));
        assert_eq!(*log.borrow(), [999]);
    }
}
