//! Property tests of gather, promises and cancellation against an independent model of asyncio.
//!
//! The stage-4 proptest (`stage4_scheduler_props.rs`) checks spawn, sleep,
//! yield and await. This file adds stage 5's `gather` and `Promise` and stage
//! 6's `Task::cancel`: random programs of `Script`s run on rondo's
//! `EventLoop::new_virtual()` and on `Model`, a simulator written here from
//! CPython 3.11's `asyncio` sources (it never calls rondo):
//!
//! - `gather(children)` makes each child a task, in order, and adds a
//!   done-callback to each. A child finishing in iteration N runs that
//!   callback (`call_soon`) in N+1; the last callback resolves the gather's
//!   future, whose own callback wakes the awaiting task: it runs in N+2.
//! - `set_result` on a promise schedules its awaiters' steps (`call_soon`) in
//!   the order they started waiting; awaiting a resolved promise does not pause.
//! - `cancel()` does not pause the caller. A sleeping target gets a step at
//!   the tail of the ready queue now (asyncio cancels the sleep's future,
//!   which schedules the task's wakeup); a target whose step is already queued
//!   (it yielded, was woken, or has not started) ends at that step; a target
//!   awaiting a task passes the cancellation down first, so the awaited task
//!   ends first and each awaiter ends one iteration after the task it awaited;
//!   a target awaiting a gather passes it to the gather's children, in order
//!   (`_GatheringFuture.cancel()`), and the first cancelled child's callback
//!   resolves the gather, which wakes the target to end.
//!   A cancelled task says its clean-up line if it had started (`except
//!   CancelledError: say(...); raise` — Python throws into a coroutine that
//!   has not started without running any of it); its awaiter sees
//!   `CancelledError` / `Err(Cancelled)`, says "P saw C cancelled" and goes on.
//!
//! Programs are restricted to what rondo and asyncio agree on by design: a
//! task that may be cancelled (a `Cancel` target, awaited by one, or a child
//! of a gather one awaits) never awaits a promise. There rondo differs on
//! purpose: it drops the wait at the task's next step, where asyncio first
//! cancels the awaited future, the promise (`docs/asyncio-map.md`). And
//! programs never deadlock:
//! a promise is set by a task that cannot be cancelled and does not wait for
//! anything before setting it (nor do its ancestors before spawning it), or
//! else by a setter task that main spawns as it starts.
//!
//! The properties: rondo's stamped trace, final time and iteration count equal
//! the model's; each task's lines follow its program; every task a finished
//! task awaited ended exactly once ("end", or its clean-up line, or it never
//! started and its awaiter saw it cancelled). The model reproduces traces
//! checked on CPython and, when `python3` is installed, agrees with real
//! CPython asyncio on a fixed batch of generated programs (virtual clock,
//! integer milliseconds, equal deadlines FIFO — the stage-4 prelude).

mod common;

use common::cpython::{Run, assert_all_match_cpython, run_on_cpython, stamp, text};

use common::{Op, Script, all_tasks, config, render, say, sleep_ms, spawn_op};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use rondo::{EventLoop, Transcript};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};

// ---------------------------------------------------------------------------
// Programs
// ---------------------------------------------------------------------------

/// At most this many tasks per program, main included.
const MAX_TASKS: usize = 30;

/// Promises per program, made by main as it starts.
const PROMISES: usize = 3;

/// A generated op before names, targets and restrictions are fixed.
#[derive(Clone, Debug)]
enum Gen {
    Say,
    Sleep(u64),
    Yield,
    Spawn(Vec<Gen>),
    /// Await one of the children spawned so far and not awaited yet (picked
    /// modulo their number); dropped if there is none.
    Await(usize),
    /// Cancel one of the children spawned so far and not awaited yet, after
    /// these ops (yields or a sleep, or none), so that the cancellation finds
    /// children at every stage.
    Cancel(usize, Vec<Op>),
    Gather(Vec<Vec<Gen>>),
    SetPromise(usize),
    AwaitPromise(usize),
}

/// What a task does before it cancels a child: nothing (the child has not
/// started, or is where it was when the parent took back the loop), 1–3
/// yields (the child is a step or two further), or a sleep (often a round
/// value, tying with the child's own sleeps).
fn cancel_delay() -> impl Strategy<Value = Vec<Op>> {
    prop_oneof![
        1 => Just(vec![]),
        2 => (1..=3usize).prop_map(|n| vec![Op::Yield; n]),
        1 => prop::sample::select(vec![250u64, 500, 1000]).prop_map(|ms| vec![Op::SleepMs(ms)]),
        1 => (1..=1000u64).prop_map(|ms| vec![Op::SleepMs(ms)]),
    ]
}

/// The ops of a task `levels` spawn levels above the deepest.
fn gen_ops(levels: u32, max_len: usize) -> BoxedStrategy<Vec<Gen>> {
    let leaf = prop_oneof![
        2 => Just(Gen::Say),
        3 => sleep_ms().prop_map(Gen::Sleep),
        2 => Just(Gen::Yield),
        3 => (0..8usize).prop_map(Gen::Await),
        3 => (0..8usize, cancel_delay()).prop_map(|(k, ms)| Gen::Cancel(k, ms)),
        2 => (0..PROMISES).prop_map(Gen::SetPromise),
        2 => (0..PROMISES).prop_map(Gen::AwaitPromise),
    ];
    let op = if levels == 0 {
        leaf.boxed()
    } else {
        prop_oneof![
            10 => leaf,
            6 => gen_ops(levels - 1, 8).prop_map(Gen::Spawn),
            2 => prop::collection::vec(gen_ops(levels - 1, 6), 0..4).prop_map(Gen::Gather),
        ]
        .boxed()
    };
    prop::collection::vec(op, 0..max_len).boxed()
}

/// Main's generated ops: a tree of depth at most 3 below main; and for each
/// promise, how long the task that sets it sleeps first, if no task of the
/// tree may set it.
fn gen_main() -> impl Strategy<Value = (Vec<Gen>, Vec<u64>)> {
    (gen_ops(3, 16), prop::collection::vec(sleep_ms(), PROMISES))
}

/// Turns generated ops into a program: every task says "<name> start" first
/// and "<name> end" last, and (main aside) "<name> cancelled" if it ends by
/// cancellation; its other lines are "<name> say <k>" and "<name> saw <child>
/// cancelled". With `await_all`, every task ends by awaiting the children it
/// has not awaited yet. Then the restrictions of the module docs are applied;
/// a promise no task of the tree may set gets a setter task of its own,
/// spawned by main as it starts, which sleeps `setter_ms[k]` and sets it.
fn build((main, setter_ms): &(Vec<Gen>, Vec<u64>), await_all: bool) -> Vec<Op> {
    let mut count = 1;
    let mut ops = build_task("main", main, await_all, &mut count);
    restrict_cancellable(&mut ops, false);
    let mut set = [false; PROMISES];
    keep_safe_setters(&mut ops, true, &mut set);
    let mut prologue: Vec<Op> = (0..PROMISES).map(Op::NewPromise).collect();
    for k in (0..PROMISES).filter(|&k| !set[k]) {
        let name = format!("T{count}");
        count += 1;
        let setter = vec![
            say(&format!("{name} start")),
            Op::SleepMs(setter_ms[k]),
            Op::SetPromise(k),
            say(&format!("{name} end")),
        ];
        prologue.push(spawn_op(&name, setter));
    }
    // Right after "main start": main's other children come after the setters.
    let setters = prologue.len() - PROMISES;
    for op in &mut ops {
        if let Op::Await(n) | Op::AwaitOrCancelled(n, _) | Op::Cancel(n) = op {
            *n += setters;
        }
    }
    ops.splice(1..1, prologue);
    ops
}

fn build_task(name: &str, gens: &[Gen], await_all: bool, count: &mut usize) -> Vec<Op> {
    let mut ops = vec![say(&format!("{name} start"))];
    if name != "main" {
        ops.push(Op::OnCancel(format!("{name} cancelled")));
    }
    let mut names: Vec<String> = vec![];
    let mut not_awaited: Vec<usize> = vec![];
    let mut cancelled: HashSet<usize> = HashSet::new();
    let mut says = 0;
    let child_name = |count: &mut usize| {
        *count += 1;
        format!("T{}", *count - 1)
    };
    let await_op = |n: usize, names: &[String], cancelled: &HashSet<usize>| {
        if cancelled.contains(&n) {
            Op::AwaitOrCancelled(n, format!("{name} saw {} cancelled", names[n]))
        } else {
            Op::Await(n)
        }
    };
    for g in gens {
        match g {
            Gen::Say => {
                says += 1;
                ops.push(say(&format!("{name} say {says}")));
            }
            Gen::Sleep(ms) => ops.push(Op::SleepMs(*ms)),
            Gen::Yield => ops.push(Op::Yield),
            Gen::Spawn(_) if *count >= MAX_TASKS => {}
            Gen::Spawn(child) => {
                let child_name = child_name(count);
                let child_ops = build_task(&child_name, child, await_all, count);
                ops.push(spawn_op(&child_name, child_ops));
                not_awaited.push(names.len());
                names.push(child_name);
            }
            Gen::Await(_) | Gen::Cancel(..) if not_awaited.is_empty() => {}
            Gen::Await(k) => {
                let n = not_awaited.remove(k % not_awaited.len());
                ops.push(await_op(n, &names, &cancelled));
            }
            Gen::Cancel(k, pause) => {
                ops.extend(pause.iter().cloned());
                let n = not_awaited[k % not_awaited.len()];
                cancelled.insert(n);
                ops.push(Op::Cancel(n));
            }
            Gen::Gather(children) => {
                let mut kids = vec![];
                for child in children {
                    if *count >= MAX_TASKS {
                        break;
                    }
                    let child_name = child_name(count);
                    let child_ops = build_task(&child_name, child, await_all, count);
                    kids.push((child_name, child_ops));
                }
                ops.push(Op::Gather(kids));
            }
            Gen::SetPromise(k) => ops.push(Op::SetPromise(*k)),
            Gen::AwaitPromise(k) => ops.push(Op::AwaitPromise(*k)),
        }
    }
    if await_all {
        for n in not_awaited {
            ops.push(await_op(n, &names, &cancelled));
        }
    }
    ops.push(say(&format!("{name} end")));
    ops
}

/// Does this op make the task wait for another task or a promise?
fn waits(op: &Op) -> bool {
    matches!(op, Op::Await(_) | Op::AwaitOrCancelled(..) | Op::Gather(_) | Op::AwaitPromise(_))
}

/// Indices of the children this task cancels, and of those it awaits.
fn cancelled_and_awaited(ops: &[Op]) -> (HashSet<usize>, HashSet<usize>) {
    let mut cancelled = HashSet::new();
    let mut awaited = HashSet::new();
    for op in ops {
        match op {
            Op::Cancel(n) => {
                cancelled.insert(*n);
            }
            Op::Await(n) | Op::AwaitOrCancelled(n, _) => {
                awaited.insert(*n);
            }
            _ => {}
        }
    }
    (cancelled, awaited)
}

/// A task may be cancelled if its parent cancels it, or if it is awaited by
/// a task that may be (asyncio passes the cancellation down), or if it is a
/// child of a gather such a task awaits. Such a task must not wait on a
/// promise (rondo differs there on purpose), nor set a promise (it could be
/// cancelled first).
fn restrict_cancellable(ops: &mut Vec<Op>, cancellable: bool) {
    if cancellable {
        ops.retain(|op| !matches!(op, Op::AwaitPromise(_) | Op::SetPromise(_)));
    }
    let (cancelled, awaited) = cancelled_and_awaited(ops);
    let mut n = 0;
    for op in ops.iter_mut() {
        match op {
            Op::Spawn(_, child) => {
                restrict_cancellable(child, cancelled.contains(&n) || (cancellable && awaited.contains(&n)));
                n += 1;
            }
            // Never a `Cancel` target, but cancelled with the task that
            // awaits the gather, as asyncio's `_GatheringFuture.cancel()` does.
            Op::Gather(children) => {
                children.iter_mut().for_each(|(_, c)| restrict_cancellable(c, cancellable))
            }
            _ => {}
        }
    }
}

/// Keeps a `SetPromise` only where it is sure to run unless main finishes
/// first (`safe`: the task cannot be cancelled, and neither it nor its
/// ancestors waited before getting there), and only the first for each promise.
fn keep_safe_setters(ops: &mut Vec<Op>, safe: bool, set: &mut [bool; PROMISES]) {
    let (cancelled, _) = cancelled_and_awaited(ops);
    let mut waited = false;
    let mut n = 0;
    ops.retain_mut(|op| {
        let keep = match op {
            Op::SetPromise(k) => safe && !waited && !std::mem::replace(&mut set[*k], true),
            Op::Spawn(_, child) => {
                keep_safe_setters(child, safe && !waited && !cancelled.contains(&n), set);
                n += 1;
                true
            }
            Op::Gather(children) => {
                children.iter_mut().for_each(|(_, c)| keep_safe_setters(c, safe && !waited, set));
                true
            }
            _ => true,
        };
        waited |= waits(op);
        keep
    });
}

/// Names of the children a task spawns with `Spawn`, in spawn order.
fn spawned(ops: &[Op]) -> Vec<&str> {
    ops.iter()
        .filter_map(|op| match op {
            Op::Spawn(name, _) => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The reference model: asyncio's `_run_once`, tasks, futures and gather
// ---------------------------------------------------------------------------

/// One entry of the model's ready queue.
#[derive(Clone, Copy, Debug)]
enum Handle {
    /// `Task.__step` (or `__wakeup`) of this task.
    Step(usize),
    /// A fired `sleep` timer: resolves the sleep's future, whose done-callback
    /// schedules the task — unless the sleep was cancelled meanwhile (the
    /// sequence number no longer matches).
    Timer(usize, u64),
    /// gather's `_done_callback` for one child (the second number) of this gather.
    GatherCallback(usize, usize),
    /// `run_until_complete`'s done-callback on main: `loop.stop()`.
    Stop,
}

/// What a task is doing between steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// A `Step` is in the ready queue (its first one, after a yield, or woken).
    Queued,
    /// Waiting for the sleep timer with this sequence number.
    Sleeping(u64),
    /// Awaiting this task.
    Child(usize),
    /// Awaiting this promise.
    Promise(usize),
    /// Awaiting this gather.
    Gather(usize),
    Done,
}

struct ModelTask {
    ops: Vec<Op>,
    pc: usize,
    children: Vec<usize>,
    state: State,
    /// `_must_cancel`, or a cancellation passed on to what it awaits.
    cancel_requested: bool,
    /// Ended by cancellation.
    cancelled: bool,
    /// The `except CancelledError` line, once the task got inside its `try`.
    cleanup: Option<String>,
    /// The awaited child to look at when resuming, and the line to say if it
    /// was cancelled (`None` for a plain await).
    resume: Option<(usize, Option<String>)>,
    /// The task awaiting this one (its `__wakeup` done-callback).
    awaiter: Option<usize>,
    /// The gather this task is a child of (gather's `_done_callback`).
    gather: Option<usize>,
}

struct ModelGather {
    owner: usize,
    children: Vec<usize>,
    left: usize,
    /// The outer future is resolved: later callbacks do nothing.
    done: bool,
}

#[derive(Default)]
struct ModelPromise {
    done: bool,
    /// Tasks awaiting it, in the order they started to.
    waiters: Vec<usize>,
}

/// What the model saw happen, to tell whether the generator reaches every case.
#[derive(Debug, Default, Clone, Copy)]
struct Coverage {
    cancel_not_started: u32,
    cancel_yielding: u32,
    /// Its step was queued by a timer, a finished child or a promise.
    cancel_woken: u32,
    cancel_sleeping: u32,
    /// A task awaiting another: the cancellation went down the chain.
    cancel_awaiting: u32,
    /// A task awaiting a gather: the cancellation went to its children.
    cancel_gathering: u32,
    /// The target had finished or was already being cancelled.
    cancel_no_effect: u32,
    cleanups: u32,
    saw_cancelled: u32,
    gathers_waited: u32,
    promise_waits: u32,
    promise_wakeups: u32,
    set_by_tasks: u32,
}

struct Model {
    now: u64,
    ready: VecDeque<Handle>,
    /// `(deadline, sequence, task)`, earliest first; stale entries are skipped.
    timers: BinaryHeap<Reverse<(u64, u64, usize)>>,
    next_seq: u64,
    tasks: Vec<ModelTask>,
    gathers: Vec<ModelGather>,
    promises: HashMap<usize, ModelPromise>,
    stopping: bool,
    trace: Vec<String>,
    coverage: Coverage,
}

impl Model {
    /// Runs `main` as `run_until_complete` does; what pending tasks say when
    /// they are cancelled after the loop stopped is not part of the trace.
    fn run(main: &[Op]) -> (Run, Coverage) {
        let mut m = Model {
            now: 0,
            ready: VecDeque::new(),
            timers: BinaryHeap::new(),
            next_seq: 0,
            tasks: vec![],
            gathers: vec![],
            promises: HashMap::new(),
            stopping: false,
            trace: vec![],
            coverage: Coverage::default(),
        };
        let mut iterations = 0;
        m.spawn(main.to_vec());
        loop {
            iterations += 1;
            // 1. Nothing ready: jump to the earliest live timer (asyncio pops
            //    cancelled timers off the top of the heap first).
            if m.ready.is_empty() {
                while let Some(&Reverse((_, seq, task))) = m.timers.peek() {
                    if m.tasks[task].state == State::Sleeping(seq) {
                        break;
                    }
                    m.timers.pop();
                }
                let Reverse((deadline, _, _)) = *m.timers.peek().expect("model: deadlock");
                m.now = m.now.max(deadline);
            }
            // 2. Due timers to the tail, earliest (deadline, seq) first.
            while let Some(&Reverse((deadline, seq, task))) = m.timers.peek() {
                if deadline > m.now {
                    break;
                }
                m.timers.pop();
                m.ready.push_back(Handle::Timer(task, seq));
            }
            // 3. Exactly the handles queued now, FIFO.
            for _ in 0..m.ready.len() {
                match m.ready.pop_front().expect("counted") {
                    Handle::Step(task) => m.step(task),
                    Handle::Timer(task, seq) => {
                        if m.tasks[task].state == State::Sleeping(seq) {
                            m.wake(task);
                        }
                    }
                    // gather's `_done_callback`: a cancelled child resolves
                    // the outer future at once (with CancelledError), the last
                    // child otherwise; once resolved, callbacks do nothing.
                    Handle::GatherCallback(g, child) => {
                        if !m.gathers[g].done {
                            m.gathers[g].left -= 1;
                            if m.tasks[child].cancelled || m.gathers[g].left == 0 {
                                m.gathers[g].done = true;
                                m.wake(m.gathers[g].owner);
                            }
                        }
                    }
                    Handle::Stop => m.stopping = true,
                }
            }
            if m.stopping {
                return (Run { trace: m.trace, end_ms: m.now, iterations }, m.coverage);
            }
        }
    }

    fn say(&mut self, text: &str) {
        self.trace.push(stamp(self.now, text));
    }

    /// `create_task`: the first step is scheduled with `call_soon`.
    fn spawn(&mut self, ops: Vec<Op>) -> usize {
        self.tasks.push(ModelTask {
            ops,
            pc: 0,
            children: vec![],
            state: State::Queued,
            cancel_requested: false,
            cancelled: false,
            cleanup: None,
            resume: None,
            awaiter: None,
            gather: None,
        });
        let task = self.tasks.len() - 1;
        self.ready.push_back(Handle::Step(task));
        task
    }

    /// Schedules a waiting task's step (`call_soon(task.__wakeup)`).
    fn wake(&mut self, task: usize) {
        self.tasks[task].state = State::Queued;
        self.ready.push_back(Handle::Step(task));
    }

    /// `Task.cancel()`, for the targets the generator allows.
    fn cancel(&mut self, task: usize) {
        let t = &mut self.tasks[task];
        if t.state == State::Done || t.cancel_requested {
            // Done: `cancel()` returns False. Already being cancelled: asyncio
            // only sets flags again, nothing new is scheduled.
            self.coverage.cancel_no_effect += 1;
            return;
        }
        t.cancel_requested = true;
        match t.state {
            // Its step is queued: `_must_cancel` makes that step throw.
            State::Queued if t.pc == 0 => self.coverage.cancel_not_started += 1,
            State::Queued if matches!(t.ops[t.pc - 1], Op::Yield | Op::SleepMs(0)) => {
                self.coverage.cancel_yielding += 1
            }
            State::Queued => self.coverage.cancel_woken += 1,
            // The sleep's future is cancelled: it schedules the task's wakeup
            // now, and its timer is withdrawn.
            State::Sleeping(_) => {
                self.coverage.cancel_sleeping += 1;
                self.wake(task);
            }
            // `_fut_waiter.cancel()`: the awaited task is cancelled instead,
            // and its end wakes this one with CancelledError.
            State::Child(child) => {
                self.coverage.cancel_awaiting += 1;
                self.cancel(child);
            }
            // `_fut_waiter.cancel()` on a gather's future cancels each child,
            // in order; the task is woken when the gather resolves.
            State::Gather(g) => {
                self.coverage.cancel_gathering += 1;
                for child in self.gathers[g].children.clone() {
                    self.cancel(child);
                }
            }
            State::Promise(_) => {
                panic!("model: cancelling a task awaiting a promise is outside the compared cases")
            }
            State::Done => unreachable!(),
        }
    }

    /// One `Task.__step`: run ops until one pauses or the task finishes.
    fn step(&mut self, task: usize) {
        assert_eq!(self.tasks[task].state, State::Queued, "model: a step of a task that is not queued");
        if self.tasks[task].cancel_requested {
            return self.finish(task, true);
        }
        if let Some((child, saw)) = self.tasks[task].resume.take() {
            self.resume_after(child, saw);
        }
        loop {
            let t = &mut self.tasks[task];
            let Some(op) = t.ops.get(t.pc).cloned() else { break };
            t.pc += 1;
            match op {
                Op::Say(text) => self.say(&text),
                Op::OnCancel(text) => self.tasks[task].cleanup = Some(text),
                // `sleep(0)` is a bare `yield`: the step is re-queued at the tail.
                Op::Yield | Op::SleepMs(0) => return self.wake(task),
                Op::SleepMs(ms) => {
                    let seq = self.next_seq;
                    self.next_seq += 1;
                    self.timers.push(Reverse((self.now + ms, seq, task)));
                    self.tasks[task].state = State::Sleeping(seq);
                    return;
                }
                Op::Spawn(_, ops) => {
                    let child = self.spawn(ops);
                    self.tasks[task].children.push(child);
                }
                Op::Await(n) | Op::AwaitOrCancelled(n, _) => {
                    let saw = match op {
                        Op::AwaitOrCancelled(_, text) => Some(text),
                        _ => None,
                    };
                    let child = self.tasks[task].children[n];
                    if self.tasks[child].state == State::Done {
                        // Its result (or CancelledError) is there: no pause.
                        self.resume_after(child, saw);
                    } else {
                        self.tasks[child].awaiter = Some(task);
                        let t = &mut self.tasks[task];
                        t.resume = Some((child, saw));
                        t.state = State::Child(child);
                        return;
                    }
                }
                Op::Cancel(n) => {
                    let child = self.tasks[task].children[n];
                    self.cancel(child);
                }
                Op::Gather(children) if children.is_empty() => {} // a done future: no pause
                Op::Gather(children) => {
                    let g = self.gathers.len();
                    let left = children.len();
                    let children = children.into_iter().map(|(_, ops)| self.spawn(ops)).collect::<Vec<_>>();
                    for &child in &children {
                        self.tasks[child].gather = Some(g);
                    }
                    self.gathers.push(ModelGather { owner: task, children, left, done: false });
                    self.coverage.gathers_waited += 1;
                    self.tasks[task].state = State::Gather(g);
                    return;
                }
                Op::NewPromise(k) => {
                    let old = self.promises.insert(k, ModelPromise::default());
                    assert!(old.is_none(), "model: promise {k} made twice");
                }
                Op::SetPromise(k) => {
                    if task != 0 {
                        self.coverage.set_by_tasks += 1;
                    }
                    let promise = self.promises.get_mut(&k).expect("model: promise made");
                    assert!(!promise.done, "model: promise {k} set twice");
                    promise.done = true;
                    for waiter in std::mem::take(&mut promise.waiters) {
                        self.coverage.promise_wakeups += 1;
                        self.wake(waiter);
                    }
                }
                Op::AwaitPromise(k) => {
                    let promise = self.promises.get_mut(&k).expect("model: promise made");
                    if !promise.done {
                        promise.waiters.push(task);
                        self.coverage.promise_waits += 1;
                        self.tasks[task].state = State::Promise(k);
                        return;
                    }
                }
            }
        }
        self.finish(task, false);
    }

    /// After awaiting `child`: a cancelled child raises CancelledError, which
    /// the awaiter catches and reports.
    fn resume_after(&mut self, child: usize, saw: Option<String>) {
        if self.tasks[child].cancelled {
            let text = saw.expect("model: a plain await of a cancelled child (the generator avoids it)");
            self.coverage.saw_cancelled += 1;
            self.say(&text);
        }
    }

    /// The task's end: its done-callbacks are scheduled with `call_soon`, in
    /// the order they were added (main's stop callback was added before it ran).
    fn finish(&mut self, task: usize, cancelled: bool) {
        if cancelled && let Some(text) = self.tasks[task].cleanup.take() {
            self.coverage.cleanups += 1;
            self.say(&text);
        }
        let t = &mut self.tasks[task];
        t.state = State::Done;
        t.cancelled = cancelled;
        let (awaiter, gather) = (t.awaiter, t.gather);
        if task == 0 {
            self.ready.push_back(Handle::Stop);
        }
        if let Some(awaiter) = awaiter {
            self.wake(awaiter);
        }
        if let Some(g) = gather {
            self.ready.push_back(Handle::GatherCallback(g, task));
        }
    }
}

// ---------------------------------------------------------------------------
// rondo
// ---------------------------------------------------------------------------

fn run_rondo(main: &[Op]) -> Run {
    let out = Transcript::new();
    let ev = EventLoop::new_virtual();
    if let Err(error) = ev.run_until_complete(Script::new(&out, main.to_vec())) {
        panic!("rondo: the program did not complete: {error}\nprogram: {}", render(main));
    }
    // Before `cancel_all`, whose drops say the pending tasks' clean-up lines.
    let trace = out.stamped();
    let end = ev.now();
    assert_eq!(end.subsec_nanos() % 1_000_000, 0, "virtual time is whole milliseconds");
    let iterations = ev.iterations();
    // A crash on the rondo side must not pass for a schedule: no task of
    // these programs panics, and no callback does.
    assert!(ev.take_unobserved_failures().is_empty(), "no task of these programs fails");
    assert!(ev.callback_panics().is_empty(), "no callback panics");
    ev.cancel_all();
    Run { trace, end_ms: end.as_millis() as u64, iterations }
}

// ---------------------------------------------------------------------------
// Trace properties (on rondo's trace)
// ---------------------------------------------------------------------------

/// Each task's lines follow its program: its `Say` lines in order, as a
/// prefix, with "saw ... cancelled" lines optional; the clean-up line, if
/// any, last — and never together with "end".
fn check_task_lines(main: &[Op], trace: &[String]) -> Result<(), TestCaseError> {
    let mut said: HashMap<&str, Vec<&str>> = HashMap::new();
    for line in trace {
        let text = text(line);
        let task = text.split(' ').next().unwrap_or_default();
        said.entry(task).or_default().push(text);
    }
    for (name, ops) in all_tasks(main) {
        let mut got = said.remove(name.as_str()).unwrap_or_default();
        let cleanup = format!("{name} cancelled");
        let cleaned_up = got.last() == Some(&cleanup.as_str());
        if cleaned_up {
            got.pop();
            prop_assert!(got.last() != Some(&format!("{name} end").as_str()), "{name} ended twice");
        }
        prop_assert!(!got.contains(&cleanup.as_str()), "{name}'s clean-up line is not its last: {got:?}");
        let mut matched = 0;
        for op in &ops {
            let (line, optional) = match op {
                Op::Say(text) => (text, false),
                Op::AwaitOrCancelled(_, text) => (text, true),
                _ => continue,
            };
            if matched == got.len() {
                break;
            }
            if got[matched] == line {
                matched += 1;
            } else if !optional {
                break;
            }
        }
        prop_assert_eq!(matched, got.len(), "{}'s lines do not follow its program: {:?}", name, got);
    }
    prop_assert!(said.is_empty(), "lines from unknown tasks: {said:?}");
    Ok(())
}

/// Every task awaited by a task that said "end" has ended exactly once before
/// that: "end", or its clean-up line, or — cancelled before it started — its
/// awaiter saw it cancelled. Gathered tasks and plainly awaited ones said "end".
fn check_awaited_tasks_ended(main: &[Op], trace: &[String]) -> Result<(), TestCaseError> {
    let position = |text: &str| trace.iter().position(|l| self::text(l) == text);
    let count = |text: &str| trace.iter().filter(|l| self::text(l) == text).count();
    prop_assert_eq!(count("main end"), 1);
    for (name, ops) in all_tasks(main) {
        let Some(end) = position(&format!("{name} end")) else { continue };
        let kids = spawned(&ops);
        let mut awaited: Vec<(&str, Option<&str>)> = vec![];
        for op in &ops {
            match op {
                Op::Await(n) => awaited.push((kids[*n], None)),
                Op::AwaitOrCancelled(n, saw) => awaited.push((kids[*n], Some(saw.as_str()))),
                Op::Gather(children) => awaited.extend(children.iter().map(|(c, _)| (c.as_str(), None))),
                _ => {}
            }
        }
        for (child, saw) in awaited {
            let (ended, cleaned_up) = (count(&format!("{child} end")), count(&format!("{child} cancelled")));
            let started = count(&format!("{child} start"));
            let saw_it = saw.is_some_and(|saw| count(saw) == 1);
            let last = [format!("{child} end"), format!("{child} cancelled")]
                .iter()
                .filter_map(|l| position(l))
                .max();
            if saw_it {
                prop_assert_eq!(ended, 0, "{} saw {} cancelled, but it said \"end\"", name, child);
                prop_assert_eq!(cleaned_up, started, "{} was cancelled: clean-up iff it started", child);
            } else {
                prop_assert_eq!(
                    (ended, cleaned_up),
                    (1, 0),
                    "{} awaited {}, which did not end once",
                    name,
                    child
                );
            }
            prop_assert!(last.is_none_or(|last| last < end), "{child} ended after {name}'s end");
        }
    }
    Ok(())
}

/// The children of a task that start do so in spawn order (a cancelled one
/// may never start); so do the children of each gather.
fn check_children_start_in_order(main: &[Op], trace: &[String]) -> Result<(), TestCaseError> {
    let position: HashMap<&str, usize> = trace.iter().enumerate().map(|(i, l)| (text(l), i)).collect();
    let starts = |names: &mut dyn Iterator<Item = &str>| -> Vec<usize> {
        names.filter_map(|c| position.get(format!("{c} start").as_str()).copied()).collect()
    };
    for (parent, ops) in all_tasks(main) {
        let mut groups = vec![starts(&mut spawned(&ops).into_iter())];
        for op in &ops {
            if let Op::Gather(children) = op {
                groups.push(starts(&mut children.iter().map(|(c, _)| c.as_str())));
            }
        }
        for group in groups {
            prop_assert!(group.windows(2).all(|w| w[0] < w[1]), "{parent}'s children started out of order");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(300))]

    /// rondo prints exactly what the asyncio model prints, at the same virtual
    /// times, and stops at the same time after the same number of iterations;
    /// and its trace has the properties above.
    #[test]
    fn rondo_matches_the_asyncio_model(gens in gen_main(), await_all in any::<bool>()) {
        let main = build(&gens, await_all);
        let (model, _) = Model::run(&main);
        let rondo = run_rondo(&main);
        prop_assert_eq!(&rondo, &model, "program: {}", render(&main));
        check_task_lines(&main, &rondo.trace)?;
        check_awaited_tasks_ended(&main, &rondo.trace)?;
        check_children_start_in_order(&main, &rondo.trace)?;
    }
}

/// Stage 9: `main` and every task as an `async fn` (`common::async_script`)
/// and as the hand-written `Script`: the same trace, line by line, with
/// each line's virtual time and loop iteration, the same final time and
/// iteration count, and the same clean-up lines said by the tasks
/// `cancel_all` drops at the end.
fn both_forms(main: &[Op]) -> [(Vec<String>, u128, u64); 2] {
    let run = |compiled: bool| {
        let out = Transcript::new();
        let ev = EventLoop::new_virtual();
        let finished = if compiled {
            ev.run_until_complete(common::async_script::async_script(&out, main.to_vec()))
        } else {
            ev.run_until_complete(Script::new(&out, main.to_vec()))
        };
        if let Err(error) = finished {
            panic!("the program did not complete (async: {compiled}): {error}\nprogram: {}", render(main));
        }
        assert!(ev.take_unobserved_failures().is_empty() && ev.callback_panics().is_empty());
        let (end, iterations) = (ev.now().as_millis(), ev.iterations());
        ev.cancel_all();
        (out.stamped_with_iterations(), end, iterations)
    };
    [run(true), run(false)]
}

proptest! {
    #![proptest_config(config(200))]

    #[test]
    fn the_async_form_prints_what_the_hand_written_script_prints(gens in gen_main(), await_all in any::<bool>()) {
        let main = build(&gens, await_all);
        let [compiled, hand_written] = both_forms(&main);
        prop_assert_eq!(compiled, hand_written, "program: {}", render(&main));
    }
}

/// The generator reaches every case the model distinguishes: each way a
/// cancellation lands, clean-ups, awaiters seeing a cancelled child, gathers,
/// promise waits and wake-ups, promises set by tasks.
#[test]
fn the_generator_reaches_every_case() {
    let mut runner = TestRunner::deterministic();
    let mut total = Coverage::default();
    for i in 0..200 {
        let gens = gen_main().new_tree(&mut runner).expect("a program").current();
        total.add(&Model::run(&build(&gens, i % 2 == 0)).1);
    }
    println!("{total:?}");
    for (case, n) in total.cases() {
        // A cancellation landing between a child's end and its awaiter's
        // wakeup needs the canceller to run in just that iteration: rare.
        let min = if case == "cancel_woken" { 1 } else { 5 };
        assert!(n >= min, "{case} happened only {n} times in 200 programs: {total:?}");
    }
}

impl Coverage {
    fn add(&mut self, c: &Coverage) {
        self.cancel_not_started += c.cancel_not_started;
        self.cancel_yielding += c.cancel_yielding;
        self.cancel_woken += c.cancel_woken;
        self.cancel_sleeping += c.cancel_sleeping;
        self.cancel_awaiting += c.cancel_awaiting;
        self.cancel_gathering += c.cancel_gathering;
        self.cancel_no_effect += c.cancel_no_effect;
        self.cleanups += c.cleanups;
        self.saw_cancelled += c.saw_cancelled;
        self.gathers_waited += c.gathers_waited;
        self.promise_waits += c.promise_waits;
        self.promise_wakeups += c.promise_wakeups;
        self.set_by_tasks += c.set_by_tasks;
    }

    fn cases(&self) -> [(&'static str, u32); 13] {
        let Coverage {
            cancel_not_started,
            cancel_yielding,
            cancel_woken,
            cancel_sleeping,
            cancel_awaiting,
            cancel_gathering,
            cancel_no_effect,
            cleanups,
            saw_cancelled,
            gathers_waited,
            promise_waits,
            promise_wakeups,
            set_by_tasks,
        } = *self;
        [
            ("cancel_not_started", cancel_not_started),
            ("cancel_yielding", cancel_yielding),
            ("cancel_woken", cancel_woken),
            ("cancel_sleeping", cancel_sleeping),
            ("cancel_awaiting", cancel_awaiting),
            ("cancel_gathering", cancel_gathering),
            ("cancel_no_effect", cancel_no_effect),
            ("cleanups", cleanups),
            ("saw_cancelled", saw_cancelled),
            ("gathers_waited", gathers_waited),
            ("promise_waits", promise_waits),
            ("promise_wakeups", promise_wakeups),
            ("set_by_tasks", set_by_tasks),
        ]
    }
}

// ---------------------------------------------------------------------------
// The model against CPython
// ---------------------------------------------------------------------------

/// `Y`: says Y1..Yn with a `sleep(0)` after each, after sleeping `start` ms if
/// that is not 0 — the ticking task of `stage5_combinators.rs`.
fn ticking(n: usize, start: u64) -> Vec<Op> {
    let mut ops = if start > 0 { vec![Op::SleepMs(start)] } else { vec![] };
    for i in 1..=n {
        ops.extend([say(&format!("Y{i}")), Op::Yield]);
    }
    ops
}

/// Programs and the traces CPython 3.11 printed for them (on the virtual
/// loop of `PYTHON_PRELUDE`): the first four are twins of tests in
/// `stage5_combinators.rs` and `stage6_failure.rs`, the others were run on
/// CPython 3.11.7 for this file. They are also in the CPython batch below.
fn cpython_checked_cases() -> Vec<(Vec<Op>, Vec<&'static str>)> {
    vec![
        (
            // gather: the awaiter resumes two iterations after the last child.
            vec![
                spawn_op("Y", ticking(6, 0)),
                Op::Gather(vec![
                    ("A".into(), vec![say("A done")]),
                    ("B".into(), vec![Op::Yield, say("B done")]),
                ]),
                say("main after gather"),
                Op::Await(0),
            ],
            vec![
                "0.000 Y1",
                "0.000 A done",
                "0.000 Y2",
                "0.000 B done",
                "0.000 Y3",
                "0.000 Y4",
                "0.000 main after gather",
                "0.000 Y5",
                "0.000 Y6",
            ],
        ),
        (
            // Seed 002: bar resolves the future foo awaits.
            vec![
                Op::NewPromise(0),
                spawn_op("Y", ticking(5, 2000)),
                Op::Gather(vec![
                    (
                        "foo".into(),
                        vec![
                            say("foo will await the future"),
                            Op::AwaitPromise(0),
                            say("Future result : future is resolved"),
                            say("Is future is done? True"),
                        ],
                    ),
                    (
                        "bar".into(),
                        vec![
                            say("bar will sleep for 2 seconds"),
                            Op::SleepMs(2000),
                            say("bar resolving the future"),
                            Op::SetPromise(0),
                        ],
                    ),
                ]),
                say("gathered"),
            ],
            vec![
                "0.000 foo will await the future",
                "0.000 bar will sleep for 2 seconds",
                "2.000 Y1",
                "2.000 bar resolving the future",
                "2.000 Y2",
                "2.000 Future result : future is resolved",
                "2.000 Is future is done? True",
                "2.000 Y3",
                "2.000 Y4",
                "2.000 gathered",
                "2.000 Y5",
            ],
        ),
        (
            // Cancelling a sleeping task: its clean-up one iteration later,
            // its awaiter sees the cancellation one more later.
            vec![
                spawn_op("Y", ticking(5, 0)),
                spawn_op("T", vec![Op::OnCancel("sleeper cleanup".into()), Op::SleepMs(10_000)]),
                Op::Yield,
                Op::Cancel(1),
                say("cancel requested"),
                Op::AwaitOrCancelled(1, "main saw cancelled".into()),
                say("cancelled=True"),
                Op::Await(0),
            ],
            vec![
                "0.000 Y1",
                "0.000 cancel requested",
                "0.000 Y2",
                "0.000 sleeper cleanup",
                "0.000 Y3",
                "0.000 main saw cancelled",
                "0.000 cancelled=True",
                "0.000 Y4",
                "0.000 Y5",
            ],
        ),
        (
            // Cancelling a task that awaits another: the awaited one first.
            vec![
                spawn_op(
                    "outer",
                    vec![
                        Op::OnCancel("outer cleanup".into()),
                        spawn_op("inner", vec![Op::OnCancel("inner cleanup".into()), Op::SleepMs(10_000)]),
                        Op::Await(0),
                    ],
                ),
                Op::SleepMs(1000),
                Op::Cancel(0),
                Op::SleepMs(1000),
                say("outer cancelled=true"),
            ],
            vec!["1.000 inner cleanup", "1.000 outer cleanup", "2.000 outer cancelled=true"],
        ),
        (
            // Cancelled before its first step: none of it runs, not even the
            // clean-up; the awaiter sees the cancellation without pausing
            // more than the child's first step takes.
            vec![
                spawn_op("T", vec![Op::OnCancel("T cleanup".into()), say("T runs")]),
                Op::Cancel(0),
                say("cancel requested"),
                Op::AwaitOrCancelled(0, "main saw T cancelled".into()),
                say("main end"),
            ],
            vec!["0.000 cancel requested", "0.000 main saw T cancelled", "0.000 main end"],
        ),
        (
            // Cancelling a yielding task: it ends at the step it had queued.
            vec![
                spawn_op("Y", ticking(4, 0)),
                spawn_op("T", vec![Op::OnCancel("T cleanup".into()), say("T 1"), Op::Yield, say("T 2")]),
                Op::Yield,
                Op::Cancel(1),
                say("cancel requested"),
                Op::AwaitOrCancelled(1, "main saw T cancelled".into()),
                Op::Await(0),
            ],
            vec![
                "0.000 Y1",
                "0.000 T 1",
                "0.000 cancel requested",
                "0.000 Y2",
                "0.000 T cleanup",
                "0.000 Y3",
                "0.000 main saw T cancelled",
                "0.000 Y4",
            ],
        ),
        (
            // A chain of three, its last task yielding: clean-ups innermost
            // first, one iteration apart; a ticking task shows the hops.
            vec![
                spawn_op("Y", ticking(6, 0)),
                spawn_op(
                    "A",
                    vec![
                        Op::OnCancel("A cleanup".into()),
                        spawn_op(
                            "B",
                            vec![
                                Op::OnCancel("B cleanup".into()),
                                spawn_op("C", vec![Op::OnCancel("C cleanup".into()), Op::Yield, Op::Yield]),
                                Op::Await(0),
                            ],
                        ),
                        Op::Await(0),
                    ],
                ),
                Op::Yield,
                Op::Yield,
                Op::Yield,
                Op::Cancel(1),
                say("cancel requested"),
                Op::AwaitOrCancelled(1, "main saw A cancelled".into()),
                Op::Await(0),
            ],
            vec![
                "0.000 Y1",
                "0.000 Y2",
                "0.000 Y3",
                "0.000 cancel requested",
                "0.000 Y4",
                "0.000 C cleanup",
                "0.000 Y5",
                "0.000 B cleanup",
                "0.000 Y6",
                "0.000 A cleanup",
                "0.000 main saw A cancelled",
            ],
        ),
        (
            // Cancelling a task whose awaited child has just finished (its
            // wakeup is queued): the cancellation lands on that step, which
            // throws CancelledError where the child's result was due.
            vec![
                spawn_op("Y", ticking(4, 0)),
                spawn_op(
                    "A",
                    vec![
                        Op::OnCancel("A cleanup".into()),
                        spawn_op("G", vec![say("G done")]),
                        Op::Await(0),
                        say("A after G"),
                    ],
                ),
                Op::Yield,
                Op::Yield,
                Op::Cancel(1),
                say("cancel requested"),
                Op::AwaitOrCancelled(1, "main saw A cancelled".into()),
                Op::Await(0),
            ],
            vec![
                "0.000 Y1",
                "0.000 Y2",
                "0.000 G done",
                "0.000 cancel requested",
                "0.000 Y3",
                "0.000 A cleanup",
                "0.000 Y4",
                "0.000 main saw A cancelled",
            ],
        ),
        (
            // Two awaiters of a promise resume in the order they started to
            // wait; awaiting it once it is resolved does not pause.
            vec![
                Op::NewPromise(0),
                spawn_op("Y", ticking(4, 0)),
                spawn_op("B", vec![Op::Yield, Op::AwaitPromise(0), say("B got it")]),
                spawn_op("A", vec![Op::AwaitPromise(0), say("A got it")]),
                Op::SleepMs(500),
                Op::SetPromise(0),
                say("set"),
                Op::AwaitPromise(0),
                say("main got it at once"),
                Op::Await(1),
                Op::Await(2),
                say("main end"),
            ],
            vec![
                "0.000 Y1",
                "0.000 Y2",
                "0.000 Y3",
                "0.000 Y4",
                "0.500 set",
                "0.500 main got it at once",
                "0.500 A got it",
                "0.500 B got it",
                "0.500 main end",
            ],
        ),
    ]
}

/// The model reproduces traces checked on CPython.
#[test]
fn the_model_reproduces_traces_checked_on_cpython() {
    for (program, expected) in cpython_checked_cases() {
        assert_eq!(Model::run(&program).0.trace, expected, "program: {}", render(&program));
        assert_eq!(run_rondo(&program).trace, expected, "rondo; program: {}", render(&program));
    }
}

/// What this file adds to the shared virtual-clock loop (`VIRTUAL_LOOP_PY`:
/// integer milliseconds, timers with equal deadlines FIFO — rondo's
/// documented choice; asyncio leaves them in heap order — iterations
/// counted): the promises `P`, and `MUTE`, so that what pending tasks say
/// when `run` cancels them after `main` is not part of the trace.
const PYTHON_PRELUDE: &str = r##"
MUTE = [False]  # set once main has completed
P = {}  # the promises of the running program

def say(text):
    if not MUTE[0]:
        print("%d.%03d %s" % (CLOCK[0] // 1000, CLOCK[0] % 1000, text))

def run(main):
    # asyncio.run(main()), on the virtual loop.
    CLOCK[0] = ITERATIONS[0] = 0
    MUTE[0] = False
    P.clear()
    loop = VirtualLoop()
    try:
        loop.run_until_complete(main())
        end, iterations = CLOCK[0], ITERATIONS[0]
        MUTE[0] = True
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    finally:
        loop.close()
    print("#end %d %d" % (end, iterations))

"##;

/// The model (and so rondo, by the proptest) agrees with real CPython
/// asyncio, run on a virtual clock, on a fixed sample of generated programs.
#[test]
fn the_model_matches_cpython_asyncio() {
    // A fixed seed: the same programs every run.
    let mut runner = TestRunner::deterministic();
    let mut programs: Vec<Vec<Op>> =
        cpython_checked_cases().into_iter().map(|(program, _)| program).collect();
    let mut batch = Coverage::default();
    programs.iter().for_each(|program| batch.add(&Model::run(program).1));
    // 40 generated programs in which a cancellation takes effect, in
    // generation order — but first (up to 12) those in which it lands in the
    // rarer ways: down an await chain, or just after the target was woken.
    let (generated, rare_wanted) = (40, 12);
    let (mut taken, mut rare) = (0, 0);
    for i in 0..5000 {
        let gens = gen_main().new_tree(&mut runner).expect("a program").current();
        let program = build(&gens, i % 2 == 0);
        let (_, c) = Model::run(&program);
        let is_rare = (c.cancel_awaiting > 0 || c.cancel_woken > 0) && rare < rare_wanted;
        let cancels =
            c.cancel_not_started + c.cancel_yielding + c.cancel_woken + c.cancel_sleeping + c.cancel_awaiting;
        if is_rare || (cancels > 0 && taken - rare < generated - rare_wanted) {
            rare += usize::from(is_rare);
            taken += 1;
            batch.add(&c);
            programs.push(program);
            if taken == generated {
                break;
            }
        }
    }
    assert_eq!(taken, generated, "not enough programs with cancellations");
    println!("the CPython batch: {batch:?}");
    for (case, n) in batch.cases() {
        assert!(n >= 2, "{case} happened only {n} times in the CPython batch: {batch:?}");
    }
    let Some(runs) = run_on_cpython(PYTHON_PRELUDE, &programs) else {
        common::python3::python3_missing("the_model_matches_cpython_asyncio");
        return;
    };
    assert_all_match_cpython(
        &programs,
        runs,
        |main| Model::run(main).0,
        |main| run_rondo(main),
        |main| render(main),
    );
}
