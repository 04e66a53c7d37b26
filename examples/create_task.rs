//! # create_task — seed 001's `main`/`foo`: awaiting a coroutine vs spawning a task
//!
//! ```python
//! async def foo(text):
//!     print(text)
//!     await asyncio.sleep(2)
//!
//! async def main():                       # five variations of this body
//!     print('I am Main')
//!     await foo('I am foo')               # 1. await the coroutine: runs it now, 2 s
//!     task = asyncio.create_task(foo(..)) # 2. spawn, don't await: main finishes first
//!     await task                          # 3. spawn, then await the task: 2 s
//!     await asyncio.sleep(2)              # 4. spawn, sleep while the task runs: 2 s
//!     await asyncio.sleep(0.5)            # 5. foo sleeps 10 s, main only 0.5 s
//!     print('finished')
//! ```
//! **Watch for:** in 1 the output is sequential — `await` on a coroutine is
//! not concurrency. In 2, "finished" comes *before* "I am foo": a spawned task
//! starts on the loop's next iteration, after `main` pauses or ends — and it
//! still gets its first step, because `main` finishing only *schedules* the
//! stop. Then `run` cancels it in the middle of its sleep (the notebook's loop
//! would have kept it alive). In 5, `main` does not wait for `foo`'s 10 s.
//!
//! Run: `cargo run --example create_task`, or
//! `cargo run --example create_task -- --virtual` for instant time
//! (`-- --async` for the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::{Context, Coroutine, Poll, Sleep, Task, Transcript, from_future, sleep, spawn};
use std::time::Duration;

/// `foo(text, nap)`: say `text`, then sleep.
struct Foo {
    text: &'static str,
    nap: Duration,
    out: Transcript,
    state: FooState,
}

enum FooState {
    Start,
    Sleeping(Sleep),
    Done,
}

impl Coroutine for Foo {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                FooState::Start => {
                    self.out.say(self.text);
                    self.state = FooState::Sleeping(sleep(self.nap));
                }
                FooState::Sleeping(nap) => {
                    if nap.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.state = FooState::Done;
                    return Poll::Ready(());
                }
                FooState::Done => panic!("foo() polled after it completed"),
            }
        }
    }
}

fn foo(text: &'static str, nap: Duration, out: &Transcript) -> Foo {
    Foo { text, nap, out: out.clone(), state: FooState::Start }
}

/// The five bodies of `main`.
#[derive(Clone, Copy, Debug)]
pub enum Variation {
    AwaitCoroutine,
    SpawnWithoutAwait,
    SpawnThenAwait,
    SpawnThenSleep2,
    SpawnThenSleepHalf,
}

/// `main()`, in one of its variations. The states are those of the longest
/// variation; each variation walks the ones it needs.
struct Main {
    variation: Variation,
    out: Transcript,
    state: MainState,
}

enum MainState {
    Start,
    AwaitingFoo(Foo),
    AwaitingTask(Task<()>),
    /// Sleeping while the task runs; the handle is kept (not awaited).
    Sleeping(Sleep, #[allow(dead_code)] Task<()>),
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let two = Duration::from_secs(2);
        loop {
            match &mut self.state {
                MainState::Start => {
                    self.out.say("I am Main");
                    self.state = match self.variation {
                        Variation::AwaitCoroutine => MainState::AwaitingFoo(foo("I am foo", two, &self.out)),
                        Variation::SpawnWithoutAwait => {
                            // The handle is dropped: the task runs on, detached.
                            drop(spawn(foo("I am foo", two, &self.out)));
                            self.out.say("finished");
                            self.state = MainState::Done;
                            return Poll::Ready(());
                        }
                        Variation::SpawnThenAwait => {
                            MainState::AwaitingTask(spawn(foo("I am foo", two, &self.out)))
                        }
                        Variation::SpawnThenSleep2 => {
                            MainState::Sleeping(sleep(two), spawn(foo("I am foo", two, &self.out)))
                        }
                        Variation::SpawnThenSleepHalf => {
                            let task = spawn(foo("I am foo", Duration::from_secs(10), &self.out));
                            MainState::Sleeping(sleep(Duration::from_millis(500)), task)
                        }
                    };
                }
                MainState::AwaitingFoo(child) => {
                    if child.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    break;
                }
                MainState::AwaitingTask(task) => match task.poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(result) => {
                        result.expect("foo's task finishes");
                        break;
                    }
                },
                MainState::Sleeping(nap, _task) => {
                    if nap.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    break;
                }
                MainState::Done => panic!("main() polled after it completed"),
            }
        }
        self.out.say("finished");
        self.state = MainState::Done;
        Poll::Ready(())
    }
}

/// Runs one variation with `asyncio.run` semantics; returns the loop time it took.
pub fn run_variation(variation: Variation, virtual_clock: bool, out: &Transcript) -> Duration {
    run_main(Main { variation, out: out.clone(), state: MainState::Start }, virtual_clock, out)
}

/// `asyncio.run(main())`: what is still pending when main returns is
/// cancelled, and said; returns the loop time it took.
fn run_main<C: Coroutine<Output = ()> + 'static>(main: C, virtual_clock: bool, out: &Transcript) -> Duration {
    let common::Ran { took, cancelled, .. } = common::run_main(virtual_clock, main);
    if cancelled > 0 {
        out.say(format!("({cancelled} task still pending was cancelled when main returned)"));
    }
    took
}

/// The five variations, with the title each is announced by.
const VARIATIONS: [(&str, Variation); 5] = [
    ("1. await foo(...) directly", Variation::AwaitCoroutine),
    ("2. create_task(foo(...)), no await", Variation::SpawnWithoutAwait),
    ("3. create_task, then await the task", Variation::SpawnThenAwait),
    ("4. create_task, then sleep(2)", Variation::SpawnThenSleep2),
    ("5. create_task(foo sleeps 10 s), then sleep(0.5)", Variation::SpawnThenSleepHalf),
];

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    for (title, variation) in VARIATIONS {
        out.say(format!("--- {title}"));
        let took = run_variation(variation, virtual_clock, out);
        out.say(common::elapsed_line("main", took, virtual_clock));
    }
}

/// `foo(text, nap)` as an `async fn`: the `Foo` machine above, written by the compiler.
async fn foo_async(text: &'static str, nap: Duration, out: Transcript) {
    out.say(text);
    sleep(nap).await;
}

/// `main()` as an `async fn`, in one of its variations: the `Main` machine
/// above. Each arm is one of the five bodies in the header.
async fn main_async(variation: Variation, out: Transcript) {
    let two = Duration::from_secs(2);
    out.say("I am Main");
    match variation {
        // await foo('I am foo'): runs it here, inside main's own task.
        Variation::AwaitCoroutine => foo_async("I am foo", two, out.clone()).await,
        // create_task(foo(..)) and drop the handle: the task runs on, detached.
        Variation::SpawnWithoutAwait => drop(spawn(from_future(foo_async("I am foo", two, out.clone())))),
        Variation::SpawnThenAwait => {
            let task = spawn(from_future(foo_async("I am foo", two, out.clone())));
            task.await.expect("foo's task finishes");
        }
        Variation::SpawnThenSleep2 => {
            let _task = spawn(from_future(foo_async("I am foo", two, out.clone())));
            sleep(two).await;
        }
        Variation::SpawnThenSleepHalf => {
            let _task = spawn(from_future(foo_async("I am foo", Duration::from_secs(10), out.clone())));
            sleep(Duration::from_millis(500)).await;
        }
    }
    out.say("finished");
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    for (title, variation) in VARIATIONS {
        out.say(format!("--- {title}"));
        let took = run_main(from_future(main_async(variation, out.clone())), virtual_clock, out);
        out.say(common::elapsed_line("main", took, virtual_clock));
    }
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
