//! Stage 7's primitives against CPython: each program here is the Rust twin
//! of one in asyncio (quoted above each test), and the expected traces are
//! what CPython 3.11 printed for it under the virtual clock of
//! `tests/asyncio/rondo_vclock.py`. A ticking task `Y` (say, `sleep(0)`,
//! repeat) runs alongside, so one iteration more or less shows in the trace.
//! `Queue.shutdown` is Python 3.13's: its test was checked on CPython
//! 3.13.0 (the others print the same on 3.11.7 and 3.13.0).

use rondo::stage5_combinators::ticker;
use rondo::{
    BoxCoroutine, Condition, Coroutine, CoroutineExt, Event, EventLoop, Lock, LoopError, Queue, Semaphore,
    StreamExt, Task, Transcript, gather_tasks, lazy, ready, sleep, spawn, yield_now,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// `async def Y(n): for i in 1..=n: say(f"Y{i}"); await asyncio.sleep(0)`
fn ticking(out: &Transcript, n: u64) -> Task<()> {
    let out = out.clone();
    spawn(ticker(n, Duration::ZERO).for_each(move |i| out.say(format!("Y{}", i + 1))))
}

/// Runs `main` (built inside the loop) on a virtual loop; returns the stamped lines.
fn trace<C>(main: impl FnOnce(Transcript) -> C + 'static) -> Vec<String>
where
    C: Coroutine<Output = ()> + 'static,
{
    let out = Transcript::new();
    let o = out.clone();
    EventLoop::new_virtual().run(lazy(move || main(o)).then(|c| c)).expect("main completes");
    out.stamped()
}

fn all_ok(tasks: Vec<Task<()>>) -> impl Coroutine<Output = ()> {
    gather_tasks(tasks).map(|r| r.map(drop).expect("no task fails"))
}

/// ```python
/// async def worker(lock, name):
///     async with lock:
///         say(f"{name} has the lock"); await asyncio.sleep(0); say(f"{name} lets go")
///     say(f"{name} out")
/// y = create_task(Y(8)); ws = [create_task(worker(lock, n)) for n in "ABC"]
/// await gather(*ws); await y
/// ```
#[test]
fn a_lock_is_handed_on_in_arrival_order_one_iteration_after_each_release() {
    let lines = trace(|out| {
        let lock = Lock::new();
        let y = ticking(&out, 8);
        let ws = ["A", "B", "C"]
            .into_iter()
            .map(|name| {
                let o = out.clone();
                spawn(lock.acquire().then(move |guard| {
                    o.say(format!("{name} has the lock"));
                    yield_now().map(move |()| {
                        o.say(format!("{name} lets go"));
                        drop(guard);
                        o.say(format!("{name} out"));
                    })
                }))
            })
            .collect();
        all_ok(ws).then(move |()| y.map(Result::unwrap))
    });
    let expected = [
        "Y1",
        "A has the lock",
        "Y2",
        "A lets go",
        "A out",
        "Y3",
        "B has the lock",
        "Y4",
        "B lets go",
        "B out",
        "Y5",
        "C has the lock",
        "Y6",
        "C lets go",
        "C out",
        "Y7",
        "Y8",
    ];
    assert_eq!(lines, expected.map(|l| format!("0.000 {l}")));
}

/// `async def consumer(q, name): while True: item = await q.get(); say(...); if item == "stop": return`
fn consumer(q: Queue<&'static str>, name: &'static str, out: Transcript) -> BoxCoroutine<'static, ()> {
    q.clone()
        .get()
        .then(move |item| {
            let item = item.unwrap();
            out.say(format!("{name} got {item}"));
            if item == "stop" { ready(()).boxed() } else { consumer(q, name, out) }
        })
        .boxed()
}

/// ```python
/// y = create_task(Y(6)); c1 = create_task(consumer(q, "C1")); await sleep(0)
/// c2 = create_task(consumer(q, "C2"))    # its first step comes before C1's wake
/// q.put_nowait("a"); say("put a"); await sleep(0); await sleep(0)
/// q.put_nowait("b"); q.put_nowait("stop"); q.put_nowait("stop"); say("put b, stop, stop")
/// await gather(c1, c2, y)
/// ```
#[test]
fn a_queue_getter_that_loses_the_item_goes_to_the_back_of_the_line() {
    let lines = trace(|out| {
        let q = Queue::new(0);
        let y = ticking(&out, 6);
        let c1 = spawn(consumer(q.clone(), "C1", out.clone()));
        yield_now()
            .then(move |()| {
                let c2 = spawn(consumer(q.clone(), "C2", out.clone()));
                q.put_nowait("a").unwrap();
                out.say("put a");
                yield_now().then(|()| yield_now()).map(move |()| {
                    for item in ["b", "stop", "stop"] {
                        q.put_nowait(item).unwrap();
                    }
                    out.say("put b, stop, stop");
                    vec![c1, c2, y]
                })
            })
            .then(all_ok)
    });
    let expected = [
        "Y1",
        "put a",
        "Y2",
        "C2 got a",
        "Y3",
        "put b, stop, stop",
        "Y4",
        "C2 got b",
        "C2 got stop",
        "C1 got stop",
        "Y5",
        "Y6",
    ];
    assert_eq!(lines, expected.map(|l| format!("0.000 {l}")));
}

/// ```python
/// async def cond_waiter(cond, box):
///     async with cond:
///         say("waiter waits"); await cond.wait_for(lambda: box); say(f"waiter sees {box[0]}")
/// y = create_task(Y(6)); w = create_task(cond_waiter(cond, box)); await sleep(0)
/// async with cond:
///     box.append("x"); cond.notify(); say("notified"); await sleep(0); say("notifier lets go")
/// await gather(w, y)
/// ```
#[test]
fn a_notify_under_the_lock_reaches_the_waiter_after_the_notifier_lets_go() {
    let lines = trace(|out| {
        let cond = Condition::new();
        let cell: Rc<RefCell<Vec<&str>>> = Rc::default();
        let y = ticking(&out, 6);
        let (c, b, o) = (cond.clone(), cell.clone(), out.clone());
        let w = spawn(cond.acquire().then(move |guard| {
            o.say("waiter waits");
            let seen = b.clone();
            c.wait_for(guard, move || !b.borrow().is_empty()).map(move |_guard| {
                o.say(format!("waiter sees {}", seen.borrow()[0]));
            })
        }));
        yield_now()
            .then(move |()| cond.acquire().map(move |guard| (cond, guard)))
            .then(move |(cond, guard)| {
                cell.borrow_mut().push("x");
                cond.notify(1);
                out.say("notified");
                yield_now().map(move |()| {
                    out.say("notifier lets go");
                    drop(guard);
                    vec![w, y]
                })
            })
            .then(all_ok)
    });
    let expected =
        ["Y1", "waiter waits", "notified", "Y2", "notifier lets go", "Y3", "waiter sees x", "Y4", "Y5", "Y6"];
    assert_eq!(lines, expected.map(|l| format!("0.000 {l}")));
}

/// ```python
/// async def sem_user(sem, name):
///     async with sem: say(f"{name} in"); await asyncio.sleep(0.5)
///     say(f"{name} out")
/// a, b, c = (create_task(sem_user(sem, n)) for n in "ABC")     # Semaphore(1)
/// await sleep(0.5); y = create_task(Y(4)); await sleep(0)
/// say(f"cancel B: {b.cancel()}")       # B was woken by A's release, and has not run yet
/// await gather(a, c, y); say(f"B cancelled: {b.cancelled()}")
/// ```
#[test]
fn a_semaphore_waiter_cancelled_after_its_wake_passes_the_slot_on() {
    let lines = trace(|out| {
        let sem = Semaphore::new(1);
        let user = |name: &'static str| {
            let o = out.clone();
            spawn(sem.acquire().then(move |permit| {
                o.say(format!("{name} in"));
                sleep(Duration::from_millis(500)).map(move |()| {
                    drop(permit);
                    o.say(format!("{name} out"));
                })
            }))
        };
        let (a, b, c) = (user("A"), user("B"), user("C"));
        sleep(Duration::from_millis(500))
            .then(move |()| {
                let y = ticking(&out, 4);
                yield_now().map(move |()| (out, a, b, c, y))
            })
            .then(|(out, a, b, c, y)| {
                let python = |yes: bool| if yes { "True" } else { "False" };
                out.say(format!("cancel B: {}", python(b.cancel())));
                all_ok(vec![a, c, y])
                    .map(move |()| out.say(format!("B cancelled: {}", python(b.cancelled()))))
            })
    });
    let expected = [
        "0.000 A in",
        "0.500 A out",
        "0.500 Y1",
        "0.500 cancel B: True",
        "0.500 Y2",
        "0.500 C in",
        "0.500 Y3",
        "0.500 Y4",
        "1.000 C out",
        "1.000 B cancelled: True",
    ];
    assert_eq!(lines, expected);
}

/// ```python
/// async def ev_waiter(ev, name): await ev.wait(); say(f"{name} woke, is_set={ev.is_set()}")
/// y = create_task(Y(4)); w1 = create_task(ev_waiter(ev, "w1")); await sleep(0)
/// ev.set(); ev.clear(); say("set, cleared"); w2 = create_task(ev_waiter(ev, "w2"))
/// await w1; await sleep(1); ev.set(); say("set"); await gather(w2, y)
/// ```
#[test]
fn an_event_wakes_who_waited_even_if_cleared_and_later_waiters_park_again() {
    let lines = trace(|out| {
        let ev = Event::new();
        let waiter = move |ev: &Event, name: &'static str, out: &Transcript| {
            let (e, o) = (ev.clone(), out.clone());
            spawn(ev.wait().map(move |()| {
                let set = if e.is_set() { "True" } else { "False" };
                o.say(format!("{name} woke, is_set={set}"));
            }))
        };
        let y = ticking(&out, 4);
        let w1 = waiter(&ev, "w1", &out);
        yield_now()
            .then(move |()| {
                ev.set();
                ev.clear();
                out.say("set, cleared");
                let w2 = waiter(&ev, "w2", &out);
                w1.then(|r| {
                    r.unwrap();
                    sleep(Duration::from_secs(1))
                })
                .map(move |()| {
                    ev.set();
                    out.say("set");
                    vec![w2, y]
                })
            })
            .then(all_ok)
    });
    let expected = [
        "0.000 Y1",
        "0.000 set, cleared",
        "0.000 Y2",
        "0.000 w1 woke, is_set=False",
        "0.000 Y3",
        "0.000 Y4",
        "1.000 set",
        "1.000 w2 woke, is_set=True",
    ];
    assert_eq!(lines, expected);
}

/// Python 3.13's `shutdown` (CPython 3.13.0 prints the same lines): a
/// producer blocked on a full queue fails with `QueueShutDown`; consumers
/// drain what is left, then each `get` fails; `join` is released once the
/// drained items are `task_done`.
#[test]
fn a_shut_down_queue_fails_its_putters_and_lets_its_getters_drain_then_fail() {
    let lines = trace(|out| {
        let q = Queue::new(2);
        q.put_nowait(1).unwrap();
        q.put_nowait(2).unwrap();
        let o = out.clone();
        let blocked = spawn(q.put(3).map(move |r| o.say(format!("producer: {r:?}"))));
        let drain = |name: &'static str| {
            let (q, o) = (q.clone(), out.clone());
            spawn(sleep(Duration::from_secs(1)).then(move |()| {
                let (q2, o2) = (q.clone(), o.clone());
                q.get().then(move |first| {
                    o2.say(format!("{name}: {first:?}"));
                    if first.is_ok() {
                        q2.task_done().unwrap();
                    }
                    q2.clone().get().map(move |second| {
                        o2.say(format!("{name}: {second:?}"));
                        if second.is_ok() {
                            q2.task_done().unwrap();
                        }
                    })
                })
            }))
        };
        let consumers = vec![drain("C1"), drain("C2")];
        let (q2, o) = (q.clone(), out.clone());
        yield_now()
            .map(move |()| {
                q2.shutdown(false);
                o.say(format!("shut down with {} items", q2.qsize()));
            })
            .then(move |()| blocked.map(Result::unwrap))
            .then(move |()| all_ok(consumers))
            .then(move |()| q.join().map(move |()| out.say("join returned")))
    });
    let expected = [
        "0.000 shut down with 2 items",
        "0.000 producer: Err(ShutDown(3))",
        "1.000 C1: Ok(1)",
        "1.000 C1: Ok(2)",
        "1.000 C2: Err(ShutDown)",
        "1.000 C2: Err(ShutDown)",
        "1.000 join returned",
    ];
    assert_eq!(lines, expected);
}

/// asyncio hangs here forever; rondo stops and says what each task waits
/// on, naming the locks (the dining philosophers, two of them).
#[test]
fn two_tasks_taking_two_locks_in_opposite_orders_are_reported_with_the_locks_names() {
    let ev = EventLoop::new_virtual();
    let (fork, knife) = (Lock::named("fork"), Lock::named("knife"));
    let diner = |first: &Lock, second: &Lock| {
        let second = second.clone();
        first.acquire().then(move |g1| {
            sleep(Duration::from_millis(100)).then(move |()| second.acquire().map(move |g2| drop((g1, g2))))
        })
    };
    let _a = ev.spawn_named("A", diner(&fork, &knife));
    let _b = ev.spawn_named("B", diner(&knife, &fork));
    let Err(LoopError::Deadlock { stuck }) = ev.run_forever() else { panic!("a deadlock") };
    let said: Vec<_> = stuck.iter().map(|s| (s.task.name.as_str(), s.waits_on.as_str())).collect();
    let cycle = "Task 'A' waits for Lock 'knife' held by 'B', which waits for Lock 'fork' held by 'A'";
    assert_eq!(
        said,
        [
            ("A", format!("waits to acquire Lock 'knife' held by 'B', in a cycle: {cycle}").as_str()),
            ("B", "waits to acquire Lock 'fork' held by 'A', in the cycle above"),
        ]
    );
    assert_eq!(ev.time(), 0.1);
}

/// A task holds a lock while it waits for an event nobody sets; another
/// waits for the lock. No cycle: the report follows the chain by name.
#[test]
fn a_lock_held_by_a_task_waiting_on_an_unset_event_names_both() {
    let ev = EventLoop::new_virtual();
    let (lock, never_set) = (Lock::named("db"), Event::new());
    let (l, e) = (lock.clone(), never_set.clone());
    let _holder = ev.spawn_named("holder", l.acquire().then(move |g| e.wait().map(move |()| drop(g))));
    let _waiter = ev.spawn_named("waiter", lock.acquire().map(drop));
    let Err(LoopError::Deadlock { stuck }) = ev.run_forever() else { panic!("a deadlock") };
    let said: Vec<_> = stuck.iter().map(|s| (s.task.name.as_str(), s.waits_on.as_str())).collect();
    assert_eq!(
        said,
        [("holder", "waits on an unset Event"), ("waiter", "waits to acquire Lock 'db' held by 'holder'")]
    );
}

/// A cycle through an awaited task: A holds the lock and awaits B, which
/// waits for the lock.
#[test]
fn a_cycle_through_an_awaited_task_is_named() {
    let ev = EventLoop::new_virtual();
    let lock = Lock::named("fork");
    let l = lock.clone();
    let main = lazy(move || {
        let held = l.try_acquire().unwrap();
        let b = rondo::spawn_named("B", l.acquire().map(drop));
        b.map(move |_| drop(held))
    })
    .then(|c| c);
    let Err(LoopError::Deadlock { stuck }) = ev.run(main) else { panic!("a deadlock") };
    let said: Vec<_> = stuck.iter().map(|s| (s.task.name.as_str(), s.waits_on.as_str())).collect();
    assert_eq!(
        said,
        [
            (
                "Task-1",
                "awaits task 'B', in a cycle: Task 'Task-1' awaits task 'B', which waits for Lock 'fork' held by 'Task-1'"
            ),
            ("B", "waits to acquire Lock 'fork' held by 'Task-1', in the cycle above"),
        ]
    );
}

/// `wait_for(lock.acquire(), 1)`, `wait_for(q.get(), 1)`, `wait_for(ev.wait(), 1)`:
/// at the limit each waiter is dropped and leaves its line, so the next
/// release, put or set goes to someone who is still there.
#[test]
fn waits_that_time_out_leave_their_lines_and_take_no_wake_with_them() {
    use rondo::wait_for;
    let lines = trace(|out| {
        let (lock, q, ev) = (Lock::new(), Queue::new(0), Event::new());
        let held = lock.try_acquire().unwrap();
        let second = Duration::from_secs(1);
        let (l, q2, e, o) = (lock.clone(), q.clone(), ev.clone(), out.clone());
        let timed_out = spawn(
            lazy(move || {
                let waits = rondo::join3(
                    wait_for(l.acquire(), second),
                    wait_for(q2.get(), second),
                    wait_for(e.wait(), second),
                );
                waits.map(move |(a, g, w)| {
                    o.say(format!("timed out: {} {} {}", a.is_err(), g.is_err(), w.is_err()))
                })
            })
            .then(|c| c),
        );
        let (l, q2, e, o) = (lock.clone(), q.clone(), ev.clone(), out.clone());
        let patient = spawn(sleep(Duration::from_millis(500)).then(move |()| {
            rondo::join3(l.acquire(), q2.get(), e.wait())
                .map(move |(_g, item, ())| o.say(format!("patient got {}", item.unwrap())))
        }));
        sleep(Duration::from_secs(2)).then(move |()| {
            drop(held); // the timed-out waiter left the lock's line: `patient` is first
            q.put_nowait("x").unwrap();
            ev.set();
            out.say("released, put, set");
            all_ok(vec![timed_out, patient])
        })
    });
    assert_eq!(lines, ["1.000 timed out: true true true", "2.000 released, put, set", "2.000 patient got x"]);
}
