//! # Stage 8 — outside the loop: threads, a `poll(2)` selector, sockets and processes
//!
//! **What stage 7 could not do.** Everything a task could wait for was
//! inside the loop: a timer, another task, a lock. The loop's idle wait was
//! a sleep until the next timer — deaf to the world. A task that reads a
//! socket or calls a blocking library (seed 003's cats, whose inherited
//! `_have_free_time` calls `time.sleep(2)`) freezes every other task, and
//! the only cure stage 6 had was a warning naming the culprit.
//!
//! **What this stage adds** — asyncio's `BaseSelectorEventLoop`, by hand:
//! - `sys_poll`: `poll(2)` declared with `extern "C"` — the only `unsafe`
//!   in rondo, one call, with its `// Safety:` note;
//! - `selector`: which descriptors tasks wait on, one-shot, and `poll` over them;
//!   `io_wait`: a coroutine's registration, withdrawn when it is dropped;
//! - `inbox`: a mutex-guarded queue of callbacks from other threads, and
//!   the **self-pipe** that wakes a loop asleep in `poll`;
//! - `outside`: the per-loop state that fills stage 4's idle-wait seam:
//!   poll, queue what threads sent and what descriptors are ready, then
//!   stage 4 moves due timers and runs the snapshot — CPython's `_run_once`;
//! - `thread_pool` and `to_thread`: blocking work on a pool of std threads,
//!   awaited ([`to_thread`], [`run_in_executor`]); [`LoopHandle`] for
//!   `call_soon_threadsafe`;
//! - `process` and `process_watch`: child processes, awaited ([`Process`]):
//!   a watcher thread and pipe readers whose news comes through the inbox;
//!
//! and, on top of them, the loop's first real I/O:
//! - `tcp`: [`TcpListener`] and [`TcpStream`] — `accept`, `connect` (on the
//!   pool), `read`, `read_exact`, `read_line`, `write_all` (asyncio's streams).
//!
//! **Reading order** (chapter 8's): `sys_poll` → `selector` → `io_wait` →
//! `inbox` → `loop_handle` → `outside` → `thread_pool` → `to_thread` →
//! `tcp` → `process` → `process_watch`.
//!
//! Seed scenarios: the cats nap together through `to_thread`
//! (`cargo run --release --example cats_executor`); seed 002's threads
//! against one loop for 1–500 slow requests (`threads_vs_rondo`); seed
//! 003's 4,000 sleepers (`sleepers_4000`) and CPU work on the loop, on
//! threads and in worker processes (`prime_workers`); asyncio's streams
//! echo server (`echo`) and subprocess example (`subprocess`).
//!
//! **The flaw this stage leaves.** Every coroutine so far is a hand-written
//! state machine: a bounded producer/consumer takes a hundred lines of
//! `enum State` and `match`. Rust writes those machines itself for an
//! `async fn` — stage 9 teaches rondo to run them.

#[cfg(not(unix))]
compile_error!(
    "rondo's stage 8 waits with poll(2) and a Unix socket pair: it builds on Unix (Linux, macOS) only"
);

pub(crate) mod inbox;
pub(crate) mod io_wait;
mod loop_handle;
pub(crate) mod outside;
mod process;
mod process_watch;
pub(crate) mod selector;
#[allow(unsafe_code)] // the one `unsafe` of the crate: declaring and calling poll(2)
mod sys_poll;
mod tcp;
mod thread_pool;
mod to_thread;

pub use inbox::LoopClosed;
pub use loop_handle::{LoopHandle, loop_handle};
pub use process::{Communicate, Process, ProcessWait};
pub use tcp::{Accept, Connect, ReadExact, ReadSome, ReadUntil, TcpListener, TcpStream, WriteAll};
pub use thread_pool::ThreadPool;
pub use to_thread::{ToThread, run_in_executor, to_thread};
