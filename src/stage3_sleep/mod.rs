//! # Stage 3 — time: a clock, `sleep` by deadline, and a naive runner that spins
//!
//! **What stage 2 could not do.** `block_on` runs one coroutine and has no
//! idea what time it is. The seed's `countasync` needs three coroutines that
//! all say "One", sleep a second *together*, then all say "Two" — 1 s in
//! total, where `countsync`'s blocking `time.sleep` takes 3 s.
//!
//! **What this stage adds.**
//! - [`Clock`]: real (monotonic) or virtual (jumps to the next deadline
//!   instead of waiting), so tests of long scenarios run in milliseconds.
//! - The timer context ([`timers`]): a thread-local through which a coroutine
//!   asks the runtime for the time and leaves a "wake me at" call.
//! - [`sleep`]: no thread, no blocking — a deadline, taken at the first poll,
//!   and `Pending` until the clock passes it.
//! - [`NaiveRunner`]: polls every coroutine on every pass until all are done.
//!   The three `count()`s now overlap and finish in 1 s.
//!
//! **The flaw this stage leaves.** The naive runner spins: while everybody
//! sleeps it polls everybody, over and over, burning a whole core to learn
//! "not yet" (`cargo run --example busy_vs_loop` prints its CPU time next to
//! the event loop's). And each pass costs O(all coroutines), however few can
//! move. Stage 4 polls only what was woken and sleeps the thread until the
//! next deadline.
//!
//! Also shown here (seed 003): a *blocking* `std::thread::sleep` inside a
//! coroutine freezes every other coroutine too — cooperative scheduling only
//! works if everybody yields.

mod clock;
pub mod count;
mod cpu_time;
mod naive_runner;
mod sleep;
pub mod timers;

pub use clock::Clock;
pub use count::{Count, count, count_blocking};
pub use cpu_time::process_cpu_time;
pub use naive_runner::{NaiveRun, NaiveRunner};
pub use sleep::{SimpleSleep, Sleep, sleep};
pub use timers::{
    END_OF_TIME, TimerId, Timers, blocking_sleep, deadline_after, is_never, new_runtime_id, now, try_now,
};
