//! # countsync — the same three `count()`s with a *blocking* sleep: One Two, One Two, One Two in 3 s
//!
//! Seed 004's `countsync.py` uses `time.sleep(1)`, which blocks the thread.
//! Here the three counts are even spawned as tasks on the event loop, exactly
//! like `countasync` — but each one calls `blocking_sleep` (rondo's
//! `time.sleep`), which never returns `Pending`: nobody else can run until it
//! is done.
//!
//! **Watch for:** "One Two" three times in a row, and 3 seconds in total. A
//! single blocking call turns cooperative concurrency back into a queue.
//!
//! Run: `cargo run --example countsync` (`-- --virtual`: a blocking call
//! then moves virtual time forward while nothing else runs).

#[path = "common/mod.rs"]
mod common;

use rondo::Transcript;
use rondo::stage3_sleep::count_blocking;

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    let counts = vec![count_blocking(out.clone()), count_blocking(out.clone()), count_blocking(out.clone())];
    let elapsed = common::run_main(virtual_clock, common::spawn_all(counts)).took;
    out.say(common::elapsed_line("countsync.rs", elapsed, virtual_clock));
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    run(args.virtual_clock, &args.transcript());
}
