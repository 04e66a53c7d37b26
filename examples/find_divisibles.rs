//! # find_divisibles — seed 000's three number crunchers that give the loop back every 50,000 numbers
//!
//! ```python
//! async def find_divisibles(inrange, div_by):
//!     print(f"Finding nums in range {inrange} divisible by {div_by}")
//!     located = []
//!     for i in range(inrange):
//!         if i % div_by == 0:
//!             located.append(i)
//!         if i % 50000 == 0:
//!             await asyncio.sleep(0.00001)
//!     print(f"Done w/ nums in range {inrange} divisible by {div_by}")
//!     return located
//!
//! async def main():
//!     divs1 = loop.create_task(find_divisibles(508000, 34113))
//!     divs2 = loop.create_task(find_divisibles(100052, 3210))
//!     divs3 = loop.create_task(find_divisibles(500, 3))
//!     await asyncio.wait([divs1, divs2, divs3])
//! ```
//! **Watch for:** the order. Run one after another (the seed's plain
//! version) each "Finding" is followed by its own "Done". Here all three say
//! "Finding" first — each stops at `i == 0` to sleep 10 µs — and they finish
//! shortest first (500, then 100,052, then 508,000), because every 50,000
//! numbers each one hands the loop over to the others. This is how a long
//! computation stays cooperative: it pauses on purpose. The longest range
//! pauses 11 times, so the run takes 11 × 10 µs of sleeping plus the
//! counting itself; under `--virtual` the sleeps are exact and the counting
//! takes no loop time, so it prints 0.110 ms.
//!
//! Run: `cargo run --example find_divisibles` (`-- --virtual` for the exact
//! virtual time, `-- --stamps` for the loop time of every line, `-- --async`
//! for the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::stage5_combinators::Wait;
use rondo::{Context, Coroutine, Poll, ReturnWhen, Sleep, Transcript, from_future, sleep, spawn, wait};
use std::time::Duration;

/// How often a cruncher gives the loop back, in numbers examined.
const YIELD_EVERY: u64 = 50_000;

/// ```text
/// async def find_divisibles(inrange, div_by): ...   (above)
/// ```
struct FindDivisibles {
    inrange: u64,
    div_by: u64,
    located: Vec<u64>,
    out: Transcript,
    state: FindState,
}

enum FindState {
    Start,
    /// Examining numbers from `i` on, without pausing until the next multiple of 50,000.
    Counting(u64),
    /// Pausing; `i` is the number to examine after the sleep.
    Sleeping(Sleep, u64),
    Done,
}

fn find_divisibles(inrange: u64, div_by: u64, out: &Transcript) -> FindDivisibles {
    FindDivisibles { inrange, div_by, located: Vec::new(), out: out.clone(), state: FindState::Start }
}

impl Coroutine for FindDivisibles {
    type Output = Vec<u64>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Vec<u64>> {
        let (inrange, div_by) = (self.inrange, self.div_by);
        'step: loop {
            match &mut self.state {
                FindState::Start => {
                    self.out.say(format!("Finding nums in range {inrange} divisible by {div_by}"));
                    self.state = FindState::Counting(0);
                }
                FindState::Counting(from) => {
                    // The body of `for i in range(inrange)`, until it has to pause.
                    for i in *from..inrange {
                        if i % div_by == 0 {
                            self.located.push(i);
                        }
                        if i % YIELD_EVERY == 0 {
                            // `await asyncio.sleep(0.00001)`: hand the loop over.
                            self.state = FindState::Sleeping(sleep(Duration::from_micros(10)), i + 1);
                            continue 'step;
                        }
                    }
                    self.out.say(format!("Done w/ nums in range {inrange} divisible by {div_by}"));
                    self.state = FindState::Done;
                    return Poll::Ready(std::mem::take(&mut self.located));
                }
                FindState::Sleeping(nap, next) => {
                    let next = *next;
                    if nap.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.state = FindState::Counting(next);
                }
                FindState::Done => panic!("find_divisibles() polled after it completed"),
            }
        }
    }
}

/// ```text
/// async def main():
///     divs1 = loop.create_task(find_divisibles(508000, 34113))
///     divs2 = loop.create_task(find_divisibles(100052, 3210))
///     divs3 = loop.create_task(find_divisibles(500, 3))
///     await asyncio.wait([divs1, divs2, divs3])
/// ```
struct Main {
    out: Transcript,
    state: MainState,
}

enum MainState {
    Start,
    /// Every task has been created; waiting until all three are done.
    Waiting(Wait<Vec<u64>>),
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    // create_task: each starts on the loop's next iteration, in this order.
                    let divs1 = spawn(find_divisibles(508_000, 34_113, &self.out));
                    let divs2 = spawn(find_divisibles(100_052, 3_210, &self.out));
                    let divs3 = spawn(find_divisibles(500, 3, &self.out));
                    self.state =
                        MainState::Waiting(wait(vec![divs1, divs2, divs3], ReturnWhen::AllCompleted));
                }
                MainState::Waiting(all) => {
                    let Poll::Ready((done, pending)) = all.poll(cx) else { return Poll::Pending };
                    assert!(pending.is_empty() && done.len() == 3, "ALL_COMPLETED waits for all three");
                    self.state = MainState::Done;
                    return Poll::Ready(());
                }
                MainState::Done => panic!("main() polled after it completed"),
            }
        }
    }
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    run_main(Main { out: out.clone(), state: MainState::Start }, virtual_clock, out);
}

/// `asyncio.run(main())`, then the time it took, in milliseconds.
fn run_main<C: Coroutine<Output = ()> + 'static>(main: C, virtual_clock: bool, out: &Transcript) {
    let took = common::run_main(virtual_clock, main).took;
    let clock = if virtual_clock { " (virtual clock)" } else { "" };
    out.say(format!("main exec in {:.3} ms{clock}.", took.as_secs_f64() * 1000.0));
}

/// `find_divisibles(inrange, div_by)` as an `async fn`: the `FindDivisibles`
/// machine above, written by the compiler. The `for` loop is one loop
/// again; the machine had to split it at every pause.
async fn find_divisibles_async(inrange: u64, div_by: u64, out: Transcript) -> Vec<u64> {
    out.say(format!("Finding nums in range {inrange} divisible by {div_by}"));
    let mut located = Vec::new();
    for i in 0..inrange {
        if i % div_by == 0 {
            located.push(i);
        }
        if i % YIELD_EVERY == 0 {
            sleep(Duration::from_micros(10)).await; // hand the loop over
        }
    }
    out.say(format!("Done w/ nums in range {inrange} divisible by {div_by}"));
    located
}

/// `main()` as an `async fn`: the `Main` machine above.
async fn main_async(out: Transcript) {
    // create_task: each starts on the loop's next iteration, in this order.
    let divs1 = spawn(from_future(find_divisibles_async(508_000, 34_113, out.clone())));
    let divs2 = spawn(from_future(find_divisibles_async(100_052, 3_210, out.clone())));
    let divs3 = spawn(from_future(find_divisibles_async(500, 3, out)));
    let (done, pending) = wait(vec![divs1, divs2, divs3], ReturnWhen::AllCompleted).await;
    assert!(pending.is_empty() && done.len() == 3, "ALL_COMPLETED waits for all three");
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    run_main(from_future(main_async(out.clone())), virtual_clock, out);
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
