//! The floor: what "queue a callback, run it" costs with no runtime at all —
//! a boxed `dyn FnMut` pushed onto a `VecDeque` and popped and called at once.
//! The same code as `examples/bench.rs`, so the two floors agree.

use std::collections::VecDeque;
use std::time::Instant;

/// ns per boxed-closure call through a queue.
pub fn floor(n: u64) -> f64 {
    let mut queue: VecDeque<Box<dyn FnMut() -> u64>> = VecDeque::with_capacity(1024);
    let mut total = 0u64;
    let start = Instant::now();
    for i in 0..n {
        queue.push_back(Box::new(move || i ^ 0x5a));
        let mut f = queue.pop_front().unwrap();
        total = total.wrapping_add(f());
    }
    std::hint::black_box(total);
    start.elapsed().as_nanos() as f64 / n as f64
}
