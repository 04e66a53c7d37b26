//! Hooks: the one place where the loop says what it is doing.
//!
//! Every observer — the `RONDO_TRACE` line printer, the timeline, step mode —
//! is built on [`LoopEvent`]s delivered to an [`Observer`]. The loop checks a
//! single `Cell<bool>` at each hook site, so with no observer installed the
//! hooks cost one predictable branch each (measured in `docs/performance.md`).
//!
//! This is the observer seam (see `seams.rs`): `observe/`
//! fills it.
//!
//! An observer that wants more than the event — step mode shows the ready
//! queue, the timers and who waits on what — asks the [`LoopView`] it is
//! handed for a [`LoopSnapshot`], built only when asked.

use super::core::Core;
use super::runnable::RunnableRef;
use crate::TaskInfo;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

/// Something the loop did.
///
/// ```
/// use rondo::LoopEvent;
/// use std::time::Duration;
///
/// // what RONDO_TRACE=1 prints, one event a line
/// assert_eq!(LoopEvent::Iteration { n: 3 }.to_string(), "iteration 3");
/// let jump = LoopEvent::ClockJumped { from: Duration::ZERO, to: Duration::from_secs(1) };
/// assert_eq!(jump.to_string(), "jump     0.000 -> 1.000");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum LoopEvent {
    /// A new iteration of `_run_once` begins (after the wait, if any).
    Iteration {
        /// Iteration number, from 1.
        n: u64,
    },
    /// A task was created; its first step is queued.
    Spawned {
        /// The new task.
        task: TaskInfo,
    },
    /// A task's step begins.
    StepStarted {
        /// The task.
        task: TaskInfo,
    },
    /// A task's step ended.
    StepEnded {
        /// The task.
        task: TaskInfo,
        /// How long the step held the loop, by the loop's clock.
        held: Duration,
        /// `true` if the task finished in this step.
        ready: bool,
        /// The state its coroutine is now in, if it names its states
        /// (`Coroutine::state_name`).
        state: Option<String>,
    },
    /// A sleeping or waiting task was woken: its next step is queued.
    Woken {
        /// The task.
        task: TaskInfo,
    },
    /// A timer came due and its handle joined the ready queue.
    TimerFired {
        /// Its deadline.
        deadline: Duration,
        /// What it wakes: a task's name, or "callback".
        what: String,
    },
    /// Someone asked for a task to be cancelled.
    CancelRequested {
        /// The task.
        task: TaskInfo,
    },
    /// A task finished: `"done"`, `"cancelled"` or `"panicked: …"`.
    Completed {
        /// The task.
        task: TaskInfo,
        /// How it ended.
        outcome: String,
    },
    /// Nothing to do: the thread sleeps until this deadline.
    Idle {
        /// Loop time it will wake at.
        until: Duration,
    },
    /// Nothing to do on a virtual clock: time jumps.
    ClockJumped {
        /// Time before the jump.
        from: Duration,
        /// Time after.
        to: Duration,
    },
}

impl fmt::Display for LoopEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoopEvent::Iteration { n } => write!(f, "iteration {n}"),
            LoopEvent::Spawned { task } => write!(f, "spawn    {}", task.name),
            LoopEvent::StepStarted { task } => write!(f, "step     {}", task.name),
            LoopEvent::StepEnded { task, held, ready, state } => {
                let how = if *ready { "ready" } else { "pending" };
                write!(f, "step end {} -> {how} ({:.3} ms)", task.name, held.as_secs_f64() * 1e3)?;
                match state {
                    Some(state) => write!(f, " in {state}"),
                    None => Ok(()),
                }
            }
            LoopEvent::Woken { task } => write!(f, "wake     {}", task.name),
            LoopEvent::TimerFired { deadline, what } => {
                write!(f, "timer    {what} (due {:.3})", deadline.as_secs_f64())
            }
            LoopEvent::CancelRequested { task } => write!(f, "cancel   {}", task.name),
            LoopEvent::Completed { task, outcome } => write!(f, "finish   {} {outcome}", task.name),
            LoopEvent::Idle { until } => write!(f, "idle     until {:.3}", until.as_secs_f64()),
            LoopEvent::ClockJumped { from, to } => {
                write!(f, "jump     {:.3} -> {:.3}", from.as_secs_f64(), to.as_secs_f64())
            }
        }
    }
}

/// Receives the loop's events.
///
/// ```
/// use rondo::{EventLoop, LoopEvent, LoopView, Observer, sleep};
/// use std::{cell::RefCell, rc::Rc, time::Duration};
///
/// // asyncio's debug logging, as values: note every task that finishes
/// struct Finishes(Rc<RefCell<Vec<String>>>);
/// impl Observer for Finishes {
///     fn event(&mut self, at: Duration, event: &LoopEvent, _view: &LoopView<'_>) {
///         if let LoopEvent::Completed { task, outcome } = event {
///             self.0.borrow_mut().push(format!("{:.1} {} {outcome}", at.as_secs_f64(), task.name));
///         }
///     }
/// }
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let ev = EventLoop::new_virtual();
/// ev.observe(Box::new(Finishes(log.clone())));
/// let napper = ev.spawn_named("napper", sleep(Duration::from_secs(2)));
/// ev.run_until_complete(napper).unwrap().unwrap();
/// assert!(log.borrow().contains(&"2.0 napper done".to_string()));
/// ```
pub trait Observer {
    /// Called for every event, at loop time `at`.
    fn event(&mut self, at: Duration, event: &LoopEvent, view: &LoopView<'_>);

    /// Called once when the loop stops running (`run_forever` returns).
    fn finished(&mut self, _at: Duration) {}
}

/// What an observer may look at while it is called.
///
/// ```
/// use rondo::{EventLoop, LoopEvent, LoopSnapshot, LoopView, Observer, sleep};
/// use std::{cell::RefCell, rc::Rc, time::Duration};
///
/// // what step mode (RONDO_STEP=1) shows: the loop's queues when time jumps
/// struct Peek(Rc<RefCell<Option<LoopSnapshot>>>);
/// impl Observer for Peek {
///     fn event(&mut self, _at: Duration, event: &LoopEvent, view: &LoopView<'_>) {
///         if matches!(event, LoopEvent::ClockJumped { .. }) && self.0.borrow().is_none() {
///             *self.0.borrow_mut() = Some(view.snapshot());
///         }
///     }
/// }
/// let seen = Rc::new(RefCell::new(None));
/// let ev = EventLoop::new_virtual();
/// ev.observe(Box::new(Peek(seen.clone())));
/// let _napper = ev.spawn_named("napper", sleep(Duration::from_secs(2)));
/// ev.run_until_complete(sleep(Duration::from_secs(1))).unwrap();
/// let snapshot = seen.borrow().clone().unwrap();
/// assert!(snapshot.tasks.iter().any(|(name, _waits_on)| name == "napper"));
/// assert_eq!(snapshot.timers.len(), 2); // the two sleeps' deadlines
/// ```
pub struct LoopView<'a> {
    pub(crate) core: &'a Core,
}

/// The loop's state at one moment, for step mode.
///
/// ```
/// use rondo::{EventLoop, LoopEvent, LoopSnapshot, LoopView, Observer, sleep};
/// use std::{cell::RefCell, rc::Rc, time::Duration};
///
/// // what step mode (RONDO_STEP=1) shows: the loop's queues when time jumps
/// struct Peek(Rc<RefCell<Option<LoopSnapshot>>>);
/// impl Observer for Peek {
///     fn event(&mut self, _at: Duration, event: &LoopEvent, view: &LoopView<'_>) {
///         if matches!(event, LoopEvent::ClockJumped { .. }) && self.0.borrow().is_none() {
///             *self.0.borrow_mut() = Some(view.snapshot());
///         }
///     }
/// }
/// let seen = Rc::new(RefCell::new(None));
/// let ev = EventLoop::new_virtual();
/// ev.observe(Box::new(Peek(seen.clone())));
/// let _napper = ev.spawn_named("napper", sleep(Duration::from_secs(2)));
/// ev.run_until_complete(sleep(Duration::from_secs(1))).unwrap();
/// let snapshot = seen.borrow().clone().unwrap();
/// assert!(snapshot.tasks.iter().any(|(name, _waits_on)| name == "napper"));
/// assert_eq!(snapshot.timers.len(), 2); // the two sleeps' deadlines
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LoopSnapshot {
    /// Current iteration.
    pub iteration: u64,
    /// Loop time.
    pub time: Duration,
    /// What the ready queue holds, front first (task names, "callback", "stop").
    pub ready: Vec<String>,
    /// Pending timers, earliest first: (deadline, what it wakes).
    pub timers: Vec<(Duration, String)>,
    /// Every unfinished task and what it waits on (or "ready").
    pub tasks: Vec<(String, String)>,
}

impl LoopView<'_> {
    /// Builds a snapshot of the loop's queues (costs a walk over them: only
    /// for observers that show it).
    pub fn snapshot(&self) -> LoopSnapshot {
        let core = self.core;
        let names = core.task_names_by_addr();
        let name_of = |addr: usize| {
            names.iter().find(|(a, _)| *a == addr).map_or_else(|| "a waker".to_string(), |(_, n)| n.clone())
        };
        let ready = core
            .ready
            .borrow()
            .iter()
            .map(|handle| match handle {
                RunnableRef::Step(key) => core
                    .tasks
                    .borrow()
                    .get(key)
                    .map_or_else(|| "(finished task)".to_string(), |t| t.header().name()),
                RunnableRef::Wake(waker) => format!("timer: wake {}", name_of(waker.target_addr())),
                RunnableRef::Call => "callback".to_string(),
                RunnableRef::Stop => "stop".to_string(),
            })
            .collect();
        let live_timers = core.timers.borrow().live_entries();
        let timers = live_timers
            .iter()
            .map(|&(deadline, waker)| (deadline, waker.map_or_else(|| "callback".to_string(), name_of)))
            .collect();
        // What each task waits on: "ready" if queued, its timer if it sleeps,
        // else whatever the deadlock explainer would say.
        let tasks = core
            .explain()
            .into_iter()
            .zip(core.unfinished_tasks())
            .map(|(stuck, task)| {
                let addr = Rc::as_ptr(&task) as *const () as usize;
                let sleeping_until = live_timers.iter().find(|(_, w)| *w == Some(addr)).map(|(d, _)| *d);
                let waits = match (task.header().queued.get(), sleeping_until) {
                    (true, _) => "ready".to_string(),
                    (false, Some(deadline)) => format!("sleeping until {:.3}", deadline.as_secs_f64()),
                    (false, None) => stuck.waits_on,
                };
                (stuck.task.name, waits)
            })
            .collect();
        LoopSnapshot { iteration: core.iterations.get(), time: core.clock.now(), ready, timers, tasks }
    }
}
