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
//! - asyncio's iteration rule: each iteration runs only the runnables that
//!   were queued when it started. That one rule produces asyncio's exact
//!   order of events: a spawned task starts on the next iteration, a task
//!   awaiting another resumes one iteration after it finishes;
//! - the minimal end of a task, where asyncio's `Task.__step` has it: a
//!   cancel-requested flag, `catch_unwind` around the step, finishing with
//!   an error;
//! - `call_soon`/`call_later`, `run_until_complete`, `run_forever`/`stop`,
//!   `current_task`/`all_tasks`, and `run` (asyncio.run);
//! - `seams`: the named places where later stages plug in, so that none
//!   of them has to be edited into this one.
//!
//! **Reading order.** `runnable` (what the loop runs) → `ready_queue` →
//! `timer_heap` → `task_table` → `task_info`, `task_header`, `task_cell`,
//! `task_handle` (a task, from the inside out) → `catch_panic`,
//! `cancel_scope` (how a step fails or is cut short) → `core` (the shared
//! state) → `running` (finding it) → `seams` → `event_loop` (the API) →
//! `run_once` (one turn) → `step` (one task's step) → `api` (the functions
//! coroutines call) → `hooks` (observers) → `loop_error`, `timer_handle`.
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
mod cancel_scope;
mod catch_panic;
mod core;
mod event_loop;
pub mod hooks;
mod loop_error;
mod ready_queue;
mod run_once;
mod runnable;
mod running;
pub(crate) mod seams;
mod step;
mod task_cell;
mod task_handle;
mod task_header;
mod task_info;
mod task_table;
mod timer_handle;
mod timer_heap;

pub use api::{
    all_tasks, call_later, call_soon, current_task, run, spawn, spawn_at, spawn_named, stop, try_run,
};
pub(crate) use cancel_scope::{cancelling, in_cancel_scope};
pub use catch_panic::CallbackPanic;
pub(crate) use core::Core;
pub use event_loop::EventLoop;
pub use hooks::{LoopEvent, LoopSnapshot, LoopView, Observer};
pub use loop_error::{LoopError, StuckTask};
#[cfg(test)]
pub(crate) use ready_queue::ReadyQueue;
pub(crate) use runnable::{Callback, Runnable, RunnableRef};
pub(crate) use running::{
    current_task_key, running_iteration, running_loop, task_in_step, with_running_core, with_running_loop,
};
pub(crate) use task_cell::{AnyTask, TaskStatus};
pub use task_handle::Task;
pub use task_info::{TaskError, TaskInfo};
pub(crate) use task_table::TaskKey;
pub use timer_handle::TimerHandle;
pub(crate) use timer_heap::DueAction;
#[cfg(test)]
pub(crate) use timer_heap::{TimerHeap, test_timers};
