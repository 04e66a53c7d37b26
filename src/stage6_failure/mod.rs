//! # Stage 6 — failure: cancellation, panics, deadlocks and blocking calls
//!
//! **What stage 5 could not do.** Stage 4 already ends a task whose step
//! panics, and ends a cancelled task at its next step. But a cancelled task
//! that awaits another left the awaited one running, its clean-ups in the
//! wrong order; a panic nobody awaited vanished; a task waiting on a promise
//! nobody sets, or on itself, left the loop with nothing to do and no
//! explanation of why; and a coroutine calling `std::thread::sleep` silently
//! froze everybody.
//!
//! **What this stage adds**, each plugged into one of the loop's seams
//! (`install` does it for every loop `EventLoop::new` makes):
//! - [`cancel`](mod@cancel): cancellation goes down the await chain first,
//!   so clean-ups run innermost first (the cancel-policy seam); [`shield`]
//!   stops it. Cancelled sleeps withdraw their timers. `run` cancels what is
//!   left when `main` returns.
//! - [`panics`]: a task's panic is said in one line naming the task (a
//!   panic hook), and a failure nobody awaited is reported with the task's
//!   name and spawn site when the loop goes (noted by the `supervisor`).
//! - [`deadlock`]: the loop's `Deadlock` error names every stuck task and
//!   what it waits on (the explainer seam, reading the waits-on seam).
//! - [`slow_step`]: a step that holds the loop over 100 ms is reported,
//!   timed by a `watchdog` thread under the real clock (around each step).
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
pub(crate) mod supervisor;
pub(crate) mod watchdog;

pub use crate::stage4_event_loop::StuckTask;
pub use cancel::{Shield, shield};
pub use panics::Unobserved;
pub use slow_step::{DEFAULT_SLOW_STEP, SlowStep};

use crate::EventLoop;

/// Plugs this stage into `ev`'s seams: the supervisor around each step,
/// the chain-following cancel policy, and the deadlock explainer.
pub(crate) fn install(ev: &EventLoop) {
    panics::install_panic_hook();
    supervisor::Supervisor::install(ev);
    ev.core().set_cancel_policy(cancel::cancel_down_the_chain);
    ev.core().set_explainer(deadlock::explain);
}
