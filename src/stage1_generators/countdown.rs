//! A countdown: a generator that also *returns* something when it is done.

use super::generator::{Generator, GeneratorState};

// The Python this struct stands for:
//
//     def countdown(n):
//         while n > 0:
//             yield n
//             n -= 1
//         return "liftoff"
//
// The `return "liftoff"` is the point of this example. In Python the value
// travels inside the `StopIteration` exception, and a plain `for` loop
// throws it away. Here it is `GeneratorState::Complete("liftoff")`, and the
// round-robin loop has to decide what to do with it (stage 1: nothing).

/// Yields `n`, `n - 1`, ..., `1`, then completes with `"liftoff"`.
///
/// `Countdown::new(0)` yields nothing and completes on its first resume,
/// like the Python `while` loop whose condition is false at once.
#[must_use = "a generator does nothing until it is resumed"]
#[derive(Debug, Clone)]
pub struct Countdown {
    /// Where the body is paused; the local variable `n` lives inside it.
    state: State,
}

/// Where `countdown`'s body is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the top of the `while`, about to test `n > 0`.
    Looping { n: u64 },
    /// Returned `"liftoff"`. Resuming is a bug.
    Done,
}

impl Countdown {
    /// The value a countdown completes with.
    pub const LIFTOFF: &'static str = "liftoff";

    /// A countdown from `n`. Nothing runs yet.
    pub fn new(n: u64) -> Self {
        Countdown { state: State::Looping { n } }
    }
}

impl Generator for Countdown {
    type Yield = u64;
    type Return = &'static str;

    fn resume(&mut self) -> GeneratorState<u64, &'static str> {
        match self.state {
            State::Looping { n: 0 } => {
                self.state = State::Done;
                GeneratorState::Complete(Self::LIFTOFF)
            }
            State::Looping { n } => {
                // `yield n`, then `n -= 1` happens when we are resumed. Doing
                // the decrement now and storing it is the same thing, since
                // nothing can observe `n` between the two.
                self.state = State::Looping { n: n - 1 };
                GeneratorState::Yielded(n)
            }
            State::Done => panic!("Countdown: generator resumed after it completed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_then_returns_liftoff() {
        let mut c = Countdown::new(3);
        assert_eq!(c.resume(), GeneratorState::Yielded(3));
        assert_eq!(c.resume(), GeneratorState::Yielded(2));
        assert_eq!(c.resume(), GeneratorState::Yielded(1));
        assert_eq!(c.resume(), GeneratorState::Complete("liftoff"));
    }

    #[test]
    fn countdown_from_zero_completes_at_once() {
        assert_eq!(Countdown::new(0).resume(), GeneratorState::Complete(Countdown::LIFTOFF));
    }

    #[test]
    fn a_clone_resumes_independently() {
        // The whole paused function is in the struct, so a copy of the struct
        // is a copy of the paused function. (Python generators can't do this.)
        let mut a = Countdown::new(2);
        assert_eq!(a.resume(), GeneratorState::Yielded(2));
        let mut b = a.clone();
        assert_eq!(a.resume(), GeneratorState::Yielded(1));
        assert_eq!(b.resume(), GeneratorState::Yielded(1));
    }

    #[test]
    #[should_panic(expected = "generator resumed after it completed")]
    fn resuming_after_complete_panics() {
        let mut c = Countdown::new(0);
        let _ = c.resume();
        let _ = c.resume();
    }
}
