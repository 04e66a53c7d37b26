//! # tour — every example, in reading order, each with its one-line lesson
//!
//! Run: `cargo run --example tour -- --virtual` (virtual clock: the same
//! lines, in well under a second) for a first look, or `cargo run --example
//! tour` (real time: about 105 s, mostly sleeping, as the seeds do).
//!
//! Each stop is one example file, included here as a module; run any of them
//! alone with `cargo run --example NAME`. Add `--async` to take the tour in
//! stage 9's form: every stop that has one runs its `async fn` version (the
//! same lines at the same times), and says so.

// Every example declares its own `mod common` so it also builds alone;
// including several examples here therefore includes that file several times.
#![allow(clippy::duplicate_mod)]

#[path = "common/mod.rs"]
mod common;

#[allow(dead_code)]
#[path = "arithmetic.rs"]
mod arithmetic;
#[allow(dead_code)]
#[path = "bank.rs"]
mod bank;
#[allow(dead_code)]
#[path = "barrier.rs"]
mod barrier;
#[allow(dead_code)]
#[path = "busy_vs_loop.rs"]
mod busy_vs_loop;
#[allow(dead_code)]
#[path = "cats.rs"]
mod cats;
#[allow(dead_code)]
#[path = "cats_executor.rs"]
mod cats_executor;
#[allow(dead_code)]
#[path = "chess.rs"]
mod chess;
#[allow(dead_code)]
#[path = "coro_seq.rs"]
mod coro_seq;
#[allow(dead_code)]
#[path = "countasync.rs"]
mod countasync;
#[allow(dead_code)]
#[path = "countsync.rs"]
mod countsync;
#[allow(dead_code)]
#[path = "create_task.rs"]
mod create_task;
#[allow(dead_code)]
#[path = "current_task.rs"]
mod current_task;
#[allow(dead_code)]
#[path = "deadlock.rs"]
mod deadlock;
#[path = "dining.rs"]
mod dining;
#[allow(dead_code)]
#[path = "event.rs"]
mod event;
#[allow(dead_code)]
#[path = "fetch_data.rs"]
mod fetch_data;
#[allow(dead_code)]
#[path = "find_divisibles.rs"]
mod find_divisibles;
#[allow(dead_code)]
#[path = "gather_results.rs"]
mod gather_results;
#[allow(dead_code)]
#[path = "generators.rs"]
mod generators;
#[allow(dead_code)]
#[path = "hello.rs"]
mod hello;
#[allow(dead_code)]
#[path = "highest_prime.rs"]
mod highest_prime;
#[allow(dead_code)]
#[path = "producer_consumer.rs"]
mod producer_consumer;
#[allow(dead_code)]
#[path = "promise.rs"]
mod promise;
#[allow(dead_code)]
#[path = "rate_limit.rs"]
mod rate_limit;
#[allow(dead_code)]
#[path = "restaurant.rs"]
mod restaurant;
#[allow(dead_code)]
#[path = "say.rs"]
mod say;
#[allow(dead_code)]
#[path = "taskgroup.rs"]
mod taskgroup;

use rondo::Transcript;
use std::time::Instant;

/// One stop of the tour.
struct Stop {
    name: &'static str,
    stage: &'static str,
    lesson: &'static str,
    run: fn(bool, &Transcript),
    /// The same scenario as `async fn`s (stage 9), for `--async`.
    run_async: Option<fn(bool, &Transcript)>,
}

const STOPS: &[Stop] = &[
    Stop {
        name: "generators",
        stage: "1 generators",
        lesson: "a generator is a struct with resume(); a loop over a list of them is the seed of an event loop",
        run: |virtual_clock, _| generators::run(virtual_clock, std::env::args().any(|arg| arg == "--stamps")),
        run_async: None, // stage 1 has no loop to run an `async fn` on
    },
    Stop {
        name: "countsync",
        stage: "3 sleep",
        lesson: "a blocking sleep freezes everyone: One Two, One Two, One Two in 3 s",
        run: countsync::run,
        run_async: Some(countsync::run_async),
    },
    Stop {
        name: "countasync",
        stage: "3 sleep",
        lesson: "sleeps that yield overlap: One One One, then Two Two Two, in 1 s",
        run: countasync::run,
        run_async: Some(countasync::run_async),
    },
    Stop {
        name: "busy_vs_loop",
        stage: "3 → 4",
        lesson: "the naive runner spins a core while everyone sleeps; the event loop sleeps the thread",
        run: busy_vs_loop::run,
        run_async: None, // measures CPU time of two runners, not a scenario
    },
    Stop {
        name: "create_task",
        stage: "4 event loop",
        lesson: "awaiting a coroutine is sequential; a spawned task starts on the loop's next iteration",
        run: create_task::run,
        run_async: Some(create_task::run_async),
    },
    Stop {
        name: "arithmetic",
        stage: "4 event loop",
        lesson: "four sleeps awaited in turn add up to 16 s; as tasks they overlap in 7 s",
        run: arithmetic::run,
        run_async: Some(arithmetic::run_async),
    },
    Stop {
        name: "say",
        stage: "4 event loop",
        lesson: "tasks made before the loop runs start when it does; run_forever ends only on stop()",
        run: say::run,
        run_async: Some(say::run_async),
    },
    Stop {
        name: "hello",
        stage: "5 combinators",
        lesson: "two awaits in a row take 2 s; gather(hello(), hello()) takes 1 s",
        run: hello::run,
        run_async: Some(hello::run_async),
    },
    Stop {
        name: "gather_results",
        stage: "5 combinators",
        lesson: "gather returns results in argument order, whatever order the tasks finish in",
        run: gather_results::run,
        run_async: Some(gather_results::run_async),
    },
    Stop {
        name: "restaurant",
        stage: "5 combinators",
        lesson: "a task you never await is cancelled when main returns; the notebook's loop would keep it",
        run: restaurant::run,
        run_async: Some(restaurant::run_async),
    },
    Stop {
        name: "fetch_data",
        stage: "6 failure",
        lesson: "run cancels what is left when main returns: printNumbers never reaches 9",
        run: fetch_data::run,
        run_async: Some(fetch_data::run_async),
    },
    Stop {
        name: "find_divisibles",
        stage: "5 combinators",
        lesson: "long CPU work that yields now and then lets the others through",
        run: find_divisibles::run,
        run_async: Some(find_divisibles::run_async),
    },
    Stop {
        name: "highest_prime",
        stage: "6 failure",
        lesson: "a blocking sleep inside a coroutine serializes everyone, and the slow-step detector names it",
        run: highest_prime::run,
        run_async: Some(highest_prime::run_async),
    },
    Stop {
        name: "current_task",
        stage: "4 event loop",
        lesson: "every task has a name; all_tasks() counts 5 while the operations run, then 1",
        run: current_task::run,
        run_async: Some(current_task::run_async),
    },
    Stop {
        name: "promise",
        stage: "5 combinators",
        lesson: "a Promise (asyncio.Future) is set by one coroutine and awaited by another",
        run: promise::run,
        run_async: Some(promise::run_async),
    },
    Stop {
        name: "coro_seq",
        stage: "5 combinators",
        lesson: "two tasks gathered finish with the longest: 10 s, results in argument order",
        run: coro_seq::run,
        run_async: Some(coro_seq::run_async),
    },
    Stop {
        name: "cats",
        stage: "5 combinators",
        lesson: "awaiting is polling a child: five cats, each three coroutines deep, nap together in 2 s",
        run: cats::run,
        run_async: Some(cats::run_async),
    },
    Stop {
        name: "chess",
        stage: "5 combinators",
        lesson: "24 boards one at a time take 12 hours; moving from board to board, about one",
        run: chess::run,
        run_async: Some(chess::run_async),
    },
    Stop {
        name: "deadlock",
        stage: "6 failure",
        lesson: "where asyncio hangs forever, rondo stops and names every stuck task and what it waits on",
        run: deadlock::run,
        run_async: Some(deadlock::run_async),
    },
    Stop {
        name: "taskgroup",
        stage: "7 coordination",
        lesson: "a TaskGroup waits for every child; B's failure cancels C at once, and the group reports it",
        run: taskgroup::run,
        run_async: Some(taskgroup::run_async),
    },
    Stop {
        name: "producer_consumer",
        stage: "7 coordination",
        lesson: "a bounded Queue hands work from producers to consumers; join waits until every item is done",
        run: producer_consumer::run,
        run_async: Some(producer_consumer::run_async),
    },
    Stop {
        name: "rate_limit",
        stage: "7 coordination",
        lesson: "a Semaphore(3) lets three fetches run at once; the others start, in line, as slots free up",
        run: rate_limit::run,
        run_async: Some(rate_limit::run_async),
    },
    Stop {
        name: "bank",
        stage: "7 coordination",
        lesson: "an await between a read and a write loses updates (30, not 60); a Lock makes them one piece",
        run: bank::run,
        run_async: Some(bank::run_async),
    },
    Stop {
        name: "barrier",
        stage: "7 coordination",
        lesson: "a Barrier(3) holds every runner until the third arrives; the last to arrive goes first",
        run: barrier::run,
        run_async: Some(barrier::run_async),
    },
    Stop {
        name: "event",
        stage: "7 coordination",
        lesson: "one Event.set() wakes every waiter, in the order they started waiting",
        run: event::run,
        run_async: Some(event::run_async),
    },
    Stop {
        name: "dining",
        stage: "7 coordination",
        lesson: "two locks taken in opposite orders: where asyncio hangs, rondo names who holds what, and the cycle",
        run: dining::run,
        run_async: Some(dining::run_async),
    },
    Stop {
        name: "cats_executor",
        stage: "8 outside",
        lesson: "a blocking method on pool threads: the five cats nap together in 2 s (run alone, it also shows 10 s on the loop)",
        // Part 1 only: part 2 would add 10 s of blocking to the tour.
        run: cats_executor::run,
        run_async: Some(cats_executor::run_async),
    },
];

fn main() {
    let args = common::Args::parse();
    let start = Instant::now();
    let clock = if args.virtual_clock { "virtual clock" } else { "real clock" };
    let form = if args.async_fns { ", as async fns where there is a form" } else { "" };
    common::outln!("rondo tour: {} examples, {clock}{form}\n", STOPS.len());
    for (n, stop) in STOPS.iter().enumerate() {
        common::outln!("━━━ {}. {} (stage {}) ━━━", n + 1, stop.name, stop.stage);
        common::outln!("    lesson: {}\n", stop.lesson);
        let (run, flag) = match (args.async_fns, stop.run_async) {
            (true, Some(run_async)) => (run_async, " -- --async"),
            (true, None) => {
                common::outln!("    (no async form: this stop is not a scenario of tasks)");
                (stop.run, "")
            }
            (false, _) => (stop.run, ""),
        };
        run(args.virtual_clock, &args.transcript());
        common::outln!("\n    run it alone: cargo run --example {}{flag}\n", stop.name);
    }
    common::outln!("tour finished in {:.2} s of wall time", start.elapsed().as_secs_f64());
}
