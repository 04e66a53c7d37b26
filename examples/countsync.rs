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
//! then moves virtual time forward while nothing else runs; `-- --async`
//! for the same program as `async fn`s — stage 9: writing `async` does not
//! make a blocking call yield).

#[path = "common/mod.rs"]
mod common;

use rondo::stage3_sleep::count_blocking;
use rondo::{Transcript, blocking_sleep, from_future, gather};
use std::time::Duration;

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    let counts = vec![count_blocking(out.clone()), count_blocking(out.clone()), count_blocking(out.clone())];
    let elapsed = common::run_main(virtual_clock, common::spawn_all(counts)).took;
    out.say(common::elapsed_line("countsync.rs", elapsed, virtual_clock));
}

/// `count()` with `time.sleep(1)`, as an `async fn`: the compiler writes
/// the state machine that `stage3_sleep::count_blocking` writes by hand.
/// It is `async`, yet it has no `.await` — and so no point where it could
/// give the loop back: the blocking sleep holds the thread, as in Python.
async fn count_blocking_async(out: Transcript) {
    out.say("One");
    blocking_sleep(Duration::from_secs(1)); // time.sleep(1): nothing else runs meanwhile
    out.say("Two");
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let counts = (0..3).map(|_| from_future(count_blocking_async(out.clone()))).collect();
    let main = from_future(async move { gather(counts).await.expect("every count finishes") });
    let elapsed = common::run_main(virtual_clock, main).took;
    out.say(common::elapsed_line("countsync.rs", elapsed, virtual_clock));
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
