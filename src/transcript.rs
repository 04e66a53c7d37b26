//! `Transcript`: what the seed programs `print`, recorded with the loop time.
//!
//! The seed programs prove their point by printing ("One One One … Two Two
//! Two"). rondo's coroutines say their lines into a `Transcript` instead, which
//! can echo them to stdout (the examples) and keeps them, stamped with the
//! runtime's clock, so tests can assert the exact trace — under a virtual clock
//! the stamps are exact (`1.000`, not `1.0013`).

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Write as _};
use std::rc::Rc;
use std::time::Duration;

/// A shared, cloneable log of lines, each stamped with the time it was said.
#[derive(Clone, Default)]
pub struct Transcript {
    inner: Rc<RefCell<Inner>>,
}

#[derive(Default)]
struct Inner {
    lines: Vec<Line>,
    echo: Echo,
}

/// How a transcript echoes lines to stdout as they are said.
///
/// When stdout is a pipe that its reader has closed (`| head -1`), the echo
/// ends the program quietly, with status 0, as Unix tools do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Echo {
    /// Keep the lines, print nothing (tests).
    #[default]
    Silent,
    /// Print each line as the seed program would.
    Plain,
    /// Print each line prefixed with the loop time, e.g. `[  1.000] Two`.
    Stamped,
}

/// One said line.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Runtime time when it was said (`None` outside any runtime).
    pub at: Option<Duration>,
    /// The event loop's iteration when it was said, counting from 1 (`None`
    /// outside a running loop): a change that moves work from one iteration
    /// to the next without changing the order of the lines still shows here.
    pub iteration: Option<u64>,
    /// The text.
    pub text: String,
}

impl Transcript {
    /// A silent transcript.
    pub fn new() -> Transcript {
        Transcript::default()
    }

    /// A transcript that also prints every line.
    pub fn echoing(echo: Echo) -> Transcript {
        let t = Transcript::default();
        t.inner.borrow_mut().echo = echo;
        t
    }

    /// Records `text`, stamped with the current runtime time, and echoes it.
    pub fn say(&self, text: impl fmt::Display) {
        let at = crate::stage3_sleep::try_now();
        let iteration = crate::stage4_event_loop::running_iteration();
        let line = Line { at, iteration, text: text.to_string() };
        let mut inner = self.inner.borrow_mut();
        match inner.echo {
            Echo::Silent => {}
            Echo::Plain => print_line(&line.text),
            Echo::Stamped => print_line(&stamped(&line)),
        }
        inner.lines.push(line);
    }

    /// The texts said so far, in order.
    pub fn lines(&self) -> Vec<String> {
        self.inner.borrow().lines.iter().map(|l| l.text.clone()).collect()
    }

    /// The lines said so far with their stamps, formatted `"1.000 Two"`
    /// (time in seconds, three decimals; `-` outside a runtime).
    pub fn stamped(&self) -> Vec<String> {
        self.inner.borrow().lines.iter().map(stamped_compact).collect()
    }

    /// The lines with their stamps and loop iterations, `"1.000 #12 Two"`
    /// (`"- Two"` outside a running loop) — what the CPython differential
    /// tests compare.
    pub fn stamped_with_iterations(&self) -> Vec<String> {
        let inner = self.inner.borrow();
        inner
            .lines
            .iter()
            .map(|line| match line.iteration {
                Some(n) => {
                    let compact = stamped_compact(line);
                    let (stamp, text) = compact.split_once(' ').expect("a stamp, then the text");
                    format!("{stamp} #{n} {text}")
                }
                None => stamped_compact(line),
            })
            .collect()
    }

    /// The raw lines.
    pub fn entries(&self) -> Vec<Line> {
        self.inner.borrow().lines.clone()
    }
}

/// `println!`, except when stdout is a pipe whose reader has gone
/// (`cargo run --example countasync | head -1`): then the program ends quietly
/// with status 0, as a Unix tool does, instead of panicking with "failed
/// printing to stdout" — inside whichever task said the line.
fn print_line(text: &str) {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}") {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => panic!("failed printing to stdout: {e}"),
    }
}

fn stamped(line: &Line) -> String {
    match line.at {
        Some(at) => format!("[{:>8.3}] {}", at.as_secs_f64(), line.text),
        None => format!("[       -] {}", line.text),
    }
}

fn stamped_compact(line: &Line) -> String {
    match line.at {
        Some(at) => format!("{:.3} {}", at.as_secs_f64(), line.text),
        None => format!("- {}", line.text),
    }
}

impl fmt::Debug for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Transcript({} lines)", self.inner.borrow().lines.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_log_and_lines_outside_a_runtime_have_no_stamp() {
        let t = Transcript::new();
        let u = t.clone();
        t.say("a");
        u.say(format_args!("b{}", 1));
        assert_eq!(t.lines(), ["a", "b1"]);
        assert_eq!(t.stamped(), ["- a", "- b1"]);
    }
}
