//! # countasync — three `count()`s sleeping together: One One One, (1 s), Two Two Two
//!
//! Seed 004's `countasync.py`, on the stage-4 event loop:
//! ```python
//! async def count():
//!     print("One"); await asyncio.sleep(1); print("Two")
//! async def main():
//!     await asyncio.gather(count(), count(), count())
//! ```
//! **Watch for:** all three say "One" before anyone says "Two", and the whole
//! run takes about 1 second, not 3: while one `count` sleeps, the loop runs
//! the others — and while all of them sleep, the thread sleeps too.
//! Compare with `countsync` (3 s) and `busy_vs_loop` (the CPU it costs).
//!
//! Run: `cargo run --example countasync` (add `-- --virtual` for a virtual
//! clock: same output, no waiting; `-- --stamps` to see the loop time;
//! `-- --async` for the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::stage3_sleep::count;
use rondo::{Transcript, from_future, gather, sleep};
use std::time::Duration;

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    // gather(count(), count(), count()) — by hand until stage 5.
    let counts = vec![count(out.clone()), count(out.clone()), count(out.clone())];
    let elapsed = common::run_main(virtual_clock, common::spawn_all(counts)).took;
    out.say(common::elapsed_line("countasync.rs", elapsed, virtual_clock));
}

/// `count()` as an `async fn`: the compiler writes the state machine that
/// `stage3_sleep::count` writes by hand.
async fn count_async(out: Transcript) {
    out.say("One");
    sleep(Duration::from_secs(1)).await;
    out.say("Two");
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let counts = (0..3).map(|_| from_future(count_async(out.clone()))).collect();
    let main = from_future(async move { gather(counts).await.expect("every count finishes") });
    let elapsed = common::run_main(virtual_clock, main).took;
    out.say(common::elapsed_line("countasync.rs", elapsed, virtual_clock));
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
