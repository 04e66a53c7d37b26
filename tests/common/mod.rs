//! Test helpers shared by the scenario tests and property tests.
//!
//! `Script` is a coroutine interpreted from a list of operations, so a test
//! can describe a program ("say A, sleep 1 s, spawn a child, await it") as
//! data — and a proptest can generate thousands of such programs.

#![allow(dead_code)] // each test file uses a different part of it

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
