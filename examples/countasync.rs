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
//! clock: same output, no waiting; `-- --stamps` to see the loop time).

#[path = "common/mod.rs"]
mod common;

use rondo::Transcript;
use rondo::stage3_sleep::count;

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    // gather(count(), count(), count()) — by hand until stage 5.
    let counts = vec![count(out.clone()), count(out.clone()), count(out.clone())];
    let elapsed = common::run_main(virtual_clock, common::spawn_all(counts)).took;
    out.say(common::elapsed_line("countasync.rs", elapsed, virtual_clock));
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    run(args.virtual_clock, &args.transcript());
}
