//! # highest_prime — seed 000's `highest_prime_below`: plain, with `asyncio.sleep`, with `time.sleep`
//!
//! ```python
//! def highest_prime_below(x):                 # 1. a plain function, no loop
//!     print(f'▶ Highest prime below {x}')
//!     for y in range(x-1, 0, -1):
//!         if is_prime(y):
//!             print(f'▷ Highest prime below {x} is {y}')
//!             return y
//!         time.sleep(0.0001)
//!     return None
//!
//! async def highest_prime_below(x):           # 2. ...await asyncio.sleep(0.01) instead
//! async def highest_prime_below(x):           # 3. ...time.sleep(0.01) in a coroutine
//!
//! async def main():
//!     t0 = time.time()
//!     await asyncio.wait([highest_prime_below(100000),
//!                         highest_prime_below(10000),
//!                         highest_prime_below(1000)])
//!     t1 = time.time()
//!     print(f'Took {1000*(t1-t0):.2f} ms')
//! ```
//! **Watch for:** in 2 the three searches interleave: all three "▶" first,
//! then the "▷"s in order of how many candidates each had to reject (2, 8,
//! 26, a sleep each), and the whole run takes the longest one, 260 ms. In 3
//! the *same coroutines*, spawned the same way, run one after the other —
//! `time.sleep` never gives the loop back — and take the sum, 360 ms. The
//! stage-6 slow-step detector then names the task that held the loop for
//! 260 ms in one step (the 80 ms and 20 ms steps of the other two blocked the
//! loop too, but stay under its 100 ms threshold).
//!
//! Two differences from the notebook, both on purpose: `asyncio.wait` on a
//! *set* of coroutines starts them in an arbitrary order (the seed's three
//! runs print three different orders; Python 3.11 no longer accepts bare
//! coroutines there at all), so `main` here uses `gather`, which starts them
//! in argument order. And "Took" is measured on the loop's clock, so under
//! `--virtual` it is exact.
//!
//! Run: `cargo run --example highest_prime` (`-- --virtual` for instant time,
//! `-- --async` for the same program as `async fn`s — stage 9; the
//! slow-step detector also prints its own report, with the spawn site, on
//! stderr).

#[path = "common/mod.rs"]
mod common;

use rondo::stage5_combinators::Gather;
use rondo::{
    Context, Coroutine, EventLoop, Poll, Sleep, Task, Transcript, blocking_sleep, from_future, gather_tasks,
    sleep, spawn_named,
};
use std::time::Duration;

/// Trial division up to √x. The seed tries every divisor below x; this
/// gives the same answers, just without making the demo about CPU time.
fn is_prime(x: u64) -> bool {
    if x < 2 {
        return false;
    }
    (2..).take_while(|d| d * d <= x).all(|d| !x.is_multiple_of(d))
}

/// 1. The plain function: no loop, no coroutine; `time.sleep` is harmless
///    here because there is nobody else to run.
fn highest_prime_below_sync(x: u64, out: &Transcript) -> Option<u64> {
    out.say(format!("▶ Highest prime below {x}"));
    for y in (1..x).rev() {
        if is_prime(y) {
            out.say(format!("▷ Highest prime below {x} is {y}"));
            return Some(y);
        }
        blocking_sleep(Duration::from_micros(100)); // outside a loop: a real thread sleep
    }
    None
}

/// How the coroutine waits after each rejected candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Nap {
    /// `await asyncio.sleep(0.01)`: suspends; the loop runs the others meanwhile.
    Yielding,
    /// `time.sleep(0.01)`: holds the thread, and with it the whole loop.
    Blocking,
}

const NAP: Duration = Duration::from_millis(10);

/// ```text
/// async def highest_prime_below(x):
///     print(f'▶ Highest prime below {x}')
///     for y in range(x-1, 0, -1):
///         if is_prime(y):
///             print(f'▷ Highest prime below {x} is {y}')
///             return y
///         await asyncio.sleep(0.01)       # Nap::Yielding
///         time.sleep(0.01)                # Nap::Blocking
///     return None
/// ```
struct HighestPrimeBelow {
    x: u64,
    nap: Nap,
    out: Transcript,
    state: SearchState,
}

enum SearchState {
    Start,
    /// About to test candidate `y` (and the ones below it).
    Testing(u64),
    /// Rejected a candidate; `y` is the next one, tested after the sleep.
    Sleeping(Sleep, u64),
    Done,
}

fn highest_prime_below(x: u64, nap: Nap, out: &Transcript) -> HighestPrimeBelow {
    HighestPrimeBelow { x, nap, out: out.clone(), state: SearchState::Start }
}

impl Coroutine for HighestPrimeBelow {
    type Output = Option<u64>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<u64>> {
        let x = self.x;
        loop {
            match &mut self.state {
                SearchState::Start => {
                    self.out.say(format!("▶ Highest prime below {x}"));
                    self.state = SearchState::Testing(x - 1);
                }
                SearchState::Testing(0) => {
                    self.state = SearchState::Done;
                    return Poll::Ready(None); // range(x-1, 0, -1) ran out
                }
                SearchState::Testing(y) => {
                    let y = *y;
                    if is_prime(y) {
                        self.out.say(format!("▷ Highest prime below {x} is {y}"));
                        self.state = SearchState::Done;
                        return Poll::Ready(Some(y));
                    }
                    match self.nap {
                        // The one line that differs: suspend, or block.
                        Nap::Yielding => self.state = SearchState::Sleeping(sleep(NAP), y - 1),
                        Nap::Blocking => {
                            blocking_sleep(NAP); // no Pending: this step goes on
                            self.state = SearchState::Testing(y - 1);
                        }
                    }
                }
                SearchState::Sleeping(nap, next) => {
                    let next = *next;
                    if nap.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.state = SearchState::Testing(next);
                }
                SearchState::Done => panic!("highest_prime_below() polled after it completed"),
            }
        }
    }
}

/// The three searches, in the order `main` names them.
const XS: [u64; 3] = [100_000, 10_000, 1_000];

/// ```text
/// async def main():
///     t0 = loop.time()
///     await asyncio.gather(*(asyncio.create_task(highest_prime_below(x),
///                                                name=f"highest_prime_below({x})")
///                            for x in (100000, 10000, 1000)))
///     t1 = loop.time()
///     print(f'Took {1000*(t1-t0):.2f} ms')
/// ```
/// The tasks are named so the slow-step report can say which search blocked.
struct Main {
    nap: Nap,
    out: Transcript,
    state: MainState,
}

enum MainState {
    Start,
    /// Waiting for all three; `t0` is the loop time when we started.
    Gathering {
        t0: Duration,
        all: Gather<Option<u64>>,
    },
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    let t0 = rondo::now();
                    let tasks: Vec<Task<Option<u64>>> = XS
                        .iter()
                        .map(|&x| {
                            let name = format!("highest_prime_below({x})");
                            spawn_named(&name, highest_prime_below(x, self.nap, &self.out))
                        })
                        .collect();
                    self.state = MainState::Gathering { t0, all: gather_tasks(tasks) };
                }
                MainState::Gathering { t0, all } => {
                    let Poll::Ready(primes) = all.poll(cx) else { return Poll::Pending };
                    let primes = primes.expect("every search finishes");
                    assert_eq!(primes, [Some(99_991), Some(9_973), Some(997)]); // argument order
                    let took = rondo::now() - *t0;
                    self.out.say(format!("Took {:.2} ms", took.as_secs_f64() * 1000.0));
                    self.state = MainState::Done;
                    return Poll::Ready(());
                }
                MainState::Done => panic!("main() polled after it completed"),
            }
        }
    }
}

/// Runs `main` with asyncio.run semantics on a fresh loop; returns the loop,
/// so its slow-step reports can be read.
fn run_main<C: Coroutine<Output = ()> + 'static>(main: C, virtual_clock: bool) -> EventLoop {
    let ev = common::event_loop(virtual_clock);
    ev.run_until_complete(main).expect("main completes");
    ev.cancel_all(); // nothing is left: all three searches were awaited
    ev
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    run_parts(virtual_clock, out, |nap| Main { nap, out: out.clone(), state: MainState::Start });
}

/// The three parts; `main(nap)` makes part 2's and part 3's `main()`.
fn run_parts<C, M>(virtual_clock: bool, out: &Transcript, main: M)
where
    C: Coroutine<Output = ()> + 'static,
    M: Fn(Nap) -> C,
{
    out.say("--- 1. a plain function, called three times (no event loop)");
    for x in XS {
        highest_prime_below_sync(x, out);
    }

    out.say("--- 2. async, with await asyncio.sleep(0.01): the three interleave");
    let ev = run_main(main(Nap::Yielding), virtual_clock);
    report_slow_steps(&ev, out); // none: every step is short

    out.say("--- 3. async, with time.sleep(0.01): one after the other");
    let ev = run_main(main(Nap::Blocking), virtual_clock);
    report_slow_steps(&ev, out);
}

/// One line per step that held the loop too long (stage 6's detector).
fn report_slow_steps(ev: &EventLoop, out: &Transcript) {
    for slow in ev.slow_steps() {
        out.say(format!(
            "slow step: task '{}' held the loop for {:.3} s at t={:.3}",
            slow.task.name,
            slow.held.as_secs_f64(),
            slow.at.as_secs_f64()
        ));
    }
}

/// `highest_prime_below(x)` as an `async fn`: the `HighestPrimeBelow`
/// machine above, written by the compiler — the `for` loop stays a `for` loop.
async fn highest_prime_below_async(x: u64, nap: Nap, out: Transcript) -> Option<u64> {
    out.say(format!("▶ Highest prime below {x}"));
    for y in (1..x).rev() {
        if is_prime(y) {
            out.say(format!("▷ Highest prime below {x} is {y}"));
            return Some(y);
        }
        match nap {
            // The one line that differs: suspend, or block.
            Nap::Yielding => sleep(NAP).await,
            Nap::Blocking => blocking_sleep(NAP), // no `.await`: this step goes on
        }
    }
    None
}

/// `main()` as an `async fn`: the `Main` machine above. The tasks are named
/// so the slow-step report can say which search blocked.
async fn main_async(nap: Nap, out: Transcript) {
    let t0 = rondo::now();
    let tasks = XS
        .iter()
        .map(|&x| {
            let name = format!("highest_prime_below({x})");
            spawn_named(&name, from_future(highest_prime_below_async(x, nap, out.clone())))
        })
        .collect();
    let primes = gather_tasks(tasks).await.expect("every search finishes");
    assert_eq!(primes, [Some(99_991), Some(9_973), Some(997)]); // argument order
    let took = rondo::now() - t0;
    out.say(format!("Took {:.2} ms", took.as_secs_f64() * 1000.0));
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    run_parts(virtual_clock, out, |nap| from_future(main_async(nap, out.clone())));
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
