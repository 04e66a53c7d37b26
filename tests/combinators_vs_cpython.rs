//! Every combinator rondo exports, in random programs run on rondo and on CPython.
//!
//! The two proptest files check spawn, sleep, yield, await, gather, promises
//! and cancellation against a model of asyncio written by hand (and the model
//! against CPython). This file reaches the rest of what the crate root
//! exports, with CPython itself as the only reference — no model:
//!
//! - tasks that fail (a panic in rondo, `raise Exception` in Python), awaited
//!   by a task that prints what it got: `ok <value>`, `failed <message>` or
//!   `cancelled`;
//! - `gather` (first failure) and `gather_settled` (`return_exceptions=True`)
//!   with their outputs printed, `gather_tasks` over spawned tasks, some of
//!   them cancelled;
//! - `wait` and `wait_timeout` in all three `ReturnWhen` modes;
//! - `wait_for` and `timeout` around a body of any ops, with limits that do
//!   and do not expire, and `wait_for` of a task;
//! - `as_completed`, `shield`, `ticker` (an async iterator), `Promise` with
//!   `set_result` and `set_error`;
//! - stage 7's `Lock` and `Semaphore` (held across a sleep), `Queue`
//!   (`maxsize=1`: puts and gets under `wait_for`, so timeouts cancel
//!   waiters) and `Event` (`wait` under `wait_for`, `set`, `clear`) — with
//!   Python 3.13's `Semaphore` on older CPythons, as rondo follows 3.13;
//! - the inline combinators `join`, `join3`, `join_all`, `select` and `race`
//!   over `Script`s, `ready` and `lazy` values (boxed with `boxed()`), and a
//!   yield written with `poll_fn`.
//!
//! asyncio has no inline combinators: its `Task` waits for one future at a
//! time. The Python side's `Inline` (in the prelude below) polls coroutines
//! inside the awaiting task the way rondo's do — each child advanced in order
//! when what it waits for is done, the task's step run by the first wake, a
//! loser dropped by throwing into it — so that those programs check how rondo's
//! inline polling meets asyncio's hops, timers and cancellation. The rest runs
//! on asyncio's own functions, with one substitution: `wait_for` is Python
//! 3.12's (`async with timeout(...)`), which rondo follows, defined in the
//! prelude so that the comparison runs the same rule on CPython 3.11.
//!
//! Both sides print every line with its virtual time and its loop iteration
//! (`"1.250 #12 T3 got T5 ok T5"`), and the runs must also end at the same
//! time after the same number of iterations.
//!
//! The programs avoid what rondo does differently on purpose (chapter 6,
//! "Where rondo differs from asyncio on purpose"): only tasks nobody can
//! cancel await a promise (asyncio would cancel the promise with them); no
//! `wait_for` sits inside an inline combinator's child (asyncio's timeout
//! cancels the whole task; rondo's, only that child); and no child of
//! `select`/`race` yields (a loser's yield leaves rondo's task a spurious
//! wake). Every task's failure is awaited by someone, so neither side
//! reports an unobserved failure: Python's stderr must stay empty, and
//! rondo's loop must log none.
//!
//! A failing program is easier to read cut down: `COMBINATORS_SHRINK=1`
//! prints the smallest program found that still differs,
//! `COMBINATORS_ONLY=<n>,…` runs those programs alone, `COMBINATORS_SHOW=<n>`
//! prints both traces side by side, `COMBINATORS_TRACE=1` rondo's loop events.

mod common;

use common::cpython::{Run, run_script_on_cpython};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use rondo::{
    BoxCoroutine, Context, Coroutine, CoroutineExt, Either, Event, EventLoop, Lock, Poll, Promise, Queue,
    ReturnWhen, Semaphore, StreamExt, Task, TaskError, Transcript, as_completed, gather, gather_settled,
    gather_tasks, join, join_all, join3, lazy, poll_fn, race, ready, select, shield, sleep, spawn_named,
    ticker, timeout, wait, wait_for, wait_timeout, yield_now,
};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::Duration;

// ---------------------------------------------------------------------------
// Programs
// ---------------------------------------------------------------------------

/// One operation of a task, or of a coroutine run inline by a combinator.
#[derive(Clone, Debug)]
enum Act {
    Say(String),
    Sleep(u64),
    /// `yield_now()`; Python `sleep(0)`.
    Yield,
    /// The same, written with `poll_fn`.
    YieldFn,
    /// `for i in ticker(n, ms)`: say "<me> tick <i>".
    Tick(u64, u64),
    /// Spawn a named child task; its output is its name.
    Spawn(String, Vec<Act>),
    /// Await the n-th child and say what it gave.
    Await(usize),
    /// Await the n-th child unless a `Wait` already consumed it.
    AwaitIfLeft(usize),
    Cancel(usize),
    /// End the task by failing with "<me> failed" (rondo: a panic).
    Fail,
    /// `gather` of new children (`settled`: `gather_settled`).
    Gather(Vec<(String, Vec<Act>)>, bool),
    GatherTasks(Vec<usize>),
    /// `wait` (or `wait_timeout`) of these children; the done ones are
    /// awaited at once, the pending ones stay children.
    Wait(Vec<usize>, When, Option<u64>),
    WaitForTask(usize, u64),
    Shield(usize),
    AsCompleted(Vec<(String, Vec<Act>)>),
    Inline(Combo, Vec<Kid>),
    /// `wait_for(body, ms)` (or `timeout(ms, body)` if `true`) of an inline body.
    Limit(bool, u64, String, Vec<Act>),
    NewPromise(usize),
    /// `set_result("P<k>")`, or `set_error("P<k> failed")` if `false`.
    SetPromise(usize, bool),
    AwaitPromise(usize),
    /// From here on, say this if the coroutine is dropped (cancelled) unfinished.
    OnCancel(String),
    // Stage 7: one lock, one `Semaphore(2)`, one `Queue(maxsize=1)` and one
    // event per program. Every wait on the queue or the event is under a
    // `wait_for`, so no program deadlocks, and timeouts cancel waiters.
    /// `async with lock:` say "locked", sleep, say "unlocks".
    LockHold(u64),
    /// The same with the semaphore.
    SemaphoreHold(u64),
    /// `wait_for(queue.put("<me>.<k>"), ms)`.
    QueuePut(usize, u64),
    /// `wait_for(queue.get(), ms)`.
    QueueGet(u64),
    /// `wait_for(event.wait(), ms)`.
    EventWait(u64),
    EventSet,
    EventClear,
}

#[derive(Clone, Copy, Debug)]
enum When {
    First,
    FirstFailure,
    All,
}

#[derive(Clone, Copy, Debug)]
enum Combo {
    Join,
    Join3,
    JoinAll,
    Select,
    Race,
}

/// A child of an inline combinator.
#[derive(Clone, Debug)]
enum Kid {
    Body(String, Vec<Act>),
    /// `ready(name)`: done at its first poll, says nothing.
    Ready(String),
    /// `lazy(|| { say "<name> lazy"; name })`.
    Lazy(String),
}

// ---------------------------------------------------------------------------
// rondo: a coroutine that performs its acts
// ---------------------------------------------------------------------------

/// What every script of a program shares: its promises, and one of each of
/// stage 7's primitives (made before the loop runs, as the Python side makes
/// them in `run`).
struct Shared {
    promises: RefCell<HashMap<usize, Promise<String>>>,
    lock: Lock,
    semaphore: Semaphore,
    queue: Queue<String>,
    event: Event,
}

impl Default for Shared {
    fn default() -> Shared {
        Shared {
            promises: RefCell::default(),
            lock: Lock::new(),
            semaphore: Semaphore::new(2),
            queue: Queue::new(1),
            event: Event::new(),
        }
    }
}

type Promises = Rc<Shared>;

/// What a `Script` waits on: a coroutine giving the line to say when it is
/// done (empty: nothing), or a `wait` whose tasks come back.
enum Waiting {
    Line(BoxCoroutine<'static, String>),
    Wait(rondo::Wait<String>),
}

struct Script {
    me: String,
    out: Transcript,
    acts: std::collections::VecDeque<Act>,
    children: Vec<Option<Task<String>>>,
    names: Vec<String>,
    waiting: Option<Waiting>,
    promises: Promises,
    on_cancel: Option<String>,
    done: bool,
}

thread_local! {
    /// The loop iteration running now, kept by `IterationCounter`.
    static ITERATION: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Keeps `ITERATION` up to date, so that every line says when it was said.
struct IterationCounter;

impl rondo::Observer for IterationCounter {
    fn event(&mut self, at: Duration, event: &rondo::LoopEvent, _view: &rondo::LoopView<'_>) {
        if let rondo::LoopEvent::Iteration { n } = event {
            ITERATION.with(|it| it.set(*n));
        }
        // (It replaces the observers `RONDO_TRACE` would install.)
        if std::env::var_os("COMBINATORS_TRACE").is_some() {
            println!("   {:.3} {event}", at.as_secs_f64());
        }
    }
}

/// Says a line as "#<iteration> <text>" (the transcript adds the time):
/// a bug that moves work across an iteration boundary without changing the
/// order of the lines still changes them.
fn say(out: &Transcript, text: impl std::fmt::Display) {
    out.say(format!("#{} {text}", ITERATION.with(|it| it.get())));
}

fn outcome(result: &Result<String, TaskError>) -> String {
    match result {
        Ok(v) => format!("ok {v}"),
        Err(TaskError::Cancelled) => "cancelled".to_string(),
        Err(TaskError::Panicked(m) | TaskError::Failed(m)) => format!("failed {m}"),
        Err(other) => panic!("an error these programs never make: {other}"),
    }
}

fn settled(results: &[Result<String, TaskError>]) -> String {
    let all: Vec<String> = results.iter().map(outcome).collect();
    format!("[{}]", all.join(", "))
}

impl Script {
    fn new(me: &str, out: &Transcript, acts: Vec<Act>, promises: Promises) -> Script {
        Script {
            me: me.to_string(),
            out: out.clone(),
            acts: acts.into(),
            children: vec![],
            names: vec![],
            waiting: None,
            promises,
            on_cancel: None,
            done: false,
        }
    }

    fn child(&self, name: &str, acts: Vec<Act>) -> Script {
        Script::new(name, &self.out, acts, self.promises.clone())
    }

    fn take(&mut self, n: usize) -> Task<String> {
        self.children[n].take().unwrap_or_else(|| panic!("{}: child {n} already taken", self.me))
    }

    fn kid(&self, kid: Kid) -> BoxCoroutine<'static, String> {
        match kid {
            Kid::Body(name, acts) => self.child(&name, acts).boxed(),
            Kid::Ready(name) => ready(name).boxed(),
            Kid::Lazy(name) => {
                let out = self.out.clone();
                lazy(move || {
                    say(&out, format!("{name} lazy"));
                    name
                })
                .boxed()
            }
        }
    }

    /// Starts what `act` waits on, or does it at once.
    fn start(&mut self, act: Act) {
        let me = self.me.clone();
        let line = |c: BoxCoroutine<'static, String>| Some(Waiting::Line(c));
        let silent = |c: BoxCoroutine<'static, ()>| Some(Waiting::Line(c.map(|()| String::new()).boxed()));
        self.waiting = match act {
            Act::Say(text) => return say(&self.out, text),
            Act::Sleep(ms) => silent(sleep(Duration::from_millis(ms)).boxed()),
            Act::Yield => silent(yield_now().boxed()),
            Act::YieldFn => {
                let mut yielded = false;
                silent(
                    poll_fn(move |cx: &mut Context<'_>| {
                        if yielded {
                            return Poll::Ready(());
                        }
                        yielded = true;
                        cx.waker().wake();
                        Poll::Pending
                    })
                    .boxed(),
                )
            }
            Act::Tick(n, ms) => {
                let out = self.out.clone();
                silent(
                    ticker(n, Duration::from_millis(ms))
                        .for_each(move |i| say(&out, format!("{me} tick {i}")))
                        .boxed(),
                )
            }
            Act::Spawn(name, acts) => {
                let script = self.child(&name, acts);
                self.children.push(Some(spawn_named(&name, script)));
                self.names.push(name);
                None
            }
            Act::Await(n) => {
                let name = self.names[n].clone();
                line(self.take(n).map(move |r| format!("{me} got {name} {}", outcome(&r))).boxed())
            }
            Act::AwaitIfLeft(n) => match self.children[n].take() {
                Some(task) => {
                    let name = self.names[n].clone();
                    line(task.map(move |r| format!("{me} got {name} {}", outcome(&r))).boxed())
                }
                None => None,
            },
            Act::Cancel(n) => {
                self.children[n].as_ref().expect("cancel of a child still held").cancel();
                None
            }
            Act::Fail => {
                self.done = true; // a failure is not a cancellation: no clean-up line
                panic!("{me} failed");
            }
            Act::Gather(kids, false) => {
                let scripts: Vec<Script> = kids.into_iter().map(|(n, acts)| self.child(&n, acts)).collect();
                line(
                    gather(scripts)
                        .map(move |r| {
                            format!(
                                "{me} gather {}",
                                match r {
                                    Ok(all) => format!("ok [{}]", all.join(", ")),
                                    Err(e) => outcome(&Err(e)),
                                }
                            )
                        })
                        .boxed(),
                )
            }
            Act::Gather(kids, true) => {
                let scripts: Vec<Script> = kids.into_iter().map(|(n, acts)| self.child(&n, acts)).collect();
                line(
                    gather_settled(scripts)
                        .map(move |all| format!("{me} gather_settled {}", settled(&all)))
                        .boxed(),
                )
            }
            Act::GatherTasks(ns) => {
                let tasks = ns.iter().map(|&n| self.take(n)).collect();
                line(
                    gather_tasks(tasks)
                        .map(move |r| {
                            format!(
                                "{me} gather_tasks {}",
                                match r {
                                    Ok(all) => format!("ok [{}]", all.join(", ")),
                                    Err(e) => outcome(&Err(e)),
                                }
                            )
                        })
                        .boxed(),
                )
            }
            Act::Wait(ns, when, limit) => {
                let tasks = ns.iter().map(|&n| self.take(n)).collect();
                let when = match when {
                    When::First => ReturnWhen::FirstCompleted,
                    When::FirstFailure => ReturnWhen::FirstException,
                    When::All => ReturnWhen::AllCompleted,
                };
                Some(Waiting::Wait(match limit {
                    None => wait(tasks, when),
                    Some(ms) => wait_timeout(tasks, when, Duration::from_millis(ms)),
                }))
            }
            Act::WaitForTask(n, ms) => {
                let name = self.names[n].clone();
                line(
                    wait_for(self.take(n), Duration::from_millis(ms))
                        .map(move |r| match r {
                            Ok(r) => format!("{me} wait_for {name} {}", outcome(&r)),
                            Err(_) => format!("{me} wait_for {name} timed out"),
                        })
                        .boxed(),
                )
            }
            Act::Shield(n) => {
                let name = self.names[n].clone();
                line(shield(self.take(n)).map(move |r| format!("{me} shield {name} {}", outcome(&r))).boxed())
            }
            Act::AsCompleted(kids) => {
                let scripts: Vec<Script> = kids.into_iter().map(|(n, acts)| self.child(&n, acts)).collect();
                let out = self.out.clone();
                silent(
                    as_completed(scripts)
                        .for_each(move |r| say(&out, format!("{me} next {}", outcome(&r))))
                        .boxed(),
                )
            }
            Act::Inline(combo, kids) => {
                let mut kids: Vec<BoxCoroutine<'static, String>> =
                    kids.into_iter().map(|k| self.kid(k)).collect();
                let me2 = me.clone();
                let joined = move |all: Vec<String>| format!("{me2} joined [{}]", all.join(", "));
                let won = move |(i, v): (usize, String)| format!("{me} raced {i} {v}");
                line(match combo {
                    Combo::Join => {
                        let (b, a) = (kids.pop().expect("2"), kids.pop().expect("2"));
                        join(a, b).map(move |(a, b)| joined(vec![a, b])).boxed()
                    }
                    Combo::Join3 => {
                        let (c, b, a) =
                            (kids.pop().expect("3"), kids.pop().expect("3"), kids.pop().expect("3"));
                        join3(a, b, c).map(move |(a, b, c)| joined(vec![a, b, c])).boxed()
                    }
                    Combo::JoinAll => join_all(kids).map(joined).boxed(),
                    Combo::Select => {
                        let (b, a) = (kids.pop().expect("2"), kids.pop().expect("2"));
                        select(a, b)
                            .map(move |e| match e {
                                Either::Left(v) => won((0, v)),
                                Either::Right(v) => won((1, v)),
                            })
                            .boxed()
                    }
                    Combo::Race => race(kids).map(won).boxed(),
                })
            }
            Act::Limit(as_timeout, ms, name, acts) => {
                let body = self.child(&name, acts);
                let limit = Duration::from_millis(ms);
                let said = move |r: Result<String, rondo::Elapsed>| match r {
                    Ok(v) => format!("{me} wait_for ok {v}"),
                    Err(_) => format!("{me} wait_for timed out"),
                };
                line(if as_timeout {
                    timeout(limit, body).map(said).boxed()
                } else {
                    wait_for(body, limit).map(said).boxed()
                })
            }
            Act::NewPromise(k) => {
                self.promises.promises.borrow_mut().insert(k, Promise::new());
                None
            }
            Act::SetPromise(k, ok) => {
                let promise = self.promises.promises.borrow()[&k].clone();
                if ok {
                    promise.set_result(format!("P{k}"))
                } else {
                    promise.set_error(format!("P{k} failed"))
                }
                None
            }
            Act::AwaitPromise(k) => {
                let wait = self.promises.promises.borrow()[&k].wait();
                line(wait.map(move |r| format!("{me} got P{k} {}", outcome(&r))).boxed())
            }
            Act::OnCancel(text) => {
                self.on_cancel = Some(text);
                None
            }
            Act::LockHold(ms) => {
                let (out, me2) = (self.out.clone(), me.clone());
                line(
                    self.promises
                        .lock
                        .acquire()
                        .then(move |guard| {
                            say(&out, format!("{me} locked"));
                            sleep(Duration::from_millis(ms)).map(move |()| {
                                drop(guard);
                                format!("{me2} unlocks")
                            })
                        })
                        .boxed(),
                )
            }
            Act::SemaphoreHold(ms) => {
                let (out, me2) = (self.out.clone(), me.clone());
                line(
                    self.promises
                        .semaphore
                        .acquire()
                        .then(move |permit| {
                            say(&out, format!("{me} acquired"));
                            sleep(Duration::from_millis(ms)).map(move |()| {
                                drop(permit);
                                format!("{me2} releases")
                            })
                        })
                        .boxed(),
                )
            }
            Act::QueuePut(k, ms) => {
                let item = format!("{me}.{k}");
                line(
                    wait_for(self.promises.queue.put(item.clone()), Duration::from_millis(ms))
                        .map(move |r| match r {
                            Ok(Ok(())) => format!("{me} put {item}"),
                            Ok(Err(e)) => panic!("put failed: {e:?}"),
                            Err(_) => format!("{me} put timed out"),
                        })
                        .boxed(),
                )
            }
            Act::QueueGet(ms) => line(
                wait_for(self.promises.queue.get(), Duration::from_millis(ms))
                    .map(move |r| match r {
                        Ok(Ok(item)) => format!("{me} got item {item}"),
                        Ok(Err(e)) => panic!("get failed: {e:?}"),
                        Err(_) => format!("{me} get timed out"),
                    })
                    .boxed(),
            ),
            Act::EventWait(ms) => line(
                wait_for(self.promises.event.wait(), Duration::from_millis(ms))
                    .map(move |r| match r {
                        Ok(_) => format!("{me} saw the event"),
                        Err(_) => format!("{me} event timed out"),
                    })
                    .boxed(),
            ),
            Act::EventSet => {
                self.promises.event.set();
                None
            }
            Act::EventClear => {
                self.promises.event.clear();
                None
            }
        };
    }

    /// A `wait` returned: say what is done and what not, await the done ones
    /// (they are finished: each poll is `Ready`), keep the pending ones.
    fn waited(&mut self, done: Vec<Task<String>>, pending: Vec<Task<String>>, cx: &mut Context<'_>) {
        let names = |tasks: &[Task<String>]| tasks.iter().map(Task::name).collect::<Vec<_>>().join(", ");
        say(&self.out, format!("{} wait done [{}] pending [{}]", self.me, names(&done), names(&pending)));
        for mut task in done {
            let Poll::Ready(r) = task.poll(cx) else { panic!("a done task is pending") };
            say(&self.out, format!("{} got {} {}", self.me, task.name(), outcome(&r)));
        }
        for task in pending {
            let n = self.names.iter().position(|n| *n == task.name()).expect("a child");
            self.children[n] = Some(task);
        }
    }
}

impl Coroutine for Script {
    type Output = String;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<String> {
        assert!(!self.done, "Script polled after it completed");
        loop {
            match self.waiting.as_mut() {
                Some(Waiting::Line(c)) => {
                    let Poll::Ready(text) = c.poll(cx) else { return Poll::Pending };
                    self.waiting = None;
                    if !text.is_empty() {
                        say(&self.out, text);
                    }
                }
                Some(Waiting::Wait(w)) => {
                    let Poll::Ready((done, pending)) = w.poll(cx) else { return Poll::Pending };
                    self.waiting = None;
                    self.waited(done, pending, cx);
                }
                None => match self.acts.pop_front() {
                    Some(act) => self.start(act),
                    None => {
                        self.done = true;
                        return Poll::Ready(self.me.clone());
                    }
                },
            }
        }
    }
}

impl Drop for Script {
    /// Dropped unfinished: what it waits on goes first (and with it the
    /// clean-ups of inline children), then its own clean-up line — Python's
    /// unwinding order, innermost `except` first.
    fn drop(&mut self) {
        if !self.done
            && let Some(text) = self.on_cancel.take()
        {
            self.waiting = None;
            say(&self.out, text);
        }
    }
}

/// Runs a program on rondo: what it printed, and what went wrong besides
/// (a failure nobody observed, a callback that panicked).
fn run_rondo(main: &[Act]) -> (Run, Vec<String>) {
    let out = Transcript::new();
    let ev = EventLoop::new_virtual();
    ev.observe(Box::new(IterationCounter));
    let script = Script::new("main", &out, main.to_vec(), Promises::default());
    if let Err(error) = ev.run_until_complete(script) {
        panic!("rondo: the program did not complete: {error}\nprogram: {}", render(main));
    }
    let trace = out.stamped();
    let end = ev.now();
    let iterations = ev.iterations();
    // Every failure of these programs is awaited by someone — some only
    // after main, by a callback still queued that `cancel_all` runs (as
    // `asyncio.run` runs the loop once more).
    ev.cancel_all();
    let mut problems: Vec<String> =
        ev.take_unobserved_failures().iter().map(|u| format!("unobserved failure: {u:?}")).collect();
    problems.extend(ev.callback_panics().iter().map(|p| format!("callback panic: {p:?}")));
    (Run { trace, end_ms: end.as_millis() as u64, iterations }, problems)
}

// ---------------------------------------------------------------------------
// Python: the same program as `async def`s
// ---------------------------------------------------------------------------

/// What this file adds to the shared virtual-clock loop.
const PYTHON_PRELUDE: &str = r##"
MUTE = [False]  # set once main has completed
P = {}  # the promises of the running program
PR = {}  # the program's lock, semaphore, queue and event

def say(text):
    if not MUTE[0]:
        print("%d.%03d #%d %s" % (CLOCK[0] // 1000, CLOCK[0] % 1000, ITERATIONS[0], text))

def run(main):
    # asyncio.run(main()), on the virtual loop; what pending tasks say when
    # they are cancelled after main is not part of the trace.
    CLOCK[0] = ITERATIONS[0] = 0
    MUTE[0] = False
    P.clear()
    PR.update(L=asyncio.Lock(), SEM=Semaphore(2), Q=asyncio.Queue(1), E=asyncio.Event())
    loop = InlineLoop()
    try:
        loop.run_until_complete(main())
        end, iterations = CLOCK[0], ITERATIONS[0]
        MUTE[0] = True
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        # As asyncio.run does: the loop runs once more, so that callbacks
        # still queued (a gather's, retrieving a child's failure) run.
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
    print("#end %d %d" % (end, iterations))

import sys
from asyncio import locks, mixins, exceptions
import collections

class Semaphore313(locks._ContextManagerMixin, mixins._LoopBoundMixin):
    # Python 3.13's asyncio.Semaphore, which rondo follows: after a release
    # it wakes as many waiters as the value allows (3.11 and 3.12 wake one
    # at a time). Copied from 3.13's locks.py, docstrings left out.
    def __init__(self, value=1):
        self._waiters = None
        self._value = value

    def locked(self):
        return self._value == 0 or (any(not w.cancelled() for w in (self._waiters or ())))

    async def acquire(self):
        if not self.locked():
            self._value -= 1
            return True
        if self._waiters is None:
            self._waiters = collections.deque()
        fut = self._get_loop().create_future()
        self._waiters.append(fut)
        try:
            try:
                await fut
            finally:
                self._waiters.remove(fut)
        except exceptions.CancelledError:
            if fut.done() and not fut.cancelled():
                self._value += 1
            raise
        finally:
            while self._value > 0:
                if not self._wake_up_next():
                    break
        return True

    def release(self):
        self._value += 1
        self._wake_up_next()

    def _wake_up_next(self):
        if not self._waiters:
            return False
        for fut in self._waiters:
            if not fut.done():
                self._value -= 1
                fut.set_result(True)
                return True
        return False

Semaphore = asyncio.Semaphore if sys.version_info >= (3, 13) else Semaphore313

async def wait_for(aw, ms):
    # Python 3.12's wait_for (for a timeout > 0), which rondo follows; 3.11's
    # wrapped `aw` in a task, at the cost of extra iterations.
    async with asyncio.timeout(ms):
        return await aw

async def ready(v):
    return v

async def lazy(v):
    say(v + " lazy")
    return v

class Dropped(asyncio.CancelledError):
    # Thrown into an inline combinator's child to drop it (rondo drops it).
    pass

def fmt(v):
    return "[" + ", ".join(v) + "]" if isinstance(v, list) else v

def fmt_settled(results):
    def one(r):
        if isinstance(r, asyncio.CancelledError):
            return "cancelled"
        if isinstance(r, BaseException):
            return "failed " + str(r)
        return "ok " + r
    return "[" + ", ".join(one(r) for r in results) + "]"

async def outcome(prefix, aw):
    # Await `aw` and say what it gave; a cancellation of this task itself
    # (or the drop of this coroutine) goes on.
    try:
        v = await aw
    except asyncio.CancelledError as e:
        if isinstance(e, Dropped) or asyncio.current_task().cancelling():
            raise
        say(prefix + " cancelled")
    except TimeoutError:
        say(prefix + " timed out")
    except Exception as e:
        say(prefix + " failed " + str(e))
    else:
        say(prefix + " ok " + fmt(v))

class Ticker:
    # rondo's ticker(n, delay): yields 0..n-1, sleeping `delay` after each.
    # A class, not an async generator: a suspended async generator that is
    # collected makes the loop schedule its aclose(), an extra task.
    def __init__(self, n, ms):
        self.n, self.ms, self.i = n, ms, 0
    def __aiter__(self):
        return self
    async def __anext__(self):
        if self.i > 0:
            await asyncio.sleep(self.ms)
        if self.i == self.n:
            raise StopAsyncIteration
        self.i += 1
        return self.i - 1

SUSPENDED = {}  # task -> the SyncFuture it is suspended on
STEPS = {}  # task -> how many times a wake resumed it in an inline combinator
WAKE_QUEUED = {}  # task -> the stamp of its last queued wake
YIELDED = object()

def wake_pending(task):
    # A wake of the task is queued and not stale: rondo has its step queued.
    return WAKE_QUEUED.get(task) == STEPS.get(task, 0)

class SyncFuture(asyncio.futures._PyFuture):
    # What a task running inline combinators suspends on. A wake runs the
    # task's step at once, in the handle that woke it: that handle stands
    # for rondo's queued step. Cancelling it (task.cancel()) schedules the
    # step as for any future — unless a wake is already queued: then, as
    # asyncio's task whose wakeup is queued gets its CancelledError at that
    # wakeup (`_must_cancel`), the queued wake delivers it.
    def __init__(self, task, loop):
        super().__init__(loop=loop)
        self.task = task

    def cancel(self, msg=None):
        if not wake_pending(self.task):
            return super().cancel(msg=msg)
        callbacks, self._callbacks = self._callbacks, []
        cancelled = super().cancel(msg=msg)
        self._callbacks = callbacks
        return cancelled

    def wake_now(self):
        callbacks, self._callbacks = self._callbacks, []
        if not self.done():
            self.set_result(None)
        for callback, context in callbacks:
            context.run(callback, self)

class Waker:
    # The wake of a task that runs inline combinators. The loop stamps it
    # when it is scheduled (InlineLoop.call_soon); it is stale if the task
    # has been resumed since: rondo drops a wake that finds the task already
    # scheduled, where asyncio would run every scheduled callback.
    def __init__(self, task):
        self.task = task
    def __call__(self, *_):
        raise AssertionError("a Waker runs through call_soon")
    def fire(self, stamp, *_):
        w = SUSPENDED.get(self.task)
        # `_callbacks`: the task's wakeup, not yet scheduled by the future.
        if STEPS.get(self.task, 0) == stamp and w is not None and w._callbacks:
            w.wake_now()

LOOP_TRACE = __import__("os").environ.get("COMBINATORS_TRACE") is not None

class InlineLoop(VirtualLoop):
    def call_soon(self, callback, *args, context=None):
        if LOOP_TRACE:
            print("~ queued %s" % (getattr(callback, "__qualname__", callback),))
        if isinstance(callback, Waker):
            stamp = STEPS.get(callback.task, 0)
            WAKE_QUEUED[callback.task] = stamp
            return super().call_soon(callback.fire, stamp, *args, context=context)
        return super().call_soon(callback, *args, context=context)

    def _run_once(self):
        if LOOP_TRACE:
            print("~ iteration %d at %d" % (ITERATIONS[0] + 1, CLOCK[0]))
        super()._run_once()

class Inline:
    # rondo's join/join3/join_all (first=False) and select/race (first=True):
    # the children are coroutines polled in order inside the awaiting task.
    # A child is advanced when the future it waits on is done (or it yielded
    # bare, or it is itself an inline combinator: rondo re-polls those);
    # the task wakes on the first of those futures; a loser, or every child
    # when the task is cancelled, is dropped by throwing Dropped into it.
    def __init__(self, kids, first):
        self.kids, self.first = kids, first

    def __await__(self):
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        kids, n = self.kids, len(self.kids)
        waits = [None] * n  # None: not started; YIELDED; or the future it waits on
        outs, done = [None] * n, [False] * n
        waker = Waker(task)
        try:
            while True:
                for i in range(n):
                    f = waits[i]
                    if done[i] or (f is not None and f is not YIELDED and not isinstance(f, SyncFuture) and not f.done()):
                        continue
                    try:
                        f = kids[i].send(None)
                    except StopIteration as stop:
                        done[i], outs[i], waits[i] = True, stop.value, None
                        if self.first:
                            self.drop(waits, done, waker)
                            return (i, stop.value)
                        continue
                    waits[i] = YIELDED if f is None else f
                if all(done):
                    return outs
                if YIELDED in waits:
                    # A child woke the task during its step (rondo requeues
                    # it when the step ends): a bare yield, so that the task
                    # is *scheduled*, as asyncio's is after `sleep(0)` — a
                    # cancellation then ends it at that very step.
                    try:
                        yield None
                    finally:
                        STEPS[task] = STEPS.get(task, 0) + 1  # resumed, or cancelled: a step
                    continue
                w = SyncFuture(task, loop)
                w._asyncio_future_blocking = True
                for f in waits:
                    if f is not None and f is not YIELDED and not isinstance(f, SyncFuture):
                        f.add_done_callback(waker)
                SUSPENDED[task] = w
                try:
                    yield w
                finally:
                    STEPS[task] = STEPS.get(task, 0) + 1  # wakes scheduled before now are stale
                for f in waits:
                    if f is not None and f is not YIELDED and not isinstance(f, SyncFuture):
                        f.remove_done_callback(waker)
        except BaseException:
            self.drop(waits, done, waker)
            raise

    def drop(self, waits, done, waker):
        for i, kid in enumerate(self.kids):
            f = waits[i]
            if done[i]:
                continue
            if f is None:
                kid.close()  # never started: nothing runs
                continue
            if f is not YIELDED and not isinstance(f, SyncFuture):
                f.remove_done_callback(waker)
            try:
                kid.throw(Dropped())
            except Dropped:
                pass
            done[i] = True

"##;

/// The Python source of a batch of programs: each is run by `run`.
fn python_script(programs: &[Vec<Act>]) -> String {
    let mut py = format!("{}{PYTHON_PRELUDE}", common::cpython::VIRTUAL_LOOP_PY);
    let mut mains = vec![];
    for (p, main) in programs.iter().enumerate() {
        let mut next = 0;
        mains.push(python_fn(p, "main", main, &mut next, &mut py));
    }
    writeln!(py, "for main in [{}]:\n    run(main)", mains.join(", ")).unwrap();
    py
}

/// Emits `async def` for a body (the bodies it makes first) and returns its name.
fn python_fn(p: usize, me: &str, acts: &[Act], next: &mut usize, py: &mut String) -> String {
    let f = format!("p{p}_f{next}");
    *next += 1;
    let mut body = String::from("    ch = []\n    gone = set()\n");
    python_body(p, me, acts, 4, next, py, &mut body, &mut vec![]);
    writeln!(py, "async def {f}():\n{body}    return {me:?}\n").unwrap();
    f
}

/// Emits the statements for `acts` at this indent; `names` are the names of
/// the children spawned so far. `OnCancel` wraps the rest of the acts in
/// `try: ... except CancelledError:`, one level deeper.
#[allow(clippy::too_many_arguments)]
fn python_body(
    p: usize,
    me: &str,
    acts: &[Act],
    indent: usize,
    next: &mut usize,
    py: &mut String,
    body: &mut String,
    names: &mut Vec<String>,
) {
    let pad = " ".repeat(indent);
    for (i, act) in acts.iter().enumerate() {
        let mut fun = |me: &str, acts: &[Act]| python_fn(p, me, acts, next, py);
        match act {
            Act::Say(text) => writeln!(body, "{pad}say({text:?})").unwrap(),
            Act::Sleep(ms) => writeln!(body, "{pad}await asyncio.sleep({ms})").unwrap(),
            Act::Yield | Act::YieldFn => writeln!(body, "{pad}await asyncio.sleep(0)").unwrap(),
            Act::Tick(n, ms) => {
                writeln!(body, "{pad}async for i in Ticker({n}, {ms}):\n{pad}    say(f\"{me} tick {{i}}\")")
                    .unwrap()
            }
            Act::Spawn(name, acts) => {
                let g = fun(name, acts);
                names.push(name.clone());
                writeln!(body, "{pad}ch.append(asyncio.create_task({g}(), name={name:?}))").unwrap();
            }
            Act::Await(n) => {
                writeln!(body, "{pad}await outcome(\"{me} got {}\", ch[{n}])", names[*n]).unwrap()
            }
            Act::AwaitIfLeft(n) => writeln!(
                body,
                "{pad}if {n} not in gone:\n{pad}    await outcome(\"{me} got {}\", ch[{n}])",
                names[*n]
            )
            .unwrap(),
            Act::Cancel(n) => writeln!(body, "{pad}ch[{n}].cancel()").unwrap(),
            Act::Fail => writeln!(body, "{pad}raise Exception(\"{me} failed\")").unwrap(),
            Act::Gather(kids, settled) => {
                let fs: Vec<String> = kids.iter().map(|(n, acts)| format!("{}()", fun(n, acts))).collect();
                if *settled {
                    writeln!(
                        body,
                        "{pad}say(\"{me} gather_settled \" + fmt_settled(await asyncio.gather(*[{}], return_exceptions=True)))",
                        fs.join(", ")
                    )
                    .unwrap()
                } else {
                    writeln!(
                        body,
                        "{pad}await outcome(\"{me} gather\", asyncio.gather(*[{}]))",
                        fs.join(", ")
                    )
                    .unwrap()
                }
            }
            Act::GatherTasks(ns) => {
                let ts: Vec<String> = ns.iter().map(|n| format!("ch[{n}]")).collect();
                writeln!(body, "{pad}await outcome(\"{me} gather_tasks\", asyncio.gather({}))", ts.join(", "))
                    .unwrap()
            }
            Act::Wait(ns, when, limit) => {
                let ts: Vec<String> = ns.iter().map(|n| format!("ch[{n}]")).collect();
                let when = match when {
                    When::First => "FIRST_COMPLETED",
                    When::FirstFailure => "FIRST_EXCEPTION",
                    When::All => "ALL_COMPLETED",
                };
                let limit = limit.map_or("None".to_string(), |ms| ms.to_string());
                write!(
                    body,
                    "{pad}ws = [{}]\n\
                     {pad}done, pending = await asyncio.wait(ws, return_when=asyncio.{when}, timeout={limit})\n\
                     {pad}say(\"{me} wait done [\" + \", \".join(t.get_name() for t in ws if t in done) + \"] pending [\" + \", \".join(t.get_name() for t in ws if t in pending) + \"]\")\n\
                     {pad}for t in ws:\n\
                     {pad}    if t in done:\n\
                     {pad}        gone.add(ch.index(t))\n\
                     {pad}        await outcome(\"{me} got \" + t.get_name(), t)\n",
                    ts.join(", ")
                )
                .unwrap()
            }
            Act::WaitForTask(n, ms) => {
                writeln!(body, "{pad}await outcome(\"{me} wait_for {}\", wait_for(ch[{n}], {ms}))", names[*n])
                    .unwrap()
            }
            Act::Shield(n) => {
                writeln!(body, "{pad}await outcome(\"{me} shield {}\", asyncio.shield(ch[{n}]))", names[*n])
                    .unwrap()
            }
            Act::AsCompleted(kids) => {
                let ts: Vec<String> = kids
                    .iter()
                    .map(|(n, acts)| format!("asyncio.create_task({}(), name={n:?})", fun(n, acts)))
                    .collect();
                write!(
                    body,
                    "{pad}ts = [{}]\n{pad}for f in asyncio.as_completed(ts):\n{pad}    await outcome(\"{me} next\", f)\n",
                    ts.join(", ")
                )
                .unwrap()
            }
            Act::Inline(combo, kids) => {
                let ks: Vec<String> = kids
                    .iter()
                    .map(|k| match k {
                        Kid::Body(n, acts) => format!("{}()", fun(n, acts)),
                        Kid::Ready(n) => format!("ready({n:?})"),
                        Kid::Lazy(n) => format!("lazy({n:?})"),
                    })
                    .collect();
                let first = matches!(combo, Combo::Select | Combo::Race);
                let r =
                    format!("await Inline([{}], {})", ks.join(", "), if first { "True" } else { "False" });
                if first {
                    writeln!(body, "{pad}i, v = {r}\n{pad}say(f\"{me} raced {{i}} {{v}}\")").unwrap()
                } else {
                    writeln!(body, "{pad}say(\"{me} joined \" + fmt({r}))").unwrap()
                }
            }
            Act::Limit(as_timeout, ms, name, acts) => {
                let g = fun(name, acts);
                let call = if *as_timeout {
                    format!("{pad}    async with asyncio.timeout({ms}):\n{pad}        v = await {g}()\n")
                } else {
                    format!("{pad}    v = await wait_for({g}(), {ms})\n")
                };
                write!(
                    body,
                    "{pad}try:\n{call}{pad}except TimeoutError:\n{pad}    say(\"{me} wait_for timed out\")\n\
                     {pad}else:\n{pad}    say(\"{me} wait_for ok \" + v)\n"
                )
                .unwrap()
            }
            Act::NewPromise(k) => {
                writeln!(body, "{pad}P[{k}] = asyncio.get_running_loop().create_future()").unwrap()
            }
            Act::SetPromise(k, true) => writeln!(body, "{pad}P[{k}].set_result(\"P{k}\")").unwrap(),
            Act::SetPromise(k, false) => {
                writeln!(body, "{pad}P[{k}].set_exception(Exception(\"P{k} failed\"))").unwrap()
            }
            Act::AwaitPromise(k) => writeln!(body, "{pad}await outcome(\"{me} got P{k}\", P[{k}])").unwrap(),
            Act::LockHold(ms) | Act::SemaphoreHold(ms) => {
                let (prim, held, leaves) = match act {
                    Act::LockHold(_) => ("L", "locked", "unlocks"),
                    _ => ("SEM", "acquired", "releases"),
                };
                write!(
                    body,
                    "{pad}async with PR[{prim:?}]:\n{pad}    say(\"{me} {held}\")\n\
                     {pad}    await asyncio.sleep({ms})\n{pad}    say(\"{me} {leaves}\")\n"
                )
                .unwrap()
            }
            Act::QueuePut(k, ms) => write!(
                body,
                "{pad}try:\n{pad}    await wait_for(PR[\"Q\"].put(\"{me}.{k}\"), {ms})\n\
                 {pad}except TimeoutError:\n{pad}    say(\"{me} put timed out\")\n\
                 {pad}else:\n{pad}    say(\"{me} put {me}.{k}\")\n"
            )
            .unwrap(),
            Act::QueueGet(ms) => write!(
                body,
                "{pad}try:\n{pad}    v = await wait_for(PR[\"Q\"].get(), {ms})\n\
                 {pad}except TimeoutError:\n{pad}    say(\"{me} get timed out\")\n\
                 {pad}else:\n{pad}    say(\"{me} got item \" + v)\n"
            )
            .unwrap(),
            Act::EventWait(ms) => write!(
                body,
                "{pad}try:\n{pad}    await wait_for(PR[\"E\"].wait(), {ms})\n\
                 {pad}except TimeoutError:\n{pad}    say(\"{me} event timed out\")\n\
                 {pad}else:\n{pad}    say(\"{me} saw the event\")\n"
            )
            .unwrap(),
            Act::EventSet => writeln!(body, "{pad}PR[\"E\"].set()").unwrap(),
            Act::EventClear => writeln!(body, "{pad}PR[\"E\"].clear()").unwrap(),
            Act::OnCancel(text) => {
                writeln!(body, "{pad}try:\n{pad}    pass").unwrap();
                python_body(p, me, &acts[i + 1..], indent + 4, next, py, body, names);
                write!(body, "{pad}except asyncio.CancelledError:\n{pad}    say({text:?})\n{pad}    raise\n")
                    .unwrap();
                return;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Generating programs
// ---------------------------------------------------------------------------

/// At most this many bodies (tasks and inline coroutines) per program.
const MAX_BODIES: usize = 24;

/// Promises per program, made by main as it starts, each set (or failed)
/// by a task of its own.
const PROMISES: usize = 2;

/// A generated op before names and targets are fixed.
#[derive(Clone, Debug)]
enum Gen {
    Say,
    Sleep(u64),
    Yield,
    YieldFn,
    Tick(u64, u64),
    /// A child task; `true`: it ends by failing.
    Spawn(Vec<Gen>, bool),
    /// Ops on a child held by the task (picked modulo their number).
    Await(usize),
    Cancel(usize, Vec<Act>),
    WaitForTask(usize, u64),
    Shield(usize),
    /// Several held children (how many, from where) given to `gather_tasks`
    /// or `wait`.
    Take(Taker, usize, usize),
    Gather(Vec<(Vec<Gen>, bool)>, bool),
    AsCompleted(Vec<(Vec<Gen>, bool)>),
    Inline(Combo, Vec<(u8, Vec<Gen>)>),
    Limit(bool, u64, Vec<Gen>),
    AwaitPromise(usize),
    /// Stage 7's primitives (module docs).
    Primitive(u8, u64),
}

#[derive(Clone, Copy, Debug)]
enum Taker {
    GatherTasks,
    Wait(When, Option<u64>),
}

/// Sleeps: zeros, round values (ties), anything.
fn sleep_ms() -> impl Strategy<Value = u64> {
    prop_oneof![1 => Just(0u64), 3 => prop::sample::select(vec![250u64, 500, 1000]), 2 => 1..=1500u64]
}

/// Limits (`wait_for`, `timeout`, `wait_timeout`): often tying with sleeps.
fn limit_ms() -> impl Strategy<Value = u64> {
    prop_oneof![2 => prop::sample::select(vec![250u64, 500, 1000, 1500]), 2 => 1..=2000u64]
}

fn when() -> impl Strategy<Value = When> {
    prop_oneof![Just(When::First), Just(When::FirstFailure), Just(When::All)]
}

fn combo() -> impl Strategy<Value = Combo> {
    prop_oneof![
        Just(Combo::Join),
        Just(Combo::Join3),
        Just(Combo::JoinAll),
        Just(Combo::Select),
        Just(Combo::Race)
    ]
}

fn cancel_delay() -> impl Strategy<Value = Vec<Act>> {
    prop_oneof![
        1 => Just(vec![]),
        2 => (1..=2usize).prop_map(|n| vec![Act::Yield; n]),
        2 => sleep_ms().prop_map(|ms| vec![Act::Sleep(ms)]),
    ]
}

fn gen_ops(levels: u32, max_len: usize) -> BoxedStrategy<Vec<Gen>> {
    let leaf = prop_oneof![
        2 => Just(Gen::Say),
        4 => sleep_ms().prop_map(Gen::Sleep),
        2 => Just(Gen::Yield),
        1 => Just(Gen::YieldFn),
        1 => (1..=3u64, sleep_ms()).prop_map(|(n, ms)| Gen::Tick(n, ms)),
        3 => (0..8usize).prop_map(Gen::Await),
        2 => (0..8usize, cancel_delay()).prop_map(|(k, d)| Gen::Cancel(k, d)),
        1 => (0..8usize, limit_ms()).prop_map(|(k, ms)| Gen::WaitForTask(k, ms)),
        1 => (0..8usize).prop_map(Gen::Shield),
        1 => (1..=3usize, 0..8usize).prop_map(|(n, k)| Gen::Take(Taker::GatherTasks, n, k)),
        2 => (1..=3usize, 0..8usize, when(), prop::option::of(limit_ms()))
            .prop_map(|(n, k, w, l)| Gen::Take(Taker::Wait(w, l), n, k)),
        1 => (0..PROMISES).prop_map(Gen::AwaitPromise),
        4 => (0..7u8, limit_ms()).prop_map(|(k, ms)| Gen::Primitive(k, ms)),
    ];
    if levels == 0 {
        return prop::collection::vec(leaf, 0..max_len).boxed();
    }
    let sub = || gen_ops(levels - 1, 6);
    let failing = || prop::bool::weighted(0.3);
    let op = prop_oneof![
        12 => leaf,
        5 => (gen_ops(levels - 1, 8), failing()).prop_map(|(g, f)| Gen::Spawn(g, f)),
        2 => (prop::collection::vec((sub(), failing()), 0..4), any::<bool>()).prop_map(|(k, s)| Gen::Gather(k, s)),
        1 => prop::collection::vec((sub(), failing()), 0..4).prop_map(Gen::AsCompleted),
        3 => (combo(), prop::collection::vec((0..8u8, sub()), 1..=3)).prop_map(|(c, k)| Gen::Inline(c, k)),
        2 => (any::<bool>(), limit_ms(), sub()).prop_map(|(t, ms, g)| Gen::Limit(t, ms, g)),
    ];
    prop::collection::vec(op, 0..max_len).boxed()
}

/// Main's ops, and for each promise: how long its setter sleeps, and whether
/// it sets a value (or fails it).
fn gen_main() -> impl Strategy<Value = (Vec<Gen>, Vec<(u64, bool)>)> {
    (gen_ops(3, 14), prop::collection::vec((sleep_ms(), prop::bool::weighted(0.6)), PROMISES))
}

/// Where a body runs, which decides what it may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Main,
    /// A task's body.
    Task,
    /// The body given to `wait_for`/`timeout`: dropped when the limit expires.
    Limited,
    /// A child of an inline combinator: sleeps, yields, ticks and inline
    /// combinators only (no tasks, no `wait_for` — see the module docs).
    Kid,
    /// A child of `select`/`race` (or inside one): a `Kid` that never
    /// yields (module docs: a loser's yield is a spurious wake in rondo).
    RaceKid,
}

struct Builder {
    bodies: usize,
}

impl Builder {
    fn name(&mut self, prefix: &str) -> String {
        self.bodies += 1;
        format!("{prefix}{}", self.bodies)
    }

    fn full(&self) -> bool {
        self.bodies >= MAX_BODIES
    }

    /// The acts of one body: "<name> start" first; "<name> cancelled" if it
    /// is dropped unfinished; every child it still holds awaited at the end;
    /// then "<name> end", or the failure.
    fn body(&mut self, name: &str, gens: &[Gen], ctx: Ctx, fails: bool, promises_ok: bool) -> Vec<Act> {
        let mut acts = vec![Act::Say(format!("{name} start"))];
        if ctx != Ctx::Main {
            acts.push(Act::OnCancel(format!("{name} cancelled")));
        }
        // A child task whose spawner can be cancelled (or dropped) may be
        // left behind, awaited by nobody: only main's children may fail.
        // A `gather_settled`'s children may fail anywhere: it observes every
        // child's failure and cancels them when it is cancelled itself. A
        // first-error `gather`'s, only in main: if its awaiter is cancelled
        // between a child's failure and the gather's callback, asyncio's
        // gather ends with the failure and the awaiter never sees its
        // cancellation; a rondo cancellation always ends the task (chapter 6).
        let children_may_fail = ctx == Ctx::Main;
        let mut held: Vec<usize> = vec![];
        let mut waited: Vec<usize> = vec![];
        let mut spawned = if ctx == Ctx::Main { PROMISES } else { 0 };
        let mut says = 0;
        let mut puts = 0;
        for g in gens {
            let tasks_ok = !matches!(ctx, Ctx::Kid | Ctx::RaceKid);
            let yields_ok = ctx != Ctx::RaceKid;
            match g {
                Gen::Say => {
                    says += 1;
                    acts.push(Act::Say(format!("{name} say {says}")));
                }
                Gen::Sleep(ms) => acts.push(Act::Sleep(if yields_ok { *ms } else { (*ms).max(1) })),
                Gen::Yield if yields_ok => acts.push(Act::Yield),
                Gen::YieldFn if yields_ok => acts.push(Act::YieldFn),
                Gen::Tick(n, ms) => acts.push(Act::Tick(*n, if yields_ok { *ms } else { (*ms).max(1) })),
                Gen::Spawn(child, f) if tasks_ok && !self.full() => {
                    let child_name = self.name("T");
                    let child_acts =
                        self.body(&child_name, child, Ctx::Task, *f && children_may_fail, ctx == Ctx::Main);
                    acts.push(Act::Spawn(child_name, child_acts));
                    held.push(spawned);
                    spawned += 1;
                }
                Gen::Await(k) if tasks_ok && !held.is_empty() => {
                    let n = held.remove(k % held.len());
                    acts.push(Act::Await(n));
                }
                Gen::Cancel(k, delay) if tasks_ok && !held.is_empty() => {
                    acts.extend(delay.iter().cloned());
                    acts.push(Act::Cancel(held[k % held.len()]));
                }
                Gen::WaitForTask(k, ms) if tasks_ok && !held.is_empty() => {
                    let n = held.remove(k % held.len());
                    acts.push(Act::WaitForTask(n, *ms));
                }
                Gen::Shield(k) if tasks_ok && !held.is_empty() => {
                    let n = held.remove(k % held.len());
                    acts.push(Act::Shield(n));
                }
                Gen::Take(taker, count, k) if tasks_ok && !held.is_empty() => {
                    let start = k % held.len();
                    let end = (start + count).min(held.len());
                    let ns: Vec<usize> = held.drain(start..end).collect();
                    match taker {
                        Taker::GatherTasks => acts.push(Act::GatherTasks(ns)),
                        Taker::Wait(when, limit) => {
                            waited.extend(&ns);
                            acts.push(Act::Wait(ns, *when, *limit));
                        }
                    }
                }
                Gen::Gather(kids, settled) if tasks_ok => {
                    let kids = self.tasks(kids, *settled || children_may_fail);
                    acts.push(Act::Gather(kids, *settled));
                }
                Gen::AsCompleted(kids) if tasks_ok => {
                    let kids = self.tasks(kids, children_may_fail);
                    acts.push(Act::AsCompleted(kids));
                }
                Gen::Inline(combo, kids) => {
                    let wanted = match combo {
                        Combo::Join | Combo::Select => 2,
                        Combo::Join3 => 3,
                        Combo::JoinAll | Combo::Race => kids.len(),
                    };
                    let mut made = vec![];
                    for i in 0..wanted {
                        let (kind, gens) = kids.get(i).cloned().unwrap_or((1, vec![]));
                        let kid_name = self.name("I");
                        made.push(match kind {
                            0 => Kid::Ready(kid_name),
                            1 => Kid::Lazy(kid_name),
                            _ => {
                                let kid_ctx =
                                    if ctx == Ctx::RaceKid || matches!(combo, Combo::Select | Combo::Race) {
                                        Ctx::RaceKid
                                    } else {
                                        Ctx::Kid
                                    };
                                Kid::Body(
                                    kid_name.clone(),
                                    self.body(&kid_name, &gens, kid_ctx, false, false),
                                )
                            }
                        });
                    }
                    acts.push(Act::Inline(*combo, made));
                }
                Gen::Limit(as_timeout, ms, gens) if tasks_ok && !self.full() => {
                    let body_name = self.name("I");
                    let body = self.body(&body_name, gens, Ctx::Limited, false, false);
                    acts.push(Act::Limit(*as_timeout, *ms, body_name, body));
                }
                Gen::AwaitPromise(k) if promises_ok => acts.push(Act::AwaitPromise(*k)),
                Gen::Primitive(kind, ms) if tasks_ok => {
                    puts += 1;
                    acts.push(match kind {
                        0 => Act::LockHold(*ms % 700),
                        1 => Act::SemaphoreHold(*ms % 700),
                        2 => Act::QueuePut(puts, *ms),
                        3 => Act::QueueGet(*ms),
                        4 => Act::EventWait(*ms),
                        5 => Act::EventSet,
                        _ => Act::EventClear,
                    });
                }
                _ => {}
            }
        }
        acts.extend(held.into_iter().map(Act::Await));
        acts.extend(waited.into_iter().map(Act::AwaitIfLeft));
        acts.push(if fails { Act::Fail } else { Act::Say(format!("{name} end")) });
        acts
    }

    fn tasks(&mut self, kids: &[(Vec<Gen>, bool)], may_fail: bool) -> Vec<(String, Vec<Act>)> {
        let mut made = vec![];
        for (gens, fails) in kids {
            if self.full() {
                break;
            }
            let name = self.name("T");
            let acts = self.body(&name, gens, Ctx::Task, *fails && may_fail, false);
            made.push((name, acts));
        }
        made
    }
}

/// Builds a program: main makes the promises and their setter tasks first,
/// runs its ops, and at its end awaits the setters and every promise (so that
/// a failed promise is always observed).
fn build((main, setters): &(Vec<Gen>, Vec<(u64, bool)>)) -> Vec<Act> {
    let mut b = Builder { bodies: 0 };
    let mut acts = b.body("main", main, Ctx::Main, false, true);
    // Only a task nobody can cancel may await a promise (module docs): strip
    // the promise waits of main's children that main does anything but await.
    let mut risky = vec![];
    for act in &acts {
        match act {
            Act::Cancel(n) | Act::WaitForTask(n, _) | Act::Shield(n) => risky.push(*n),
            Act::GatherTasks(ns) | Act::Wait(ns, ..) => risky.extend(ns),
            _ => {}
        }
    }
    let mut n = PROMISES;
    for act in &mut acts {
        if let Act::Spawn(_, child) = act {
            if risky.contains(&n) {
                child.retain(|a| !matches!(a, Act::AwaitPromise(_)));
            }
            n += 1;
        }
    }
    let mut prologue = vec![];
    for (k, &(ms, ok)) in setters.iter().enumerate() {
        prologue.push(Act::NewPromise(k));
        let name = format!("S{k}");
        let set = vec![
            Act::Say(format!("{name} start")),
            Act::Sleep(ms),
            Act::SetPromise(k, ok),
            Act::Say(format!("{name} end")),
        ];
        prologue.push(Act::Spawn(name, set));
    }
    acts.splice(1..1, prologue);
    let end = acts.pop().expect("main end");
    acts.extend((0..PROMISES).map(Act::Await));
    acts.extend((0..PROMISES).map(Act::AwaitPromise));
    acts.push(end);
    acts
}

/// A compact form of a program, for failure messages.
fn render(acts: &[Act]) -> String {
    let mut s = String::from("[");
    for (i, act) in acts.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let bodies = |kids: &[(String, Vec<Act>)]| {
            kids.iter().map(|(n, a)| format!("{n} {}", render(a))).collect::<Vec<_>>().join(", ")
        };
        match act {
            Act::Say(text) => write!(s, "say {text:?}").unwrap(),
            Act::Spawn(name, child) => write!(s, "spawn {name} {}", render(child)).unwrap(),
            Act::Gather(kids, settled) => write!(s, "gather(settled={settled}: {})", bodies(kids)).unwrap(),
            Act::AsCompleted(kids) => write!(s, "as_completed({})", bodies(kids)).unwrap(),
            Act::Inline(combo, kids) => {
                let kids: Vec<String> = kids
                    .iter()
                    .map(|k| match k {
                        Kid::Body(n, a) => format!("{n} {}", render(a)),
                        Kid::Ready(n) => format!("ready {n}"),
                        Kid::Lazy(n) => format!("lazy {n}"),
                    })
                    .collect();
                write!(s, "{combo:?}({})", kids.join(", ")).unwrap()
            }
            Act::Limit(t, ms, name, body) => {
                write!(s, "{}({ms}, {name} {})", if *t { "timeout" } else { "wait_for" }, render(body))
                    .unwrap()
            }
            Act::OnCancel(_) => s.push_str("on-cancel"),
            other => write!(s, "{other:?}").unwrap(),
        }
    }
    s.push(']');
    s
}

/// Every body of a program, for counting what the batch covers.
fn visit(acts: &[Act], f: &mut impl FnMut(&Act)) {
    for act in acts {
        f(act);
        match act {
            Act::Spawn(_, a) | Act::Limit(_, _, _, a) => visit(a, f),
            Act::Gather(kids, _) | Act::AsCompleted(kids) => kids.iter().for_each(|(_, a)| visit(a, f)),
            Act::Inline(_, kids) => kids.iter().for_each(|k| {
                if let Kid::Body(_, a) = k {
                    visit(a, f)
                }
            }),
            _ => {}
        }
    }
}

/// What a batch covers: each construct by name, and each outcome seen in the traces.
fn coverage(programs: &[Vec<Act>], runs: &[Run]) -> Vec<(&'static str, usize)> {
    let mut c: HashMap<&'static str, usize> = HashMap::new();
    for p in programs {
        visit(p, &mut |act| {
            let key = match act {
                Act::Tick(..) => "ticker",
                Act::YieldFn => "poll_fn",
                Act::Fail => "failing task",
                Act::Cancel(_) => "cancel",
                Act::Gather(_, false) => "gather",
                Act::Gather(_, true) => "gather_settled",
                Act::GatherTasks(_) => "gather_tasks",
                Act::Wait(_, When::First, None) => "wait FIRST_COMPLETED",
                Act::Wait(_, When::FirstFailure, None) => "wait FIRST_EXCEPTION",
                Act::Wait(_, When::All, None) => "wait ALL_COMPLETED",
                Act::Wait(_, _, Some(_)) => "wait_timeout",
                Act::WaitForTask(..) => "wait_for of a task",
                Act::Shield(_) => "shield",
                Act::AsCompleted(_) => "as_completed",
                Act::Inline(Combo::Join, _) => "join",
                Act::Inline(Combo::Join3, _) => "join3",
                Act::Inline(Combo::JoinAll, _) => "join_all",
                Act::Inline(Combo::Select, _) => "select",
                Act::Inline(Combo::Race, _) => "race",
                Act::Limit(false, ..) => "wait_for",
                Act::Limit(true, ..) => "timeout",
                Act::SetPromise(_, false) => "set_error",
                Act::AwaitPromise(_) => "await a promise",
                Act::LockHold(_) => "Lock",
                Act::SemaphoreHold(_) => "Semaphore",
                Act::QueuePut(..) => "Queue.put",
                Act::QueueGet(_) => "Queue.get",
                Act::EventWait(_) => "Event.wait",
                Act::EventSet => "Event.set",
                Act::EventClear => "Event.clear",
                _ => return,
            };
            *c.entry(key).or_default() += 1;
        });
        visit(p, &mut |act| {
            if let Act::Inline(_, kids) = act {
                for k in kids {
                    *c.entry(match k {
                        Kid::Body(..) => "inline body",
                        Kid::Ready(_) => "ready",
                        Kid::Lazy(_) => "lazy",
                    })
                    .or_default() += 1;
                }
            }
        });
    }
    type Seen = fn(&str) -> bool;
    let seen: [(&'static str, Seen); 13] = [
        ("seen: a queue item handed over", |t| t.contains(" got item ")),
        ("seen: a queue wait timed out", |t| t.ends_with("put timed out") || t.ends_with("get timed out")),
        ("seen: an event wait woken", |t| t.ends_with("saw the event")),
        ("seen: an event wait timed out", |t| t.ends_with("event timed out")),
        ("seen: a wait_for/timeout body timed out", |t| t.ends_with("wait_for timed out")),
        ("seen: a wait_for/timeout body finished", |t| t.contains("wait_for ok")),
        ("seen: a wait_for of a task timed out", |t| t.contains("wait_for T") && t.ends_with("timed out")),
        ("seen: a task's failure", |t| t.contains(" failed T")),
        ("seen: a promise's failure", |t| t.contains(" failed P")),
        ("seen: a cancelled task's clean-up", |t| t.starts_with('T') && t.ends_with(" cancelled")),
        ("seen: a dropped inline body's clean-up", |t| t.starts_with('I') && t.ends_with(" cancelled")),
        ("seen: an awaiter saw a cancellation", |t| t.contains(" got T") && t.ends_with(" cancelled")),
        ("seen: a gather failed", |t| t.contains(" gather failed") || t.contains(" gather cancelled")),
    ];
    for (key, pred) in seen {
        let n = runs
            .iter()
            .flat_map(|r| &r.trace)
            .filter(|l| pred(common::cpython::text(common::cpython::text(l))))
            .count();
        c.insert(key, n);
    }
    let mut all: Vec<(&'static str, usize)> = c.into_iter().collect();
    all.sort();
    all
}

// ---------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------

/// Both traces whole, side by side, the lines that differ marked.
fn side_by_side(rondo: &Run, python: &Run) -> String {
    let mut s = String::new();
    for k in 0..rondo.trace.len().max(python.trace.len()) {
        let get = |t: &[String]| t.get(k).cloned().unwrap_or_default();
        let mark = if get(&rondo.trace) == get(&python.trace) { "  " } else { ">>" };
        writeln!(s, "{mark} {:<45} | {}", get(&rondo.trace), get(&python.trace)).unwrap();
    }
    s
}

/// Where two runs part, for the failure message.
fn first_difference(rondo: &Run, python: &Run) -> String {
    let at = rondo.trace.iter().zip(&python.trace).position(|(a, b)| a != b);
    let at = at.unwrap_or(rondo.trace.len().min(python.trace.len()));
    let mut s = String::new();
    for i in at.saturating_sub(3)..(at + 4).min(rondo.trace.len().max(python.trace.len())) {
        let get = |t: &[String]| t.get(i).cloned().unwrap_or_default();
        let mark = if i == at { ">>" } else { "  " };
        writeln!(s, "{mark} rondo {:<40} | CPython {}", get(&rondo.trace), get(&python.trace)).unwrap();
    }
    writeln!(
        s,
        "end: rondo {} ms after {} iterations; CPython {} ms after {}",
        rondo.end_ms, rondo.iterations, python.end_ms, python.iterations
    )
    .unwrap();
    s
}

/// Runs programs on CPython: their runs, and the loop's events that
/// `COMBINATORS_TRACE=1` adds to the output (lines starting with `~`).
fn on_cpython(programs: &[Vec<Act>]) -> Option<(Vec<Run>, Vec<String>)> {
    let mut runs = run_script_on_cpython(&python_script(programs), programs.len())?;
    let mut events = vec![];
    for run in &mut runs {
        events.extend(run.trace.iter().filter(|l| l.starts_with('~')).cloned());
        run.trace.retain(|l| !l.starts_with('~'));
    }
    Some((runs, events))
}

/// Removes the `n`-th removable act of the tree (pre-order); `false` if
/// there are fewer. Spawns, promises and clean-up markers stay, so that
/// child numbers keep their meaning.
fn remove_nth(acts: &mut Vec<Act>, n: &mut usize) -> bool {
    let mut i = 0;
    while i < acts.len() {
        let removable = !matches!(
            acts[i],
            Act::Spawn(..) | Act::NewPromise(_) | Act::SetPromise(..) | Act::OnCancel(_) | Act::Say(_)
        );
        if removable {
            if *n == 0 {
                acts.remove(i);
                return true;
            }
            *n -= 1;
        }
        let found = match &mut acts[i] {
            Act::Spawn(_, a) | Act::Limit(_, _, _, a) => remove_nth(a, n),
            Act::Gather(kids, _) | Act::AsCompleted(kids) => kids.iter_mut().any(|(_, a)| remove_nth(a, n)),
            Act::Inline(_, kids) => kids.iter_mut().any(|k| match k {
                Kid::Body(_, a) => remove_nth(a, n),
                _ => false,
            }),
            _ => false,
        };
        if found {
            return true;
        }
        i += 1;
    }
    false
}

/// Does this program still print something else on rondo than on CPython?
fn still_differs(program: &[Act]) -> bool {
    let program = program.to_vec();
    std::panic::catch_unwind(move || {
        let (python, _) = on_cpython(std::slice::from_ref(&program)).expect("python3");
        let (rondo, problems) = run_rondo(&program);
        rondo != python[0] || !problems.is_empty()
    })
    .unwrap_or(false)
}

/// A smaller program that still differs: acts removed one at a time while
/// the difference stays (`COMBINATORS_SHRINK=1`, for a failing program).
fn shrink(mut program: Vec<Act>) -> Vec<Act> {
    let mut n = 0;
    loop {
        let mut candidate = program.clone();
        if !remove_nth(&mut candidate, &mut n.clone()) {
            return program;
        }
        if still_differs(&candidate) {
            program = candidate; // the same n is now the next act
        } else {
            n += 1;
        }
    }
}

/// The generated programs of one batch: a fixed seed, the same every run.
fn programs(count: usize) -> Vec<Vec<Act>> {
    let mut runner = TestRunner::deterministic();
    (0..count).map(|_| build(&gen_main().new_tree(&mut runner).expect("a program").current())).collect()
}

/// Random programs using every combinator print the same lines, at the same
/// virtual times, after the same number of loop iterations on rondo and on
/// CPython asyncio.
#[test]
fn every_combinator_matches_cpython() {
    let scale: usize = std::env::var("RONDO_PROPTEST_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    // The programs' tasks fail on purpose: keep rondo's one line per task
    // panic, without the default hook's message and backtrace after it.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let planned = info.payload().downcast_ref::<String>().is_some_and(|m| m.ends_with(" failed"));
        if !planned {
            default_hook(info);
        }
    }));
    let mut programs = programs(300 * scale);
    // `COMBINATORS_ONLY=<n>,<m>,...` runs those programs alone.
    let only: Option<Vec<usize>> = std::env::var("COMBINATORS_ONLY")
        .ok()
        .map(|s| s.split(',').map(|n| n.trim().parse().expect("program numbers")).collect());
    if let Some(only) = &only {
        programs = only.iter().map(|&n| programs[n].clone()).collect();
    }
    // The Python side needs 3.11's `asyncio.timeout` and `Task.cancelling()`
    // (and defines 3.12's `wait_for` itself, which rondo follows).
    if let Some(why) = common::python3::python3_older_than(11)
        && common::python3::python3_version() != "unknown"
    {
        common::python3::cannot_compare("every_combinator_matches_cpython", &why);
        return;
    }
    // One python3 per 2,000 programs: a long run (`RONDO_PROPTEST_SCALE=100`)
    // would otherwise hand CPython a script of hundreds of megabytes.
    let mut runs = vec![];
    for batch in programs.chunks(2_000) {
        let Some((batch_runs, _)) = on_cpython(batch) else {
            common::python3::python3_missing("every_combinator_matches_cpython");
            return;
        };
        runs.extend(batch_runs);
    }
    let version = common::python3::python3_version();
    let mut failures = vec![];
    // `COMBINATORS_SHOW=<n>` prints program n's whole traces side by side.
    let show: Option<usize> = std::env::var("COMBINATORS_SHOW").ok().and_then(|s| s.parse().ok());
    for (i, (program, python)) in programs.iter().zip(&runs).enumerate() {
        let (rondo, problems) = run_rondo(program);
        if (rondo != *python || !problems.is_empty()) && std::env::var_os("COMBINATORS_SHRINK").is_some() {
            let small = shrink(program.clone());
            let (python, events) = on_cpython(std::slice::from_ref(&small)).expect("python3");
            events.iter().for_each(|line| println!("   CPython {line}"));
            let (rondo, problems) = run_rondo(&small);
            println!(
                "program {i}, shrunk: {}\n{}{problems:?}",
                render(&small),
                side_by_side(&rondo, &python[0])
            );
        }
        if show == Some(i) {
            println!("{}", side_by_side(&rondo, python));
        }
        if rondo != *python || !problems.is_empty() {
            failures.push(format!(
                "program {i} differs (rondo vs CPython {version}):\n{}{}program: {}\n",
                first_difference(&rondo, python),
                problems.iter().map(|p| format!("rondo: {p}\n")).collect::<String>(),
                render(program)
            ));
        }
    }
    let covered = coverage(&programs, &runs);
    println!("{} programs; covered: {covered:?}", programs.len());
    assert!(
        failures.is_empty(),
        "{} of {} programs differ:\n{}",
        failures.len(),
        programs.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    for (what, n) in covered.into_iter().filter(|_| only.is_none()) {
        assert!(n >= 2, "the batch has {what} only {n} times");
    }
}
