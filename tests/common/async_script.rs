//! [`Script`](super::Script)'s interpreter as an `async fn` (stage 9): the
//! same [`Op`]s, each an `.await` where `Script` keeps a `Waiting` state. A
//! program run both ways must print the same lines at the same virtual times
//! in the same loop iterations — the bridge adds no hop and loses no wake.

use super::{Op, Promises};
use rondo::{FromFuture, Task, TaskError, Transcript, from_future, gather, sleep, spawn_named, yield_now};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// One task's future: boxed, because a script spawns scripts (an `async fn`
/// cannot contain its own type).
pub type AsyncScript = FromFuture<Pin<Box<dyn Future<Output = ()>>>>;

/// The `async` form of `Script::new(out, ops)`.
pub fn async_script(out: &Transcript, ops: Vec<Op>) -> AsyncScript {
    sharing(out.clone(), ops, Promises::default())
}

fn sharing(out: Transcript, ops: Vec<Op>, promises: Promises) -> AsyncScript {
    from_future(Box::pin(perform(out, ops, promises)))
}

/// Says its line when dropped while armed: the `try: … except
/// CancelledError: say(line); raise` of `Op::OnCancel`.
struct OnCancel {
    out: Transcript,
    line: Option<String>,
}

impl Drop for OnCancel {
    fn drop(&mut self) {
        if let Some(line) = self.line.take() {
            self.out.say(line);
        }
    }
}

async fn perform(out: Transcript, ops: Vec<Op>, promises: Promises) {
    let promise =
        |k: usize| promises.borrow().get(&k).cloned().unwrap_or_else(|| panic!("promise {k} was never made"));
    let mut children: Vec<Option<Task<()>>> = vec![];
    // Declared after `children`, so dropped before them, as `Script`'s
    // `Drop` says its line before its fields go.
    let mut on_cancel = OnCancel { out: out.clone(), line: None };
    for op in ops {
        match op {
            Op::Say(text) => out.say(text),
            Op::SleepMs(ms) => sleep(Duration::from_millis(ms)).await,
            Op::Yield => yield_now().await,
            Op::Spawn(name, ops) => {
                children.push(Some(spawn_named(&name, sharing(out.clone(), ops, promises.clone()))))
            }
            Op::Await(n) => {
                let child = children.get_mut(n).and_then(Option::take).expect("await of a spawned child");
                if let Err(e) = child.await {
                    panic!("awaited child failed: {e}");
                }
            }
            Op::AwaitOrCancelled(n, text) => {
                let child = children.get_mut(n).and_then(Option::take).expect("await of a spawned child");
                match child.await {
                    Ok(()) => {}
                    Err(TaskError::Cancelled) => out.say(text),
                    Err(e) => panic!("awaited child failed: {e}"),
                }
            }
            Op::Cancel(n) => {
                if let Some(task) = children.get(n).expect("cancel of a spawned child") {
                    task.cancel();
                }
            }
            Op::Gather(scripts) => {
                let scripts: Vec<AsyncScript> =
                    scripts.into_iter().map(|(_, ops)| sharing(out.clone(), ops, promises.clone())).collect();
                if let Err(e) = gather(scripts).await {
                    panic!("gather failed: {e}");
                }
            }
            Op::NewPromise(k) => {
                let old = promises.borrow_mut().insert(k, rondo::Promise::new());
                assert!(old.is_none(), "promise {k} made twice");
            }
            Op::SetPromise(k) => promise(k).set_result(()),
            Op::AwaitPromise(k) => {
                if let Err(e) = promise(k).wait().await {
                    panic!("awaited promise failed: {e}");
                }
            }
            Op::OnCancel(text) => on_cancel.line = Some(text),
        }
    }
    on_cancel.line = None; // completed: no clean-up line
}
