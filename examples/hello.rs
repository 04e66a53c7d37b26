//! # hello — seed 003's `hello()`: awaited twice (2 s) vs gathered (1 s)
//!
//! ```python
//! async def hello():
//!     print("hello")
//!     await asyncio.sleep(1)
//!     print("goodbye")
//!
//! async def main():
//!     await hello()                            # part 1: one after the other
//!     await hello()
//!
//! async def main():
//!     await asyncio.gather(hello(), hello())   # part 2: together
//!
//! asyncio.run(main())
//! ```
//! **Watch for:** "despite the two `await`s it is still ran sequentially",
//! as the seed says: awaiting a coroutine runs it to the end before the next
//! line, so part 1 prints hello, goodbye, hello, goodbye and takes 2 s. Only
//! `gather` makes both `hello()`s tasks that sleep *at the same time*: part 2
//! prints both hellos, waits one second once, then both goodbyes. `hello` is
//! the same state machine in both parts; only `main` differs.
//! (`examples/generators.rs` builds the same thing out of plain generators.)
//!
//! Run: `cargo run --example hello` (`-- --virtual` for instant time,
//! `-- --stamps` to see the loop time of every line, `-- --async` for the
//! same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::{Context, Coroutine, CoroutineExt, Poll, Sleep, Transcript, from_future, gather, sleep};
use std::time::Duration;

/// ```text
/// async def hello():
///     print("hello")
///     await asyncio.sleep(1)
///     print("goodbye")
/// ```
struct Hello {
    out: Transcript,
    state: HelloState,
}

enum HelloState {
    /// Not polled yet: calling `hello()` runs nothing.
    Start,
    /// Said "hello"; waiting out the second.
    Sleeping(Sleep),
    Done,
}

fn hello(out: &Transcript) -> Hello {
    Hello { out: out.clone(), state: HelloState::Start }
}

impl Coroutine for Hello {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                HelloState::Start => {
                    self.out.say("hello");
                    self.state = HelloState::Sleeping(sleep(Duration::from_secs(1)));
                }
                HelloState::Sleeping(nap) => {
                    if nap.poll(cx).is_pending() {
                        return Poll::Pending; // the loop may run someone else now
                    }
                    self.out.say("goodbye");
                    self.state = HelloState::Done;
                    return Poll::Ready(());
                }
                HelloState::Done => panic!("hello() polled after it completed"),
            }
        }
    }
}

/// Runs `main` the way `asyncio.run` does — a fresh loop, run until `main`
/// returns, then cancel what is left — and says how long it took.
fn run_main<C: Coroutine<Output = ()> + 'static>(main: C, virtual_clock: bool, out: &Transcript) {
    let took = common::run_main(virtual_clock, main).took;
    out.say(common::elapsed_line("main", took, virtual_clock));
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    // `await hello(); await hello()`: the second hello is made only once the
    // first has finished — `then` is "await this, then that".
    out.say("--- await hello(); await hello()");
    let second = out.clone();
    run_main(hello(out).then(move |()| hello(&second)), virtual_clock, out);

    // `await asyncio.gather(hello(), hello())`: both become tasks at once.
    out.say("--- await asyncio.gather(hello(), hello())");
    let both = gather(vec![hello(out), hello(out)]).map(|results| {
        results.expect("both hellos finish"); // [None, None] in Python
    });
    run_main(both, virtual_clock, out);
}

/// `hello()` as an `async fn`: the `Hello` machine above, written by the compiler.
async fn hello_async(out: Transcript) {
    out.say("hello");
    sleep(Duration::from_secs(1)).await; // the loop may run someone else now
    out.say("goodbye");
}

/// Part 1's `main` as an `async fn`: `hello(out).then(..)` above. The
/// second `hello` starts only once the first has finished.
async fn one_after_the_other(out: Transcript) {
    hello_async(out.clone()).await;
    hello_async(out).await;
}

/// Part 2's `main` as an `async fn`: `gather(vec![hello(out), hello(out)])`
/// above. Both become tasks at once.
async fn together(out: Transcript) {
    let both = vec![from_future(hello_async(out.clone())), from_future(hello_async(out))];
    gather(both).await.expect("both hellos finish"); // [None, None] in Python
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    out.say("--- await hello(); await hello()");
    run_main(from_future(one_after_the_other(out.clone())), virtual_clock, out);
    out.say("--- await asyncio.gather(hello(), hello())");
    run_main(from_future(together(out.clone())), virtual_clock, out);
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
