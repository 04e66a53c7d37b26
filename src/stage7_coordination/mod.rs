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
//! **Reading order** (for this part): `group_error` (what a failed group
//! ends with) → `child_task` (a child, as the group and the body see it) →
//! `task_group` → `timeout_at` (`cancel_awaited`: what both do when they
//! cancel their body).
//!
//! Seed scenario: the `taskgroup` example — A finishes, B fails, C is
//! cancelled, and the group reports B's failure.
//!
//! **The flaw this stage leaves.** The loop still waits only for its own
//! timers: nothing from outside (a socket, a thread) can wake it. Stage 8.

mod cancel_awaited;
mod child_task;
mod group_error;
pub mod task_group;
pub mod timeout_at;

pub use child_task::ChildTask;
pub use group_error::{ExceptionGroup, GroupError};
pub use task_group::{TaskGroup, WithTaskGroup, task_group};
pub use timeout_at::{TimeoutAt, TimeoutHandle, call_at, timeout_at};
