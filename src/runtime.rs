//! The loop a program gets: stage 4's loop with the later stages plugged in.
//!
//! Stage 4 builds a *bare* loop ([`EventLoop::bare`]) and names the seams
//! where later stages attach. This file is where they are attached — the one
//! place that knows every stage, so that no stage has to know a later one:
//! - stage 6: the slow-step detector and the unobserved-failure report
//!   around each step, cancellation down await chains, and the deadlock
//!   explainer;
//! - `observe/`: the observer and the shuffle the environment asks for
//!   (`RONDO_TRACE`, `RONDO_TIMELINE`, `RONDO_STEP`, `RONDO_SHUFFLE`).

use crate::stage3_sleep::Clock;
use crate::{EventLoop, observe, stage6_failure};

impl EventLoop {
    /// A loop on the real, monotonic clock.
    pub fn new() -> EventLoop {
        EventLoop::with_clock(Clock::real())
    }

    /// A loop on a virtual clock: when nothing is ready, time jumps to the next deadline.
    pub fn new_virtual() -> EventLoop {
        EventLoop::with_clock(Clock::virtual_())
    }

    /// A loop on the given clock, with every stage plugged in.
    pub fn with_clock(clock: Clock) -> EventLoop {
        let ev = EventLoop::bare(clock);
        stage6_failure::install(&ev);
        observe::install_from_env(&ev);
        ev
    }
}

impl Default for EventLoop {
    fn default() -> Self {
        EventLoop::new()
    }
}
