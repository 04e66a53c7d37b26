//! # Watching the loop: traces, timelines, step mode
//!
//! Not a stage but a window onto all of them: observers of the stage-4 loop's
//! [`hooks`](crate::stage4_event_loop::hooks). Each is switched on by an
//! environment variable, so every example can be watched without a change:
//!
//! ```sh
//! RONDO_STEP=1 cargo run --example countasync -- --virtual    # pause after every step
//! RONDO_TRACE=1 cargo run --example countasync -- --virtual   # one line per loop event
//! RONDO_TIMELINE=1 cargo run --example chess -- --virtual     # swimlanes when the loop stops
//! RONDO_TIMELINE=chess.json cargo run --example chess -- --virtual  # for ui.perfetto.dev
//! RONDO_TIMELINE=chess.svg cargo run --example chess -- --virtual   # a picture, for a browser
//! ```
//!
//! They combine: `RONDO_TRACE=1 RONDO_TIMELINE=run.svg` traces and draws.
//! `RONDO_TRACE` and `RONDO_STEP` take `1`/`true`/`on`; `RONDO_TIMELINE`
//! takes `1`/`true`/`on` (a text chart), or a path ending in `.json` or
//! `.svg`; `0`/`false`/`off` or empty switch any of them off. Anything else
//! is refused with a one-line warning naming what the variable accepts.
//!
//! Observers print to stderr, so a program's own output stays as it was.
//! A program that runs several loops (or runs one loop several times) gets
//! a timeline file per run: `chess.json`, then `chess-2.json`, …
//!
//! One more switch is not an observer but a perturbation:
//! `RONDO_SHUFFLE=<seed>` reorders what is ready in the same iteration,
//! reproducibly ([`EventLoop::shuffle`](crate::EventLoop::shuffle)). It
//! takes a seed, a whole number (`0` is a seed too); `off`/`false` or empty
//! leave the order alone.

mod many;
pub(crate) mod shuffle;
mod step_mode;
mod svg;
mod timeline;
mod trace;

pub use many::Many;
pub use step_mode::StepMode;
pub use timeline::{Span, Timeline};
pub use trace::Trace;

use crate::EventLoop;
use crate::stage4_event_loop::Observer;

/// Plugs into `ev`'s seams what the environment asks for: the observers
/// (`RONDO_TRACE`, `RONDO_STEP`, `RONDO_TIMELINE`, together if several are
/// set) and the shuffle (`RONDO_SHUFFLE`). Called by every loop's constructor.
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

/// The observers the environment asks for, if any, in the order they hear
/// of each event: the trace (so that a step's trace line comes before step
/// mode's picture of it), step mode, the timeline.
pub(crate) fn from_env() -> Option<Box<dyn Observer>> {
    let var = |name: &str| std::env::var(name).ok();
    let mut observers: Vec<Box<dyn Observer>> = Vec::new();
    if switch_from_env("RONDO_TRACE", var("RONDO_TRACE"), "not tracing") {
        observers.push(Box::new(Trace::to_stderr()));
    }
    if switch_from_env("RONDO_STEP", var("RONDO_STEP"), "no step mode") {
        observers.push(Box::new(StepMode::on_terminal()));
    }
    if let Some(value) = var("RONDO_TIMELINE") {
        match timeline_setting(&value) {
            Ok(None) => {}
            Ok(Some(TimelineTo::Text)) => observers.push(Box::new(Timeline::text_to_stderr())),
            Ok(Some(TimelineTo::ChromeJson(path))) => observers.push(Box::new(Timeline::chrome_json(path))),
            Ok(Some(TimelineTo::Svg(path))) => observers.push(Box::new(Timeline::svg(path))),
            Err(()) => warn_once(
                "RONDO_TIMELINE",
                &value,
                "1/true/on (a text chart on stderr), a path ending in .json (Chrome trace) \
                 or .svg (SVG chart), or 0/false/off/empty (none)",
                "no timeline",
            ),
        }
    }
    match observers.len() {
        0 => None,
        1 => observers.pop(),
        _ => Some(Box::new(Many::new(observers))),
    }
}

/// What an on/off variable says: `Some(true)` for `1`/`true`/`on`,
/// `Some(false)` for `0`/`false`/`off`/empty (any case, around spaces),
/// `None` for anything else.
pub(crate) fn switch(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" => Some(true),
        "" | "0" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// An on/off variable read from the environment (`None`: unset); warns
/// (once per process) and reads as off when the value is neither.
fn switch_from_env(name: &str, value: Option<String>, otherwise: &str) -> bool {
    let Some(value) = value else { return false };
    switch(&value).unwrap_or_else(|| {
        warn_once(name, &value, "1/true/on, or 0/false/off/empty", otherwise);
        false
    })
}

/// Where `RONDO_TIMELINE` sends the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TimelineTo {
    /// A text chart on stderr.
    Text,
    /// Chrome trace-event JSON in this file.
    ChromeJson(String),
    /// An SVG chart in this file.
    Svg(String),
}

/// What a `RONDO_TIMELINE` value asks for: `Ok(None)` is off, `Err` not understood.
pub(crate) fn timeline_setting(value: &str) -> Result<Option<TimelineTo>, ()> {
    if let Some(on) = switch(value) {
        return Ok(on.then_some(TimelineTo::Text));
    }
    let path = value.trim();
    let lower = path.to_ascii_lowercase();
    let named = |ext: &str| lower.len() > ext.len() && lower.ends_with(ext);
    if named(".json") {
        Ok(Some(TimelineTo::ChromeJson(path.to_string())))
    } else if named(".svg") {
        Ok(Some(TimelineTo::Svg(path.to_string())))
    } else {
        Err(())
    }
}

/// One line on stderr saying that `name=value` was not understood, what it
/// accepts and what happens instead — once per process, not once per loop.
pub(crate) fn warn_once(name: &str, value: &str, accepts: &str, instead: &str) {
    static WARNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let key = format!("{name}={value}");
    let mut warned = WARNED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !warned.contains(&key) {
        eprintln!("rondo: {name}={value:?} is not understood; it accepts {accepts}; {instead}");
        warned.push(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_read_strictly() {
        for on in ["1", "true", "on", "TRUE", " On "] {
            assert_eq!(switch(on), Some(true), "{on:?}");
        }
        for off in ["", "0", "false", "off", "OFF", " "] {
            assert_eq!(switch(off), Some(false), "{off:?}");
        }
        for unknown in ["yes", "2", "x.txt", "tru"] {
            assert_eq!(switch(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn the_timeline_setting_names_its_output_or_is_refused() {
        assert_eq!(timeline_setting("1"), Ok(Some(TimelineTo::Text)));
        assert_eq!(timeline_setting("on"), Ok(Some(TimelineTo::Text)));
        assert_eq!(timeline_setting("false"), Ok(None));
        assert_eq!(timeline_setting(""), Ok(None));
        assert_eq!(timeline_setting("out/run.json"), Ok(Some(TimelineTo::ChromeJson("out/run.json".into()))));
        assert_eq!(timeline_setting("Run.SVG"), Ok(Some(TimelineTo::Svg("Run.SVG".into()))));
        assert_eq!(timeline_setting("x.txt"), Err(()));
        assert_eq!(timeline_setting(".svg"), Err(()));
        assert_eq!(timeline_setting("yes"), Err(()));
    }
}
