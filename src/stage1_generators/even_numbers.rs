//! The seed's first generator, `generate_even_1`, written out by hand.

use super::generator::{Generator, GeneratorState};

// The Python this struct stands for (seed 003):
//
//     def generate_even_1(start, end):
//         for i in range(start, end):
//             if i % 2 == 0:
//                 yield i
//
// Calling `generate_even_1(1, 100)` runs none of the body: it only builds a
// generator object holding `start`, `end` and "not started yet". In Rust that
// object is `EvenNumbers::new(1, 100)`. The body's local variable `i` and
// "where in the body we are" become the `State` enum below.

/// The even numbers in `start..end`, one per [`resume`](Generator::resume),
/// then [`Complete(())`](GeneratorState::Complete).
///
/// The hand-written form of the seed's `generate_even_1(start, end)`.
/// Unlike `generate_even_0`, which builds the whole list before returning it,
/// this one holds a single counter however long the range is.
#[must_use = "a generator does nothing until it is resumed"]
#[derive(Debug, Clone)]
pub struct EvenNumbers {
    /// The `end` argument: the range stops before it.
    end: u64,
    /// Where the body is paused.
    state: State,
}

/// Where `generate_even_1`'s body is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Inside the `for` loop; `i` is the next number the loop will look at.
    /// A fresh generator starts here with `i = start` (Python evaluates
    /// `range(start, end)` only at the first `next()`, but a range is just
    /// two numbers, so building it early changes nothing we can observe).
    Looping { i: u64 },
    /// The loop ran out and the function returned. Resuming is a bug.
    Done,
}

impl EvenNumbers {
    /// A generator over the even numbers in `start..end`. Nothing runs yet.
    pub fn new(start: u64, end: u64) -> Self {
        EvenNumbers { end, state: State::Looping { i: start } }
    }
}

impl Generator for EvenNumbers {
    type Yield = u64;
    type Return = ();

    fn resume(&mut self) -> GeneratorState<u64, ()> {
        // One turn of this `loop` is one turn of the Python `for`. Odd numbers
        // go round again without returning: the caller only sees a yield.
        loop {
            match self.state {
                State::Looping { i } if i >= self.end => {
                    // `range` is exhausted: the function falls off its end,
                    // which in Python raises `StopIteration(None)`.
                    self.state = State::Done;
                    return GeneratorState::Complete(());
                }
                State::Looping { i } => {
                    // Save where to carry on *before* yielding: after the
                    // `return` below we get no other chance to run.
                    self.state = State::Looping { i: i + 1 };
                    if i % 2 == 0 {
                        return GeneratorState::Yielded(i);
                    }
                }
                State::Done => panic!("EvenNumbers: generator resumed after it completed"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drains a generator, the way `list(generate_even_1(..))` would.
    fn drain(mut g: EvenNumbers) -> Vec<u64> {
        let mut out = Vec::new();
        while let GeneratorState::Yielded(n) = g.resume() {
            out.push(n);
        }
        out
    }

    #[test]
    fn yields_the_even_numbers_in_the_range() {
        assert_eq!(drain(EvenNumbers::new(1, 10)), vec![2, 4, 6, 8]);
        assert_eq!(drain(EvenNumbers::new(0, 5)), vec![0, 2, 4]);
    }

    #[test]
    fn end_is_excluded_like_python_range() {
        assert_eq!(drain(EvenNumbers::new(2, 4)), vec![2]);
    }

    #[test]
    fn empty_ranges_complete_on_the_first_resume() {
        assert_eq!(EvenNumbers::new(5, 5).resume(), GeneratorState::Complete(()));
        assert_eq!(EvenNumbers::new(9, 3).resume(), GeneratorState::Complete(()));
        assert_eq!(EvenNumbers::new(1, 2).resume(), GeneratorState::Complete(()));
    }

    #[test]
    fn matches_generate_even_0_the_list_version() {
        // generate_even_0 builds the whole list; the generator must agree.
        for (start, end) in [(0, 0), (0, 1), (1, 100), (3, 17), (10, 11)] {
            let list: Vec<u64> = (start..end).filter(|i| i % 2 == 0).collect();
            assert_eq!(drain(EvenNumbers::new(start, end)), list);
        }
    }

    #[test]
    #[should_panic(expected = "generator resumed after it completed")]
    fn resuming_after_complete_panics() {
        let mut g = EvenNumbers::new(0, 1);
        assert_eq!(g.resume(), GeneratorState::Yielded(0));
        assert_eq!(g.resume(), GeneratorState::Complete(()));
        g.resume();
    }
}
