//! # Stage 2 — the `Coroutine` trait: a generator that can be awaited
//!
//! **What stage 1 could not do.** A stage-1 generator hands its values to the
//! loop, and the loop throws the final `Complete` value away: nobody can *wait*
//! for a generator and get its result. And the only way to "wait" was to spin.
//!
//! **What this stage adds.** The shape every Rust async runtime (and every
//! Python coroutine under the hood) shares:
//!
//! - [`Poll`]: a step either finished with a value (`Ready`) or must come back
//!   later (`Pending`);
//! - the [`Coroutine`] trait: `poll(&mut self, cx)` advances a state machine by
//!   one step — a coroutine object does *nothing* until someone polls it, just
//!   as calling an `async def` function in Python only builds a coroutine object
//!   (seed 001: `main()` shows `<coroutine object main at 0x…>`);
//! - [`Context`] and [`Waker`]: the poller passes a waker in; a coroutine that
//!   returns `Pending` keeps a clone and calls `wake()` when it can go on;
//! - awaiting is *polling a child inside your own poll* — see
//!   [`state_machine`], where seed 001's `await main()` is written by hand as
//!   `enum` state machines;
//! - [`block_on`]: the smallest possible executor, for one coroutine.
//!
//! **Why `&mut self` and not `Pin<&mut Self>`.** `std::future::Future::poll`
//! takes `Pin<&mut Self>` because the state machines the compiler writes for
//! `async fn` may borrow from themselves (a local that references another local
//! across an `.await`); moving such a machine would leave a dangling pointer,
//! and `Pin` forbids the move. Our hand-written machines own their children by
//! value and never hold a reference into themselves, so moving them between
//! polls is harmless and plain `&mut self` is enough. Stage 9 bridges to
//! `std::future::Future` and shows the self-reference that makes `Pin` necessary.
//!
//! **The flaw this stage leaves.** [`block_on`] runs exactly one coroutine, and
//! it has no notion of time: a coroutine that wants to sleep has nobody to ask
//! what time it is. Stage 3 adds a clock, `sleep`, and a runner for many
//! coroutines at once.

mod block_on;
mod coroutine;
mod poll;
pub mod state_machine;
mod waker;
mod yield_now;

pub use block_on::block_on;
pub use coroutine::{BoxCoroutine, Coroutine};
pub use poll::Poll;
pub use waker::{Context, Wake, Waker};
pub use yield_now::{YieldNow, yield_now};
