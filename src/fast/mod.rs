//! # Below the stages: the loop's fast structures (skip on first read)
//!
//! The stages show each idea in its simplest form: the ready queue is a
//! `VecDeque` of entries, the timers a binary heap, a task finds its loop
//! through a `Weak`. The loop a program runs on uses the structures here
//! instead — each does the same job in less memory or fewer instructions,
//! and each sits beside the simple version it replaces, which stays as its
//! test oracle: a proptest drives both with the same random operations and
//! checks that they answer alike.
//!
//! | fast structure | replaces (stage) | saves |
//! |---|---|---|
//! | [`PackedReadyQueue`] | `ReadyQueue` (4) | 24 B per queued task: 8-byte entries, payloads beside them |
//! | [`FifoTimerHeap`] | `TimerHeap` (4) | timers arriving in deadline order skip the heap: 1M sleepers 0.81 → 0.60 s CPU; 32-byte entries |
//! | [`LoopRef`] | a `Weak<Core>` per task (4) | 4 bytes per task header: 64 → 56 B, a 112-byte malloc chunk |
//!
//! Every figure is measured in `docs/performance.md`.

mod compact_sleep;
mod fifo_timer_heap;
mod loop_registry;
mod packed_ready_queue;

pub use compact_sleep::Sleep;
pub(crate) use fifo_timer_heap::FifoTimerHeap;
pub(crate) use loop_registry::LoopRef;
pub(crate) use packed_ready_queue::PackedReadyQueue;
