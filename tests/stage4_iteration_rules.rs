//! The iteration rules of docs/design.md ("Scheduling"), each pinned by a trace
//! of lines stamped with the loop time *and iteration* (`"0.000 #2 child runs"`):
//! a change that moved a step to another iteration without reordering the
//! lines would pass a trace of times alone.

mod common;

use common::{Op, Script, say, spawn_op};
use rondo::{EventLoop, LoopError, Transcript};

fn run_virtual(ops: Vec<Op>) -> Vec<String> {
    let out = Transcript::new();
    EventLoop::new_virtual().run(Script::new(&out, ops)).unwrap();
    out.stamped_with_iterations()
}

#[test]
fn a_spawned_task_starts_on_the_next_iteration() {
    // main goes on until it pauses; the child's first step comes after.
    let trace = run_virtual(vec![
        spawn_op("child", vec![say("child runs")]),
        say("main after spawn"),
        Op::Yield,
        say("main after yield"),
    ]);
    assert_eq!(trace, ["0.000 #1 main after spawn", "0.000 #2 child runs", "0.000 #2 main after yield"]);
}

#[test]
fn yield_now_requeues_at_the_tail() {
    let trace = run_virtual(vec![
        spawn_op("a", vec![say("a1"), Op::Yield, say("a2")]),
        spawn_op("b", vec![say("b1"), Op::Yield, say("b2")]),
        Op::Await(0),
        Op::Await(1),
    ]);
    assert_eq!(trace, ["0.000 #2 a1", "0.000 #2 b1", "0.000 #3 a2", "0.000 #3 b2"]);
}

#[test]
fn an_awaiter_resumes_one_iteration_after_the_awaited_task_finishes() {
    // Iteration 1: main spawns A and B, awaits A. Iteration 2: A finishes,
    // which queues main; then B steps and re-queues itself *behind* main.
    // Iteration 3: main resumes, then B's second step. (Checked on CPython.)
    let trace = run_virtual(vec![
        spawn_op("A", vec![say("A done")]),
        spawn_op("B", vec![say("B step 1"), Op::Yield, say("B step 2"), Op::Yield, say("B step 3")]),
        Op::Await(0),
        say("main resumed"),
        Op::Await(1),
    ]);
    assert_eq!(
        trace,
        [
            "0.000 #2 A done",
            "0.000 #2 B step 1",
            "0.000 #3 main resumed",
            "0.000 #3 B step 2",
            "0.000 #4 B step 3"
        ]
    );
}

#[test]
fn a_third_task_lands_between_a_finish_and_its_awaiter() {
    // T finishes in iteration N; the awaiter runs in N+1. A task that was
    // already queued for N+1 before T finished (here: C, re-queued by its
    // yield in iteration N *before* T ran) runs first.
    let trace = run_virtual(vec![
        spawn_op("C", vec![Op::Yield, say("C between"), Op::Yield, say("C later")]),
        spawn_op("T", vec![say("T finishes")]),
        Op::Await(1),
        say("awaiter resumes"),
        Op::Await(0),
    ]);
    assert_eq!(
        trace,
        ["0.000 #2 T finishes", "0.000 #3 C between", "0.000 #3 awaiter resumes", "0.000 #4 C later"]
    );
}

#[test]
fn a_timer_wakes_its_task_which_runs_one_iteration_later() {
    let trace = run_virtual(vec![
        spawn_op("S", vec![Op::SleepMs(1000), say("S woke")]),
        spawn_op("Y", vec![Op::SleepMs(1000), say("Y1"), Op::Yield, say("Y2")]),
        Op::Await(0),
        Op::Await(1),
    ]);
    // Both timers are due at t=1, S's registered first. Iteration N: the two
    // timer handles wake S, then Y. N+1: S says, Y says Y1 and yields.
    // N+2: Y2. (Checked on CPython.)
    assert_eq!(trace, ["1.000 #4 S woke", "1.000 #4 Y1", "1.000 #5 Y2"]);
}

#[test]
fn main_finishing_schedules_the_stop_so_already_queued_handles_still_run() {
    // Seed 001: main spawns foo, says "finished" and returns without awaiting.
    // foo's first step was queued before main's completion scheduled the stop,
    // so "I am foo" is printed; then `run` cancels foo in its sleep.
    let out = Transcript::new();
    let ev = EventLoop::new_virtual();
    let result = ev.run(Script::new(
        &out,
        vec![
            say("I am Main"),
            spawn_op("foo", vec![say("I am foo"), Op::SleepMs(2000), say("foo never gets here")]),
            say("finished"),
        ],
    ));
    result.unwrap();
    assert_eq!(out.stamped(), ["0.000 I am Main", "0.000 finished", "0.000 I am foo"]);
}

#[test]
fn a_task_waiting_on_nothing_is_a_deadlock_error_naming_it() {
    struct Never;
    impl rondo::Coroutine for Never {
        type Output = ();
        fn poll(&mut self, _: &mut rondo::Context<'_>) -> rondo::Poll<()> {
            rondo::Poll::Pending
        }
    }
    let ev = EventLoop::new_virtual();
    let _stuck = ev.spawn_named("stuck-one", Never);
    let error = ev.run_until_complete(Never).unwrap_err();
    match &error {
        LoopError::Deadlock { stuck } => {
            let names: Vec<&str> = stuck.iter().map(|t| t.task.name.as_str()).collect();
            assert_eq!(names, ["stuck-one", "Task-2"]);
            assert!(stuck[0].waits_on.contains("can no longer wake it"), "{}", stuck[0].waits_on);
        }
        other => panic!("expected a deadlock, got {other:?}"),
    }
    let report = error.to_string();
    assert!(report.contains("task 'stuck-one' (spawned at tests/stage4_iteration_rules.rs:"), "{report}");
    assert!(report.contains("task 'Task-2'"), "{report}");
}
