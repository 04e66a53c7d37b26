//! # Stage 9 — async/await: the compiler writes the state machines
//!
//! **What stage 8 could not do.** Every coroutine of stages 2–8 is a state
//! machine written by hand: an `enum State`, a `loop { match }`, the `async
//! fn` it stands for in a comment. asyncio's three-line echo handler is
//! fifty lines of them. Rust writes exactly those machines itself for an
//! `async fn` — as std `Future`s, which rondo could not run.
//!
//! **What this stage adds** — a bridge both ways:
//! - `task_waker`: a std `Waker` for a rondo task (`Send + Sync`: it names
//!   the task by a slot in its loop thread's table, and reaches the loop
//!   from other threads through stage 8's inbox);
//! - `from_future`: a std `Future` as a rondo coroutine ([`from_future`]):
//!   `spawn(from_future(async { .. }))`;
//! - `into_future`: a rondo coroutine as a std `Future` ([`Awaitable::future`]):
//!   `sleep(d).future().await` inside an `async` block.
//!
//! The order of events does not change: on rondo, the std waker of a task
//! calls its rondo waker, in the same iteration.
//!
//! **Reading order.** `task_waker` → `from_future` → `into_future`.
//!
//! Seed scenarios: `cargo run --example countasync -- --async --virtual`
//! and `rate_limit -- --async` print what CPython prints, in the same
//! iterations (`tests/asyncio_differential.rs` runs both versions).
//!
//! **Not yet** (issue 13 goes on): the other seed examples' `--async`
//! versions, chapter 9 (`Pin`, and the waker contract), the four-runtime
//! comparison, a deadlock rule for std wakers, and the 1.25× cost target
//! (`docs/performance.md`: 1.41× on yield, 2.05× on spawn+join).

mod from_future;
mod into_future;
mod task_waker;

pub use from_future::{FromFuture, from_future};
pub use into_future::{Awaitable, CoroutineFuture};
