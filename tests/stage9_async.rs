//! Stage 9's bridge: an `async` block on rondo prints what the hand-written
//! state machine prints — the same lines, at the same virtual times, in the
//! same loop iterations — and a std waker reaches the loop from another
//! thread. (Every seed example's `--async` version is compared with CPython
//! in `tests/asyncio_differential.rs`, and without a mirror in
//! `tests/stage9_no_mirror.rs`.)

#[allow(dead_code)] // not every test file uses all of it
#[path = "support/mailbox.rs"]
mod mailbox;
#[allow(dead_code)]
#[path = "../examples/rate_limit.rs"]
mod rate_limit;

use mailbox::{Shared, Take};
use rondo::stage3_sleep::count;
use rondo::{Awaitable, EventLoop, Transcript, from_future, sleep, spawn};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Seed 004's `count()`, as an `async fn`:
/// `print("One"); await asyncio.sleep(1); print("Two")`.
async fn count_async(out: Transcript) {
    out.say("One");
    sleep(Duration::from_secs(1)).await;
    out.say("Two");
}

#[test]
fn countasync_as_async_fn_prints_what_the_hand_written_machine_prints() {
    let hand_written = Transcript::new();
    let ev = EventLoop::new_virtual();
    let tasks: Vec<_> = (0..3).map(|_| ev.spawn(count(hand_written.clone()))).collect();
    for task in tasks {
        ev.run_until_complete(task).unwrap().unwrap();
    }

    let compiled = Transcript::new();
    let ev = EventLoop::new_virtual();
    let tasks: Vec<_> = (0..3).map(|_| ev.spawn(from_future(count_async(compiled.clone())))).collect();
    for task in tasks {
        ev.run_until_complete(task).unwrap().unwrap();
    }
    assert_eq!(compiled.stamped_with_iterations(), hand_written.stamped_with_iterations());
    assert_eq!(compiled.lines(), ["One", "One", "One", "Two", "Two", "Two"]);
}

#[test]
fn rate_limit_as_async_fn_keeps_every_line_time_and_iteration() {
    // The example's hand-written machines against its `--async` version.
    let hand_written = Transcript::new();
    rate_limit::run(true, &hand_written);
    let compiled = Transcript::new();
    rate_limit::run_async(true, &compiled);
    assert_eq!(compiled.stamped_with_iterations(), hand_written.stamped_with_iterations());
    assert_eq!(compiled.lines().last().map(String::as_str), Some("all fetched"));
}

/// On a thread: waits until a task has parked its waker in `mailbox`, then
/// fills the mailbox with `value` and wakes the waker; returns when it woke it.
fn fill_when_parked(mailbox: Shared, value: u64) -> std::thread::JoinHandle<Instant> {
    std::thread::spawn(move || {
        loop {
            let mut parked = mailbox.lock().unwrap();
            if let Some(waker) = parked.waker.take() {
                parked.value = Some(value);
                drop(parked);
                let woken_at = Instant::now();
                waker.wake();
                return woken_at;
            }
            drop(parked);
            std::thread::sleep(Duration::from_millis(1));
        }
    })
}

#[test]
fn a_std_waker_woken_on_another_thread_wakes_the_idle_loop_at_once() {
    // No timer, no socket, no handle: the loop sleeps in poll(2) until the
    // thread's wake comes through the inbox and the self-pipe. The std
    // waker the task left in the mailbox is what keeps the loop listening
    // (rather than calling it a deadlock).
    let ev = EventLoop::new();
    let mailbox = Shared::default();
    let filler = fill_when_parked(mailbox.clone(), 42);
    let got = ev.run_until_complete(from_future(Take(mailbox))).unwrap();
    assert_eq!(got, 42);
    let latency = filler.join().unwrap().elapsed();
    assert!(latency < Duration::from_millis(500), "woke {latency:?} after the wake");
}

#[test]
fn on_a_virtual_clock_too_a_kept_std_waker_is_waited_for_not_a_deadlock() {
    let ev = EventLoop::new_virtual();
    let mailbox = Shared::default();
    let filler = fill_when_parked(mailbox.clone(), 7);
    assert_eq!(ev.run_until_complete(from_future(Take(mailbox))).unwrap(), 7);
    assert_eq!(ev.time(), 0.0, "a thread's wake takes no virtual time");
    filler.join().unwrap();
}

/// Returns `Pending` once, after a thread has woken (and dropped) a clone
/// of its waker — all before the poll returns, so the loop has not yet
/// given the waker its inbox when the wake comes.
#[derive(Default)]
struct WokenDuringThePoll {
    polled: bool,
}

impl Future for WokenDuringThePoll {
    type Output = &'static str;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        if std::mem::replace(&mut self.polled, true) {
            return Poll::Ready("woken");
        }
        let waker = cx.waker().clone();
        std::thread::spawn(move || waker.wake()).join().unwrap();
        Poll::Pending
    }
}

#[test]
fn a_wake_from_a_thread_before_the_poll_returns_is_not_lost() {
    for ev in [EventLoop::new_virtual(), EventLoop::new()] {
        assert_eq!(ev.run_until_complete(from_future(WokenDuringThePoll::default())).unwrap(), "woken");
    }
}

/// Pending for ever, keeping no waker: nobody can ever wake it.
struct Forgotten;

impl Future for Forgotten {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

#[test]
fn a_future_that_keeps_no_waker_is_a_deadlock_not_a_hang() {
    let ev = EventLoop::new();
    let error = ev.run_until_complete(from_future(Forgotten)).unwrap_err();
    assert!(matches!(error, rondo::LoopError::Deadlock { .. }), "{error:?}");
}

#[test]
fn a_wake_after_the_loop_is_gone_does_nothing() {
    let mailbox = Shared::default();
    {
        let ev = EventLoop::new_virtual();
        let _task = ev.spawn(from_future(Take(mailbox.clone())));
        ev.run_until_complete(sleep(Duration::from_secs(1))).unwrap();
    } // the loop and its task are gone; the waker the task left is not
    let waker = mailbox.lock().unwrap().waker.take().expect("the task parked a waker");
    std::thread::spawn(move || waker.wake()).join().unwrap(); // from another thread
}

/// A minimal std executor: poll, and park the thread until woken.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}

#[test]
fn rondo_coroutines_that_need_no_loop_run_on_a_plain_std_executor() {
    let joined = block_on(rondo::join(rondo::ready(1), rondo::lazy(|| 2)).future());
    assert_eq!(joined, (1, 2));
    // A leaf that needs rondo's loop says so instead of hanging.
    let outside = std::panic::catch_unwind(|| block_on(spawn(rondo::ready(())).future()));
    let message = *outside.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("outside a running event loop"), "{message}");
}

#[test]
fn a_std_future_bridged_to_rondo_and_back_is_woken_by_a_thread_on_a_foreign_executor() {
    // `from_future(f).future()` on a std executor: the waker `f` keeps is
    // reached through that executor's own std waker (rondo's inbox could not
    // reach a thread parked outside any rondo loop), so a thread's wake
    // unparks it.
    let mailbox = Shared::default();
    let filler = fill_when_parked(mailbox.clone(), 42);
    assert_eq!(block_on(from_future(Take(mailbox)).future()), 42);
    filler.join().unwrap();
}
