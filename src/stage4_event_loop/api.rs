//! The functions a coroutine calls on the loop that runs it — asyncio's module-level API.
//!
//! Each finds the running loop through a thread-local (asyncio:
//! `get_running_loop()`), and fails with a clear message outside one.
//!
//! (Over 300 lines because each function has a compiled example and the
//! misuse tests sit at the bottom; the code itself is short.)

use super::event_loop::EventLoop;
use super::loop_error::LoopError;
use super::runnable::Callback;
use super::running::{loop_is_running, with_running_loop};
use super::task_handle::Task;
use super::task_info::TaskInfo;
use super::timer_handle::TimerHandle;
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
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, lazy, sleep, spawn};
/// use std::time::Duration;
///
/// // task = asyncio.create_task(nap_then_answer()); print(await task)
/// let main = lazy(|| spawn(sleep(Duration::from_secs(1)).map(|()| 42))).then(|task| task);
/// let ev = EventLoop::new_virtual();
/// assert_eq!(ev.run(main).unwrap(), Ok(42)); // awaiting a task: Ok(output) or Err(TaskError)
/// ```
#[track_caller]
pub fn spawn<C>(coroutine: C) -> Task<C::Output>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    let at = Location::caller();
    with_running_loop("spawn()", |core| core.spawn(coroutine, None, at))
}

/// [`spawn`] on behalf of a caller further up: the task reports `at` as its
/// spawn site.
///
/// For a combinator that spawns its children when first polled, as `gather`
/// does: its constructor is `#[track_caller]` and keeps
/// [`Location::caller()`], so a slow-step warning, a panic report or a
/// deadlock names the line of the user's code that called it, not a line
/// inside the combinator.
///
/// # Panics
/// Outside a running loop.
pub fn spawn_at<C>(coroutine: C, at: &'static Location<'static>) -> Task<C::Output>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    with_running_loop("spawn()", |core| core.spawn(coroutine, None, at))
}

/// [`spawn`] with a name, as `create_task(coro, name="Division")`.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, current_task, lazy, spawn_named};
///
/// // asyncio.create_task(coro(), name="Division")
/// let main = lazy(|| spawn_named("Division", lazy(|| current_task().unwrap().name))).then(|task| task);
/// assert_eq!(EventLoop::new_virtual().run(main).unwrap().unwrap(), "Division");
/// ```
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
///
/// ```
/// use rondo::{EventLoop, current_task, lazy};
///
/// // asyncio.current_task().get_name()
/// let name = EventLoop::new_virtual().run(lazy(|| current_task().map(|task| task.name))).unwrap();
/// assert_eq!(name.as_deref(), Some("Task-1")); // `run` made main a task
/// ```
pub fn current_task() -> Option<TaskInfo> {
    with_running_loop("current_task()", |core| core.current_task())
}

/// Every unfinished task of the running loop, by id (asyncio: `all_tasks()`).
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// use rondo::{EventLoop, all_tasks, lazy, sleep, spawn};
/// use std::time::Duration;
///
/// // len(asyncio.all_tasks())
/// let main = lazy(|| {
///     let _a = spawn(sleep(Duration::from_secs(1))); // a dropped handle detaches:
///     let _b = spawn(sleep(Duration::from_secs(1))); // the task runs on
///     all_tasks().len()
/// });
/// assert_eq!(EventLoop::new_virtual().run(main).unwrap(), 3); // main and two sleepers
/// ```
pub fn all_tasks() -> Vec<TaskInfo> {
    with_running_loop("all_tasks()", |core| core.all_tasks())
}

/// Runs `callback` on the next iteration of the running loop.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, Transcript, call_soon, lazy, yield_now};
///
/// // asyncio.get_running_loop().call_soon(print, "callback")
/// let out = Transcript::new();
/// let (a, b) = (out.clone(), out.clone());
/// let main = lazy(move || {
///     call_soon(move || a.say("callback"));
///     b.say("main goes on"); // the callback waits for the next iteration
/// })
/// .then(|()| yield_now());
/// EventLoop::new_virtual().run(main).unwrap();
/// assert_eq!(out.lines(), ["main goes on", "callback"]);
/// ```
#[track_caller]
pub fn call_soon(callback: impl FnOnce() + 'static) {
    let callback = Callback::new(callback);
    with_running_loop("call_soon()", |core| core.call_soon(callback))
}

/// Runs `callback` once `delay` has passed on the running loop.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, Transcript, call_later, lazy, sleep};
/// use std::time::Duration;
///
/// // asyncio.get_running_loop().call_later(2, print, "two seconds")
/// let out = Transcript::new();
/// let say = out.clone();
/// let main = lazy(move || call_later(Duration::from_secs(2), move || say.say("two seconds")))
///     .then(|_handle| sleep(Duration::from_secs(3)));
/// EventLoop::new_virtual().run(main).unwrap();
/// assert_eq!(out.stamped(), ["2.000 two seconds"]);
/// ```
#[track_caller]
pub fn call_later(delay: Duration, callback: impl FnOnce() + 'static) -> TimerHandle {
    let callback = Callback::new(callback);
    with_running_loop("call_later()", |core| core.call_later(delay, callback))
}

/// Stops the running loop when the current iteration ends.
///
/// # Panics
/// Outside a running loop.
///
/// ```
/// use rondo::{EventLoop, stop};
/// use std::time::Duration;
///
/// // loop.call_later(5, loop.stop); loop.run_forever()
/// let ev = EventLoop::new_virtual();
/// let _timer = ev.call_later(Duration::from_secs(5), stop);
/// ev.run_forever().unwrap();
/// assert_eq!(ev.time(), 5.0);
/// ```
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
///
/// ```
/// use rondo::lazy;
///
/// // asyncio.run(main())   (a real-clock loop: this main does not sleep)
/// assert_eq!(rondo::run(lazy(|| 6 * 7)), 42);
/// ```
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
///
/// ```
/// use rondo::{LoopError, Promise, try_run};
///
/// // asyncio.run(main()) would hang on a future nobody sets; rondo says so
/// let never = Promise::<()>::new();
/// let err = try_run(never.wait()).unwrap_err();
/// assert!(matches!(err, LoopError::Deadlock { .. }));
/// ```
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::PollFn;
    use crate::{Context, EventLoop, Poll, Transcript, stage2_coroutine::yield_now};

    #[test]
    #[should_panic(expected = "spawn() called outside a running event loop")]
    fn spawn_outside_a_loop_says_what_to_do() {
        let _ = spawn(yield_now());
    }

    #[test]
    #[should_panic(expected = "current_task() called outside a running event loop")]
    fn current_task_outside_a_loop_says_what_to_do() {
        current_task();
    }

    #[test]
    #[should_panic(expected = "rondo::run() cannot be called from a running event loop")]
    fn run_inside_a_running_loop_is_refused() {
        // The notebook case: asyncio.run() inside a cell's running loop.
        EventLoop::new_virtual()
            .run(PollFn(|_: &mut Context<'_>| {
                run(yield_now());
                Poll::Ready(())
            }))
            .unwrap();
    }

    #[test]
    #[should_panic(expected = "run_until_complete() cannot be called from a running event loop")]
    fn a_loop_inside_a_running_loop_is_refused() {
        EventLoop::new_virtual()
            .run(PollFn(|_: &mut Context<'_>| {
                let _ = EventLoop::new_virtual().run_until_complete(yield_now());
                Poll::Ready(())
            }))
            .unwrap();
    }

    #[test]
    fn tasks_are_named_like_asyncio_and_all_tasks_lists_the_unfinished() {
        let out = Transcript::new();
        let log = out.clone();
        let mut children = None;
        let main = PollFn(move |cx: &mut Context<'_>| {
            let (a, b) = children.get_or_insert_with(|| {
                let a = spawn_named("Division", yield_now());
                let b = spawn(yield_now());
                let me = current_task().expect("main is a task");
                let names: Vec<String> = all_tasks().into_iter().map(|t| t.name).collect();
                log.say(format!("{} sees {names:?}", me.name));
                (a, b)
            });
            if a.poll(cx).is_pending() || b.poll(cx).is_pending() {
                return Poll::Pending;
            }
            let names: Vec<String> = all_tasks().into_iter().map(|t| t.name).collect();
            log.say(format!("after: {names:?}"));
            Poll::Ready(())
        });
        EventLoop::new_virtual().run(main).unwrap();
        assert_eq!(out.lines(), [r#"Task-1 sees ["Task-1", "Division", "Task-3"]"#, r#"after: ["Task-1"]"#]);
    }

    #[test]
    fn current_task_is_none_in_a_plain_callback() {
        let ev = EventLoop::new_virtual();
        let seen = std::rc::Rc::new(std::cell::Cell::new(Some(0)));
        let s = seen.clone();
        ev.call_soon(move || s.set(current_task().map(|t| t.id)));
        ev.call_soon(stop);
        ev.run_forever().unwrap();
        assert_eq!(seen.get(), None);
    }
}
