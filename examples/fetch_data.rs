//! # fetch_data — seed 001's `fetchData` and `printNumbers`: two tasks, one awaited
//!
//! ```python
//! async def fetchData():
//!     print("Start fetching")
//!     await asyncio.sleep(2)
//!     print('Done fetching')
//!     return {'data':1}
//!
//! async def printNumbers():
//!     for i in range(10):
//!         print(i)
//!         await asyncio.sleep(0.25)
//!
//! async def main():
//!     task1 = asyncio.create_task(fetchData())
//!     task2 = asyncio.create_task(printNumbers())
//!     value = await task1
//!     print(value)
//! ```
//! **Watch for:** the numbers tick every 0.25 s *while* the fetch waits its
//! 2 s: one thread, two tasks, taking turns at each `await`. `main` awaits
//! only `task1`; once it has the value and prints it, `main` returns — and
//! under `asyncio.run` (rondo's `run`) that ends the run: `printNumbers`,
//! still sleeping, is cancelled and never gets to 9. The notebook printed 8
//! and 9 after the value because `await main()` ran on the kernel's loop,
//! which keeps running after the cell.
//!
//! Also watch t = 2 s. On a virtual clock "8" is due at exactly the same
//! time as the fetch, so it comes right after "Done fetching" and *before*
//! the value: `main` resumes one loop iteration after `task1` finishes, and
//! `printNumbers` gets its step first. On a real clock each sleep wakes a
//! little late and the lateness adds up, so "8" is due a few milliseconds
//! after 2 s — after `main` has returned — and is cancelled too.
//!
//! Run: `cargo run --example fetch_data` (`-- --virtual` for instant time,
//! `-- --stamps` for the loop time of every line, `-- --async` for the same
//! program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::stage5_combinators::ticker;
use rondo::{
    Context, Coroutine, CoroutineExt, Poll, StreamExt, Task, Transcript, from_future, lazy, sleep, spawn,
};
use std::collections::BTreeMap;
use std::time::Duration;

/// A Python dict with string keys and int values.
type Dict = BTreeMap<&'static str, i64>;

/// The dict as Python prints it: `{'data': 1}`.
fn python_repr(dict: &Dict) -> String {
    let items: Vec<String> = dict.iter().map(|(key, value)| format!("'{key}': {value}")).collect();
    format!("{{{}}}", items.join(", "))
}

/// `fetchData()`: three steps chained — say, sleep, say and return.
fn fetch_data(out: &Transcript) -> impl Coroutine<Output = Dict> + 'static {
    let (start, done) = (out.clone(), out.clone());
    lazy(move || start.say("Start fetching")).then(|()| sleep(Duration::from_secs(2))).map(move |()| {
        done.say("Done fetching");
        Dict::from([("data", 1)])
    })
}

/// `printNumbers()`: `async for i in ticker(10, 0.25): print(i)` — the
/// ticker yields 0..9 and sleeps 0.25 s after each, like the `for` loop.
fn print_numbers(out: &Transcript) -> impl Coroutine<Output = ()> + 'static {
    let out = out.clone();
    ticker(10, Duration::from_millis(250)).for_each(move |i| out.say(i))
}

/// ```text
/// async def main():
///     task1 = asyncio.create_task(fetchData())
///     task2 = asyncio.create_task(printNumbers())
///     value = await task1
///     print(value)
/// ```
struct Main {
    out: Transcript,
    state: MainState,
}

enum MainState {
    Start,
    /// `value = await task1`. `task2` is held, never awaited: it runs on its own.
    AwaitingFetch {
        task1: Task<Dict>,
        _task2: Task<()>,
    },
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    let task1 = spawn(fetch_data(&self.out));
                    let task2 = spawn(print_numbers(&self.out));
                    self.state = MainState::AwaitingFetch { task1, _task2: task2 };
                }
                MainState::AwaitingFetch { task1, .. } => {
                    let Poll::Ready(value) = task1.poll(cx) else { return Poll::Pending };
                    let value = value.expect("the fetch finishes");
                    self.out.say(python_repr(&value));
                    // Returning drops task2's handle: that only detaches it.
                    // What stops it is the end of the run, below.
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

/// `asyncio.run(main())`: main has returned, so whatever is still pending is cancelled.
fn run_main<C: Coroutine<Output = ()> + 'static>(main: C, virtual_clock: bool, out: &Transcript) {
    let common::Ran { took, cancelled, .. } = common::run_main(virtual_clock, main);
    if cancelled > 0 {
        out.say(format!(
            "({cancelled} task still pending was cancelled when main returned: printNumbers stops before 9)"
        ));
    }
    out.say(common::elapsed_line("main", took, virtual_clock));
}

/// `fetchData()` as an `async fn`: the `fetch_data` chain above (`lazy`,
/// `then`, `map`), three steps written as three lines.
async fn fetch_data_async(out: Transcript) -> Dict {
    out.say("Start fetching");
    sleep(Duration::from_secs(2)).await;
    out.say("Done fetching");
    Dict::from([("data", 1)])
}

/// `printNumbers()` as an `async fn`: the `print_numbers` ticker above,
/// a plain `for` loop again.
async fn print_numbers_async(out: Transcript) {
    for i in 0..10 {
        out.say(i);
        sleep(Duration::from_millis(250)).await;
    }
}

/// `main()` as an `async fn`: the `Main` machine above.
async fn main_async(out: Transcript) {
    let task1 = spawn(from_future(fetch_data_async(out.clone())));
    let _task2 = spawn(from_future(print_numbers_async(out.clone()))); // held, never awaited
    let value = task1.await.expect("the fetch finishes");
    out.say(python_repr(&value));
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
