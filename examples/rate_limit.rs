//! # rate_limit — a `Semaphore(3)`: eight fetches, at most three at a time
//!
//! ```python
//! async def fetch(sem, i):
//!     async with sem:                          # waits while three fetches run
//!         print(f"start {i}")
//!         await asyncio.sleep(0.5 + 0.137 * (i % 4))
//!         print(f"done {i}")
//! async def main():
//!     sem = asyncio.Semaphore(3)
//!     await asyncio.gather(*(fetch(sem, i) for i in range(1, 9)))
//!     print("all fetched")
//! ```
//! **Watch for:** 1, 2 and 3 start at once; 4 to 8 wait in line, and each
//! starts at the very instant a running fetch is done — in arrival order,
//! whoever finishes: the semaphore hands the freed slot to the first in
//! line (it is fair). 8 finishes before 7: it started later but naps less.
//!
//! Run: `cargo run --example rate_limit` (`-- --virtual` for instant time,
//! `-- --stamps` for the loop time of every line, `-- --async` for the same
//! program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::stage7_coordination::SemaphoreAcquire;
use rondo::{
    Context, Coroutine, Gather, Permit, Poll, Semaphore, Sleep, Transcript, from_future, gather, sleep,
};
use std::time::Duration;

/// `fetch(sem, i)`.
struct Fetch {
    sem: Semaphore,
    i: u32,
    out: Transcript,
    state: FetchState,
}

enum FetchState {
    Start,
    /// `async with sem:` — in line for a slot.
    Acquiring(SemaphoreAcquire),
    /// Inside the `async with`: the permit is the slot, given back on drop.
    Fetching {
        _permit: Permit,
        nap: Sleep,
    },
    Done,
}

impl Coroutine for Fetch {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                FetchState::Start => self.state = FetchState::Acquiring(self.sem.acquire()),
                FetchState::Acquiring(acquire) => {
                    let Poll::Ready(permit) = acquire.poll(cx) else { return Poll::Pending };
                    self.out.say(format!("start {}", self.i));
                    let nap = sleep(Duration::from_secs_f64(0.5 + 0.137 * f64::from(self.i % 4)));
                    self.state = FetchState::Fetching { _permit: permit, nap };
                }
                FetchState::Fetching { nap, .. } => {
                    let Poll::Ready(()) = nap.poll(cx) else { return Poll::Pending };
                    self.out.say(format!("done {}", self.i));
                    self.state = FetchState::Done; // drops the permit: leaving `async with`
                    return Poll::Ready(());
                }
                FetchState::Done => panic!("fetch() polled after it completed"),
            }
        }
    }
}

/// `main()`.
struct Main {
    out: Transcript,
    state: MainState,
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
                    let sem = Semaphore::new(3);
                    let fetches = (1..=8)
                        .map(|i| Fetch {
                            sem: sem.clone(),
                            i,
                            out: self.out.clone(),
                            state: FetchState::Start,
                        })
                        .collect();
                    self.state = MainState::Gathering(gather(fetches));
                }
                MainState::Gathering(all) => {
                    let Poll::Ready(done) = all.poll(cx) else { return Poll::Pending };
                    done.expect("no fetch fails");
                    self.out.say("all fetched");
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

/// `fetch(sem, i)` as an `async fn`: the `Fetch` machine above, written by
/// the compiler. The permit lives until the end of the body: `async with`.
async fn fetch_async(sem: Semaphore, i: u32, out: Transcript) {
    let _permit = sem.acquire().await;
    out.say(format!("start {i}"));
    sleep(Duration::from_secs_f64(0.5 + 0.137 * f64::from(i % 4))).await;
    out.say(format!("done {i}"));
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let out = out.clone();
    let main = from_future(async move {
        let sem = Semaphore::new(3);
        let fetches = (1..=8).map(|i| from_future(fetch_async(sem.clone(), i, out.clone()))).collect();
        gather(fetches).await.expect("every fetch finishes");
        out.say("all fetched");
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
