//! `IoWait`: a coroutine's registration with the selector, withdrawn when it is dropped.
//!
//! Every socket coroutine has the same shape: try the non-blocking call;
//! on `WouldBlock`, register the task's waker for the descriptor and return
//! `Pending`; when woken, try again. `IoWait` is the registering half. It
//! keeps the registration's token, so that the waker is replaced in place
//! when the task polls again, and so that a cancelled coroutine (dropped)
//! withdraws *its* registration and nobody else's — a waker left behind
//! would keep its task alive and wake it for nothing.

use super::outside::Outside;
use super::selector::Direction;
use crate::Context;
use std::os::fd::RawFd;
use std::rc::Rc;

pub(crate) struct IoWait {
    fd: RawFd,
    direction: Direction,
    /// The loop it registered with, and the registration's token.
    registered: Option<(Rc<Outside>, u64)>,
}

impl IoWait {
    pub(crate) fn new(fd: RawFd, direction: Direction) -> IoWait {
        IoWait { fd, direction, registered: None }
    }

    /// The call would block: wake this task when the descriptor is ready.
    ///
    /// # Panics
    /// Outside a running loop, or when another coroutine already waits on
    /// the same descriptor the same way (asyncio raises too: which of the
    /// two should get the bytes?).
    pub(crate) fn wake_when_ready(&mut self, cx: &mut Context<'_>) {
        let outside = match &self.registered {
            Some((outside, _)) => outside.clone(),
            None => Outside::of_running_loop("a socket operation"),
        };
        let token = self.registered.as_ref().map(|(_, token)| *token);
        match outside.register(self.fd, self.direction, token, cx.waker()) {
            Ok(token) => self.registered = Some((outside, token)),
            Err(busy) => panic!(
                "another coroutine already waits to {} descriptor {}: one at a time",
                match busy.direction {
                    Direction::Read => "read from",
                    Direction::Write => "write to",
                },
                busy.fd
            ),
        }
    }
}

impl Drop for IoWait {
    fn drop(&mut self) {
        if let Some((outside, token)) = self.registered.take() {
            outside.deregister(self.fd, self.direction, token);
        }
    }
}
