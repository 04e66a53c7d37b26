//! What a task is called, and why it produced no output: `TaskInfo` and `TaskError`.

use std::fmt;
use std::panic::Location;

/// Why a task produced no output.
///
/// ```
/// use rondo::{EventLoop, TaskError, lazy, sleep};
/// use std::time::Duration;
///
/// // try: await task / except asyncio.CancelledError / except Exception as e
/// let ev = EventLoop::new_virtual();
/// let task = ev.spawn(sleep(Duration::from_secs(10)));
/// task.cancel();
/// assert_eq!(ev.run_until_complete(task).unwrap(), Err(TaskError::Cancelled));
/// let boom = ev.spawn(lazy(|| -> u32 { panic!("boom") }));
/// assert_eq!(ev.run_until_complete(boom).unwrap(), Err(TaskError::Panicked("boom".into())));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskError {
    /// The task was cancelled (its coroutine dropped) before it finished —
    /// for instance by `run` when `main` returned while it was still pending.
    Cancelled,
    /// The task's coroutine panicked; the message is the panic's payload.
    Panicked(Box<str>),
    /// A promise was failed on purpose: `Promise::set_error(message)` (stage 5).
    Failed(Box<str>),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str("task was cancelled"),
            TaskError::Panicked(message) => write!(f, "task panicked: {message}"),
            TaskError::Failed(message) => write!(f, "failed: {message}"),
        }
    }
}

impl std::error::Error for TaskError {}

/// A task's identity, as `current_task()` and `all_tasks()` report it.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, current_task, lazy, spawn_named};
///
/// // task = asyncio.current_task(); task.get_name()
/// let main = lazy(|| spawn_named("worker", lazy(|| current_task().unwrap()))).then(|task| task);
/// let info = EventLoop::new_virtual().run(main).unwrap().unwrap();
/// assert_eq!((info.id, info.name.as_str()), (2, "worker")); // main is task 1
/// assert!(info.spawned_at.file().ends_with(".rs"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskInfo {
    /// Per-loop number, from 1 in spawn order.
    pub id: u64,
    /// The name given to `spawn_named`, or `Task-<id>` as in asyncio.
    pub name: String,
    /// Where the task was spawned (file:line of the `spawn` call).
    pub spawned_at: &'static Location<'static>,
}
