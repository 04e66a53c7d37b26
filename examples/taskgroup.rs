//! # taskgroup — structured concurrency: one child fails, the group cancels the rest and reports it
//!
//! ```python
//! async def a():
//!     await asyncio.sleep(1)
//!     print("A done")
//!
//! async def b():
//!     await asyncio.sleep(1.5)
//!     raise ValueError("B failed")
//!
//! async def c():
//!     try:
//!         await asyncio.sleep(3)
//!         print("C done")
//!     except asyncio.CancelledError:
//!         print("C cancelled")
//!         raise
//!
//! async def main():
//!     try:
//!         async with asyncio.TaskGroup() as tg:
//!             tg.create_task(a())
//!             tg.create_task(b())
//!             tg.create_task(c())
//!             print("body done")
//!     except* ValueError as group:
//!         print("group failed:", "; ".join(str(e) for e in group.exceptions))
//!
//! asyncio.run(main())
//! ```
//!
//! **Watch for:** the body ends at once (`body done` at 0.000) but the group
//! does not: it waits for its children. A finishes at 1 s. B fails at 1.5 s;
//! one iteration later the group's done-callback sees the failure and
//! cancels C — whose clean-up runs at 1.500, not at 3 — and the group ends
//! with every failure collected (here just B's). `gather` would have
//! returned B's error and left C running.
//!
//! In rondo a child fails by returning `Err`, and is cancelled by being
//! dropped: C's `except CancelledError:` is its `Drop`.
//!
//! Run: `cargo run --example taskgroup`, or
//! `cargo run --example taskgroup -- --virtual --stamps` for instant time
//! with loop times (`-- --async` for the same program as `async fn`s —
//! stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::{
    Context, Coroutine, CoroutineExt, Poll, Sleep, Transcript, from_future, lazy, sleep, task_group,
};
use std::time::Duration;

/// What a child of this group returns: nothing, or why it failed.
type Outcome = Result<(), String>;

/// `a()`: sleep 1 s, say so.
fn a(out: Transcript) -> impl Coroutine<Output = Outcome> {
    sleep(Duration::from_secs(1)).map(move |()| {
        out.say("A done");
        Ok(())
    })
}

/// `b()`: sleep 1.5 s, then fail.
fn b() -> impl Coroutine<Output = Outcome> {
    sleep(Duration::from_millis(1500)).map(|()| Err("B failed".to_string()))
}

/// `c()`, by hand: sleeps 3 s — unless it is cancelled first.
struct C {
    out: Transcript,
    state: CState,
}

enum CState {
    Start,
    Sleeping(Sleep),
    Done,
}

impl Coroutine for C {
    type Output = Outcome;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Outcome> {
        loop {
            match &mut self.state {
                CState::Start => self.state = CState::Sleeping(sleep(Duration::from_secs(3))),
                CState::Sleeping(nap) => {
                    let Poll::Ready(()) = nap.poll(cx) else { return Poll::Pending };
                    self.out.say("C done");
                    self.state = CState::Done;
                    return Poll::Ready(Ok(()));
                }
                CState::Done => panic!("c() polled after it completed"),
            }
        }
    }
}

impl Drop for C {
    /// `except asyncio.CancelledError:` — a cancelled coroutine is dropped
    /// before it is done.
    fn drop(&mut self) {
        if !matches!(self.state, CState::Done) {
            self.out.say("C cancelled");
        }
    }
}

/// `main()`: the group, then what became of it.
fn main_coroutine(out: &Transcript) -> impl Coroutine<Output = ()> + use<> {
    let (body_out, end_out) = (out.clone(), out.clone());
    let group = task_group(move |tg| {
        lazy(move || {
            tg.spawn(a(body_out.clone()));
            tg.spawn(b());
            tg.spawn(C { out: body_out.clone(), state: CState::Start });
            body_out.say("body done");
            Ok(())
        })
    });
    group.map(move |ended: Result<(), rondo::ExceptionGroup<String>>| {
        if let Err(group) = ended {
            let errors: Vec<String> = group.errors.iter().map(ToString::to_string).collect();
            end_out.say(format!("group failed: {}", errors.join("; ")));
        }
    })
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    let ev = common::event_loop(virtual_clock);
    ev.run(main_coroutine(out)).expect("main completes");
}

/// `a()` as an `async fn`: the `sleep(..).map(..)` of [`a`].
async fn a_async(out: Transcript) -> Outcome {
    sleep(Duration::from_secs(1)).await;
    out.say("A done");
    Ok(())
}

/// `b()` as an `async fn`: the `sleep(..).map(..)` of [`b`].
async fn b_async() -> Outcome {
    sleep(Duration::from_millis(1500)).await;
    Err("B failed".to_string())
}

/// `except asyncio.CancelledError:` in an `async fn`. A cancelled task's
/// future is dropped where it stands, at an `.await`, and its locals with
/// it: this one says its line when it is dropped — unless the body reached
/// its end and called [`finished`](Cancelled::finished) first.
struct Cancelled {
    /// Where to say it; `None` once the body has finished.
    out: Option<Transcript>,
    line: &'static str,
}

impl Cancelled {
    /// The body ended normally: nothing to say.
    fn finished(mut self) {
        self.out = None;
    }
}

impl Drop for Cancelled {
    fn drop(&mut self) {
        if let Some(out) = self.out.take() {
            out.say(self.line);
        }
    }
}

/// `c()` as an `async fn`: the `C` machine above, its `Drop` included (the guard).
async fn c_async(out: Transcript) -> Outcome {
    let on_cancel = Cancelled { out: Some(out.clone()), line: "C cancelled" }; // try:
    sleep(Duration::from_secs(3)).await;
    out.say("C done");
    on_cancel.finished();
    Ok(())
}

/// The scenario as `async fn`s (`--async`): the same lines, times and iterations.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let out = out.clone();
    // `main()`: the `main_coroutine` above. The group's body is an async
    // block; the children are async fns, spawned as tasks of the group.
    let main = from_future(async move {
        let body_out = out.clone();
        let group = task_group(move |tg| {
            from_future(async move {
                tg.spawn(from_future(a_async(body_out.clone())));
                tg.spawn(from_future(b_async()));
                tg.spawn(from_future(c_async(body_out.clone())));
                body_out.say("body done");
                Ok(())
            })
        });
        if let Err(group) = group.await {
            let errors: Vec<String> = group.errors.iter().map(ToString::to_string).collect();
            out.say(format!("group failed: {}", errors.join("; ")));
        }
    });
    common::event_loop(virtual_clock).run(main).expect("main completes");
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
