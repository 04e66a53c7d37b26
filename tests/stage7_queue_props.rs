//! A guarantee of `Queue`, on random programs: producers put items (with
//! pauses of a few iterations), consumers take them forever, the queue is
//! bounded or not, and `main` cancels some producers and consumers at
//! random moments — while they wait for room or for an item, just after a
//! wake, or between two operations (consumer 0 is never cancelled, so
//! somebody always takes). Whatever happens:
//! - no item is lost, duplicated or reordered: the items taken, followed by
//!   those still in the queue, are exactly the items put, in order;
//! - no wake is lost: every producer that is not cancelled finishes, and
//!   when everyone has settled no item waits while a consumer waits;
//! - nothing is left behind: no getter or putter stays in line for a task
//!   that is gone.

use proptest::prelude::*;
use rondo::{
    BoxCoroutine, Context, Coroutine, CoroutineExt, EventLoop, Poll, Queue, ReturnWhen, Task, lazy, spawn,
    wait,
};
use std::cell::RefCell;
use std::rc::Rc;

/// `for _ in range(n): await asyncio.sleep(0)`
struct Yields(u8);

impl Coroutine for Yields {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake();
        Poll::Pending
    }
}

type Log = Rc<RefCell<Vec<u32>>>;

/// `for item, pause in items: await sleep0 * pause; await q.put(item); log(item)`
fn producer(q: Queue<u32>, items: Vec<(u32, u8)>, put: Log) -> BoxCoroutine<'static, ()> {
    match items.split_first() {
        None => rondo::ready(()).boxed(),
        Some((&(item, pause), rest)) => {
            let rest = rest.to_vec();
            Yields(pause)
                .then(move |()| q.put(item).map(move |r| (q, r)))
                .then(move |(q, r)| {
                    r.expect("never shut down");
                    put.borrow_mut().push(item);
                    producer(q, rest, put)
                })
                .boxed()
        }
    }
}

/// `while True: item = await q.get(); log(item); await sleep0 * pause`
fn consumer(q: Queue<u32>, pause: u8, got: Log) -> BoxCoroutine<'static, ()> {
    q.get()
        .then(move |item| {
            got.borrow_mut().push(item.expect("never shut down"));
            Yields(pause).then(move |()| consumer(q, pause, got))
        })
        .boxed()
}

fn run_program(
    maxsize: usize,
    producers: &[Vec<u8>],
    consumers: &[u8],
    cancels: &[(bool, usize, u8)],
) -> Result<(), TestCaseError> {
    let q: Queue<u32> = Queue::new(maxsize);
    let (put, got): (Log, Log) = (Rc::default(), Rc::default());
    let outcome = {
        let (q, put, got) = (q.clone(), put.clone(), got.clone());
        let (producers, consumers) = (producers.to_vec(), consumers.to_vec());
        let mut cancels = cancels.to_vec();
        cancels.sort_by_key(|&(_, _, at)| at);
        let main = lazy(move || {
            let mut next = 0;
            let ps: Vec<Task<()>> = producers
                .iter()
                .map(|pauses| {
                    let items = pauses
                        .iter()
                        .map(|&p| {
                            next += 1;
                            (next, p)
                        })
                        .collect();
                    spawn(producer(q.clone(), items, put.clone()))
                })
                .collect();
            let cs: Vec<Task<()>> =
                consumers.iter().map(|&pause| spawn(consumer(q.clone(), pause, got.clone()))).collect();
            let (ps, cs) = (Rc::new(ps), Rc::new(cs));
            let mut plan: BoxCoroutine<'static, ()> = rondo::ready(()).boxed();
            let mut now = 0;
            for (is_producer, i, at) in cancels {
                let (ps, cs) = (ps.clone(), cs.clone());
                let gap = at - now;
                now = at;
                plan = plan
                    .then(move |()| Yields(gap))
                    .map(move |()| {
                        if is_producer {
                            ps[i % ps.len()].cancel();
                        } else if cs.len() > 1 {
                            cs[1 + i % (cs.len() - 1)].cancel(); // never consumer 0
                        }
                    })
                    .boxed();
            }
            plan.then(move |()| {
                let ps = Rc::try_unwrap(ps).unwrap_or_else(|_| panic!("the plan is done with them"));
                wait(ps, ReturnWhen::AllCompleted).map(move |_| cs)
            })
            .then(|cs| Yields(50).map(move |()| cs)) // let the consumers settle
        })
        .then(|settling| settling);
        EventLoop::new_virtual().run(main)
    };
    prop_assert!(outcome.is_ok(), "a lost wake: {outcome:?}");
    let consumers_alive = outcome.unwrap();
    // Items in, items out: the same sequence.
    let mut out = got.borrow().clone();
    out.extend(std::iter::from_fn(|| q.get_nowait().ok()));
    prop_assert_eq!(&out, &*put.borrow(), "lost, duplicated or reordered");
    // Settled: consumer 0 is alive, so nothing was left in the queue.
    prop_assert_eq!(out.len(), got.borrow().len(), "items waited while a consumer waited");
    drop(consumers_alive);
    prop_assert!(!format!("{q:?}").contains("putters"), "a putter left in line: {:?}", q);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_item_lost_duplicated_or_reordered_and_no_wake_lost(
        maxsize in 0usize..3,
        producers in prop::collection::vec(prop::collection::vec(0u8..3, 0..5), 1..4),
        consumers in prop::collection::vec(0u8..3, 1..4),
        cancels in prop::collection::vec((any::<bool>(), 0usize..4, 0u8..12), 0..4),
    ) {
        run_program(maxsize, &producers, &consumers, &cancels)?;
    }
}
