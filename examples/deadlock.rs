//! # deadlock — tasks that wait for each other forever, and the loop that says so
//!
//! ```python
//! async def waiter(promise):
//!     print("waiter: awaiting a promise nobody will set")
//!     await promise                         # nobody ever calls set_result
//!
//! async def follower(task):
//!     print("follower: awaiting the waiter")
//!     await task                            # the waiter never finishes
//!
//! async def narcissus():
//!     print("narcissus: awaiting myself")
//!     await asyncio.current_task()          # its own task: it can only finish after finishing
//!
//! async def main():
//!     promise = asyncio.get_running_loop().create_future()
//!     w = asyncio.create_task(waiter(promise), name="waiter")
//!     f = asyncio.create_task(follower(w), name="follower")
//!     asyncio.create_task(narcissus(), name="narcissus")
//!     print("main: awaiting the follower")
//!     await f
//!     print("main: the follower finished")   # never printed
//!
//! asyncio.run(main())
//! ```
//! **Watch for:** after one iteration nothing is ready, no timer is pending,
//! and nothing outside the loop could wake it — yet four tasks still wait.
//! asyncio, trio and tokio **hang here forever**, silently, with an idle CPU
//! (asyncio does refuse the narcissus at once, with `RuntimeError: Task
//! cannot await on itself`, and then hangs on the other three). rondo's loop
//! notices that nothing can ever happen again and stops with
//! `LoopError::Deadlock`, which names every stuck task, where it was spawned,
//! and what it waits on: a promise (and where it was made), another task, or
//! itself. Follow the chain: `main` waits for `follower`, which waits for
//! `waiter`, which waits for the promise nobody sets.
//!
//! This program is *about* the hang, so it has no CPython mirror. It prints
//! the report and exits with status 1, at once, on either clock.
//!
//! Run: `cargo run --example deadlock` (`-- --virtual`: the same report;
//! `-- --async` for the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::{
    Context, Coroutine, CoroutineExt, LoopError, Poll, Promise, Task, Transcript, from_future, lazy, poll_fn,
    spawn_named,
};
use std::cell::RefCell;
use std::rc::Rc;

/// `waiter(promise)`: await a promise that nobody will ever set.
fn waiter(promise: Promise<String>, out: &Transcript) -> impl Coroutine<Output = ()> + use<> {
    let out = out.clone();
    lazy(move || out.say("waiter: awaiting a promise nobody will set"))
        .then(move |()| promise.wait())
        .map(|_| ())
}

/// `follower(task)`: await the waiter's task.
fn follower(task: Task<()>, out: &Transcript) -> impl Coroutine<Output = ()> + use<> {
    let out = out.clone();
    lazy(move || out.say("follower: awaiting the waiter")).then(move |()| task).map(|_| ())
}

/// Spawns `narcissus()`: a task that awaits its own handle. Python gets the
/// handle from `current_task()`; rondo's `current_task()` gives only the
/// task's identity, so the handle is passed in through a shared slot, filled
/// right after `spawn` returns it (before the task's first step).
fn spawn_narcissus(out: &Transcript) {
    let slot: Rc<RefCell<Option<Task<()>>>> = Rc::default();
    let me = slot.clone();
    let out = out.clone();
    let mut said = false;
    let narcissus = poll_fn(move |cx: &mut Context<'_>| {
        if !said {
            out.say("narcissus: awaiting myself");
            said = true;
        }
        let mut handle = me.borrow_mut();
        // Polling our own handle while we run: it can only say Pending. (The
        // slot holds the handle and the task holds the slot — a cycle, broken
        // when the loop cancels the task and drops its coroutine.)
        handle.as_mut().expect("the handle is stored before the first step").poll(cx).map(|_| ())
    });
    *slot.borrow_mut() = Some(spawn_named("narcissus", narcissus));
}

/// `main()`: spawn the three, then await the follower.
struct Main {
    out: Transcript,
    state: MainState,
}

enum MainState {
    Start,
    AwaitingFollower(Task<()>),
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    let promise = Promise::new(); // its creation site goes into the report
                    let w = spawn_named("waiter", waiter(promise, &self.out));
                    let f = spawn_named("follower", follower(w, &self.out));
                    spawn_narcissus(&self.out);
                    self.out.say("main: awaiting the follower");
                    self.state = MainState::AwaitingFollower(f);
                }
                MainState::AwaitingFollower(f) => {
                    let Poll::Ready(result) = f.poll(cx) else { return Poll::Pending };
                    result.expect("the follower finishes");
                    self.out.say("main: the follower finished"); // never said
                    self.state = MainState::Done;
                    return Poll::Ready(());
                }
                MainState::Done => panic!("main() polled after it completed"),
            }
        }
    }
}

/// `waiter(promise)` as an `async fn`: the `lazy(..).then(..)` chain of [`waiter`].
async fn waiter_async(promise: Promise<String>, out: Transcript) {
    out.say("waiter: awaiting a promise nobody will set");
    let _ = promise.wait().await;
}

/// `follower(task)` as an `async fn`: the chain of [`follower`].
async fn follower_async(task: Task<()>, out: Transcript) {
    out.say("follower: awaiting the waiter");
    let _ = task.await;
}

/// `narcissus()` as an `async fn`: the `poll_fn` of [`spawn_narcissus`]. Its
/// own handle comes through the same slot; it takes it out and awaits it.
async fn narcissus_async(me: Rc<RefCell<Option<Task<()>>>>, out: Transcript) {
    out.say("narcissus: awaiting myself");
    let handle = me.borrow_mut().take().expect("the handle is stored before the first step");
    let _ = handle.await; // the task holds its own handle: freed when the loop cancels it
}

/// `main()` as an `async fn`: the [`Main`] machine above, written by the compiler.
async fn main_async(out: Transcript) {
    let promise = Promise::new(); // its creation site goes into the report
    let w = spawn_named("waiter", from_future(waiter_async(promise, out.clone())));
    let f = spawn_named("follower", from_future(follower_async(w, out.clone())));
    let slot: Rc<RefCell<Option<Task<()>>>> = Rc::default();
    *slot.borrow_mut() =
        Some(spawn_named("narcissus", from_future(narcissus_async(slot.clone(), out.clone()))));
    out.say("main: awaiting the follower");
    f.await.expect("the follower finishes");
    out.say("main: the follower finished"); // never said
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
    report(virtual_clock, Main { out: out.clone(), state: MainState::Start }, out)
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
