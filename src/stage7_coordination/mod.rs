//! # Stage 7 — coordination: queues, locks, events, semaphores, barriers and task groups
//!
//! **What stage 6 could not do.** Tasks could wait for each other to
//! *finish*, fail and be cancelled — but not *coordinate* while they run.
//! Seed 001's list of what asyncio offers ends with "distribute tasks via
//! queues" and "synchronize concurrent code": a producer cannot hand work to
//! a consumer, two tasks updating one balance lose each other's update, and
//! "at most three downloads at once" has no way to be said. Nothing kept a
//! set of children and their parent together either, and a deadline, once
//! given, could not be moved.
//!
//! **What this stage adds** — asyncio's primitives, each a small file, each
//! made of the same piece: a FIFO of parked coroutines (`waiters.rs`),
//! differing only in whom it wakes and when the woken one leaves the line:
//! - [`Lock`] (with a guard that is asyncio's `async with`), [`Event`],
//!   [`Condition`], [`Semaphore`]/[`BoundedSemaphore`], [`Barrier`];
//! - [`Queue`] with `maxsize`, `task_done`/`join` and 3.13's `shutdown`, in
//!   FIFO, LIFO ([`LifoQueue`]) and priority ([`PriorityQueue`]) order;
//!
//! and structured concurrency on top of the tasks:
//! - [`task_group()`]: asyncio 3.11's `TaskGroup` — children that cannot
//!   outlive their group; the first failure cancels the rest and the body;
//!   every failure is collected;
//! - [`timeout_at()`]: a deadline in loop time that the code under it can
//!   move while it runs (`Timeout.reschedule`), and [`call_at`].
//!
//! They copy CPython's `locks.py`, `queues.py` and `taskgroups.py` rule for
//! rule, because the rules decide the order of events: an uncontended
//! acquire, put, get or wait does not suspend at all; a woken waiter runs one
//! iteration later; `Lock` and `Semaphore` are fair (a woken waiter keeps its
//! place) while a `Queue` getter that loses the item to a newcomer goes to
//! the back; a waiter cancelled after being woken passes the wake on (in
//! `Drop`: rondo cancels by dropping); and each primitive tells the deadlock
//! explainer what its waiters wait on ("waits to acquire Lock 'fork'",
//! "waits on an empty Queue (0 of maxsize 2)").
//!
//! **Reading order.** `waiters` (the one piece) → `lock` → `event` →
//! `semaphore` → `condition` (a lock and a line) → `barrier` (a condition
//! and a state machine) → `queue_order` → `queue` (two lines and a join;
//! its coroutines in `queue/waiting.rs`); then `group_error` (what a failed
//! group ends with) → `child_task` (a child, as the group and the body see
//! it) → `task_group` → `timeout_at` (`cancel_awaited`: what both do when
//! they cancel their body).
//!
//! Every primitive is a `Clone` handle (an `Rc` inside): clones are the same
//! primitive, shared by the tasks of one loop.
//!
//! Seed scenarios: producer/consumer ("distribute tasks via queues"), rate
//! limiting with a semaphore, the lost update of two depositors without a
//! lock (`cargo run --example bank`), a barrier, an event, and a task group
//! whose second child fails (`cargo run --example taskgroup`).
//!
//! **The flaw this stage leaves.** Everything a task can wait for is inside
//! the loop: another task, a timer, a primitive. The loop still cannot wait
//! for the *outside world* — a socket becoming readable, a thread finishing
//! blocking work — so a program that reads the network, or calls a blocking
//! library, freezes every task. Stage 8 gives the loop a `poll(2)` selector
//! and a thread pool.

mod barrier;
mod cancel_awaited;
mod child_task;
mod condition;
mod event;
mod group_error;
mod lock;
mod queue;
mod queue_order;
mod semaphore;
pub mod task_group;
#[cfg(test)]
mod test_util;
pub mod timeout_at;
pub(crate) mod waiters;

pub use barrier::{Barrier, BarrierControl, BarrierWait, BrokenBarrierError};
pub use child_task::ChildTask;
pub use condition::{CondWait, CondWaitFor, Condition};
pub use event::{Event, EventWait};
pub use group_error::{ExceptionGroup, GroupError};
pub use lock::{Acquire, Lock, LockGuard};
pub use queue::{
    GetError, LifoQueue, PriorityQueue, PutError, Queue, QueueGet, QueueJoin, QueuePut, TooManyTaskDone,
};
pub use semaphore::{BoundedSemaphore, Permit, ReleasedTooManyTimes, Semaphore, SemaphoreAcquire};
pub use task_group::{TaskGroup, WithTaskGroup, task_group};
pub use timeout_at::{TimeoutAt, TimeoutHandle, call_at, timeout_at};
