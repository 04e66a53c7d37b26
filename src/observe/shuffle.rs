//! Seeded schedule perturbation: shake the order of what is ready together.
//!
//! asyncio runs the handles of one iteration in FIFO order, and so does
//! rondo — which hides bugs: code that only works because task A happens to
//! be queued before task B. `RONDO_SHUFFLE=<seed>` (or
//! [`EventLoop::shuffle`](crate::EventLoop::shuffle)) reorders the handles
//! that are ready in the same iteration, deterministically from the seed:
//! every handle still runs in its iteration, only their order changes. The
//! same seed replays the same schedule, so a failure found under some seed
//! can be reproduced and debugged. (trio keeps such a switch behind a
//! private flag; the other runtimes have none.)

use crate::EventLoop;

impl EventLoop {
    /// Runs the runnables of each iteration in an order shuffled from `seed`
    /// instead of FIFO (`RONDO_SHUFFLE`). The same seed gives the same schedule.
    pub fn shuffle(&self, seed: u64) {
        let mut shuffler = Shuffler::new(seed);
        self.core().set_reorder(Box::new(move |runnables| shuffler.shuffle(runnables)));
    }
}

/// A small, fast, seedable generator (SplitMix64): good enough to shuffle.
#[derive(Clone, Debug)]
pub(crate) struct Shuffler {
    state: u64,
}

impl Shuffler {
    pub(crate) fn new(seed: u64) -> Shuffler {
        Shuffler { state: seed }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Fisher–Yates over `items`.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// The seed from `RONDO_SHUFFLE`, if set to one: a whole number (`0` is a
/// seed like any other); `off`/`false` or empty mean no shuffle; anything
/// else is warned about (once) and means no shuffle.
pub(crate) fn seed_from_env() -> Option<u64> {
    seed_from(&std::env::var("RONDO_SHUFFLE").ok()?)
}

fn seed_from(value: &str) -> Option<u64> {
    if let Ok(seed) = value.trim().parse() {
        return Some(seed);
    }
    if !matches!(value.trim().to_ascii_lowercase().as_str(), "" | "off" | "false") {
        super::warn_once(
            "RONDO_SHUFFLE",
            value,
            "a seed (a whole number, e.g. 42), or off/false/empty (no shuffle)",
            "not shuffling",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_order_and_every_item_survives() {
        let order = |seed| {
            let mut items: Vec<u32> = (0..20).collect();
            Shuffler::new(seed).shuffle(&mut items);
            items
        };
        assert_eq!(order(7), order(7));
        assert_ne!(order(7), order(8));
        let mut sorted = order(7);
        sorted.sort();
        assert_eq!(sorted, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn a_seed_is_a_whole_number_and_off_or_empty_is_no_shuffle() {
        assert_eq!(seed_from("42"), Some(42));
        assert_eq!(seed_from(" 0 "), Some(0));
        assert_eq!(seed_from(""), None);
        assert_eq!(seed_from("off"), None);
        assert_eq!(seed_from("yes"), None); // (and a warning on stderr)
    }
}
