//! `Many`: several observers on one loop.
//!
//! The loop has one observer seat (and one `Cell<bool>` to check at every
//! hook site); `Many` sits in it and hands every event to each of the
//! observers it holds, in order. That is how `RONDO_TRACE`, `RONDO_STEP` and
//! `RONDO_TIMELINE` combine.

use crate::stage4_event_loop::{LoopEvent, LoopView, Observer};
use std::time::Duration;

/// Fans every event out to several observers, first to last.
pub struct Many {
    observers: Vec<Box<dyn Observer>>,
}

impl Many {
    /// The observers, in the order they are told of each event.
    pub fn new(observers: Vec<Box<dyn Observer>>) -> Many {
        Many { observers }
    }
}

impl Observer for Many {
    fn event(&mut self, at: Duration, event: &LoopEvent, view: &LoopView<'_>) {
        for observer in &mut self.observers {
            observer.event(at, event, view);
        }
    }

    fn finished(&mut self, at: Duration) {
        for observer in &mut self.observers {
            observer.finished(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::{Timeline, Trace};
    use crate::test_support::SharedBuffer;
    use crate::{EventLoop, Transcript};

    #[test]
    fn each_observer_sees_every_event() {
        let (trace, chart) = (SharedBuffer::default(), SharedBuffer::default());
        let ev = EventLoop::new_virtual();
        ev.observe(Box::new(Many::new(vec![
            Box::new(Trace::to_writer(Box::new(trace.clone()))),
            Box::new(Timeline::text_to(Box::new(chart.clone()))),
        ])));
        let out = Transcript::new();
        let count = ev.spawn_named("count", crate::stage3_sleep::count(out.clone()));
        ev.run_until_complete(count).unwrap().unwrap();
        assert!(trace.text().contains("[   1.000] finish   count done\n"), "{}", trace.text());
        assert!(trace.text().ends_with("loop stopped\n"), "{}", trace.text());
        assert!(chart.text().starts_with("timeline: 0.000 s .. 1.000 s, 2 tasks"), "{}", chart.text());
    }
}
