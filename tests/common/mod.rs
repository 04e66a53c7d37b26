//! Test helpers shared by the scenario tests and property tests.
//!
//! `Script` is a coroutine interpreted from a list of operations, so a test
//! can describe a program ("say A, sleep 1 s, spawn a child, await it") as
//! data — and a proptest can generate thousands of such programs.

#![allow(dead_code)] // each test file uses a different part of it

pub mod cpython;

use rondo::{Context, Coroutine, Poll, Sleep, Task, TaskError, Transcript, sleep, spawn_named, yield_now};
use std::collections::VecDeque;
use std::time::Duration;

/// One operation of a scripted coroutine.
#[derive(Clone, Debug)]
pub enum Op {
    /// Say a line into the transcript.
    Say(String),
    /// `sleep(millis)`; 0 behaves as `sleep(0)`: one pass through the ready queue.
    SleepMs(u64),
    /// `yield_now()`.
    Yield,
    /// Spawn a named child task running these ops; its handle is kept.
    Spawn(String, Vec<Op>),
    /// Await the n-th child spawned by this script.
    Await(usize),
}

pub fn say(text: &str) -> Op {
    Op::Say(text.to_string())
}

pub fn spawn_op(name: &str, ops: Vec<Op>) -> Op {
    Op::Spawn(name.to_string(), ops)
}

enum Waiting {
    Sleep(Sleep),
    Yield(rondo::stage2_coroutine::YieldNow),
    Child(Task<()>),
}

/// A coroutine that performs its ops in order.
pub struct Script {
    out: Transcript,
    ops: VecDeque<Op>,
    children: Vec<Option<Task<()>>>,
    waiting: Option<Waiting>,
    done: bool,
}

impl Script {
    pub fn new(out: &Transcript, ops: Vec<Op>) -> Script {
        Script { out: out.clone(), ops: ops.into(), children: vec![], waiting: None, done: false }
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
                    Waiting::Child(t) => match t.poll(cx) {
                        Poll::Ready(Ok(())) => true,
                        Poll::Ready(Err(e)) => panic!("awaited child failed: {e}"),
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
                    let child = spawn_named(&name, Script::new(&self.out, ops));
                    self.children.push(Some(child));
                }
                Some(Op::Await(n)) => {
                    let child =
                        self.children.get_mut(n).and_then(Option::take).expect("await of a spawned child");
                    self.waiting = Some(Waiting::Child(child));
                }
            }
        }
    }
}

/// Unwraps a task's result in tests.
pub fn ok<T>(result: Result<T, TaskError>) -> T {
    result.expect("task failed")
}

// ---------------------------------------------------------------------------
// Stages 5–6: gather, promises and cancellation
// ---------------------------------------------------------------------------
//
// A separate enum rather than new `Op` variants: the stage-4 tests `match` on
// `Op` exhaustively, so a new variant would stop them compiling.

/// One operation of an [`XScript`]: [`Op`]'s, plus gather, promises and cancellation.
#[derive(Clone, Debug)]
pub enum XOp {
    /// Say a line into the transcript.
    Say(String),
    /// `sleep(millis)`; 0 behaves as `sleep(0)`.
    SleepMs(u64),
    /// `yield_now()`.
    Yield,
    /// Spawn a named child task running these ops; its handle is kept.
    Spawn(String, Vec<XOp>),
    /// Await the n-th child spawned by this script; panics if it failed.
    Await(usize),
    /// Await the n-th child; if it was cancelled, say the line and go on
    /// (Python: `except CancelledError`, re-raised only if this task is itself
    /// being cancelled — and then rondo never polls it again anyway).
    AwaitOrCancelled(usize, String),
    /// Cancel the n-th child (`task.cancel()`), without pausing. Nothing
    /// happens if it has finished (or has been awaited).
    Cancel(usize),
    /// `await gather(children)`: each child becomes a task, in order. (The
    /// names are for readers: `rondo::gather` spawns unnamed tasks.)
    Gather(Vec<(String, Vec<XOp>)>),
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

/// The promises of one program, by number.
type Promises = std::rc::Rc<std::cell::RefCell<std::collections::HashMap<usize, rondo::Promise<()>>>>;

enum XWaiting {
    Sleep(Sleep),
    Yield(rondo::stage2_coroutine::YieldNow),
    /// The child, and the line to say if it was cancelled (`None`: panic).
    Child(Task<()>, Option<String>),
    Gather(rondo::stage5_combinators::Gather<()>),
    Promise(rondo::stage5_combinators::PromiseWait<()>),
}

/// A coroutine that performs its [`XOp`]s in order.
pub struct XScript {
    out: Transcript,
    ops: VecDeque<XOp>,
    children: Vec<Option<Task<()>>>,
    waiting: Option<XWaiting>,
    promises: Promises,
    /// Said by `Drop` if the script is dropped before it completed.
    on_cancel: Option<String>,
    done: bool,
}

impl XScript {
    pub fn new(out: &Transcript, ops: Vec<XOp>) -> XScript {
        XScript::sharing(out, ops, Promises::default())
    }

    /// A script of the same program: it sees the same promises.
    fn sharing(out: &Transcript, ops: Vec<XOp>, promises: Promises) -> XScript {
        XScript {
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

impl Coroutine for XScript {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        assert!(!self.done, "XScript polled after it completed");
        loop {
            if let Some(waiting) = &mut self.waiting {
                let ready = match waiting {
                    XWaiting::Sleep(s) => s.poll(cx).is_ready(),
                    XWaiting::Yield(y) => y.poll(cx).is_ready(),
                    XWaiting::Child(t, if_cancelled) => match t.poll(cx) {
                        Poll::Ready(Ok(())) => true,
                        Poll::Ready(Err(TaskError::Cancelled)) if if_cancelled.is_some() => {
                            self.out.say(if_cancelled.take().expect("checked"));
                            true
                        }
                        Poll::Ready(Err(e)) => panic!("awaited child failed: {e}"),
                        Poll::Pending => false,
                    },
                    XWaiting::Gather(g) => match g.poll(cx) {
                        Poll::Ready(Ok(_)) => true,
                        Poll::Ready(Err(e)) => panic!("gather failed: {e}"),
                        Poll::Pending => false,
                    },
                    XWaiting::Promise(p) => match p.poll(cx) {
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
                Some(XOp::Say(text)) => self.out.say(text),
                Some(XOp::SleepMs(ms)) => {
                    self.waiting = Some(XWaiting::Sleep(sleep(Duration::from_millis(ms))))
                }
                Some(XOp::Yield) => self.waiting = Some(XWaiting::Yield(yield_now())),
                Some(XOp::Spawn(name, ops)) => {
                    let script = XScript::sharing(&self.out, ops, self.promises.clone());
                    self.children.push(Some(spawn_named(&name, script)));
                }
                Some(XOp::Await(n)) => {
                    let child =
                        self.children.get_mut(n).and_then(Option::take).expect("await of a spawned child");
                    self.waiting = Some(XWaiting::Child(child, None));
                }
                Some(XOp::AwaitOrCancelled(n, text)) => {
                    let child =
                        self.children.get_mut(n).and_then(Option::take).expect("await of a spawned child");
                    self.waiting = Some(XWaiting::Child(child, Some(text)));
                }
                Some(XOp::Cancel(n)) => {
                    let child = self.children.get(n).expect("cancel of a spawned child");
                    if let Some(task) = child {
                        task.cancel();
                    }
                }
                Some(XOp::Gather(children)) => {
                    let scripts: Vec<XScript> = children
                        .into_iter()
                        .map(|(_, ops)| XScript::sharing(&self.out, ops, self.promises.clone()))
                        .collect();
                    self.waiting = Some(XWaiting::Gather(rondo::gather(scripts)));
                }
                Some(XOp::NewPromise(k)) => {
                    let old = self.promises.borrow_mut().insert(k, rondo::Promise::new());
                    assert!(old.is_none(), "promise {k} made twice");
                }
                Some(XOp::SetPromise(k)) => self.promise(k).set_result(()),
                Some(XOp::AwaitPromise(k)) => self.waiting = Some(XWaiting::Promise(self.promise(k).wait())),
                Some(XOp::OnCancel(text)) => self.on_cancel = Some(text),
            }
        }
    }
}

impl Drop for XScript {
    /// Dropped before it completed: the task was cancelled (`finally:`).
    fn drop(&mut self) {
        if !self.done
            && let Some(text) = self.on_cancel.take()
        {
            self.out.say(text);
        }
    }
}
