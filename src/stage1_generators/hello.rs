//! `hello()` as a generator, solutions 1 and 2: waiting inside `hello` itself.
//!
//! The goal (seed 003): run two `hello`s under the round-robin loop and get
//! "hello, hello, (one pause), goodbye, goodbye", the way
//! `asyncio.gather(hello(), hello())` does. Solution 1 gets the order right
//! but the pauses add up; solution 2 gets it right by busy waiting inline.
//! Solutions 3 and 4 (`yield asleep(..)`, `yield from asleep(..)`) are in
//! [`hello_yield_from`](super::hello_yield_from).

use std::rc::Rc;
use std::time::Duration;

use super::generator::{Generator, GeneratorState};
use super::time_source::TimeSource;

/// Where a `hello` generator "prints" its lines.
///
/// The Python version calls `print`. Here the caller decides: the example
/// prints with a timestamp, tests record into a `Vec` with the fake time.
/// `Rc` because the two `hello`s of a scenario share one sink.
pub type Say = Rc<dyn Fn(&str)>;

// Solution 1: one bare `yield`, then the blocking sleep.
//
//     def hello():
//         print("hello")
//         yield
//         time.sleep(1)
//         print("goodbye")
//
// The `yield` lets the second `hello` print before the first sleeps, so the
// order is right. But `time.sleep` blocks the whole loop: the second `hello`
// only gets to sleep after the first has woken up, and the goodbyes come one
// pause apart.

/// Seed solution 1: says "hello", yields once, then blocks the thread for
/// `pause` with [`TimeSource::block_for`] and says "goodbye".
#[must_use = "a generator does nothing until it is resumed"]
pub struct HelloThenBlock {
    /// How long `time.sleep` blocks.
    pause: Duration,
    /// Where the time comes from (and what blocks).
    time: Rc<dyn TimeSource>,
    /// Where "hello" and "goodbye" go.
    say: Say,
    /// Where the body is paused.
    state: ThenBlock,
}

/// Where solution 1's body is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ThenBlock {
    /// Not started.
    Start,
    /// At the bare `yield`, after "hello".
    Yielded,
    /// Said "goodbye". Resuming is a bug.
    Done,
}

impl HelloThenBlock {
    /// Solution 1 with a blocking pause of `pause`. Nothing runs yet.
    pub fn new(pause: Duration, time: Rc<dyn TimeSource>, say: Say) -> Self {
        HelloThenBlock { pause, time, say, state: ThenBlock::Start }
    }
}

impl Generator for HelloThenBlock {
    type Yield = ();
    type Return = ();

    fn resume(&mut self) -> GeneratorState<(), ()> {
        match self.state {
            ThenBlock::Start => {
                (self.say)("hello");
                self.state = ThenBlock::Yielded;
                GeneratorState::Yielded(())
            }
            ThenBlock::Yielded => {
                // `time.sleep(1)`: the loop, and every other generator in
                // it, is stuck here until the pause is over.
                self.time.block_for(self.pause);
                (self.say)("goodbye");
                self.state = ThenBlock::Done;
                GeneratorState::Complete(())
            }
            ThenBlock::Done => panic!("HelloThenBlock: generator resumed after it completed"),
        }
    }
}

// Solution 2: the busy loop written out inside `hello`.
//
//     def hello():
//         print("hello")
//         start = time.time()
//         while time.time() - start < 1:
//             yield
//         print("goodbye")
//
// Every turn of the `while` yields, so both `hello`s wait at the same time
// and the goodbyes come together. It works, but the waiting code is pasted
// into `hello`; every function that wants to sleep would need a copy.
// `asleep` (solution 4) is this loop moved into its own generator.

/// Seed solution 2: says "hello", yields until `pause` has passed (reading
/// the time on every resume), then says "goodbye".
#[must_use = "a generator does nothing until it is resumed"]
pub struct HelloBusyLoop {
    /// How long to wait.
    pause: Duration,
    /// Where the time comes from.
    time: Rc<dyn TimeSource>,
    /// Where "hello" and "goodbye" go.
    say: Say,
    /// Where the body is paused.
    state: BusyLoop,
}

/// Where solution 2's body is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BusyLoop {
    /// Not started.
    Start,
    /// In the `while`, yielding until the time reaches `deadline`.
    Waiting { deadline: Duration },
    /// Said "goodbye". Resuming is a bug.
    Done,
}

impl HelloBusyLoop {
    /// Solution 2 with a busy wait of `pause`. Nothing runs yet.
    pub fn new(pause: Duration, time: Rc<dyn TimeSource>, say: Say) -> Self {
        HelloBusyLoop { pause, time, say, state: BusyLoop::Start }
    }
}

impl Generator for HelloBusyLoop {
    type Yield = ();
    type Return = ();

    fn resume(&mut self) -> GeneratorState<(), ()> {
        loop {
            match self.state {
                BusyLoop::Start => {
                    (self.say)("hello");
                    let deadline = self.time.now() + self.pause;
                    self.state = BusyLoop::Waiting { deadline };
                }
                BusyLoop::Waiting { deadline } if self.time.now() < deadline => {
                    return GeneratorState::Yielded(());
                }
                BusyLoop::Waiting { .. } => {
                    (self.say)("goodbye");
                    self.state = BusyLoop::Done;
                    return GeneratorState::Complete(());
                }
                BusyLoop::Done => panic!("HelloBusyLoop: generator resumed after it completed"),
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::cell::RefCell;

    use super::super::generator::BoxGenerator;
    use super::super::round_robin::round_robin;
    use super::super::time_source::SteppingTime;
    use super::*;

    pub const MS: Duration = Duration::from_millis(1);

    /// Every line said so far, with the fake time at which it was said.
    pub type Said = Rc<RefCell<Vec<(Duration, String)>>>;

    /// A fake clock (10 ms per read) and a `Say` that records into `Said`.
    pub fn fake_world() -> (Rc<SteppingTime>, Say, Said) {
        let fake = Rc::new(SteppingTime::new(10 * MS));
        let lines = Rc::new(RefCell::new(Vec::new()));
        let say: Say = {
            let (fake, lines) = (fake.clone(), lines.clone());
            Rc::new(move |line: &str| lines.borrow_mut().push((fake.peek(), line.to_string())))
        };
        (fake, say, lines)
    }

    pub fn words(lines: &[(Duration, String)]) -> Vec<&str> {
        lines.iter().map(|(_, line)| line.as_str()).collect()
    }

    #[test]
    fn solution_1_gets_the_order_right_but_the_pauses_add_up() {
        let (fake, say, lines) = fake_world();
        let pause = 1000 * MS;
        let hello =
            || Box::new(HelloThenBlock::new(pause, fake.clone(), say.clone())) as BoxGenerator<(), ()>;
        round_robin(vec![hello(), hello()], |_| {});
        let lines = lines.borrow();
        assert_eq!(words(&lines), ["hello", "hello", "goodbye", "goodbye"]);
        let (first_bye, second_bye) = (lines[2].0, lines[3].0);
        assert!(first_bye >= pause);
        assert!(second_bye - first_bye >= pause, "goodbyes one pause apart: {lines:?}");
    }

    #[test]
    fn solution_2_waits_for_both_at_once() {
        let (fake, say, lines) = fake_world();
        let pause = 1000 * MS;
        let hello = || Box::new(HelloBusyLoop::new(pause, fake.clone(), say.clone())) as BoxGenerator<(), ()>;
        let mut spins = 0;
        round_robin(vec![hello(), hello()], |_| spins += 1);
        let lines = lines.borrow();
        assert_eq!(words(&lines), ["hello", "hello", "goodbye", "goodbye"]);
        let (first_bye, second_bye) = (lines[2].0, lines[3].0);
        assert!(first_bye >= pause);
        assert!(second_bye - first_bye < 100 * MS, "goodbyes together: {lines:?}");
        assert!(spins > 40, "the wait was spent spinning, {spins} resumes");
    }

    #[test]
    #[should_panic(expected = "generator resumed after it completed")]
    fn resuming_after_complete_panics() {
        let (fake, say, _) = fake_world();
        let mut hello = HelloBusyLoop::new(Duration::ZERO, fake, say);
        let _ = hello.resume();
        let _ = hello.resume();
    }
}
