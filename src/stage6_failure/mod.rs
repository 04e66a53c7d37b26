//! # Stage 6 — failure: cancellation, panics, deadlocks and blocking calls
//!
//! **What stage 5 could not do.** A panicking coroutine unwound through the
//! loop and took every task down with it. Nothing could stop a task from the
//! outside. A task waiting on a promise nobody sets, or on itself, left the
//! loop with nothing to do and no explanation. And a coroutine calling
//! `std::thread::sleep` silently froze everybody.
//!
//! **What this stage adds.**
//! - [`cancel`](mod@cancel): `Task::cancel` drops the coroutine at its next
//!   step — `Drop` is the clean-up — and carries on into the task it was
//!   awaiting; [`shield`] stops that. Cancelled sleeps withdraw their timers.
//!   `run` cancels what is left when `main` returns.
//! - [`panics`]: every step runs under `catch_unwind`; a panic becomes the
//!   task's `TaskError::Panicked`, its siblings go on, and an error nobody
//!   awaited is reported with the task's name and spawn site. A panic in
//!   `main` reaches the caller of `run`.
//! - [`deadlock`]: the loop's `Deadlock` error names every stuck task and
//!   what it waits on.
//! - [`slow_step`]: a step that holds the loop over 100 ms is reported.
//!
//! Seed scenarios: `time.sleep` inside `highest_prime_below` (seed 000),
//! `main` finishing while `printNumbers` still runs (seed 001).
//!
//! **The flaw this stage leaves.** Tasks can wait for each other, but not
//! *coordinate*: no queue between a producer and a consumer, no lock, no
//! event. Stage 7 adds them.

pub mod cancel;
pub mod deadlock;
pub mod panics;
pub mod slow_step;

pub use cancel::{Shield, shield};
pub use deadlock::StuckTask;
pub use panics::Unobserved;
pub use slow_step::{DEFAULT_SLOW_STEP, SlowStep};
