//! The queue's rules, each against the CPython 3.11 program in its comment
//! (run with a loop that counts its iterations; the lines are
//! "iteration text"); `shutdown` on CPython 3.13.0.

use super::*;
use crate::stage7_coordination::test_util::{Iter, TickLog};
use crate::{
    BoxCoroutine, Context, Coroutine, CoroutineExt, EventLoop, Poll, Task, block_on, lazy, spawn, yield_now,
};

/// `async def g(name): say(f"{name} got {await q.get()}")`
fn getter(q: &Queue<&'static str>, out: &TickLog, name: &'static str) -> Task<()> {
    let out = out.clone();
    spawn(q.get().map(move |item| out.say(format!("{name} got {}", item.unwrap()))))
}

/// Runs `main` on a virtual loop whose iterations `out` counts.
fn run_counted<F>(main: F) -> Vec<String>
where
    F: FnOnce(TickLog) -> BoxCoroutine<'static, ()> + 'static,
{
    let it = Iter::new();
    let out = TickLog::new(&it);
    let ev = it.track(EventLoop::new_virtual());
    let o = out.clone();
    ev.run(lazy(move || main(o)).then(|c| c)).unwrap();
    out.lines()
}

#[test]
fn put_with_room_and_get_with_an_item_do_not_suspend() {
    let q = Queue::new(1);
    block_on(q.put(7)).unwrap();
    assert!(q.full());
    assert_eq!(q.put_nowait(8), Err(PutError::Full(8)));
    assert_eq!(block_on(q.get()), Ok(7));
    assert_eq!(q.get_nowait(), Err(GetError::Empty));
}

/// ```python
/// t1 = create_task(g("g1")); t2 = create_task(g("g2")); await sleep(0)
/// t3 = create_task(g("newcomer")); q.put_nowait("a"); say("put a")
/// await sleep(0); await sleep(0)
/// q.put_nowait("b"); q.put_nowait("c"); say("put b, c"); await gather(t1, t2, t3)
/// ```
#[test]
fn a_getter_that_loses_the_item_to_a_newcomer_goes_to_the_back() {
    let lines = run_counted(|out| {
        let q = Queue::new(0);
        let (t1, t2) = (getter(&q, &out, "g1"), getter(&q, &out, "g2"));
        yield_now()
            .then(move |()| {
                let t3 = getter(&q, &out, "newcomer"); // its first step is queued before g1's wake
                q.put_nowait("a").unwrap();
                out.say("put a");
                yield_now().then(|()| yield_now()).map(move |()| {
                    q.put_nowait("b").unwrap();
                    q.put_nowait("c").unwrap();
                    out.say("put b, c");
                    vec![t1, t2, t3]
                })
            })
            .then(crate::gather_tasks)
            .map(|r| r.map(drop).unwrap())
            .boxed()
    });
    // g1 was woken for "a", lost it, and waited again behind g2.
    assert_eq!(lines, ["2 put a", "3 newcomer got a", "4 put b, c", "5 g2 got b", "5 g1 got c"]);
}

/// ```python
/// q = Queue(maxsize=1); q.put_nowait("x"); ts = [create_task(p(n)) for n in ("p1", "p2")]
/// await sleep(0); say(f"got {q.get_nowait()}")     # three times, a sleep(0) between
/// ```
#[test]
fn putters_wait_for_room_in_order_and_run_one_iteration_after_a_get() {
    let lines = run_counted(|out| {
        let q = Queue::new(1);
        q.put_nowait("x").unwrap();
        let puts: Vec<_> = ["p1", "p2"]
            .into_iter()
            .map(|name| {
                let o = out.clone();
                spawn(q.put(name).map(move |r| o.say(format!("{name} put {r:?}"))))
            })
            .collect();
        let take = move |q: Queue<&'static str>, out: TickLog| {
            yield_now().map(move |()| out.say(format!("got {}", q.get_nowait().unwrap())))
        };
        let (q2, q3, o2, o3) = (q.clone(), q.clone(), out.clone(), out.clone());
        take(q, out)
            .then(move |()| take(q2, o2))
            .then(move |()| take(q3, o3))
            .then(move |()| crate::gather_tasks(puts))
            .map(|r| r.map(drop).unwrap())
            .boxed()
    });
    assert_eq!(lines, ["2 got x", "3 p1 put Ok(())", "3 got p1", "4 p2 put Ok(())", "4 got p2"]);
}

/// ```python
/// await sleep(0); q.put_nowait("a"); t1.cancel(); say("put a, cancelled g1")   # g2 at 4
/// await sleep(0); t1.cancel(); q.put_nowait("a"); say("cancelled g1, put a")   # g2 at 3
/// ```
#[test]
fn a_cancelled_getter_passes_a_wake_on_or_is_skipped_as_cpython_does() {
    for woken_first in [true, false] {
        let lines = run_counted(move |out| {
            let q = Queue::new(0);
            let (t1, t2) = (getter(&q, &out, "g1"), getter(&q, &out, "g2"));
            yield_now()
                .then(move |()| {
                    if woken_first {
                        q.put_nowait("a").unwrap();
                        t1.cancel();
                        out.say("put a, cancelled g1");
                    } else {
                        t1.cancel();
                        q.put_nowait("a").unwrap();
                        out.say("cancelled g1, put a");
                    }
                    let q = q.clone();
                    t2.map(move |r| {
                        r.unwrap();
                        assert_eq!(q.inner.getters.borrow().len(), 0, "nobody left in line");
                    })
                })
                .boxed()
        });
        if woken_first {
            // g1 was woken, then cancelled: its drop wakes g2, one iteration later.
            assert_eq!(lines, ["2 put a, cancelled g1", "4 g2 got a"]);
        } else {
            // g1's cancel came first: the put skips it, as asyncio skips a cancelled future.
            assert_eq!(lines, ["2 cancelled g1, put a", "3 g2 got a"]);
        }
    }
}

/// ```python
/// async def worker():
///     while True: item = await q.get(); say(f"work {item}"); await sleep(0); q.task_done()
/// w = create_task(worker()); for i in range(3): q.put_nowait(i)
/// await q.join(); say("joined"); w.cancel(); q.task_done()  # ValueError
/// ```
#[test]
fn join_returns_one_iteration_after_the_last_task_done_and_one_too_many_is_an_error() {
    let lines = run_counted(|out| {
        let q: Queue<u32> = Queue::new(0);
        let (wq, wo) = (q.clone(), out.clone());
        let worker = spawn(crate::stage5_combinators::poll_fn({
            let mut current: Option<BoxCoroutine<'static, ()>> = None;
            move |cx| loop {
                if let Some(step) = &mut current {
                    let Poll::Ready(()) = step.poll(cx) else { return Poll::<()>::Pending };
                    current = None;
                }
                let (q, o) = (wq.clone(), wo.clone());
                current = Some(
                    wq.get()
                        .then(move |item| {
                            o.say(format!("work {}", item.unwrap()));
                            yield_now().map(move |()| q.task_done().unwrap())
                        })
                        .boxed(),
                );
            }
        }));
        (0..3).for_each(|i| q.put_nowait(i).unwrap());
        q.join()
            .map(move |()| {
                out.say("joined");
                worker.cancel();
                out.say(q.task_done().unwrap_err());
            })
            .boxed()
    });
    assert_eq!(
        lines,
        ["2 work 0", "3 work 1", "4 work 2", "6 joined", "6 task_done() called too many times"]
    );
}

/// CPython 3.13.0 prints the same. From its `queues.py`: `shutdown()` sets
/// `_is_shutdown` and pops and wakes every getter and putter; a woken getter
/// loops back to `while self.empty(): if self._is_shutdown: raise
/// QueueShutDown`; `put` raises at once; `get` drains what is left first.
#[test]
fn shutdown_fails_puts_drains_gets_and_wakes_every_waiter() {
    let lines = run_counted(|out| {
        let q: Queue<&'static str> = Queue::new(0);
        let o = out.clone();
        let waiting = spawn(q.get().map(move |r| o.say(format!("waiting getter: {r:?}"))));
        yield_now()
            .then(move |()| {
                q.shutdown(false);
                out.say("shut down");
                assert_eq!(q.put_nowait("late"), Err(PutError::ShutDown("late")));
                let o = out.clone();
                waiting.map(move |_| {
                    o.say(format!("get: {:?}", q.get_nowait()));
                })
            })
            .boxed()
    });
    // (main, awaiting the getter task, resumes one iteration after it ends.)
    assert_eq!(lines, ["2 shut down", "3 waiting getter: Err(ShutDown)", "4 get: Err(ShutDown)"]);

    // Not immediate: what is there is still handed out, then ShutDown.
    let q = Queue::new(2);
    q.put_nowait(1).unwrap();
    q.put_nowait(2).unwrap();
    let full_put = EventLoop::new_virtual();
    let (q2, q3) = (q.clone(), q.clone());
    let outcome = full_put
        .run(
            lazy(move || {
                let putter = spawn(q2.put(3)); // waits: the queue is full
                yield_now().then(move |()| {
                    q3.shutdown(false);
                    putter
                })
            })
            .then(|t| t),
        )
        .unwrap();
    assert_eq!(outcome, Ok(Err(PutError::ShutDown(3))), "a waiting putter fails");
    assert_eq!(
        (block_on(q.get()), block_on(q.get()), block_on(q.get())),
        (Ok(1), Ok(2), Err(GetError::ShutDown))
    );
}

#[test]
fn an_immediate_shutdown_empties_the_queue_and_releases_join() {
    let lines = run_counted(|out| {
        let q: Queue<u8> = Queue::new(0);
        (0..3).for_each(|i| q.put_nowait(i).unwrap());
        assert_eq!(q.get_nowait(), Ok(0)); // taken, not yet done: stays unfinished
        let o = out.clone();
        let joiner = spawn(q.join().map(move |()| o.say("join returned")));
        yield_now()
            .then(move |()| {
                q.shutdown(true);
                out.say(format!("shut down: qsize {}", q.qsize()));
                q.task_done().unwrap(); // the one taken: now nothing is unfinished
                out.say("task_done");
                joiner.map(|r| r.unwrap())
            })
            .boxed()
    });
    assert_eq!(lines, ["2 shut down: qsize 0", "2 task_done", "3 join returned"]);
}

#[test]
fn stuck_getters_putters_and_joiners_are_described() {
    let ev = EventLoop::new_virtual();
    let empty: Queue<u8> = Queue::new(2);
    let full = Queue::new(1);
    full.put_nowait(1).unwrap();
    let _g = ev.spawn(empty.get());
    let _p = ev.spawn(full.put(2));
    let _j = ev.spawn(full.join());
    let crate::LoopError::Deadlock { stuck } = ev.run_forever().unwrap_err() else { panic!("a deadlock") };
    let said: Vec<_> = stuck.iter().map(|s| s.waits_on.as_str()).collect();
    assert_eq!(
        said,
        [
            "waits on an empty Queue (0 of maxsize 2)",
            "waits on a full Queue (1 of maxsize 1)",
            "waits in Queue.join() for 1 unfinished item"
        ]
    );
}

#[test]
fn lifo_and_priority_queues_hand_out_in_their_order() {
    let lifo = LifoQueue::new(0);
    let prio = PriorityQueue::new(0);
    for i in [2, 3, 1] {
        lifo.put_nowait(i).unwrap();
        prio.put_nowait(i).unwrap();
    }
    let drain = |q: &Queue<i32>| std::iter::from_fn(|| q.get_nowait().ok()).collect::<Vec<_>>();
    assert_eq!((drain(&lifo), drain(&prio)), (vec![1, 3, 2], vec![1, 2, 3]));
    assert_eq!(format!("{prio:?}"), "PriorityQueue(maxsize=0, qsize=0)");
}

#[test]
fn nothing_is_left_behind_by_cancelled_waiters() {
    let q: Queue<u8> = Queue::new(1);
    q.put_nowait(0).unwrap();
    let ev = EventLoop::new_virtual();
    let (put, get) = (ev.spawn(q.put(1)), ev.spawn(Queue::<u8>::new(0).get()));
    ev.run_until_complete(yield_now()).unwrap();
    assert_eq!(q.inner.putters.borrow().len(), 1);
    assert!(put.cancel() && get.cancel());
    ev.run_until_complete(yield_now()).unwrap();
    assert_eq!(q.inner.putters.borrow().len(), 0);
    drop(ev);
    assert_eq!(Rc::strong_count(&q.inner), 1);
}

#[test]
#[should_panic(expected = "Queue::get() polled after it completed")]
fn polling_after_completion_panics() {
    let q = Queue::new(0);
    q.put_nowait(1).unwrap();
    let mut get = q.get();
    let waker = crate::Waker::noop();
    let mut cx = Context::from_waker(&waker);
    let _ = get.poll(&mut cx);
    let _ = get.poll(&mut cx);
}
