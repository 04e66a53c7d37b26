//! Stage 7: `TaskGroup` and `timeout_at`, as event traces on the virtual
//! clock — each line is `time #iteration text`, the iteration being the
//! loop's count when the line was said. Every expected trace is what
//! CPython 3.11.7 printed for the same program (the Python is in the comment
//! above each test) on `tests/asyncio/rondo_vclock.py`'s virtual loop, with
//! `_run_once` counted.

use rondo::{
    Coroutine, CoroutineExt, EventLoop, ExceptionGroup, GroupError, TaskError, TaskGroup, TimeoutHandle,
    lazy, sleep, spawn, task_group, timeout_at,
};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;

type Outcome = Result<(), String>;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// `say(text)`: `time #iteration text`.
#[derive(Clone)]
struct Log {
    lines: Rc<RefCell<Vec<String>>>,
    ev: Weak<EventLoop>,
}

impl Log {
    fn say(&self, text: impl AsRef<str>) {
        let ev = self.ev.upgrade().expect("the loop is alive");
        self.lines.borrow_mut().push(format!("{:.3} #{} {}", ev.time(), ev.iterations(), text.as_ref()));
    }

    /// `print("group failed: " + "; ".join(str(e) for e in eg.exceptions))`
    fn report(&self, group: &ExceptionGroup<String>) {
        let errors: Vec<String> = group.errors.iter().map(ToString::to_string).collect();
        self.say(format!("group failed: {}", errors.join("; ")));
    }
}

/// Runs `main(log)` on a fresh virtual loop; the trace.
fn trace<C: Coroutine<Output = ()> + 'static>(main: impl FnOnce(Log) -> C) -> Vec<String> {
    let ev = Rc::new(EventLoop::new_virtual());
    let log = Log { lines: Rc::default(), ev: Rc::downgrade(&ev) };
    ev.run_until_complete(main(log.clone())).expect("main completes");
    assert!(ev.take_unobserved_failures().is_empty(), "a task failed and nobody saw it");
    log.lines.borrow().clone()
}

/// `say(text)`, then return normally.
fn said(log: &Log, text: &str) -> Outcome {
    log.say(text);
    Ok(())
}

/// Says `"{name} cancelled"` if dropped before `done`: `except CancelledError:`.
struct OnCancel(Log, &'static str, Cell<bool>);
impl Drop for OnCancel {
    fn drop(&mut self) {
        if !self.2.get() {
            self.0.say(format!("{} cancelled", self.1));
        }
    }
}

/// `async def nap(d, name)`: sleep `d`, say done — or cancelled.
fn nap(log: &Log, d: f64, name: &'static str) -> impl Coroutine<Output = Outcome> + use<> {
    let guard = OnCancel(log.clone(), name, Cell::new(false));
    sleep(secs(d)).map(move |()| {
        guard.2.set(true);
        guard.0.say(format!("{name} done"));
        Ok(())
    })
}

/// `async def fail(d, msg)`: sleep `d`, say so, raise `ValueError(msg)`.
fn fail(log: &Log, d: f64, msg: &'static str) -> impl Coroutine<Output = Outcome> + use<> {
    let log = log.clone();
    sleep(secs(d)).map(move |()| {
        log.say(format!("{msg} fails"));
        Err(msg.to_string())
    })
}

/// `try: async with TaskGroup(): ... except* Exception as eg: report(eg)`
fn reported<C>(log: &Log, group: C) -> impl Coroutine<Output = ()> + use<C>
where
    C: Coroutine<Output = Result<(), ExceptionGroup<String>>> + 'static,
{
    let log = log.clone();
    group.map(move |ended| {
        if let Err(group) = ended {
            log.report(&group);
        }
    })
}

// async with asyncio.TaskGroup() as tg:
//     tg.create_task(nap(1, "A")); tg.create_task(fail(0.5, "B")); tg.create_task(nap(3, "C"))
//     await nap(2, "body")
#[test]
fn the_first_failure_cancels_the_siblings_and_the_body() {
    let lines = trace(|log| {
        let l = log.clone();
        reported(
            &log,
            task_group(move |tg| {
                tg.spawn(nap(&l, 1.0, "A"));
                tg.spawn(fail(&l, 0.5, "B"));
                tg.spawn(nap(&l, 3.0, "C"));
                nap(&l, 2.0, "body")
            }),
        )
    });
    assert_eq!(
        lines,
        [
            "0.500 #4 B fails",
            "0.500 #6 A cancelled",
            "0.500 #6 C cancelled",
            "0.500 #6 body cancelled",
            "0.500 #8 group failed: B",
        ]
    );
}

// async with asyncio.TaskGroup() as tg:
//     B = fail(1); D = fail(1); C = nap(3); E = fail(2); say("body done")
#[test]
fn failures_in_the_same_iteration_are_all_collected_in_order() {
    let lines = trace(|log| {
        let l = log.clone();
        reported(
            &log,
            task_group(move |tg| {
                tg.spawn(fail(&l, 1.0, "B"));
                tg.spawn(fail(&l, 1.0, "D"));
                tg.spawn(nap(&l, 3.0, "C"));
                tg.spawn(fail(&l, 2.0, "E"));
                lazy(move || said(&l, "body done"))
            }),
        )
    });
    assert_eq!(
        lines,
        [
            "0.000 #1 body done",
            "1.000 #4 B fails",
            "1.000 #4 D fails",
            "1.000 #6 C cancelled",
            "1.000 #8 group failed: B; D"
        ]
    );
}

// async with asyncio.TaskGroup() as tg:
//     tg.create_task(nap(1, "A")); c = tg.create_task(nap(3, "C"))
//     await asyncio.sleep(0.5); c.cancel(); say("body done")
// say("group ok")
#[test]
fn a_child_cancelled_from_outside_is_not_a_failure() {
    let lines = trace(|log| {
        let (l, end) = (log.clone(), log.clone());
        task_group(move |tg: TaskGroup<String>| {
            tg.spawn(nap(&l, 1.0, "A"));
            let c = tg.spawn(nap(&l, 3.0, "C"));
            sleep(secs(0.5)).map(move |()| {
                assert!(c.cancel());
                l.say("body done");
                Ok(())
            })
        })
        .map(move |ended| {
            ended.expect("no failure");
            end.say("group ok");
        })
    });
    assert_eq!(
        lines,
        ["0.500 #4 body done", "0.500 #5 C cancelled", "1.000 #8 A done", "1.000 #10 group ok"]
    );
}

/// `t = create_task(runs_group()); await sleep(1); t.cancel(); say("cancel sent"); await t`
fn cancel_the_group_task<C>(log: Log, runs_group: C) -> impl Coroutine<Output = ()> + use<C>
where
    C: Coroutine<Output = Result<(), ExceptionGroup<String>>> + 'static,
{
    lazy(move || spawn(runs_group)).then(|t| sleep(secs(1.0)).map(move |()| t)).then(move |t| {
        assert!(t.cancel());
        log.say("cancel sent");
        t.map(move |ended| {
            assert_eq!(ended.unwrap_err(), TaskError::Cancelled);
            log.say("group task cancelled");
        })
    })
}

// async def runs_group():
//     async with asyncio.TaskGroup() as tg:
//         tg.create_task(nap(5, "A")); await nap(10, "body")
#[test]
fn cancelling_the_groups_awaiter_while_the_body_runs_cancels_body_then_children() {
    let lines = trace(|log| {
        let l = log.clone();
        let group = task_group(move |tg| {
            tg.spawn(nap(&l, 5.0, "A"));
            nap(&l, 10.0, "body")
        });
        cancel_the_group_task(log, group)
    });
    assert_eq!(
        lines,
        [
            "1.000 #5 cancel sent",
            "1.000 #6 body cancelled",
            "1.000 #7 A cancelled",
            "1.000 #10 group task cancelled"
        ]
    );
}

// async with asyncio.TaskGroup() as tg:
//     tg.create_task(nap(5, "A")); tg.create_task(nap(6, "B")); say("body done")
#[test]
fn cancelling_the_groups_awaiter_while_it_waits_cancels_the_children() {
    let lines = trace(|log| {
        let l = log.clone();
        let group = task_group(move |tg| {
            tg.spawn(nap(&l, 5.0, "A"));
            tg.spawn(nap(&l, 6.0, "B"));
            lazy(move || said(&l, "body done"))
        });
        cancel_the_group_task(log, group)
    });
    assert_eq!(
        lines,
        [
            "0.000 #2 body done",
            "1.000 #5 cancel sent",
            "1.000 #7 A cancelled",
            "1.000 #7 B cancelled",
            "1.000 #10 group task cancelled",
        ]
    );
}

// say("before"); async with asyncio.TaskGroup(): say("body"); say("after")
#[test]
fn an_empty_group_ends_without_a_pause() {
    let lines = trace(|log| {
        log.say("before");
        let (l, end) = (log.clone(), log.clone());
        task_group(move |_tg: TaskGroup<String>| lazy(move || said(&l, "body"))).map(move |ended| {
            ended.unwrap();
            end.say("after");
        })
    });
    // "before" is said before the loop runs here: iteration 0.
    assert_eq!(lines, ["0.000 #0 before", "0.000 #1 body", "0.000 #1 after"]);
}

// async def a(tg): await sleep(0.5); tg.create_task(nap(1, "A2")); say("A spawned A2")
// async with asyncio.TaskGroup() as tg: tg.create_task(a(tg)); say("body done")
// say("group ok")
#[test]
fn children_can_spawn_more_children_into_the_group() {
    let lines = trace(|log| {
        let (l, end) = (log.clone(), log.clone());
        task_group(move |tg: TaskGroup<String>| {
            let (tg2, l2) = (tg.clone(), l.clone());
            tg.spawn(sleep(secs(0.5)).map(move |()| {
                tg2.spawn(nap(&l2, 1.0, "A2"));
                l2.say("A spawned A2");
                Ok(())
            }));
            lazy(move || said(&l, "body done"))
        })
        .map(move |ended| {
            ended.unwrap();
            end.say("group ok");
        })
    });
    assert_eq!(
        lines,
        ["0.000 #1 body done", "0.500 #4 A spawned A2", "1.500 #7 A2 done", "1.500 #9 group ok"]
    );
}

// async def boom(): await sleep(1); raise RuntimeError("boom")
// async with asyncio.TaskGroup() as tg: tg.create_task(boom()); tg.create_task(nap(2, "A"))
#[test]
fn a_panic_in_a_child_fails_the_group_like_an_error() {
    let lines = trace(|log| {
        let l = log.clone();
        let log2 = log.clone();
        task_group(move |tg| {
            tg.spawn_named("boom", sleep(secs(1.0)).map(|()| -> Outcome { panic!("boom") }));
            tg.spawn(nap(&l, 2.0, "A"));
            rondo::ready(Ok(()))
        })
        .map(move |ended: Result<(), ExceptionGroup<String>>| {
            let group = ended.unwrap_err();
            assert_eq!(group.errors, [GroupError::Panicked { task: "boom".into(), message: "boom".into() }]);
            log2.report(&group);
        })
    });
    assert_eq!(lines, ["1.000 #6 A cancelled", "1.000 #8 group failed: boom"]);
}

// async with asyncio.TaskGroup() as tg:
//     tg.create_task(nap(1, "A")); tg.create_task(fail(0.2, "B"))
//     await sleep(0.2); say("body fails"); raise ValueError("body failed")
#[test]
fn a_body_that_fails_cancels_the_children_at_once() {
    let lines = trace(|log| {
        let l = log.clone();
        let group = task_group(move |tg| {
            tg.spawn(nap(&l, 1.0, "A"));
            tg.spawn(fail(&l, 0.2, "B")); // due with the body, but cancelled before its step
            sleep(secs(0.2)).map(move |()| -> Outcome {
                l.say("body fails");
                Err("body failed".into())
            })
        });
        let log2 = log.clone();
        group.map(move |ended| {
            let group = ended.unwrap_err();
            assert_eq!(group.errors, [GroupError::Body("body failed".to_string())]);
            log2.report(&group);
        })
    });
    assert_eq!(lines, ["0.200 #4 body fails", "0.200 #5 A cancelled", "0.200 #7 group failed: body failed"]);
}

/// Python's `str()` of a deadline given as `3`, `0.2` or `None`.
fn python_when(when: Option<Duration>) -> String {
    match when {
        None => "None".into(),
        Some(d) if d.subsec_nanos() == 0 => d.as_secs().to_string(),
        Some(d) => d.as_secs_f64().to_string(),
    }
}

/// ```python
/// async def guarded(body):
///     try:
///         async with asyncio.timeout_at(body.when) as cm:
///             await body(cm)
///         say("ok, expired=%s when=%s" % (cm.expired(), cm.when()))
///     except TimeoutError:
///         say("timed out, expired=%s when=%s" % (cm.expired(), cm.when()))
/// ```
fn guarded<F, B>(log: &Log, when: Option<f64>, body: F) -> impl Coroutine<Output = ()> + use<F, B>
where
    F: FnOnce(TimeoutHandle) -> B + 'static,
    B: Coroutine<Output = Outcome> + 'static,
{
    let run = timeout_at(when.map(secs), body);
    let cm = run.handle();
    let log = log.clone();
    run.map(move |ended| {
        let (expired, when) = (if cm.expired() { "True" } else { "False" }, python_when(cm.when()));
        match ended {
            Ok(outcome) => {
                outcome.unwrap();
                log.say(format!("ok, expired={expired} when={when}"));
            }
            Err(_elapsed) => log.say(format!("timed out, expired={expired} when={when}")),
        }
    })
}

/// `await asyncio.sleep(0.5); cm.reschedule(to); await nap(2, "body")`
fn reschedule_then_nap(
    log: &Log,
    to: Option<f64>,
) -> impl FnOnce(TimeoutHandle) -> Box<dyn Coroutine<Output = Outcome>> + use<> {
    let log = log.clone();
    move |cm| {
        Box::new(sleep(secs(0.5)).then(move |()| {
            cm.reschedule(to.map(secs));
            if to == Some(0.2) {
                log.say("rescheduled");
            }
            nap(&log, 2.0, "body")
        }))
    }
}

// async with asyncio.timeout_at(1) as cm: await sleep(0.5); cm.reschedule(3); await nap(2, "body")
#[test]
fn a_timeout_rescheduled_later_lets_the_body_finish() {
    let lines = trace(|log| guarded(&log, Some(1.0), reschedule_then_nap(&log, Some(3.0))));
    assert_eq!(lines, ["2.500 #5 body done", "2.500 #5 ok, expired=False when=3"]);
}

// async with asyncio.timeout_at(5) as cm: await sleep(0.5); cm.reschedule(1); await nap(2, "body")
#[test]
fn a_timeout_rescheduled_earlier_cancels_the_body_then() {
    let lines = trace(|log| guarded(&log, Some(5.0), reschedule_then_nap(&log, Some(1.0))));
    assert_eq!(lines, ["1.000 #5 body cancelled", "1.000 #5 timed out, expired=True when=1"]);
}

// async with asyncio.timeout_at(1) as cm: await sleep(0.5); cm.reschedule(None); await nap(2, "body")
#[test]
fn a_timeout_rescheduled_to_never_never_fires() {
    let lines = trace(|log| guarded(&log, Some(1.0), reschedule_then_nap(&log, None)));
    assert_eq!(lines, ["2.500 #5 body done", "2.500 #5 ok, expired=False when=None"]);
}

// async with asyncio.timeout_at(5) as cm:
//     await sleep(0.5); cm.reschedule(0.2); say("rescheduled"); await nap(2, "body")
#[test]
fn a_timeout_rescheduled_into_the_past_fires_two_iterations_later() {
    let lines = trace(|log| guarded(&log, Some(5.0), reschedule_then_nap(&log, Some(0.2))));
    assert_eq!(
        lines,
        ["0.500 #3 rescheduled", "0.500 #5 body cancelled", "0.500 #5 timed out, expired=True when=0.2"]
    );
}

// await sleep(1)
// async with asyncio.timeout_at(0.5): say("body starts"); await nap(1, "body")
#[test]
fn timeout_at_a_past_deadline_lets_the_body_run_to_its_first_pause() {
    let lines = trace(|log| {
        let l = log.clone();
        let body = move |_cm| {
            l.say("body starts");
            nap(&l, 1.0, "body")
        };
        sleep(secs(1.0)).then(move |()| guarded(&log, Some(0.5), body))
    });
    assert_eq!(
        lines,
        ["1.000 #3 body starts", "1.000 #5 body cancelled", "1.000 #5 timed out, expired=True when=0.5"]
    );
}

// async with asyncio.timeout_at(0) as cm: say("body returns at once")
#[test]
fn a_body_done_before_its_past_deadline_fires_is_not_timed_out() {
    let lines = trace(|log| {
        let l = log.clone();
        guarded(&log, Some(0.0), move |_cm| lazy(move || said(&l, "body returns at once")))
    });
    assert_eq!(lines, ["0.000 #1 body returns at once", "0.000 #1 ok, expired=False when=0"]);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// What a child of a random group does after its nap (tenths of a second).
    #[derive(Clone, Copy, Debug)]
    enum Kind {
        Succeeds,
        Fails,
        Panics,
        /// Spawns a grandchild into the group (which naps this long), then succeeds.
        Spawns(u8),
    }

    fn kind() -> impl Strategy<Value = Kind> {
        prop_oneof![
            3 => Just(Kind::Succeeds),
            1 => Just(Kind::Fails),
            1 => Just(Kind::Panics),
            1 => (0u8..20).prop_map(Kind::Spawns),
        ]
    }

    /// The record of one run: every end, in order.
    #[derive(Default)]
    struct Record {
        /// Child number per end, and `None` for the group's end.
        ends: Vec<Option<usize>>,
        failures: usize,
        spawned: usize,
    }

    /// Records the child's end exactly when it ends: on completion, or on drop.
    struct End(Rc<RefCell<Record>>, usize, Cell<bool>);
    impl End {
        fn now(&self) {
            if !self.2.replace(true) {
                self.0.borrow_mut().ends.push(Some(self.1));
            }
        }
    }
    impl Drop for End {
        fn drop(&mut self) {
            self.now();
        }
    }

    fn child(
        tg: &TaskGroup<String>,
        record: &Rc<RefCell<Record>>,
        nap: u8,
        kind: Kind,
    ) -> impl Coroutine<Output = Outcome> + use<> {
        let number = {
            let mut r = record.borrow_mut();
            r.spawned += 1;
            r.spawned - 1
        };
        let end = End(record.clone(), number, Cell::new(false));
        let (tg, record) = (tg.clone(), record.clone());
        sleep(Duration::from_millis(100 * u64::from(nap))).map(move |()| {
            end.now();
            match kind {
                Kind::Succeeds => Ok(()),
                Kind::Fails => {
                    record.borrow_mut().failures += 1;
                    Err(format!("child {number} failed"))
                }
                Kind::Panics => {
                    record.borrow_mut().failures += 1;
                    panic!("child {number} panicked")
                }
                Kind::Spawns(grand_nap) => {
                    let grandchild = child(&tg, &record, grand_nap, Kind::Succeeds);
                    tg.spawn(grandchild);
                    Ok(())
                }
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Every child ends exactly once, the group ends after all of them,
        /// and it reports exactly the failures that happened.
        #[test]
        fn every_child_ends_once_and_the_group_last(
            children in proptest::collection::vec((0u8..20, kind()), 0..6),
            body_nap in 0u8..20,
            body_fails in any::<bool>(),
        ) {
            let record: Rc<RefCell<Record>> = Rc::default();
            let (r, r_end) = (record.clone(), record.clone());
            let group = task_group(move |tg: TaskGroup<String>| {
                for (nap, kind) in children {
                    tg.spawn(child(&tg, &r, nap, kind));
                }
                let r = r.clone();
                sleep(Duration::from_millis(100 * u64::from(body_nap))).map(move |()| {
                    if body_fails {
                        r.borrow_mut().failures += 1;
                        return Err("body failed".to_string());
                    }
                    Ok(())
                })
            });
            let main = group.map(move |ended| {
                r_end.borrow_mut().ends.push(None);
                ended.err().map_or(0, |group| group.errors.len())
            });
            let ev = EventLoop::new_virtual();
            let reported = ev.run_until_complete(main).unwrap();
            prop_assert!(ev.take_unobserved_failures().is_empty());
            let record = record.borrow();
            prop_assert_eq!(reported, record.failures);
            prop_assert_eq!(record.ends.last(), Some(&None), "the group ends last");
            let mut ended: Vec<usize> = record.ends.iter().flatten().copied().collect();
            ended.sort_unstable();
            prop_assert_eq!(ended, (0..record.spawned).collect::<Vec<_>>(), "each child ends exactly once");
        }
    }
}

// async with asyncio.TaskGroup() as tg:
//     tg.create_task(fail(0.5, "B")); tg.create_task(nap(3, "C"))
//     w = asyncio.create_task(nap(5, "W"))      # not in the group
//     try: await w
//     except CancelledError: say("body cancelled"); raise
#[test]
fn a_body_awaiting_a_task_is_cancelled_with_it() {
    let lines = trace(|log| {
        let l = log.clone();
        reported(
            &log,
            task_group(move |tg| {
                tg.spawn(fail(&l, 0.5, "B"));
                tg.spawn(nap(&l, 3.0, "C"));
                let guard = OnCancel(l.clone(), "body", Cell::new(false));
                let w = spawn(nap(&l, 5.0, "W"));
                w.map(move |outcome| {
                    guard.2.set(true);
                    outcome.unwrap()
                })
            }),
        )
    });
    assert_eq!(
        lines,
        [
            "0.500 #4 B fails",
            "0.500 #6 C cancelled",
            "0.500 #6 W cancelled",
            "0.500 #7 body cancelled",
            "0.500 #7 group failed: B",
        ]
    );
}

// async with asyncio.TaskGroup() as tg:
//     tg.create_task(fail(0.5, "B")); tg.create_task(nap(3, "C"))
//     try: await asyncio.gather(nap(5, "G1"), nap(6, "G2"))
//     except CancelledError: say("body cancelled"); raise
#[test]
fn a_body_awaiting_a_gather_is_cancelled_after_its_children() {
    let lines = trace(|log| {
        let l = log.clone();
        reported(
            &log,
            task_group(move |tg| {
                tg.spawn(fail(&l, 0.5, "B"));
                tg.spawn(nap(&l, 3.0, "C"));
                let guard = OnCancel(l.clone(), "body", Cell::new(false));
                rondo::gather(vec![nap(&l, 5.0, "G1"), nap(&l, 6.0, "G2")]).map(move |_| {
                    guard.2.set(true);
                    Ok(())
                })
            }),
        )
    });
    assert_eq!(
        lines,
        [
            "0.500 #4 B fails",
            "0.500 #6 C cancelled",
            "0.500 #6 G1 cancelled",
            "0.500 #6 G2 cancelled",
            "0.500 #8 body cancelled",
            "0.500 #8 group failed: B",
        ]
    );
}

// async with asyncio.TaskGroup() as tg:
//     tg.create_task(fail(1.5, "B")); w = asyncio.create_task(nap(0.5, "W"))
//     await w; await nap(5, "body")
#[test]
fn a_body_that_awaited_a_task_before_is_cancelled_where_it_waits_now() {
    let lines = trace(|log| {
        let l = log.clone();
        reported(
            &log,
            task_group(move |tg| {
                tg.spawn(fail(&l, 1.5, "B"));
                let w = spawn(nap(&l, 0.5, "W"));
                let l2 = l.clone();
                w.then(move |_| nap(&l2, 5.0, "body"))
            }),
        )
    });
    assert_eq!(
        lines,
        ["0.500 #4 W done", "1.500 #7 B fails", "1.500 #9 body cancelled", "1.500 #9 group failed: B"]
    );
}

// async def runs_group():
//     async with asyncio.TaskGroup() as tg:
//         tg.create_task(nap(5, "A")); w = asyncio.create_task(nap(10, "W"))
//         try: await w
//         except CancelledError: say("body cancelled"); raise
#[test]
fn cancelling_the_groups_awaiter_while_the_body_awaits_a_task_cancels_that_task_first() {
    let lines = trace(|log| {
        let l = log.clone();
        let group = task_group(move |tg| {
            tg.spawn(nap(&l, 5.0, "A"));
            let guard = OnCancel(l.clone(), "body", Cell::new(false));
            spawn(nap(&l, 10.0, "W")).map(move |o| {
                guard.2.set(true);
                o.unwrap()
            })
        });
        cancel_the_group_task(log, group)
    });
    assert_eq!(
        lines,
        [
            "1.000 #5 cancel sent",
            "1.000 #6 W cancelled",
            "1.000 #7 body cancelled",
            "1.000 #8 A cancelled",
            "1.000 #11 group task cancelled",
        ]
    );
}

/// ```python
/// try:
///     async with asyncio.timeout_at(1):
///         try: await body
///         except CancelledError: say("body cancelled"); raise
/// except TimeoutError: say("timed out")
/// ```
fn timed_out_at_one<C>(log: &Log, body: C) -> impl Coroutine<Output = ()> + use<C>
where
    C: Coroutine + 'static,
{
    let guard = OnCancel(log.clone(), "body", Cell::new(false));
    let log = log.clone();
    timeout_at(secs(1.0), move |_cm| {
        body.map(move |_| {
            guard.2.set(true);
        })
    })
    .map(move |ended| {
        assert!(ended.is_err());
        log.say("timed out");
    })
}

// the body: w = asyncio.create_task(nap(5, "W")); await w
#[test]
fn an_expiring_timeout_cancels_the_task_its_body_awaits_first() {
    let lines = trace(|log| {
        let l = log.clone();
        lazy(move || spawn(nap(&l, 5.0, "W"))).then(move |w| timed_out_at_one(&log, w))
    });
    assert_eq!(lines, ["1.000 #4 W cancelled", "1.000 #5 body cancelled", "1.000 #5 timed out"]);
}

// the body: await asyncio.gather(nap(5, "G1"), nap(6, "G2"))
#[test]
fn an_expiring_timeout_cancels_the_gather_its_body_awaits_first() {
    let lines = trace(|log| {
        let gathered = rondo::gather(vec![nap(&log, 5.0, "G1"), nap(&log, 6.0, "G2")]);
        timed_out_at_one(&log, gathered)
    });
    assert_eq!(
        lines,
        ["1.000 #4 G1 cancelled", "1.000 #4 G2 cancelled", "1.000 #6 body cancelled", "1.000 #6 timed out"]
    );
}
