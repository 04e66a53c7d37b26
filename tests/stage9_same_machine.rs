//! Chapter 9's claim, pinned: an `async fn` *is* the state machine stage 2
//! writes by hand. Seed 001's `main`/`foo` as `async fn`s print what
//! `stage2_coroutine::state_machine`'s `Main` and `Foo` print — the same
//! lines at the same virtual times in the same loop iterations — when each is
//! the loop's main, when several run as tasks at once, when hand-written and
//! compiled ones share a loop, and when driven by hand, one poll at a time.

use rondo::stage2_coroutine::state_machine::{foo, main_sequential};
use rondo::{EventLoop, Transcript, block_on, from_future, yield_now};
use std::future::Future;
use std::task::{Context, Waker};

/// `stage2_coroutine::state_machine::foo` (the machine `Foo`), as the
/// `async fn` its doc comment shows: print, then pause once.
async fn foo_async(text: &'static str, out: Transcript) {
    out.say(text);
    yield_now().await;
}

/// `stage2_coroutine::state_machine::main_sequential` (the machine `Main`),
/// as the `async fn` its doc comment shows: print, await `foo`, print.
async fn main_async(out: Transcript) {
    out.say("I am Main");
    foo_async("I am foo", out.clone()).await; // an `async fn` awaited inside another: no bridge
    out.say("finished");
}

#[test]
fn as_the_loops_main_both_print_the_same_trace() {
    let hand_written = Transcript::new();
    EventLoop::new_virtual().run(main_sequential(hand_written.clone())).unwrap();
    let compiled = Transcript::new();
    EventLoop::new_virtual().run(from_future(main_async(compiled.clone()))).unwrap();

    assert_eq!(compiled.stamped_with_iterations(), hand_written.stamped_with_iterations());
    // The pause is one iteration: `foo` resumes, and `main` with it, in the next.
    assert_eq!(
        hand_written.stamped_with_iterations(),
        ["0.000 #1 I am Main", "0.000 #1 I am foo", "0.000 #2 finished"]
    );
}

#[test]
fn as_tasks_side_by_side_both_interleave_the_same_way() {
    // Three mains at once: each pause lets the others through, in FIFO order.
    let hand_written = Transcript::new();
    let ev = EventLoop::new_virtual();
    let tasks: Vec<_> = (0..3).map(|_| ev.spawn(main_sequential(hand_written.clone()))).collect();
    for task in tasks {
        ev.run_until_complete(task).unwrap().unwrap();
    }

    let compiled = Transcript::new();
    let ev = EventLoop::new_virtual();
    let tasks: Vec<_> = (0..3).map(|_| ev.spawn(from_future(main_async(compiled.clone())))).collect();
    for task in tasks {
        ev.run_until_complete(task).unwrap().unwrap();
    }

    assert_eq!(compiled.stamped_with_iterations(), hand_written.stamped_with_iterations());
    assert_eq!(
        compiled.stamped_with_iterations(),
        [
            "0.000 #1 I am Main",
            "0.000 #1 I am foo",
            "0.000 #1 I am Main",
            "0.000 #1 I am foo",
            "0.000 #1 I am Main",
            "0.000 #1 I am foo",
            "0.000 #2 finished",
            "0.000 #2 finished",
            "0.000 #2 finished",
        ]
    );
}

#[test]
fn hand_written_and_compiled_tasks_share_one_loop_as_equals() {
    // A, C hand-written and B, D compiled, against all four hand-written:
    // a task's kind changes nothing in when it runs.
    fn trace(compiled: [bool; 4]) -> Vec<String> {
        let out = Transcript::new();
        let ev = EventLoop::new_virtual();
        let tasks: Vec<_> = ["A", "B", "C", "D"]
            .into_iter()
            .zip(compiled)
            .map(|(text, compiled)| match compiled {
                true => ev.spawn(from_future(foo_async(text, out.clone()))),
                false => ev.spawn(foo(text, out.clone())),
            })
            .collect();
        for task in tasks {
            ev.run_until_complete(task).unwrap().unwrap();
        }
        out.stamped_with_iterations()
    }
    let all_hand_written = trace([false; 4]);
    assert_eq!(trace([false, true, false, true]), all_hand_written);
    assert_eq!(trace([true; 4]), all_hand_written);
    assert_eq!(all_hand_written, ["0.000 #1 A", "0.000 #1 B", "0.000 #1 C", "0.000 #1 D"]);
}

#[test]
fn driven_by_hand_each_poll_is_the_same_step() {
    // Python's `coro.send(None)`, one at a time: the hand-written machine
    // through rondo's `poll`, the compiled one through std's.
    let hand_written = Transcript::new();
    let mut machine = main_sequential(hand_written.clone());
    let rondo_waker = rondo::Waker::noop();
    let mut rondo_cx = rondo::Context::from_waker(&rondo_waker);

    let compiled = Transcript::new();
    let mut future = std::pin::pin!(main_async(compiled.clone()));
    let mut std_cx = Context::from_waker(Waker::noop());

    assert!(hand_written.lines().is_empty() && compiled.lines().is_empty(), "calling runs nothing");
    for step in 0..2 {
        let by_hand = rondo::Coroutine::poll(&mut machine, &mut rondo_cx).is_ready();
        let by_compiler = future.as_mut().poll(&mut std_cx).is_ready();
        assert_eq!(by_compiler, by_hand, "poll {step}: both pending, or both done");
        assert_eq!(compiled.lines(), hand_written.lines(), "after poll {step}");
    }
    assert_eq!(compiled.lines(), ["I am Main", "I am foo", "finished"]);
}

#[test]
fn stage_2s_block_on_runs_the_compiled_machine_too() {
    // No loop at all: the std waker a task would get wakes stage 2's flag.
    let out = Transcript::new();
    block_on(from_future(main_async(out.clone())));
    assert_eq!(out.stamped_with_iterations(), ["- I am Main", "- I am foo", "- finished"]);
}

#[test]
fn polling_either_after_it_completed_panics() {
    // The hand-written machines' `Done` arm, and the compiler's own.
    let hand_written = std::panic::catch_unwind(|| {
        let mut machine = main_sequential(Transcript::new());
        let waker = rondo::Waker::noop();
        let mut cx = rondo::Context::from_waker(&waker);
        while rondo::Coroutine::poll(&mut machine, &mut cx).is_pending() {}
        let _ = rondo::Coroutine::poll(&mut machine, &mut cx);
    });
    let message = *hand_written.unwrap_err().downcast::<&str>().unwrap();
    assert_eq!(message, "main() polled after it completed");

    let compiled = std::panic::catch_unwind(|| {
        let mut future = Box::pin(main_async(Transcript::new()));
        let mut cx = Context::from_waker(Waker::noop());
        while future.as_mut().poll(&mut cx).is_pending() {}
        let _ = future.as_mut().poll(&mut cx);
    });
    let message = *compiled.unwrap_err().downcast::<&str>().unwrap();
    assert_eq!(message, "`async fn` resumed after completion");
}
