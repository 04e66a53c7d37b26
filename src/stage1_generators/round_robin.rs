//! The round-robin loop: resume every generator in turn until all are done.
//!
//! This is the seed of an event loop. It owns a list of paused computations
//! and decides which one runs next; none of them runs unless the loop
//! resumes it. Everything in stages 3 and 4 grows from these few lines.

use super::countdown::Countdown;
use super::generator::{BoxGenerator, GeneratorState};

// The Python this file rebuilds (seed 003; `StopException` there is a typo
// for `StopIteration`):
//
//     def loop(generators):
//         while True:
//             if not generators:
//                 return 0
//             for i, g in enumerate(generators):
//                 try:
//                     print(next(g))
//                 except StopIteration:
//                     del generators[i]
//
// It has a bug. `del generators[i]` shifts every later generator one place to
// the left, but `enumerate` carries on at `i + 1` regardless, so the
// generator that slid into slot `i` is skipped for the rest of this pass.
// Nothing is lost (it gets its turn on the next pass), but the loop is no
// longer fair: with [a: 0 items, b: 0 items, c: 1 item] the first pass
// resumes a and c, never b. `buggy_round_robin` keeps the bug so a test can
// show it; `round_robin` fixes it.

/// One thing the round-robin loop did, reported to its observer.
///
/// `id` is the generator's position in the `Vec` given to the loop. It does
/// not change when earlier generators finish and are removed, so a transcript
/// can always tell the generators apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event<Y, R> {
    /// Generator `id` was resumed and yielded `value`; it stays in the list.
    Yielded {
        /// Position of the generator in the original list.
        id: usize,
        /// What it yielded.
        value: Y,
    },
    /// Generator `id` was resumed and completed with `value`; the loop removes
    /// it from the list and never resumes it again.
    ///
    /// The observer sees `value`, but no *generator* can: there is no way for
    /// one generator to wait for another's result. That is the flaw stage 2
    /// fixes.
    Completed {
        /// Position of the generator in the original list.
        id: usize,
        /// What it returned.
        value: R,
    },
}

/// Runs every generator to completion, one step each per pass, in list order,
/// and tells `on_event` about every step. Returns when the list is empty.
///
/// Fair: within a pass, every generator that was live at the start of the
/// pass is resumed exactly once, in list order, even if others finish during
/// the pass. Finished generators are dropped as soon as they complete.
///
/// The observer is a callback rather than a returned `Vec` because a busy
/// sleeper can be resumed millions of times a second; the caller decides
/// whether to keep, print or just count the events.
pub fn round_robin<Y, R>(generators: Vec<BoxGenerator<Y, R>>, mut on_event: impl FnMut(Event<Y, R>)) {
    // Pair every generator with its original position, for the events.
    let mut live: Vec<(usize, BoxGenerator<Y, R>)> = generators.into_iter().enumerate().collect();
    // The Python `while True: if not generators: return`.
    while !live.is_empty() {
        // One pass. We walk by index because the list shrinks under us.
        let mut i = 0;
        while i < live.len() {
            let (id, generator) = &mut live[i];
            let id = *id;
            match generator.resume() {
                GeneratorState::Yielded(value) => {
                    on_event(Event::Yielded { id, value });
                    // Still live: move on to the next one.
                    i += 1;
                }
                GeneratorState::Complete(value) => {
                    on_event(Event::Completed { id, value });
                    // THE FIX. `remove` slides the next generator into slot
                    // `i`, so `i` already points at it: do not advance.
                    //
                    // Rejected: `swap_remove` is O(1) but moves the *last*
                    // generator into slot `i`, which reorders the list, so
                    // the transcript would stop being "list order". And
                    // `Vec::retain_mut` would be just as correct (it visits
                    // each element once, in order); the index walk is kept
                    // because it shows the one-line difference from the bug.
                    live.remove(i);
                }
            }
        }
    }
}

/// The seed's `loop(generators)`, bug included: after removing a finished
/// generator it still moves on to the next index, so the generator right
/// after a finished one loses its turn for that pass.
///
/// Kept only to demonstrate the bug next to [`round_robin`]; do not use it.
/// Every value still comes out (a skipped generator gets its turn on the next
/// pass), but in a different, unfair order.
pub fn buggy_round_robin<Y, R>(
    mut generators: Vec<BoxGenerator<Y, R>>,
    mut on_event: impl FnMut(Event<Y, R>),
) {
    // `enumerate` yields positions in the *current* list. To report stable ids
    // we carry them alongside, exactly as `round_robin` does.
    let mut ids: Vec<usize> = (0..generators.len()).collect();
    while !generators.is_empty() {
        // `for i, g in enumerate(generators)`: a list iterator is an index that
        // goes up by one each turn and stops when it reaches the length.
        let mut i = 0;
        while i < generators.len() {
            match generators[i].resume() {
                GeneratorState::Yielded(value) => on_event(Event::Yielded { id: ids[i], value }),
                GeneratorState::Complete(value) => {
                    on_event(Event::Completed { id: ids[i], value });
                    // `del generators[i]`
                    generators.remove(i);
                    ids.remove(i);
                }
            }
            // THE BUG: the index advances even after a removal.
            i += 1;
        }
    }
}

/// Runs countdowns of the given lengths under the seed's loop (`seed_loop`)
/// or the fixed one, and writes what happened on one line: `id:value` for a
/// yield, `id!` for a completion. With `[0, 0, 1]` the seed's loop skips
/// generator 1 on the pass where generator 0 is removed.
pub fn countdown_transcript(seed_loop: bool, lengths: &[u64]) -> String {
    let mut out = Vec::new();
    let record = |event| {
        out.push(match event {
            Event::Yielded { id, value } => format!("{id}:{value}"),
            Event::Completed { id, .. } => format!("{id}!"),
        })
    };
    if seed_loop {
        buggy_round_robin(countdowns(lengths), record);
    } else {
        round_robin(countdowns(lengths), record);
    }
    out.join(" ")
}

/// Boxed countdowns of the given lengths, ready for a loop.
fn countdowns(lengths: &[u64]) -> Vec<BoxGenerator<u64, &'static str>> {
    lengths.iter().map(|&n| Box::new(Countdown::new(n)) as BoxGenerator<u64, &'static str>).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transcript(seed_loop: bool, lengths: &[u64]) -> String {
        countdown_transcript(seed_loop, lengths)
    }

    #[test]
    fn interleaves_one_step_each_in_list_order() {
        assert_eq!(transcript(false, &[2, 1, 3]), "0:2 1:1 2:3 0:1 1! 2:2 0! 2:1 2!");
    }

    #[test]
    fn the_generator_after_a_finished_one_keeps_its_turn() {
        // a and b are empty, c has one item: the fixed loop resumes all three
        // in the first pass.
        assert_eq!(transcript(false, &[0, 0, 1]), "0! 1! 2:1 2!");
    }

    #[test]
    fn the_seed_loop_skips_the_generator_after_a_finished_one() {
        // Same input as above. Checked against CPython running the seed's
        // loop: after `del generators[0]`, b sits at index 0 but the `for`
        // goes on at index 1, which is now c. b waits a whole pass.
        assert_eq!(transcript(true, &[0, 0, 1]), "0! 2:1 1! 2!");
        // And [a: 1, b: 2, c: 2]: the second pass resumes c but not b.
        assert_eq!(transcript(true, &[1, 2, 2]), "0:1 1:2 2:2 0! 2:1 1:1 2! 1!");
        assert_eq!(transcript(false, &[1, 2, 2]), "0:1 1:2 2:2 0! 1:1 2:1 1! 2!");
    }

    #[test]
    fn return_values_reach_the_observer() {
        let mut returns = Vec::new();
        round_robin(countdowns(&[1, 0]), |event| {
            if let Event::Completed { id, value } = event {
                returns.push((id, value));
            }
        });
        assert_eq!(returns, vec![(1, "liftoff"), (0, "liftoff")]);
    }

    #[test]
    fn an_empty_list_returns_at_once() {
        let mut events = 0;
        round_robin(countdowns(&[]), |_| events += 1);
        assert_eq!(events, 0);
    }
}
