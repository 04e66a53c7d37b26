//! Property tests of the stage-4 scheduler against an independent model of asyncio's event loop.
//!
//! Random programs — a main `Script` spawning a random tree of tasks that say,
//! sleep, yield, spawn and await their own children — run on rondo's
//! `EventLoop::new_virtual()` and on `Model`, a small simulator written here
//! from CPython's `BaseEventLoop._run_once` (it never calls rondo):
//!
//! 1. if the ready queue is empty, virtual time jumps to the earliest timer;
//! 2. every due timer moves to the tail of the ready queue, earliest
//!    `(deadline, sequence)` first;
//! 3. exactly the handles queued when step 3 begins run, FIFO.
//!
//! The properties: rondo's stamped trace, final time and iteration count
//! equal the model's; every awaited task ends exactly once; tasks ready in the same iteration run FIFO; the
//! final virtual time is the critical path of sleeps along the await tree.
//! The model itself is checked against traces verified on CPython (the cases
//! of `stage4_iteration_rules.rs`) and, when `python3` is installed, against
//! real asyncio on a virtual clock (with equal deadlines made FIFO, rondo's
//! documented choice; asyncio leaves their order to its heap).

mod common;

use common::cpython::{Run, assert_all_match_cpython, run_on_cpython, stamp, text};

use common::{Op, Script, all_tasks, config, render, say, sleep_ms, spawn_op};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use rondo::{EventLoop, Transcript};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

// ---------------------------------------------------------------------------
// Programs
// ---------------------------------------------------------------------------

/// At most this many tasks per program, main included.
const MAX_TASKS: usize = 30;

/// A generated op before names and await targets are fixed.
#[derive(Clone, Debug)]
enum Gen {
    Say,
    Sleep(u64),
    Yield,
    Spawn(Vec<Gen>),
    /// Await one of the children spawned so far and not awaited yet (picked
    /// modulo their number); dropped if there is none.
    Await(usize),
}

/// The ops of a task `levels` spawn levels above the deepest: at level 0
/// a task spawns nothing. (By hand rather than `prop_recursive`, whose
/// branching odds decay so fast that depth 3 almost never appears.)
fn gen_ops(levels: u32, max_len: usize) -> BoxedStrategy<Vec<Gen>> {
    let leaf = prop_oneof![
        2 => Just(Gen::Say),
        3 => sleep_ms().prop_map(Gen::Sleep),
        2 => Just(Gen::Yield),
        3 => (0..8usize).prop_map(Gen::Await),
    ];
    let op = if levels == 0 {
        leaf.boxed()
    } else {
        prop_oneof![10 => leaf, 4 => gen_ops(levels - 1, 8).prop_map(Gen::Spawn)].boxed()
    };
    prop::collection::vec(op, 0..max_len).boxed()
}

/// Main's generated ops: a tree of depth at most 3 below main.
fn gen_main() -> impl Strategy<Value = Vec<Gen>> {
    gen_ops(3, 16)
}

/// Turns generated ops into a `Script` program: every task says
/// "<name> start" first and "<name> end" last, its other lines are
/// "<name> say <k>", awaits name real children, each awaited at most once.
/// With `await_all`, every task ends by awaiting the children it has not
/// awaited yet.
fn build(main: &[Gen], await_all: bool) -> Vec<Op> {
    let mut count = 1;
    build_task("main", main, await_all, &mut count)
}

fn build_task(name: &str, gens: &[Gen], await_all: bool, count: &mut usize) -> Vec<Op> {
    let mut ops = vec![say(&format!("{name} start"))];
    let mut spawned = 0;
    let mut not_awaited: Vec<usize> = vec![];
    let mut says = 0;
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
                *count += 1;
                let child_name = format!("T{}", *count - 1);
                let child_ops = build_task(&child_name, child, await_all, count);
                ops.push(Op::Spawn(child_name, child_ops));
                not_awaited.push(spawned);
                spawned += 1;
            }
            Gen::Await(_) if not_awaited.is_empty() => {}
            Gen::Await(k) => {
                let n = not_awaited.remove(k % not_awaited.len());
                ops.push(Op::Await(n));
            }
        }
    }
    if await_all {
        ops.extend(not_awaited.into_iter().map(Op::Await));
    }
    ops.push(say(&format!("{name} end")));
    ops
}

/// `(name, ops)` of the children a task spawns, in spawn order.
fn children(ops: &[Op]) -> Vec<(&str, &[Op])> {
    ops.iter()
        .filter_map(|op| match op {
            Op::Spawn(name, child) => Some((name.as_str(), child.as_slice())),
            _ => None,
        })
        .collect()
}

/// Main and every task it awaits, transitively.
fn awaited_from_main(main: &[Op]) -> Vec<String> {
    fn walk(name: &str, ops: &[Op], out: &mut Vec<String>) {
        out.push(name.to_string());
        let kids = children(ops);
        for op in ops {
            if let Op::Await(n) = op {
                let (child, child_ops) = kids[*n];
                walk(child, child_ops, out);
            }
        }
    }
    let mut out = vec![];
    walk("main", main, &mut out);
    out
}

/// When a task started at `start` ms finishes, from the program alone: sleeps
/// add up, a spawned child runs from the spawn time, an await waits for the
/// child's own finish. Hops through the ready queue take no virtual time.
fn critical_path(ops: &[Op], start: u64) -> u64 {
    let mut t = start;
    let mut child_ends = vec![];
    for op in ops {
        match op {
            Op::SleepMs(ms) => t += ms,
            Op::Spawn(_, child) => child_ends.push(critical_path(child, t)),
            Op::Await(n) => t = t.max(child_ends[*n]),
            Op::Say(_) | Op::Yield => {}
            other => unreachable!("not a stage-4 op: {other:?}"),
        }
    }
    t
}

// ---------------------------------------------------------------------------
// The reference model: asyncio's `_run_once`, on integer milliseconds
// ---------------------------------------------------------------------------

/// One entry of the model's ready queue.
#[derive(Clone, Copy, Debug)]
enum Handle {
    /// `Task.__step` of the task with this index.
    Step(usize),
    /// A fired `sleep` timer (`futures._set_result_unless_cancelled`): it
    /// resolves the sleep's future, whose done-callback schedules the task.
    Timer(usize),
    /// `run_until_complete`'s done-callback on main: `loop.stop()`.
    Stop,
}

struct ModelTask {
    ops: Vec<Op>,
    /// Index of the next op to run.
    pc: usize,
    /// Task indices of the children spawned so far, in spawn order.
    children: Vec<usize>,
    done: bool,
    /// The task awaiting this one (its done-callback), if any.
    awaiter: Option<usize>,
}

struct Model {
    now: u64,
    ready: VecDeque<Handle>,
    /// `(deadline, sequence, task)`, earliest first.
    timers: BinaryHeap<Reverse<(u64, u64, usize)>>,
    next_seq: u64,
    tasks: Vec<ModelTask>,
    stopping: bool,
    trace: Vec<String>,
}

impl Model {
    /// Runs `main` as `run_until_complete` does and returns the trace; tasks
    /// still pending when the loop stops are cancelled (they say nothing more).
    fn run(main: &[Op]) -> Run {
        let mut m = Model {
            now: 0,
            ready: VecDeque::new(),
            timers: BinaryHeap::new(),
            next_seq: 0,
            tasks: vec![],
            stopping: false,
            trace: vec![],
        };
        let mut iterations = 0;
        m.spawn(main.to_vec());
        loop {
            iterations += 1;
            // 1. Nothing ready: jump to the earliest timer.
            if m.ready.is_empty() {
                let Reverse((deadline, _, _)) = *m.timers.peek().expect("model: deadlock");
                m.now = m.now.max(deadline);
            }
            // 2. Due timers to the tail, earliest (deadline, seq) first.
            while let Some(&Reverse((deadline, _, task))) = m.timers.peek() {
                if deadline > m.now {
                    break;
                }
                m.timers.pop();
                m.ready.push_back(Handle::Timer(task));
            }
            // 3. Exactly the handles queued now, FIFO.
            for _ in 0..m.ready.len() {
                match m.ready.pop_front().expect("counted") {
                    Handle::Step(task) => m.step(task),
                    Handle::Timer(task) => m.ready.push_back(Handle::Step(task)),
                    Handle::Stop => m.stopping = true,
                }
            }
            if m.stopping {
                return Run { trace: m.trace, end_ms: m.now, iterations };
            }
        }
    }

    /// `create_task`: the first step is scheduled with `call_soon`.
    fn spawn(&mut self, ops: Vec<Op>) -> usize {
        self.tasks.push(ModelTask { ops, pc: 0, children: vec![], done: false, awaiter: None });
        let task = self.tasks.len() - 1;
        self.ready.push_back(Handle::Step(task));
        task
    }

    /// One `Task.__step`: run ops until one pauses or the task finishes.
    fn step(&mut self, task: usize) {
        loop {
            let t = &mut self.tasks[task];
            let Some(op) = t.ops.get(t.pc).cloned() else { break };
            t.pc += 1;
            match op {
                Op::Say(text) => self.trace.push(stamp(self.now, &text)),
                // `sleep(0)` is a bare `yield`: the step is re-queued at the tail.
                Op::Yield | Op::SleepMs(0) => {
                    self.ready.push_back(Handle::Step(task));
                    return;
                }
                Op::SleepMs(ms) => {
                    self.timers.push(Reverse((self.now + ms, self.next_seq, task)));
                    self.next_seq += 1;
                    return;
                }
                Op::Spawn(_, ops) => {
                    let child = self.spawn(ops);
                    self.tasks[task].children.push(child);
                }
                Op::Await(n) => {
                    let child = self.tasks[task].children[n];
                    // A finished child's result is there: no pause at all.
                    if !self.tasks[child].done {
                        self.tasks[child].awaiter = Some(task);
                        return;
                    }
                }
                // Gather, promises and cancellation are modelled by
                // `stage5_6_scheduler_props.rs`; this file never generates them.
                other => unreachable!("not a stage-4 op: {other:?}"),
            }
        }
        // Finished: done-callbacks are scheduled with call_soon, in the order
        // they were added (main's stop callback was added before it ran).
        self.tasks[task].done = true;
        if task == 0 {
            self.ready.push_back(Handle::Stop);
        }
        if let Some(awaiter) = self.tasks[task].awaiter {
            self.ready.push_back(Handle::Step(awaiter));
        }
    }
}

// ---------------------------------------------------------------------------
// rondo
// ---------------------------------------------------------------------------

fn run_rondo(main: &[Op]) -> Run {
    let out = Transcript::new();
    let ev = EventLoop::new_virtual();
    ev.run_until_complete(Script::new(&out, main.to_vec())).expect("the program completes");
    let end = ev.now();
    assert_eq!(end.subsec_nanos() % 1_000_000, 0, "virtual time is whole milliseconds");
    assert!((ev.time() - end.as_secs_f64()).abs() < 1e-9);
    let iterations = ev.iterations();
    assert!(ev.take_unobserved_failures().is_empty(), "no task of these programs fails");
    assert!(ev.callback_panics().is_empty(), "no callback panics");
    ev.cancel_all(); // what `run` does: the pending tasks are dropped
    Run { trace: out.stamped(), end_ms: end.as_millis() as u64, iterations }
}

// ---------------------------------------------------------------------------
// Trace properties (on rondo's trace)
// ---------------------------------------------------------------------------

/// Property 2, and more: each task's lines appear in its program order, each
/// at most once (so no "start" or "end" twice); main and every task it awaits,
/// transitively, say "end" exactly once.
fn check_task_lines(main: &[Op], trace: &[String]) -> Result<(), TestCaseError> {
    let mut said: HashMap<&str, Vec<&str>> = HashMap::new();
    for line in trace {
        let text = text(line);
        let task = text.split(' ').next().unwrap_or_default();
        said.entry(task).or_default().push(text);
    }
    for (name, ops) in all_tasks(main) {
        let expected: Vec<&str> = ops
            .iter()
            .filter_map(|op| match op {
                Op::Say(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let got = said.remove(name.as_str()).unwrap_or_default();
        prop_assert!(
            expected.starts_with(&got),
            "{name}'s lines are not a prefix of its program's: {got:?} vs {expected:?}"
        );
    }
    prop_assert!(said.is_empty(), "lines from unknown tasks: {said:?}");
    for name in awaited_from_main(main) {
        let ends = trace.iter().filter(|l| text(l) == format!("{name} end")).count();
        prop_assert_eq!(ends, 1, "{} is awaited from main but said \"end\" {} times", name, ends);
    }
    Ok(())
}

/// Property 3, on any program: a task's children take their first step in
/// spawn order (each spawn queues the child's first step at the tail).
fn check_children_start_in_spawn_order(main: &[Op], trace: &[String]) -> Result<(), TestCaseError> {
    let position: HashMap<&str, usize> = trace.iter().enumerate().map(|(i, l)| (text(l), i)).collect();
    for (parent, ops) in all_tasks(main) {
        let starts: Vec<Option<usize>> = children(&ops)
            .iter()
            .map(|(child, _)| position.get(format!("{child} start").as_str()).copied())
            .collect();
        let started = starts.iter().take_while(|s| s.is_some()).count();
        prop_assert!(
            starts[started..].iter().all(Option::is_none),
            "{parent}: a later child started but an earlier one did not: {starts:?}"
        );
        prop_assert!(
            starts[..started].windows(2).all(|w| w[0] < w[1]),
            "{parent}'s children did not start in spawn order: {starts:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(300))]

    /// Property 1 (and 2, 3, 4 on the same programs): rondo prints exactly
    /// what the asyncio model prints, at the same virtual times, and stops at
    /// the same time after the same number of iterations.
    #[test]
    fn rondo_matches_the_asyncio_model(gens in gen_main(), await_all in any::<bool>()) {
        let main = build(&gens, await_all);
        let rondo = run_rondo(&main);
        let model = Model::run(&main);
        prop_assert_eq!(&rondo, &model, "program: {}", render(&main));
        check_task_lines(&main, &rondo.trace)?;
        check_children_start_in_spawn_order(&main, &rondo.trace)?;
        // Timers fire exactly at their deadlines, so even with tasks left
        // unawaited, main ends at its own critical path.
        prop_assert_eq!(rondo.end_ms, critical_path(&main, 0), "program: {}", render(&main));
    }
}

/// Main spawns one task per entry of `yields` in one step, then awaits them
/// all; task k says "Tk start", yields `yields[k]` times (saying "Tk y<j>"
/// after the j-th), sleeps `ms` and says "Tk wake".
fn fifo_program(yields: &[usize], ms: u64) -> Vec<Op> {
    let mut main = vec![say("main start")];
    for (k, &y) in yields.iter().enumerate() {
        let mut ops = vec![say(&format!("T{k} start"))];
        for j in 1..=y {
            ops.extend([Op::Yield, say(&format!("T{k} y{j}"))]);
        }
        ops.extend([Op::SleepMs(ms), say(&format!("T{k} wake"))]);
        main.push(spawn_op(&format!("T{k}"), ops));
    }
    main.extend((0..yields.len()).map(Op::Await));
    main.push(say("main end"));
    main
}

proptest! {
    #![proptest_config(config(200))]

    /// Property 4: when every task awaits all its children, the loop's final
    /// time is the longest chain of sleeps along the await tree, and every
    /// task said "end" exactly once.
    #[test]
    fn final_time_is_the_critical_path_when_all_is_awaited(gens in gen_main()) {
        let main = build(&gens, true);
        let rondo = run_rondo(&main);
        prop_assert_eq!(rondo.end_ms, critical_path(&main, 0), "program: {}", render(&main));
        for (name, _) in all_tasks(&main) {
            let ends = rondo.trace.iter().filter(|l| text(l) == format!("{name} end")).count();
            prop_assert_eq!(ends, 1, "{} said \"end\" {} times; program: {}", name, ends, render(&main));
        }
        prop_assert_eq!(rondo.trace.last().map(|l| text(l)), Some("main end"));
    }

    /// Property 3, directly, on `fifo_program`:
    /// - the tasks start in spawn order, right after main's first step;
    /// - the j-th post-yield lines come in rounds: by j, then by spawn order;
    /// - all sleeps end at `ms`, and the tasks wake in the order they started
    ///   sleeping: by number of yields, then spawn order (equal deadlines
    ///   fire FIFO).
    #[test]
    fn tasks_ready_in_the_same_iteration_run_fifo(
        yields in prop::collection::vec(0..4usize, 1..10),
        ms in 1..=3000u64,
    ) {
        let n = yields.len();
        let trace = run_rondo(&fifo_program(&yields, ms)).trace;
        let starts: Vec<String> = (0..n).map(|k| format!("0.000 T{k} start")).collect();
        prop_assert_eq!(&trace[1..=n], &starts[..]);

        let mut by_round: Vec<(usize, usize)> =
            yields.iter().enumerate().flat_map(|(k, &y)| (1..=y).map(move |j| (j, k))).collect();
        by_round.sort();
        let expected: Vec<String> = by_round.iter().map(|(j, k)| format!("0.000 T{k} y{j}")).collect();
        let got: Vec<String> = trace.iter().filter(|l| l.contains(" y")).cloned().collect();
        prop_assert_eq!(got, expected);

        let mut wake_order: Vec<usize> = (0..n).collect();
        wake_order.sort_by_key(|&k| (yields[k], k));
        let expected: Vec<String> = wake_order.iter().map(|k| stamp(ms, &format!("T{k} wake"))).collect();
        let got: Vec<String> = trace.iter().filter(|l| l.ends_with(" wake")).cloned().collect();
        prop_assert_eq!(got, expected);
    }
}

// ---------------------------------------------------------------------------
// The model against CPython
// ---------------------------------------------------------------------------

/// The programs of `stage4_iteration_rules.rs` and their traces, which were
/// checked on CPython.
fn cpython_checked_cases() -> Vec<(Vec<Op>, Vec<&'static str>)> {
    vec![
        (
            vec![
                spawn_op("child", vec![say("child runs")]),
                say("main after spawn"),
                Op::Yield,
                say("main after yield"),
            ],
            vec!["0.000 main after spawn", "0.000 child runs", "0.000 main after yield"],
        ),
        (
            vec![
                spawn_op("A", vec![say("A done")]),
                spawn_op("B", vec![say("B step 1"), Op::Yield, say("B step 2"), Op::Yield, say("B step 3")]),
                Op::Await(0),
                say("main resumed"),
                Op::Await(1),
            ],
            vec!["0.000 A done", "0.000 B step 1", "0.000 main resumed", "0.000 B step 2", "0.000 B step 3"],
        ),
        (
            vec![
                spawn_op("C", vec![Op::Yield, say("C between"), Op::Yield, say("C later")]),
                spawn_op("T", vec![say("T finishes")]),
                Op::Await(1),
                say("awaiter resumes"),
                Op::Await(0),
            ],
            vec!["0.000 T finishes", "0.000 C between", "0.000 awaiter resumes", "0.000 C later"],
        ),
        (
            vec![
                spawn_op("S", vec![Op::SleepMs(1000), say("S woke")]),
                spawn_op("Y", vec![Op::SleepMs(1000), say("Y1"), Op::Yield, say("Y2")]),
                Op::Await(0),
                Op::Await(1),
            ],
            vec!["1.000 S woke", "1.000 Y1", "1.000 Y2"],
        ),
        (
            vec![
                say("I am Main"),
                spawn_op("foo", vec![say("I am foo"), Op::SleepMs(2000), say("foo never gets here")]),
                say("finished"),
            ],
            vec!["0.000 I am Main", "0.000 finished", "0.000 I am foo"],
        ),
        (
            // main finishes first in its iteration; B re-queues itself behind
            // the stop handle, and still runs, in the stop iteration ("B 3").
            vec![
                spawn_op("A", vec![say("A done")]),
                spawn_op("B", vec![say("B 1"), Op::Yield, say("B 2"), Op::Yield, say("B 3")]),
                Op::Await(0),
                say("main end"),
            ],
            vec!["0.000 A done", "0.000 B 1", "0.000 main end", "0.000 B 2", "0.000 B 3"],
        ),
    ]
}

/// The model reproduces traces checked on CPython.
#[test]
fn the_model_reproduces_traces_checked_on_cpython() {
    for (program, expected) in cpython_checked_cases() {
        assert_eq!(Model::run(&program).trace, expected, "program: {}", render(&program));
    }
}

/// `say` and `run` (asyncio.run) for the shared virtual-clock loop, `VIRTUAL_LOOP_PY`.
const PYTHON_PRELUDE: &str = r##"
def say(text):
    print("%d.%03d %s" % (CLOCK[0] // 1000, CLOCK[0] % 1000, text))

def run(main):
    # asyncio.run(main()), on the virtual loop.
    CLOCK[0] = ITERATIONS[0] = 0
    loop = VirtualLoop()
    try:
        loop.run_until_complete(main())
        end, iterations = CLOCK[0], ITERATIONS[0]
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    finally:
        loop.close()
    print("#end %d %d" % (end, iterations))

"##;

/// The model (and so rondo, by property 1) agrees with real CPython asyncio,
/// run on a virtual clock, on a fixed sample of generated programs.
#[test]
fn the_model_matches_cpython_asyncio() {
    // A fixed seed: the same programs every run.
    let mut runner = TestRunner::deterministic();
    let mut programs: Vec<Vec<Op>> =
        cpython_checked_cases().into_iter().map(|(program, _)| program).collect();
    programs.push(fifo_program(&[2, 0, 1, 0, 3, 1], 1000));
    for i in 0..60 {
        let gens = gen_main().new_tree(&mut runner).expect("a program").current();
        programs.push(build(&gens, i % 4 == 0));
    }
    let Some(runs) = run_on_cpython(PYTHON_PRELUDE, &programs) else {
        common::python3::python3_missing("the_model_matches_cpython_asyncio");
        return;
    };
    assert_all_match_cpython(
        &programs,
        runs,
        |main| Model::run(main),
        |main| run_rondo(main),
        |main| render(main),
    );
}
