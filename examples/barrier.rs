//! # barrier — three runners wait for each other at a `Barrier(3)`
//!
//! ```python
//! async def runner(barrier, i, delay):
//!     await asyncio.sleep(delay)
//!     print(f"runner {i} ready")
//!     index = await barrier.wait()           # parks until all three have arrived
//!     print(f"runner {i} go (arrived {index})")
//! async def main():
//!     barrier = asyncio.Barrier(3)
//!     await asyncio.gather(*(runner(barrier, i, d) for i, d in ((1, 0.31), (2, 0.17), (3, 0.53))))
//! ```
//! **Watch for:** runner 2 is ready first and runner 3 last, at 0.53 s, and
//! nobody goes before then. Runner 3, the last to arrive, goes first: its
//! arrival releases the barrier and it does not suspend at all; the two
//! that waited were notified and follow in the next loop iteration, in the
//! order they arrived. Each gets its arrival index: 2 was first (0), 1
//! second (1), 3 third (2).
//!
//! Run: `cargo run --example barrier` (`-- --virtual` for instant time,
//! `-- --stamps` for the loop time of every line, `-- --async` for the same
//! program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::stage7_coordination::BarrierWait;
use rondo::{Barrier, Context, Coroutine, Gather, Poll, Sleep, Transcript, from_future, gather, sleep};
use std::time::Duration;

/// `runner(barrier, i, delay)`.
struct Runner {
    barrier: Barrier,
    i: u32,
    out: Transcript,
    state: RunnerState,
}

enum RunnerState {
    Napping(Sleep),
    /// At the barrier.
    Waiting(BarrierWait),
    Done,
}

impl Coroutine for Runner {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                RunnerState::Napping(nap) => {
                    let Poll::Ready(()) = nap.poll(cx) else { return Poll::Pending };
                    self.out.say(format!("runner {} ready", self.i));
                    self.state = RunnerState::Waiting(self.barrier.wait());
                }
                RunnerState::Waiting(wait) => {
                    let Poll::Ready(index) = wait.poll(cx) else { return Poll::Pending };
                    let index = index.expect("nobody breaks the barrier");
                    self.out.say(format!("runner {} go (arrived {index})", self.i));
                    self.state = RunnerState::Done;
                    return Poll::Ready(());
                }
                RunnerState::Done => panic!("runner() polled after it completed"),
            }
        }
    }
}

/// `main()`.
struct Main {
    state: MainState,
    out: Transcript,
}

enum MainState {
    Start,
    Gathering(Gather<()>),
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    let barrier = Barrier::new(3);
                    let runners = [(1, 0.31), (2, 0.17), (3, 0.53)]
                        .into_iter()
                        .map(|(i, delay)| Runner {
                            barrier: barrier.clone(),
                            i,
                            out: self.out.clone(),
                            state: RunnerState::Napping(sleep(Duration::from_secs_f64(delay))),
                        })
                        .collect();
                    self.state = MainState::Gathering(gather(runners));
                }
                MainState::Gathering(all) => {
                    let Poll::Ready(done) = all.poll(cx) else { return Poll::Pending };
                    done.expect("no runner fails");
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
    let ev = common::event_loop(virtual_clock);
    ev.run(Main { out: out.clone(), state: MainState::Start }).expect("main completes");
}

/// `runner(barrier, i, delay)` as an `async fn`: the `Runner` machine above.
async fn runner_async(barrier: Barrier, i: u32, delay: f64, out: Transcript) {
    sleep(Duration::from_secs_f64(delay)).await;
    out.say(format!("runner {i} ready"));
    let index = barrier.wait().await.expect("nobody breaks the barrier"); // parks until all three are here
    out.say(format!("runner {i} go (arrived {index})"));
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let out = out.clone();
    // `main()`: the `Main` machine above.
    let main = from_future(async move {
        let barrier = Barrier::new(3);
        let runners = [(1, 0.31), (2, 0.17), (3, 0.53)]
            .into_iter()
            .map(|(i, delay)| from_future(runner_async(barrier.clone(), i, delay, out.clone())))
            .collect();
        gather(runners).await.expect("no runner fails");
    });
    common::event_loop(virtual_clock).run(main).expect("main completes");
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
