//! Test helpers shared by the scenario tests and property tests.
//!
//! `Script` is a coroutine interpreted from a list of operations, so a test
//! can describe a program ("say A, sleep 1 s, spawn a child, await it") as
//! data — and a proptest can generate thousands of such programs. One op
//! type serves every stage: the stage-4 tests write programs from its first
//! five ops (say, sleep, yield, spawn, await), the stage 5–6 tests add
//! gather, promises and cancellation. One interpreter runs them all, so both
//! proptest files check rondo through the very same coroutine.

#![allow(dead_code)] // each test file uses a different part of it

pub mod async_script;
pub mod cpython;
pub mod python3;

use proptest::prelude::*;
use rondo::{Context, Coroutine, Poll, Sleep, Task, TaskError, Transcript, sleep, spawn_named, yield_now};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::Duration;

/// One operation of a scripted coroutine.
#[derive(Clone, Debug)]
pub enum Op {
    // Stage 4: what `stage4_scheduler_props.rs` and the scenario tests use.
    /// Say a line into the transcript.
    Say(String),
    /// `sleep(millis)`; 0 behaves as `sleep(0)`: one pass through the ready queue.
    SleepMs(u64),
    /// `yield_now()`.
    Yield,
    /// Spawn a named child task running these ops; its handle is kept.
    Spawn(String, Vec<Op>),
    /// Await the n-th child spawned by this script; panics if it failed.
    Await(usize),

    // Stages 5–6: added by `stage5_6_scheduler_props.rs`.
    /// Await the n-th child; if it was cancelled, say the line and go on
    /// (Python: `except CancelledError`, re-raised only if this task is itself
    /// being cancelled — and then rondo never polls it again anyway).
    AwaitOrCancelled(usize, String),
    /// Cancel the n-th child (`task.cancel()`), without pausing. Nothing
    /// happens if it has finished (or has been awaited).
    Cancel(usize),
    /// `await gather(children)`: each child becomes a task, in order. (The
    /// names are for readers: `rondo::gather` spawns unnamed tasks.)
    Gather(Vec<(String, Vec<Op>)>),
    /// Make promise `k`, shared by every script of the program.
    NewPromise(usize),
    /// `set_result(())` on promise `k`.
    SetPromise(usize),
    /// Await promise `k`; panics if it failed.
    AwaitPromise(usize),
    /// From here on, say this line if the task ends by cancellation (its
    /// coroutine is dropped before it completed; Python: `try: ... except
    /// CancelledError: say(line); raise`).
    OnCancel(String),
}

pub fn say(text: &str) -> Op {
    Op::Say(text.to_string())
}

pub fn spawn_op(name: &str, ops: Vec<Op>) -> Op {
    Op::Spawn(name.to_string(), ops)
}

/// The promises of one program, by number.
type Promises = std::rc::Rc<std::cell::RefCell<std::collections::HashMap<usize, rondo::Promise<()>>>>;

enum Waiting {
    Sleep(Sleep),
    Yield(rondo::stage2_coroutine::YieldNow),
    /// The child, and the line to say if it was cancelled (`None`: panic).
    Child(Task<()>, Option<String>),
    Gather(rondo::stage5_combinators::Gather<()>),
    Promise(rondo::stage5_combinators::PromiseWait<()>),
}

/// A coroutine that performs its [`Op`]s in order.
pub struct Script {
    out: Transcript,
    ops: VecDeque<Op>,
    children: Vec<Option<Task<()>>>,
    waiting: Option<Waiting>,
    promises: Promises,
    /// Said by `Drop` if the script is dropped before it completed.
    on_cancel: Option<String>,
    done: bool,
}

impl Script {
    pub fn new(out: &Transcript, ops: Vec<Op>) -> Script {
        Script::sharing(out, ops, Promises::default())
    }

    /// A script of the same program: it sees the same promises.
    fn sharing(out: &Transcript, ops: Vec<Op>, promises: Promises) -> Script {
        Script {
            out: out.clone(),
            ops: ops.into(),
            children: vec![],
            waiting: None,
            promises,
            on_cancel: None,
            done: false,
        }
    }

    fn promise(&self, k: usize) -> rondo::Promise<()> {
        self.promises.borrow().get(&k).cloned().unwrap_or_else(|| panic!("promise {k} was never made"))
    }
}

impl Coroutine for Script {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        assert!(!self.done, "Script polled after it completed");
        loop {
            if let Some(waiting) = &mut self.waiting {
                let ready = match waiting {
                    Waiting::Sleep(s) => s.poll(cx).is_ready(),
                    Waiting::Yield(y) => y.poll(cx).is_ready(),
                    Waiting::Child(t, if_cancelled) => match t.poll(cx) {
                        Poll::Ready(Ok(())) => true,
                        Poll::Ready(Err(TaskError::Cancelled)) if if_cancelled.is_some() => {
                            self.out.say(if_cancelled.take().expect("checked"));
                            true
                        }
                        Poll::Ready(Err(e)) => panic!("awaited child failed: {e}"),
                        Poll::Pending => false,
                    },
                    Waiting::Gather(g) => match g.poll(cx) {
                        Poll::Ready(Ok(_)) => true,
                        Poll::Ready(Err(e)) => panic!("gather failed: {e}"),
                        Poll::Pending => false,
                    },
                    Waiting::Promise(p) => match p.poll(cx) {
                        Poll::Ready(Ok(())) => true,
                        Poll::Ready(Err(e)) => panic!("awaited promise failed: {e}"),
                        Poll::Pending => false,
                    },
                };
                if !ready {
                    return Poll::Pending;
                }
                self.waiting = None;
            }
            match self.ops.pop_front() {
                None => {
                    self.done = true;
                    return Poll::Ready(());
                }
                Some(Op::Say(text)) => self.out.say(text),
                Some(Op::SleepMs(ms)) => {
                    self.waiting = Some(Waiting::Sleep(sleep(Duration::from_millis(ms))))
                }
                Some(Op::Yield) => self.waiting = Some(Waiting::Yield(yield_now())),
                Some(Op::Spawn(name, ops)) => {
                    let script = Script::sharing(&self.out, ops, self.promises.clone());
                    self.children.push(Some(spawn_named(&name, script)));
                }
                Some(Op::Await(n)) => {
                    let child =
                        self.children.get_mut(n).and_then(Option::take).expect("await of a spawned child");
                    self.waiting = Some(Waiting::Child(child, None));
                }
                Some(Op::AwaitOrCancelled(n, text)) => {
                    let child =
                        self.children.get_mut(n).and_then(Option::take).expect("await of a spawned child");
                    self.waiting = Some(Waiting::Child(child, Some(text)));
                }
                Some(Op::Cancel(n)) => {
                    let child = self.children.get(n).expect("cancel of a spawned child");
                    if let Some(task) = child {
                        task.cancel();
                    }
                }
                Some(Op::Gather(children)) => {
                    let scripts: Vec<Script> = children
                        .into_iter()
                        .map(|(_, ops)| Script::sharing(&self.out, ops, self.promises.clone()))
                        .collect();
                    self.waiting = Some(Waiting::Gather(rondo::gather(scripts)));
                }
                Some(Op::NewPromise(k)) => {
                    let old = self.promises.borrow_mut().insert(k, rondo::Promise::new());
                    assert!(old.is_none(), "promise {k} made twice");
                }
                Some(Op::SetPromise(k)) => self.promise(k).set_result(()),
                Some(Op::AwaitPromise(k)) => self.waiting = Some(Waiting::Promise(self.promise(k).wait())),
                Some(Op::OnCancel(text)) => self.on_cancel = Some(text),
            }
        }
    }
}

impl Drop for Script {
    /// Dropped before it completed: the task was cancelled (`finally:`).
    fn drop(&mut self) {
        if !self.done
            && let Some(text) = self.on_cancel.take()
        {
            self.out.say(text);
        }
    }
}

/// Unwraps a task's result in tests.
pub fn ok<T>(result: Result<T, TaskError>) -> T {
    result.expect("task failed")
}

// ---------------------------------------------------------------------------
// What both proptest files do alike with programs
// ---------------------------------------------------------------------------

/// A compact, readable form of a program, for failure messages.
pub fn render(ops: &[Op]) -> String {
    let mut s = String::from("[");
    for (i, op) in ops.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        match op {
            Op::Say(text) => write!(s, "say {text:?}").unwrap(),
            Op::SleepMs(ms) => write!(s, "sleep {ms}").unwrap(),
            Op::Yield => s.push_str("yield"),
            Op::Spawn(name, child) => write!(s, "spawn {name} {}", render(child)).unwrap(),
            Op::Await(n) => write!(s, "await {n}").unwrap(),
            Op::AwaitOrCancelled(n, _) => write!(s, "await-or-cancelled {n}").unwrap(),
            Op::Cancel(n) => write!(s, "cancel {n}").unwrap(),
            Op::Gather(children) => {
                s.push_str("gather(");
                for (i, (name, child)) in children.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    write!(s, "{name} {}", render(child)).unwrap();
                }
                s.push(')');
            }
            Op::NewPromise(k) => write!(s, "new-promise {k}").unwrap(),
            Op::SetPromise(k) => write!(s, "set {k}").unwrap(),
            Op::AwaitPromise(k) => write!(s, "await-promise {k}").unwrap(),
            Op::OnCancel(_) => s.push_str("on-cancel"),
        }
    }
    s.push(']');
    s
}

/// `(name, ops)` of every task of the program, main first, in the order of
/// the ops that make them (`Spawn`, and each child of a `Gather`).
pub fn all_tasks(main: &[Op]) -> Vec<(String, Vec<Op>)> {
    fn walk(name: &str, ops: &[Op], out: &mut Vec<(String, Vec<Op>)>) {
        out.push((name.to_string(), ops.to_vec()));
        for op in ops {
            match op {
                Op::Spawn(child, child_ops) => walk(child, child_ops, out),
                Op::Gather(children) => children.iter().for_each(|(c, ops)| walk(c, ops, out)),
                _ => {}
            }
        }
    }
    let mut out = vec![];
    walk("main", main, &mut out);
    out
}

/// Sleep durations in ms: many zeros (a pass through the ready queue) and
/// round values (equal deadlines, so timer ties are exercised), the rest anywhere.
pub fn sleep_ms() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => Just(0u64),
        3 => prop::sample::select(vec![250u64, 500, 1000, 3000]),
        2 => 0..=3000u64,
    ]
}

/// A proptest config of `cases` cases.
pub fn config(cases: u32) -> ProptestConfig {
    // `RONDO_PROPTEST_SCALE=100` runs a hundred times as many cases (a long
    // run by hand; `cargo test` keeps the default, 1).
    let scale = std::env::var("RONDO_PROPTEST_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    // No regression files: failures print the program (`render`) instead.
    ProptestConfig { cases: cases * scale, failure_persistence: None, ..ProptestConfig::default() }
}
