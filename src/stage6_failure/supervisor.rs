//! The `Supervisor`: what this stage puts around every step, through the loop's seam.
//!
//! Stage 4's around-a-step seam tells a `StepWatch` when the loop runs,
//! idles and stops, when a task ends, and — if it asks — before and after
//! every step. This stage fills it with one small object that does two
//! jobs: the [`SlowStepDetector`] times steps, and the [`FailureLog`] keeps
//! a task that ended by panicking, to report it if nobody awaits it.
//!
//! Under the real clock it does *not* ask for every step: its watchdog
//! thread reads the loop's step beacon instead, and the supervisor is
//! called only for a step the watchdog flagged. Two calls through a pointer
//! on every step would make a `yield_now` a quarter dearer (measured in
//! `docs/performance.md`); the beacon costs two stores and a load.

use super::panics::FailureLog;
use super::slow_step::{DEFAULT_SLOW_STEP, SlowStepDetector};
use crate::EventLoop;
use crate::stage4_event_loop::seams::{Activity, StepWatch};
use crate::stage4_event_loop::{AnyTask, Core};
use std::any::Any;
use std::rc::Rc;

pub(crate) struct Supervisor {
    pub(crate) slow: SlowStepDetector,
    pub(crate) failures: FailureLog,
}

impl Supervisor {
    /// Plugs a supervisor into `ev`'s step seam, unless one is there; returns it.
    /// Under a virtual clock it times every step itself; under the real one
    /// its watchdog reads the step beacon, and it is called only as needed.
    pub(crate) fn install(ev: &EventLoop) -> &Supervisor {
        let make = || -> Rc<dyn StepWatch> {
            Rc::new(Supervisor {
                slow: SlowStepDetector::new(Some(DEFAULT_SLOW_STEP)),
                failures: FailureLog::default(),
            })
        };
        let watch = ev.core().step_watch_or_install(make, ev.is_virtual());
        watch.as_any().downcast_ref().expect("the step seam holds stage 6's supervisor")
    }

    /// The supervisor plugged into `ev`, if any.
    pub(crate) fn of(ev: &EventLoop) -> Option<&Supervisor> {
        ev.core().step_watch()?.as_any().downcast_ref()
    }
}

impl StepWatch for Supervisor {
    fn activity(&self, core: &Core, activity: Activity) {
        let active = matches!(activity, Activity::Running | Activity::Woken);
        self.slow.loop_active(core, active);
    }

    fn step_started(&self, core: &Core, _task: &dyn AnyTask) {
        self.slow.step_started(core);
    }

    fn step_ended(&self, core: &Core, task: &dyn AnyTask) {
        self.slow.step_ended(core, task);
    }

    fn step_flagged(&self, core: &Core, task: &dyn AnyTask) {
        self.slow.step_flagged(core, task);
    }

    fn task_panicked(&self, _core: &Core, task: &Rc<dyn AnyTask>) {
        self.failures.task_panicked(task);
    }

    fn panic_observed(&self, _core: &Core) {
        self.failures.panic_observed();
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
