//! # Stage 7 — coordination: tasks that work together
//!
//! **What stage 6 could not do.** Tasks could wait for each other, fail and
//! be cancelled, but not *coordinate*: nothing kept a set of children and
//! their parent together, and a deadline, once given, could not be moved.
//!
//! **What this stage adds** (this part of it):
//! - [`task_group()`]: asyncio 3.11's `TaskGroup` —
//!   children that cannot outlive their group; the first failure cancels the
//!   rest and the body; every failure is collected;
//! - [`timeout_at()`]: a deadline in loop time that the
//!   code under it can move while it runs (`Timeout.reschedule`), and
//!   [`call_at`].
//!
//! Seed scenario: the `taskgroup` example — A finishes, B fails, C is
//! cancelled, and the group reports B's failure.
//!
//! **The flaw this stage leaves.** The loop still waits only for its own
//! timers: nothing from outside (a socket, a thread) can wake it. Stage 8.

pub mod task_group;
pub mod timeout_at;

pub use task_group::{ChildTask, ExceptionGroup, GroupError, TaskGroup, WithTaskGroup, task_group};
pub use timeout_at::{TimeoutAt, TimeoutHandle, call_at, timeout_at};
