//! # restaurant — seed 001's date night: an awaited order, an order as a task, an order left pending
//!
//! ```python
//! async def restaurant():                     # scenario 1
//!     print("Waiter came...")
//!     await order('Biryani')                  # order: print("You ordered", text); sleep(5)
//!     print("Biryani came to the table")
//!
//! async def restaurant():                     # scenario 2
//!     print("you placed another order immediately and waiting")
//!     task = asyncio.create_task(order('Nan with paneer butter masala'))
//!     print("you started eating biryani")
//!     await task                              # order: sleep(5); print("Your order", text)
//!     print("your Biryani is finished")
//!
//! async def restaurant():                     # scenario 3
//!     print("you placed another order and ordered waiter to bring after the biryani finished")
//!     task = asyncio.create_task(order('Nan with paneer butter masala'))
//!     print("you are eating biryani")
//!     print("your Biryani is finished")       # order: sleep(5); print(..., 'ready to serve')
//! ```
//! **Watch for:** in 1, `await order(...)` runs the order right there: 5 s
//! pass between the order and the Biryani. In 2 the order is a task: "you
//! started eating biryani" comes *before* the order runs at all, and
//! `await task` waits for it. In 3 nobody awaits the task, and here this
//! example differs from the notebook. The notebook runs `await restaurant()`
//! on the kernel's event loop, which keeps running after the cell, so the
//! order finishes 5 s later and prints "ready to serve". Under `asyncio.run`
//! (and rondo's `run`), when `restaurant()` returns the run ends and every
//! task still pending is cancelled: the order has started its 5 s wait, it is
//! cancelled, and it is never served. Part 3b keeps the loop running for 5 s
//! more, as the notebook does, and the order arrives.
//!
//! Run: `cargo run --example restaurant`, or
//! `cargo run --example restaurant -- --virtual` for instant time
//! (`-- --async` for the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::{
    BoxCoroutine, Context, Coroutine, CoroutineExt, EventLoop, Poll, Task, Transcript, from_future, lazy,
    sleep, spawn,
};
use std::time::{Duration, Instant};

const COOKING: Duration = Duration::from_secs(5);

/// Scenario 1's `order`: `print("You ordered", text); await asyncio.sleep(5)`.
/// (`print` with two arguments puts one space between them.)
fn order_and_wait(text: &'static str, out: &Transcript) -> BoxCoroutine<'static, ()> {
    let out = out.clone();
    lazy(move || out.say(format!("You ordered {text}"))).then(|()| sleep(COOKING)).boxed()
}

/// Scenarios 2 and 3's `order`: `await asyncio.sleep(5); print("Your order", text, ...)`.
fn order_served(served: String, out: &Transcript) -> BoxCoroutine<'static, ()> {
    let out = out.clone();
    sleep(COOKING).map(move |()| out.say(served)).boxed()
}

/// Which `restaurant()` body runs.
#[derive(Clone, Copy, Debug)]
pub enum Scenario {
    /// 1: await the order coroutine.
    AwaitOrder,
    /// 2: create a task for the order, then await the task.
    AwaitTask,
    /// 3: create a task for the order and never await it.
    ForgetTask,
}

/// ```text
/// async def restaurant():     # the three bodies, see the top of the file
///     print(...)
///     await order('Biryani')                                # 1
///     task = asyncio.create_task(order('Nan ...')); ...     # 2 and 3
///     await task                                            # 2 only
///     print(...)
/// ```
/// The states are those of all three bodies; each scenario walks the ones it needs.
struct Restaurant {
    scenario: Scenario,
    out: Transcript,
    state: RestaurantState,
}

enum RestaurantState {
    Start,
    /// Scenario 1: `await order('Biryani')` — the order runs inside our own task.
    AwaitingOrder(BoxCoroutine<'static, ()>),
    /// Scenario 2: `await task` — the order runs as its own task.
    AwaitingTask(Task<()>),
    Done,
}

impl Coroutine for Restaurant {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let nan = "Nan with paneer butter masala";
        loop {
            match &mut self.state {
                RestaurantState::Start => match self.scenario {
                    Scenario::AwaitOrder => {
                        self.out.say("Waiter came...");
                        self.state = RestaurantState::AwaitingOrder(order_and_wait("Biryani", &self.out));
                    }
                    Scenario::AwaitTask => {
                        self.out.say("you placed another order immediately and waiting");
                        let task = spawn(order_served(format!("Your order {nan}"), &self.out));
                        self.out.say("you started eating biryani"); // the order has not started yet
                        self.state = RestaurantState::AwaitingTask(task);
                    }
                    Scenario::ForgetTask => {
                        self.out.say(
                            "you placed another order and ordered waiter to bring after the biryani finished",
                        );
                        // The handle is dropped: the task runs on, detached, until
                        // the run ends.
                        drop(spawn(order_served(format!("Your order {nan} ready to serve"), &self.out)));
                        self.out.say("you are eating biryani");
                        self.out.say("your Biryani is finished");
                        self.state = RestaurantState::Done;
                        return Poll::Ready(());
                    }
                },
                RestaurantState::AwaitingOrder(order) => {
                    if order.poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.out.say("Biryani came to the table");
                    self.state = RestaurantState::Done;
                    return Poll::Ready(());
                }
                RestaurantState::AwaitingTask(task) => {
                    let Poll::Ready(result) = task.poll(cx) else { return Poll::Pending };
                    result.expect("the order is served");
                    self.out.say("your Biryani is finished");
                    self.state = RestaurantState::Done;
                    return Poll::Ready(());
                }
                RestaurantState::Done => panic!("restaurant() polled after it completed"),
            }
        }
    }
}

/// Runs one scenario to the end of `restaurant()`; returns the loop (still
/// holding whatever was left pending) and the time it took.
fn run_restaurant<C>(restaurant: C, virtual_clock: bool) -> (EventLoop, Duration)
where
    C: Coroutine<Output = ()> + 'static,
{
    let ev = common::event_loop(virtual_clock);
    let start = Instant::now();
    ev.run_until_complete(restaurant).expect("restaurant() completes");
    let took = if virtual_clock { ev.now() } else { start.elapsed() };
    (ev, took)
}

/// Runs the scenarios, saying their lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    run_scenarios(virtual_clock, out, |scenario| Restaurant {
        scenario,
        out: out.clone(),
        state: RestaurantState::Start,
    });
}

/// Every scenario in turn; `restaurant(scenario)` makes its `restaurant()`.
fn run_scenarios<C, R>(virtual_clock: bool, out: &Transcript, restaurant: R)
where
    C: Coroutine<Output = ()> + 'static,
    R: Fn(Scenario) -> C,
{
    let scenarios = [
        ("1. await order('Biryani')", Scenario::AwaitOrder),
        ("2. create_task(order(...)), then await the task", Scenario::AwaitTask),
        ("3. create_task(order(...)), never awaited, under asyncio.run", Scenario::ForgetTask),
    ];
    for (title, scenario) in scenarios {
        out.say(format!("--- {title}"));
        let (ev, took) = run_restaurant(restaurant(scenario), virtual_clock);
        // asyncio.run: whatever is still pending when restaurant() returns is cancelled.
        let cancelled = ev.cancel_all();
        if cancelled > 0 {
            out.say(format!(
                "({cancelled} pending order cancelled when restaurant() returned: never served)"
            ));
        }
        out.say(common::elapsed_line("restaurant", took, virtual_clock));
    }

    // The notebook: the loop outlives the cell. We play "the kernel keeps
    // running" by running the same loop for 5 s more.
    out.say("--- 3b. the same, as in the notebook: the loop keeps running after restaurant() returns");
    let start = Instant::now();
    let (ev, _) = run_restaurant(restaurant(Scenario::ForgetTask), virtual_clock);
    ev.run_until_complete(sleep(COOKING)).expect("the loop runs on");
    let took = if virtual_clock { ev.now() } else { start.elapsed() };
    assert_eq!(ev.cancel_all(), 0, "the order was served: nothing is left");
    out.say(common::elapsed_line("notebook", took, virtual_clock));
}

/// Scenario 1's `order` as an `async fn`: `order_and_wait` above.
async fn order_and_wait_async(text: &'static str, out: Transcript) {
    out.say(format!("You ordered {text}"));
    sleep(COOKING).await;
}

/// Scenarios 2 and 3's `order` as an `async fn`: `order_served` above.
async fn order_served_async(served: String, out: Transcript) {
    sleep(COOKING).await;
    out.say(served);
}

/// `restaurant()` as an `async fn`: the `Restaurant` machine above. Each arm
/// is one of the three bodies at the top of the file.
async fn restaurant_async(scenario: Scenario, out: Transcript) {
    let nan = "Nan with paneer butter masala";
    match scenario {
        Scenario::AwaitOrder => {
            out.say("Waiter came...");
            order_and_wait_async("Biryani", out.clone()).await; // runs inside our own task
            out.say("Biryani came to the table");
        }
        Scenario::AwaitTask => {
            out.say("you placed another order immediately and waiting");
            let task = spawn(from_future(order_served_async(format!("Your order {nan}"), out.clone())));
            out.say("you started eating biryani"); // the order has not started yet
            task.await.expect("the order is served");
            out.say("your Biryani is finished");
        }
        Scenario::ForgetTask => {
            out.say("you placed another order and ordered waiter to bring after the biryani finished");
            // The handle is dropped: the task runs on, detached, until the run ends.
            let served = format!("Your order {nan} ready to serve");
            drop(spawn(from_future(order_served_async(served, out.clone()))));
            out.say("you are eating biryani");
            out.say("your Biryani is finished");
        }
    }
}

/// The scenarios as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    run_scenarios(virtual_clock, out, |scenario| from_future(restaurant_async(scenario, out.clone())));
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
