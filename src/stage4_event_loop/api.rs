//! The functions a coroutine calls on the loop that runs it — asyncio's module-level API.
//!
//! Each finds the running loop through a thread-local (asyncio:
//! `get_running_loop()`), and fails with a clear message outside one.

use super::core::TimerHandle;
use super::core::{loop_is_running, with_running_loop};
use super::event_loop::{EventLoop, LoopError};
use super::task::{Task, TaskInfo};
use crate::Coroutine;
use std::panic::Location;
use std::time::Duration;

/// Schedules `coroutine` as a task on the running loop (asyncio: `create_task`).
///
/// Its first step runs on the *next* iteration of the loop — not now: the
/// caller goes on until it next pauses (seed 001: "I am Main", "finished",
/// then "I am foo").
///
/// # Panics
/// Outside a running loop.
#[track_caller]
pub fn spawn<C>(coroutine: C) -> Task<C::Output>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    let at = Location::caller();
    with_running_loop("spawn()", |core| core.spawn(coroutine, None, at))
}

/// [`spawn`] with a name, as `create_task(coro, name="Division")`.
///
/// # Panics
/// Outside a running loop.
#[track_caller]
pub fn spawn_named<C>(name: &str, coroutine: C) -> Task<C::Output>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    let at = Location::caller();
    with_running_loop("spawn_named()", |core| core.spawn(coroutine, Some(name.into()), at))
}

/// The task being run (asyncio: `current_task()`); `None` when the loop is
/// running a plain callback rather than a task.
///
/// # Panics
/// Outside a running loop.
pub fn current_task() -> Option<TaskInfo> {
    with_running_loop("current_task()", |core| core.current_task())
}

/// Every unfinished task of the running loop, by id (asyncio: `all_tasks()`).
///
/// # Panics
/// Outside a running loop.
pub fn all_tasks() -> Vec<TaskInfo> {
    with_running_loop("all_tasks()", |core| core.all_tasks())
}

/// Runs `callback` on the next iteration of the running loop.
///
/// # Panics
/// Outside a running loop.
pub fn call_soon(callback: impl FnOnce() + 'static) {
    with_running_loop("call_soon()", |core| core.call_soon(Box::new(callback)))
}

/// Runs `callback` once `delay` has passed on the running loop.
///
/// # Panics
/// Outside a running loop.
pub fn call_later(delay: Duration, callback: impl FnOnce() + 'static) -> TimerHandle {
    with_running_loop("call_later()", |core| core.call_later(delay, Box::new(callback)))
}

/// Stops the running loop when the current iteration ends.
///
/// # Panics
/// Outside a running loop.
pub fn stop() {
    with_running_loop("stop()", |core| core.stop())
}

/// asyncio's `asyncio.run(main())`: runs `main` on a new real-clock loop,
/// cancels whatever tasks are left when it returns, and returns its output.
///
/// # Panics
/// Inside a running loop (the notebook's "asyncio.run() cannot be called from
/// a running event loop": inside a coroutine, await or spawn instead), and on
/// a [`LoopError`] such as a deadlock — use [`try_run`] to get it as a value.
#[track_caller]
pub fn run<C>(main: C) -> C::Output
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    match try_run(main) {
        Ok(output) => output,
        Err(error) => panic!("rondo::run: {error}"),
    }
}

/// [`run`], returning loop errors instead of panicking.
///
/// # Errors
/// See [`LoopError`].
///
/// # Panics
/// Inside a running loop.
#[track_caller]
pub fn try_run<C>(main: C) -> Result<C::Output, LoopError>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    assert!(
        !loop_is_running(),
        "rondo::run() cannot be called from a running event loop: \
         inside a coroutine, await the coroutine or spawn() it instead"
    );
    EventLoop::new().run(main)
}
