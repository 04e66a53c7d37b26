//! The seed scenarios, written ONCE as generic `async fn`s over
//! [`TraceRuntime`], each the Rust twin of a CPython mirror in
//! `tests/asyncio/` (same lines, said at the same points). rondo's own
//! examples write the same scenarios as hand-written machines
//! (`examples/countasync.rs`, `create_task.rs`, `gather_results.rs`,
//! `rate_limit.rs`, `fetch_data.rs`, `bank.rs`); here they are plain `async` code, so
//! that every runtime runs the very same program.

use crate::runtime::{TraceRuntime, YieldNow, say};
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

/// One scenario: its name (= its mirror, `tests/asyncio/<name>.py`), what it
/// shows, and why, where known, another runtime's trace departs from
/// asyncio's (printed only for a runtime whose trace does differ).
pub struct Scenario {
    pub name: &'static str,
    pub what: &'static str,
    /// (runtime column title prefix, the known reason).
    pub notes: &'static [(&'static str, &'static str)],
}

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "countasync",
        what: "seed 004: three count()s gathered (One One One, 1 s, Two Two Two)",
        notes: &[],
    },
    Scenario {
        name: "create_task",
        what: "seed 001: await a coroutine vs create_task, awaited or not; main returning cancels the rest",
        notes: &[
            (
                "tokio",
                "`block_on` returns as soon as main's future is ready, and drops the tasks left unpolled: \
                 in 2, foo was spawned but never ran (no \"I am foo\"); in 4, foo and main wake together at \
                 2.000, main runs first and returns, foo never finishes (one task left to cancel). asyncio's \
                 main finishing only schedules the stop: the handles queued in that iteration still run \
                 (foo's first step in 2, its last in 4), and rondo does the same.",
            ),
            (
                "smol",
                "As tokio: `block_on(ex.run(main))` returns when main is ready, the tasks left are dropped \
                 unpolled (2: foo never ran; 4: foo woke with main but never finished). asyncio (and rondo) \
                 still run the handles queued in the iteration where main finished. (The real clock may also \
                 put a closing time a few ms off.)",
            ),
        ],
    },
    Scenario {
        name: "gather_results",
        what: "seed 002: gather four operations, results in argument order",
        notes: &[],
    },
    Scenario {
        name: "rate_limit",
        what: "Semaphore(3): eight fetches, at most three at a time, freed slots to the first in line",
        notes: &[(
            "smol",
            "smol's Semaphore (async-lock 3) is not FIFO: a release adds a permit and wakes a \
             waiter through event-listener, with no hand-off; and each time the woken waiter takes \
             the permit, the next one in line is woken too, finds none, and queues again at the back \
             (a probe polling the acquires shows it): 5 loses its place to 6, 8 and 7. asyncio's \
             Semaphore hands a freed slot to the first in line; so do rondo's and tokio's. The later \
             times follow from that order.",
        )],
    },
    Scenario {
        name: "fetch_data",
        what: "seed 001: two tasks; main awaits one, the other is cancelled when main returns",
        notes: &[(
            "smol",
            "The real clock: printNumbers' sleeps count from late wakes, so its wake for 8, due at exactly \
             2.000 on a virtual clock, comes a little after fetchData's; main then returns (and cancels it) \
             before 8 is said. On the virtual clocks both deadlines are 2.000: asyncio fires the timer set \
             first (fetchData's) first and 8's in the same iteration, main resumes one iteration later.",
        )],
    },
    Scenario {
        name: "bank",
        what: "the lost update: two depositors yield between read and write, without and with a Lock",
        notes: &[],
    },
];

/// Runs scenario `name` on `R`, saying its lines (take them with `take_lines`).
pub fn play<R: TraceRuntime>(name: &str) {
    match name {
        "countasync" => countasync::<R>(),
        "create_task" => create_task::<R>(),
        "gather_results" => gather_results::<R>(),
        "rate_limit" => rate_limit::<R>(),
        "fetch_data" => fetch_data::<R>(),
        "bank" => bank::<R>(),
        other => panic!("no scenario {other}"),
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// `rondo_vclock.elapsed_line`, naming the clock the runtime ran on.
fn elapsed_line<R: TraceRuntime>(what: &str, end: Duration) -> String {
    let clock = if R::VIRTUAL { "virtual clock" } else { "real clock" };
    format!("{what} exec in {:.2} seconds ({clock}).", end.as_secs_f64())
}

/// `asyncio.gather(*aws)`: each awaitable becomes a task, in argument order
/// (asyncio's `ensure_future`), then they are awaited in order and their
/// results come back in argument order.
async fn gather<R: TraceRuntime, F>(aws: Vec<F>) -> Vec<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let tasks: Vec<_> = aws.into_iter().map(R::spawn).collect();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(R::join(task).await);
    }
    results
}

// ------------------------------------------------------------ countasync

/// Seed 004's `count()`.
async fn count<R: TraceRuntime>() {
    say::<R>("One");
    R::sleep(secs(1.0)).await;
    say::<R>("Two");
}

fn countasync<R: TraceRuntime>() {
    let ran = R::run(async {
        gather::<R, _>(vec![count::<R>(), count::<R>(), count::<R>()]).await;
    });
    say::<R>(elapsed_line::<R>("countasync.rs", ran.end));
}

// ----------------------------------------------------------- create_task

/// `foo(text, nap=2)`.
async fn foo<R: TraceRuntime>(text: &'static str, nap: f64) {
    say::<R>(text);
    R::sleep(secs(nap)).await;
}

async fn await_coroutine<R: TraceRuntime>() {
    say::<R>("I am Main");
    foo::<R>("I am foo", 2.0).await;
    say::<R>("finished");
}

async fn spawn_without_await<R: TraceRuntime>() {
    say::<R>("I am Main");
    R::spawn(foo::<R>("I am foo", 2.0)); // the handle is dropped: the task runs on
    say::<R>("finished");
}

async fn spawn_then_await<R: TraceRuntime>() {
    say::<R>("I am Main");
    let task = R::spawn(foo::<R>("I am foo", 2.0));
    R::join(task).await;
    say::<R>("finished");
}

async fn spawn_then_sleep2<R: TraceRuntime>() {
    say::<R>("I am Main");
    let _task = R::spawn(foo::<R>("I am foo", 2.0));
    R::sleep(secs(2.0)).await;
    say::<R>("finished");
}

async fn spawn_then_sleep_half<R: TraceRuntime>() {
    say::<R>("I am Main");
    let _task = R::spawn(foo::<R>("I am foo", 10.0));
    R::sleep(secs(0.5)).await;
    say::<R>("finished");
}

type Main = fn() -> Pin<Box<dyn Future<Output = ()>>>;

fn create_task<R: TraceRuntime>() {
    let mains: [(&str, Main); 5] = [
        ("1. await foo(...) directly", || Box::pin(await_coroutine::<R>())),
        ("2. create_task(foo(...)), no await", || Box::pin(spawn_without_await::<R>())),
        ("3. create_task, then await the task", || Box::pin(spawn_then_await::<R>())),
        ("4. create_task, then sleep(2)", || Box::pin(spawn_then_sleep2::<R>())),
        ("5. create_task(foo sleeps 10 s), then sleep(0.5)", || Box::pin(spawn_then_sleep_half::<R>())),
    ];
    for (title, main) in mains {
        say::<R>(format!("--- {title}"));
        let ran = R::run(main());
        if ran.cancelled > 0 {
            say::<R>(format!("({} task still pending was cancelled when main returned)", ran.cancelled));
        }
        say::<R>(elapsed_line::<R>("main", ran.end));
    }
}

// -------------------------------------------------------- gather_results

type Named = Pin<Box<dyn Future<Output = (&'static str, String)>>>;

async fn addition<R: TraceRuntime>(a: i64, b: i64) -> (&'static str, String) {
    R::sleep(secs(3.0)).await;
    ("Addition", (a + b).to_string())
}

async fn multiplication<R: TraceRuntime>(a: i64, b: i64) -> (&'static str, String) {
    R::sleep(secs(1.0)).await;
    ("Multiplication", (a * b).to_string())
}

async fn division<R: TraceRuntime>(a: i64, b: i64) -> (&'static str, String) {
    R::sleep(secs(5.0)).await;
    ("Division", (a as f64 / b as f64).to_string()) // Python's `/`: a float
}

async fn subtraction<R: TraceRuntime>(a: i64, b: i64) -> (&'static str, String) {
    R::sleep(secs(7.0)).await;
    ("Subtraction", (a - b).to_string())
}

fn gather_results<R: TraceRuntime>() {
    let main = async {
        let operations: Vec<Named> = vec![
            Box::pin(division::<R>(10, 20)),
            Box::pin(subtraction::<R>(10, 20)),
            Box::pin(addition::<R>(10, 20)),
            Box::pin(multiplication::<R>(10, 20)),
        ];
        for (task, result) in gather::<R, _>(operations).await {
            say::<R>(format!("{task} : {result}"));
        }
    };
    let ran = R::run(main);
    say::<R>(format!("Total Time Taken : {:.2} Seconds", ran.end.as_secs_f64()));
}

// ------------------------------------------------------------ rate_limit

/// `fetch(sem, i)`: `async with sem:` around a nap.
async fn fetch<R: TraceRuntime>(sem: Rc<R::Semaphore>, i: u32) {
    R::with_permit(&sem, async {
        say::<R>(format!("start {i}"));
        R::sleep(secs(0.5 + 0.137 * f64::from(i % 4))).await;
        say::<R>(format!("done {i}"));
    })
    .await
}

fn rate_limit<R: TraceRuntime>() {
    R::run(async {
        let sem = Rc::new(R::semaphore(3));
        gather::<R, _>((1..=8).map(|i| fetch::<R>(sem.clone(), i)).collect()).await;
        say::<R>("all fetched");
    });
}

// ------------------------------------------------------------ fetch_data

async fn fetch_data_task<R: TraceRuntime>() -> (&'static str, u32) {
    say::<R>("Start fetching");
    R::sleep(secs(2.0)).await;
    say::<R>("Done fetching");
    ("data", 1)
}

async fn print_numbers<R: TraceRuntime>() {
    for i in 0..10 {
        say::<R>(i);
        R::sleep(secs(0.25)).await;
    }
}

fn fetch_data<R: TraceRuntime>() {
    let ran = R::run(async {
        let task1 = R::spawn(fetch_data_task::<R>());
        let _task2 = R::spawn(print_numbers::<R>());
        let (key, value) = R::join(task1).await;
        say::<R>(format!("{{'{key}': {value}}}")); // as Python prints the dict
    });
    if ran.cancelled > 0 {
        say::<R>(format!(
            "({} task still pending was cancelled when main returned: printNumbers stops before 9)",
            ran.cancelled
        ));
    }
    say::<R>(elapsed_line::<R>("main", ran.end));
}

// ------------------------------------------------------------------ bank

/// `deposit(account, who, lock)`: three times, read the balance, yield
/// (`await asyncio.sleep(0)`), write it back plus 10 — inside `async with
/// lock:` when there is a lock, so that no other depositor runs in between.
async fn deposit<R: TraceRuntime>(account: Rc<Cell<i64>>, who: &'static str, lock: Option<Rc<R::Lock>>) {
    for _ in 0..3 {
        let update = async {
            let balance = account.get();
            YieldNow::default().await;
            account.set(balance + 10);
        };
        match &lock {
            Some(lock) => R::with_lock(lock, update).await,
            None => update.await,
        }
    }
    say::<R>(format!("{who} done"));
}

fn bank<R: TraceRuntime>() {
    R::run(async {
        let account = Rc::new(Cell::new(0));
        let (a, b) = (account.clone(), account.clone());
        gather::<R, _>(vec![deposit::<R>(a, "A", None), deposit::<R>(b, "B", None)]).await;
        say::<R>(format!("without a lock: {}", account.get()));
        let account = Rc::new(Cell::new(0));
        let lock = Rc::new(R::lock());
        let (a, b) = (account.clone(), account.clone());
        gather::<R, _>(vec![deposit::<R>(a, "A", Some(lock.clone())), deposit::<R>(b, "B", Some(lock))])
            .await;
        say::<R>(format!("with a lock: {}", account.get()));
    });
}
