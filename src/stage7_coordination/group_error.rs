//! What a failed group ends with: every failure, as asyncio's `ExceptionGroup` lists them.
//!
//! A `TaskGroup` in Python 3.11 raises `ExceptionGroup('unhandled errors in
//! a TaskGroup', errors)`, caught with `except*`. In rondo a failure is a
//! value: the group's coroutine ends with `Err(ExceptionGroup)`, whose
//! `errors` list every child's failure in the order the group saw it, then
//! the body's.

use std::fmt;

/// One failure collected by a group (one entry of asyncio's `ExceptionGroup`).
///
/// ```
/// use rondo::GroupError;
///
/// // str(ValueError("B failed"))
/// let failed = GroupError::Failed { task: "B".to_string(), error: "B failed" };
/// assert_eq!(failed.to_string(), "B failed");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupError<E> {
    /// A child returned `Err(error)`.
    Failed {
        /// The child task's name.
        task: String,
        /// What it returned.
        error: E,
    },
    /// A child panicked.
    Panicked {
        /// The child task's name.
        task: String,
        /// The panic's message.
        message: Box<str>,
    },
    /// The group's body returned `Err(error)`.
    Body(E),
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupError::Failed { error, .. } | GroupError::Body(error) => error.fmt(f),
            // As Python's `str(exception)`: the message alone (the task is in `Debug`).
            GroupError::Panicked { message, .. } => f.write_str(message),
        }
    }
}

/// How a group ended when something in it failed: every failure, in order
/// (asyncio: `ExceptionGroup('unhandled errors in a TaskGroup', errors)`).
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, ExceptionGroup, GroupError, TaskGroup, sleep, task_group};
/// use std::time::Duration;
///
/// // except* ValueError as eg: eg.exceptions
/// let group = task_group(|tg: TaskGroup<&str>| {
///     tg.spawn_named("a", sleep(Duration::from_secs(1)).map(|()| Err::<(), _>("a failed")));
///     tg.spawn_named("b", sleep(Duration::from_secs(1)).map(|()| Err::<(), _>("b failed")));
///     rondo::ready(Ok(()))
/// });
/// let eg: ExceptionGroup<&str> = EventLoop::new_virtual().run(group).unwrap().unwrap_err();
/// assert_eq!(eg.to_string(), "unhandled errors in a TaskGroup (2 sub-exceptions)");
/// assert_eq!(eg.errors[1], GroupError::Failed { task: "b".into(), error: "b failed" });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExceptionGroup<E> {
    /// The failures, in the order the group saw them (the body's last).
    pub errors: Vec<GroupError<E>>,
}

impl<E: fmt::Display> fmt::Display for ExceptionGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(f, "unhandled errors in a TaskGroup ({n} sub-exception{})", if n == 1 { "" } else { "s" })
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ExceptionGroup<E> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_display_like_pythons_exception_group() {
        let group = ExceptionGroup {
            errors: vec![
                GroupError::Failed { task: "B".into(), error: "B failed" },
                GroupError::Panicked { task: "C".into(), message: "boom".into() },
                GroupError::Body("body"),
            ],
        };
        assert_eq!(group.to_string(), "unhandled errors in a TaskGroup (3 sub-exceptions)");
        let each: Vec<String> = group.errors.iter().map(ToString::to_string).collect();
        assert_eq!(each, ["B failed", "boom", "body"]);
        let one = ExceptionGroup { errors: vec![GroupError::Body("x")] };
        assert_eq!(one.to_string(), "unhandled errors in a TaskGroup (1 sub-exception)");
    }
}
