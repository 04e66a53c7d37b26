//! Stage 9's bridge beyond rondo's own futures (issue 13, item 3):
//! - std futures that need no reactor run on rondo: `futures`' channels,
//!   between rondo tasks and from a thread;
//! - rondo coroutines that need no loop (ready values, joins of them, a
//!   yield) run on tokio, smol and `futures::executor`;
//! - a rondo leaf that needs rondo's loop (`sleep`, `spawn`) polled on
//!   another runtime panics with a message that says so — never a hang.
//!
//! Here rather than in rondo's own tests: rondo has no dependencies, and
//! these need tokio, smol and futures (`compare/` has them). `.ci/run` runs it.

use futures::channel::{mpsc, oneshot};
use futures::{SinkExt, StreamExt};
use rondo::{Awaitable, EventLoop, Transcript, from_future, join, lazy, ready, sleep, spawn, yield_now};
use std::time::Duration;

#[test]
fn a_futures_oneshot_between_two_rondo_tasks_keeps_asyncios_iterations() {
    let out = Transcript::new();
    let said = out.clone();
    let main = from_future(async move {
        let (tx, rx) = oneshot::channel::<&str>();
        let sender = {
            let out = said.clone();
            spawn(from_future(async move {
                sleep(Duration::from_secs(1)).await;
                out.say("sending");
                tx.send("hello").unwrap();
            }))
        };
        said.say("waiting");
        let got = rx.await.unwrap();
        said.say(format!("got {got}"));
        sender.await.unwrap();
    });
    let ev = EventLoop::new_virtual();
    ev.run_until_complete(main).unwrap();
    // The receiver's std waker is kept by the channel: the sender's wake on
    // the loop's thread wakes the receiving task in the next iteration, as
    // an asyncio Future's set_result does (the same program on CPython, with
    // `loop.create_future()` for the channel, prints these three lines).
    assert_eq!(out.stamped_with_iterations(), ["0.000 #1 waiting", "1.000 #4 sending", "1.000 #5 got hello"]);
}

/// Five numbers sent by a thread through a `futures` channel, collected by
/// a rondo task.
async fn fed_by_a_thread() -> Vec<u32> {
    let (mut tx, rx) = mpsc::channel::<u32>(2);
    let feeder = std::thread::spawn(move || {
        futures::executor::block_on(async move {
            for n in 1..=5 {
                std::thread::sleep(Duration::from_millis(2));
                tx.send(n).await.unwrap();
            }
        })
    });
    let got = rx.collect().await;
    feeder.join().unwrap();
    got
}

#[test]
fn a_futures_mpsc_fed_by_a_thread_wakes_the_idle_loop() {
    // No timer, no socket, no LoopHandle: the channel's kept std waker is
    // what keeps the idle loop listening for the thread (on a virtual clock
    // too: nothing else could end the wait).
    for ev in [EventLoop::new(), EventLoop::new_virtual()] {
        assert_eq!(ev.run_until_complete(from_future(fed_by_a_thread())).unwrap(), [1, 2, 3, 4, 5]);
    }
}

/// What needs no loop: a ready value, a lazy one, a join of both, a yield.
async fn loopless() -> (u32, u32) {
    yield_now().await;
    join(ready(1), lazy(|| 2)).await
}

#[test]
fn rondo_coroutines_that_need_no_loop_run_on_tokio_smol_and_futures() {
    let tokio = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(tokio.block_on(loopless()), (1, 2));
    assert_eq!(smol::block_on(loopless()), (1, 2));
    assert_eq!(futures::executor::block_on(loopless()), (1, 2));
    // ...and as tasks of those runtimes, woken through their own wakers.
    let local = tokio::task::LocalSet::new();
    assert_eq!(
        tokio.block_on(local.run_until(async { tokio::task::spawn_local(loopless()).await.unwrap() })),
        (1, 2)
    );
    let executor = smol::LocalExecutor::new();
    assert_eq!(smol::block_on(executor.run(executor.spawn(loopless()))), (1, 2));
}

/// The message of the panic `f` ends in.
fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(f).expect_err("it must panic, not hang");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast::<&str>().map(|s| s.to_string()).unwrap_or_default(),
    }
}

#[test]
fn a_rondo_leaf_that_needs_the_loop_says_so_on_another_runtime() {
    let message = panic_message(|| {
        let tokio = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        tokio.block_on(async { sleep(Duration::from_millis(1)).await });
    });
    assert!(message.contains("outside a running event loop"), "tokio: {message}");
    let message = panic_message(|| smol::block_on(async { spawn(ready(())).await.unwrap() }));
    assert!(message.contains("outside a running event loop"), "smol: {message}");
    // `.future()` is the same adapter as `.await`: the same message.
    let message = panic_message(|| futures::executor::block_on(sleep(Duration::from_millis(1)).future()));
    assert!(message.contains("outside a running event loop"), "futures: {message}");
}
