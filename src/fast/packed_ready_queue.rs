//! `PackedReadyQueue`: the ready queue the loop uses, eight bytes per entry.
//!
//! *Skip on first read:* it behaves exactly like stage 4's
//! [`ReadyQueue`](crate::stage4_event_loop) — a FIFO of `Runnable`s — and a
//! proptest below checks that it does.
//!
//! Almost every entry is `Step(key)`: a task to poll. A `Runnable` is 32 bytes
//! (a `Call` carries a boxed callback and the place it was scheduled), so a
//! plain `VecDeque<Runnable>` spends 32 bytes per queued task — with a
//! million tasks spawned at once, 32 MB of queue, and a page fault for every
//! 128 of them.
//!
//! So this queue keeps the *order* in one `VecDeque` of 8-byte entries (a
//! task key, or a marker), and the few entries that carry a payload (a fired
//! timer's waker, a callback) in a second FIFO beside it. Payloads are popped
//! in the same order as their markers, so the two queues never disagree.
//! Measured: 16 fewer bytes per spawned task than the 24-byte entries of the
//! time (24 now), and a cheaper push and pop.
//!
//! Rejected alternatives: an intrusive list through the task cells (no queue
//! memory at all, as tokio does) — it needs raw pointers, and callbacks still
//! need a place; boxing the payloads to make `Runnable` 16 bytes — an
//! allocation per timer fired.

use crate::Waker;
use crate::stage4_event_loop::{Callback, Runnable, RunnableRef, TaskKey};
use std::collections::VecDeque;

/// One entry of the order: a task key's bits, or a marker.
///
/// A plain `enum { Step(TaskKey), Wake, Call, Stop }` would be 12 bytes: a
/// `TaskKey` has no spare bit pattern for the compiler to put the variant
/// in. But no task ever has slot index `u32::MAX` (the table refuses to
/// grow that far), so the keys with that index are free to mean something
/// else: they are the markers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry(u64);

impl Entry {
    /// Markers: the high 32 bits (the slot index) all ones.
    const fn marker(n: u64) -> Entry {
        Entry((u32::MAX as u64) << 32 | n)
    }
    /// The next payload is a waker to call.
    const WAKE: Entry = Entry::marker(1);
    /// The next payload is a callback.
    const CALL: Entry = Entry::marker(2);
    const STOP: Entry = Entry::marker(3);

    fn step(key: TaskKey) -> Entry {
        let bits = key.to_bits();
        debug_assert!(bits >> 32 != u32::MAX as u64, "a task key is never a marker");
        Entry(bits)
    }

    fn is_marker(self) -> bool {
        self.0 >> 32 == u32::MAX as u64
    }
}

/// The payload of a `Wake` or `Call` entry.
enum Payload {
    Wake(Waker),
    Call(Callback),
}

/// The FIFO of what runs next (see the module docs).
#[derive(Default)]
pub(crate) struct PackedReadyQueue {
    order: VecDeque<Entry>,
    /// Invariant: one payload per `Wake`/`Call` entry in `order`, same order.
    payloads: VecDeque<Payload>,
}

impl PackedReadyQueue {
    pub(crate) fn push(&mut self, runnable: Runnable) {
        match runnable {
            Runnable::Step(key) => self.push_step(key),
            Runnable::Wake(waker) => {
                self.order.push_back(Entry::WAKE);
                self.payloads.push_back(Payload::Wake(waker));
            }
            Runnable::Call(callback) => {
                self.order.push_back(Entry::CALL);
                self.payloads.push_back(Payload::Call(callback));
            }
            Runnable::Stop => self.order.push_back(Entry::STOP),
        }
    }

    /// Queues a task's step: the hot path, no payload.
    #[inline]
    pub(crate) fn push_step(&mut self, key: TaskKey) {
        self.order.push_back(Entry::step(key));
    }

    pub(crate) fn pop(&mut self) -> Option<Runnable> {
        let entry = self.order.pop_front()?;
        Some(if !entry.is_marker() {
            Runnable::Step(TaskKey::from_bits(entry.0))
        } else if entry == Entry::STOP {
            Runnable::Stop
        } else {
            match self.payloads.pop_front().expect("a payload per marker") {
                Payload::Wake(waker) => Runnable::Wake(waker),
                Payload::Call(callback) => Runnable::Call(callback),
            }
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.order.clear();
        self.payloads.clear();
    }

    /// Reorders every queued entry with `permute` (`RONDO_SHUFFLE`): takes
    /// them out whole, so entries and payloads move together.
    pub(crate) fn permute(&mut self, permute: &mut dyn FnMut(&mut [Runnable])) {
        let mut all: Vec<Runnable> = std::iter::from_fn(|| self.pop()).collect();
        permute(&mut all);
        for runnable in all {
            self.push(runnable);
        }
    }

    /// The queued entries in order, borrowed.
    pub(crate) fn iter(&self) -> impl Iterator<Item = RunnableRef<'_>> {
        let mut payloads = self.payloads.iter();
        self.order.iter().map(move |&entry| {
            if !entry.is_marker() {
                RunnableRef::Step(TaskKey::from_bits(entry.0))
            } else if entry == Entry::STOP {
                RunnableRef::Stop
            } else {
                match payloads.next().expect("a payload per marker") {
                    Payload::Wake(waker) => RunnableRef::Wake(waker),
                    Payload::Call(_) => RunnableRef::Call,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage4_event_loop::ReadyQueue;
    use proptest::prelude::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn an_entry_is_eight_bytes() {
        assert_eq!(std::mem::size_of::<Entry>(), 8);
        assert_eq!(std::mem::size_of::<Runnable>(), 32, "what the simple queue pays per entry");
    }

    /// One operation on a ready queue.
    #[derive(Clone, Debug)]
    enum Op {
        Step(u32, u32),
        Wake,
        Call(u32),
        Stop,
        Pop,
        Reverse,
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u32..1000, 0u32..3).prop_map(|(i, g)| Op::Step(i, g)),
            1 => Just(Op::Wake),
            2 => (0u32..100).prop_map(Op::Call),
            1 => Just(Op::Stop),
            4 => Just(Op::Pop),
            1 => Just(Op::Reverse),
            1 => Just(Op::Clear),
        ]
    }

    /// What a popped entry was, comparable across the two queues (a callback
    /// is run and its number logged).
    fn describe(runnable: Runnable) -> String {
        match runnable {
            Runnable::Step(key) => format!("step {key:?}"),
            Runnable::Wake(_) => "wake".into(),
            Runnable::Call(callback) => {
                callback.call();
                "call".into()
            }
            Runnable::Stop => "stop".into(),
        }
    }

    fn kinds<'a>(iter: impl Iterator<Item = RunnableRef<'a>>) -> Vec<String> {
        iter.map(|r| match r {
            RunnableRef::Step(key) => format!("step {key:?}"),
            RunnableRef::Wake(_) => "wake".into(),
            RunnableRef::Call => "call".into(),
            RunnableRef::Stop => "stop".into(),
        })
        .collect()
    }

    proptest! {
        /// The packed queue and the simple one, given the same operations,
        /// hand out the same entries in the same order — payloads included.
        #[test]
        fn the_packed_queue_behaves_like_the_simple_one(ops in proptest::collection::vec(op(), 0..200)) {
            let (packed_log, simple_log) = (Rc::new(RefCell::new(vec![])), Rc::new(RefCell::new(vec![])));
            let mut packed = PackedReadyQueue::default();
            let mut simple = ReadyQueue::default();
            let call = |log: &Rc<RefCell<Vec<u32>>>, n: u32| -> Runnable {
                let log = log.clone();
                Runnable::Call(Callback::new(move || log.borrow_mut().push(n)))
            };
            for op in ops {
                match op {
                    Op::Step(index, generation) => {
                        let key = TaskKey::for_tests(index, generation);
                        packed.push_step(key);
                        simple.push_step(key);
                    }
                    Op::Wake => {
                        packed.push(Runnable::Wake(Waker::noop()));
                        simple.push(Runnable::Wake(Waker::noop()));
                    }
                    Op::Call(n) => {
                        packed.push(call(&packed_log, n));
                        simple.push(call(&simple_log, n));
                    }
                    Op::Stop => {
                        packed.push(Runnable::Stop);
                        simple.push(Runnable::Stop);
                    }
                    Op::Pop => prop_assert_eq!(packed.pop().map(describe), simple.pop().map(describe)),
                    Op::Reverse => {
                        packed.permute(&mut |all| all.reverse());
                        simple.permute(&mut |all| all.reverse());
                    }
                    Op::Clear => {
                        packed.clear();
                        simple.clear();
                    }
                }
                prop_assert_eq!(packed.len(), simple.len());
                prop_assert_eq!(packed.is_empty(), simple.is_empty());
                prop_assert_eq!(kinds(packed.iter()), kinds(simple.iter()));
            }
            while let Some(runnable) = simple.pop() {
                prop_assert_eq!(packed.pop().map(describe), Some(describe(runnable)));
            }
            prop_assert!(packed.pop().is_none());
            prop_assert_eq!(&*packed_log.borrow(), &*simple_log.borrow());
        }
    }
}
