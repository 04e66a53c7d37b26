//! Stage 6: cancellation, panics, deadlocks, blocking calls. Traces marked
//! "CPython" are what CPython 3.11 printed for the same program under a
//! virtual clock.

use rondo::{
    Coroutine, CoroutineExt, EventLoop, LoopError, Promise, StreamExt, TaskError, Transcript, blocking_sleep,
    gather, lazy, poll_fn, ready, shield, sleep, spawn, spawn_named, yield_now,
};
use std::time::Duration;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// `async def Y(n, start)`: optionally sleep `start`, then say Y1..Yn with a `sleep(0)` after each.
fn ticking(out: &Transcript, n: u64, start: f64) -> impl Coroutine<Output = ()> + 'static {
    let out = out.clone();
    let first = if start > 0.0 { sleep(secs(start)).boxed() } else { ready(()).boxed() };
    first.then(move |()| {
        rondo::stage5_combinators::ticker(n, Duration::ZERO).for_each(move |i| out.say(format!("Y{}", i + 1)))
    })
}

/// Says `text` when dropped: the `finally:` of a coroutine.
struct Finally(Transcript, &'static str);
impl Drop for Finally {
    fn drop(&mut self) {
        self.0.say(self.1);
    }
}

/// `async def f(): try: await sleep(d) finally: say(text)`
fn sleeps_then_cleans_up(
    out: &Transcript,
    d: f64,
    text: &'static str,
) -> impl Coroutine<Output = ()> + 'static {
    let guard = Finally(out.clone(), text);
    sleep(secs(d)).map(move |()| drop(guard))
}

fn run<C: Coroutine + 'static>(main: C) -> C::Output
where
    C::Output: 'static,
{
    EventLoop::new_virtual().run(main).expect("main completes")
}

#[test]
fn cancelling_a_sleeping_task_runs_its_cleanup_and_its_awaiter_sees_cancelled() {
    let out = Transcript::new();
    let o = out.clone();
    run(lazy(move || {
        let y = spawn(ticking(&o, 5, 0.0));
        let t = spawn(sleeps_then_cleans_up(&o, 10.0, "sleeper cleanup"));
        let o = o.clone();
        yield_now()
            .then(move |()| {
                assert!(t.cancel());
                o.say("cancel requested");
                let o = o.clone();
                t.map(move |r| {
                    assert_eq!(r, Err(TaskError::Cancelled));
                    o.say("main saw cancelled");
                    o.say("cancelled=True");
                })
            })
            .then(move |()| y)
    })
    .then(|inner| inner))
    .unwrap();
    // CPython
    assert_eq!(
        out.lines(),
        [
            "Y1",
            "cancel requested",
            "Y2",
            "sleeper cleanup",
            "Y3",
            "main saw cancelled",
            "cancelled=True",
            "Y4",
            "Y5"
        ]
    );
}

#[test]
fn cancelling_a_task_cancels_the_task_it_awaits_innermost_first() {
    let out = Transcript::new();
    let o = out.clone();
    run(lazy(move || {
        let inner = spawn(sleeps_then_cleans_up(&o, 10.0, "inner cleanup"));
        let guard = Finally(o.clone(), "outer cleanup");
        let outer = spawn(lazy(move || inner).then(move |inner| inner.map(move |_| drop(guard))));
        let o = o.clone();
        sleep(secs(1.0))
            .then(move |()| {
                outer.cancel();
                sleep(secs(1.0)).map(move |()| outer)
            })
            .map(move |outer| o.say(format!("outer cancelled={}", outer.cancelled())))
    })
    .then(|inner| inner));
    // CPython: the awaited task's clean-up first, then the awaiter's.
    assert_eq!(out.stamped(), ["1.000 inner cleanup", "1.000 outer cleanup", "2.000 outer cancelled=true"]);
}

#[test]
fn shield_keeps_the_inner_task_running_when_its_awaiter_is_cancelled() {
    let out = Transcript::new();
    let o = out.clone();
    run(lazy(move || {
        let io = o.clone();
        let inner = spawn(sleep(secs(3.0)).map(move |()| io.say("inner finished anyway")));
        let guard = Finally(o.clone(), "outer cleanup");
        let outer = spawn(shield(inner).map(move |_| drop(guard)));
        let o = o.clone();
        sleep(secs(1.0))
            .then(move |()| {
                outer.cancel();
                sleep(secs(5.0)).map(move |()| outer)
            })
            .map(move |outer| o.say(format!("outer cancelled={}", outer.cancelled())))
    })
    .then(|inner| inner));
    // CPython
    assert_eq!(
        out.stamped(),
        ["1.000 outer cleanup", "3.000 inner finished anyway", "6.000 outer cancelled=true"]
    );
}

#[test]
fn gather_returns_the_first_failure_at_once_and_the_others_keep_running() {
    let out = Transcript::new();
    let o = out.clone();
    run(lazy(move || {
        let _y = spawn(ticking(&o, 4, 1.0));
        let so = o.clone();
        let children = vec![
            sleep(secs(1.0)).then(|()| poll_fn(|_| -> rondo::Poll<()> { panic!("boom") })).boxed(),
            sleep(secs(3.0)).map(move |()| so.say("slow still finished")).boxed(),
        ];
        let o = o.clone();
        gather(children).then(move |r| {
            match r {
                Err(TaskError::Panicked(message)) => o.say(format!("main caught {message}")),
                other => panic!("expected the child's panic, got {other:?}"),
            }
            sleep(secs(5.0))
        })
    })
    .then(|inner| inner));
    // CPython
    assert_eq!(
        out.stamped(),
        [
            "1.000 Y1",
            "1.000 Y2",
            "1.000 Y3",
            "1.000 main caught boom",
            "1.000 Y4",
            "3.000 slow still finished"
        ]
    );
}

#[test]
fn a_panicking_task_does_not_stop_its_siblings_and_nobody_awaiting_it_is_reported() {
    let out = Transcript::new();
    let ev = EventLoop::new_virtual();
    let o = out.clone();
    let result = ev.run_until_complete(
        lazy(move || {
            let _fire_and_forget =
                spawn_named("doomed", poll_fn(|_| -> rondo::Poll<()> { panic!("kaboom") }));
            let o2 = o.clone();
            let sibling = spawn(sleep(secs(1.0)).map(move |()| o2.say("sibling finished")));
            let awaited = spawn(poll_fn(|_| -> rondo::Poll<u8> { panic!("seen") }));
            awaited.then(move |r| {
                o.say(format!("awaiter got: {}", r.unwrap_err()));
                sibling
            })
        })
        .then(|inner| inner),
    );
    assert_eq!(result, Ok(Ok(())));
    assert_eq!(out.lines(), ["awaiter got: task panicked: seen", "sibling finished"]);
    let unobserved = ev.take_unobserved_failures();
    assert_eq!(unobserved.len(), 1, "the awaited panic was observed; the other was not");
    assert_eq!(unobserved[0].task.name, "doomed");
    assert_eq!(unobserved[0].message, "kaboom");
    let report = unobserved[0].to_string();
    assert!(report.starts_with("task 'doomed' (spawned at tests/stage6_failure.rs:"), "{report}");
}

#[test]
#[should_panic(expected = "main blew up")]
fn a_panic_in_main_reaches_the_caller_of_run() {
    let _ = EventLoop::new_virtual().run(sleep(secs(1.0)).map(|()| panic!("main blew up")));
}

#[test]
fn a_deadlock_names_every_stuck_task_and_what_it_waits_on() {
    let ev = EventLoop::new_virtual();
    let error = ev
        .run_until_complete(
            lazy(|| {
                let never: Promise<u32> = Promise::new();
                let waiter = spawn_named("waiter", never.wait());
                let chained = spawn_named("chained", waiter);
                spawn_named("gathering", gather(vec![sleep(secs(1.0)).then(move |()| chained)]))
            })
            .then(|t| t),
        )
        .unwrap_err();
    let LoopError::Deadlock { stuck } = &error else { panic!("expected a deadlock, got {error:?}") };
    let lines: Vec<String> = stuck.iter().map(|s| format!("{}: {}", s.task.name, s.waits_on)).collect();
    assert_eq!(lines[0], "Task-1: awaits task 'gathering'");
    assert!(lines[1].starts_with(
        "waiter: awaits a promise that nobody has resolved (created at tests/stage6_failure.rs:"
    ));
    assert_eq!(lines[2], "chained: awaits task 'waiter'");
    assert_eq!(lines[3], "gathering: awaits gather of tasks Task-5");
    assert_eq!(lines[4], "Task-5: awaits task 'chained'");
    assert!(error.to_string().contains("5 task(s) still wait"), "{error}");
}

#[test]
fn a_blocking_call_inside_a_coroutine_is_reported_as_a_slow_step() {
    let ev = EventLoop::new_virtual();
    ev.run_until_complete(
        lazy(|| {
            let blocker = spawn_named("highest_prime_below", lazy(|| blocking_sleep(secs(0.75))));
            let fine = spawn(sleep(secs(0.75)));
            gather(vec![blocker.map(|r| r.unwrap()).boxed(), fine.map(|r| r.unwrap()).boxed()])
        })
        .then(|g| g),
    )
    .unwrap()
    .unwrap();
    let slow = ev.slow_steps();
    assert_eq!(slow.len(), 1, "{slow:?}");
    assert_eq!(slow[0].task.name, "highest_prime_below");
    assert_eq!(slow[0].held, secs(0.75));
    assert!(slow[0].to_string().contains("held the loop for 0.750 s"), "{}", slow[0]);
    // 0.75 s blocked + 0.75 s sleeping that could only start after: 1.5 s.
    assert_eq!(ev.time(), 1.5);
}

#[test]
fn a_hundred_thousand_spawned_then_cancelled_sleepers_leave_nothing_behind() {
    let ev = EventLoop::new_virtual();
    let tasks = ev
        .run_until_complete(lazy(|| (0..100_000).map(|_| spawn(sleep(secs(1.0)))).collect::<Vec<_>>()).then(
            |tasks| yield_now().map(move |()| tasks), // every sleeper has started
        ))
        .unwrap();
    assert_eq!(ev.all_tasks().len(), 100_000);
    for task in &tasks {
        assert!(task.cancel());
    }
    ev.run_until_complete(yield_now()).unwrap();
    assert_eq!(ev.all_tasks().len(), 0);
    assert!(tasks.iter().all(|t| t.cancelled()));
    // No timer is left: with nothing to do, the loop reports it at once
    // rather than waiting a second for dead sleeps.
    assert_eq!(ev.run_forever(), Err(LoopError::Deadlock { stuck: vec![] }));
    assert_eq!(ev.time(), 0.0);
}
