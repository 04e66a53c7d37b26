//! Stage 1: the round-robin loop against a reference model, on random inputs.
//!
//! The model is written differently on purpose: instead of walking one list
//! by index and removing finished generators in place (where the seed's bug
//! lived), it rebuilds the list of survivors on every pass. If both agree on
//! every random mix of generators, the in-place walk neither skips nor
//! repeats anyone.

use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;

use proptest::prelude::*;
use rondo::stage1_generators::{
    BoxGenerator, Countdown, Event, Generator, GeneratorState, buggy_round_robin, round_robin,
};

/// What the model and the loop both report, with the return value included.
type Step = Event<u64, &'static str>;

/// The reference: each generator is the list of values it will yield. Every
/// pass visits the survivors in order; a list with an item left yields it and
/// survives, an empty one completes and is left out of the next pass.
fn model(lengths: &[u64]) -> Vec<Step> {
    let mut pass: Vec<(usize, VecDeque<u64>)> =
        lengths.iter().map(|&n| (1..=n).rev().collect()).enumerate().collect();
    let mut out = Vec::new();
    while !pass.is_empty() {
        let mut survivors = Vec::new();
        for (id, mut items) in pass {
            match items.pop_front() {
                Some(value) => {
                    out.push(Event::Yielded { id, value });
                    survivors.push((id, items));
                }
                None => out.push(Event::Completed { id, value: Countdown::LIFTOFF }),
            }
        }
        pass = survivors;
    }
    out
}

fn countdowns(lengths: &[u64]) -> Vec<BoxGenerator<u64, &'static str>> {
    lengths.iter().map(|&n| Box::new(Countdown::new(n)) as BoxGenerator<u64, &'static str>).collect()
}

/// Wraps a generator and counts how often it was resumed, so the test can
/// tell "completed once and was never touched again" from the outside.
struct Counted {
    inner: Countdown,
    resumes: Rc<Cell<u64>>,
}

impl Generator for Counted {
    type Yield = u64;
    type Return = &'static str;

    fn resume(&mut self) -> GeneratorState<u64, &'static str> {
        self.resumes.set(self.resumes.get() + 1);
        self.inner.resume()
    }
}

proptest! {
    #[test]
    fn round_robin_matches_the_model(lengths in prop::collection::vec(0u64..20, 1..8)) {
        let mut seen = Vec::new();
        round_robin(countdowns(&lengths), |event| seen.push(event));
        prop_assert_eq!(seen, model(&lengths));
    }

    #[test]
    fn every_generator_completes_exactly_once_and_is_then_left_alone(
        lengths in prop::collection::vec(0u64..20, 1..8),
    ) {
        let counters: Vec<_> = lengths.iter().map(|_| Rc::new(Cell::new(0))).collect();
        let generators: Vec<BoxGenerator<u64, &'static str>> = lengths
            .iter()
            .zip(&counters)
            .map(|(&n, resumes)| {
                Box::new(Counted { inner: Countdown::new(n), resumes: resumes.clone() })
                    as BoxGenerator<u64, &'static str>
            })
            .collect();
        let mut completions = vec![0; lengths.len()];
        let mut yields = vec![0; lengths.len()];
        round_robin(generators, |event| match event {
            Event::Yielded { id, .. } => yields[id] += 1,
            Event::Completed { id, .. } => completions[id] += 1,
        });
        prop_assert!(completions.iter().all(|&c| c == 1), "completions: {:?}", completions);
        for (id, &n) in lengths.iter().enumerate() {
            prop_assert_eq!(yields[id], n);
            // n yields + 1 completion, and not a single resume after it.
            prop_assert_eq!(counters[id].get(), n + 1);
        }
    }

    /// The seed's buggy loop loses nothing, only fairness: it emits the same
    /// events as the fixed loop, possibly in another order.
    #[test]
    fn the_seed_loop_emits_the_same_events_perhaps_reordered(
        lengths in prop::collection::vec(0u64..20, 1..8),
    ) {
        let mut fixed = Vec::new();
        round_robin(countdowns(&lengths), |event| fixed.push(event));
        let mut buggy = Vec::new();
        buggy_round_robin(countdowns(&lengths), |event| buggy.push(event));
        let key = |e: &Step| match *e {
            Event::Yielded { id, value } => (id, value, false),
            Event::Completed { id, .. } => (id, 0, true),
        };
        let (mut a, mut b) = (fixed.clone(), buggy.clone());
        a.sort_by_key(key);
        b.sort_by_key(key);
        prop_assert_eq!(a, b);
    }
}

#[test]
fn the_seed_loop_is_unfair_on_a_known_input() {
    // a finishes first; b slides into its slot and is skipped for the pass.
    let lengths = [0, 1, 1];
    let mut buggy = Vec::new();
    buggy_round_robin(countdowns(&lengths), |event| buggy.push(event));
    assert_ne!(buggy, model(&lengths));
    assert_eq!(
        buggy[..2],
        [Event::Completed { id: 0, value: "liftoff" }, Event::Yielded { id: 2, value: 1 },]
    );
}
