//! The seed scenarios of stages 3–4, run from the example files themselves
//! under the virtual clock, asserting the exact trace with timestamps.

// Every example declares its own `mod common` so it also builds alone;
// including several examples here therefore includes that file several times.
#![allow(clippy::duplicate_mod)]

#[allow(dead_code)]
#[path = "../examples/arithmetic.rs"]
mod arithmetic;
#[allow(dead_code)]
#[path = "../examples/busy_vs_loop.rs"]
mod busy_vs_loop;
#[allow(dead_code)]
#[path = "../examples/countasync.rs"]
mod countasync;
#[allow(dead_code)]
#[path = "../examples/countsync.rs"]
mod countsync;
#[allow(dead_code)]
#[path = "../examples/create_task.rs"]
mod create_task;
#[allow(dead_code)]
#[path = "../examples/say.rs"]
mod say;

use rondo::Transcript;

fn trace(run: fn(bool, &Transcript)) -> Vec<String> {
    let out = Transcript::new();
    run(true, &out);
    out.stamped()
}

#[test]
fn countasync_says_one_three_times_then_two_three_times_after_one_second() {
    assert_eq!(
        trace(countasync::run),
        [
            "0.000 One",
            "0.000 One",
            "0.000 One",
            "1.000 Two",
            "1.000 Two",
            "1.000 Two",
            "- countasync.rs exec in 1.00 seconds (virtual clock).",
        ]
    );
}

#[test]
fn countsync_blocks_so_each_count_runs_alone_for_three_seconds() {
    assert_eq!(
        trace(countsync::run),
        [
            "0.000 One",
            "1.000 Two",
            "1.000 One",
            "2.000 Two",
            "2.000 One",
            "3.000 Two",
            "- countsync.rs exec in 3.00 seconds (virtual clock).",
        ]
    );
}

#[test]
fn arithmetic_takes_16_seconds_awaited_in_turn_and_7_as_tasks() {
    assert_eq!(
        trace(arithmetic::run),
        [
            "- --- awaited one by one",
            "5.000 Division Result :  0.5",
            "12.000 Subtraction Result :  -10",
            "15.000 Addition Result :  30",
            "16.000 Multiplication Result :  200",
            "- Total Time Taken : 16.00 Seconds",
            "- --- as tasks",
            "1.000 Multiplication Result :  200",
            "3.000 Addition Result :  30",
            "5.000 Division Result :  0.5",
            "7.000 Subtraction Result :  -10",
            "- Total Time Taken : 7.00 Seconds",
        ]
    );
}

#[test]
fn create_task_variations_follow_asyncio() {
    assert_eq!(
        trace(create_task::run),
        [
            "- --- 1. await foo(...) directly",
            "0.000 I am Main",
            "0.000 I am foo",
            "2.000 finished",
            "- main exec in 2.00 seconds (virtual clock).",
            "- --- 2. create_task(foo(...)), no await",
            "0.000 I am Main",
            "0.000 finished",
            "0.000 I am foo",
            "- (1 task still pending was cancelled when main returned)",
            "- main exec in 0.00 seconds (virtual clock).",
            "- --- 3. create_task, then await the task",
            "0.000 I am Main",
            "0.000 I am foo",
            "2.000 finished",
            "- main exec in 2.00 seconds (virtual clock).",
            "- --- 4. create_task, then sleep(2)",
            "0.000 I am Main",
            "0.000 I am foo",
            "2.000 finished",
            "- main exec in 2.00 seconds (virtual clock).",
            "- --- 5. create_task(foo sleeps 10 s), then sleep(0.5)",
            "0.000 I am Main",
            "0.000 I am foo",
            "0.500 finished",
            "- (1 task still pending was cancelled when main returned)",
            "- main exec in 0.50 seconds (virtual clock).",
        ]
    );
}

#[test]
fn say_runs_forever_until_stopped_then_gathers_two_results() {
    assert_eq!(
        trace(say::run),
        [
            "- --- run_forever, stopped by the last task",
            "0.500 hello",
            "1.000 world",
            "- run_forever exec in 1.00 seconds (virtual clock).",
            "- --- run_until_complete(gather(t1, t2))",
            "1.500 hello",
            "2.000 world",
            "- [(), ()]",
        ]
    );
}

#[test]
fn both_runners_say_the_same_lines_at_the_same_virtual_times() {
    let naive = Transcript::new();
    let cost = busy_vs_loop::naive(true, &naive);
    let event_loop = Transcript::new();
    busy_vs_loop::event_loop(true, &event_loop);
    assert_eq!(naive.stamped(), event_loop.stamped());
    assert_eq!(
        naive.stamped(),
        ["0.000 One", "0.000 One", "0.000 One", "1.000 Two", "1.000 Two", "1.000 Two"]
    );
    // Under a virtual clock the naive runner does not spin: one pass of three
    // Pendings, a jump, one pass of three Readys.
    assert_eq!(cost.polls, 6);
}
