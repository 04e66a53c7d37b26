//! # arithmetic — seed 002's four operations: awaited one by one (16 s) vs as tasks (7 s)
//!
//! ```python
//! async def addition(a, b):       await asyncio.sleep(3); print("Addition Result : ", a + b)
//! async def multiplication(a, b): await asyncio.sleep(1); print("Multiplication Result : ", a * b)
//! async def division(a, b):       await asyncio.sleep(5); print("Division Result : ", a / b)
//! async def subtraction(a, b):    await asyncio.sleep(7); print("Subtraction Result : ", a - b)
//!
//! async def main():   # first: await each coroutine in turn
//!     await division(10, 20); await subtraction(10, 20)
//!     await addition(10, 20); await multiplication(10, 20)
//!
//! async def main():   # then: create all four tasks first, then await them
//!     div_task = asyncio.create_task(division(10, 20)); ...
//!     await div_task; await subtract_task; await add_task; await mul_task
//! ```
//! **Watch for:** awaited in turn, the results come in the order written and
//! the sleeps add up: 5 + 7 + 3 + 1 = 16 s. As tasks, all four sleep at once,
//! so the results come in order of their sleeps (1, 3, 5, 7 s) and the whole
//! run takes the longest one, 7 s — even though `main` awaits them in a
//! different order.
//!
//! Run: `cargo run --example arithmetic`, or
//! `cargo run --example arithmetic -- --virtual` for instant time
//! (`-- --async` for the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::{Context, Coroutine, Poll, Sleep, Task, Transcript, from_future, sleep, spawn, spawn_named};
use std::collections::VecDeque;
use std::time::Duration;

/// One of the four operations.
#[derive(Clone, Copy, Debug)]
pub enum Operation {
    Addition,
    Multiplication,
    Division,
    Subtraction,
}

impl Operation {
    pub fn name(self) -> &'static str {
        match self {
            Operation::Addition => "Addition",
            Operation::Multiplication => "Multiplication",
            Operation::Division => "Division",
            Operation::Subtraction => "Subtraction",
        }
    }

    fn delay(self) -> Duration {
        Duration::from_secs(match self {
            Operation::Addition => 3,
            Operation::Multiplication => 1,
            Operation::Division => 5,
            Operation::Subtraction => 7,
        })
    }

    /// The result as Python prints it: `/` gives a float, the others ints.
    pub fn apply(self, a: i64, b: i64) -> String {
        match self {
            Operation::Addition => (a + b).to_string(),
            Operation::Multiplication => (a * b).to_string(),
            Operation::Division => (a as f64 / b as f64).to_string(),
            Operation::Subtraction => (a - b).to_string(),
        }
    }
}

/// `async def operation(a, b): await asyncio.sleep(delay); print(...); return result`
pub struct Arith {
    op: Operation,
    a: i64,
    b: i64,
    out: Transcript,
    state: ArithState,
}

enum ArithState {
    Start,
    Sleeping(Sleep),
    Done,
}

pub fn arith(op: Operation, a: i64, b: i64, out: &Transcript) -> Arith {
    Arith { op, a, b, out: out.clone(), state: ArithState::Start }
}

impl Coroutine for Arith {
    type Output = String;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<String> {
        loop {
            match &mut self.state {
                ArithState::Start => self.state = ArithState::Sleeping(sleep(self.op.delay())),
                ArithState::Sleeping(nap) => {
                    if nap.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let result = self.op.apply(self.a, self.b);
                    // print("X Result : ", value) puts a space after each argument.
                    self.out.say(format!("{} Result :  {}", self.op.name(), result));
                    self.state = ArithState::Done;
                    return Poll::Ready(result);
                }
                ArithState::Done => panic!("{}() polled after it completed", self.op.name()),
            }
        }
    }
}

/// The order `main` writes them in.
const ORDER: [Operation; 4] =
    [Operation::Division, Operation::Subtraction, Operation::Addition, Operation::Multiplication];

/// First `main`: await each coroutine in turn (no tasks: nothing overlaps).
struct Sequential {
    queue: VecDeque<Arith>,
}

impl Coroutine for Sequential {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while let Some(current) = self.queue.front_mut() {
            if current.poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.queue.pop_front(); // finished: never polled again
        }
        Poll::Ready(())
    }
}

/// Second `main`: spawn all four first, then await them in the written order.
struct AsTasks {
    out: Transcript,
    tasks: Option<VecDeque<Task<String>>>,
}

impl Coroutine for AsTasks {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let out = &self.out;
        let tasks = self.tasks.get_or_insert_with(|| {
            ORDER
                .iter()
                .map(|&op| {
                    // create_task(subtraction(10, 20), name="Subtraction") in the seed
                    let name = if matches!(op, Operation::Subtraction) { "Subtraction" } else { "" };
                    if name.is_empty() {
                        spawn(arith(op, 10, 20, out))
                    } else {
                        spawn_named(name, arith(op, 10, 20, out))
                    }
                })
                .collect()
        });
        while let Some(task) = tasks.front_mut() {
            match task.poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => {
                    result.expect("operation finishes");
                    tasks.pop_front();
                }
            }
        }
        Poll::Ready(())
    }
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    out.say("--- awaited one by one");
    let took = run_main(
        Sequential { queue: ORDER.iter().map(|&op| arith(op, 10, 20, out)).collect() },
        virtual_clock,
    );
    out.say(format!("Total Time Taken : {:.2} Seconds", took.as_secs_f64()));
    out.say("--- as tasks");
    let took = run_main(AsTasks { out: out.clone(), tasks: None }, virtual_clock);
    out.say(format!("Total Time Taken : {:.2} Seconds", took.as_secs_f64()));
}

/// Runs `main` with asyncio.run semantics; returns the loop time it took.
fn run_main<C: Coroutine<Output = ()> + 'static>(main: C, virtual_clock: bool) -> Duration {
    common::run_main(virtual_clock, main).took
}

/// `async def addition(a, b)` and the other three, as one `async fn`: the
/// `Arith` machine above, written by the compiler.
async fn arith_async(op: Operation, a: i64, b: i64, out: Transcript) -> String {
    sleep(op.delay()).await;
    let result = op.apply(a, b);
    out.say(format!("{} Result :  {}", op.name(), result));
    result
}

/// The first `main` as an `async fn`: the `Sequential` machine. Each
/// operation runs inside main's own task, to its end, before the next.
async fn sequential_async(out: Transcript) {
    arith_async(Operation::Division, 10, 20, out.clone()).await;
    arith_async(Operation::Subtraction, 10, 20, out.clone()).await;
    arith_async(Operation::Addition, 10, 20, out.clone()).await;
    arith_async(Operation::Multiplication, 10, 20, out.clone()).await;
}

/// The second `main` as an `async fn`: the `AsTasks` machine. All four
/// tasks are created first, then awaited in the written order.
async fn as_tasks_async(out: Transcript) {
    let div_task = spawn(from_future(arith_async(Operation::Division, 10, 20, out.clone())));
    let subtract_task =
        spawn_named("Subtraction", from_future(arith_async(Operation::Subtraction, 10, 20, out.clone())));
    let add_task = spawn(from_future(arith_async(Operation::Addition, 10, 20, out.clone())));
    let mul_task = spawn(from_future(arith_async(Operation::Multiplication, 10, 20, out.clone())));
    for task in [div_task, subtract_task, add_task, mul_task] {
        task.await.expect("operation finishes");
    }
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    out.say("--- awaited one by one");
    let took = run_main(from_future(sequential_async(out.clone())), virtual_clock);
    out.say(format!("Total Time Taken : {:.2} Seconds", took.as_secs_f64()));
    out.say("--- as tasks");
    let took = run_main(from_future(as_tasks_async(out.clone())), virtual_clock);
    out.say(format!("Total Time Taken : {:.2} Seconds", took.as_secs_f64()));
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
