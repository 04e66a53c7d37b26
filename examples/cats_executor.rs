//! # cats_executor — seed 003's `AsyncCat` that keeps its old blocking method, on a thread pool
//!
//! ```python
//! class SyncCat:
//!     def _have_free_time(self):         # inherited, blocking, "compiled C and etc."
//!         print("have free time")
//!         self._sleep()
//!     def _sleep(self):
//!         print("sleeping")
//!         time.sleep(2)
//!         print("wake")
//!
//! class AsyncCat(SyncCat):
//!     async def exists(self):
//!         self._eat()                                      # print("eat")
//!         loop = asyncio.get_event_loop()
//!         await loop.run_in_executor(None, self._have_free_time)   # part 1
//!         # self._have_free_time()                         # part 2: called on the loop
//!
//! async def main():
//!     cats = [AsyncCat() for _ in range(5)]
//!     await asyncio.gather(*(cat.exists() for cat in cats))
//! ```
//! **Watch for:** in part 1 each cat says `eat` on the loop and hands its
//! blocking method to a pool thread; the naps then run side by side on five
//! threads: about 2 s in all, not 10. The threads print `have free time`,
//! `sleeping` and `wake` themselves, so those lines, and how they mix with
//! the other cats' `eat`s, change from run to run — that order is the
//! operating system's thread schedule, not the loop's (the `eat`s alone,
//! printed on the loop, keep theirs). In part 2 the same blocking method is
//! called on the loop: each cat holds it for its whole 2 s nap, the cats nap
//! one after the other (10 s), and stage 6's slow-step detector names each
//! cat on stderr as its step ends (`rondo: slow step: task 'cat 3' … held
//! the loop for 1.99 s`; under the real clock a watchdog thread times the
//! step, to a few ms), listed again at the end.
//!
//! `to_thread(f)` is `asyncio.to_thread(f)`, the same as
//! `loop.run_in_executor(None, f)`; `run_in_executor(&pool, f)` takes your
//! own [`rondo::ThreadPool`].
//!
//! Under `--virtual`: part 1's naps are real thread sleeps — the loop's
//! clock does not move while a thread works, the loop just waits for it —
//! so they are shortened to 50 ms and the loop's time stays at 0. Part 2's
//! blocking sleep on the loop (`blocking_sleep`, rondo's `time.sleep`) moves
//! the virtual clock instead of waiting, so it keeps the full 2 s per cat:
//! exactly 10 s of loop time, no real waiting, the same five warnings.
//!
//! Run: `cargo run --release --example cats_executor` (about 12 s: both
//! parts), `-- --threads-only` or `-- --blocking` for one part, `-- --virtual`
//! for instant time, `-- --async` for the same program as `async fn`s — stage 9.
//!
//! (Over 300 lines: two parts, each by hand and as `async fn`s — the stage-9
//! version is a dozen lines, the rest is the machines and this explanation.)

#[path = "common/mod.rs"]
mod common;

use common::outln;
use rondo::stage5_combinators::Gather;
use rondo::{
    Context, Coroutine, EventLoop, Poll, Task, ToThread, Transcript, blocking_sleep, from_future,
    gather_tasks, spawn_named, to_thread,
};
use std::time::{Duration, Instant};

/// The cats.
const CATS: usize = 5;

/// A nap, as `time.sleep(2)`.
const NAP: Duration = Duration::from_secs(2);

/// A nap on a pool thread under `--virtual`: threads sleep for real.
const VIRTUAL_THREAD_NAP: Duration = Duration::from_millis(50);

/// `SyncCat._have_free_time()`, inherited without modification: blocking.
///
/// It runs on a pool thread (part 1) or on the loop's thread (part 2). A
/// `Transcript` belongs to the loop's thread (it is an `Rc`), so this prints
/// directly with `outln!`. `blocking_sleep` is `time.sleep`: a plain
/// `std::thread::sleep` on a pool thread or under the real clock; on a
/// virtual loop it moves the loop's clock instead.
fn have_free_time(nap: Duration) {
    outln!("have free time");
    // self._sleep():
    outln!("sleeping");
    blocking_sleep(nap);
    outln!("wake");
}

/// Where `exists()` runs the blocking method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Where {
    /// `await loop.run_in_executor(None, self._have_free_time)`.
    OnAThread,
    /// `self._have_free_time()`: the blocking call on the loop itself.
    OnTheLoop,
}

/// ```text
/// async fn exists(&self) {
///     self.eat();                                        // print("eat")
///     to_thread(move || have_free_time(nap)).await;      // Where::OnAThread
///     have_free_time(nap);                               // Where::OnTheLoop
/// }
/// ```
struct Exists {
    nap: Duration,
    place: Where,
    out: Transcript,
    state: ExistsState,
}

enum ExistsState {
    Start,
    /// A pool thread runs `have_free_time`; the task is parked until it is done.
    OnThread(ToThread<()>),
    Done,
}

impl Coroutine for Exists {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                ExistsState::Start => {
                    self.out.say("eat"); // self._eat()
                    let nap = self.nap;
                    match self.place {
                        Where::OnAThread => {
                            self.state = ExistsState::OnThread(to_thread(move || have_free_time(nap)))
                        }
                        Where::OnTheLoop => {
                            have_free_time(nap); // holds the loop for the whole nap
                            self.state = ExistsState::Done;
                            return Poll::Ready(());
                        }
                    }
                }
                ExistsState::OnThread(nap) => {
                    if nap.poll(cx).is_pending() {
                        return Poll::Pending; // the thread's answer will wake this task
                    }
                    self.state = ExistsState::Done;
                    return Poll::Ready(());
                }
                ExistsState::Done => panic!("exists() polled after it completed"),
            }
        }
    }
}

/// ```text
/// async fn main() {
///     let cats = (1..=5).map(|n| spawn_named(format!("cat {n}"), exists(..)));
///     gather(cats).await
/// }
/// ```
/// The tasks are named so that the slow-step warnings say which cat blocked.
struct Main {
    nap: Duration,
    place: Where,
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
                    let cats: Vec<Task<()>> = (1..=CATS)
                        .map(|n| {
                            let cat = Exists {
                                nap: self.nap,
                                place: self.place,
                                out: self.out.clone(),
                                state: ExistsState::Start,
                            };
                            spawn_named(&format!("cat {n}"), cat)
                        })
                        .collect();
                    self.state = MainState::Gathering(gather_tasks(cats));
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

/// `exists()` as an `async fn`: the [`Exists`] machine above, written by the compiler.
async fn exists_async(nap: Duration, place: Where, out: Transcript) {
    out.say("eat"); // self._eat()
    match place {
        Where::OnAThread => to_thread(move || have_free_time(nap)).await,
        Where::OnTheLoop => have_free_time(nap), // holds the loop for the whole nap
    }
}

/// `main()` as an `async fn`: the [`Main`] machine above, written by the compiler.
async fn main_async(nap: Duration, place: Where, out: Transcript) {
    let cats = (1..=CATS)
        .map(|n| spawn_named(&format!("cat {n}"), from_future(exists_async(nap, place, out.clone()))))
        .collect();
    gather_tasks(cats).await.expect("every cat wakes up");
}

/// Runs `main` (the hand-written [`Main`], or [`main_async`] if `async_fns`)
/// on a fresh loop; says how long it took, on the loop's clock and on the
/// wall's; returns the loop (for its slow-step reports).
fn run_part(
    place: Where,
    nap: Duration,
    virtual_clock: bool,
    async_fns: bool,
    out: &Transcript,
) -> EventLoop {
    let ev = common::event_loop(virtual_clock);
    let started = Instant::now();
    if async_fns {
        ev.run_until_complete(from_future(main_async(nap, place, out.clone())))
    } else {
        ev.run_until_complete(Main { nap, place, out: out.clone(), state: MainState::Start })
    }
    .expect("main completes");
    let wall = started.elapsed();
    ev.cancel_all(); // nothing is left: every cat was awaited
    let what = match place {
        Where::OnAThread => "cats with to_thread",
        Where::OnTheLoop => "cats blocking the loop",
    };
    if virtual_clock {
        out.say(format!(
            "{} ({:.2} s of wall time)",
            common::elapsed_line(what, ev.now(), true),
            wall.as_secs_f64()
        ));
    } else {
        out.say(common::elapsed_line(what, wall, false));
    }
    ev
}

/// Part 1: the blocking method on pool threads — the cats nap together.
pub fn run(virtual_clock: bool, out: &Transcript) {
    threads_part(virtual_clock, false, out);
}

/// Part 1 as `async fn`s (`--async`): the same lines.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    threads_part(virtual_clock, true, out);
}

/// Part 1, hand-written or as `async fn`s.
fn threads_part(virtual_clock: bool, async_fns: bool, out: &Transcript) {
    out.say("--- 1. await to_thread(have_free_time): the blocking naps run on pool threads");
    let nap = if virtual_clock {
        out.say(format!(
            "(--virtual: threads really sleep and take no loop time, so each nap is {} ms, not 2 s)",
            VIRTUAL_THREAD_NAP.as_millis()
        ));
        VIRTUAL_THREAD_NAP
    } else {
        NAP
    };
    let ev = run_part(Where::OnAThread, nap, virtual_clock, async_fns, out);
    // No step holds the loop: the threads do the waiting. (Not asserted: on a
    // machine busy enough to stall the loop's thread, a step can look slow.)
    report_slow_steps(&ev, out);
}

/// Part 2: the blocking method called on the loop — one cat at a time.
pub fn run_blocking(virtual_clock: bool, out: &Transcript) {
    blocking_part(virtual_clock, false, out);
}

/// Part 2 as `async fn`s (`--async`): the same lines, the same slow steps.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_blocking_async(virtual_clock: bool, out: &Transcript) {
    blocking_part(virtual_clock, true, out);
}

/// Part 2, hand-written or as `async fn`s.
fn blocking_part(virtual_clock: bool, async_fns: bool, out: &Transcript) {
    out.say("--- 2. have_free_time() called on the loop: every nap holds the loop");
    if virtual_clock {
        out.say(
            "(--virtual: a blocking sleep on the loop moves its clock instead of waiting: full 2 s naps)",
        );
    }
    let ev = run_part(Where::OnTheLoop, NAP, virtual_clock, async_fns, out);
    // Stage 6's detector has already warned on stderr, as each step ended.
    let named: Vec<String> = ev.slow_steps().into_iter().map(|step| step.task.name).collect();
    for n in 1..=CATS {
        assert!(named.contains(&format!("cat {n}")), "the slow-step detector names every cat: {named:?}");
    }
    report_slow_steps(&ev, out);
}

/// One line per step that held the loop too long (stage 6's detector).
fn report_slow_steps(ev: &EventLoop, out: &Transcript) {
    for step in ev.slow_steps() {
        out.say(format!(
            "slow step: task '{}' held the loop for {:.3} s at t={:.3}",
            step.task.name,
            step.held.as_secs_f64(),
            step.at.as_secs_f64()
        ));
    }
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    // common::Args refuses flags it does not know, so this example reads its own.
    let mut args = common::Args { virtual_clock: false, stamps: false, async_fns: false };
    let (mut threads, mut blocking) = (true, true);
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--virtual" => args.virtual_clock = true,
            "--stamps" => args.stamps = true,
            "--async" => args.async_fns = true,
            "--threads-only" => blocking = false,
            "--blocking" => threads = false,
            "-h" | "--help" => {
                outln!(
                    "flags: --virtual, --stamps, --async, --threads-only (part 1 only), --blocking (part 2 only)"
                );
                return;
            }
            other => {
                eprintln!("unknown flag {other:?}; try --help");
                std::process::exit(2);
            }
        }
    }
    let out = args.transcript();
    if threads {
        threads_part(args.virtual_clock, args.async_fns, &out);
    }
    if blocking {
        blocking_part(args.virtual_clock, args.async_fns, &out);
    }
}
