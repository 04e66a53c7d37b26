//! # promise — seed 002's foo/bar `Future`: one coroutine awaits a value another sets later
//!
//! ```python
//! async def bar(future):
//!     print("bar will sleep for 2 seconds")
//!     await asyncio.sleep(2)
//!     print("bar resolving the future")
//!     future.set_result("future is resolved")    # mark the future done, with its result
//!
//! async def foo(future):
//!     print("foo will await the future")
//!     future_result = await future                 # waits until someone sets it
//!     print("Future result : ", future_result)
//!     print("Is future is done? ", future.done())
//!     return future.result()
//!
//! async def main():
//!     future = asyncio.Future()
//!     results = await asyncio.gather(foo(future), bar(future))
//!     print(results)                               # bar returns nothing: None
//!
//! asyncio.run(main())
//! print("main exiting")
//! ```
//! (The seed's `foo` ends with `return future_result()`, calling the string;
//! it means `future.result()`, which is what is returned here. The lines
//! follow the seed's code, not its hand-copied output: `print(a, b)` puts a
//! space between its arguments, hence `Future result :  future is resolved`.)
//!
//! **Watch for:** foo starts first and *parks* on the future — it is not
//! polled again until bar sets it, 2 s later; then foo resumes in the very
//! next loop iteration, still at 2.000. A `Promise` (rondo's name for
//! asyncio's `Future`, so it is not confused with Rust's `Future` trait) is
//! a shared cell plus the list of who waits: `set_result` stores the value
//! and wakes them. `gather` gives the outputs in argument order — foo's
//! string first, then bar's `None` — whichever finished first.
//!
//! Run: `cargo run --example promise`, or
//! `cargo run --example promise -- --virtual` for instant time
//! (`-- --async` for the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::stage5_combinators::{Gather, PromiseWait}; // named in the state enums below
use rondo::{
    BoxCoroutine, Context, Coroutine, CoroutineExt, Poll, Promise, Transcript, from_future, gather, lazy,
    sleep,
};
use std::time::Duration;

/// What both coroutines return, so that `gather` can hold them in one list:
/// foo returns a string, bar nothing — Python's `None`.
type Output = Option<String>;

/// `bar(future)`: three steps in a row, so stage 5's chaining says it.
fn bar(future: Promise<String>, out: &Transcript) -> impl Coroutine<Output = Output> + use<> {
    let (before, after) = (out.clone(), out.clone());
    let resolve = move |()| {
        after.say("bar resolving the future");
        future.set_result("future is resolved".to_string()); // wakes foo
        None // bar returns nothing
    };
    lazy(move || before.say("bar will sleep for 2 seconds"))
        .then(|()| sleep(Duration::from_secs(2)))
        .map(resolve)
}

/// `foo(future)`, by hand: awaiting the promise is polling its `wait()`.
struct Foo {
    future: Promise<String>,
    out: Transcript,
    state: FooState,
}

enum FooState {
    Start,
    /// Parked on the promise: bar's `set_result` will wake this task.
    Awaiting(PromiseWait<String>),
    Done,
}

impl Coroutine for Foo {
    type Output = Output;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Output> {
        loop {
            match &mut self.state {
                FooState::Start => {
                    self.out.say("foo will await the future");
                    self.state = FooState::Awaiting(self.future.wait());
                }
                FooState::Awaiting(wait) => {
                    let Poll::Ready(result) = wait.poll(cx) else { return Poll::Pending };
                    let future_result = result.expect("bar sets a result, not an error");
                    // print(a, b) puts one space between its arguments.
                    self.out.say(format!("Future result :  {future_result}"));
                    let done = if self.future.done() { "True" } else { "False" };
                    self.out.say(format!("Is future is done?  {done}"));
                    self.state = FooState::Done;
                    return Poll::Ready(Some(future_result));
                }
                FooState::Done => panic!("foo() polled after it completed"),
            }
        }
    }
}

/// `print(results)`: a list as Python prints it — strings quoted, `None` for nothing.
fn python_list(results: &[Output]) -> String {
    let items: Vec<String> = results
        .iter()
        .map(|r| match r {
            Some(text) => format!("'{text}'"),
            None => "None".to_string(),
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// `main()`: make the future, gather foo and bar, print the results.
struct Main {
    out: Transcript,
    state: MainState,
}

enum MainState {
    Start,
    /// foo and bar run as two tasks; their outputs come back in argument order.
    Gathering(Gather<Output>),
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    let future = Promise::new(); // future = asyncio.Future()
                    // Two different coroutine types in one list: box them.
                    let children: Vec<BoxCoroutine<'static, Output>> = vec![
                        Foo { future: future.clone(), out: self.out.clone(), state: FooState::Start }.boxed(),
                        bar(future, &self.out).boxed(),
                    ];
                    self.state = MainState::Gathering(gather(children));
                }
                MainState::Gathering(both) => {
                    let Poll::Ready(results) = both.poll(cx) else { return Poll::Pending };
                    let results = results.expect("neither foo nor bar fails");
                    self.out.say(python_list(&results));
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
    out.say("main exiting"); // after asyncio.run, outside the loop
}

/// `bar(future)` as an `async fn`: the `lazy(..).then(sleep).map(resolve)`
/// chain of [`bar`], written by the compiler.
async fn bar_async(future: Promise<String>, out: Transcript) -> Output {
    out.say("bar will sleep for 2 seconds");
    sleep(Duration::from_secs(2)).await;
    out.say("bar resolving the future");
    future.set_result("future is resolved".to_string()); // wakes foo
    None // bar returns nothing
}

/// `foo(future)` as an `async fn`: the `Foo` machine above. `await future`
/// is `.await` on the promise's `wait()`.
async fn foo_async(future: Promise<String>, out: Transcript) -> Output {
    out.say("foo will await the future");
    let future_result = future.wait().await.expect("bar sets a result, not an error");
    out.say(format!("Future result :  {future_result}"));
    let done = if future.done() { "True" } else { "False" };
    out.say(format!("Is future is done?  {done}"));
    Some(future_result)
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let out_main = out.clone();
    // `main()` as an async block: the `Main` machine above.
    let main = from_future(async move {
        let future = Promise::new(); // future = asyncio.Future()
        // Two async fns are two different future types: one list needs them boxed.
        let children: Vec<BoxCoroutine<'static, Output>> = vec![
            from_future(foo_async(future.clone(), out_main.clone())).boxed(),
            from_future(bar_async(future, out_main.clone())).boxed(),
        ];
        let results = gather(children).await.expect("neither foo nor bar fails");
        out_main.say(python_list(&results));
    });
    common::event_loop(virtual_clock).run(main).expect("main completes");
    out.say("main exiting"); // after asyncio.run, outside the loop
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
