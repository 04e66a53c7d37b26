//! The `Generator` trait: a paused computation you can resume.
//!
//! A Python generator is a function that can stop in the middle (`yield`),
//! hand a value out, and later carry on from exactly where it stopped. When it
//! falls off its end it raises `StopIteration`, which carries the function's
//! `return` value. Take away the syntax and what is left is one operation,
//! "run until you yield or finish", and two possible answers. That is all
//! this file defines.

/// What one call to [`Generator::resume`] produced.
///
/// Python says "yielded" by returning from `next()` and "finished" by raising
/// `StopIteration(value)`. Rust has no need for an exception here: an `enum`
/// with one variant per answer says the same thing and the compiler makes
/// every caller handle both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GeneratorState<Y, R> {
    /// The generator paused at a `yield` and handed out this value.
    /// Resuming it again carries on right after that `yield`.
    Yielded(Y),
    /// The generator ran to its end and returned this value.
    /// It must not be resumed again.
    Complete(R),
}

/// A computation that runs in steps: each [`resume`](Generator::resume) runs
/// it up to its next `yield` (or to its end) and reports which happened.
///
/// Every generator in this stage is a plain struct holding an `enum State`:
/// the state remembers *where* the function is paused, the other fields hold
/// its local variables. `resume` is a `loop { match self.state { .. } }` that
/// moves from state to state until it reaches a `yield` or the end. There is no
/// hidden stack and no magic: pausing is just returning, and resuming is
/// calling `resume` again on the same struct.
///
/// Creating a generator runs none of its body, exactly like calling a Python
/// generator function. So rondo's generator structs are `#[must_use]`: one
/// that is built and dropped without a resume is almost always a mistake.
///
/// # Contract
///
/// Once `resume` has returned [`GeneratorState::Complete`], calling it again
/// is a bug in the caller. Every generator in rondo panics in that case with a
/// message containing `"generator resumed after it completed"`, instead of
/// quietly returning something made up. (Python raises `StopIteration` again;
/// a loud panic finds the caller's bug sooner.)
///
/// # Why not `Iterator`?
///
/// `Iterator::next` is a generator whose return value is always `()`:
/// `Some(v)` is "yielded `v`" and `None` is "complete". That is enough for
/// the even numbers, but a coroutine's whole point is its *return* value
/// (what `await` hands back), and `Iterator` has nowhere to put it. Rust's own
/// unstable `std::ops::Coroutine` has the same shape as this trait, plus a
/// resume argument and `Pin`, which stage 9 explains.
pub trait Generator {
    /// The type of the values handed out at each `yield`.
    type Yield;
    /// The type of the value handed out when the generator finishes.
    type Return;

    /// Runs the generator up to its next `yield` or its end.
    ///
    /// # Panics
    ///
    /// If called after it has already returned [`GeneratorState::Complete`].
    fn resume(&mut self) -> GeneratorState<Self::Yield, Self::Return>;
}

/// A generator behind a pointer, so that generators of *different* types can
/// sit in one `Vec` as long as they yield and return the same types.
///
/// The round-robin loop in [`round_robin`](super::round_robin()) takes a
/// `Vec` of these. The `'static` bound (implied by `Box<dyn ..>`) means a
/// boxed generator owns everything it uses; all generators in this stage do.
pub type BoxGenerator<Y, R> = Box<dyn Generator<Yield = Y, Return = R>>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest possible generator: yields `1`, then returns `"done"`.
    /// Python: `def one(): yield 1; return "done"`.
    struct One {
        yielded: bool,
        done: bool,
    }

    impl Generator for One {
        type Yield = u8;
        type Return = &'static str;

        fn resume(&mut self) -> GeneratorState<u8, &'static str> {
            assert!(!self.done, "One: generator resumed after it completed");
            if self.yielded {
                self.done = true;
                GeneratorState::Complete("done")
            } else {
                self.yielded = true;
                GeneratorState::Yielded(1)
            }
        }
    }

    #[test]
    fn resume_reports_yield_then_complete() {
        let mut one = One { yielded: false, done: false };
        assert_eq!(one.resume(), GeneratorState::Yielded(1));
        assert_eq!(one.resume(), GeneratorState::Complete("done"));
    }

    #[test]
    fn boxed_generators_of_the_same_shape_share_a_vec() {
        let mut list: Vec<BoxGenerator<u8, &'static str>> =
            vec![Box::new(One { yielded: false, done: false }), Box::new(One { yielded: true, done: false })];
        assert_eq!(list[0].resume(), GeneratorState::Yielded(1));
        assert_eq!(list[1].resume(), GeneratorState::Complete("done"));
    }
}
