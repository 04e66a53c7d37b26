//! Stage 1 tour: hand-written generators, the round-robin loop, and the
//! seed's `hello()` solutions 1–4 (seed 003, "Async... oh, wait").
//!
//! What it shows, in order:
//! 1. `generate_even_1` as a struct you `resume()`.
//! 2. The round-robin loop over a few countdowns, then the seed's buggy
//!    loop next to the fixed one on an input where the bug shows.
//! 3. Two `hello()`s under the loop, for each of the four solutions.
//!
//! What to watch for: solution 1 says both hellos but its goodbyes come a
//! whole pause apart (`time.sleep` blocks the loop); solution 3 says goodbye
//! at once, because the loop was handed a sleeper (`Asleep { state: Start }`)
//! that nobody ever runs; solutions 2 and 4 wait once for both, and the
//! number of resumes shows the price: the CPU spins the whole time.
//!
//! Run it:
//!
//! ```sh
//! cargo run --example generators                       # real time, pause 0.2 s, about 1 s in all
//! cargo run --example generators -- --virtual          # fake time (1 ms per read): instant
//! cargo run --example generators -- --virtual --stamps # every line prefixed with that time
//! ```
//!
//! There is no event loop yet, so `--stamps` prints the time the generators
//! read (real, or the fake one), since the start.

#[path = "common/mod.rs"]
mod common;

use std::fmt::{self, Debug};
use std::rc::Rc;
use std::time::{Duration, Instant};

use rondo::stage1_generators::{
    Asleep, BoxGenerator, Countdown, EvenNumbers, Event, Generator, GeneratorState, HelloBusyLoop,
    HelloThenBlock, HelloYieldAsleep, HelloYieldFromAsleep, RealTime, Say, SteppingTime, TimeSource,
    countdown_transcript, round_robin,
};

/// `println!` through an [`Out`].
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {
        $out.line(format_args!($($arg)*))
    };
}

/// Where the lines go: stdout, each prefixed with the time since the start
/// under `--stamps` (leading blank lines stay blank).
#[derive(Clone)]
struct Out {
    stamps: Option<Rc<dyn Fn() -> Duration>>,
}

impl Out {
    fn line(&self, text: fmt::Arguments<'_>) {
        let Some(now) = &self.stamps else {
            return common::outln!("{text}");
        };
        let text = text.to_string();
        let body = text.trim_start_matches('\n');
        for _ in body.len()..text.len() {
            common::outln!("");
        }
        common::outln!("[{:>8.3}] {body}", now().as_secs_f64());
    }
}

/// How long each `hello` waits. Short, so the real-time tour is quick.
const PAUSE: Duration = Duration::from_millis(200);

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    run(args.virtual_clock, args.stamps);
}

/// Runs the whole stage-1 demonstration, printing as it goes; with `stamps`,
/// each line is prefixed with the time since the start.
pub fn run(virtual_time: bool, stamps: bool) {
    let wall = Instant::now();

    // The time the sleepers read. With --virtual it is a fake that moves 1 ms
    // each time someone reads it, so busy sleepers make their own time pass.
    let fake = virtual_time.then(|| Rc::new(SteppingTime::new(Duration::from_millis(1))));
    let real = RealTime::new();
    let time: Rc<dyn TimeSource> = match &fake {
        Some(fake) => fake.clone(),
        None => Rc::new(real),
    };
    // For timestamps only: peeking at the fake does not advance it.
    let now: Rc<dyn Fn() -> Duration> = match fake.clone() {
        Some(fake) => Rc::new(move || fake.peek()),
        None => Rc::new(move || real.now()),
    };
    let out = Out { stamps: stamps.then(|| now.clone()) };

    say!(out, "== 1. generate_even_1(1, 10), resumed by hand ==");
    let mut evens = EvenNumbers::new(1, 10);
    loop {
        match evens.resume() {
            GeneratorState::Yielded(n) => say!(out, "  yielded {n}"),
            GeneratorState::Complete(r) => break say!(out, "  complete: {r:?}"),
        }
    }

    say!(out, "\n== 2. the round-robin loop over countdown(3), countdown(1), countdown(2) ==");
    round_robin(countdowns(&[3, 1, 2]), |event| match event {
        Event::Yielded { id, value } => say!(out, "  countdown #{id} yielded {value}"),
        Event::Completed { id, value } => {
            say!(out, "  countdown #{id} completed with {value:?}; the loop drops it")
        }
    });
    say!(out, "  on countdown(0), countdown(0), countdown(1) (`n:v` yield, `n!` done):");
    say!(out, "    seed's loop: {}", countdown_transcript(true, &[0, 0, 1]));
    say!(out, "    fixed loop:  {}", countdown_transcript(false, &[0, 0, 1]));

    let secs = PAUSE.as_secs_f64();
    say!(out, "\n== 3. two hello()s under the loop, each waiting {secs} s ==");
    two_hellos(&out, "solution 1: yield, then time.sleep", &now, |say| {
        Box::new(HelloThenBlock::new(PAUSE, time.clone(), say))
    });
    two_hellos(&out, "solution 2: while ..: yield, inline", &now, |say| {
        Box::new(HelloBusyLoop::new(PAUSE, time.clone(), say))
    });
    two_hellos(&out, "solution 3: yield asleep(..)", &now, |say| {
        Box::new(HelloYieldAsleep::new(PAUSE, time.clone(), say)) as BoxGenerator<Asleep, ()>
    });
    two_hellos(&out, "solution 4: yield from asleep(..)", &now, |say| {
        Box::new(HelloYieldFromAsleep::new(PAUSE, time.clone(), say))
    });

    let wall = wall.elapsed().as_secs_f64();
    match &fake {
        Some(fake) => say!(
            out,
            "\ngenerators: elapsed {:.2} s of virtual time ({} reads), {wall:.2} s wall",
            fake.peek().as_secs_f64(),
            fake.reads()
        ),
        None => say!(out, "\ngenerators: elapsed {wall:.2} s"),
    }
}

fn countdowns(lengths: &[u64]) -> Vec<BoxGenerator<u64, &'static str>> {
    let boxed = |&n: &u64| Box::new(Countdown::new(n)) as BoxGenerator<u64, &'static str>;
    lengths.iter().map(boxed).collect()
}

/// Runs two hellos made by `make` under the round-robin loop, printing what
/// they say with the time since the scenario started, then how often the
/// loop resumed them and what the first yield handed the loop.
fn two_hellos<Y: Debug>(
    out: &Out,
    title: &str,
    now: &Rc<dyn Fn() -> Duration>,
    make: impl Fn(Say) -> BoxGenerator<Y, ()>,
) {
    say!(out, "{title}");
    let start = now();
    let say: Say = {
        let (now, out) = (now.clone(), out.clone());
        Rc::new(move |line| say!(out, "  [{:.3} s] {line}", (now() - start).as_secs_f64()))
    };
    let (mut resumes, mut first_yield) = (0u64, None);
    round_robin(vec![make(say.clone()), make(say)], |event| {
        resumes += 1;
        if let Event::Yielded { value, .. } = event {
            first_yield.get_or_insert_with(|| format!("{value:?}"));
        }
    });
    let first_yield = first_yield.unwrap_or_default();
    say!(out, "  the loop resumed them {resumes} times; the first yield gave it {first_yield}");
}
