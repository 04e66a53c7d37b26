//! `gather`: run coroutines as tasks, collect their outputs in argument order.
//!
//! ```python
//! results = await asyncio.gather(division(10, 20), subtraction(10, 20), ...)
//! ```
//! Each child becomes a task, in argument order, when `gather` is first
//! polled — in asyncio, when `gather()` is called; with `await gather(..)`
//! that is the same step. The first failure is returned at once and the
//! other children keep running, as in asyncio; [`gather_settled`] waits for
//! all and returns every outcome (`return_exceptions=True`).
//!
//! An awaiter of `gather` resumes *two* iterations after the last child
//! finishes, not one: see [`done_callback`](super::done_callback).

use super::task_set::{SetKind, TaskSet, Until};
use crate::stage4_event_loop::spawn_at;
use crate::{Context, Coroutine, Poll, Task, TaskError};
use std::panic::Location;

/// Runs each coroutine as a task; outputs in argument order, or the first error.
///
/// ```
/// use rondo::{Coroutine, CoroutineExt, EventLoop, gather, sleep};
/// use std::time::Duration;
///
/// fn nap(secs: u64) -> impl Coroutine<Output = u64> {
///     sleep(Duration::from_secs(secs)).map(move |()| secs)
/// }
///
/// // results = await asyncio.gather(nap(3), nap(1), nap(2))
/// let ev = EventLoop::new_virtual();
/// assert_eq!(ev.run(gather(vec![nap(3), nap(1), nap(2)])).unwrap(), Ok(vec![3, 1, 2]));
/// ```
#[track_caller]
pub fn gather<C>(coroutines: Vec<C>) -> Gather<C::Output>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    Gather { state: GatherState::Start(spawner(coroutines)), until: Until::FirstFailure }
}

/// Like [`gather`], but waits for every child and returns every outcome
/// (asyncio: `gather(..., return_exceptions=True)`).
///
/// ```
/// use rondo::{Coroutine, EventLoop, TaskError, gather_settled, lazy};
///
/// fn job(n: u32) -> impl Coroutine<Output = u32> {
///     lazy(move || if n == 2 { panic!("two") } else { n })
/// }
/// // await asyncio.gather(job(1), job(2), job(3), return_exceptions=True)
/// let outcomes = EventLoop::new_virtual().run(gather_settled(vec![job(1), job(2), job(3)])).unwrap();
/// assert_eq!(outcomes, [Ok(1), Err(TaskError::Panicked("two".into())), Ok(3)]);
/// ```
#[track_caller]
pub fn gather_settled<C>(coroutines: Vec<C>) -> GatherSettled<C::Output>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    GatherSettled(Gather { state: GatherState::Start(spawner(coroutines)), until: Until::All })
}

/// [`gather`] over tasks that already run (`gather(t1, t2)` in seed 000).
///
/// ```
/// use rondo::{Coroutine, CoroutineExt, EventLoop, gather_tasks, sleep};
/// use std::time::Duration;
///
/// fn nap(secs: u64) -> impl Coroutine<Output = u64> {
///     sleep(Duration::from_secs(secs)).map(move |()| secs)
/// }
///
/// // t1 = asyncio.create_task(nap(2)); t2 = asyncio.create_task(nap(1))
/// // await asyncio.gather(t1, t2)
/// let ev = EventLoop::new_virtual();
/// let (t1, t2) = (ev.spawn(nap(2)), ev.spawn(nap(1)));
/// assert_eq!(ev.run(gather_tasks(vec![t1, t2])).unwrap(), Ok(vec![2, 1]));
/// ```
pub fn gather_tasks<T: 'static>(tasks: Vec<Task<T>>) -> Gather<T> {
    Gather { state: GatherState::Start(Box::new(move || tasks)), until: Until::FirstFailure }
}

/// Defers spawning to the first poll: building a `gather` runs nothing.
/// The children report the `gather` call as their spawn site.
#[track_caller]
fn spawner<C>(coroutines: Vec<C>) -> Box<dyn FnOnce() -> Vec<Task<C::Output>>>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    let at = Location::caller();
    Box::new(move || coroutines.into_iter().map(|c| spawn_at(c, at)).collect())
}

/// ```text
/// async fn gather(coroutines) -> Result<Vec<T>, TaskError> {
///     let tasks = coroutines.map(spawn);           // argument order = spawn order
///     suspend until every done-callback ran, or one saw a failure;
///     the first error, or the outputs in argument order
/// }
/// ```
///
/// The coroutine returned by [`gather`] and [`gather_tasks`].
///
/// ```
/// use rondo::{EventLoop, Gather, gather, ready};
///
/// // asyncio.gather(...) builds an awaitable; nothing runs until it is awaited
/// let both: Gather<i32> = gather(vec![ready(1), ready(2)]); // no task spawned yet
/// assert_eq!(EventLoop::new_virtual().run(both).unwrap(), Ok(vec![1, 2]));
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Gather<T> {
    state: GatherState<T>,
    until: Until,
}

enum GatherState<T> {
    /// Not polled yet: makes the tasks (spawning the coroutines, for `gather`).
    Start(Box<dyn FnOnce() -> Vec<Task<T>>>),
    Waiting(TaskSet<T>),
    Done,
}

/// ```text
/// async fn gather_settled(coroutines) -> Vec<Result<T, TaskError>> {
///     let tasks = coroutines.map(spawn);
///     suspend until every done-callback ran;
///     every outcome, in argument order
/// }
/// ```
///
/// The coroutine returned by [`gather_settled`].
///
/// ```
/// use rondo::{EventLoop, GatherSettled, gather_settled, ready};
///
/// // asyncio.gather(..., return_exceptions=True)
/// let all: GatherSettled<i32> = gather_settled(vec![ready(1), ready(2)]);
/// assert_eq!(EventLoop::new_virtual().run(all).unwrap(), [Ok(1), Ok(2)]);
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct GatherSettled<T>(Gather<T>);

impl<T: 'static> Gather<T> {
    /// Shared by both flavours: every outcome, or `Err` at the first failure.
    fn poll_outcomes(&mut self, cx: &mut Context<'_>) -> Poll<Result<Vec<Result<T, TaskError>>, TaskError>> {
        loop {
            match &mut self.state {
                GatherState::Start(_) => {
                    let GatherState::Start(make_tasks) =
                        std::mem::replace(&mut self.state, GatherState::Done)
                    else {
                        unreachable!()
                    };
                    self.state =
                        GatherState::Waiting(TaskSet::watch(make_tasks(), self.until, SetKind::Gather));
                }
                GatherState::Waiting(set) => {
                    if set.tasks.is_empty() {
                        self.state = GatherState::Done;
                        return Poll::Ready(Ok(Vec::new()));
                    }
                    if !set.state.fired.get() {
                        set.state.set_awaiter(cx.waker());
                        return Poll::Pending;
                    }
                    let outcome = match set.state.first_failure.get() {
                        Some(failed) if self.until == Until::FirstFailure => {
                            // The others run on, detached, as in asyncio,
                            // and their outcomes are retrieved when they finish.
                            let error = set.tasks[failed].try_take().expect("a failed task has finished");
                            set.retrieve_the_rest(failed);
                            Err(error.err().expect("it failed"))
                        }
                        _ => {
                            let tasks = std::mem::take(&mut set.tasks);
                            Ok(tasks.iter().map(|t| t.try_take().expect("every task finished")).collect())
                        }
                    };
                    self.state = GatherState::Done;
                    return Poll::Ready(outcome);
                }
                GatherState::Done => panic!("gather() polled after it completed"),
            }
        }
    }
}

impl<T: 'static> Coroutine for Gather<T> {
    type Output = Result<Vec<T>, TaskError>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.poll_outcomes(cx).map(|outcomes| outcomes?.into_iter().collect())
    }
}

impl<T: 'static> Coroutine for GatherSettled<T> {
    type Output = Vec<Result<T, TaskError>>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_outcomes(cx).map(|outcomes| outcomes.expect("settled gather never stops early"))
    }
}
