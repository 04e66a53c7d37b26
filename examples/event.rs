//! # event — three waiters, one `Event`: `set()` wakes them all
//!
//! ```python
//! async def waiter(event, i):
//!     print(f"waiter {i} waiting")
//!     await event.wait()                     # parks until someone sets the event
//!     print(f"waiter {i} woke")
//! async def main():
//!     event = asyncio.Event()
//!     waiters = [asyncio.create_task(waiter(event, i)) for i in (1, 2, 3)]
//!     await asyncio.sleep(1)
//!     print("setting")
//!     event.set()
//!     await asyncio.gather(*waiters)
//!     print("all woke")
//! ```
//! **Watch for:** the three waiters park at once and cost nothing while
//! they wait — no polling, no timer. One `set()` wakes all three, in the
//! order they started waiting, in the next loop iteration (still at 1.000);
//! a `wait()` on an event already set would not wait at all.
//!
//! Run: `cargo run --example event` (`-- --virtual` for instant time,
//! `-- --stamps` for the loop time of every line, `-- --async` for the same
//! program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::stage7_coordination::EventWait;
use rondo::{
    Context, Coroutine, Event, Gather, Poll, Sleep, Task, Transcript, from_future, gather_tasks, sleep, spawn,
};
use std::time::Duration;

/// `waiter(event, i)`.
struct Waiter {
    event: Event,
    i: u32,
    out: Transcript,
    state: WaiterState,
}

enum WaiterState {
    Start,
    Waiting(EventWait),
    Done,
}

impl Coroutine for Waiter {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                WaiterState::Start => {
                    self.out.say(format!("waiter {} waiting", self.i));
                    self.state = WaiterState::Waiting(self.event.wait());
                }
                WaiterState::Waiting(wait) => {
                    let Poll::Ready(()) = wait.poll(cx) else { return Poll::Pending };
                    self.out.say(format!("waiter {} woke", self.i));
                    self.state = WaiterState::Done;
                    return Poll::Ready(());
                }
                WaiterState::Done => panic!("waiter() polled after it completed"),
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
    Sleeping { event: Event, waiters: Vec<Task<()>>, nap: Sleep },
    Gathering(Gather<()>),
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    let event = Event::new();
                    let waiters = (1..=3)
                        .map(|i| {
                            let out = self.out.clone();
                            spawn(Waiter { event: event.clone(), i, out, state: WaiterState::Start })
                        })
                        .collect();
                    self.state = MainState::Sleeping { event, waiters, nap: sleep(Duration::from_secs(1)) };
                }
                MainState::Sleeping { event, waiters, nap } => {
                    let Poll::Ready(()) = nap.poll(cx) else { return Poll::Pending };
                    self.out.say("setting");
                    event.set();
                    self.state = MainState::Gathering(gather_tasks(std::mem::take(waiters)));
                }
                MainState::Gathering(all) => {
                    let Poll::Ready(done) = all.poll(cx) else { return Poll::Pending };
                    done.expect("no waiter fails");
                    self.out.say("all woke");
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

/// `waiter(event, i)` as an `async fn`: the `Waiter` machine above.
async fn waiter_async(event: Event, i: u32, out: Transcript) {
    out.say(format!("waiter {i} waiting"));
    event.wait().await; // parks until someone sets the event
    out.say(format!("waiter {i} woke"));
}

/// `main()` as an `async fn`: the `Main` machine above.
async fn main_async(out: Transcript) {
    let event = Event::new();
    let waiters: Vec<Task<()>> =
        (1..=3).map(|i| spawn(from_future(waiter_async(event.clone(), i, out.clone())))).collect();
    sleep(Duration::from_secs(1)).await;
    out.say("setting");
    event.set();
    gather_tasks(waiters).await.expect("no waiter fails");
    out.say("all woke");
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let ev = common::event_loop(virtual_clock);
    ev.run(from_future(main_async(out.clone()))).expect("main completes");
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
