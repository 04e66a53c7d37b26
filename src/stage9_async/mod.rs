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
//! - `into_future`: a rondo coroutine as a std `Future` ([`Awaitable::future`]),
//!   and `await_directly`: `IntoFuture` for each of rondo's own coroutine
//!   types, so that an `async fn` writes `sleep(d).await`, `task.await`.
//!
//! The order of events does not change: a rondo coroutine awaited in a
//! task gets the task's own rondo waker, and a std waker's wake on the
//! loop's thread calls it, in the same iteration.
//!
//! **Reading order.** `waker_table` → `task_waker` → `lent_waker` →
//! `from_future` → `into_future` → `await_directly`.
//!
//! **The flaw that remains.** Cost and reach. The bridge is paid on every
//! poll (a lent std waker, the running poll published for `.await`) and a
//! pinned `Box` per task: in wall time 1.2× the hand-written task on a
//! yield, 1.3–1.7× on spawn and join (`docs/performance.md`, "Stage 9"). A
//! std waker held beyond its task keeps an idle loop listening, whoever
//! holds it: a std channel between two tasks of one loop that wait on each
//! other, or a future keeping its own waker across an `.await`, waits for
//! ever (as on tokio) where a hand-written deadlock is named. And a task is
//! `spawn(from_future(..))`, not `spawn(async { .. })`: a blanket
//! `Coroutine` impl for every `Future` would overlap rondo's own impls.
//!
//! Seed scenarios: every seed example takes `--async` — `cargo run
//! --example countasync -- --async --virtual` prints what CPython prints, in
//! the same iterations (`tests/asyncio_differential.rs` runs both versions
//! of each), and `cargo run --example dining -- --async --virtual` names
//! the same cycle of locks as the hand-written version.

mod await_directly;
mod from_future;
mod into_future;
mod lent_waker;
mod task_waker;
mod waker_table;

#[cfg(test)]
mod tests;

pub use from_future::{FromFuture, from_future};
pub use into_future::{Awaitable, CoroutineFuture};
