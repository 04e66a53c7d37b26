//! # rondo — asyncio taken apart and rebuilt by hand
//!
//! A coroutine runtime written from scratch with nothing but `std`, to be read
//! in order. Each stage is a module that adds one idea and leaves one flaw for
//! the next stage to fix:
//!
//! 1. [`stage1_generators`] — a generator is a struct with `resume()`; a
//!    round-robin loop over a list of them.
//! 2. [`stage2_coroutine`] — `Poll`, the `Coroutine` trait, `Context` and
//!    `Waker`; hand-written state machines; `block_on`.
//! 3. [`stage3_sleep`] — a clock (real or virtual), `sleep` by deadline, and a
//!    naive runner that polls everything and spins.
//! 4. [`stage4_event_loop`] — tasks, a FIFO ready queue with asyncio's
//!    per-iteration rule, wakers, a timer heap, idle waiting.
//! 5. [`stage5_combinators`] — `gather`, `join`, `select`, `wait`,
//!    `wait_for`, `as_completed`, `Promise`, streams: `await` composed.
//! 6. [`stage6_failure`] — cancellation, panics as task errors, deadlock
//!    reports, the slow-step detector.
//!
//! The API a program uses is re-exported here at the crate root. Seed 004's
//! `countasync` — three `count()`s that sleep together — on a virtual clock:
//!
//! ```
//! use rondo::stage3_sleep::count;
//! use rondo::{EventLoop, Transcript};
//!
//! let out = Transcript::new();
//! let ev = EventLoop::new_virtual();
//! let tasks: Vec<_> = (0..3).map(|_| ev.spawn(count(out.clone()))).collect();
//! for task in tasks {
//!     ev.run_until_complete(task).unwrap().unwrap();
//! }
//! assert_eq!(out.lines(), ["One", "One", "One", "Two", "Two", "Two"]);
//! assert_eq!(ev.time(), 1.0); // one second, not three — and no real waiting
//! ```

mod fast;
pub mod observe;
mod runtime;
pub mod stage1_generators;
pub mod stage2_coroutine;
pub mod stage3_sleep;
pub mod stage4_event_loop;
pub mod stage5_combinators;
pub mod stage6_failure;
#[cfg(test)]
mod test_support;
mod transcript;

pub use stage2_coroutine::{BoxCoroutine, Context, Coroutine, Poll, Wake, Waker, block_on, yield_now};
pub use stage3_sleep::{Clock, Sleep, TimerId, Timers, blocking_sleep, now, sleep};
pub use stage4_event_loop::{
    CallbackPanic, EventLoop, LoopError, Task, TaskError, TaskInfo, TimerHandle, all_tasks, call_later,
    call_soon, current_task, run, spawn, spawn_named, stop, try_run,
};
pub use stage4_event_loop::{LoopEvent, LoopSnapshot, LoopView, Observer};
pub use stage5_combinators::{
    AsCompleted, CoroutineExt, DoneAndPending, Either, Elapsed, Gather, GatherSettled, Join, Join3, JoinAll,
    Lazy, Map, PollFn, Promise, PromiseWait, Race, Ready, ReturnWhen, Select, Stream, StreamExt, Then,
    Ticker, Timeout, Wait, as_completed, gather, gather_settled, gather_tasks, join, join_all, join3, lazy,
    poll_fn, race, ready, select, ticker, timeout, wait, wait_for, wait_timeout,
};
pub use stage6_failure::{SlowStep, StuckTask, Unobserved, shield};
pub use transcript::{Echo, Line, Transcript};

/// The tutorial chapters in `docs/`, compiled as doctests so the tutorial cannot rot.
#[cfg(doctest)]
pub mod chapters {
    #[doc = include_str!("../README.md")]
    pub struct Readme;

    #[doc = include_str!("../docs/01-generators.md")]
    pub struct Chapter01Generators;
    #[doc = include_str!("../docs/02-coroutine.md")]
    pub struct Chapter02Coroutine;
    #[doc = include_str!("../docs/03-sleep.md")]
    pub struct Chapter03Sleep;
    #[doc = include_str!("../docs/04-event-loop.md")]
    pub struct Chapter04EventLoop;
    #[doc = include_str!("../docs/05-combinators.md")]
    pub struct Chapter05Combinators;
    #[doc = include_str!("../docs/06-failure.md")]
    pub struct Chapter06Failure;
}
