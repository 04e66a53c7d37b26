//! `join`: await several coroutines of different types *inline*, without tasks.
//!
//! (The `async fn` each state machine stands for is above its struct.)
//!
//! How this differs from [`gather`](super::gather): `gather` turns each
//! child into a task with its own place in the ready queue, so the children
//! are stepped by the loop, one handle each, and the awaiter resumes two
//! iterations after the last one finishes. `join` keeps the children inside
//! the parent's own state machine: they are polled only when the parent is,
//! in the parent's turn, and the parent resumes in the same step in which the
//! last child finishes. No task, no allocation, no extra hop — but also no
//! independent progress: a child that wakes makes the loop poll the whole
//! parent, which polls every unfinished child again.
//!
//! Finished children are kept as `Done(output)`, so they are never polled again.

use crate::{Context, Coroutine, Poll};

/// A child of `join`: still running, or finished with its output kept.
enum Child<C: Coroutine> {
    Running(C),
    Done(Option<C::Output>),
}

impl<C: Coroutine> Child<C> {
    /// Polls if still running; `true` once finished.
    fn poll_done(&mut self, cx: &mut Context<'_>) -> bool {
        if let Child::Running(c) = self {
            match c.poll(cx) {
                Poll::Ready(output) => *self = Child::Done(Some(output)),
                Poll::Pending => return false,
            }
        }
        true
    }

    fn take(&mut self) -> C::Output {
        match self {
            Child::Done(output) => output.take().expect("join: output taken once"),
            Child::Running(_) => unreachable!("join: taking the output of a running child"),
        }
    }
}

/// Runs `a` and `b` concurrently inside the caller's own task; both outputs.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, join, sleep};
/// use std::time::Duration;
///
/// // like `await asyncio.gather(a, b)`, but inside the caller's own task: no new task
/// let a = sleep(Duration::from_secs(1)).map(|()| 1);
/// let b = sleep(Duration::from_secs(2)).map(|()| "two");
/// let ev = EventLoop::new_virtual();
/// assert_eq!(ev.run_until_complete(join(a, b)).unwrap(), (1, "two"));
/// assert_eq!(ev.time(), 2.0); // together: 2 s, not 3
/// ```
pub fn join<A: Coroutine, B: Coroutine>(a: A, b: B) -> Join<A, B> {
    Join { a: Child::Running(a), b: Child::Running(b), done: false }
}

/// ```text
/// async fn join(a, b) -> (A, B) {
///     loop {
///         poll a, unless it has finished;
///         poll b, unless it has finished;
///         if both have finished { return (a's output, b's output) }
///         suspend;
///     }
/// }
/// ```
///
/// The coroutine returned by [`join`].
///
/// ```
/// use rondo::{EventLoop, Join, all_tasks, join, lazy, ready};
///
/// // both run inside main's task: all_tasks() sees main alone
/// let both = join(lazy(|| all_tasks().len()), ready("no new task"));
/// let _: &Join<_, _> = &both;
/// assert_eq!(EventLoop::new_virtual().run(both).unwrap(), (1, "no new task"));
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Join<A: Coroutine, B: Coroutine> {
    a: Child<A>,
    b: Child<B>,
    done: bool,
}

impl<A: Coroutine, B: Coroutine> Coroutine for Join<A, B> {
    type Output = (A::Output, B::Output);
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.done, "join() polled after it completed");
        // Poll both every time: `&` would skip `b` whenever `a` is pending.
        let a_done = self.a.poll_done(cx);
        let b_done = self.b.poll_done(cx);
        if !(a_done && b_done) {
            return Poll::Pending;
        }
        self.done = true;
        Poll::Ready((self.a.take(), self.b.take()))
    }
}

/// Runs three coroutines concurrently inside the caller's task.
///
/// ```
/// use rondo::{EventLoop, join3, lazy, ready, yield_now};
///
/// // a, b, c = await asyncio.gather(a(), b(), c())   (without spawning tasks)
/// let three = join3(ready(1), yield_now(), lazy(|| "three"));
/// assert_eq!(EventLoop::new_virtual().run(three).unwrap(), (1, (), "three"));
/// ```
pub fn join3<A: Coroutine, B: Coroutine, C: Coroutine>(a: A, b: B, c: C) -> Join3<A, B, C> {
    Join3 { a: Child::Running(a), b: Child::Running(b), c: Child::Running(c), done: false }
}

/// ```text
/// async fn join3(a, b, c) -> (A, B, C) {
///     loop {
///         poll each of a, b, c that has not finished;
///         if all three have finished { return their outputs }
///         suspend;
///     }
/// }
/// ```
///
/// The coroutine returned by [`join3`].
///
/// ```
/// use rondo::{Join3, block_on, join3, ready};
///
/// let three: Join3<_, _, _> = join3(ready('a'), ready('b'), ready('c'));
/// assert_eq!(block_on(three), ('a', 'b', 'c')); // no loop needed: no task, no timer
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Join3<A: Coroutine, B: Coroutine, C: Coroutine> {
    a: Child<A>,
    b: Child<B>,
    c: Child<C>,
    done: bool,
}

impl<A: Coroutine, B: Coroutine, C: Coroutine> Coroutine for Join3<A, B, C> {
    type Output = (A::Output, B::Output, C::Output);
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.done, "join3() polled after it completed");
        let a_done = self.a.poll_done(cx);
        let b_done = self.b.poll_done(cx);
        let c_done = self.c.poll_done(cx);
        if !(a_done && b_done && c_done) {
            return Poll::Pending;
        }
        self.done = true;
        Poll::Ready((self.a.take(), self.b.take(), self.c.take()))
    }
}

/// Runs any number of coroutines of one type inside the caller's task; outputs in order.
///
/// ```
/// use rondo::{Coroutine, CoroutineExt, EventLoop, join_all, sleep};
/// use std::time::Duration;
///
/// fn nap(secs: u64) -> impl Coroutine<Output = u64> {
///     sleep(Duration::from_secs(secs)).map(move |()| secs)
/// }
///
/// // await asyncio.gather(*[nap(s) for s in (3, 1, 2)])   (without spawning tasks)
/// let ev = EventLoop::new_virtual();
/// assert_eq!(ev.run_until_complete(join_all(vec![nap(3), nap(1), nap(2)])).unwrap(), [3, 1, 2]);
/// assert_eq!(ev.time(), 3.0);
/// ```
pub fn join_all<C: Coroutine>(coroutines: Vec<C>) -> JoinAll<C> {
    JoinAll { children: coroutines.into_iter().map(Child::Running).collect(), done: false }
}

/// ```text
/// async fn join_all(children) -> Vec<T> {
///     loop {
///         poll each child that has not finished;
///         if all have finished { return the outputs, in order }
///         suspend;
///     }
/// }
/// ```
///
/// The coroutine returned by [`join_all`].
///
/// ```
/// use rondo::{JoinAll, block_on, join_all, ready};
///
/// let all: JoinAll<_> = join_all((1..=3).map(ready).collect());
/// assert_eq!(block_on(all), [1, 2, 3]);
/// ```
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct JoinAll<C: Coroutine> {
    children: Vec<Child<C>>,
    done: bool,
}

impl<C: Coroutine> Coroutine for JoinAll<C> {
    type Output = Vec<C::Output>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Vec<C::Output>> {
        assert!(!self.done, "join_all() polled after it completed");
        let mut all_done = true;
        for child in &mut self.children {
            all_done &= child.poll_done(cx);
        }
        if !all_done {
            return Poll::Pending;
        }
        self.done = true;
        Poll::Ready(self.children.iter_mut().map(Child::take).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CoroutineExt, EventLoop, Transcript, lazy, sleep, spawn};
    use std::time::Duration;

    #[test]
    fn join_runs_both_inline_and_returns_both_outputs() {
        let ev = EventLoop::new_virtual();
        let a = sleep(Duration::from_secs(2)).map(|()| "two");
        let b = sleep(Duration::from_secs(1)).map(|()| 1);
        assert_eq!(ev.run_until_complete(join(a, b)).unwrap(), ("two", 1));
        assert_eq!(ev.time(), 2.0, "concurrent, not 3 s");
    }

    #[test]
    fn join_uses_no_task_and_resumes_in_the_same_step_gather_needs_two_more() {
        // With join, main says "joined" in the very step the last child
        // finishes; the ticking task gets no turn in between.
        let out = Transcript::new();
        let o = out.clone();
        let main = lazy(move || {
            let tick = o.clone();
            let _t = spawn(crate::stage2_coroutine::yield_now().map(move |()| tick.say("tick")));
            let o = o.clone();
            join3(crate::ready(1), crate::stage2_coroutine::yield_now(), crate::ready(3))
                .map(move |(a, (), c)| o.say(format!("joined {a} {c}; tasks: {}", crate::all_tasks().len())))
        })
        .then(|j| j);
        EventLoop::new_virtual().run(main).unwrap();
        assert_eq!(out.lines(), ["joined 1 3; tasks: 2", "tick"]);
    }

    #[test]
    fn join_all_keeps_argument_order() {
        let naps: Vec<_> =
            [3u64, 1, 2].map(|s| sleep(Duration::from_secs(s)).map(move |()| s)).into_iter().collect();
        assert_eq!(EventLoop::new_virtual().run(join_all(naps)).unwrap(), [3, 1, 2]);
    }
}
