//! # say — seed 000's `say('hello', 0.5)` and `say('world', 1)` on a loop that runs forever
//!
//! ```python
//! async def say(what, when):
//!     await asyncio.sleep(when)
//!     print(what)
//!
//! loop = asyncio.get_event_loop()
//! loop.create_task(say('hello', 0.5))
//! loop.create_task(say('world', 1))
//! loop.run_forever()               # "need CTRL + C to exit"
//! ```
//! **Watch for:** tasks can be created on a loop *before* it runs; they start
//! when it does. `run_forever` returns only when someone calls `stop()` — the
//! seed needs Ctrl+C, so here the 'world' task stops the loop once it has
//! spoken. The second part is the seed's other cell:
//! `loop.run_until_complete(asyncio.gather(t1, t2))` returns both results.
//! (A `run_forever` with nothing left to do would wait forever; rondo reports
//! that as a deadlock instead of hanging.)
//!
//! Run: `cargo run --example say`, or
//! `cargo run --example say -- --virtual` for instant time
//! (`-- --async` for the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::{Context, Coroutine, Poll, Sleep, Task, Transcript, from_future, sleep};
use std::time::{Duration, Instant};

/// `say(what, when)`; with `then_stop`, it also stops the loop afterwards.
struct Say {
    what: &'static str,
    when: Duration,
    then_stop: bool,
    out: Transcript,
    state: SayState,
}

enum SayState {
    Start,
    Sleeping(Sleep),
    Done,
}

fn say(what: &'static str, when_secs: f64, then_stop: bool, out: &Transcript) -> Say {
    let when = Duration::from_secs_f64(when_secs);
    Say { what, when, then_stop, out: out.clone(), state: SayState::Start }
}

impl Coroutine for Say {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                SayState::Start => self.state = SayState::Sleeping(sleep(self.when)),
                SayState::Sleeping(nap) => {
                    if nap.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.out.say(self.what);
                    if self.then_stop {
                        rondo::stop(); // our Ctrl+C
                    }
                    self.state = SayState::Done;
                    return Poll::Ready(());
                }
                SayState::Done => panic!("say() polled after it completed"),
            }
        }
    }
}

/// `gather(t1, t2)` for two tasks: await both, return both results.
struct BothResults {
    tasks: [Option<Task<()>>; 2],
    results: Vec<()>,
}

impl Coroutine for BothResults {
    type Output = Vec<()>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Vec<()>> {
        for slot in &mut self.tasks {
            if let Some(task) = slot {
                match task.poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(result) => {
                        result.expect("say finishes");
                        self.results.push(());
                        *slot = None; // taken: never polled again
                    }
                }
            }
        }
        Poll::Ready(std::mem::take(&mut self.results))
    }
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    let ev = common::event_loop(virtual_clock);
    let start = Instant::now();

    out.say("--- run_forever, stopped by the last task");
    let _hello = ev.spawn(say("hello", 0.5, false, out));
    let _world = ev.spawn(say("world", 1.0, true, out));
    ev.run_forever().expect("the loop runs until stopped");
    let took = if virtual_clock { ev.now() } else { start.elapsed() };
    out.say(common::elapsed_line("run_forever", took, virtual_clock));

    out.say("--- run_until_complete(gather(t1, t2))");
    let t1 = ev.spawn(say("hello", 0.5, false, out));
    let t2 = ev.spawn(say("world", 1.0, false, out));
    let results = ev
        .run_until_complete(BothResults { tasks: [Some(t1), Some(t2)], results: vec![] })
        .expect("both tasks finish");
    out.say(format!("{results:?}"));
}

/// `say(what, when)` as an `async fn`: the `Say` machine above, written by
/// the compiler; with `then_stop`, it also stops the loop afterwards.
async fn say_async(what: &'static str, when_secs: f64, then_stop: bool, out: Transcript) {
    sleep(Duration::from_secs_f64(when_secs)).await;
    out.say(what);
    if then_stop {
        rondo::stop(); // our Ctrl+C
    }
}

/// `gather(t1, t2)` for two tasks as an `async fn`: the `BothResults`
/// machine — await one, then the other, and return both results.
async fn both_results_async(t1: Task<()>, t2: Task<()>) -> Vec<()> {
    let mut results = Vec::new();
    for task in [t1, t2] {
        task.await.expect("say finishes");
        results.push(()); // say() returns nothing: None in Python
    }
    results
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let ev = common::event_loop(virtual_clock);
    let start = Instant::now();

    out.say("--- run_forever, stopped by the last task");
    let _hello = ev.spawn(from_future(say_async("hello", 0.5, false, out.clone())));
    let _world = ev.spawn(from_future(say_async("world", 1.0, true, out.clone())));
    ev.run_forever().expect("the loop runs until stopped");
    let took = if virtual_clock { ev.now() } else { start.elapsed() };
    out.say(common::elapsed_line("run_forever", took, virtual_clock));

    out.say("--- run_until_complete(gather(t1, t2))");
    let t1 = ev.spawn(from_future(say_async("hello", 0.5, false, out.clone())));
    let t2 = ev.spawn(from_future(say_async("world", 1.0, false, out.clone())));
    let results = ev.run_until_complete(from_future(both_results_async(t1, t2))).expect("both tasks finish");
    out.say(format!("{results:?}"));
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
