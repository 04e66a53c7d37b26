//! `hello()` solutions 3 and 4: `yield asleep(..)` versus `yield from asleep(..)`.
//!
//! Both put the waiting in its own generator, [`Asleep`]. They differ by one
//! word in Python and by everything in behaviour:
//!
//! - `yield asleep(1)` *hands the sleeper out as a value*. The loop receives
//!   it, has no idea what it is, and resumes `hello` again on the next pass.
//!   Nobody ever resumes the sleeper, so nobody sleeps: "goodbye" comes at
//!   once.
//! - `yield from asleep(1)` *delegates*: `hello` resumes the sleeper itself,
//!   passes each of its yields up to the loop, and only carries on when the
//!   sleeper completes. This is the ancestor of `await`.

use std::rc::Rc;
use std::time::Duration;

use super::asleep::Asleep;
use super::generator::{Generator, GeneratorState};
use super::hello::Say;
use super::time_source::TimeSource;

// Solution 3:
//
//     def hello():
//         print("hello")
//         yield asleep(1)
//         print("goodbye")
//
// Look at the types: this generator's `Yield` is `Asleep`, not `()`. The
// compiler says what the Python hides: the loop is being handed a sleeper to
// look after, and our loop (like the seed's, which just prints it) doesn't.

/// Seed solution 3: says "hello", yields a fresh, never-started [`Asleep`]
/// *as a value*, then says "goodbye" on the next resume. It never sleeps.
#[must_use = "a generator does nothing until it is resumed"]
pub struct HelloYieldAsleep {
    /// The duration of the sleeper it hands out.
    pause: Duration,
    /// Given to the sleeper; this generator never reads it itself.
    time: Rc<dyn TimeSource>,
    /// Where "hello" and "goodbye" go.
    say: Say,
    /// Where the body is paused.
    state: YieldAsleep,
}

/// Where solution 3's body is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum YieldAsleep {
    /// Not started.
    Start,
    /// At `yield asleep(..)`, the sleeper already handed out.
    Yielded,
    /// Said "goodbye". Resuming is a bug.
    Done,
}

impl HelloYieldAsleep {
    /// Solution 3; the sleeper it yields will be for `pause`. Nothing runs yet.
    pub fn new(pause: Duration, time: Rc<dyn TimeSource>, say: Say) -> Self {
        HelloYieldAsleep { pause, time, say, state: YieldAsleep::Start }
    }
}

impl Generator for HelloYieldAsleep {
    type Yield = Asleep;
    type Return = ();

    fn resume(&mut self) -> GeneratorState<Asleep, ()> {
        match self.state {
            YieldAsleep::Start => {
                (self.say)("hello");
                self.state = YieldAsleep::Yielded;
                // Building the sleeper runs none of it (it doesn't even read
                // the clock); handing it out gives it away for good.
                GeneratorState::Yielded(Asleep::new(self.pause, self.time.clone()))
            }
            YieldAsleep::Yielded => {
                (self.say)("goodbye");
                self.state = YieldAsleep::Done;
                GeneratorState::Complete(())
            }
            YieldAsleep::Done => panic!("HelloYieldAsleep: generator resumed after it completed"),
        }
    }
}

// Solution 4:
//
//     def hello():
//         print("hello")
//         yield from asleep(1)
//         print("goodbye")
//
// `yield from child` means: resume the child; if it yields, yield the same
// thing to whoever resumed us; when we are resumed, resume the child again;
// when it completes, its return value is the value of the expression and we
// go on. So `hello`'s state machine holds the child, resumes it every time it
// is itself resumed, and `take()`s it out once it completes: a finished
// child is dropped on the spot and can never be resumed by mistake.

/// Seed solution 4: says "hello", then delegates to an [`Asleep`] child
/// (passing its yields up to the caller) and says "goodbye" once it completes.
#[must_use = "a generator does nothing until it is resumed"]
pub struct HelloYieldFromAsleep {
    /// The duration of the child sleeper.
    pause: Duration,
    /// Given to the child.
    time: Rc<dyn TimeSource>,
    /// Where "hello" and "goodbye" go.
    say: Say,
    /// The child being delegated to. `Some` exactly while the state is
    /// `Delegating`; `None` before it is created and after it completed.
    child: Option<Asleep>,
    /// Where the body is paused.
    state: YieldFrom,
}

/// Where solution 4's body is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum YieldFrom {
    /// Not started.
    Start,
    /// Inside `yield from`: `child` is `Some` and not yet complete.
    Delegating,
    /// Said "goodbye". Resuming is a bug.
    Done,
}

impl HelloYieldFromAsleep {
    /// Solution 4, sleeping (busily) for `pause`. Nothing runs yet.
    pub fn new(pause: Duration, time: Rc<dyn TimeSource>, say: Say) -> Self {
        HelloYieldFromAsleep { pause, time, say, child: None, state: YieldFrom::Start }
    }
}

impl Generator for HelloYieldFromAsleep {
    type Yield = ();
    type Return = ();

    fn resume(&mut self) -> GeneratorState<(), ()> {
        loop {
            match self.state {
                YieldFrom::Start => {
                    (self.say)("hello");
                    self.child = Some(Asleep::new(self.pause, self.time.clone()));
                    // No yield here: `yield from` resumes the child right away,
                    // so go round the loop into `Delegating`.
                    self.state = YieldFrom::Delegating;
                }
                YieldFrom::Delegating => {
                    let child = self.child.as_mut().expect("Delegating always has a child");
                    match child.resume() {
                        // Pass the child's yield up unchanged. We stay in
                        // `Delegating`, so our next resume resumes the child.
                        GeneratorState::Yielded(value) => return GeneratorState::Yielded(value),
                        GeneratorState::Complete(()) => {
                            // Drop the finished child; the `yield from`
                            // expression is over and the body goes on.
                            self.child.take();
                            (self.say)("goodbye");
                            self.state = YieldFrom::Done;
                            return GeneratorState::Complete(());
                        }
                    }
                }
                YieldFrom::Done => {
                    panic!("HelloYieldFromAsleep: generator resumed after it completed")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::generator::BoxGenerator;
    use super::super::hello::tests::{MS, fake_world, words};
    use super::super::round_robin::{Event, round_robin};
    use super::*;

    #[test]
    fn solution_3_hands_out_sleepers_that_nobody_runs() {
        let (fake, say, lines) = fake_world();
        let hello = || {
            Box::new(HelloYieldAsleep::new(1000 * MS, fake.clone(), say.clone())) as BoxGenerator<Asleep, ()>
        };
        let mut yielded = Vec::new();
        round_robin(vec![hello(), hello()], |event| {
            if let Event::Yielded { value, .. } = event {
                yielded.push(value);
            }
        });
        assert_eq!(words(&lines.borrow()), ["hello", "hello", "goodbye", "goodbye"]);
        // No time passed at all: nobody even looked at the clock.
        assert_eq!(fake.reads(), 0);
        assert!(lines.borrow().iter().all(|(at, _)| *at == Duration::ZERO));
        // What the loop got was two sleepers, never started.
        assert_eq!(yielded.len(), 2);
        assert!(yielded.iter().all(|sleeper| !sleeper.started()));
        // They would have slept, had anyone resumed them.
        let mut sleeper = yielded.pop().unwrap();
        assert_eq!(sleeper.resume(), GeneratorState::Yielded(()));
        assert!(fake.reads() > 0);
    }

    #[test]
    fn solution_4_both_wait_at_once_then_both_say_goodbye() {
        let (fake, say, lines) = fake_world();
        let pause = 1000 * MS;
        let hello =
            || Box::new(HelloYieldFromAsleep::new(pause, fake.clone(), say.clone())) as BoxGenerator<(), ()>;
        let mut spins = 0;
        round_robin(vec![hello(), hello()], |event| {
            if let Event::Yielded { .. } = event {
                spins += 1;
            }
        });
        let lines = lines.borrow();
        assert_eq!(words(&lines), ["hello", "hello", "goodbye", "goodbye"]);
        // Both hellos before the clock moved far; both goodbyes only after
        // the fake clock passed the pause, and close together: one pause in
        // total, not two.
        assert!(lines[1].0 < 100 * MS, "{lines:?}");
        assert!(lines[2].0 >= pause && lines[3].0 >= pause, "{lines:?}");
        assert!(lines[3].0 < pause + 100 * MS, "{lines:?}");
        // The loop resumed them about once per 10 ms read of each: spinning.
        assert!(spins >= 90, "{spins} resumes while waiting");
    }

    #[test]
    fn solution_4_passes_the_childs_yields_up_one_for_one() {
        let (fake, say, _) = fake_world();
        let mut hello = HelloYieldFromAsleep::new(50 * MS, fake.clone(), say.clone());
        let mut alone = Asleep::new(50 * MS, fake.clone());
        let count = |g: &mut dyn Generator<Yield = (), Return = ()>| {
            let mut n = 0;
            while let GeneratorState::Yielded(()) = g.resume() {
                n += 1;
            }
            n
        };
        assert_eq!(count(&mut hello), count(&mut alone));
    }

    #[test]
    #[should_panic(expected = "generator resumed after it completed")]
    fn resuming_after_complete_panics() {
        let (fake, say, _) = fake_world();
        let mut hello = HelloYieldFromAsleep::new(Duration::ZERO, fake, say);
        assert_eq!(hello.resume(), GeneratorState::Complete(()));
        let _ = hello.resume();
    }
}
