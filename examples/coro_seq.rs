//! # coro_seq — seed 004's `coro(seq)`: one task awaited, then two tasks gathered
//!
//! ```python
//! async def coro(seq):
//!     await asyncio.sleep(max(seq))     # 'IO' wait time is proportional to the max element
//!     return list(reversed(seq))
//!
//! async def main():                     # part 1
//!     t = asyncio.create_task(coro([3, 2, 1]))
//!     await t
//!     print(f't: type {type(t)}')
//!     print(f't done: {t.done()}')
//!
//! async def main():                     # part 2
//!     t = asyncio.create_task(coro([3, 2, 1]))
//!     t2 = asyncio.create_task(coro([10, 5, 0]))
//!     print('Start:', time.strftime('%X'))
//!     a = await asyncio.gather(t, t2)
//!     print('End:', time.strftime('%X'))  # 10 seconds
//!     print(f'Both done: {all((t.done(), t2.done()))}')
//!     return a
//!
//! a = asyncio.run(main())
//! a                                     # [[1, 2, 3], [0, 5, 10]]
//! ```
//! Two lines differ from the seed on purpose. The `t: type <class
//! '_asyncio.Task'>` line is left out: rondo's honest answer would be a Rust
//! type name (`rondo::…::Task<Vec<u64>>`), which no Python prints. And
//! `Start:`/`End:` show the *loop's* clock as `%X` would show a wall clock
//! that read midnight when the loop started (`00:00:00`, `00:00:10`), so the
//! lines are the same on every run.
//!
//! **Watch for:** part 1 takes 3 s — `max([3, 2, 1])`. Part 2 takes 10 s,
//! not 13: both tasks sleep at once, and `gather` returns when the slower one
//! is done, with the results in *argument* order (`t`'s first, though it
//! finished 7 s earlier). A task can be asked `done()` after it was awaited:
//! the handle outlives the output it handed over. In part 2, though,
//! `gather_tasks` takes both handles, so `Both done` asks the loop instead:
//! neither task is among `all_tasks()` (the unfinished ones) any more.
//!
//! Run: `cargo run --example coro_seq`, or
//! `cargo run --example coro_seq -- --virtual` for instant time
//! (`-- --async` for the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::stage5_combinators::Gather; // named in a state enum below
use rondo::{
    Context, Coroutine, CoroutineExt, Poll, Task, Transcript, all_tasks, from_future, gather_tasks, now,
    sleep, spawn,
};
use std::time::Duration;

/// `coro(seq)`: sleep `max(seq)` seconds, then return the list reversed.
/// Two steps in a row: a sleep, then a `map` over its end.
fn coro(seq: Vec<u64>) -> impl Coroutine<Output = Vec<u64>> {
    let longest = seq.iter().copied().max().unwrap_or(0);
    sleep(Duration::from_secs(longest)).map(move |()| seq.into_iter().rev().collect())
}

/// `time.strftime('%X')` on the loop's clock: `HH:MM:SS` since the loop started.
fn clock_time() -> String {
    let secs = now().as_secs();
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// Part 1's `main()`: one task, awaited.
struct AwaitOne {
    out: Transcript,
    state: OneState,
}

enum OneState {
    Start,
    /// The handle is polled until it hands over the output — and kept after.
    Awaiting(Task<Vec<u64>>),
    Done,
}

impl Coroutine for AwaitOne {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                OneState::Start => self.state = OneState::Awaiting(spawn(coro(vec![3, 2, 1]))),
                OneState::Awaiting(t) => {
                    let Poll::Ready(result) = t.poll(cx) else { return Poll::Pending };
                    result.expect("coro finishes"); // the seed drops the result too
                    let done = if t.done() { "True" } else { "False" };
                    self.out.say(format!("t done: {done}"));
                    self.state = OneState::Done;
                    return Poll::Ready(());
                }
                OneState::Done => panic!("main() polled after it completed"),
            }
        }
    }
}

/// Part 2's `main()`: two tasks, gathered; returns both results.
struct GatherTwo {
    out: Transcript,
    state: TwoState,
}

enum TwoState {
    Start,
    /// `gather_tasks` takes the handles, so `t.done()` cannot be asked
    /// afterwards: we keep the tasks' ids and ask the loop which tasks are
    /// still alive (`all_tasks()` lists exactly the unfinished ones).
    Gathering {
        both: Gather<Vec<u64>>,
        ids: [u64; 2],
    },
    Done,
}

impl Coroutine for GatherTwo {
    type Output = Vec<Vec<u64>>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Vec<Vec<u64>>> {
        loop {
            match &mut self.state {
                TwoState::Start => {
                    let t = spawn(coro(vec![3, 2, 1]));
                    let t2 = spawn(coro(vec![10, 5, 0]));
                    self.out.say(format!("Start: {}", clock_time()));
                    let ids = [t.id(), t2.id()];
                    self.state = TwoState::Gathering { both: gather_tasks(vec![t, t2]), ids };
                }
                TwoState::Gathering { both, ids } => {
                    let Poll::Ready(a) = both.poll(cx) else { return Poll::Pending };
                    let a = a.expect("both coros finish");
                    self.out.say(format!("End: {}", clock_time()));
                    let both_done = !all_tasks().iter().any(|task| ids.contains(&task.id));
                    self.out.say(format!("Both done: {}", if both_done { "True" } else { "False" }));
                    self.state = TwoState::Done;
                    return Poll::Ready(a);
                }
                TwoState::Done => panic!("main() polled after it completed"),
            }
        }
    }
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    out.say("--- one task, awaited");
    let one = AwaitOne { out: out.clone(), state: OneState::Start };
    common::event_loop(virtual_clock).run(one).expect("part 1 completes");

    out.say("--- two tasks, gathered");
    let two = GatherTwo { out: out.clone(), state: TwoState::Start };
    let a = common::event_loop(virtual_clock).run(two).expect("part 2 completes");
    out.say(format!("{a:?}")); // the REPL echoing `a`: Rust's {:?} of a Vec is Python's list repr
}

/// `coro(seq)` as an `async fn`: the `sleep(..).map(..)` chain of [`coro`].
async fn coro_async(seq: Vec<u64>) -> Vec<u64> {
    let longest = seq.iter().copied().max().unwrap_or(0);
    sleep(Duration::from_secs(longest)).await;
    seq.into_iter().rev().collect()
}

/// Part 1's `main()` as an `async fn`: the `AwaitOne` machine above. The
/// task is awaited through `&mut t`, so the handle is still there to ask
/// `t.done()` afterwards.
async fn await_one_async(out: Transcript) {
    let mut t = spawn(from_future(coro_async(vec![3, 2, 1])));
    (&mut t).await.expect("coro finishes"); // the seed drops the result too
    let done = if t.done() { "True" } else { "False" };
    out.say(format!("t done: {done}"));
}

/// Part 2's `main()` as an `async fn`: the `GatherTwo` machine above.
async fn gather_two_async(out: Transcript) -> Vec<Vec<u64>> {
    let t = spawn(from_future(coro_async(vec![3, 2, 1])));
    let t2 = spawn(from_future(coro_async(vec![10, 5, 0])));
    out.say(format!("Start: {}", clock_time()));
    // `gather_tasks` takes the handles: keep the ids to ask the loop later.
    let ids = [t.id(), t2.id()];
    let a = gather_tasks(vec![t, t2]).await.expect("both coros finish");
    out.say(format!("End: {}", clock_time()));
    let both_done = !all_tasks().iter().any(|task| ids.contains(&task.id));
    out.say(format!("Both done: {}", if both_done { "True" } else { "False" }));
    a
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    out.say("--- one task, awaited");
    let one = from_future(await_one_async(out.clone()));
    common::event_loop(virtual_clock).run(one).expect("part 1 completes");

    out.say("--- two tasks, gathered");
    let two = from_future(gather_two_async(out.clone()));
    let a = common::event_loop(virtual_clock).run(two).expect("part 2 completes");
    out.say(format!("{a:?}"));
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
