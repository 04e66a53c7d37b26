//! `asleep`: a sleep that lets other generators run, by spinning.

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use super::generator::{Generator, GeneratorState};
use super::time_source::TimeSource;

// The Python this struct stands for (seed 003, with the seed's hard-coded
// `2` replaced by the `seconds` argument it clearly meant):
//
//     def asleep(seconds):
//         start = time.time()
//         while time.time() - start < seconds:
//             yield
//
// Each `yield` hands control back to the loop, so other generators run while
// this one waits. But the loop resumes it again on its very next pass, it
// looks at the clock, sees it is too early, and yields again: the CPU is busy
// the whole time, doing nothing useful. That is the "busy waiting" flaw.
//
// Note where `start` is read: inside the body, so at the *first resume*, not
// when `asleep(2)` is called. A sleeper that is created but never resumed
// never reads the clock and never sleeps (see `HelloYieldAsleep`).

/// Yields `()` until `duration` has passed since its first resume, then
/// completes with `()`.
///
/// The hand-written form of the seed's `asleep(seconds)`.
#[must_use = "a generator does nothing until it is resumed"]
pub struct Asleep {
    /// The `seconds` argument.
    duration: Duration,
    /// Where the time comes from; shared with whoever else reads it.
    time: Rc<dyn TimeSource>,
    /// Where the body is paused.
    state: State,
}

/// Where `asleep`'s body is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Created but not yet resumed: `start` has not been read.
    Start,
    /// In the `while`, waiting for the clock to reach `deadline`
    /// (`start + seconds`, computed once instead of subtracting every time).
    Waiting { deadline: Duration },
    /// The deadline passed and the function returned. Resuming is a bug.
    Done,
}

impl Asleep {
    /// A sleeper for `duration`, reading the time from `time`. Nothing runs
    /// (and the clock is not read) until the first resume.
    pub fn new(duration: Duration, time: Rc<dyn TimeSource>) -> Self {
        Asleep { duration, time, state: State::Start }
    }

    /// The duration this sleeper was created with.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// Whether it has been resumed at least once, i.e. has started its wait.
    pub fn started(&self) -> bool {
        self.state != State::Start
    }
}

impl Generator for Asleep {
    type Yield = ();
    type Return = ();

    fn resume(&mut self) -> GeneratorState<(), ()> {
        loop {
            match self.state {
                State::Start => {
                    // `start = time.time()`, then straight into the `while`
                    // test without yielding: the loop goes round once more.
                    let deadline = self.time.now() + self.duration;
                    self.state = State::Waiting { deadline };
                }
                State::Waiting { deadline } => {
                    // `while time.time() - start < seconds: yield`
                    if self.time.now() < deadline {
                        return GeneratorState::Yielded(());
                    }
                    self.state = State::Done;
                    return GeneratorState::Complete(());
                }
                State::Done => panic!("Asleep: generator resumed after it completed"),
            }
        }
    }
}

/// Shows the duration and whether it has started, like Python's
/// `<generator object asleep at 0x..>` but more useful. (Not derived: the
/// time source inside is a trait object with no `Debug`.)
impl fmt::Debug for Asleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Asleep")
            .field("duration", &self.duration)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::super::time_source::SteppingTime;
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Resumes until complete; returns how many times it yielded.
    fn run(sleeper: &mut Asleep) -> u64 {
        let mut spins = 0;
        while let GeneratorState::Yielded(()) = sleeper.resume() {
            spins += 1;
        }
        spins
    }

    #[test]
    fn spins_until_the_deadline_then_completes() {
        let fake = Rc::new(SteppingTime::new(10 * MS));
        let mut sleeper = Asleep::new(100 * MS, fake.clone());
        // Start reads 0 ms, so the deadline is 100 ms. Each resume then reads
        // once: 10, 20, .., 90 ms are too early (9 yields); 100 ms is not.
        assert_eq!(run(&mut sleeper), 9);
        assert_eq!(fake.reads(), 11);
        assert!(fake.peek() > 100 * MS);
    }

    #[test]
    fn the_clock_is_not_read_before_the_first_resume() {
        let fake = Rc::new(SteppingTime::new(MS));
        let mut sleeper = Asleep::new(5 * MS, fake.clone());
        assert!(!sleeper.started());
        assert_eq!(fake.reads(), 0, "creating a sleeper reads nothing");
        assert_eq!(sleeper.resume(), GeneratorState::Yielded(()));
        assert!(sleeper.started());
        assert_eq!(fake.reads(), 2, "first resume reads start, then tests it");
    }

    #[test]
    fn a_zero_sleep_completes_on_its_first_resume() {
        let fake = Rc::new(SteppingTime::new(MS));
        let mut sleeper = Asleep::new(Duration::ZERO, fake);
        assert_eq!(sleeper.resume(), GeneratorState::Complete(()));
    }

    #[test]
    fn the_deadline_counts_from_the_first_resume_not_from_creation() {
        let fake = Rc::new(SteppingTime::new(10 * MS));
        let mut sleeper = Asleep::new(50 * MS, fake.clone());
        // Let a whole second of fake time pass before anyone resumes it.
        for _ in 0..100 {
            fake.now();
        }
        assert_eq!(sleeper.resume(), GeneratorState::Yielded(()), "still sleeps");
        assert_eq!(run(&mut sleeper), 3);
    }

    #[test]
    #[should_panic(expected = "generator resumed after it completed")]
    fn resuming_after_complete_panics() {
        let fake = Rc::new(SteppingTime::new(MS));
        let mut sleeper = Asleep::new(Duration::ZERO, fake);
        let _ = sleeper.resume();
        let _ = sleeper.resume();
    }
}
