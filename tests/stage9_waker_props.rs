//! Stage 9's std waker, as a property: whatever mix of std futures a
//! program's `async` tasks wait on — filled by a thread (now, or after a
//! while), by another task of the loop, or yielding once — every task gets
//! every value it waits for, exactly once, and the loop ends: no wake is
//! lost (lent, adopted, or between the two), none wakes the wrong task,
//! and nothing waits for ever.

mod common;
#[allow(dead_code)] // not every test file uses all of it
#[path = "support/mailbox.rs"]
mod mailbox;

use mailbox::{Shared, Take, put};
use proptest::prelude::*;
use rondo::{EventLoop, Task, from_future, sleep, spawn};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Wakes itself and returns `Pending` once (a std yield: its waker is lent).
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// What one wait of a task is.
#[derive(Clone, Debug)]
enum Wait {
    /// A thread fills the mailbox after this many microseconds (0: at once,
    /// often before the task has parked its waker, or while it polls).
    Thread(u64),
    /// Another task of the loop fills it after sleeping this many ms.
    Task(u64),
    /// No mailbox: a std future that wakes itself once.
    Yield,
}

fn wait() -> impl Strategy<Value = Wait> {
    prop_oneof![
        3 => (0u64..300).prop_map(Wait::Thread),
        3 => (0u64..50).prop_map(Wait::Task),
        1 => Just(Wait::Yield),
    ]
}

/// Runs tasks, each waiting in turn on its waits; returns what each got.
fn run(program: &[Vec<Wait>], virtual_clock: bool) -> Vec<Vec<u64>> {
    let program = program.to_vec();
    let main = from_future(async move {
        let mut threads = vec![];
        let mut tasks: Vec<Task<Vec<u64>>> = vec![];
        for (t, waits) in program.into_iter().enumerate() {
            let mut mailboxes = vec![];
            for (w, wait) in waits.iter().enumerate() {
                let value = (t * 100 + w) as u64;
                let mailbox = Shared::default();
                match *wait {
                    Wait::Thread(us) => {
                        let mailbox = mailbox.clone();
                        threads.push(std::thread::spawn(move || {
                            std::thread::sleep(Duration::from_micros(us));
                            put(&mailbox, value);
                        }));
                    }
                    Wait::Task(ms) => {
                        let mailbox = mailbox.clone();
                        drop(spawn(from_future(async move {
                            sleep(Duration::from_millis(ms)).await;
                            put(&mailbox, value);
                        })));
                    }
                    Wait::Yield => {}
                }
                mailboxes.push((wait.clone(), mailbox));
            }
            tasks.push(spawn(from_future(async move {
                let mut got = vec![];
                for (wait, mailbox) in mailboxes {
                    match wait {
                        Wait::Yield => YieldOnce(false).await,
                        _ => got.push(Take(mailbox).await),
                    }
                }
                got
            })));
        }
        let mut results = vec![];
        for task in tasks {
            results.push(task.await.expect("no task fails"));
        }
        for thread in threads {
            thread.join().unwrap();
        }
        results
    });
    let ev = if virtual_clock { EventLoop::new_virtual() } else { EventLoop::new() };
    ev.run_until_complete(main).expect("the loop ends: no lost wake, no deadlock")
}

fn expected(program: &[Vec<Wait>]) -> Vec<Vec<u64>> {
    program
        .iter()
        .enumerate()
        .map(|(t, waits)| {
            waits
                .iter()
                .enumerate()
                .filter(|(_, wait)| !matches!(wait, Wait::Yield))
                .map(|(w, _)| (t * 100 + w) as u64)
                .collect()
        })
        .collect()
}

proptest! {
    #![proptest_config(common::config(48))]

    #[test]
    fn every_task_gets_every_value_once_and_the_loop_ends(
        program in prop::collection::vec(prop::collection::vec(wait(), 1..5), 1..12),
        virtual_clock in any::<bool>(),
    ) {
        prop_assert_eq!(run(&program, virtual_clock), expected(&program));
    }
}

/// Six tasks, three thread-filled waits each, the threads' delays spread
/// over 0–40 µs so that sends land before, during and after the polls and
/// the idle loop's checks — a thousand times. (This is what found the
/// idle loop asking "any mail?" before "does anyone still hold a waker?":
/// a thread could send and let go in between, and the loop called it a
/// deadlock with the wake in its inbox.)
#[test]
fn many_threads_waking_tasks_at_once_never_make_the_loop_miss_one() {
    for round in 0..1000u64 {
        let program: Vec<Vec<Wait>> = (0..6)
            .map(|t| (0..3).map(|w| Wait::Thread((round * 7 + t * 13 + w * 29) % 40)).collect())
            .collect();
        assert_eq!(run(&program, round % 2 == 0), expected(&program), "round {round}");
    }
}
