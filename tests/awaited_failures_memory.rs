//! The unobserved-failure log must not keep failures that were observed.
//!
//! A panicked task is kept by the loop in case nobody awaits it (to report
//! it when the loop is dropped). Once an awaiter has taken its error there is
//! nothing to report, and keeping it anyway held every awaited panic until
//! the loop was dropped: a million awaited panics kept 125 MB. Memory is
//! counted by this binary's own allocator — this thread's live bytes — not
//! read from the process's resident set.

use rondo::{EventLoop, TaskError, poll_fn};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts the live bytes allocated by each thread.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // `try_with`: during thread teardown the counter may be gone.
    let _ = LIVE.try_with(|live| live.set(live.get() + delta));
}

// Safety: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // Safety: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // Safety: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

#[test]
fn awaited_panics_are_not_kept_by_the_loop() {
    let n = 20_000;
    let ev = EventLoop::new_virtual(); // (installs rondo's panic hook, which this replaces)
    // Silence the 40,000 panic reports (and restore the hook after).
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    // Each child becomes a task that panics; the gather awaits every one.
    let run = |ev: &EventLoop| {
        let children: Vec<_> =
            (0..n).map(|i| poll_fn(move |_| -> rondo::Poll<()> { panic!("failure {i}") })).collect();
        let outcomes = ev.run_until_complete(rondo::gather_settled(children)).unwrap();
        assert_eq!(outcomes.len(), n);
        assert!(outcomes.iter().all(|o| matches!(o, Err(TaskError::Panicked(_)))));
        // Every error was taken by its awaiter, and is dropped here.
    };
    // The first run grows the loop's tables and queues to this size; they
    // keep their capacity. The second must leave nothing more behind.
    run(&ev);
    let before = live();
    run(&ev);
    let kept_per_task = (live() - before) / n as isize;
    std::panic::set_hook(hook);
    assert!(kept_per_task < 24, "the loop keeps {kept_per_task} bytes per awaited failure");
    assert!(ev.take_unobserved_failures().is_empty());
}
