//! # Watching the loop: traces, timelines, step mode
//!
//! Not a stage but a window onto all of them: observers of the stage-4 loop's
//! [`hooks`](crate::stage4_event_loop::hooks). Each is switched on by an
//! environment variable, so every example can be watched without a change:
//!
//! ```sh
//! RONDO_STEP=1 cargo run --example countasync                 # pause after every step
//! RONDO_TRACE=1 cargo run --example countasync -- --virtual   # one line per loop event
//! RONDO_TIMELINE=1 cargo run --example chess -- --virtual     # swimlanes when the loop stops
//! RONDO_TIMELINE=chess.json cargo run --example chess -- --virtual  # for ui.perfetto.dev
//! ```
//!
//! Observers print to stderr, so a program's own output stays as it was.
//!
//! One more switch is not an observer but a perturbation:
//! `RONDO_SHUFFLE=<seed>` reorders what is ready in the same iteration,
//! reproducibly ([`shuffle`]).

pub(crate) mod shuffle;
mod step_mode;
mod timeline;
mod trace;

pub use step_mode::StepMode;
pub use timeline::{Span, Timeline};
pub use trace::Trace;

use crate::EventLoop;
use crate::stage4_event_loop::Observer;

/// Plugs into `ev`'s seams what the environment asks for: an observer
/// (`RONDO_STEP`, `RONDO_TRACE`, `RONDO_TIMELINE`) and the shuffle
/// (`RONDO_SHUFFLE`). Called by every loop's constructor.
pub(crate) fn install_from_env(ev: &EventLoop) {
    if let Some(observer) = from_env() {
        ev.observe(observer);
    }
    if let Some(seed) = shuffle::seed_from_env() {
        eprintln!(
            "rondo: RONDO_SHUFFLE={seed}: same-iteration order shuffled; run again with this seed to replay"
        );
        ev.shuffle(seed);
    }
}

/// The observer the environment asks for, if any: `RONDO_TRACE=1`,
/// `RONDO_TIMELINE=1` (text chart) or `RONDO_TIMELINE=path.json` (Chrome trace).
pub(crate) fn from_env() -> Option<Box<dyn Observer>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty() && v != "0");
    if var("RONDO_STEP").is_some() {
        return Some(Box::new(StepMode::on_terminal()));
    }
    if var("RONDO_TRACE").is_some() {
        return Some(Box::new(Trace::to_stderr()));
    }
    if let Some(timeline) = var("RONDO_TIMELINE") {
        return Some(Box::new(if timeline.ends_with(".json") {
            Timeline::chrome_json(timeline)
        } else {
            Timeline::text_to_stderr()
        }));
    }
    None
}
