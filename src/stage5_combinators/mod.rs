//! # Stage 5 — combinators: `await` composed, not hand-written
//!
//! **What stage 4 could not do.** Every way of waiting was a new `enum`:
//! "spawn four tasks and await them all" (the `spawn_all` of the stage-4
//! examples), "the first of two", "this, but at most one second". The seed
//! programs do these in one line each (`asyncio.gather`, `asyncio.wait`,
//! `asyncio.wait_for`), and so should we.
//!
//! **What this stage adds**, each a small state machine you can read:
//! - chaining ([`chain`]): [`ready`], [`lazy`], [`poll_fn`], and
//!   [`CoroutineExt::then`]/[`CoroutineExt::map`]; `yield_now` (asyncio's
//!   `sleep(0)`) is stage 2's;
//! - [`gather`] / [`gather_settled`] / [`gather_tasks`]: children become
//!   tasks in argument order, outputs come back in argument order, the first
//!   error at once;
//! - [`join()`]/[`join3`]/[`join_all`]: several coroutines polled *inline*, in
//!   the caller's own task — compare with `gather` in [`join`](mod@join)'s docs;
//! - [`select`] / [`race`]: first to finish wins, the others are dropped;
//! - [`wait`] with [`ReturnWhen`], [`wait_for`]/[`timeout`], [`as_completed`];
//! - [`Promise`]: asyncio's `Future`, set by anyone, awaited by many;
//! - [`Stream`]: async generators and `async for`.
//!
//! The part that makes rondo's order of events asyncio's: awaiting `gather`,
//! `wait` or `as_completed` resumes the awaiter *two* iterations after the
//! deciding child finishes, because asyncio runs their bookkeeping as a
//! scheduled done-callback ([`done_callback`](mod@done_callback)).
//!
//! Seed scenarios: `hello()` twice vs gathered, the four operations with
//! their results in argument order, foo/bar and the `Future`, `coro(seq)`,
//! the restaurant, the chess exhibition.
//!
//! **The flaw this stage leaves.** These combinators assume every child
//! finishes well. Failure needs its own machinery — a panicking coroutine
//! would unwind through the loop, nothing could cancel a task from outside,
//! and a forgotten `set_result` would leave its awaiters stuck with no
//! explanation. Stage 6 adds it (the hooks it needs are already visible here:
//! `select` and `wait_for` drop their losers inside a cancel scope).

mod as_completed;
pub mod chain;
pub mod done_callback;
mod gather;
pub mod join;
mod promise;
mod select;
mod stream;
mod task_set;
mod timeout;
mod wait;

pub use as_completed::{AsCompleted, as_completed};
pub use chain::{CoroutineExt, Lazy, Map, PollFn, Ready, Then, lazy, poll_fn, ready};
pub use gather::{Gather, GatherSettled, gather, gather_settled, gather_tasks};
pub use join::{Join, Join3, JoinAll, join, join_all, join3};
pub use promise::{Promise, PromiseWait};
pub use select::{Either, Race, Select, race, select};
pub use stream::{Collect, ForEach, Next, Stream, StreamExt, Ticker, ticker};
pub use timeout::{Elapsed, Timeout, timeout, wait_for};
pub use wait::{DoneAndPending, ReturnWhen, Wait, wait, wait_timeout};
