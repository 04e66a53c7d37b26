//! # cats — seed 003's five `AsyncCat`s: coroutines awaiting coroutines awaiting a sleep
//!
//! ```python
//! class AsyncCat(SyncCat):
//!     async def exists(self):
//!         self._eat()                      # print("eat"): a plain method
//!         await self._have_free_time()
//!
//!     async def _have_free_time(self):
//!         print("have free time")
//!         await self._sleep()
//!
//!     async def _sleep(self):
//!         print("sleeping")
//!         await asyncio.sleep(2)
//!         print("wake")
//!
//! async def main(cats):
//!     await asyncio.gather(*[cat.exists() for cat in cats])
//!
//! asyncio.run(main([AsyncCat() for _ in range(5)]))
//! ```
//! **Watch for:** each cat says `eat`, `have free time`, `sleeping` in one
//! go — three nested coroutines, one step of one task — before the next cat
//! starts; then all five `wake` together, and the run takes 2 s, not 10.
//! Awaiting a coroutine is polling it inside your own `poll`: `Exists` polls
//! `HaveFreeTime`, which polls `CatSleep`, which polls the `Sleep`. When the
//! sleep is `Pending`, the `Pending` climbs back up through all three, and
//! the task's one waker (handed down through `cx`) is what the timer wakes.
//!
//! The seed's other `AsyncCat` keeps the old blocking `_have_free_time` and
//! runs it with `loop.run_in_executor(None, ...)` on a thread pool: that is
//! stage 8 (blocking work on threads), not shown here.
//!
//! Run: `cargo run --example cats`, or
//! `cargo run --example cats -- --virtual` for instant time
//! (`-- --async` for the same program as `async fn`s — stage 9: `AsyncCat`
//! with `async fn` methods, as the seed writes it).

#[path = "common/mod.rs"]
mod common;

use rondo::stage5_combinators::Gather; // named in a state enum below
use rondo::{Context, Coroutine, Poll, Sleep, Transcript, from_future, gather, sleep};
use std::time::Duration;

/// `_sleep()`: say "sleeping", sleep 2 s, say "wake".
struct CatSleep {
    out: Transcript,
    state: SleepState,
}

enum SleepState {
    Start,
    Napping(Sleep),
    Done,
}

impl Coroutine for CatSleep {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                SleepState::Start => {
                    self.out.say("sleeping");
                    self.state = SleepState::Napping(sleep(Duration::from_secs(2)));
                }
                SleepState::Napping(nap) => {
                    if nap.poll(cx).is_pending() {
                        return Poll::Pending; // the timer holds this task's waker
                    }
                    self.out.say("wake");
                    self.state = SleepState::Done;
                    return Poll::Ready(());
                }
                SleepState::Done => panic!("_sleep() polled after it completed"),
            }
        }
    }
}

/// `_have_free_time()`: say "have free time", then await `_sleep()`.
struct HaveFreeTime {
    out: Transcript,
    state: FreeTimeState,
}

enum FreeTimeState {
    Start,
    Sleeping(CatSleep),
    Done,
}

impl Coroutine for HaveFreeTime {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                FreeTimeState::Start => {
                    self.out.say("have free time");
                    let child = CatSleep { out: self.out.clone(), state: SleepState::Start };
                    self.state = FreeTimeState::Sleeping(child);
                }
                FreeTimeState::Sleeping(child) => {
                    // `await self._sleep()`: poll the child in our own poll.
                    if child.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.state = FreeTimeState::Done;
                    return Poll::Ready(());
                }
                FreeTimeState::Done => panic!("_have_free_time() polled after it completed"),
            }
        }
    }
}

/// `exists()`: `_eat()` (a plain call: no state of its own), then await
/// `_have_free_time()`.
struct Exists {
    out: Transcript,
    state: ExistsState,
}

enum ExistsState {
    Start,
    FreeTime(HaveFreeTime),
    Done,
}

impl Coroutine for Exists {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                ExistsState::Start => {
                    self.out.say("eat"); // self._eat()
                    let child = HaveFreeTime { out: self.out.clone(), state: FreeTimeState::Start };
                    self.state = ExistsState::FreeTime(child);
                }
                ExistsState::FreeTime(child) => {
                    if child.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.state = ExistsState::Done;
                    return Poll::Ready(());
                }
                ExistsState::Done => panic!("exists() polled after it completed"),
            }
        }
    }
}

/// `main(cats)`: gather every cat's `exists()`.
struct Main {
    cats: usize,
    out: Transcript,
    state: MainState,
}

enum MainState {
    Start,
    /// Each cat's `exists()` runs as its own task.
    Gathering(Gather<()>),
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    let cats = (0..self.cats)
                        .map(|_| Exists { out: self.out.clone(), state: ExistsState::Start })
                        .collect();
                    self.state = MainState::Gathering(gather(cats));
                }
                MainState::Gathering(all) => {
                    let Poll::Ready(result) = all.poll(cx) else { return Poll::Pending };
                    result.expect("every cat wakes up");
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
    let took =
        common::run_main(virtual_clock, Main { cats: 5, out: out.clone(), state: MainState::Start }).took;
    out.say(common::elapsed_line("cats", took, virtual_clock));
}

/// The seed's `AsyncCat`, with `async fn` methods: the three machines above,
/// written by the compiler. Each method borrows the cat (`&self`) across its
/// `.await`s, which the hand-written machines avoid by each holding its own
/// clone of `out`.
struct AsyncCat {
    out: Transcript,
}

impl AsyncCat {
    /// `exists()`: the `Exists` machine.
    async fn exists(&self) {
        self.eat();
        self.have_free_time().await;
    }

    /// `_eat()`: a plain method, no state of its own.
    fn eat(&self) {
        self.out.say("eat");
    }

    /// `_have_free_time()`: the `HaveFreeTime` machine.
    async fn have_free_time(&self) {
        self.out.say("have free time");
        self.sleep().await;
    }

    /// `_sleep()`: the `CatSleep` machine.
    async fn sleep(&self) {
        self.out.say("sleeping");
        sleep(Duration::from_secs(2)).await;
        self.out.say("wake");
    }
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let cats: Vec<AsyncCat> = (0..5).map(|_| AsyncCat { out: out.clone() }).collect();
    // `main(cats)`: the `Main` machine. Each `exists()` borrows its cat, so
    // the cat moves into an async block that owns it *and* holds the future
    // borrowing it — a future that borrows from itself, which is why
    // `from_future` pins it and never moves it again.
    let main = from_future(async move {
        let exists = cats.into_iter().map(|cat| from_future(async move { cat.exists().await })).collect();
        gather(exists).await.expect("every cat wakes up");
    });
    let took = common::run_main(virtual_clock, main).took;
    out.say(common::elapsed_line("cats", took, virtual_clock));
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
