//! `ReadyQueue`: the loop's FIFO of [`Runnable`]s — asyncio's `loop._ready`.
//!
//! A `VecDeque`: push at the back when something becomes ready, pop from the
//! front to run it. The loop's iteration rule (run only what was queued when
//! the iteration began) is not the queue's business: `run_once` counts the
//! entries first and pops exactly that many.
//!
//! *What the loop really uses:* [`PackedReadyQueue`](crate::fast::PackedReadyQueue),
//! the same FIFO with 8-byte entries instead of 32 (24 bytes less per queued
//! task — 24 MB with a million spawned at once). This simple queue stays as
//! its oracle: a proptest drives both with the same operations.

// The loop runs on the fast version; this one is the idea, and its test oracle.
#![cfg_attr(not(test), allow(dead_code))]

use super::runnable::{Runnable, RunnableRef};
use super::task_table::TaskKey;
use std::collections::VecDeque;

/// What runs next, in order.
#[derive(Default)]
pub(crate) struct ReadyQueue {
    queue: VecDeque<Runnable>,
}

impl ReadyQueue {
    pub(crate) fn push(&mut self, runnable: Runnable) {
        self.queue.push_back(runnable);
    }

    /// Queues a task's step (the common case).
    pub(crate) fn push_step(&mut self, key: TaskKey) {
        self.push(Runnable::Step(key));
    }

    pub(crate) fn pop(&mut self) -> Option<Runnable> {
        self.queue.pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }

    /// Reorders every queued entry with `permute` (`RONDO_SHUFFLE`).
    pub(crate) fn permute(&mut self, permute: &mut dyn FnMut(&mut [Runnable])) {
        permute(self.queue.make_contiguous());
    }

    /// The queued entries in order, borrowed.
    pub(crate) fn iter(&self) -> impl Iterator<Item = RunnableRef<'_>> {
        self.queue.iter().map(Runnable::as_ref)
    }
}
