//! `wait`: block until some condition over a set of tasks holds; get them back as (done, pending).
//!
//! ```python
//! done, pending = await asyncio.wait([t1, t2, t3], return_when=FIRST_COMPLETED)
//! ```
//! Unlike `gather`, `wait` takes no outputs: it hands the tasks back, split
//! by whether they are done, and you await the done ones to read their
//! outputs (they answer at once). Pending tasks keep running. asyncio
//! returns sets; rondo keeps the order you gave.

use super::task_set::{SetKind, TaskSet, Until};
use crate::{Context, Coroutine, Poll, Sleep, Task, sleep};
use std::time::Duration;

/// asyncio's `return_when`.
///
/// ```
/// use rondo::{EventLoop, ReturnWhen, lazy, ready, wait};
///
/// // asyncio.wait(tasks, return_when=FIRST_EXCEPTION)
/// let ev = EventLoop::new_virtual();
/// let ok = ev.spawn(ready(1));
/// let boom = ev.spawn(lazy(|| -> i32 { panic!("boom") }));
/// let (done, _pending) = ev.run(wait(vec![ok, boom], ReturnWhen::FirstException)).unwrap();
/// assert!(done.iter().any(|task| task.failed()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as any task finishes.
    FirstCompleted,
    /// As soon as any task fails (or all finish). A cancelled task has not
    /// failed here, as in asyncio (`FIRST_EXCEPTION` looks for an exception,
    /// and a cancelled task has none).
    FirstException,
    /// When all tasks have finished.
    AllCompleted,
}

/// Waits until `when` holds for `tasks`; returns `(done, pending)`.
///
/// # Panics
/// If `tasks` is empty (asyncio raises `ValueError`: there is nothing to wait for).
///
/// ```
/// use rondo::{Coroutine, CoroutineExt, EventLoop, ReturnWhen, sleep, wait};
/// use std::time::Duration;
///
/// fn nap(secs: u64) -> impl Coroutine<Output = u64> {
///     sleep(Duration::from_secs(secs)).map(move |()| secs)
/// }
///
/// // done, pending = await asyncio.wait({slow, fast}, return_when=FIRST_COMPLETED)
/// let ev = EventLoop::new_virtual();
/// let (slow, fast) = (ev.spawn(nap(5)), ev.spawn(nap(1)));
/// let (slow_id, fast_id) = (slow.id(), fast.id());
/// let (done, pending) = ev.run(wait(vec![slow, fast], ReturnWhen::FirstCompleted)).unwrap();
/// assert_eq!((done[0].id(), pending[0].id()), (fast_id, slow_id));
/// ```
pub fn wait<T: 'static>(tasks: Vec<Task<T>>, when: ReturnWhen) -> Wait<T> {
    assert!(!tasks.is_empty(), "wait() of no tasks: there is nothing to wait for");
    Wait { state: WaitState::Start(tasks), when, timeout: None }
}

/// [`wait`] that also returns when `timeout` has passed (asyncio's `timeout=`).
///
/// # Panics
/// If `tasks` is empty.
///
/// ```
/// use rondo::{Coroutine, CoroutineExt, EventLoop, ReturnWhen, sleep, wait_timeout};
/// use std::time::Duration;
///
/// fn nap(secs: u64) -> impl Coroutine<Output = u64> {
///     sleep(Duration::from_secs(secs)).map(move |()| secs)
/// }
///
/// // done, pending = await asyncio.wait(tasks, timeout=2)
/// let ev = EventLoop::new_virtual();
/// let tasks = vec![ev.spawn(nap(1)), ev.spawn(nap(5))];
/// let waiting = wait_timeout(tasks, ReturnWhen::AllCompleted, Duration::from_secs(2));
/// let (done, pending) = ev.run(waiting).unwrap();
/// assert_eq!((done.len(), pending.len()), (1, 1));
/// ```
pub fn wait_timeout<T: 'static>(tasks: Vec<Task<T>>, when: ReturnWhen, timeout: Duration) -> Wait<T> {
    assert!(!tasks.is_empty(), "wait() of no tasks: there is nothing to wait for");
    Wait { state: WaitState::Start(tasks), when, timeout: Some(sleep(timeout)) }
}

/// ```text
/// async fn wait(tasks, return_when, timeout) -> DoneAndPending {
///     watch every task (a done-callback each);
///     suspend until return_when holds, or the timeout;
///     stop watching;
///     (done, pending)
/// }
/// ```
///
/// The coroutine returned by [`wait`] and [`wait_timeout`].
///
/// ```
/// use rondo::{DoneAndPending, EventLoop, ReturnWhen, Wait, ready, wait};
///
/// let ev = EventLoop::new_virtual();
/// let waiting: Wait<i32> = wait(vec![ev.spawn(ready(1)), ev.spawn(ready(2))], ReturnWhen::AllCompleted);
/// let (done, pending): DoneAndPending<i32> = ev.run(waiting).unwrap();
/// assert_eq!((done.len(), pending.len()), (2, 0));
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Wait<T> {
    state: WaitState<T>,
    when: ReturnWhen,
    timeout: Option<Sleep>,
}

enum WaitState<T> {
    Start(Vec<Task<T>>),
    Waiting(TaskSet<T>),
    Done,
}

/// What `wait` returns: the finished tasks and the others, each in the order given.
///
/// ```
/// use rondo::{DoneAndPending, EventLoop, ReturnWhen, Wait, ready, wait};
///
/// let ev = EventLoop::new_virtual();
/// let waiting: Wait<i32> = wait(vec![ev.spawn(ready(1)), ev.spawn(ready(2))], ReturnWhen::AllCompleted);
/// let (done, pending): DoneAndPending<i32> = ev.run(waiting).unwrap();
/// assert_eq!((done.len(), pending.len()), (2, 0));
/// ```
pub type DoneAndPending<T> = (Vec<Task<T>>, Vec<Task<T>>);

impl<T: 'static> Coroutine for Wait<T> {
    type Output = DoneAndPending<T>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<DoneAndPending<T>> {
        loop {
            match &mut self.state {
                WaitState::Start(tasks) => {
                    let until = match self.when {
                        ReturnWhen::FirstCompleted => Until::First,
                        ReturnWhen::FirstException => Until::FirstFailure,
                        ReturnWhen::AllCompleted => Until::All,
                    };
                    let tasks = std::mem::take(tasks);
                    self.state = WaitState::Waiting(TaskSet::watch(tasks, until, SetKind::Wait));
                }
                WaitState::Waiting(set) => {
                    let timed_out = self.timeout.as_mut().is_some_and(|t| t.poll(cx).is_ready());
                    if !set.tasks.is_empty() && !set.state.fired.get() && !timed_out {
                        set.state.set_awaiter(cx.waker());
                        return Poll::Pending;
                    }
                    set.unwatch();
                    self.timeout = None; // withdraws the timeout's timer
                    let tasks = std::mem::take(&mut set.tasks);
                    self.state = WaitState::Done;
                    return Poll::Ready(tasks.into_iter().partition(|t| t.done()));
                }
                WaitState::Done => panic!("wait() polled after it completed"),
            }
        }
    }
}
