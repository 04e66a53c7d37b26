//! # busy_vs_loop — the same sleeps, two runners: one spins, one sleeps
//!
//! Stage 3's naive runner polls every coroutine on every pass, so while the
//! three `count()`s of `countasync` sleep for one second it asks them "done
//! yet?" millions of times. The stage-4 event loop puts the thread to sleep
//! until the earliest deadline. Both print the same lines at the same moments;
//! only the CPU bill differs.
//!
//! **Watch for:** both take about 1 s of wall time; the naive runner uses
//! about 1 s of CPU (a core at 100% doing nothing), the event loop next to
//! none. Also the number of polls: millions vs a handful.
//!
//! Run: `cargo run --release --example busy_vs_loop`. With `-- --virtual`
//! both runners jump time instead of waiting, so neither spins and the CPU
//! figures say nothing — use the real clock for this one.

#[path = "common/mod.rs"]
mod common;

use rondo::stage3_sleep::{Clock, NaiveRunner, count, process_cpu_time};
use rondo::{BoxCoroutine, Transcript};
use std::time::{Duration, Instant};

/// What one runner cost.
pub struct Cost {
    pub wall: Duration,
    pub cpu: Option<Duration>,
    pub polls: u64,
}

fn measure(f: impl FnOnce() -> u64) -> Cost {
    let cpu_before = process_cpu_time();
    let start = Instant::now();
    let polls = f();
    let wall = start.elapsed();
    let cpu = process_cpu_time().zip(cpu_before).map(|(after, before)| after.saturating_sub(before));
    Cost { wall, cpu, polls }
}

fn clock(virtual_clock: bool) -> Clock {
    if virtual_clock { Clock::virtual_() } else { Clock::real() }
}

/// Runs the three counts on the naive runner.
pub fn naive(virtual_clock: bool, out: &Transcript) -> Cost {
    measure(|| {
        let runner = NaiveRunner::new(clock(virtual_clock));
        let counts: Vec<BoxCoroutine<'_, ()>> =
            (0..3).map(|_| Box::new(count(out.clone())) as BoxCoroutine<'_, ()>).collect();
        runner.run(counts).polls
    })
}

/// Runs the three counts on the event loop.
pub fn event_loop(virtual_clock: bool, out: &Transcript) -> Cost {
    measure(|| {
        let ev = common::event_loop(virtual_clock);
        let counts = vec![count(out.clone()), count(out.clone()), count(out.clone())];
        ev.run_until_complete(common::spawn_all(counts)).expect("counts finish");
        ev.iterations()
    })
}

fn report(name: &str, cost: &Cost, unit: &str, out: &Transcript) {
    let cpu = match cost.cpu {
        Some(cpu) => format!("{:.3} s", cpu.as_secs_f64()),
        None => "unknown (no /proc)".to_string(),
    };
    out.say(format!(
        "{name:<12} wall {:.3} s   CPU {cpu:>9}   {} {unit}",
        cost.wall.as_secs_f64(),
        cost.polls
    ));
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    out.say("--- naive runner (stage 3): polls everyone, every pass");
    let spin = naive(virtual_clock, out);
    out.say("--- event loop (stage 4): polls what was woken, sleeps until the next deadline");
    let idle = event_loop(virtual_clock, out);
    out.say("--- cost of three 1-second sleeps");
    report("naive", &spin, "polls", out);
    report("event loop", &idle, "loop iterations", out);
    if virtual_clock {
        out.say("(virtual clock: neither runner waited, so the CPU figures mean nothing here)");
    }
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    run(args.virtual_clock, &args.transcript());
}
