//! Hand-written coroutines: seed 001's `await main()` as `enum` state machines.
//!
//! ```python
//! async def foo(text):
//!     print(text)
//!     await asyncio.sleep(2)      # stage 2 has no clock yet: we pause once instead
//!
//! async def main():
//!     print('I am Main')
//!     await foo('I am foo')
//!     print('finished')
//! ```
//!
//! Every `async fn` becomes an `enum` with one variant per place it can be
//! paused, holding what must survive the pause (here: the child being awaited).
//! `poll` is a `loop { match }`: each arm does the work up to the next pause
//! and either moves to the next state (`continue`) or returns `Pending`.
//!
//! Awaiting a child is simply *polling it from inside your own `poll`*: if the
//! child is `Pending`, so are we — the child already registered our waker
//! (the `Context` is passed straight down). This is why `await foo()` in
//! Python runs `foo` to completion before `main` goes on: there is no
//! concurrency in sequential `await`s, only in tasks (stage 4).

use super::{Context, Coroutine, Poll, YieldNow, yield_now};
use crate::Transcript;

/// `foo(text)`: print, then pause once.
pub fn foo(text: &'static str, out: Transcript) -> Foo {
    // Calling `foo` runs nothing: it only builds the state machine, like
    // calling an `async def` function in Python builds a coroutine object.
    Foo { text, out, state: FooState::Start }
}

/// ```text
/// async fn foo(text) {
///     print(text);
///     yield_now().await;   // the seed sleeps 2 s: stage 2 has no clock yet
/// }
/// ```
///
/// The state machine of [`foo`].
#[derive(Debug)]
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Foo {
    text: &'static str,
    out: Transcript,
    state: FooState,
}

#[derive(Debug)]
enum FooState {
    /// Not started: nothing has been printed.
    Start,
    /// Printed `text`; waiting for the pause to finish.
    Pausing(YieldNow),
    Done,
}

impl Coroutine for Foo {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                FooState::Start => {
                    self.out.say(self.text);
                    self.state = FooState::Pausing(yield_now());
                }
                FooState::Pausing(pause) => match pause.poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(()) => {
                        self.state = FooState::Done;
                        return Poll::Ready(());
                    }
                },
                FooState::Done => panic!("foo() polled after it completed"),
            }
        }
    }
}

/// `main()`: print, await `foo`, print.
pub fn main_sequential(out: Transcript) -> Main {
    Main { out, state: MainState::Start }
}

/// ```text
/// async fn main() {
///     print("I am Main");
///     foo("I am foo").await;
///     print("finished");
/// }
/// ```
///
/// The state machine of [`main_sequential`].
#[derive(Debug)]
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Main {
    out: Transcript,
    state: MainState,
}

#[derive(Debug)]
enum MainState {
    Start,
    /// Awaiting the child: we own it, and poll it from our own `poll`.
    AwaitingFoo(Foo),
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    self.out.say("I am Main");
                    self.state = MainState::AwaitingFoo(foo("I am foo", self.out.clone()));
                }
                MainState::AwaitingFoo(child) => {
                    if child.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    // The child finished: replacing the state drops it, so it
                    // can never be polled again.
                    self.out.say("finished");
                    self.state = MainState::Done;
                    return Poll::Ready(());
                }
                MainState::Done => panic!("main() polled after it completed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Waker;
    use crate::stage2_coroutine::block_on;

    #[test]
    fn calling_a_coroutine_function_runs_nothing() {
        let out = Transcript::new();
        let _coroutine = main_sequential(out.clone());
        assert!(out.lines().is_empty(), "nothing runs until the first poll");
    }

    #[test]
    fn sequential_await_runs_the_child_to_completion_first() {
        let out = Transcript::new();
        block_on(main_sequential(out.clone()));
        assert_eq!(out.lines(), ["I am Main", "I am foo", "finished"]);
    }

    #[test]
    fn a_pending_child_makes_the_parent_pending() {
        let out = Transcript::new();
        let mut main = main_sequential(out.clone());
        let waker = Waker::noop();
        let mut cx = Context::from_waker(&waker);
        assert!(main.poll(&mut cx).is_pending());
        assert_eq!(out.lines(), ["I am Main", "I am foo"]);
        assert!(main.poll(&mut cx).is_ready());
        assert_eq!(out.lines(), ["I am Main", "I am foo", "finished"]);
    }
}
