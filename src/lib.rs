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
//! 7. [`stage7_coordination`] — `Queue`, `Lock`, `Event`, `Condition`,
//!    `Semaphore`, `Barrier`, `TaskGroup` and a movable `timeout_at`: tasks
//!    that coordinate, in asyncio's order.
//! 8. [`stage8_outside`] — a `poll(2)` selector with a self-pipe in the
//!    loop's idle wait; blocking work on a thread pool; TCP; subprocesses.
//! 9. [`stage9_async`] — `async fn` on rondo, and rondo coroutines
//!    awaited in `async fn`s, through a `Send + Sync` std waker.
//!
//! **Read it as a tutorial:** the [`guide`] holds one chapter per stage —
//! [1](guide::ch01_generators), [2](guide::ch02_coroutine),
//! [3](guide::ch03_sleep), [4](guide::ch04_event_loop),
//! [5](guide::ch05_combinators), [6](guide::ch06_failure),
//! [7](guide::ch07_coordination), [8](guide::ch08_outside),
//! [9](guide::ch09_async) — each starting
//! from a Python program and rebuilding what it relies on. Coming from
//! asyncio, keep [the asyncio map](guide::asyncio_map) open: every name of
//! asyncio's task and loop API, with its rondo equivalent or the stage that
//! brings it.
//!
//! **Use it as a library:** the API a program uses is re-exported here at the
//! crate root, each item with a short example and the asyncio line it stands
//! for. Seed 004's
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

#![deny(unsafe_code)] // one exception: stage 8's poll(2), in `stage8_outside/sys_poll.rs`

mod fast;
pub mod observe;
mod runtime;
pub mod stage1_generators;
pub mod stage2_coroutine;
pub mod stage3_sleep;
pub mod stage4_event_loop;
pub mod stage5_combinators;
pub mod stage6_failure;
pub mod stage7_coordination;
pub mod stage8_outside;
pub mod stage9_async;
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
pub use stage7_coordination::{
    Barrier, BoundedSemaphore, BrokenBarrierError, ChildTask, Condition, Event, ExceptionGroup, GetError,
    GroupError, LifoQueue, Lock, LockGuard, Permit, PriorityQueue, PutError, Queue, ReleasedTooManyTimes,
    Semaphore, TaskGroup, TimeoutAt, TimeoutHandle, TooManyTaskDone, WithTaskGroup, call_at, task_group,
    timeout_at,
};
pub use stage8_outside::{Accept, Connect, ReadExact, ReadSome, ReadUntil, TcpListener, TcpStream, WriteAll};
pub use stage8_outside::{Communicate, Process, ProcessWait};
pub use stage8_outside::{
    LoopClosed, LoopHandle, ThreadPool, ToThread, loop_handle, run_in_executor, to_thread,
};
pub use stage9_async::{Awaitable, CoroutineFuture, FromFuture, from_future};
// `transcript.rs` is a helper of the examples rather than a stage; its
// items' examples are here, on their re-exports (rustdoc shows them first).
/// ```
/// use rondo::{Echo, Transcript};
///
/// let out = Transcript::echoing(Echo::Plain); // prints each line as it is said
/// out.say("hello");
/// assert_eq!(Echo::default(), Echo::Silent);
/// ```
pub use transcript::Echo;
/// ```
/// use rondo::{CoroutineExt, EventLoop, Line, Transcript, lazy, sleep};
/// use std::time::Duration;
///
/// let out = Transcript::new();
/// let say = out.clone();
/// let ev = EventLoop::new_virtual();
/// ev.run(sleep(Duration::from_millis(1500)).then(move |()| lazy(move || say.say("late"))))
///     .unwrap();
/// let Line { at, text, .. } = &out.entries()[0];
/// assert_eq!((*at, text.as_str()), (Some(Duration::from_millis(1500)), "late"));
/// ```
pub use transcript::Line;
/// ```
/// use rondo::{EventLoop, Transcript, sleep};
/// use std::time::Duration;
///
/// // print("One"); await asyncio.sleep(1); print("Two") — and remember when
/// let out = Transcript::new();
/// let ev = EventLoop::new_virtual();
/// out.say("One");
/// ev.run_until_complete(sleep(Duration::from_secs(1))).unwrap();
/// out.say("Two"); // outside the loop: no stamp
/// assert_eq!(out.lines(), ["One", "Two"]);
/// assert_eq!(out.entries()[1].text, "Two");
/// ```
pub use transcript::Transcript;

/// The tutorial, readable here: every chapter of `docs/`, in reading order.
///
/// Each chapter is a page below, with the asyncio map beside them (keep it
/// open while you read). The code blocks in the chapters are compiled and
/// run by `cargo test`, so the tutorial cannot rot.
///
/// The chapters are the Markdown files in the repository's `docs/` folder;
/// a link between them there (`01-generators.md`) does not lead anywhere
/// here — use the list below, or the navigation at the foot of each chapter.
///
/// | # | chapter | stage |
/// |---|---|---|
/// | | [the tutorial's map](guide::overview) | |
/// | 1 | [Generators](guide::ch01_generators) | [`stage1_generators`] |
/// | 2 | [The coroutine](guide::ch02_coroutine) | [`stage2_coroutine`] |
/// | 3 | [Sleep](guide::ch03_sleep) | [`stage3_sleep`] |
/// | 4 | [The event loop](guide::ch04_event_loop) | [`stage4_event_loop`] |
/// | 5 | [Combinators](guide::ch05_combinators) | [`stage5_combinators`] |
/// | 6 | [Failure](guide::ch06_failure) | [`stage6_failure`] |
/// | 7 | [Coordination](guide::ch07_coordination) | [`stage7_coordination`] |
/// | 8 | [Outside the loop](guide::ch08_outside) | [`stage8_outside`] |
/// | 9 | [async/await](guide::ch09_async) | [`stage9_async`] |
/// | | [asyncio → rondo, name by name](guide::asyncio_map) | |
/// | | [Performance](guide::performance) | |
pub mod guide {
    #[doc = include_str!("../docs/README.md")]
    ///
    /// ---
    /// *Guide:* **the tutorial's map** · next: [1. Generators](ch01_generators) ·
    /// [asyncio map](asyncio_map)
    pub mod overview {}

    #[doc = include_str!("../docs/01-generators.md")]
    ///
    /// ---
    /// *Guide:* [map](overview) · **1. Generators** · next: [2. The coroutine](ch02_coroutine)
    pub mod ch01_generators {}

    #[doc = include_str!("../docs/02-coroutine.md")]
    ///
    /// ---
    /// *Guide:* [map](overview) · previous: [1. Generators](ch01_generators) ·
    /// **2. The coroutine** · next: [3. Sleep](ch03_sleep)
    pub mod ch02_coroutine {}

    #[doc = include_str!("../docs/03-sleep.md")]
    ///
    /// ---
    /// *Guide:* [map](overview) · previous: [2. The coroutine](ch02_coroutine) ·
    /// **3. Sleep** · next: [4. The event loop](ch04_event_loop)
    pub mod ch03_sleep {}

    #[doc = include_str!("../docs/04-event-loop.md")]
    ///
    /// ---
    /// *Guide:* [map](overview) · previous: [3. Sleep](ch03_sleep) ·
    /// **4. The event loop** · next: [5. Combinators](ch05_combinators)
    /// (chapter 6 is [here](ch06_failure))
    pub mod ch04_event_loop {}

    #[doc = include_str!("../docs/05-combinators.md")]
    ///
    /// ---
    /// *Guide:* [map](overview) · previous: [4. The event loop](ch04_event_loop) ·
    /// **5. Combinators** · next: [6. Failure](ch06_failure)
    pub mod ch05_combinators {}

    #[doc = include_str!("../docs/06-failure.md")]
    ///
    /// ---
    /// *Guide:* [map](overview) · previous: [5. Combinators](ch05_combinators) ·
    /// **6. Failure** · next: [7. Coordination](ch07_coordination)
    pub mod ch06_failure {}

    #[doc = include_str!("../docs/07-coordination.md")]
    ///
    /// ---
    /// *Guide:* [map](overview) · previous: [6. Failure](ch06_failure) ·
    /// **7. Coordination** · next: [8. Outside the loop](ch08_outside)
    pub mod ch07_coordination {}

    #[doc = include_str!("../docs/08-outside.md")]
    ///
    /// ---
    /// *Guide:* [map](overview) · previous: [7. Coordination](ch07_coordination) ·
    /// **8. Outside the loop** · next: [9. async/await](ch09_async)
    pub mod ch08_outside {}

    #[doc = include_str!("../docs/09-async.md")]
    ///
    /// ---
    /// *Guide:* [map](overview) · previous: [8. Outside the loop](ch08_outside) ·
    /// **9. async/await** · next: [the asyncio map](asyncio_map)
    pub mod ch09_async {}

    #[doc = include_str!("../docs/asyncio-map.md")]
    ///
    /// ---
    /// *Guide:* [map](overview) · [1](ch01_generators) · [2](ch02_coroutine) ·
    /// [3](ch03_sleep) · [4](ch04_event_loop) · [5](ch05_combinators) ·
    /// [6](ch06_failure) · [7](ch07_coordination) · [8](ch08_outside) · [9](ch09_async) ·
    /// **the asyncio map**
    pub mod asyncio_map {}

    #[doc = include_str!("../docs/performance.md")]
    ///
    /// ---
    /// *Guide:* [map](overview) · **performance** (not needed on a first read)
    // Its tables mark figures with a bracketed `[100k]`, meant as plain text.
    #[allow(rustdoc::broken_intra_doc_links)]
    pub mod performance {}
}

/// The README's code blocks, compiled as doctests so that they cannot rot
/// (the README itself is the repository's front page, not part of the guide).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct Readme;
