//! Stage 1: generators, and a loop that takes turns between them.
//!
//! Chapter: `docs/01-generators.md`. Example: `cargo run --example generators`.
//!
//! # What you learn here
//!
//! asyncio is built on one trick: a function that can stop halfway, give
//! control back, and later carry on where it stopped. Python calls it a
//! generator. Strip away the syntax and a generator is just **a struct with a
//! `resume()` method**: the struct holds the function's local variables and an
//! `enum State` saying where it is paused, and `resume` runs it up to the next
//! `yield` or to its end ([`Generator`], [`GeneratorState`]).
//!
//! Once you have several of them, **a loop over the list that resumes each in
//! turn is the seed of an event loop** ([`round_robin()`]): the generators take
//! turns on one thread, and a generator that is waiting can let the others
//! run by yielding instead of blocking.
//!
//! Read the files in this order:
//!
//! 1. [`generator`]: the trait and its two answers.
//! 2. [`even_numbers`]: the seed's `generate_even_1`, as an `enum State` and
//!    a `loop { match }`.
//! 3. [`countdown`]: a generator that *returns* a value.
//! 4. [`round_robin`](mod@round_robin): the seed's `loop(generators)`, with
//!    its bug shown and fixed.
//! 5. [`time_source`] and [`asleep`]: a sleep that yields while it waits,
//!    reading a time source that tests can fake.
//! 6. [`hello`] and [`hello_yield_from`]: the seed's `hello()` solutions 1–4,
//!    ending with the difference between *yielding* a generator (solution 3)
//!    and *delegating* to it with `yield from` (solution 4), the ancestor of
//!    `await`.
//!
//! # The seed scenario
//!
//! Seed 003 ("Async... oh, wait"): `generate_even_1`, the generator `loop()`,
//! `asleep(seconds)` and `hello()` solutions 1–4. Two `hello`s under the
//! loop should print "hello, hello", wait once, then "goodbye, goodbye":
//!
//! | solution | what `hello` does to wait | what you see |
//! |---|---|---|
//! | 1 [`HelloThenBlock`] | `yield`, then `time.sleep` | right order, but the goodbyes are a whole pause apart |
//! | 2 [`HelloBusyLoop`] | an inline `while ..: yield` | correct |
//! | 3 [`HelloYieldAsleep`] | `yield asleep(1)` | no wait at all: the sleeper is handed out, never run |
//! | 4 [`HelloYieldFromAsleep`] | `yield from asleep(1)` | correct, and the waiting is reusable |
//!
//! # The flaws this stage leaves
//!
//! - **No way to hand a return value to a waiter.** A generator can finish
//!   with a value (`Complete(value)`), but the loop just reports it and drops
//!   it. `yield from` can collect a child's value, but only by running the
//!   child *inside* the parent; a generator cannot wait for one that the loop
//!   is running. Stage 2 (`Coroutine`, `Poll`, awaiting a child) starts on
//!   that.
//! - **The CPU spins while `asleep` waits.** A sleeper yields, is resumed on
//!   the very next pass, reads the clock, and yields again, as fast as the
//!   CPU allows: a 0.2 s sleep is millions of useless resumes. Stage 3 makes
//!   sleeping a deadline the runner knows about, and stage 4 makes the loop
//!   wait idle until the next deadline.
//!
//! Also honest about shortcuts: the loop has no way to add a generator while
//! it runs, and a generator that panics takes the whole loop down with it.

pub mod asleep;
pub mod countdown;
pub mod even_numbers;
pub mod generator;
pub mod hello;
pub mod hello_yield_from;
pub mod round_robin;
pub mod time_source;

pub use asleep::Asleep;
pub use countdown::Countdown;
pub use even_numbers::EvenNumbers;
pub use generator::{BoxGenerator, Generator, GeneratorState};
pub use hello::{HelloBusyLoop, HelloThenBlock, Say};
pub use hello_yield_from::{HelloYieldAsleep, HelloYieldFromAsleep};
pub use round_robin::{Event, buggy_round_robin, countdown_transcript, round_robin};
pub use time_source::{RealTime, SteppingTime, TimeSource};
