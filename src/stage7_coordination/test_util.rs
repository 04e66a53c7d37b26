//! For this stage's unit tests: which iteration of the loop is running, and
//! a log that stamps each line with it (the order *and* the hop count).

use crate::{EventLoop, LoopEvent, LoopView, Observer};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

/// The number of the iteration the loop is running, kept by an observer.
#[derive(Clone, Default)]
pub(crate) struct Iter(Rc<Cell<u64>>);

struct Counter(Rc<Cell<u64>>);
impl Observer for Counter {
    fn event(&mut self, _at: Duration, event: &LoopEvent, _view: &LoopView<'_>) {
        if let LoopEvent::Iteration { n } = event {
            self.0.set(*n);
        }
    }
}

impl Iter {
    pub(crate) fn new() -> Iter {
        Iter::default()
    }

    /// Starts counting `ev`'s iterations.
    pub(crate) fn track(&self, ev: EventLoop) -> EventLoop {
        ev.observe(Box::new(Counter(self.0.clone())));
        ev
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.get()
    }
}

/// Lines stamped with the iteration they were said in: "3 w1 got it".
#[derive(Clone)]
pub(crate) struct TickLog {
    it: Iter,
    lines: Rc<RefCell<Vec<String>>>,
}

impl TickLog {
    pub(crate) fn new(it: &Iter) -> TickLog {
        TickLog { it: it.clone(), lines: Rc::default() }
    }

    pub(crate) fn say(&self, text: impl std::fmt::Display) {
        self.lines.borrow_mut().push(format!("{} {text}", self.it.get()));
    }

    pub(crate) fn lines(&self) -> Vec<String> {
        self.lines.borrow().clone()
    }
}
