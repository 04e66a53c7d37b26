//! `LoopError` and `StuckTask`: why a run ended without the result it was asked for.

use super::task_info::{TaskError, TaskInfo};
use std::fmt;

/// Why a loop run ended without the result it was asked for.
///
/// ```
/// use rondo::{EventLoop, LoopError, Promise};
///
/// // loop.run_until_complete(fut) on a future nobody will set: asyncio hangs
/// let ev = EventLoop::new_virtual();
/// let never = Promise::<()>::new();
/// let Err(LoopError::Deadlock { stuck }) = ev.run_until_complete(never.wait()) else { panic!() };
/// assert_eq!(stuck.len(), 1); // main, and what it waits on
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoopError {
    /// Nothing is ready, no timer is pending, and nothing outside the loop can
    /// wake it — yet these tasks are still waiting. They would wait forever;
    /// asyncio, trio and tokio hang here, rondo stops and says who is stuck.
    Deadlock {
        /// The unfinished tasks, and what each waits on.
        stuck: Vec<StuckTask>,
    },
    /// `stop()` was called before the coroutine given to `run_until_complete` finished.
    StoppedBeforeComplete,
    /// The main coroutine's task ended without an output.
    Main(TaskError),
}

impl fmt::Display for LoopError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoopError::Deadlock { stuck } if stuck.is_empty() => f.write_str(
                "deadlock: the loop has nothing to run, no timer pending and nothing that could wake it \
                 (run_forever would wait forever: call stop())",
            ),
            LoopError::Deadlock { stuck } => {
                write!(
                    f,
                    "deadlock: nothing is ready, no timer is pending, but {} task(s) still wait:",
                    stuck.len()
                )?;
                for task in stuck {
                    write!(f, "\n  {task}")?;
                }
                Ok(())
            }
            LoopError::StoppedBeforeComplete => {
                f.write_str("the event loop was stopped before the main coroutine completed")
            }
            LoopError::Main(error) => write!(f, "the main task failed: {error}"),
        }
    }
}

impl std::error::Error for LoopError {}

/// A task found stuck at a deadlock, and what it waits on.
///
/// ```
/// use rondo::{EventLoop, LoopError, Promise};
///
/// let ev = EventLoop::new_virtual();
/// let never = Promise::<()>::new();
/// let _stuck = ev.spawn_named("waiter", never.wait());
/// let Err(LoopError::Deadlock { stuck }) = ev.run_forever() else { panic!() };
/// assert_eq!(stuck[0].task.name, "waiter");
/// println!("{} waits on {}", stuck[0].task.name, stuck[0].waits_on);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StuckTask {
    /// The task.
    pub task: TaskInfo,
    /// What it waits on, in words.
    pub waits_on: String,
}

impl fmt::Display for StuckTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task '{}' (spawned at {}) {}", self.task.name, self.task.spawned_at, self.waits_on)
    }
}
