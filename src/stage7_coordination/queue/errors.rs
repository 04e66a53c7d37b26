//! What a queue operation can fail with: asyncio's `QueueFull`,
//! `QueueEmpty`, `QueueShutDown`, and `task_done`'s `ValueError` — as values
//! in `Err`, the item handed back where asyncio would drop it with the
//! exception.

use std::fmt;

/// Why `put_nowait` (or `put`) did not put: asyncio's `QueueFull` and
/// `QueueShutDown`. The item comes back.
///
/// ```
/// use rondo::{PutError, Queue};
///
/// let q = Queue::new(1);
/// q.put_nowait("a").unwrap();
/// assert_eq!(q.put_nowait("b"), Err(PutError::Full("b"))); // except QueueFull:
/// q.shutdown(false);
/// assert_eq!(q.put_nowait("c"), Err(PutError::ShutDown("c"))); // except QueueShutDown:
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutError<T> {
    /// asyncio's `QueueFull`: no room (only from `put_nowait`; `put` waits).
    Full(T),
    /// asyncio's `QueueShutDown`: the queue was shut down.
    ShutDown(T),
}

/// Why `get_nowait` (or `get`) got nothing: asyncio's `QueueEmpty` and
/// `QueueShutDown`.
///
/// ```
/// use rondo::{GetError, Queue};
///
/// let q = Queue::new(0);
/// assert_eq!(q.get_nowait(), Err(GetError::Empty)); // except QueueEmpty:
/// q.put_nowait(1).unwrap();
/// q.shutdown(false);
/// assert_eq!(q.get_nowait(), Ok(1)); // drains what is left...
/// assert_eq!(q.get_nowait(), Err(GetError::ShutDown)); // ...then QueueShutDown
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetError {
    /// asyncio's `QueueEmpty` (only from `get_nowait`; `get` waits).
    Empty,
    /// asyncio's `QueueShutDown`: shut down, and nothing left to drain.
    ShutDown,
}

/// `task_done` called more times than items were put: asyncio's
/// `ValueError('task_done() called too many times')`.
///
/// ```
/// use rondo::{Queue, TooManyTaskDone};
///
/// let q = Queue::new(0);
/// q.put_nowait("job").unwrap();
/// q.get_nowait().unwrap();
/// assert_eq!(q.task_done(), Ok(()));
/// assert_eq!(q.task_done(), Err(TooManyTaskDone));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyTaskDone;

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("the queue is full"),
            PutError::ShutDown(_) => f.write_str("the queue is shut down"),
        }
    }
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::Empty => f.write_str("the queue is empty"),
            GetError::ShutDown => f.write_str("the queue is shut down and empty"),
        }
    }
}

impl fmt::Display for TooManyTaskDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called too many times")
    }
}

impl<T: fmt::Debug> std::error::Error for PutError<T> {}
impl std::error::Error for GetError {}
impl std::error::Error for TooManyTaskDone {}
