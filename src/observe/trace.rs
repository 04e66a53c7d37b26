//! `Trace`: one line per loop event, stamped with the loop time.
//!
//! ```text
//! [   0.000] iteration 1
//! [   0.000] step     Task-1
//! [   0.000] spawn    Task-2
//! [   0.000] step end Task-1 -> pending (0.004 ms)
//! [   1.000] timer    Task-2 (due 1.000)
//! ```

use crate::stage4_event_loop::{LoopEvent, LoopView, Observer};
use std::io::Write;
use std::time::Duration;

/// Writes every event as a line (to stderr, or into a buffer for tests).
pub struct Trace {
    out: Box<dyn Write>,
}

impl Trace {
    /// A trace printed to stderr.
    pub fn to_stderr() -> Trace {
        Trace { out: Box::new(std::io::stderr()) }
    }

    /// A trace written to `out`.
    pub fn to_writer(out: Box<dyn Write>) -> Trace {
        Trace { out }
    }
}

impl Observer for Trace {
    fn event(&mut self, at: Duration, event: &LoopEvent, _view: &LoopView<'_>) {
        let _ = writeln!(self.out, "[{:>8.3}] {event}", at.as_secs_f64());
    }

    fn finished(&mut self, at: Duration) {
        let _ = writeln!(self.out, "[{:>8.3}] loop stopped", at.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::SharedBuffer;
    use crate::{EventLoop, Transcript};

    #[test]
    fn countasync_traced_event_by_event() {
        let buffer = SharedBuffer::default();
        let ev = EventLoop::new_virtual();
        ev.observe(Box::new(Trace::to_writer(Box::new(buffer.clone()))));
        let out = Transcript::new();
        let count = ev.spawn_named("count", crate::stage3_sleep::count(out.clone()));
        ev.run_until_complete(count).unwrap().unwrap();
        let text = buffer.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "[   0.000] spawn    count",
                "[   0.000] spawn    Task-2",
                "[   0.000] iteration 1",
                "[   0.000] step     count",
                "[   0.000] step end count -> pending (0.000 ms) in Sleeping(until 1.000)",
                "[   0.000] step     Task-2",
                "[   0.000] step end Task-2 -> pending (0.000 ms)",
                "[   0.000] jump     0.000 -> 1.000",
                "[   1.000] iteration 2",
                "[   1.000] timer    count (due 1.000)",
                "[   1.000] wake     count",
                "[   1.000] iteration 3",
                "[   1.000] step     count",
                "[   1.000] step end count -> ready (0.000 ms)",
                "[   1.000] finish   count done",
                "[   1.000] wake     Task-2",
                "[   1.000] iteration 4",
                "[   1.000] step     Task-2",
                "[   1.000] step end Task-2 -> ready (0.000 ms)",
                "[   1.000] finish   Task-2 done",
                "[   1.000] iteration 5",
                "[   1.000] loop stopped",
            ]
        );
    }
}
