//! `TaskGroup` and `timeout_at` against CPython on generated programs.
//!
//! Groups: a group of children
//! that nap and then succeed, fail or spawn a grandchild into the group; a
//! body that naps and then returns, fails or awaits a task of its own; and,
//! sometimes, the task running the group cancelled from outside. Each
//! program runs on rondo and, in one batch, on CPython's asyncio (a virtual
//! clock in integer milliseconds, equal deadlines FIFO: the prelude of
//! `common/cpython.rs`), and every line must agree — text, time and loop
//! iteration. Without `python3` the test warns that it compared nothing
//! (and fails under CI).
//!
//! Left out on purpose, the two places rondo differs (see `task_group.rs`):
//! - a group whose task is cancelled from outside *and* has failures ends
//!   cancelled in rondo, with its `ExceptionGroup` in asyncio: programs with
//!   a cancel have no failing child or body;
//! - a task cancelled when its next step is already queued (a timer of its
//!   body fired in the same iteration) ends at that step in rondo, before
//!   its children, where asyncio's task goes on to wait for them: naps are
//!   even numbers of milliseconds and a cancel comes at an odd one, so the
//!   two never meet.
//!
//! asyncio cancels the children in `set` order (by hash: arbitrary), rondo
//! in spawn order. That order shows — in which line comes first, and, when
//! the body awaits one of the children, in the iteration the group ends —
//! so the CPython side's `TaskGroup._abort` is patched to cancel in creation
//! order too, as `rondo_vclock.py` makes equal deadlines FIFO: a deviation
//! made on purpose, so that everything else is compared exactly.
//!
//! Timeouts: a deadline (or none), a body of naps after each of which it
//! may move the deadline — later, earlier, into the past, or to never — and
//! then, perhaps, await a task of its own.

mod common;

use common::python3::{python3_missing, python3_version};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use rondo::{
    BoxCoroutine, ChildTask, Coroutine, CoroutineExt, EventLoop, ExceptionGroup, TaskError, TaskGroup,
    TimeoutHandle, lazy, ready, sleep, spawn, task_group, timeout_at,
};
use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::rc::{Rc, Weak};
use std::time::Duration;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Succeeds,
    Fails,
    /// Spawns a grandchild into the group, which naps this long.
    Spawns(u64),
}

#[derive(Clone, Copy, Debug)]
enum Then {
    Returns,
    Fails,
    /// Spawns a task (not in the group) that naps this long, and awaits it.
    Awaits(u64),
    /// Awaits the handle of child number `.0` (if there is one).
    AwaitsChild(usize),
}

#[derive(Clone, Debug)]
struct Program {
    children: Vec<(u64, Kind)>,
    body_ms: u64,
    then: Then,
    cancel_at: Option<u64>,
}

/// Naps are even numbers of milliseconds, and a cancel comes at an odd
/// one: see the module's docs.
fn program() -> impl Strategy<Value = Program> {
    let even = || (1u64..12).prop_map(|n| 2 * n);
    let kind =
        prop_oneof![2 => Just(Kind::Succeeds), 2 => Just(Kind::Fails), 1 => even().prop_map(Kind::Spawns)];
    let then = prop_oneof![
        2 => Just(Then::Returns),
        1 => Just(Then::Fails),
        1 => even().prop_map(Then::Awaits),
        2 => (0usize..4).prop_map(Then::AwaitsChild),
    ];
    (
        proptest::collection::vec((even(), kind), 0..5),
        even(),
        then,
        proptest::option::of((0u64..20).prop_map(|n| 2 * n + 1)),
    )
        .prop_map(|(mut children, body_ms, mut then, cancel_at)| {
            if cancel_at.is_some() {
                // See the module's docs: no failures in a program with a cancel.
                for (_, kind) in &mut children {
                    if let Kind::Fails = kind {
                        *kind = Kind::Succeeds;
                    }
                }
                if let Then::Fails = then {
                    then = Then::Returns;
                }
            }
            if let Then::AwaitsChild(j) = then
                && j >= children.len()
            {
                then = Then::Returns;
            }
            Program { children, body_ms, then, cancel_at }
        })
}

// ---- the program on CPython ----

const PRELUDE: &str = r##"
import asyncio.taskgroups

def _abort_in_creation_order(self):
    # Stock asyncio cancels the children in the order of a set (by hash);
    # rondo, like this, in the order they were created ("Task-<n>").
    self._aborting = True
    for t in sorted(self._tasks, key=lambda t: int(t.get_name().rsplit("-", 1)[1])):
        if not t.done():
            t.cancel()

asyncio.taskgroups.TaskGroup._abort = _abort_in_creation_order

def say(text):
    print("%d #%d %s" % (CLOCK[0], ITERATIONS[0], text))

async def nap(ms, name):
    try:
        await asyncio.sleep(ms)
    except asyncio.CancelledError:
        say(name + " cancelled")
        raise

async def child(tg, j, ms, kind):
    name = "c%d" % j
    await nap(ms, name)
    if kind[0] == "fails":
        say(name + " fails")
        raise ValueError(name)
    say(name + " done")
    if kind[0] == "spawns":
        tg.create_task(grandchild(j, kind[1]))

async def grandchild(j, ms):
    await nap(ms, "g%d" % j)
    say("g%d done" % j)

async def w_task(ms):
    await nap(ms, "W")
    say("W done")

async def group(prog):
    try:
        async with asyncio.TaskGroup() as tg:
            ts = [tg.create_task(child(tg, j, ms, kind)) for j, (ms, kind) in enumerate(prog["children"])]
            try:
                await asyncio.sleep(prog["body_ms"])
                if prog["then"][0] == "awaits":
                    w = asyncio.create_task(w_task(prog["then"][1]))
                    await w
                if prog["then"][0] == "awaits child":
                    await ts[prog["then"][1]]
                    say("body got c%d" % prog["then"][1])
            except asyncio.CancelledError:
                say("body cancelled")
                raise
            if prog["then"][0] == "fails":
                say("body fails")
                raise ValueError("body")
            say("body done")
    except* Exception as eg:
        say("group failed: " + "; ".join(str(e) for e in eg.exceptions))
    else:
        say("group ok")

async def main(prog):
    t = asyncio.create_task(group(prog))
    if prog["cancel_at"] is not None:
        await asyncio.sleep(prog["cancel_at"])
        t.cancel()
        say("cancel sent")
    try:
        await t
    except asyncio.CancelledError:
        say("group task cancelled")

def run(prog):
    CLOCK[0] = 0
    ITERATIONS[0] = 0
    loop = VirtualLoop()
    try:
        loop.run_until_complete(main(prog))
    finally:
        loop.close()
    print("#end")
"##;

fn python_literal(p: &Program) -> String {
    let kind = |k: &Kind| match k {
        Kind::Succeeds => "(\"succeeds\",)".to_string(),
        Kind::Fails => "(\"fails\",)".to_string(),
        Kind::Spawns(ms) => format!("(\"spawns\", {ms})"),
    };
    let children: Vec<String> = p.children.iter().map(|(ms, k)| format!("({ms}, {})", kind(k))).collect();
    let then = match p.then {
        Then::Returns => "(\"returns\",)".to_string(),
        Then::Fails => "(\"fails\",)".to_string(),
        Then::Awaits(ms) => format!("(\"awaits\", {ms})"),
        Then::AwaitsChild(j) => format!("(\"awaits child\", {j})"),
    };
    let cancel = p.cancel_at.map_or("None".to_string(), |ms| ms.to_string());
    format!(
        "{{\"children\": [{}], \"body_ms\": {}, \"then\": {then}, \"cancel_at\": {cancel}}}",
        children.join(", "),
        p.body_ms
    )
}

/// Every program's trace on CPython, in order; `None` without python3.
fn on_cpython(programs: &[Program]) -> Option<Vec<Vec<String>>> {
    let mut py = format!("{}{PRELUDE}", common::cpython::VIRTUAL_LOOP_PY);
    writeln!(py, "for prog in [").unwrap();
    for p in programs {
        writeln!(py, "    {},", python_literal(p)).unwrap();
    }
    writeln!(py, "]:\n    run(prog)").unwrap();
    run_python(&py, programs.len())
}

/// Runs `py` on python3: each run's lines, up to its `#end`; `None` without python3.
fn run_python(py: &str, count: usize) -> Option<Vec<Vec<String>>> {
    let mut child = Command::new("python3")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take().unwrap().write_all(py.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && stderr.trim().is_empty(), "python3 failed:\n{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut runs = vec![vec![]];
    for line in stdout.lines() {
        if line == "#end" {
            runs.push(vec![]);
        } else {
            runs.last_mut().unwrap().push(line.to_string());
        }
    }
    runs.pop();
    assert_eq!(runs.len(), count);
    Some(runs)
}

// ---- the program on rondo ----

#[derive(Clone)]
struct Log {
    lines: Rc<RefCell<Vec<String>>>,
    ev: Weak<EventLoop>,
}

impl Log {
    fn say(&self, text: impl AsRef<str>) {
        let ev = self.ev.upgrade().unwrap();
        self.lines.borrow_mut().push(format!(
            "{} #{} {}",
            ev.now().as_millis(),
            ev.iterations(),
            text.as_ref()
        ));
    }
}

/// `except CancelledError: say(name + " cancelled")`, armed by the first
/// poll: a coroutine cancelled before it started says nothing, in Python too.
struct OnCancel(Log, String, Cell<bool>);
impl Drop for OnCancel {
    fn drop(&mut self) {
        if !self.2.get() {
            self.0.say(format!("{} cancelled", self.1));
        }
    }
}

/// `await nap(ms, name)`
fn nap(log: &Log, ms: u64, name: String) -> impl Coroutine<Output = ()> + use<> {
    let log = log.clone();
    lazy(move || OnCancel(log, name, Cell::new(false)))
        .then(move |guard| sleep(Duration::from_millis(ms)).map(move |()| guard.2.set(true)))
}

type Outcome = Result<(), String>;

fn child(tg: &TaskGroup<String>, log: &Log, j: usize, ms: u64, kind: Kind) -> BoxCoroutine<'static, Outcome> {
    let (tg, log) = (tg.clone(), log.clone());
    let name = format!("c{j}");
    nap(&log, ms, name.clone())
        .map(move |()| match kind {
            Kind::Fails => {
                log.say(format!("{name} fails"));
                Err(name)
            }
            Kind::Succeeds => {
                log.say(format!("{name} done"));
                Ok(())
            }
            Kind::Spawns(grand_ms) => {
                log.say(format!("{name} done"));
                let l = log.clone();
                tg.spawn(nap(&log, grand_ms, format!("g{j}")).map(move |()| {
                    l.say(format!("g{j} done"));
                    Ok(())
                }));
                Ok(())
            }
        })
        .boxed()
}

fn body(log: &Log, p: &Program, mut children: Vec<ChildTask<()>>) -> BoxCoroutine<'static, Outcome> {
    let (log, then, body_ms) = (log.clone(), p.then, p.body_ms);
    lazy(move || OnCancel(log, "body".into(), Cell::new(false)))
        .then(move |guard| {
            let awaited: BoxCoroutine<'static, ()> = match then {
                Then::Awaits(w_ms) => {
                    let l = guard.0.clone();
                    sleep(Duration::from_millis(body_ms))
                        .then(move |()| {
                            let l2 = l.clone();
                            spawn(nap(&l, w_ms, "W".into()).map(move |()| l2.say("W done")))
                        })
                        .map(|_| ())
                        .boxed()
                }
                Then::AwaitsChild(j) => {
                    let (l, awaited) = (guard.0.clone(), children.swap_remove(j));
                    drop(children); // the other handles: the group keeps their tasks
                    sleep(Duration::from_millis(body_ms))
                        .then(move |()| awaited)
                        .map(move |got| {
                            got.expect("an awaiting body is cancelled before a failure reaches it");
                            l.say(format!("body got c{j}"));
                        })
                        .boxed()
                }
                _ => sleep(Duration::from_millis(body_ms)).boxed(),
            };
            awaited.map(move |()| {
                guard.2.set(true);
                if let Then::Fails = then {
                    guard.0.say("body fails");
                    return Err("body".to_string());
                }
                guard.0.say("body done");
                Ok(())
            })
        })
        .boxed()
}

fn on_rondo(p: &Program) -> Vec<String> {
    let ev = Rc::new(EventLoop::new_virtual());
    let log = Log { lines: Rc::default(), ev: Rc::downgrade(&ev) };
    let (l, p2) = (log.clone(), p.clone());
    let group = task_group(move |tg: TaskGroup<String>| {
        let children =
            p2.children.iter().enumerate().map(|(j, &(ms, kind))| tg.spawn(child(&tg, &l, j, ms, kind)));
        body(&l, &p2, children.collect())
    });
    let l = log.clone();
    let group = group.map(move |ended: Result<(), ExceptionGroup<String>>| match ended {
        Ok(()) => l.say("group ok"),
        Err(group) => {
            let errors: Vec<String> = group.errors.iter().map(ToString::to_string).collect();
            l.say(format!("group failed: {}", errors.join("; ")));
        }
    });
    let (l, cancel_at) = (log.clone(), p.cancel_at);
    let main = lazy(move || spawn(group))
        .then(move |t| match cancel_at {
            Some(ms) => sleep(Duration::from_millis(ms)).map(move |()| t).boxed(),
            None => ready(t).boxed(),
        })
        .then(move |t| {
            if cancel_at.is_some() {
                t.cancel();
                l.say("cancel sent");
            }
            t.map(move |ended| {
                if ended == Err(TaskError::Cancelled) {
                    l.say("group task cancelled");
                }
            })
        });
    ev.run_until_complete(main).unwrap();
    assert!(ev.take_unobserved_failures().is_empty());
    log.lines.borrow().clone()
}

#[test]
fn generated_task_groups_print_what_cpython_prints() {
    let mut runner = TestRunner::deterministic();
    let programs: Vec<Program> =
        (0..400).map(|_| program().new_tree(&mut runner).unwrap().current()).collect();
    let Some(expected) = on_cpython(&programs) else {
        python3_missing("generated_task_groups_print_what_cpython_prints");
        return;
    };
    covers(
        &expected,
        &[
            "group failed: ",
            "; ",
            "group ok",
            "group task cancelled",
            "body cancelled",
            "W cancelled",
            "g0 done",
            "body got c",
        ],
    );
    let version = python3_version();
    for (p, python) in programs.iter().zip(expected) {
        assert_eq!(on_rondo(p), python, "rondo (left) vs CPython {version} (right); program: {p:?}");
    }
}

// ---- timeout_at ----

/// What a timeout's body does after each nap: keep the deadline, or move it.
#[derive(Clone, Copy, Debug)]
enum Move {
    Keep,
    Never,
    To(u64),
}

#[derive(Clone, Debug)]
struct Timed {
    when: Option<u64>,
    steps: Vec<(u64, Move)>,
    awaits: Option<u64>,
}

fn timed() -> impl Strategy<Value = Timed> {
    let step = (
        1u64..16,
        prop_oneof![2 => Just(Move::Keep), 1 => Just(Move::Never), 2 => (0u64..120).prop_map(Move::To)],
    );
    (
        proptest::option::weighted(0.9, 0u64..100),
        proptest::collection::vec(step, 0..4),
        proptest::option::of(1u64..40),
    )
        .prop_map(|(when, steps, awaits)| Timed { when, steps, awaits })
}

const TIMED_PRELUDE: &str = r##"
async def timed(prog):
    cm = asyncio.timeout_at(prog["when"])
    try:
        async with cm:
            try:
                for k, (ms, move) in enumerate(prog["steps"]):
                    await asyncio.sleep(ms)
                    say("step %d" % k)
                    if move != "keep":
                        cm.reschedule(None if move == "never" else move)
                if prog["awaits"] is not None:
                    w = asyncio.create_task(w_task(prog["awaits"]))
                    await w
            except asyncio.CancelledError:
                say("body cancelled")
                raise
        say("ok, expired=%s when=%s" % (cm.expired(), cm.when()))
    except TimeoutError:
        say("timed out, expired=%s when=%s" % (cm.expired(), cm.when()))

def run_timed(prog):
    CLOCK[0] = 0
    ITERATIONS[0] = 0
    loop = VirtualLoop()
    try:
        loop.run_until_complete(timed(prog))
    finally:
        loop.close()
    print("#end")
"##;

fn timed_literal(t: &Timed) -> String {
    let opt = |v: Option<u64>| v.map_or("None".to_string(), |v| v.to_string());
    let steps: Vec<String> = t
        .steps
        .iter()
        .map(|(ms, m)| match m {
            Move::Keep => format!("({ms}, \"keep\")"),
            Move::Never => format!("({ms}, \"never\")"),
            Move::To(when) => format!("({ms}, {when})"),
        })
        .collect();
    format!("{{\"when\": {}, \"steps\": [{}], \"awaits\": {}}}", opt(t.when), steps.join(", "), opt(t.awaits))
}

fn timed_on_rondo(t: &Timed) -> Vec<String> {
    let ev = Rc::new(EventLoop::new_virtual());
    let log = Log { lines: Rc::default(), ev: Rc::downgrade(&ev) };
    let (l, t2) = (log.clone(), t.clone());
    let run = timeout_at(t.when.map(Duration::from_millis), move |cm: TimeoutHandle| {
        let guard = OnCancel(l.clone(), "body".into(), Cell::new(false));
        let mut body: BoxCoroutine<'static, ()> = ready(()).boxed();
        for (k, &(ms, movement)) in t2.steps.iter().enumerate() {
            let (l, cm) = (l.clone(), cm.clone());
            body = body
                .then(move |()| sleep(Duration::from_millis(ms)))
                .map(move |()| {
                    l.say(format!("step {k}"));
                    match movement {
                        Move::Keep => {}
                        Move::Never => cm.reschedule(None),
                        Move::To(when) => cm.reschedule(Duration::from_millis(when)),
                    }
                })
                .boxed();
        }
        if let Some(w_ms) = t2.awaits {
            let l = l.clone();
            body = body
                .then(move |()| {
                    let l2 = l.clone();
                    spawn(nap(&l, w_ms, "W".into()).map(move |()| l2.say("W done")))
                })
                .map(|_| ())
                .boxed();
        }
        body.map(move |()| guard.2.set(true))
    });
    let cm = run.handle();
    let l = log.clone();
    let main = run.map(move |ended| {
        let expired = if cm.expired() { "True" } else { "False" };
        let when = cm.when().map_or("None".to_string(), |w| w.as_millis().to_string());
        let how = if ended.is_ok() { "ok" } else { "timed out" };
        l.say(format!("{how}, expired={expired} when={when}"));
    });
    ev.run_until_complete(main).unwrap();
    log.lines.borrow().clone()
}

#[test]
fn generated_timeouts_print_what_cpython_prints() {
    let mut runner = TestRunner::deterministic();
    let programs: Vec<Timed> = (0..400).map(|_| timed().new_tree(&mut runner).unwrap().current()).collect();
    let mut py = format!("{}{PRELUDE}{TIMED_PRELUDE}", common::cpython::VIRTUAL_LOOP_PY);
    writeln!(py, "for prog in [").unwrap();
    for t in &programs {
        writeln!(py, "    {},", timed_literal(t)).unwrap();
    }
    writeln!(py, "]:\n    run_timed(prog)").unwrap();
    let Some(expected) = run_python(&py, programs.len()) else {
        python3_missing("generated_timeouts_print_what_cpython_prints");
        return;
    };
    covers(&expected, &["timed out", "ok, expired=False", "W cancelled", "when=None", "step 2"]);
    let version = python3_version();
    for (t, python) in programs.iter().zip(expected) {
        assert_eq!(timed_on_rondo(t), python, "rondo (left) vs CPython {version} (right); program: {t:?}");
    }
}

/// The batch is not trivial: each of `cases` is said in some run.
fn covers(runs: &[Vec<String>], cases: &[&str]) {
    for case in cases {
        assert!(runs.iter().flatten().any(|line| line.contains(case)), "no generated program says {case:?}");
    }
}
