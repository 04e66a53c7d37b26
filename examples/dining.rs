//! # dining — two philosophers, two locks, opposite orders: the loop names the cycle
//!
//! ```python
//! async def philosopher(name, first, second):
//!     async with first:
//!         print(f"{name} took the {first.name}")
//!         await asyncio.sleep(0.1)              # the other takes its first lock meanwhile
//!         print(f"{name} reaches for the {second.name}")
//!         async with second:                    # held by the other, who waits for ours
//!             print(f"{name} eats")             # never printed
//!
//! async def main():
//!     fork, knife = asyncio.Lock(), asyncio.Lock()   # (named "fork" and "knife")
//!     a = asyncio.create_task(philosopher("A", knife, fork), name="A")
//!     b = asyncio.create_task(philosopher("B", fork, knife), name="B")
//!     await asyncio.gather(a, b)
//!     print("both ate")                             # never printed
//!
//! asyncio.run(main())
//! ```
//! **Watch for:** A takes the knife, B the fork; after 0.1 s each reaches for
//! the other's. Neither lets go: the classic lock-order deadlock. asyncio,
//! trio and tokio **hang here forever**, silently. rondo's locks remember
//! which task holds them, so when nothing can happen any more the loop stops
//! with `LoopError::Deadlock` and names the cycle: "Task 'A' waits for Lock
//! 'fork' held by 'B', which waits for Lock 'knife' held by 'A'". The cure
//! is one order for everybody (both take the fork first).
//!
//! This program is *about* the hang, so it has no CPython mirror. It prints
//! the report and exits with status 1, after 0.1 s (at once with `--virtual`).
//!
//! Run: `cargo run --example dining` (`-- --virtual`: the same report,
//! `-- --stamps` for the loop time of every line, `-- --async` for the same
//! program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::{
    Coroutine, CoroutineExt, Lock, LoopError, Transcript, from_future, gather_tasks, lazy, sleep, spawn_named,
};
use std::time::Duration;

/// `philosopher(name, first, second)`.
fn philosopher(
    who: &'static str,
    (first, first_name): (Lock, &'static str),
    (second, second_name): (Lock, &'static str),
    out: &Transcript,
) -> impl Coroutine<Output = ()> + use<> {
    let out = out.clone();
    first.acquire().then(move |first_held| {
        // `async with first:` — the guard is held until the end of the block.
        out.say(format!("{who} took the {first_name}"));
        sleep(Duration::from_millis(100)).then(move |()| {
            out.say(format!("{who} reaches for the {second_name}"));
            second.acquire().map(move |second_held| {
                out.say(format!("{who} eats")); // never said
                drop(second_held);
                drop(first_held);
            })
        })
    })
}

/// `main()`: two philosophers, the locks in opposite orders, gathered.
fn main_coroutine(out: &Transcript) -> impl Coroutine<Output = ()> + use<> {
    let out = out.clone();
    lazy(move || {
        let (fork, knife) = (Lock::named("fork"), Lock::named("knife"));
        let a = spawn_named("A", philosopher("A", (knife.clone(), "knife"), (fork.clone(), "fork"), &out));
        let b = spawn_named("B", philosopher("B", (fork, "fork"), (knife, "knife"), &out));
        gather_tasks(vec![a, b]).map(move |both| {
            both.expect("philosophers do not fail");
            out.say("both ate"); // never said
        })
    })
    .then(|both| both)
}

/// `philosopher(name, first, second)` as an `async fn`: the nested `then`s
/// of [`philosopher`], flat. Each guard lives to the end of the body: `async with`.
async fn philosopher_async(
    who: &'static str,
    (first, first_name): (Lock, &'static str),
    (second, second_name): (Lock, &'static str),
    out: Transcript,
) {
    let _first_held = first.acquire().await;
    out.say(format!("{who} took the {first_name}"));
    sleep(Duration::from_millis(100)).await;
    out.say(format!("{who} reaches for the {second_name}"));
    let _second_held = second.acquire().await;
    out.say(format!("{who} eats")); // never said
}

/// `main()` as an `async fn`: [`main_coroutine`]'s `lazy(..).then(..)`.
async fn main_async(out: Transcript) {
    let (fork, knife) = (Lock::named("fork"), Lock::named("knife"));
    let a = philosopher_async("A", (knife.clone(), "knife"), (fork.clone(), "fork"), out.clone());
    let a = spawn_named("A", from_future(a));
    let b =
        spawn_named("B", from_future(philosopher_async("B", (fork, "fork"), (knife, "knife"), out.clone())));
    gather_tasks(vec![a, b]).await.expect("philosophers do not fail");
    out.say("both ate"); // never said
}

/// Runs `main` on a new loop, then says the loop's report into `out`, line by line.
fn report(
    virtual_clock: bool,
    main: impl Coroutine<Output = ()> + 'static,
    out: &Transcript,
) -> Result<(), LoopError> {
    let ev = common::event_loop(virtual_clock);
    // `run` = asyncio.run: on the way out it cancels the stuck tasks.
    let result = ev.run(main);
    if let Err(error) = &result {
        for line in error.to_string().lines() {
            out.say(line);
        }
    }
    result
}

/// Runs the program, says its lines and then the loop's report, line by
/// line; returns the loop's error (for `main`'s exit status).
///
/// # Errors
/// The deadlock this program is built to have.
pub fn run_reporting(virtual_clock: bool, out: &Transcript) -> Result<(), LoopError> {
    report(virtual_clock, main_coroutine(out), out)
}

/// [`run_reporting`] for the `async fn` version (`--async`).
///
/// # Errors
/// The same deadlock.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_reporting_async(virtual_clock: bool, out: &Transcript) -> Result<(), LoopError> {
    report(virtual_clock, from_future(main_async(out.clone())), out)
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    // The report is the point: it has been said into `out` already.
    let _ = run_reporting(virtual_clock, out);
}

/// The scenario as `async fn`s (`--async`): the same lines and the same report.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let _ = run_reporting_async(virtual_clock, out);
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    let reported = match args.async_fns {
        true => run_reporting_async(args.virtual_clock, &args.transcript()),
        false => run_reporting(args.virtual_clock, &args.transcript()),
    };
    if reported.is_err() {
        std::process::exit(1); // where asyncio would still be waiting
    }
}
