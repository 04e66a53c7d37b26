//! # gather_results — seed 002's four operations, gathered: results in argument order, 7 s
//!
//! ```python
//! async def addition(a, b):       await asyncio.sleep(3); return "Addition", a + b
//! async def multiplication(a, b): await asyncio.sleep(1); return "Multiplication", a * b
//! async def division(a, b):       await asyncio.sleep(5); return "Division", a / b
//! async def subtraction(a, b):    await asyncio.sleep(7); return "Subtraction", a - b
//!
//! async def main():
//!     corrs_result = await asyncio.gather(division(10,20), subtraction(10,20),
//!                                         addition(10,20), multiplication(10,20))
//!     for task, result in corrs_result:
//!         print("{} : {}".format(task, result))
//!
//! start = time.time()
//! await main()
//! print("\nTotal Time Taken : {} Seconds".format(time.time() - start))
//! ```
//! **Watch for:** the four finish in order of their sleeps — multiplication
//! at 1 s, addition at 3 s, division at 5 s, subtraction at 7 s — yet the
//! results come back in the order they were *passed*: Division, Subtraction,
//! Addition, Multiplication. `gather` hands back a list, not a stream of
//! completions (for that, see `as_completed`). And all four sleep at once, so
//! the whole thing takes the longest sleep, 7 s, not 16 s (compare
//! `arithmetic`, where they are awaited one by one). The seed's Start/End
//! wall-clock datetimes are left out: only the time taken is printed.
//!
//! Run: `cargo run --example gather_results`, or
//! `cargo run --example gather_results -- --virtual` for instant time
//! (`-- --async` for the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::stage5_combinators::Gather;
use rondo::{BoxCoroutine, Context, Coroutine, CoroutineExt, Poll, Transcript, from_future, gather, sleep};
use std::time::Duration;

/// What each operation returns: `("Division", 0.5)`, the value already
/// formatted as Python's `str()` would print it.
type Named = (&'static str, String);

/// Each operation is a different coroutine type (each `map` has its own
/// closure); `gather` takes one `Vec`, so they are boxed to one type, as a
/// Python list holds any awaitables.
type Operation = BoxCoroutine<'static, Named>;

fn addition(a: i64, b: i64) -> Operation {
    sleep(Duration::from_secs(3)).map(move |()| ("Addition", (a + b).to_string())).boxed()
}

fn multiplication(a: i64, b: i64) -> Operation {
    sleep(Duration::from_secs(1)).map(move |()| ("Multiplication", (a * b).to_string())).boxed()
}

fn division(a: i64, b: i64) -> Operation {
    // `/` on two ints gives a float in Python.
    sleep(Duration::from_secs(5)).map(move |()| ("Division", python_float(a as f64 / b as f64))).boxed()
}

fn subtraction(a: i64, b: i64) -> Operation {
    sleep(Duration::from_secs(7)).map(move |()| ("Subtraction", (a - b).to_string())).boxed()
}

/// A float as Python prints everyday values: `0.5`, and `2.0` where Rust would print `2`.
fn python_float(x: f64) -> String {
    if x.fract() == 0.0 && x.is_finite() { format!("{x:.1}") } else { x.to_string() }
}

/// ```text
/// async def main():
///     corrs_result = await asyncio.gather(division(10,20), subtraction(10,20),
///                                         addition(10,20), multiplication(10,20))
///     for task, result in corrs_result:
///         print("{} : {}".format(task, result))
/// ```
struct Main {
    out: Transcript,
    state: MainState,
}

enum MainState {
    Start,
    Gathering(Gather<Named>),
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    // They become tasks in this order when the gather is first polled.
                    let all = gather(vec![
                        division(10, 20),
                        subtraction(10, 20),
                        addition(10, 20),
                        multiplication(10, 20),
                    ]);
                    self.state = MainState::Gathering(all);
                }
                MainState::Gathering(all) => {
                    let Poll::Ready(results) = all.poll(cx) else { return Poll::Pending };
                    for (task, result) in results.expect("no operation fails") {
                        self.out.say(format!("{task} : {result}"));
                    }
                    self.state = MainState::Done;
                    return Poll::Ready(());
                }
                MainState::Done => panic!("main() polled after it completed"),
            }
        }
    }
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    run_main(Main { out: out.clone(), state: MainState::Start }, virtual_clock, out);
}

/// `asyncio.run(main())`, then the time it took.
fn run_main<C: Coroutine<Output = ()> + 'static>(main: C, virtual_clock: bool, out: &Transcript) {
    let took = common::run_main(virtual_clock, main).took;
    out.say(format!("Total Time Taken : {:.2} Seconds", took.as_secs_f64()));
}

/// `addition(a, b)` as an `async fn`: the `addition` chain above (`sleep` then `map`).
async fn addition_async(a: i64, b: i64) -> Named {
    sleep(Duration::from_secs(3)).await;
    ("Addition", (a + b).to_string())
}

/// `multiplication(a, b)` as an `async fn`: the `multiplication` chain above.
async fn multiplication_async(a: i64, b: i64) -> Named {
    sleep(Duration::from_secs(1)).await;
    ("Multiplication", (a * b).to_string())
}

/// `division(a, b)` as an `async fn`: the `division` chain above.
async fn division_async(a: i64, b: i64) -> Named {
    sleep(Duration::from_secs(5)).await;
    ("Division", python_float(a as f64 / b as f64))
}

/// `subtraction(a, b)` as an `async fn`: the `subtraction` chain above.
async fn subtraction_async(a: i64, b: i64) -> Named {
    sleep(Duration::from_secs(7)).await;
    ("Subtraction", (a - b).to_string())
}

/// `main()` as an `async fn`: the `Main` machine above. Every `async fn`
/// is its own type, so the four are boxed into one list, as in `Main`.
async fn main_async(out: Transcript) {
    let corrs_result = gather(vec![
        from_future(division_async(10, 20)).boxed(),
        from_future(subtraction_async(10, 20)).boxed(),
        from_future(addition_async(10, 20)).boxed(),
        from_future(multiplication_async(10, 20)).boxed(),
    ])
    .await;
    for (task, result) in corrs_result.expect("no operation fails") {
        out.say(format!("{task} : {result}"));
    }
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    run_main(from_future(main_async(out.clone())), virtual_clock, out);
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
