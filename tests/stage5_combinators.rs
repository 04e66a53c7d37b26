//! Stage 5's combinators against CPython: each program here is the Rust twin
//! of one in asyncio, and the expected traces are what CPython 3.11 printed
//! under a virtual clock (for `wait_for`, what 3.12+'s inline `timeout` does;
//! see the test). A ticking task `Y` (say, `sleep(0)`, repeat) runs alongside,
//! so one iteration more or less shows up in the trace.

use rondo::{
    CoroutineExt, EventLoop, Promise, ReturnWhen, StreamExt, TaskError, Transcript, as_completed, gather,
    gather_settled, lazy, ready, sleep, spawn, wait, wait_for, wait_timeout, yield_now,
};
use std::time::Duration;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// `async def Y(n, start): await sleep(start); for i in 1..=n: say(f"Y{i}"); await sleep(0)`
fn ticking(out: &Transcript, n: u64, start: f64) -> impl rondo::Coroutine<Output = ()> + 'static {
    let out = out.clone();
    // `if start:` — with no start, Y does not sleep(0) first.
    let first = if start > 0.0 { sleep(secs(start)).boxed() } else { ready(()).boxed() };
    first.then(move |()| {
        rondo::stage5_combinators::ticker(n, Duration::ZERO).for_each(move |i| out.say(format!("Y{}", i + 1)))
    })
}

fn run<C: rondo::Coroutine + 'static>(main: C) -> C::Output
where
    C::Output: 'static,
{
    EventLoop::new_virtual().run(main).expect("main completes")
}

#[test]
fn gather_resumes_its_awaiter_two_iterations_after_the_last_child() {
    let out = Transcript::new();
    let o = out.clone();
    let main = lazy(move || {
        let y = spawn(ticking(&o, 6, 0.0));
        let (a, b) = (o.clone(), o.clone());
        let children = vec![
            lazy(move || {
                a.say("A done");
                1
            })
            .boxed(),
            yield_now()
                .map(move |()| {
                    b.say("B done");
                    2
                })
                .boxed(),
        ];
        let o = o.clone();
        gather(children).map(move |r| o.say(format!("main after gather {:?}", r.unwrap()))).then(move |()| y)
    })
    .then(|inner| inner);
    run(main).unwrap();
    assert_eq!(
        out.stamped(),
        [
            "0.000 Y1",
            "0.000 A done",
            "0.000 Y2",
            "0.000 B done",
            "0.000 Y3",
            "0.000 Y4",
            "0.000 main after gather [1, 2]",
            "0.000 Y5",
            "0.000 Y6",
        ]
    );
}

#[test]
fn gather_settled_returns_every_outcome_in_argument_order() {
    let outcomes = run(lazy(|| {
        let cancelled: Promise<u32> = Promise::new();
        cancelled.cancel();
        gather_settled(vec![
            sleep(secs(2.0)).map(|()| Ok(1)).boxed(),
            cancelled.wait().boxed(),
            ready(Ok(3)).boxed(),
        ])
    })
    .then(|g| g));
    let flat: Vec<Result<u32, TaskError>> = outcomes.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(flat, [Ok(1), Err(TaskError::Cancelled), Ok(3)]);
}

#[test]
fn wait_first_completed_splits_done_and_pending_then_a_timeout_returns_early() {
    let out = Transcript::new();
    let o = out.clone();
    let main = lazy(move || {
        let y = spawn(ticking(&o, 6, 1.0));
        let t = |n: u32, d: f64| {
            let o = o.clone();
            spawn(sleep(secs(d)).map(move |()| {
                o.say(format!("t{n} done"));
                n
            }))
        };
        let tasks = vec![t(1, 2.0), t(2, 1.0), t(3, 1.0)];
        let o2 = o.clone();
        wait(tasks, ReturnWhen::FirstCompleted)
            .then(move |(done, pending)| {
                let ids: Vec<u64> = done.iter().map(|t| t.id() - 2).collect();
                o2.say(format!("done {ids:?} pending {}", pending.len()));
                let all = done.into_iter().chain(pending).collect();
                wait_timeout(all, ReturnWhen::AllCompleted, secs(0.5))
            })
            .then(move |(done, pending)| {
                o.say(format!("after timeout: done {} pending {}", done.len(), pending.len()));
                y
            })
    })
    .then(|inner| inner);
    run(main).unwrap();
    assert_eq!(
        out.stamped(),
        [
            "1.000 Y1",
            "1.000 t2 done",
            "1.000 t3 done",
            "1.000 Y2",
            "1.000 Y3",
            "1.000 done [2, 3] pending 1",
            "1.000 Y4",
            "1.000 Y5",
            "1.000 Y6",
            "1.500 after timeout: done 2 pending 1",
        ]
    );
}

#[test]
fn as_completed_yields_in_finishing_order_two_iterations_after_each() {
    let out = Transcript::new();
    let o = out.clone();
    let main = lazy(move || {
        let y = spawn(ticking(&o, 6, 1.0));
        let t = |n: u32, d: f64| sleep(secs(d)).map(move |()| n);
        let o = o.clone();
        as_completed(vec![t(1, 3.0), t(2, 1.0), t(3, 2.0), t(4, 1.0)])
            .for_each(move |r| o.say(format!("got {}", r.unwrap())))
            .then(move |()| y)
    })
    .then(|inner| inner);
    run(main).unwrap();
    assert_eq!(
        out.stamped(),
        [
            "1.000 Y1",
            "1.000 Y2",
            "1.000 Y3",
            "1.000 got 2",
            "1.000 got 4",
            "1.000 Y4",
            "1.000 Y5",
            "1.000 Y6",
            "2.000 got 3",
            "3.000 got 1",
        ]
    );
}

#[test]
fn wait_for_cancels_the_inner_coroutine_inline_like_python_3_12() {
    // Python 3.12+ runs the inner coroutine inline under `timeout()`: when the
    // limit passes, the timer wakes the task, which resumes one iteration
    // later with "timed out" — ahead of Y, whose timer was registered after.
    // (3.11 wrapped the inner coroutine in a task: three iterations later.)
    let out = Transcript::new();
    let o = out.clone();
    let never = out.clone();
    let main = lazy(move || {
        let y = spawn(ticking(&o, 4, 1.0));
        let o2 = o.clone();
        wait_for(sleep(secs(10.0)).map(move |()| never.say("never")), secs(1.0))
            .then(move |r| {
                assert!(r.is_err());
                o2.say("timed out");
                wait_for(sleep(secs(1.0)).map(|()| 7), secs(5.0))
            })
            .then(move |r| {
                o.say(format!("in time {}", r.unwrap()));
                y
            })
    })
    .then(|inner| inner);
    let ev = EventLoop::new_virtual();
    ev.run_until_complete(main).unwrap().unwrap();
    assert_eq!(
        out.stamped(),
        ["1.000 timed out", "1.000 Y1", "1.000 Y2", "1.000 Y3", "1.000 Y4", "2.000 in time 7"]
    );
    assert_eq!(ev.all_tasks(), [], "the 10 s sleep was withdrawn, not left to fire");
}

#[test]
fn a_promise_resolved_by_bar_wakes_foo_seed_002() {
    let out = Transcript::new();
    let o = out.clone();
    let main = lazy(move || {
        let promise: Promise<&'static str> = Promise::new();
        let _y = spawn(ticking(&o, 5, 2.0));
        let (fo, bo) = (o.clone(), o.clone());
        let (fp, bp) = (promise.clone(), promise.clone());
        let fo2 = fo.clone();
        let foo = lazy(move || fo2.say("foo will await the future")).then(move |()| {
            let p = fp.clone();
            fp.wait().map(move |r| {
                let r = r.unwrap();
                fo.say(format!("Future result : {r}"));
                fo.say(format!("Is future is done? {}", if p.done() { "True" } else { "False" }));
                Some(r)
            })
        });
        let bo2 = bo.clone();
        let bar = lazy(move || bo2.say("bar will sleep for 2 seconds")).then(move |()| sleep(secs(2.0))).map(
            move |()| {
                bo.say("bar resolving the future");
                bp.set_result("future is resolved");
                None
            },
        );
        let o = o.clone();
        gather(vec![foo.boxed(), bar.boxed()]).map(move |r| o.say(format!("{:?}", r.unwrap())))
    })
    .then(|inner| inner);
    run(main);
    assert_eq!(
        out.stamped(),
        [
            "0.000 foo will await the future",
            "0.000 bar will sleep for 2 seconds",
            "2.000 Y1",
            "2.000 bar resolving the future",
            "2.000 Y2",
            "2.000 Future result : future is resolved",
            "2.000 Is future is done? True",
            "2.000 Y3",
            "2.000 Y4",
            "2.000 [Some(\"future is resolved\"), None]",
            "2.000 Y5",
        ]
    );
}
