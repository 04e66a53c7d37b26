//! Stage 8's threads: `to_thread`, `run_in_executor`, the thread pool and
//! `call_soon_threadsafe`, against asyncio's rules — the result of a thread
//! takes two iterations (its callback, then the task), a panic on the thread
//! is the awaiting task's error, a cancelled awaiter leaves the thread
//! running, a late result is dropped, an idle loop wakes at once when a
//! thread calls it, and the deadlock report still comes when nothing outside
//! can wake the loop. No test sleeps for real longer than a few milliseconds.

use proptest::prelude::*;
use rondo::{
    CoroutineExt, EventLoop, LoopError, Promise, TaskError, ThreadPool, Transcript, gather, lazy,
    run_in_executor, sleep, spawn, to_thread,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

#[test]
fn a_threads_result_reaches_its_task_two_iterations_later_as_in_asyncio() {
    // CPython 3.11, with `_run_once` counted:
    //     async def main():
    //         print("start", n)                                       # start 1
    //         r = await asyncio.to_thread(lambda: time.sleep(0.05) or 5)
    //         print("got", r, n)                                      # got 5 3
    // Iteration 2 runs the thread's callback (call_soon_threadsafe), which
    // resolves the future; its done-callback schedules the task for 3.
    for ev in [EventLoop::new(), EventLoop::new_virtual()] {
        let ev = std::rc::Rc::new(ev);
        let seen = std::rc::Rc::new(std::cell::RefCell::new(vec![]));
        let (e, s) = (ev.clone(), seen.clone());
        let main = lazy(move || {
            s.borrow_mut().push(("start".to_string(), e.iterations()));
            to_thread(|| {
                std::thread::sleep(2 * MS);
                5
            })
            .map(move |r| s.borrow_mut().push((format!("got {r}"), e.iterations())))
        });
        ev.run_until_complete(main.then(|c| c)).unwrap();
        assert_eq!(*seen.borrow(), [("start".to_string(), 1), ("got 5".to_string(), 3)]);
    }
}

#[test]
fn work_on_a_thread_takes_no_virtual_time() {
    // On a virtual clock the loop waits (really) for a thread that works for
    // it before it moves time: the thread's answer comes first, at 0.000,
    // whatever the machine's speed — one order, every run.
    let out = Transcript::new();
    let (a, b) = (out.clone(), out.clone());
    let ev = EventLoop::new_virtual();
    let main = lazy(move || {
        let slow = spawn(to_thread(|| std::thread::sleep(5 * MS)).map(move |()| a.say("thread done")));
        let timer = spawn(sleep(Duration::from_secs(1)).map(move |()| b.say("timer")));
        gather(vec![slow, timer])
    });
    let outcomes = ev.run(main.then(|g| g)).unwrap();
    assert!(outcomes.iter().flatten().all(|outcome| outcome.is_ok()));
    assert_eq!(out.stamped(), ["0.000 thread done", "1.000 timer"]);
}

#[test]
fn a_panic_on_the_thread_is_the_awaiting_tasks_error_and_the_loop_goes_on() {
    let ev = EventLoop::new_virtual();
    let failing = ev.spawn(to_thread(|| -> u32 { panic!("the blocking library failed") }));
    let fine = ev.spawn(to_thread(|| 7));
    assert_eq!(ev.run_until_complete(fine).unwrap(), Ok(7));
    let outcome = ev.run_until_complete(failing).unwrap();
    assert_eq!(outcome, Err(TaskError::Panicked("the blocking library failed".into())));
}

#[test]
fn cancelling_the_awaiter_leaves_the_thread_running_and_drops_its_result() {
    let finished = Arc::new(AtomicUsize::new(0));
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let ev = EventLoop::new();
    let f = finished.clone();
    let waiting = std::rc::Rc::new(ev.spawn(to_thread(move || {
        go_rx.recv().unwrap(); // holds the thread until the awaiter is gone
        f.fetch_add(1, Ordering::SeqCst);
        "a result nobody takes"
    })));
    let w = waiting.clone();
    let canceller = ev.spawn(lazy(move || {
        assert!(w.cancel());
        go_tx.send(()).unwrap();
    }));
    ev.run_until_complete(canceller).unwrap().unwrap();
    assert!(waiting.cancelled());
    let deadline = Instant::now() + Duration::from_secs(10);
    while finished.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        std::thread::sleep(MS);
    }
    assert_eq!(finished.load(Ordering::SeqCst), 1, "the thread ran to its end");
}

#[test]
fn a_result_arriving_after_the_loop_is_gone_is_dropped_without_a_crash() {
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel();
    {
        let ev = EventLoop::new();
        let _job = ev.spawn(to_thread(move || {
            started_tx.send(()).unwrap();
            go_rx.recv().unwrap();
            let _ = done_tx.send(());
            vec![1u8; 1024] // dropped on this thread: the inbox refuses it
        }));
        ev.run_until_complete(sleep(MS)).unwrap();
        // Running, not queued: a queued job would be dropped with the pool.
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
    } // the loop goes, with the job still running
    go_tx.send(()).unwrap();
    done_rx.recv_timeout(Duration::from_secs(10)).unwrap();
}

#[test]
fn an_idle_loop_wakes_at_once_when_a_thread_calls_it() {
    // No timer at all: stage 4 would have called this a deadlock; stage 8
    // sleeps in poll(2) until the self-pipe is written.
    let ev = EventLoop::new();
    let handle = ev.handle();
    let sent = Arc::new(std::sync::Mutex::new(None::<Instant>));
    let s = sent.clone();
    std::thread::spawn(move || {
        std::thread::sleep(3 * MS);
        *s.lock().unwrap() = Some(Instant::now());
        handle.call_soon_threadsafe(rondo::stop).unwrap();
    });
    ev.run_forever().unwrap();
    let latency = sent.lock().unwrap().expect("the thread sent").elapsed();
    // Generous for a loaded 2-core CI machine; it is microseconds when quiet.
    assert!(latency < Duration::from_millis(500), "woke {latency:?} after the call");
}

#[test]
fn a_thread_that_sends_and_lets_go_of_its_handle_at_once_is_never_missed() {
    // The thread's send and its handle's drop can both fall between two
    // questions of the idle loop ("any mail?", "any handle?"): asked in that
    // order, the loop would see neither and call it a deadlock, mail
    // waiting. It asks about holders first (`Outside::can_be_woken`). The
    // window is nanoseconds here; `tests/stage9_waker_props.rs`, where the
    // holder is a std waker, is the test that caught it.
    for round in 0..300u64 {
        let ev = EventLoop::new();
        let handle = ev.handle();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_micros(round % 40));
            handle.call_soon_threadsafe(rondo::stop).unwrap();
        }); // the handle goes with the thread, right after the send
        assert!(ev.run_forever().is_ok(), "round {round}: the stop was sent before the handle went");
        thread.join().unwrap();
    }
}

#[test]
fn with_nothing_outside_a_stuck_loop_is_still_a_deadlock() {
    let ev = EventLoop::new_virtual();
    assert_eq!(ev.run_until_complete(to_thread(|| 1)).unwrap(), 1); // stage 8 installed
    let never: Promise<()> = Promise::new();
    let error = ev.run_until_complete(never.wait()).unwrap_err();
    let LoopError::Deadlock { stuck } = error else { panic!("a deadlock, not {error:?}") };
    assert_eq!(stuck.len(), 1);
}

#[test]
fn a_live_loop_handle_means_someone_may_still_call() {
    // The same stuck task, but a thread holds a handle: the loop waits for
    // it (asyncio never reports a deadlock at all).
    let ev = EventLoop::new();
    let handle = ev.handle();
    let never: Promise<()> = Promise::new();
    let _stuck = ev.spawn(never.wait());
    std::thread::spawn(move || {
        std::thread::sleep(2 * MS);
        handle.call_soon_threadsafe(rondo::stop).unwrap();
    });
    ev.run_forever().unwrap();
}

#[test]
fn the_pool_survives_panicking_jobs_and_never_exceeds_its_size() {
    let pool = ThreadPool::new(2);
    let ev = EventLoop::new_virtual();
    let jobs: Vec<_> = (0..20)
        .map(|i| {
            ev.spawn(run_in_executor(&pool, move || {
                std::thread::sleep(Duration::from_micros(200));
                if i % 3 == 0 {
                    panic!("job {i} fails");
                }
                i
            }))
        })
        .collect();
    let mut outcomes = vec![];
    for job in jobs {
        outcomes.push(ev.run_until_complete(job).unwrap());
    }
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Ok(n) => assert_eq!(n, i),
            Err(e) => assert_eq!(e, TaskError::Panicked(format!("job {i} fails").into())),
        }
    }
    assert_eq!(pool.threads_started(), 2);
}

#[test]
fn installing_the_selector_changes_no_order_of_a_program_without_io() {
    // The same program, traced with iterations, on a loop with stage 3's
    // wait and on one with stage 8's poll(2): identical.
    let trace = |with_selector: bool| {
        let out = Transcript::new();
        let ev = EventLoop::new_virtual();
        if with_selector {
            let _handle = ev.handle(); // installs the selector (and lets it go)
        }
        let o = out.clone();
        let main = lazy(move || {
            let tasks: Vec<_> = (1..=3u64)
                .map(|i| {
                    let o = o.clone();
                    spawn(
                        lazy(move || o.say(format!("{i} starts")))
                            .then(move |()| sleep(Duration::from_millis(100 * i)).map(move |()| {})),
                    )
                })
                .collect();
            gather(tasks)
        });
        ev.run(main.then(|g| g.map(|_| ()))).unwrap();
        out.stamped_with_iterations()
    };
    assert_eq!(trace(false), trace(true));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Jobs of random (sub-millisecond) lengths, some cancelled at random
    /// virtual times: no job runs twice, every awaiter that was not
    /// cancelled gets its own job's result (so its job ran), and only a
    /// cancelled one ends without it.
    #[test]
    fn no_job_runs_twice_and_every_kept_awaiter_gets_its_own_result(
        jobs in prop::collection::vec((0u64..300, any::<bool>(), 0u64..3), 1..40),
        pool_size in 1usize..5,
    ) {
        let runs: Arc<Vec<AtomicUsize>> = Arc::new(jobs.iter().map(|_| AtomicUsize::new(0)).collect());
        let got = std::rc::Rc::new(std::cell::RefCell::new(vec![None; jobs.len()]));
        let pool = ThreadPool::new(pool_size);
        let ev = EventLoop::new_virtual();
        let mut tasks = vec![];
        for (i, &(micros, cancel, after_ms)) in jobs.iter().enumerate() {
            let (runs, got) = (runs.clone(), got.clone());
            let job = run_in_executor(&pool, move || {
                std::thread::sleep(Duration::from_micros(micros));
                runs[i].fetch_add(1, Ordering::SeqCst);
                i
            });
            let task = std::rc::Rc::new(ev.spawn(job.map(move |n| got.borrow_mut()[i] = Some(n))));
            if cancel {
                let t = task.clone();
                let _timer = ev.call_later(Duration::from_millis(after_ms), move || { t.cancel(); });
            }
            tasks.push(task);
        }
        // Past every cancel; the loop waits for every job in flight before
        // it moves virtual time, so all have answered by then.
        ev.run_until_complete(sleep(Duration::from_millis(10))).unwrap();
        for (i, task) in tasks.iter().enumerate() {
            prop_assert!(task.done());
            match got.borrow()[i] {
                Some(n) => {
                    prop_assert_eq!(n, i);
                    prop_assert_eq!(runs[i].load(Ordering::SeqCst), 1);
                }
                None => {
                    prop_assert!(jobs[i].1 && task.cancelled(), "only a cancelled awaiter ends without its result");
                }
            }
        }
        drop(ev);
        drop(pool);
        prop_assert!(runs.iter().all(|r| r.load(Ordering::SeqCst) <= 1));
    }
}

#[test]
fn a_panicking_callback_from_a_thread_is_reported_and_the_loop_goes_on() {
    // asyncio logs "Exception in callback" for a failing call_soon_threadsafe
    // callback and goes on; rondo reports it with where it was sent from.
    let ev = EventLoop::new();
    let handle = ev.handle();
    std::thread::spawn(move || {
        handle
            .call_soon_threadsafe(|| panic!("a callback from a thread fails (expected in this test)"))
            .unwrap();
        handle.call_soon_threadsafe(rondo::stop).unwrap();
    });
    ev.run_forever().unwrap();
    let panics = ev.callback_panics();
    assert_eq!(panics.len(), 1);
    assert_eq!(panics[0].message, "a callback from a thread fails (expected in this test)");
    assert!(panics[0].scheduled_at.file().ends_with("stage8_threads.rs"), "{}", panics[0].scheduled_at);
}

#[test]
fn a_handle_that_outlives_its_loop_is_told_so() {
    let handle = EventLoop::new().handle(); // the loop is dropped at the end of this line
    let sent =
        std::thread::spawn(move || handle.call_soon_threadsafe(|| unreachable!("never run"))).join().unwrap();
    assert_eq!(sent, Err(rondo::LoopClosed));
}

#[test]
fn ten_thousand_jobs_on_a_small_pool_each_answer_once() {
    let pool = ThreadPool::new(3);
    let ev = EventLoop::new_virtual();
    let jobs: Vec<_> = (0..10_000u64).map(|i| run_in_executor(&pool, move || i * 2)).collect();
    let answers = ev.run(gather(jobs)).unwrap();
    let expected: Vec<u64> = (0..10_000u64).map(|i| i * 2).collect();
    assert_eq!(answers, Ok(expected), "every answer, each once, in order");
    assert_eq!(pool.threads_started(), 3);
}
