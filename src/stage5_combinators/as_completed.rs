//! `as_completed`: the outputs of several coroutines, in the order they finish.
//!
//! ```python
//! for next_done in asyncio.as_completed(coros):
//!     result = await next_done
//! ```
//! rondo gives a [`Stream`](super::Stream): each `next()` yields the output of
//! the next task to finish (`Some(Ok(v))`, or `Some(Err(e))` if it failed),
//! then `None` when all have been yielded.

use super::Stream;
use super::task_set::{SetKind, TaskSet, Until};
use crate::stage4_event_loop::spawn_at;
use crate::{Context, Coroutine, Poll, TaskError};
use std::panic::Location;

/// Runs each coroutine as a task and yields their outputs in finishing order.
///
/// ```
/// use rondo::{Coroutine, CoroutineExt, EventLoop, StreamExt, as_completed, sleep};
/// use std::time::Duration;
///
/// fn nap(secs: u64) -> impl Coroutine<Output = u64> {
///     sleep(Duration::from_secs(secs)).map(move |()| secs)
/// }
///
/// // [await c for c in asyncio.as_completed([nap(3), nap(1), nap(2)])]
/// let order = as_completed(vec![nap(3), nap(1), nap(2)]).collect();
/// assert_eq!(EventLoop::new_virtual().run(order).unwrap(), [Ok(1), Ok(2), Ok(3)]);
/// ```
#[track_caller]
pub fn as_completed<C>(coroutines: Vec<C>) -> AsCompleted<C>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    AsCompleted { state: AsCompletedState::Start(coroutines), yielded: 0, spawned_at: Location::caller() }
}

/// ```text
/// async gen fn as_completed(coroutines) -> T {     // a Stream: yields
///     let tasks = coroutines.map(spawn);
///     for each task, in the order their done-callbacks run {
///         yield its output;
///     }
/// }
/// ```
///
/// The stream returned by [`as_completed`].
///
/// ```
/// use rondo::{AsCompleted, EventLoop, StreamExt, Transcript, as_completed, ready};
///
/// // for c in asyncio.as_completed(coros): print(await c)
/// let out = Transcript::new();
/// let say = out.clone();
/// let each: AsCompleted<_> = as_completed(vec![ready(1), ready(2)]);
/// EventLoop::new_virtual().run(each.for_each(move |n| say.say(n.unwrap()))).unwrap();
/// assert_eq!(out.lines(), ["1", "2"]);
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<C: Coroutine> {
    state: AsCompletedState<C>,
    /// How many entries of `finished` have been handed out.
    yielded: usize,
    /// The `as_completed` call: the children's spawn site.
    spawned_at: &'static Location<'static>,
}

enum AsCompletedState<C: Coroutine> {
    Start(Vec<C>),
    Running(TaskSet<C::Output>),
}

impl<C> Stream for AsCompleted<C>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    type Item = Result<C::Output, TaskError>;

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let AsCompletedState::Start(coroutines) = &mut self.state {
            let at = self.spawned_at;
            let tasks = coroutines.drain(..).map(|c| spawn_at(c, at)).collect();
            self.state = AsCompletedState::Running(TaskSet::watch(tasks, Until::Each, SetKind::AsCompleted));
        }
        let AsCompletedState::Running(set) = &self.state else { unreachable!() };
        if self.yielded == set.tasks.len() {
            return Poll::Ready(None);
        }
        let next = set.state.finished.borrow().get(self.yielded).copied();
        match next {
            Some(index) => {
                self.yielded += 1;
                Poll::Ready(Some(
                    set.tasks[index].try_take().expect("a task whose callback ran has finished"),
                ))
            }
            None => {
                set.state.set_awaiter(cx.waker());
                Poll::Pending
            }
        }
    }
}
