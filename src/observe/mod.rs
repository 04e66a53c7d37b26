//! # Watching the loop: traces, timelines, step mode
//!
//! Not a stage but a window onto all of them: observers of the stage-4 loop's
//! [`hooks`](crate::stage4_event_loop::hooks). Each is switched on by an
//! environment variable, so every example can be watched without a change:
//!
//! ```sh
//! RONDO_TRACE=1 cargo run --example countasync -- --virtual   # one line per loop event
//! ```
//!
//! Observers print to stderr, so a program's own output stays as it was.

mod trace;

pub use trace::Trace;

use crate::stage4_event_loop::Observer;

/// The observer the environment asks for, if any (`RONDO_TRACE=1`).
pub(crate) fn from_env() -> Option<Box<dyn Observer>> {
    let on = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0");
    if on("RONDO_TRACE") {
        return Some(Box::new(Trace::to_stderr()));
    }
    None
}
