//! # Stage 4 — the event loop: poll only what was woken, sleep until the next deadline
//!
//! **What stage 3 could not do.** The naive runner polls every coroutine on
//! every pass. While all of them sleep, it burns a core asking "not yet?";
//! with 10,000 coroutines and one ready, it still polls 10,000.
//!
//! **What this stage adds** — asyncio's event loop, piece by piece:
//! - [`Task`]s with ids and names (`Task-1`, `Task-2`, … or a given name),
//!   owned by the loop, awaited through a handle;
//! - wakers that mean something: waking a task puts it on a FIFO **ready
//!   queue**, and the loop polls only what is on it;
//! - a **timer heap** ordered by `(deadline, sequence)`: `sleep` leaves its
//!   deadline there, and when nothing is ready the loop *sleeps the thread*
//!   until the earliest one — no spinning (a virtual clock jumps instead);
//! - asyncio's iteration rule: each iteration runs only the handles that were
//!   queued when it started. That one rule produces asyncio's exact order of
//!   events: a spawned task starts on the next iteration, a task awaiting
//!   another resumes one iteration after it finishes;
//! - `call_soon`/`call_later`, `run_until_complete`, `run_forever`/`stop`,
//!   `current_task`/`all_tasks`, and `run` (asyncio.run).
//!
//! Seed scenarios: `create_task` vs `await` (seed 001), the four arithmetic
//! tasks finishing in 7 s instead of 16 s (seed 002), `current_task` names,
//! `say('hello')`/`say('world')` with `run_forever` (seed 000).
//!
//! **The flaw this stage leaves.** Composing waits by hand is laborious:
//! waiting for *all* of four tasks, or for the *first* of two, or for a
//! coroutine *with a timeout*, is a new hand-written state machine each time.
//! Stage 5 adds the combinators (`gather`, `select`, `wait_for`, …).

mod api;
pub(crate) mod core;
mod event_loop;
mod handle;
pub mod hooks;
mod loop_registry;
mod ready_queue;
mod task;
mod task_table;
mod timer_heap;

pub(crate) use api::spawn_at;
pub use api::{all_tasks, call_later, call_soon, current_task, run, spawn, spawn_named, stop, try_run};
pub use core::TimerHandle;
pub use event_loop::{EventLoop, LoopError};
pub use hooks::{LoopEvent, LoopSnapshot, LoopView, Observer};
pub(crate) use task::TaskStatus;
pub use task::{Task, TaskError, TaskInfo};
