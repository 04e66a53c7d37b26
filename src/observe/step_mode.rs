//! `StepMode`: pause after every step and show the whole loop.
//!
//! `RONDO_STEP=1 cargo run --example countasync -- --virtual` stops after
//! each task step and shows what the loop now holds:
//!
//! ```text
//! ── step 2 · iteration 2 · t=0.000 ──────────────────────
//! ran     Task-2 -> pending, now in Sleeping(until 1.000)
//! ready   Task-3, Task-4
//! timers  1.000 Task-2
//! tasks   Task-1: awaits task 'Task-2'
//!         Task-2: sleeping until 1.000
//!         Task-3: ready
//!         Task-4: ready
//! [Enter] next step · c continue · q quit >
//! ```
//! Enter goes on by one step, `c` runs to the end without pausing, `q`
//! stops the program there: it says "stopped at step mode's request" and
//! exits with status 130 (as an interrupted program does), not 0 — the
//! program did not finish (and a timeline being recorded for this run is
//! not written). When standard input is not a terminal (a pipe,
//! a test, CI), it prints every step without pausing.
//!
//! Use it with `-- --virtual`: on the real clock, the time you spend reading
//! a step is loop time too — sleeps run out while the loop is paused, and
//! the schedule you step through is not the one the program has when it
//! runs on its own. On the virtual clock time only moves when the loop has
//! nothing to do, so every run steps through the same schedule.
//!
//! A step that finishes its task shows it as "finished in this step": the
//! picture is taken as the step ends, before the loop wakes whoever awaits
//! it (its awaiter still "awaits task …" here, and is ready in the next
//! picture).

use crate::stage4_event_loop::{LoopEvent, LoopView, Observer};
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

/// The exit status after `q`: 128 + SIGINT, as a shell reports a program
/// stopped with Ctrl-C — the program was stopped, it did not finish.
const STOPPED: i32 = 130;

/// Pauses after each step (when its input is interactive) and shows the loop.
pub struct StepMode {
    out: Box<dyn Write>,
    /// Where Enter / c / q come from; `None` never pauses.
    input: Option<Box<dyn BufRead>>,
    steps: u64,
}

impl StepMode {
    /// Step mode on the terminal: shows on stderr, pauses only if stdin is a terminal.
    pub fn on_terminal() -> StepMode {
        let input: Option<Box<dyn BufRead>> =
            std::io::stdin().is_terminal().then(|| Box::new(std::io::stdin().lock()) as Box<dyn BufRead>);
        StepMode { out: Box::new(std::io::stderr()), input, steps: 0 }
    }

    /// Step mode writing to `out`, reading its commands from `input` (`None`: never pause).
    pub fn with(out: Box<dyn Write>, input: Option<Box<dyn BufRead>>) -> StepMode {
        StepMode { out, input, steps: 0 }
    }

    /// The picture after a step of `ran`; `finished`: that step was its last.
    fn show(
        &mut self,
        at: Duration,
        ran: &str,
        outcome: &str,
        finished: bool,
        view: &LoopView<'_>,
    ) -> String {
        let mut snapshot = view.snapshot();
        if finished {
            // The task is still in the loop's table while its last step's
            // end is reported: say it finished, not what it last waited on.
            let last = snapshot
                .tasks
                .iter_mut()
                .filter(|(task, _)| task == ran)
                .find(|(_, waits)| waits != "ready" && !waits.starts_with("sleeping until"));
            if let Some((_, waits)) = last {
                *waits = "finished in this step".to_string();
            }
        }
        let mut text = String::new();
        let title =
            format!("step {} · iteration {} · t={:.3}", self.steps, snapshot.iteration, at.as_secs_f64());
        let _ = writeln!(text, "── {title} {}", "─".repeat(52usize.saturating_sub(title.chars().count())));
        let _ = writeln!(text, "ran     {ran} -> {outcome}");
        let list =
            |items: Vec<String>| if items.is_empty() { "(empty)".to_string() } else { items.join(", ") };
        let _ = writeln!(text, "ready   {}", list(snapshot.ready));
        let timers: Vec<String> = snapshot
            .timers
            .iter()
            .map(|(deadline, what)| format!("{:.3} {what}", deadline.as_secs_f64()))
            .collect();
        let _ = writeln!(text, "timers  {}", list(timers));
        for (n, (task, waits)) in snapshot.tasks.iter().enumerate() {
            let label = if n == 0 { "tasks  " } else { "       " };
            let _ = writeln!(text, "{label} {task}: {waits}");
        }
        if snapshot.tasks.is_empty() {
            let _ = writeln!(text, "tasks   (none left)");
        }
        text
    }
}

impl Observer for StepMode {
    fn event(&mut self, at: Duration, event: &LoopEvent, view: &LoopView<'_>) {
        let LoopEvent::StepEnded { task, ready, state, .. } = event else { return };
        self.steps += 1;
        let outcome = match (ready, state) {
            (true, _) => "ready (finished)".to_string(),
            (false, Some(state)) => format!("pending, now in {state}"),
            (false, None) => "pending".to_string(),
        };
        let text = self.show(at, &task.name, &outcome, *ready, view);
        let _ = self.out.write_all(text.as_bytes());
        let Some(input) = self.input.as_mut() else { return };
        let _ = write!(self.out, "[Enter] next step · c continue · q quit > ");
        let _ = self.out.flush();
        let mut answer = String::new();
        match input.read_line(&mut answer) {
            Ok(0) | Err(_) => self.input = None, // input closed: run on
            Ok(_) => match answer.trim() {
                "c" => self.input = None,
                "q" => {
                    let _ = writeln!(
                        self.out,
                        "rondo: stopped at step mode's request (q); the program did not finish"
                    );
                    let _ = self.out.flush();
                    std::process::exit(STOPPED);
                }
                _ => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::SharedBuffer;
    use crate::{EventLoop, Transcript};

    #[test]
    fn enter_steps_and_c_continues_without_pausing() {
        let buffer = SharedBuffer::default();
        let input = std::io::Cursor::new(b"\nc\n".to_vec());
        let ev = EventLoop::new_virtual();
        ev.observe(Box::new(StepMode::with(Box::new(buffer.clone()), Some(Box::new(input)))));
        let out = Transcript::new();
        let counts: Vec<_> = (0..2).map(|_| crate::stage3_sleep::count(out.clone())).collect();
        ev.run_until_complete(crate::gather(counts)).unwrap().unwrap();
        let text = buffer.text();
        // Two prompts: after step 1 (Enter) and step 2 ("c"); none after.
        assert_eq!(text.matches("[Enter] next step").count(), 2, "{text}");
        assert!(text.contains("── step 1 · iteration 1 · t=0.000"), "{text}");
        assert!(text.contains("ran     Task-1 -> pending\nready   Task-2, Task-3\n"), "{text}");
        assert!(text.contains("ran     Task-2 -> pending, now in Sleeping(until 1.000)\nready   Task-3\ntimers  1.000 Task-2\n"), "{text}");
        assert!(text.contains("tasks   Task-1: awaits gather of tasks Task-2, Task-3\n        Task-2: sleeping until 1.000\n        Task-3: ready\n"), "{text}");
        assert!(text.contains("── step 6 · "), "every step is still shown: {text}");
        // A task's last step shows it finished, not stuck.
        assert!(!text.contains("can no longer wake it"), "{text}");
        assert!(text.contains("ran     Task-2 -> ready (finished)\n"), "{text}");
        assert!(text.contains("Task-2: finished in this step\n"), "{text}");
    }
}
