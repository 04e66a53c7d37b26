//! `FifoTimerHeap`: the timer heap the loop uses — a FIFO beside the heap.
//!
//! *Skip on first read:* it keeps the same timers, in the same
//! `(deadline, sequence)` order, as stage 4's simple
//! [`TimerHeap`](crate::stage4_event_loop) — and a proptest below drives
//! both with the same operations to check it.
//!
//! **Timers that arrive in order skip the heap.** A heap costs `log n` moves
//! per push and per pop — with a million sleepers, twenty cache-missing
//! levels. But timers very often arrive with deadlines in order (a thousand
//! tasks each sleeping one second, a ticker's next tick). So the heap has a
//! FIFO beside it: a timer due no earlier than the last one in the FIFO joins
//! its tail, in O(1); only a timer that would break its order goes into the
//! heap. The earliest timer is the earlier of the two fronts, so the order
//! of firing — `(deadline, seq)` — is exactly the heap's. Measured: 1M
//! one-second sleepers, where `BinaryHeap::pop` was 15 % of the profile,
//! went from 0.81 to 0.60 s of CPU (with one clock read less per sleep).
//!
//! **An entry is 32 bytes**: with a million sleepers the heap is a million
//! entries, so each byte is a megabyte. The deadline is kept as nanoseconds
//! (`u64`, 584 years) rather than a 16-byte `Duration`, and a callback's
//! box lives in a side table (callbacks are rare; wakes are the bulk): the
//! entry holds an `Option<Waker>`, which is as small as a `Waker`. The side
//! table also lets a cancelled callback's captures go at once.
//!
//! (Over 300 lines only because of its tests: the proptest against the
//! simple heap, with its operation generator, sits beside the unit tests.)

use crate::stage3_sleep::is_never;
use crate::stage4_event_loop::{Callback, DueAction};
use crate::{TimerId, Waker};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::time::Duration;

struct Entry {
    /// The deadline in nanoseconds.
    deadline: u64,
    seq: u64,
    /// The waker to wake; `None` for a callback (in `TimerHeap::calls`).
    wake: Option<Waker>,
}

/// A deadline as the heap orders it: nanoseconds, saturating. `u64::MAX` —
/// the end of time, 584 years — and anything past it means "never".
fn nanos(deadline: Duration) -> u64 {
    u64::try_from(deadline.as_nanos()).unwrap_or(u64::MAX)
}

const NEVER: u64 = u64::MAX;

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

/// The loop's timers (see the module docs).
#[derive(Default)]
pub(crate) struct FifoTimerHeap {
    /// Timers in `(deadline, seq)` order: each due no earlier than the one before.
    in_order: VecDeque<Entry>,
    /// The timers that came out of order.
    heap: BinaryHeap<Entry>,
    /// The callbacks of `call_later` timers, by sequence number.
    calls: HashMap<u64, Callback>,
    /// Sequence numbers of entries still in `in_order` or `heap` but
    /// cancelled. Invariant: every member names an entry that is in one of them.
    cancelled: HashSet<u64>,
    next_seq: u64,
    /// The last collection: its time, and the last sequence number pushed
    /// before it (see the simple heap: an entry pushed by then, due by then,
    /// has fired).
    collected: Option<(Duration, u64)>,
    /// The loop's id, so that a timer of another loop is never cancelled here.
    owner: u32,
}

impl FifoTimerHeap {
    pub(crate) fn new(owner: u32) -> FifoTimerHeap {
        FifoTimerHeap { owner, ..FifoTimerHeap::default() }
    }

    /// Registers `action` to fire at `deadline`.
    pub(crate) fn push(&mut self, deadline: Duration, action: DueAction) -> TimerId {
        self.next_seq += 1;
        let seq = self.next_seq;
        let wake = match action {
            DueAction::Wake(waker) => Some(waker),
            DueAction::Call(callback) => {
                self.calls.insert(seq, callback);
                None
            }
        };
        let entry = Entry { deadline: nanos(deadline), seq, wake };
        // `seq` only grows, so "no earlier deadline" keeps the FIFO sorted.
        if self.in_order.back().is_none_or(|last| last.deadline <= entry.deadline) {
            self.in_order.push_back(entry);
        } else {
            self.heap.push(entry);
        }
        TimerId { deadline, seq, owner: self.owner }
    }

    /// Withdraws a timer. Returns `false` if it already fired or belongs to
    /// another loop.
    ///
    /// Contract: each id is cancelled at most once. (After a compaction the
    /// heap no longer remembers cancelled ids, so it could not tell.) Callers
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
        self.calls.remove(&id.seq); // a cancelled callback's captures go now
        if self.cancelled.len() > 64 && self.cancelled.len() * 2 > self.entries() {
            let cancelled = std::mem::take(&mut self.cancelled);
            self.in_order.retain(|entry| !cancelled.contains(&entry.seq));
            self.heap.retain(|entry| !cancelled.contains(&entry.seq));
        }
        true
    }

    /// Live (not cancelled) timers.
    pub(crate) fn len(&self) -> usize {
        self.entries() - self.cancelled.len()
    }

    /// Entries stored, cancelled ones included.
    fn entries(&self) -> usize {
        self.in_order.len() + self.heap.len()
    }

    /// The earliest entry: the earlier of the two fronts (`true`: the FIFO's).
    fn earliest(&self) -> Option<(&Entry, bool)> {
        match (self.in_order.front(), self.heap.peek()) {
            (Some(a), Some(b)) if (b.deadline, b.seq) < (a.deadline, a.seq) => Some((b, false)),
            (Some(a), _) => Some((a, true)),
            (None, Some(b)) => Some((b, false)),
            (None, None) => None,
        }
    }

    fn pop_earliest(&mut self) -> Option<Entry> {
        let (_, from_fifo) = self.earliest()?;
        if from_fifo { self.in_order.pop_front() } else { self.heap.pop() }
    }

    /// Removes `seq` from the cancelled set: `true` if it was cancelled.
    /// (The empty check first: no hashing at all in the common case.)
    fn take_cancelled(&mut self, seq: u64) -> bool {
        !self.cancelled.is_empty() && self.cancelled.remove(&seq)
    }

    /// Entries physically in the heap, cancelled ones included (for tests of the clean-up).
    #[cfg(test)]
    pub(crate) fn capacity_used(&self) -> usize {
        self.entries()
    }

    /// The earliest live deadline, dropping cancelled entries from the top.
    pub(crate) fn next_deadline(&mut self) -> Option<Duration> {
        while let Some((top, _)) = self.earliest() {
            let (deadline, seq) = (top.deadline, top.seq);
            if self.take_cancelled(seq) {
                self.pop_earliest();
            } else {
                return (deadline != NEVER).then(|| Duration::from_nanos(deadline));
            }
        }
        None
    }

    /// Live timers, earliest first: deadline, and the wake target's address
    /// for a wake (`None` for a callback). For observers; walks the heap.
    pub(crate) fn live_entries(&self) -> Vec<(Duration, Option<usize>)> {
        let mut entries: Vec<(u64, u64, Option<usize>)> = self
            .in_order
            .iter()
            .chain(self.heap.iter())
            .filter(|e| !self.cancelled.contains(&e.seq))
            .map(|e| (e.deadline, e.seq, e.wake.as_ref().map(Waker::target_addr)))
            .collect();
        entries.sort_by_key(|&(deadline, seq, _)| (deadline, seq));
        entries.into_iter().map(|(deadline, _, target)| (Duration::from_nanos(deadline), target)).collect()
    }

    /// Hands every live timer due at `now` to `fire`, earliest first.
    pub(crate) fn pop_due(&mut self, now: Duration, mut fire: impl FnMut(DueAction)) {
        self.collected = Some((now, self.next_seq));
        let now = nanos(now);
        while self.earliest().is_some_and(|(top, _)| top.deadline <= now && top.deadline != NEVER) {
            let entry = self.pop_earliest().expect("peeked");
            if self.take_cancelled(entry.seq) {
                continue;
            }
            match entry.wake {
                Some(waker) => fire(DueAction::Wake(waker)),
                None => {
                    fire(DueAction::Call(self.calls.remove(&entry.seq).expect("a callback per call entry")))
                }
            }
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    use crate::stage4_event_loop::test_timers::{call, fire};

    fn fire_all(heap: &mut FifoTimerHeap, now: Duration) {
        heap.pop_due(now, fire);
    }

    // The order and clean-up tests are the simple heap's
    // (stage4_event_loop/timer_heap.rs); this one agrees with it on every
    // operation (the proptest below), and keeps the tests of its own tricks.

    #[test]
    fn a_fired_or_foreign_timer_cannot_be_cancelled() {
        let log = Rc::new(RefCell::new(vec![]));
        let mut heap = FifoTimerHeap::new(1);
        let id = heap.push(Duration::from_secs(1), call(&log, 1));
        fire_all(&mut heap, Duration::from_secs(1));
        assert!(!heap.cancel(id));
        let other = TimerId { owner: 2, ..heap.push(Duration::from_secs(3), call(&log, 2)) };
        assert!(!heap.cancel(other));
        assert_eq!(heap.len(), 1);
    }

    proptest::proptest! {
        /// Whatever mix goes to the FIFO and to the heap, timers fire in
        /// `(deadline, registration)` order, cancelled ones never.
        #[test]
        fn fifo_and_heap_together_fire_in_deadline_then_registration_order(
            timers in proptest::collection::vec((0u64..20, proptest::bool::ANY), 0..200),
        ) {
            let log = Rc::new(RefCell::new(vec![]));
            let mut heap = FifoTimerHeap::new(1);
            let mut expected = vec![];
            for (n, &(millis, cancel)) in timers.iter().enumerate() {
                let id = heap.push(Duration::from_millis(millis), call(&log, n as u32));
                if cancel {
                    heap.cancel(id);
                } else {
                    expected.push((millis, n as u32));
                }
            }
            proptest::prop_assert_eq!(heap.len(), expected.len());
            expected.sort();
            fire_all(&mut heap, Duration::from_millis(9));
            fire_all(&mut heap, Duration::from_millis(20));
            let expected: Vec<u32> = expected.into_iter().map(|(_, n)| n).collect();
            proptest::prop_assert_eq!(&*log.borrow(), &expected);
            proptest::prop_assert_eq!(heap.next_deadline(), None);
        }

        /// The FIFO-beside-the-heap and stage 4's plain heap, given the same
        /// pushes, cancels (of live, fired and foreign ids) and collections,
        /// answer alike and fire the same timers in the same order.
        #[test]
        fn the_fifo_heap_behaves_like_the_simple_heap(ops in proptest::collection::vec(op(), 0..300)) {
            use crate::stage4_event_loop::TimerHeap;
            let (fast_log, simple_log) = (Rc::new(RefCell::new(vec![])), Rc::new(RefCell::new(vec![])));
            let mut fast = FifoTimerHeap::new(1);
            let mut simple = TimerHeap::new(1);
            let mut ids: Vec<TimerId> = vec![];
            let mut now = 0u64;
            for (n, op) in ops.into_iter().enumerate() {
                match op {
                    Op::Push(ahead, wake) => {
                        let deadline = Duration::from_millis(now + ahead);
                        let (a, b) = if wake {
                            (DueAction::Wake(Waker::noop()), DueAction::Wake(Waker::noop()))
                        } else {
                            (call(&fast_log, n as u32), call(&simple_log, n as u32))
                        };
                        let id = fast.push(deadline, a);
                        proptest::prop_assert_eq!(simple.push(deadline, b), id);
                        ids.push(id);
                    }
                    Op::Cancel(pick, foreign) => {
                        // Each id at most once: the heaps' contract.
                        if ids.is_empty() { continue; }
                        let mut id = ids.swap_remove(pick % ids.len());
                        if foreign { id.owner = 2; }
                        proptest::prop_assert_eq!(fast.cancel(id), simple.cancel(id));
                    }
                    Op::Advance(by) => {
                        now += by;
                        let at = Duration::from_millis(now);
                        let (mut a, mut b) = (vec![], vec![]);
                        fast.pop_due(at, |x| a.push(fire_and_name(x)));
                        simple.pop_due(at, |x| b.push(fire_and_name(x)));
                        proptest::prop_assert_eq!(a, b);
                    }
                    Op::Peek => proptest::prop_assert_eq!(fast.next_deadline(), simple.next_deadline()),
                    Op::PushNever => {
                        let deadline = Duration::from_millis(now).saturating_add(Duration::MAX);
                        let id = fast.push(deadline, call(&fast_log, n as u32));
                        proptest::prop_assert_eq!(simple.push(deadline, call(&simple_log, n as u32)), id);
                        ids.push(id);
                    }
                }
                proptest::prop_assert_eq!(fast.len(), simple.len());
                // (Each side has its own no-op wakers: compare wake-or-call, not addresses.)
                let kinds = |entries: Vec<(Duration, Option<usize>)>| -> Vec<(Duration, bool)> {
                    entries.into_iter().map(|(deadline, wake)| (deadline, wake.is_some())).collect()
                };
                proptest::prop_assert_eq!(kinds(fast.live_entries()), kinds(simple.live_entries()));
            }
            proptest::prop_assert_eq!(&*fast_log.borrow(), &*simple_log.borrow());
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// A timer this many ms from now; a wake (`true`) or a callback.
        Push(u64, bool),
        /// Cancel one of the ids handed out (of another loop if `true`).
        Cancel(usize, bool),
        /// Time moves on this many ms; due timers fire.
        Advance(u64),
        /// A timer that never comes (`Duration::MAX` from now).
        PushNever,
        Peek,
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            5 => (0u64..30, any::<bool>()).prop_map(|(ms, wake)| Op::Push(ms, wake)),
            2 => (any::<usize>(), proptest::bool::weighted(0.1)).prop_map(|(i, f)| Op::Cancel(i, f)),
            2 => (0u64..15).prop_map(Op::Advance),
            1 => Just(Op::Peek),
            1 => Just(Op::PushNever),
        ]
    }

    /// Runs a fired callback (it logs its number) and says what fired.
    fn fire_and_name(action: DueAction) -> &'static str {
        match action {
            DueAction::Call(f) => {
                f.call();
                "call"
            }
            DueAction::Wake(_) => "wake",
        }
    }

    #[test]
    fn an_entry_is_32_bytes_and_a_cancelled_callback_is_dropped_at_once() {
        assert_eq!(std::mem::size_of::<Entry>(), 32);
        let log = Rc::new(RefCell::new(vec![]));
        let mut heap = FifoTimerHeap::new(1);
        let id = heap.push(Duration::from_secs(1), call(&log, 1));
        assert_eq!(Rc::strong_count(&log), 2, "the callback holds the log");
        assert!(heap.cancel(id));
        assert_eq!(Rc::strong_count(&log), 1, "and let go of it when cancelled");
    }
}
