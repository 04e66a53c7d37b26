//! A guarantee of `Lock`, on random programs: tasks that wait a few
//! iterations, take the lock, hold it a few iterations and let go, while
//! `main` cancels some of them at random moments — before they ask, while
//! they wait in line, just after a release woke them, or while they hold
//! the lock. Whatever happens:
//! - no wake is lost: the run ends (a lost wake is a deadlock, which rondo
//!   reports instead of hanging);
//! - at most one task holds the lock at a time;
//! - every task that is not cancelled gets the lock exactly once, and a
//!   cancelled one at most once;
//! - the lock is FIFO: tasks get it in the order they asked for it;
//! - nothing is left behind: the lock ends free, with nobody in line.
//!
//! (How *many* iterations each hand-off takes is checked against CPython
//! in `stage7_coordination.rs` and in the unit tests of `lock.rs`.)

use proptest::prelude::*;
use rondo::{
    Context, Coroutine, CoroutineExt, EventLoop, Lock, LockGuard, Poll, ReturnWhen, Task, lazy, spawn, wait,
};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// `for _ in range(n): await asyncio.sleep(0)`
struct Yields(u8);

impl Coroutine for Yields {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 == 0 {
            return Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake();
        Poll::Pending
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Asked(usize),
    Got(usize),
}

/// Holding the lock; clears the holder mark before the guard releases.
struct Held {
    _guard: LockGuard,
    holder: Rc<Cell<Option<usize>>>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.holder.set(None);
    }
}

/// `await sleep0 * start; async with lock: await sleep0 * hold`
fn worker(
    i: usize,
    (start, hold): (u8, u8),
    lock: &Lock,
    log: &Rc<RefCell<Vec<Step>>>,
    holder: &Rc<Cell<Option<usize>>>,
) -> impl Coroutine<Output = ()> + 'static {
    let (lock, log, holder) = (lock.clone(), log.clone(), holder.clone());
    Yields(start)
        .then(move |()| {
            log.borrow_mut().push(Step::Asked(i));
            lock.acquire().map(move |guard| (guard, log))
        })
        .then(move |(guard, log)| {
            assert_eq!(holder.get(), None, "task {i} got the lock while {:?} held it", holder.get());
            holder.set(Some(i));
            log.borrow_mut().push(Step::Got(i));
            let held = Held { _guard: guard, holder };
            Yields(hold).map(move |()| drop(held))
        })
}

fn run_program(workers: &[(u8, u8)], cancels: &[(usize, u8)]) -> Result<(), TestCaseError> {
    let lock = Lock::new();
    let log: Rc<RefCell<Vec<Step>>> = Rc::default();
    let holder: Rc<Cell<Option<usize>>> = Rc::default();
    let cancelled: Rc<RefCell<Vec<usize>>> = Rc::default();
    let n = workers.len();
    let mut cancels: Vec<(usize, u8)> = cancels.iter().map(|&(i, at)| (i % n, at)).collect();
    cancels.sort_by_key(|&(_, at)| at);
    let main = {
        let (lock, log, holder, cancelled) = (lock.clone(), log.clone(), holder.clone(), cancelled.clone());
        let workers = workers.to_vec();
        lazy(move || {
            let tasks: Rc<Vec<Task<()>>> = Rc::new(
                workers.iter().enumerate().map(|(i, &w)| spawn(worker(i, w, &lock, &log, &holder))).collect(),
            );
            // Cancel at the chosen iterations (offsets from main's first step).
            let mut plan: rondo::BoxCoroutine<'static, ()> = rondo::ready(()).boxed();
            let mut now = 0;
            for (i, at) in cancels {
                let (tasks, cancelled) = (tasks.clone(), cancelled.clone());
                let gap = at - now;
                now = at;
                plan = plan
                    .then(move |()| Yields(gap))
                    .map(move |()| {
                        if tasks[i].cancel() {
                            cancelled.borrow_mut().push(i);
                        }
                    })
                    .boxed();
            }
            plan.then(move |()| {
                let all: Vec<Task<()>> =
                    Rc::try_unwrap(tasks).unwrap_or_else(|_| panic!("the plan is done with them"));
                wait(all, ReturnWhen::AllCompleted)
            })
        })
        .then(|waiting| waiting)
    };
    let outcome = EventLoop::new_virtual().run(main);
    prop_assert!(outcome.is_ok(), "a lost wake: {outcome:?}");
    let (done, pending) = outcome.unwrap();
    prop_assert!(pending.is_empty());
    prop_assert_eq!(done.len(), n);

    let log = log.borrow();
    let cancelled = cancelled.borrow();
    let asked: Vec<usize> =
        log.iter().filter_map(|s| if let Step::Asked(i) = s { Some(*i) } else { None }).collect();
    let got: Vec<usize> =
        log.iter().filter_map(|s| if let Step::Got(i) = s { Some(*i) } else { None }).collect();
    for i in 0..n {
        let times = got.iter().filter(|&&g| g == i).count();
        if cancelled.contains(&i) {
            prop_assert!(times <= 1, "cancelled task {i} got the lock {times} times");
        } else {
            prop_assert_eq!(times, 1, "task {} got the lock {} times; log {:?}", i, times, log);
        }
    }
    // FIFO: the order of getting is the order of asking, minus who left the line.
    let in_line_order: Vec<usize> = asked.iter().copied().filter(|i| got.contains(i)).collect();
    prop_assert_eq!(&got, &in_line_order, "not FIFO; log {:?}", log);
    prop_assert!(!lock.locked());
    prop_assert_eq!(format!("{lock:?}"), "Lock(unlocked)", "somebody is still in line");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_lost_wake_one_holder_each_once_in_fifo_order(
        workers in prop::collection::vec((0u8..4, 0u8..4), 1..8),
        cancels in prop::collection::vec((0usize..8, 0u8..10), 0..4),
    ) {
        run_program(&workers, &cancels)?;
    }
}

#[test]
fn a_holder_cancelled_while_holding_lets_the_next_one_in() {
    // Task 0 holds for 3 iterations and is cancelled after 1; task 1 waits behind it.
    run_program(&[(0, 3), (0, 0)], &[(0, 1)]).unwrap();
}
