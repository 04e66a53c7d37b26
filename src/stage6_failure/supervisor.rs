//! The `Supervisor`: what this stage puts around every step, through the loop's seam.
//!
//! Stage 4 calls its `StepWatch` seam before and after each step, and when
//! it starts, idles and stops. This stage fills it with one small object
//! that does two jobs: the [`SlowStepDetector`] times the step, and the
//! [`FailureLog`] keeps a task that ended by panicking, to report it if
//! nobody awaits it. (One watch rather than two so that the loop makes one
//! call per side of a step: measured in `docs/performance.md`.)

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
    pub(crate) fn install(ev: &EventLoop) -> &Supervisor {
        let watch = ev.core().step_watch_or_install(|| {
            Rc::new(Supervisor {
                slow: SlowStepDetector::new(Some(DEFAULT_SLOW_STEP)),
                failures: FailureLog::default(),
            })
        });
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

    fn step_started(&self, core: &Core, task: &dyn AnyTask) {
        self.slow.step_started(core, task);
    }

    fn step_ended(&self, core: &Core, task: &Rc<dyn AnyTask>, finished: bool) {
        self.slow.step_ended(core, &**task);
        if finished {
            self.failures.task_ended(task);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
