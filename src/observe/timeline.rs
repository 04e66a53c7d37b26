//! `Timeline`: who ran, slept and waited when — as text swimlanes, Chrome trace JSON or SVG.
//!
//! It records, per task, its steps (`#`), the gaps between them — `~` when
//! the task was sleeping (a timer woke it), `.` when it was waiting on
//! something else — and its end (`|`). When the loop stops it prints a chart,
//! one row per task and time across:
//!
//! ```text
//! countasync: 0.000 s .. 1.000 s, 5 tasks
//! Task-1  #...........................................................#|
//! Task-2   #~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~#|
//! ```
//! With `RONDO_TIMELINE=path.json` it writes the Chrome trace-event format
//! instead (one track per task), which Perfetto (ui.perfetto.dev) and
//! `chrome://tracing` open; with `RONDO_TIMELINE=path.svg`, a swimlane
//! picture any browser shows ([`svg`](super::svg) draws it).
//!
//! The chart is drawn each time the loop stops, so a program that runs its
//! loop twice (or two loops) gets two: files are numbered by run, in the
//! order the runs end — `run.json`, `run-2.json`, `run-3.json`, … — and
//! each is named on stderr.
//!
//! (Some 400 lines: one recording and its renderings, kept together
//! because they all read the same lanes; the SVG drawing is in `svg.rs`.)

use crate::stage4_event_loop::{LoopEvent, LoopView, Observer};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a stretch of a task's life was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// Being stepped: holding the loop.
    Step,
    /// Between steps, woken by a timer at the end.
    Sleep,
    /// Between steps, woken by something else (a task, a promise, a yield).
    Wait,
}

/// One task's life.
#[derive(Clone, Debug, Default)]
struct Lane {
    name: String,
    /// When it was spawned, if during this run.
    spawned: Option<Duration>,
    spans: Vec<(Span, Duration, Duration)>,
    /// Start of the current gap (after a pending step).
    gap_from: Option<Duration>,
    /// A timer fired for it during the current gap.
    timer_fired: bool,
    step_from: Option<Duration>,
    finished: Option<Duration>,
    /// How it finished: "done", "cancelled", "panicked: …".
    outcome: String,
}

/// Where the timeline goes when the loop stops.
enum Output {
    Text(Box<dyn Write>),
    ChromeJson(PathBuf),
    Svg(PathBuf),
}

/// Records the loop's timeline and renders it when the loop stops.
pub struct Timeline {
    lanes: BTreeMap<u64, Lane>,
    start: Option<Duration>,
    output: Output,
    width: usize,
}

impl Timeline {
    /// A text chart on stderr.
    pub fn text_to_stderr() -> Timeline {
        Timeline::text_to(Box::new(std::io::stderr()))
    }

    /// A text chart written to `out`.
    pub fn text_to(out: Box<dyn Write>) -> Timeline {
        Timeline { lanes: BTreeMap::new(), start: None, output: Output::Text(out), width: 64 }
    }

    /// Chrome trace-event JSON written to `path` when the loop stops.
    pub fn chrome_json(path: impl Into<PathBuf>) -> Timeline {
        Timeline { lanes: BTreeMap::new(), start: None, output: Output::ChromeJson(path.into()), width: 64 }
    }

    /// An SVG swimlane chart written to `path` when the loop stops.
    pub fn svg(path: impl Into<PathBuf>) -> Timeline {
        Timeline { lanes: BTreeMap::new(), start: None, output: Output::Svg(path.into()), width: 64 }
    }

    fn lane(&mut self, id: u64) -> &mut Lane {
        self.lanes.entry(id).or_default()
    }

    /// The text chart of what was recorded up to `end`.
    pub fn render_text(&self, end: Duration) -> String {
        let start = self.start.unwrap_or_default();
        let span = end.saturating_sub(start).max(Duration::from_nanos(1));
        let column = |t: Duration| -> usize {
            let f = t.saturating_sub(start).as_secs_f64() / span.as_secs_f64();
            ((f * (self.width - 1) as f64).round() as usize).min(self.width - 1)
        };
        let name_width = self.lanes.values().map(|l| l.name.len()).max().unwrap_or(4).max(4);
        let mut text = String::new();
        let _ = writeln!(
            text,
            "timeline: {:.3} s .. {:.3} s, {} tasks   (# step  ~ sleeping  . waiting  | done)",
            start.as_secs_f64(),
            end.as_secs_f64(),
            self.lanes.len()
        );
        for lane in self.lanes.values() {
            // One column more than the time axis: the end mark after the last step.
            let mut row = vec![' '; self.width + 1];
            for &(kind, from, to) in &lane.spans {
                let mark = match kind {
                    Span::Step => continue, // drawn last, on top
                    Span::Sleep => '~',
                    Span::Wait => '.',
                };
                for cell in &mut row[column(from)..=column(to)] {
                    *cell = mark;
                }
            }
            for &(kind, from, to) in &lane.spans {
                if kind == Span::Step {
                    for cell in &mut row[column(from)..=column(to)] {
                        *cell = '#';
                    }
                }
            }
            if let Some(done) = lane.finished {
                row[column(done) + 1] = '|';
            }
            let _ =
                writeln!(text, "{:<name_width$} {}", lane.name, row.iter().collect::<String>().trim_end());
        }
        text
    }

    /// The SVG chart of what was recorded up to `end`, under `title`.
    pub fn render_svg(&self, title: &str, end: Duration) -> String {
        let start = self.start.unwrap_or_default();
        let lanes: Vec<super::svg::Lane<'_>> = self
            .lanes
            .values()
            .map(|lane| super::svg::Lane {
                name: &lane.name,
                spawned: lane.spawned,
                spans: &lane.spans,
                open: lane
                    .gap_from
                    .map(|from| (if lane.timer_fired { Span::Sleep } else { Span::Wait }, from)),
                finished: lane.finished.map(|at| (at, lane.outcome.as_str())),
            })
            .collect();
        // Milliseconds matter in a short run, not in an hour.
        let decimals = if end < Duration::from_secs(10) { 3 } else { 0 };
        let title = format!(
            "{title}: {:.decimals$} s .. {:.decimals$} s of loop time, {} task{}",
            start.as_secs_f64(),
            end.as_secs_f64(),
            lanes.len(),
            if lanes.len() == 1 { "" } else { "s" }
        );
        super::svg::render(&title, start, end, &lanes)
    }

    /// The Chrome trace-event JSON of what was recorded.
    pub fn render_chrome_json(&self) -> String {
        let micros = |t: Duration| t.as_secs_f64() * 1e6;
        let mut events = Vec::new();
        for (id, lane) in &self.lanes {
            events.push(format!(
                r#"{{"name":"thread_name","ph":"M","pid":1,"tid":{id},"args":{{"name":{}}}}}"#,
                json_string(&lane.name)
            ));
            for &(kind, from, to) in &lane.spans {
                let (name, cat) = match kind {
                    Span::Step => ("step", "step"),
                    Span::Sleep => ("sleep", "sleep"),
                    Span::Wait => ("wait", "wait"),
                };
                // A step under a virtual clock takes no time: give it 1 µs so it shows.
                let dur = (micros(to) - micros(from)).max(if kind == Span::Step { 1.0 } else { 0.0 });
                events.push(format!(
                    r#"{{"name":"{name}","cat":"{cat}","ph":"X","pid":1,"tid":{id},"ts":{:.3},"dur":{dur:.3}}}"#,
                    micros(from)
                ));
            }
            if let Some(done) = lane.finished {
                events.push(format!(
                    r#"{{"name":"done","ph":"i","s":"t","pid":1,"tid":{id},"ts":{:.3}}}"#,
                    micros(done)
                ));
            }
        }
        format!("{{\"traceEvents\":[\n{}\n],\"displayTimeUnit\":\"ms\"}}\n", events.join(",\n"))
    }
}

/// The file for the next run written to `path`, and that run's number in
/// this process: `path` itself for the first, then `stem-2.ext`, `stem-3.ext`…
fn numbered(path: &Path) -> (usize, PathBuf) {
    static RUNS: std::sync::Mutex<Vec<(PathBuf, usize)>> = std::sync::Mutex::new(Vec::new());
    let mut runs = RUNS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let run = match runs.iter_mut().find(|(p, _)| p == path) {
        Some((_, n)) => {
            *n += 1;
            *n
        }
        None => {
            runs.push((path.to_path_buf(), 1));
            1
        }
    };
    (run, numbered_path(path, run))
}

/// `path` for run 1, `stem-<run>.ext` beside it for the others.
fn numbered_path(path: &Path, run: usize) -> PathBuf {
    if run == 1 {
        return path.to_path_buf();
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{run}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{run}"),
    };
    path.with_file_name(name)
}

/// Writes a rendered timeline and says where it went (or why it did not).
fn write_file(path: &Path, run: usize, text: &str, how_to_open: &str) {
    match std::fs::write(path, text) {
        Ok(()) => eprintln!("rondo: timeline of run {run} written to {} ({how_to_open})", path.display()),
        Err(error) => {
            eprintln!("rondo: could not write the timeline of run {run} to {}: {error}", path.display())
        }
    }
}

/// The running program's name (the file name of its executable), for a chart's title.
fn program_name() -> String {
    std::env::args_os()
        .next()
        .and_then(|arg0| Path::new(&arg0).file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "rondo".to_string())
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Observer for Timeline {
    fn event(&mut self, at: Duration, event: &LoopEvent, _view: &LoopView<'_>) {
        self.start.get_or_insert(at);
        match event {
            LoopEvent::Spawned { task } => {
                let lane = self.lane(task.id);
                lane.name = task.name.clone();
                lane.spawned = Some(at);
            }
            LoopEvent::StepStarted { task } => {
                let lane = self.lane(task.id);
                if lane.name.is_empty() {
                    lane.name = task.name.clone();
                }
                if let Some(from) = lane.gap_from.take() {
                    let kind = if lane.timer_fired { Span::Sleep } else { Span::Wait };
                    lane.spans.push((kind, from, at));
                }
                lane.timer_fired = false;
                lane.step_from = Some(at);
            }
            LoopEvent::StepEnded { task, ready, .. } => {
                let lane = self.lane(task.id);
                let from = lane.step_from.take().unwrap_or(at);
                lane.spans.push((Span::Step, from, at));
                if !ready {
                    lane.gap_from = Some(at);
                }
            }
            LoopEvent::TimerFired { what, .. } => {
                if let Some(lane) = self.lanes.values_mut().find(|l| &l.name == what) {
                    lane.timer_fired = true;
                }
            }
            LoopEvent::Completed { task, outcome } => {
                let lane = self.lane(task.id);
                if lane.name.is_empty() {
                    lane.name = task.name.clone();
                }
                lane.outcome = outcome.clone();
                if let Some(from) = lane.gap_from.take() {
                    lane.spans.push((Span::Wait, from, at)); // cancelled while waiting
                }
                lane.finished = Some(at);
            }
            _ => {}
        }
    }

    fn finished(&mut self, at: Duration) {
        if self.lanes.is_empty() {
            return;
        }
        let text = matches!(self.output, Output::Text(_)).then(|| self.render_text(at));
        match &mut self.output {
            Output::Text(out) => {
                let _ = out.write_all(text.unwrap_or_default().as_bytes());
            }
            Output::ChromeJson(path) => {
                let (run, path) = numbered(path);
                write_file(&path, run, &self.render_chrome_json(), "open it in ui.perfetto.dev");
            }
            Output::Svg(path) => {
                let (run, path) = numbered(path);
                let title = match run {
                    1 => program_name(),
                    run => format!("{}, run {run}", program_name()),
                };
                write_file(&path, run, &self.render_svg(&title, at), "open it in a browser");
            }
        }
        // Each run of the loop gets its own chart.
        self.lanes.clear();
        self.start = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventLoop, Transcript};

    fn countasync_timeline() -> Timeline {
        Timeline {
            lanes: BTreeMap::new(),
            start: None,
            output: Output::Text(Box::new(std::io::sink())),
            width: 21,
        }
    }

    #[test]
    fn countasync_reads_at_a_glance() {
        let buffer = crate::test_support::SharedBuffer::default();
        let mut timeline = countasync_timeline();
        timeline.output = Output::Text(Box::new(buffer.clone()));
        let ev = EventLoop::new_virtual();
        ev.observe(Box::new(timeline));
        let out = Transcript::new();
        let counts: Vec<_> = (0..3).map(|_| crate::stage3_sleep::count(out.clone())).collect();
        ev.run_until_complete(crate::gather(counts)).unwrap().unwrap();
        let chart = buffer.text();
        assert_eq!(
            chart,
            "timeline: 0.000 s .. 1.000 s, 4 tasks   (# step  ~ sleeping  . waiting  | done)\n\
             Task-1 #...................#|\n\
             Task-2 #~~~~~~~~~~~~~~~~~~~#|\n\
             Task-3 #~~~~~~~~~~~~~~~~~~~#|\n\
             Task-4 #~~~~~~~~~~~~~~~~~~~#|\n"
        );
    }

    #[test]
    fn chrome_json_has_a_track_per_task_and_its_steps() {
        let mut timeline = countasync_timeline();
        let ev = EventLoop::new_virtual();
        let view = LoopView { core: ev.core() };
        let task =
            crate::TaskInfo { id: 7, name: "wor\"ker".into(), spawned_at: std::panic::Location::caller() };
        let s = Duration::from_secs;
        timeline.event(s(0), &LoopEvent::Spawned { task: task.clone() }, &view);
        timeline.event(s(0), &LoopEvent::StepStarted { task: task.clone() }, &view);
        timeline.event(
            s(0),
            &LoopEvent::StepEnded { task: task.clone(), held: s(0), ready: false, state: None },
            &view,
        );
        timeline.event(s(1), &LoopEvent::TimerFired { deadline: s(1), what: "wor\"ker".into() }, &view);
        timeline.event(s(1), &LoopEvent::StepStarted { task: task.clone() }, &view);
        timeline.event(
            s(1),
            &LoopEvent::StepEnded { task: task.clone(), held: s(0), ready: true, state: None },
            &view,
        );
        timeline.event(s(1), &LoopEvent::Completed { task, outcome: "done".into() }, &view);
        let json = timeline.render_chrome_json();
        assert!(json.contains(r#""args":{"name":"wor\"ker"}"#), "{json}");
        assert!(
            json.contains(
                r#"{"name":"sleep","cat":"sleep","ph":"X","pid":1,"tid":7,"ts":0.000,"dur":1000000.000}"#
            ),
            "{json}"
        );
        assert_eq!(json.matches(r#""name":"step""#).count(), 2);
        assert!(json.starts_with("{\"traceEvents\":[") && json.trim_end().ends_with('}'));
    }
}
