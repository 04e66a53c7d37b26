//! # current_task — seed 002's four named tasks: who is running, and who is still alive
//!
//! ```python
//! async def division(a, b):
//!     curr_task = asyncio.current_task()           # the Task running this coroutine
//!     print(f"{curr_task.get_name()} Started")
//!     await asyncio.sleep(5)
//!     return a / b
//! # subtraction sleeps 7 s, addition 3 s, multiplication 1 s
//!
//! async def main():
//!     div_task = asyncio.create_task(division(10, 20), name="Division")
//!     subtract_task = asyncio.create_task(subtraction(10, 20), name="Subtraction")
//!     add_task = asyncio.create_task(addition(10, 20), name="Addition")
//!     mul_task = asyncio.create_task(multiplication(10, 20), name="Multiplication")
//!     total_tasks = asyncio.all_tasks()            # main is a task too: Task-1
//!     print(f"Total Tasks ({len(total_tasks)}) : {sorted(t.get_name() for t in total_tasks)}")
//!     await div_task; await subtract_task; await add_task; await mul_task
//!     total_tasks = asyncio.all_tasks()
//!     print(f"Total Tasks ({len(total_tasks)}) : {sorted(t.get_name() for t in total_tasks)}")
//!     print("Addition Result : ", add_task.result())
//!     ...                                          # then Multiplication, Division, Subtraction
//! ```
//! The seed's own listing has three slips, fixed here: its `print` calls
//! format a `task` that does not exist (we print the current task's name);
//! its `"Total Tasks (1) : {}"` has the count fixed at 1 and no place for the
//! names (we print the real count and the names); and its result lines pair
//! each label with another task's result (`"Addition Result : ",
//! mul_task.result()`): here every label gets its own task's result. The results are the plain numbers the coroutines return
//! (the seed's printed `('Addition', 30)` tuples came from an earlier cell).
//! The start/end wall-clock times are left out: only the elapsed time is said.
//!
//! **Watch for:** `all_tasks()` counts 5 — the four operations *and* `main`,
//! which asyncio numbers `Task-1` (rondo numbers tasks per loop, asyncio per
//! process: that is why the seed, run in a busy notebook, saw `Task-13`).
//! The names are sorted because asyncio returns a set. Each operation learns
//! its own name from `current_task()` — the loop knows which task it is
//! stepping. After the four awaits only `main` is left, and the whole run
//! takes 7 s, the longest sleep. In rondo a task's output is *moved out* by
//! awaiting it (there is no `task.result()` to call later), so `main` keeps
//! the awaited outputs and prints them at the end.
//!
//! Run: `cargo run --example current_task` (`-- --virtual` for instant
//! time, `-- --stamps` to see the loop time of every line, `-- --async` for
//! the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::{
    Context, Coroutine, CoroutineExt, Poll, Task, Transcript, all_tasks, current_task, from_future, lazy,
    sleep, spawn_named,
};
use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

/// One of the four operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operation {
    Division,
    Subtraction,
    Addition,
    Multiplication,
}

/// A result as Python prints it: `/` gives a float, the others ints.
#[derive(Clone, Copy, Debug)]
enum Number {
    Int(i64),
    Float(f64),
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Number::Int(n) => write!(f, "{n}"),
            // Python writes a whole float as `2.0`; Rust's `{}` would say `2`.
            Number::Float(x) if x.fract() == 0.0 => write!(f, "{x:.1}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Division => "Division",
            Operation::Subtraction => "Subtraction",
            Operation::Addition => "Addition",
            Operation::Multiplication => "Multiplication",
        }
    }

    fn delay(self) -> Duration {
        Duration::from_secs(match self {
            Operation::Division => 5,
            Operation::Subtraction => 7,
            Operation::Addition => 3,
            Operation::Multiplication => 1,
        })
    }

    fn apply(self, a: i64, b: i64) -> Number {
        match self {
            Operation::Division => Number::Float(a as f64 / b as f64),
            Operation::Subtraction => Number::Int(a - b),
            Operation::Addition => Number::Int(a + b),
            Operation::Multiplication => Number::Int(a * b),
        }
    }
}

/// ```text
/// async def operation(a, b):
///     print(f"{asyncio.current_task().get_name()} Started")
///     await asyncio.sleep(delay)
///     return a <op> b
/// ```
/// Three steps in a row, so stage 5's chaining says it in three lines:
/// `lazy` runs its closure at the first poll — when the *task* first runs,
/// not when the chain is built — so `current_task()` sees the right task.
fn operation(op: Operation, a: i64, b: i64, out: &Transcript) -> impl Coroutine<Output = Number> + use<> {
    let out = out.clone();
    lazy(move || {
        let me = current_task().expect("an operation runs as a task");
        out.say(format!("{} Started", me.name));
    })
    .then(move |()| sleep(op.delay()))
    .map(move |()| op.apply(a, b))
}

/// The order `main` creates (and awaits) the tasks in.
const CREATED: [Operation; 4] =
    [Operation::Division, Operation::Subtraction, Operation::Addition, Operation::Multiplication];

/// The order the seed prints the results in.
const PRINTED: [Operation; 4] =
    [Operation::Addition, Operation::Multiplication, Operation::Division, Operation::Subtraction];

/// `print(f"Total Tasks ({len(total_tasks)}) : {sorted(names)}")`, with
/// the names sorted and quoted as Python prints a list of strings.
fn say_total_tasks(out: &Transcript) {
    let mut names: Vec<String> = all_tasks().into_iter().map(|task| task.name).collect();
    names.sort();
    let quoted: Vec<String> = names.iter().map(|name| format!("'{name}'")).collect();
    out.say(format!("Total Tasks ({}) : [{}]", names.len(), quoted.join(", ")));
}

/// `main()`, the state machine of the `async def main()` in the header.
struct Main {
    out: Transcript,
    state: MainState,
}

enum MainState {
    /// Not started: nothing created yet.
    Start,
    /// Awaiting the tasks front to back; each output is kept once taken
    /// (a finished task is popped, so it is never polled again).
    Awaiting {
        tasks: VecDeque<(Operation, Task<Number>)>,
        results: Vec<(Operation, Number)>,
    },
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    // create_task(division(10, 20), name="Division"), ...: each
                    // starts on the loop's next iteration, after main pauses.
                    let tasks = CREATED
                        .iter()
                        .map(|&op| (op, spawn_named(op.name(), operation(op, 10, 20, &self.out))))
                        .collect();
                    say_total_tasks(&self.out); // 5: main and the four, none has run yet
                    self.state = MainState::Awaiting { tasks, results: Vec::new() };
                }
                MainState::Awaiting { tasks, results } => {
                    // await div_task; await subtract_task; await add_task; await mul_task
                    while let Some((op, task)) = tasks.front_mut() {
                        match task.poll(cx) {
                            Poll::Pending => return Poll::Pending,
                            Poll::Ready(result) => {
                                results.push((*op, result.expect("an operation finishes")));
                                tasks.pop_front();
                            }
                        }
                    }
                    say_total_tasks(&self.out); // 1: only main is left
                    for op in PRINTED {
                        let (_, value) = results.iter().find(|(done, _)| *done == op).expect("awaited");
                        // print("X Result : ", value) joins its arguments with a space: two spaces here.
                        self.out.say(format!("{} Result :  {value}", op.name()));
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

/// `asyncio.run(main())`: main becomes the loop's first task, Task-1.
fn run_main<C: Coroutine<Output = ()> + 'static>(main: C, virtual_clock: bool, out: &Transcript) {
    let took = common::run_main(virtual_clock, main).took;
    out.say(format!("Total Time Taken : {:.2} Seconds", took.as_secs_f64()));
}

/// `division(a, b)` and the other three as one `async fn`: the `operation`
/// chain above. No `lazy` needed: an `async fn` runs nothing until its
/// task first polls it, so `current_task()` sees the right task.
async fn operation_async(op: Operation, a: i64, b: i64, out: Transcript) -> Number {
    let me = current_task().expect("an operation runs as a task");
    out.say(format!("{} Started", me.name));
    sleep(op.delay()).await;
    op.apply(a, b)
}

/// `main()` as an `async fn`: the `Main` machine above. Awaiting a task
/// moves its output out, so the results are kept in locals, not asked
/// of the tasks later.
async fn main_async(out: Transcript) {
    let task = |op: Operation| spawn_named(op.name(), from_future(operation_async(op, 10, 20, out.clone())));
    let div_task = task(Operation::Division);
    let subtract_task = task(Operation::Subtraction);
    let add_task = task(Operation::Addition);
    let mul_task = task(Operation::Multiplication);
    say_total_tasks(&out); // 5: main and the four, none has run yet
    let div = div_task.await.expect("division finishes");
    let subtract = subtract_task.await.expect("subtraction finishes");
    let add = add_task.await.expect("addition finishes");
    let mul = mul_task.await.expect("multiplication finishes");
    say_total_tasks(&out); // 1: only main is left
    // print("X Result : ", value) joins its arguments with a space: two spaces here.
    out.say(format!("Addition Result :  {add}"));
    out.say(format!("Multiplication Result :  {mul}"));
    out.say(format!("Division Result :  {div}"));
    out.say(format!("Subtraction Result :  {subtract}"));
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
