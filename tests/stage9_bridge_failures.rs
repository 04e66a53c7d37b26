//! Stage 9's bridge under adversarial use: a panic inside an `async` task,
//! a `from_future` polled inside another, a waker woken during a drop, a
//! waker kept by a thread while its task is cancelled or its loop dropped,
//! a hundred thousand kept wakers woken at once, a chain of `async` tasks a
//! hundred thousand deep cancelled at its head. Each must end with a clear
//! result — never a hang, a lost wake, or a wake of the wrong task.

use rondo::{EventLoop, Task, TaskError, Transcript, from_future, sleep, spawn, spawn_named, yield_now};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn a_panic_inside_an_async_task_fails_that_task_and_no_other() {
    let out = Transcript::new();
    let (a, b) = (out.clone(), out.clone());
    let main = from_future(async move {
        let failing = spawn_named(
            "failing",
            from_future(async move {
                sleep(ms(10)).await;
                a.say("about to panic");
                panic!("boom inside an async fn");
            }),
        );
        let fine = spawn_named(
            "fine",
            from_future(async move {
                for n in 0..3 {
                    yield_now().await;
                    sleep(ms(10)).await;
                    b.say(format!("fine {n}"));
                }
            }),
        );
        let failed = failing.await;
        fine.await.unwrap();
        failed
    });
    let ev = EventLoop::new_virtual();
    let failed = ev.run_until_complete(main).unwrap();
    let Err(TaskError::Panicked(message)) = failed else { panic!("expected a panic, got {failed:?}") };
    assert!(message.contains("boom inside an async fn"), "{message}");
    assert_eq!(out.lines(), ["about to panic", "fine 0", "fine 1", "fine 2"]);
    // The panic left no "task being polled" behind: a later async task on
    // the same thread is polled with its own waker, and sleeps as usual.
    let later = EventLoop::new_virtual();
    assert_eq!(later.run_until_complete(from_future(async { sleep(ms(5)).await })).unwrap(), ());
    assert_eq!(later.time(), 0.005);
}

#[test]
fn a_from_future_awaited_inside_another_runs_inline_in_the_same_iterations() {
    // `await inner()` where inner is itself bridged: polled inside the outer
    // task's poll, with a std waker of its own (the spare is lent already).
    let program = |nested: bool| {
        let out = Transcript::new();
        let said = out.clone();
        let main = from_future(async move {
            said.say("outer");
            let inner = {
                let said = said.clone();
                async move {
                    yield_now().await;
                    sleep(ms(100)).await;
                    said.say("inner");
                    7
                }
            };
            let got = if nested { from_future(inner).await_inline().await } else { inner.await };
            said.say(format!("got {got}"));
        });
        EventLoop::new_virtual().run_until_complete(main).unwrap();
        out.stamped_with_iterations()
    };
    assert_eq!(program(true), program(false));
    assert_eq!(program(true).len(), 3);
}

/// `.future()` under a name that says what the test does with it.
trait AwaitInline: rondo::Awaitable {
    fn await_inline(self) -> rondo::CoroutineFuture<Self> {
        self.future()
    }
}
impl<C: rondo::Coroutine> AwaitInline for C {}

/// Pending until its slot is filled; keeps its waker in the slot, and wakes
/// it again when dropped (a future whose clean-up signals someone).
struct WakesWhenDropped(Arc<Mutex<Option<Waker>>>);

impl Future for WakesWhenDropped {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.0.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for WakesWhenDropped {
    fn drop(&mut self) {
        if let Some(waker) = self.0.lock().unwrap().as_ref() {
            waker.wake_by_ref(); // during the task's drop: must not panic or re-enter
        }
    }
}

#[test]
fn a_wake_during_the_tasks_drop_does_nothing() {
    let kept = Arc::new(Mutex::new(None));
    let in_task = kept.clone();
    let main = from_future(async move {
        let task: Task<()> = spawn(from_future(WakesWhenDropped(in_task)));
        sleep(ms(10)).await;
        assert!(task.cancel());
        let result = task.await;
        sleep(ms(10)).await;
        result
    });
    let ev = EventLoop::new_virtual();
    assert_eq!(ev.run_until_complete(main).unwrap(), Err(TaskError::Cancelled));
    // The waker outlives its task, kept in the slot: waking it now is a no-op.
    kept.lock().unwrap().take().expect("the task kept its waker").wake();
}

#[test]
fn a_waker_kept_by_a_thread_does_not_hold_the_loop_once_its_task_is_cancelled() {
    let kept = Arc::new(Mutex::new(None::<Waker>));
    let in_task = kept.clone();
    let main = from_future(async move {
        let task = spawn(from_future(std::future::poll_fn(move |cx| {
            *in_task.lock().unwrap() = Some(cx.waker().clone());
            Poll::<()>::Pending
        })));
        sleep(ms(10)).await;
        task.cancel();
        task.await
    });
    // Without the rule "only a live task's waker keeps the loop listening",
    // this would wait for ever for the kept waker.
    let ev = EventLoop::new();
    assert_eq!(ev.run_until_complete(main).unwrap(), Err(TaskError::Cancelled));
    let waker = kept.lock().unwrap().take().expect("kept");
    std::thread::spawn(move || waker.wake()).join().unwrap(); // wakes nobody
}

#[test]
fn a_loop_dropped_while_a_thread_holds_a_tasks_waker_ends_quietly() {
    let kept = Arc::new(Mutex::new(None::<Waker>));
    {
        let ev = EventLoop::new();
        let in_task = kept.clone();
        let _task = ev.spawn(from_future(std::future::poll_fn(move |cx| {
            *in_task.lock().unwrap() = Some(cx.waker().clone());
            Poll::<()>::Pending
        })));
        ev.run_until_complete(sleep(ms(1))).unwrap();
    } // loop, task and inbox gone; the waker is not
    let waker = kept.lock().unwrap().take().expect("the task kept its waker");
    std::thread::spawn(move || {
        waker.wake_by_ref();
        waker.wake();
    })
    .join()
    .unwrap();
}

#[test]
fn a_hundred_thousand_kept_wakers_woken_from_a_thread_each_wake_their_own_task() {
    const N: usize = 100_000;
    let wakers = Arc::new(Mutex::new(Vec::<(usize, Waker)>::with_capacity(N)));
    let woken = Arc::new(Mutex::new(vec![false; N]));
    let main = {
        let (wakers, woken) = (wakers.clone(), woken.clone());
        from_future(async move {
            let tasks: Vec<Task<usize>> = (0..N)
                .map(|i| {
                    let (wakers, woken) = (wakers.clone(), woken.clone());
                    spawn(from_future(std::future::poll_fn(move |cx| {
                        if woken.lock().unwrap()[i] {
                            return Poll::Ready(i);
                        }
                        wakers.lock().unwrap().push((i, cx.waker().clone()));
                        Poll::Pending
                    })))
                })
                .collect();
            yield_now().await; // every task has parked its waker
            yield_now().await;
            let wakers = std::mem::take(&mut *wakers.lock().unwrap());
            assert_eq!(wakers.len(), N);
            let thread = std::thread::spawn(move || {
                for (i, waker) in wakers.into_iter().rev() {
                    woken.lock().unwrap()[i] = true;
                    waker.wake();
                }
            });
            let done = rondo::gather_tasks(tasks).await;
            thread.join().unwrap();
            done
        })
    };
    let ev = EventLoop::new_virtual();
    let done = ev.run_until_complete(main).unwrap().expect("every task finishes");
    assert_eq!(done, (0..N).collect::<Vec<_>>(), "each task got its own wake, none was lost");
}

#[test]
fn cancelling_the_head_of_an_async_chain_a_hundred_thousand_deep_ends_every_task() {
    let depth = 100_000;
    let main = from_future(async move {
        let mut t: Task<u32> = spawn(from_future(async {
            sleep(Duration::from_secs(100)).await;
            0
        }));
        for _ in 0..depth {
            let below = t;
            t = spawn(from_future(async move { below.await.map_or(1, |n| n + 1) }));
        }
        sleep(Duration::from_secs(1)).await;
        assert!(t.cancel());
        t.await
    });
    let ev = EventLoop::new_virtual();
    assert_eq!(ev.run_until_complete(main).unwrap(), Err(TaskError::Cancelled));
}

/// Task A wakes itself and, in the same step, sets the event task B waits
/// on — through a std future that wakes its std waker first (`std_leaf`),
/// or as rondo code written the asyncio way: `event.set(); await
/// asyncio.sleep(0)`. With `adopted`, A's future first keeps a std waker
/// across a pause, so A has a waker of its own by then.
fn self_wake_then_set(std_leaf: bool, adopted: bool) -> Vec<String> {
    let out = Transcript::new();
    let said = out.clone();
    let main = from_future(async move {
        let event = rondo::Event::new();
        let (waited, b_says) = (event.clone(), said.clone());
        let b = spawn(from_future(async move {
            waited.wait().await;
            b_says.say("B runs");
        }));
        sleep(ms(1000)).await;
        let a = spawn(from_future(async move {
            if adopted {
                let kept = std::future::poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
                yield_now().await;
                drop(kept);
            }
            if std_leaf {
                let mut first = true;
                std::future::poll_fn(|cx| {
                    if !std::mem::replace(&mut first, false) {
                        return Poll::Ready(());
                    }
                    cx.waker().wake_by_ref();
                    event.set();
                    Poll::Pending
                })
                .await;
            } else {
                event.set();
                yield_now().await;
            }
            said.say("A runs again");
        }));
        a.await.unwrap();
        b.await.unwrap();
    });
    EventLoop::new_virtual().run(main).unwrap();
    out.stamped_with_iterations()
}

#[test]
fn a_std_future_that_wakes_itself_is_requeued_as_asyncio_requeues_a_yield() {
    // asyncio: `event.set(); await asyncio.sleep(0)` queues B's wake-up, then
    // A's next step when its step ends (checked on CPython 3.11: "1.000 #6 B
    // runs", "1.000 #6 A runs again"). A std waker woken inside its task's
    // poll lands the same way, lent or adopted: after what the poll woke.
    assert_eq!(self_wake_then_set(false, false), ["1.000 #6 B runs", "1.000 #6 A runs again"]);
    for adopted in [false, true] {
        assert_eq!(
            self_wake_then_set(true, adopted),
            self_wake_then_set(false, adopted),
            "adopted: {adopted}"
        );
    }
}
