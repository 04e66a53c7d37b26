//! The failure paths under adversarial use: one regression test per class of
//! defect that was found (each failed before its fix). The property tests
//! that look for the next defect of each class are in `leak_and_drop_props.rs`.

use rondo::{
    Coroutine, CoroutineExt, EventLoop, LoopError, Task, TaskError, Transcript, gather, lazy, poll_fn,
    shield, sleep, spawn, yield_now,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Says `text` when dropped: a coroutine's `finally:`.
struct Finally(Transcript, &'static str);
impl Drop for Finally {
    fn drop(&mut self) {
        self.0.say(self.1);
    }
}

// ---------------------------------------------------------------------------
// Cancellation: deep chains, cycles, stale records, shields, gathers
// ---------------------------------------------------------------------------

#[test]
fn cancelling_the_head_of_a_chain_a_hundred_thousand_deep_does_not_overflow_the_stack() {
    // Was: one recursion per task in the cancel walk, SIGABRT at ~40k.
    let depth = 100_000;
    let result = EventLoop::new_virtual()
        .run(
            lazy(move || {
                let mut t = spawn(sleep(secs(100)).map(|()| 0u32));
                for _ in 0..depth {
                    t = spawn(t.map(|_| 0u32));
                }
                sleep(secs(1)).then(move |()| {
                    assert!(t.cancel());
                    t
                })
            })
            .then(|t| t),
        )
        .unwrap();
    assert_eq!(result, Err(TaskError::Cancelled));
}

/// A shared place for a task handle: one coroutine awaits through it,
/// another can cancel or inspect the task meanwhile.
type Slot = Rc<RefCell<Option<Task<()>>>>;

/// Awaits the task in `slot` (without taking it out), saying `text` when dropped.
fn await_slot(slot: Slot, guard: Finally) -> impl Coroutine<Output = ()> {
    poll_fn(move |cx| {
        let _clean_up_on_drop = &guard;
        let mut slot = slot.borrow_mut();
        slot.as_mut().expect("the handle is in its slot").poll(cx).map(|_| ())
    })
}

#[test]
fn an_await_cycle_is_cancelled_and_both_tasks_end() {
    // A awaits B and B awaits A. Was: cancel(A) returned true and neither ended.
    let out = Transcript::new();
    let (o, slot_a, slot_b): (Transcript, Slot, Slot) = (out.clone(), Rc::default(), Rc::default());
    let ev = EventLoop::new_virtual();
    let main = lazy(move || {
        let a = spawn(await_slot(slot_b.clone(), Finally(o.clone(), "A cleanup")));
        let b = spawn(await_slot(slot_a.clone(), Finally(o.clone(), "B cleanup")));
        *slot_a.borrow_mut() = Some(a);
        *slot_b.borrow_mut() = Some(b);
        yield_now().then(|()| yield_now()).then(move |()| {
            assert!(slot_a.borrow().as_ref().unwrap().cancel(), "A was pending");
            sleep(secs(1)).map(move |()| (slot_a, slot_b))
        })
    });
    let (slot_a, slot_b) = ev.run_until_complete(main.then(|c| c)).unwrap();
    assert_eq!(out.lines(), ["B cleanup", "A cleanup"], "the cycle closed at B, then A ended");
    assert!(slot_a.borrow().as_ref().unwrap().cancelled());
    assert!(slot_b.borrow().as_ref().unwrap().cancelled());
    assert!(ev.all_tasks().is_empty());
}

#[test]
fn a_detached_task_is_not_cancelled_with_its_former_awaiter() {
    // A polled B once, then dropped B's handle (detaching B). Was: cancelling
    // A still cancelled B, through the stale "A awaits B" record.
    let out = Transcript::new();
    let o = out.clone();
    let ev = EventLoop::new_virtual();
    let main = lazy(move || {
        let ob = o.clone();
        let b = spawn(sleep(secs(2)).map(move |()| ob.say("B finished")));
        let mut b = Some(b);
        let a = spawn(poll_fn(move |cx| {
            if let Some(mut handle) = b.take() {
                assert!(handle.poll(cx).is_pending());
                drop(handle); // detached: B runs on
            }
            rondo::Poll::Pending::<()>
        }));
        yield_now().then(|()| yield_now()).then(move |()| {
            assert!(a.cancel());
            sleep(secs(3))
        })
    });
    ev.run_until_complete(main.then(|c| c)).unwrap();
    assert_eq!(out.stamped(), ["2.000 B finished"]);
}

#[test]
fn a_shield_after_a_direct_poll_still_shields() {
    // Was: one direct poll of the task before `shield(t)` let the cancel through.
    let out = Transcript::new();
    let o = out.clone();
    let ev = EventLoop::new_virtual();
    let main = lazy(move || {
        let ob = o.clone();
        let inner = spawn(sleep(secs(2)).map(move |()| ob.say("inner finished")));
        let mut inner = Some(inner);
        let mut shielded = None;
        let outer = spawn(poll_fn(move |cx| {
            if let Some(mut t) = inner.take() {
                assert!(t.poll(cx).is_pending()); // awaited directly once...
                shielded = Some(shield(t)); // ...then through a shield
            }
            shielded.as_mut().unwrap().poll(cx).map(|_| ())
        }));
        sleep(secs(1)).then(move |()| {
            assert!(outer.cancel());
            sleep(secs(2)).map(move |()| outer)
        })
    });
    let outer = ev.run_until_complete(main.then(|c| c)).unwrap();
    assert!(outer.cancelled());
    assert_eq!(out.stamped(), ["2.000 inner finished"], "the shielded task ran on");
}

#[test]
fn a_task_can_inspect_and_cancel_its_own_handle() {
    // asyncio allows `current_task().cancel()`. Was: "already mutably borrowed".
    let out = Transcript::new();
    let (o, me): (Transcript, Slot) = (out.clone(), Rc::default());
    let ev = EventLoop::new_virtual();
    let slot = me.clone();
    let task = ev.spawn(poll_fn(move |_| {
        let slot = slot.borrow();
        let me = slot.as_ref().expect("stored before the first step");
        o.say(format!("done={} cancelled={} failed={}", me.done(), me.cancelled(), me.failed()));
        assert!(me.cancel(), "a running task is not finished: cancelling it works");
        rondo::Poll::Pending::<()>
    }));
    *me.borrow_mut() = Some(task);
    let _ = ev.run_until_complete(sleep(secs(1)));
    assert_eq!(out.lines(), ["done=false cancelled=false failed=false"]);
    let task = me.borrow_mut().take().unwrap();
    assert!(task.cancelled(), "its next step was its end");
}

#[test]
fn cancelling_a_task_that_awaits_gather_cancels_the_children_first_as_asyncio_does() {
    // main spawns T1, yields once, cancels T1; T1 awaits gather(T2); T2 says
    // a line. asyncio says nothing (T2 is cancelled before its first step);
    // rondo said T2's line. (CPython 3.11, 3.12, 3.13.)
    let out = Transcript::new();
    let o = out.clone();
    let ev = EventLoop::new_virtual();
    let main = lazy(move || {
        let t1 = spawn(gather(vec![lazy(move || o.say("T2 runs"))]));
        yield_now().then(move |()| {
            assert!(t1.cancel());
            t1
        })
    });
    let result = ev.run_until_complete(main.then(|t1| t1)).unwrap();
    assert_eq!(result, Err(TaskError::Cancelled));
    assert!(out.lines().is_empty(), "{:?}", out.lines());
    // asyncio: T2 cancelled in iteration 3, gather's callback 4, T1's end 5,
    // main resumes 6 and its end schedules the stop, 7.
    assert_eq!(ev.iterations(), 7);
}

#[test]
fn a_deadlock_names_a_task_that_sleeps_until_the_end_of_time() {
    let ev = EventLoop::new_virtual();
    let error = ev.run_until_complete(sleep(Duration::MAX)).unwrap_err();
    let LoopError::Deadlock { stuck } = error else { panic!("a deadlock, not {error:?}") };
    assert_eq!(stuck.len(), 1);
    assert!(stuck[0].waits_on.contains("never"), "{}", stuck[0].waits_on);
}

// ---------------------------------------------------------------------------
// Time arithmetic: "never" is a deadline, not an overflow
// ---------------------------------------------------------------------------

#[test]
fn a_callback_due_now_can_be_cancelled_after_time_has_passed() {
    // Was: at virtual t = 5 s, `call_later(0)` then `cancel()` returned false
    // (the heap thought everything due by 5 s had fired) and the callback ran.
    let out = Transcript::new();
    let o = out.clone();
    let ev = EventLoop::new_virtual();
    ev.run_until_complete(sleep(secs(5))).unwrap();
    let timer = ev.call_later(Duration::ZERO, move || o.say("ran anyway"));
    assert!(timer.cancel(), "it has not run");
    ev.run_until_complete(sleep(secs(1))).unwrap();
    assert!(out.lines().is_empty(), "{:?}", out.lines());
}

#[test]
fn timers_at_the_end_of_time_never_fire_and_cancel_cleanly() {
    let out = Transcript::new();
    let o = out.clone();
    let ev = EventLoop::new_virtual();
    let never = ev.call_later(Duration::MAX, move || o.say("the end of time came"));
    ev.run_until_complete(sleep(secs(3600 * 24 * 365 * 500))).unwrap(); // 500 years pass
    assert!(out.lines().is_empty());
    assert!(never.cancel(), "it never fired: withdrawing it works");
    let late = ev.call_later(Duration::MAX, || {});
    assert!(late.cancel());
    // Nothing is left: the loop has nothing to wait for.
    assert_eq!(ev.run_forever(), Err(LoopError::Deadlock { stuck: vec![] }));
}

#[test]
fn on_the_real_clock_a_duration_max_wait_does_not_overflow() {
    // Was: std's bare "overflow when adding durations" from sleep, call_later
    // and wait_for on the real clock.
    let ev = EventLoop::new();
    // (The inner coroutine yields first, so that the timeout's deadline is computed.)
    let answer = ev.run_until_complete(rondo::wait_for(yield_now().map(|()| 42), Duration::MAX)).unwrap();
    assert_eq!(answer, Ok(42));
    let timer = ev.call_later(Duration::MAX, || {});
    assert!(timer.cancel());
    let raced = ev.run_until_complete(rondo::select(sleep(Duration::MAX), yield_now())).unwrap();
    assert!(matches!(raced, rondo::Either::Right(())));
}

// ---------------------------------------------------------------------------
// The deadlock explainer is linear
// ---------------------------------------------------------------------------

#[test]
fn fifty_thousand_tasks_stuck_on_one_promise_are_all_explained() {
    // Was quadratic: 100k tasks took 45 s (release). Linear, this is fast
    // even unoptimized.
    let n = 50_000;
    let ev = EventLoop::new_virtual();
    let promise: rondo::Promise<u8> = rondo::Promise::new();
    let handles: Vec<_> = (0..n).map(|_| ev.spawn(promise.wait())).collect();
    let LoopError::Deadlock { stuck } = ev.run_forever().unwrap_err() else { panic!("a deadlock") };
    assert_eq!(stuck.len(), n);
    assert!(stuck.iter().all(|s| s.waits_on.starts_with("awaits a promise that nobody has resolved")));
    drop(handles);
}

// ---------------------------------------------------------------------------
// Panics where user code runs: callbacks, done-callbacks, wakers, `Drop`
// ---------------------------------------------------------------------------

#[test]
fn a_panicking_callback_is_reported_with_its_site_and_the_loop_goes_on() {
    // Was: a panic in a call_soon / call_later callback or a promise's
    // done-callback unwound out of run_until_complete; siblings stopped.
    let out = Transcript::new();
    let o = out.clone();
    let ev = EventLoop::new_virtual();
    let soon_line = line!() + 1;
    ev.call_soon(|| panic!("in call_soon"));
    let _later = ev.call_later(secs(1), || panic!("in call_later"));
    let promise: rondo::Promise<u8> = rondo::Promise::new();
    let p = promise.clone();
    let main = lazy(move || {
        p.add_done_callback(|_| panic!("in a done-callback"));
        p.set_result(1);
        let o2 = o.clone();
        spawn(sleep(secs(2)).map(move |()| o2.say("the sibling finished")))
    });
    ev.run_until_complete(main.then(|t| t)).unwrap().unwrap();
    assert_eq!(out.stamped(), ["2.000 the sibling finished"]);
    let panics = ev.callback_panics();
    let messages: Vec<&str> = panics.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(messages, ["in call_soon", "in a done-callback", "in call_later"]);
    assert_eq!(panics[0].scheduled_at.file(), file!());
    assert_eq!(panics[0].scheduled_at.line(), soon_line);
    assert!(panics[0].to_string().starts_with("a callback scheduled at tests/failure_paths.rs:"));
}

/// Panics when dropped.
struct Bomb;
impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("bomb went off in Drop");
    }
}

#[test]
fn a_coroutine_that_panics_in_drop_when_it_completes_still_ends_its_task() {
    // Was: the drop ran outside catch_unwind; the panic escaped the loop and
    // the task stayed in all_tasks() with its awaiter never woken.
    let ev = EventLoop::new_virtual();
    let main = lazy(|| {
        let bomb = Bomb;
        spawn(poll_fn(move |_| {
            let _keep = &bomb; // dropped with the finished coroutine
            rondo::Poll::Ready(7)
        }))
    });
    assert_eq!(ev.run_until_complete(main.then(|t| t)).unwrap(), Ok(7));
    assert!(ev.all_tasks().is_empty());
}

// ---------------------------------------------------------------------------
// A loop that ends with work left drops everything it owns
// ---------------------------------------------------------------------------

/// Counts its drops.
struct Counted(Rc<std::cell::Cell<u32>>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// A child sleeping 10 s and its parent awaiting it, each holding a `Counted`.
fn parent_and_child(drops: &Rc<std::cell::Cell<u32>>) -> impl Coroutine<Output = ()> + use<> {
    let (a, b) = (Counted(drops.clone()), Counted(drops.clone()));
    lazy(move || {
        let child = spawn(sleep(secs(10)).map(move |()| drop(a)));
        let _parent = spawn(child.map(move |_| drop(b)));
        sleep(secs(1))
    })
    .then(|s| s)
}

#[test]
fn dropping_a_loop_with_a_task_awaiting_a_task_runs_both_drops() {
    // Was: the awaiter and the awaited held each other; nothing was dropped.
    let drops = Rc::new(std::cell::Cell::new(0));
    let ev = EventLoop::new_virtual();
    ev.run_until_complete(parent_and_child(&drops)).unwrap();
    assert_eq!(drops.get(), 0);
    drop(ev);
    assert_eq!(drops.get(), 2);
}

#[test]
fn when_main_panics_the_rest_is_still_cancelled() {
    // Was: `run` skipped cancelling the rest (0 of 2 clean-ups ran).
    let drops = Rc::new(std::cell::Cell::new(0));
    let d = drops.clone();
    let main = parent_and_child(&d).then(|()| -> rondo::Ready<()> { panic!("main fails") });
    let caught =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| EventLoop::new_virtual().run(main)));
    assert!(caught.is_err());
    assert_eq!(drops.get(), 2);
}

#[test]
fn after_a_deadlock_error_dropping_the_loop_runs_every_drop() {
    let drops = Rc::new(std::cell::Cell::new(0));
    let (a, b) = (Counted(drops.clone()), Counted(drops.clone()));
    let ev = EventLoop::new_virtual();
    let never: rondo::Promise<u8> = rondo::Promise::new();
    let p = never.clone();
    let waiter = ev.spawn(p.wait().map(move |_| drop(a)));
    let error = ev.run_until_complete(waiter.map(move |_| drop(b))).unwrap_err();
    assert!(matches!(error, LoopError::Deadlock { .. }));
    drop(ev);
    assert_eq!(drops.get(), 2);
    drop(never);
}

// ---------------------------------------------------------------------------
// Misuse gets a message that names the mistake
// ---------------------------------------------------------------------------

#[test]
#[should_panic(expected = "was spawned on another event loop: a task can only be awaited")]
fn awaiting_a_task_of_another_loop_says_so() {
    let other = EventLoop::new_virtual();
    let foreign = other.spawn(sleep(secs(1)));
    let _ = EventLoop::new_virtual().run_until_complete(foreign);
}

#[test]
fn a_task_spawned_by_a_clean_up_during_cancel_all_is_cancelled_too() {
    // A coroutine's `Drop` spawns a task (asyncio: `finally: create_task(...)`).
    // Was: cancel_all drained the table once; the new task survived it.
    struct SpawnOnDrop(Rc<std::cell::Cell<u32>>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let counted = Counted(self.0.clone());
            drop(spawn(sleep(secs(1)).map(move |()| drop(counted))));
        }
    }
    let drops = Rc::new(std::cell::Cell::new(0));
    let ev = EventLoop::new_virtual();
    let bomb = SpawnOnDrop(drops.clone());
    let _t = ev.spawn(poll_fn(move |_| {
        let _keep = &bomb;
        rondo::Poll::<()>::Pending
    }));
    ev.run_until_complete(yield_now()).unwrap();
    assert_eq!(ev.cancel_all(), 2, "the task, and the one its clean-up spawned");
    assert!(ev.all_tasks().is_empty());
    assert_eq!(drops.get(), 1, "the spawned task's coroutine was dropped");
}

#[test]
fn a_second_awaiter_of_one_task_is_told_it_is_the_second() {
    // Was: the second awaiter silently took the first one's wake-up, and the
    // first waited forever.
    let (slot, ev): (Slot, EventLoop) = (Rc::default(), EventLoop::new_virtual());
    let s = slot.clone();
    let main = lazy(move || {
        *s.borrow_mut() = Some(spawn(sleep(secs(1))));
        let out = Transcript::new();
        let first = spawn(await_slot(s.clone(), Finally(out.clone(), "first done")));
        let second = spawn(yield_now().then(move |()| await_slot(s, Finally(out, "second done"))));
        (first, second)
    });
    let (first, second) = ev.run_until_complete(main).unwrap();
    let second = ev.run_until_complete(second).unwrap();
    let Err(TaskError::Panicked(message)) = second else { panic!("the second await is refused: {second:?}") };
    assert!(message.contains("is awaited by two coroutines at once"), "{message}");
    assert_eq!(ev.run_until_complete(first).unwrap(), Ok(()), "the first awaiter still gets its wake");
    drop(slot);
}

#[test]
fn a_panicking_observer_is_removed_and_the_program_goes_on() {
    struct Broken;
    impl rondo::Observer for Broken {
        fn event(&mut self, _: Duration, _: &rondo::LoopEvent, _: &rondo::LoopView<'_>) {
            panic!("the observer is broken");
        }
    }
    let out = Transcript::new();
    let o = out.clone();
    let ev = EventLoop::new_virtual();
    ev.observe(Box::new(Broken));
    ev.run_until_complete(sleep(secs(1)).map(move |()| o.say("done"))).unwrap();
    assert_eq!(out.stamped(), ["1.000 done"]);
    assert!(ev.stop_observing().is_none(), "it was removed");
}
