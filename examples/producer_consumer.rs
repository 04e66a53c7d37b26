//! # producer_consumer — "distribute tasks via queues": three producers, two consumers, one bounded queue
//!
//! ```python
//! async def producer(q, i):
//!     for k in range(1, 4):
//!         await asyncio.sleep(0.1 * i + 0.013 * k)
//!         await q.put(f"P{i}-{k}")                 # waits while the queue is full
//!         print(f"P{i} put P{i}-{k}")
//! async def consumer(q, j):
//!     while True:
//!         item = await q.get()                     # waits while it is empty
//!         print(f"C{j} got {item}")
//!         await asyncio.sleep(0.29 + 0.007 * j)
//!         q.task_done()
//! async def main():
//!     q = asyncio.Queue(maxsize=2)
//!     consumers = [asyncio.create_task(consumer(q, j)) for j in (1, 2)]
//!     await asyncio.gather(*(producer(q, i) for i in (1, 2, 3)))
//!     print("producers done")
//!     await q.join()                               # every item taken *and* task_done
//!     print("queue drained")
//!     for c in consumers:
//!         c.cancel()
//! ```
//! **Watch for:** the queue holds two items, so the producers soon go
//! faster than the consumers and a `put` has to wait: from 0.410 on, each
//! "P.. put" comes right after a "C.. got" at the same instant — the get
//! made room and woke the waiting putter, which ran one loop iteration
//! later. "producers done" means only that everything was *put*; `join`
//! waits until the consumers have called `task_done` for every item
//! ("queue drained" at 1.598). The consumers loop forever; main cancels them.
//!
//! Run: `cargo run --example producer_consumer` (`-- --virtual` for instant
//! time, `-- --stamps` for the loop time of every line, `-- --async` for the
//! same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::stage7_coordination::{QueueGet, QueueJoin, QueuePut};
use rondo::{
    Context, Coroutine, Gather, Poll, Queue, Sleep, Task, Transcript, from_future, gather, sleep, spawn,
};
use std::time::Duration;

/// `producer(q, i)`: three items, a nap before each.
struct Producer {
    q: Queue<String>,
    i: u32,
    /// `for k in range(1, 4)`
    k: u32,
    out: Transcript,
    state: ProducerState,
}

enum ProducerState {
    /// The head of the `for` loop.
    Next,
    Napping(Sleep),
    /// Parked while the queue is full.
    Putting(QueuePut<String>),
    Done,
}

impl Coroutine for Producer {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                ProducerState::Next if self.k > 3 => {
                    self.state = ProducerState::Done;
                    return Poll::Ready(());
                }
                ProducerState::Next => {
                    let nap = 0.1 * f64::from(self.i) + 0.013 * f64::from(self.k);
                    self.state = ProducerState::Napping(sleep(Duration::from_secs_f64(nap)));
                }
                ProducerState::Napping(nap) => {
                    let Poll::Ready(()) = nap.poll(cx) else { return Poll::Pending };
                    self.state = ProducerState::Putting(self.q.put(format!("P{}-{}", self.i, self.k)));
                }
                ProducerState::Putting(put) => {
                    let Poll::Ready(put) = put.poll(cx) else { return Poll::Pending };
                    put.expect("nobody shuts the queue down");
                    self.out.say(format!("P{} put P{}-{}", self.i, self.i, self.k));
                    self.k += 1;
                    self.state = ProducerState::Next;
                }
                ProducerState::Done => panic!("producer() polled after it completed"),
            }
        }
    }
}

/// `consumer(q, j)`: `while True` — it ends only by being cancelled.
struct Consumer {
    q: Queue<String>,
    j: u32,
    out: Transcript,
    state: ConsumerState,
}

enum ConsumerState {
    /// Parked while the queue is empty.
    Getting(QueueGet<String>),
    /// Handling the item; `task_done` after.
    Working(Sleep),
}

impl Coroutine for Consumer {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                ConsumerState::Getting(get) => {
                    let Poll::Ready(item) = get.poll(cx) else { return Poll::Pending };
                    let item = item.expect("nobody shuts the queue down");
                    self.out.say(format!("C{} got {item}", self.j));
                    let work = 0.29 + 0.007 * f64::from(self.j);
                    self.state = ConsumerState::Working(sleep(Duration::from_secs_f64(work)));
                }
                ConsumerState::Working(work) => {
                    let Poll::Ready(()) = work.poll(cx) else { return Poll::Pending };
                    self.q.task_done().expect("one task_done per item got");
                    self.state = ConsumerState::Getting(self.q.get());
                }
            }
        }
    }
}

/// `main()`.
struct Main {
    out: Transcript,
    state: MainState,
}

enum MainState {
    Start,
    /// `await asyncio.gather(*(producer(q, i) ...))`
    Producing {
        q: Queue<String>,
        consumers: Vec<Task<()>>,
        producers: Gather<()>,
    },
    /// `await q.join()`
    Joining {
        consumers: Vec<Task<()>>,
        join: QueueJoin,
    },
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    let q = Queue::new(2);
                    let consumers = (1..=2)
                        .map(|j| {
                            let state = ConsumerState::Getting(q.get());
                            spawn(Consumer { q: q.clone(), j, out: self.out.clone(), state })
                        })
                        .collect();
                    let producers = (1..=3)
                        .map(|i| Producer {
                            q: q.clone(),
                            i,
                            k: 1,
                            out: self.out.clone(),
                            state: ProducerState::Next,
                        })
                        .collect();
                    self.state = MainState::Producing { q, consumers, producers: gather(producers) };
                }
                MainState::Producing { q, consumers, producers } => {
                    let Poll::Ready(done) = producers.poll(cx) else { return Poll::Pending };
                    done.expect("producers do not fail");
                    self.out.say("producers done");
                    let join = q.join();
                    self.state = MainState::Joining { consumers: std::mem::take(consumers), join };
                }
                MainState::Joining { consumers, join } => {
                    let Poll::Ready(()) = join.poll(cx) else { return Poll::Pending };
                    self.out.say("queue drained");
                    for c in consumers.iter() {
                        c.cancel();
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
    let ev = common::event_loop(virtual_clock);
    ev.run(Main { out: out.clone(), state: MainState::Start }).expect("main completes");
}

/// `producer(q, i)` as an `async fn`: the `Producer` machine above (its
/// `k` and its state are the compiler's now).
async fn producer_async(q: Queue<String>, i: u32, out: Transcript) {
    for k in 1..=3 {
        sleep(Duration::from_secs_f64(0.1 * f64::from(i) + 0.013 * f64::from(k))).await;
        q.put(format!("P{i}-{k}")).await.expect("nobody shuts the queue down"); // waits while full
        out.say(format!("P{i} put P{i}-{k}"));
    }
}

/// `consumer(q, j)` as an `async fn`: the `Consumer` machine above.
/// `while True` — it ends only by being cancelled (its task dropping it).
async fn consumer_async(q: Queue<String>, j: u32, out: Transcript) {
    loop {
        let item = q.get().await.expect("nobody shuts the queue down"); // waits while empty
        out.say(format!("C{j} got {item}"));
        sleep(Duration::from_secs_f64(0.29 + 0.007 * f64::from(j))).await;
        q.task_done().expect("one task_done per item got");
    }
}

/// `main()` as an `async fn`: the `Main` machine above.
async fn main_async(out: Transcript) {
    let q = Queue::new(2);
    let consumers: Vec<Task<()>> =
        (1..=2).map(|j| spawn(from_future(consumer_async(q.clone(), j, out.clone())))).collect();
    let producers = (1..=3).map(|i| from_future(producer_async(q.clone(), i, out.clone()))).collect();
    gather(producers).await.expect("producers do not fail");
    out.say("producers done");
    q.join().await; // every item taken *and* task_done
    out.say("queue drained");
    for c in &consumers {
        c.cancel();
    }
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let ev = common::event_loop(virtual_clock);
    ev.run(from_future(main_async(out.clone()))).expect("main completes");
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
