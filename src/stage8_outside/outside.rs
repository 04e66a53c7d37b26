//! `Outside`: what one loop knows about the world beyond it — the selector,
//! the inbox, the work it has sent to threads — and the idle wait that
//! listens to all three.
//!
//! Stage 4 waits, when nothing is ready, by sleeping until the next timer
//! (`ClockWait`). That is deaf: a socket that becomes readable, or a thread
//! that finishes, cannot end the sleep. `Outside` fills the same seam with
//! asyncio's selector loop. One iteration becomes:
//!
//! ```text
//! 1. poll(2) over the self-pipe and every descriptor a task waits on,
//!    for at most the time until the next timer (0 if something is ready);
//!    queue what threads sent (call_soon_threadsafe), then the wakers of
//!    the ready descriptors ("I/O callbacks")
//! 2. move the due timers to the tail of the ready queue
//! 3. run the snapshot of the ready queue
//! ```
//!
//! — CPython's `_run_once`: `event_list = self._selector.select(timeout)`,
//! `self._process_events(event_list)`, then the timers, then `ntodo`.
//!
//! It is installed into a loop the first time a task there needs it (a
//! `to_thread`, a socket, a [`LoopHandle`](super::LoopHandle)), so a program
//! that never leaves the loop keeps stage 3's wait — and its sub-millisecond
//! timer precision: `poll` counts its timeout in whole milliseconds, rounded
//! up as CPython rounds it, so a loop with the selector may wake up to 1 ms
//! after a deadline.
//!
//! **Deadlock, revisited.** With nothing ready and no timer, stage 4 had to
//! call it a deadlock. Now the loop may still be woken from outside — by a
//! job on a thread, a descriptor a task waits on, or a live `LoopHandle` —
//! and then it waits, as asyncio does (asyncio never reports a deadlock).
//! Only when none of the three exists is it still a deadlock. (A later
//! stage may add a reason to listen through [`Outside::listen_while`]:
//! stage 9's std wakers held beyond their tasks.)
//!
//! **On a virtual clock**, time jumps when nothing is ready; but a job on a
//! thread has no virtual duration. The rule: the loop first takes what the
//! outside world already has (`poll` with no wait); while a thread is still
//! working for it, it waits for that (really) before it moves the clock —
//! so work on threads takes no virtual time, and a test that mixes
//! `to_thread` with `sleep` has one order, whatever the machine's speed.
//! Sockets do not hold the clock: with a timer pending, a quiet socket lets
//! time jump to it (a loopback write is readable at once, so a client and
//! server in one loop still see each other's bytes in order).

use super::inbox::{Inbox, drain_self_pipe};
use super::selector::{AlreadyWaiting, Direction, Selector};
use super::thread_pool::ThreadPool;
use crate::Waker;
use crate::stage4_event_loop::Callback;
use crate::stage4_event_loop::Core;
use crate::stage4_event_loop::seams::IdleWait;
use std::any::Any;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{Ordering, fence};
use std::time::Duration;

/// One loop's link to the outside world.
pub(crate) struct Outside {
    selector: RefCell<Selector>,
    inbox: Arc<Inbox>,
    /// The self-pipe's reading end (its number is the selector's first entry).
    self_pipe: UnixStream,
    /// Callbacks the loop expects from threads — jobs on the pool, a child
    /// process's watcher — and the waker of whoever awaits each (`None`
    /// once the awaiter has gone: the thread still answers).
    expected: RefCell<HashMap<u64, Option<Waker>>>,
    next_ticket: Cell<u64>,
    /// `to_thread`'s pool, made at its first job.
    default_pool: OnceCell<ThreadPool>,
    /// Other things that may still wake the loop from outside, asked before
    /// an idle loop is called deadlocked ([`Outside::listen_while`]).
    listen_reasons: RefCell<Vec<ListenReason>>,
}

/// Why an idle loop keeps listening, and the test of whether it still should.
type ListenReason = (&'static str, fn() -> bool);

/// A callback the loop expects from a thread; see [`Outside::expect`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Ticket(u64);

impl Outside {
    fn new() -> Outside {
        let (inbox, self_pipe) = Inbox::new()
            .unwrap_or_else(|e| panic!("rondo: cannot make the loop's self-pipe (a socket pair): {e}"));
        Outside {
            selector: RefCell::new(Selector::new(self_pipe.as_raw_fd())),
            inbox: Arc::new(inbox),
            self_pipe,
            expected: RefCell::new(HashMap::new()),
            next_ticket: Cell::new(1),
            default_pool: OnceCell::new(),
            listen_reasons: RefCell::new(Vec::new()),
        }
    }

    /// The loop's `Outside`, installed into its idle-wait seam the first time.
    pub(crate) fn of(core: &Core) -> Rc<Outside> {
        core.idle_wait_or_install(|| Rc::new(Outside::new()), true)
    }

    /// The running loop's `Outside`.
    ///
    /// # Panics
    /// Outside a running loop, naming `what` was called.
    pub(crate) fn of_running_loop(what: &str) -> Rc<Outside> {
        crate::stage4_event_loop::with_running_loop(what, |core| Outside::of(core))
    }

    pub(crate) fn inbox(&self) -> &Arc<Inbox> {
        &self.inbox
    }

    /// `to_thread`'s pool: asyncio's default executor, one per loop.
    pub(crate) fn default_pool(&self) -> &ThreadPool {
        self.default_pool.get_or_init(|| ThreadPool::named(ThreadPool::default_size(), "rondo-to-thread"))
    }

    /// Notes that a thread will answer (with [`Outside::arrived`], through
    /// the inbox), and who waits for the answer.
    pub(crate) fn expect(&self, waiter: &Waker) -> Ticket {
        let ticket = self.next_ticket.get();
        self.next_ticket.set(ticket + 1);
        self.expected.borrow_mut().insert(ticket, Some(waiter.clone()));
        Ticket(ticket)
    }

    /// The awaiter polled again (with perhaps another waker), or went away (`None`).
    pub(crate) fn rewait(&self, ticket: Ticket, waiter: Option<&Waker>) {
        if let Some(slot) = self.expected.borrow_mut().get_mut(&ticket.0) {
            *slot = waiter.cloned();
        }
    }

    /// On the loop's thread: the answer for `ticket` has arrived; wake its awaiter.
    pub(crate) fn arrived(&self, ticket: Ticket) {
        let waiter = self.expected.borrow_mut().remove(&ticket.0).flatten();
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    /// `true` until the answer for `ticket` has arrived.
    pub(crate) fn is_expected(&self, ticket: Ticket) -> bool {
        self.expected.borrow().contains_key(&ticket.0)
    }

    /// How many answers from threads are still to come.
    pub(crate) fn expected_count(&self) -> usize {
        self.expected.borrow().len()
    }

    /// Registers `waker` to be woken when `fd` is ready `direction`.
    pub(crate) fn register(
        &self,
        fd: RawFd,
        direction: Direction,
        token: Option<u64>,
        waker: &Waker,
    ) -> Result<u64, AlreadyWaiting> {
        self.selector.borrow_mut().register(fd, direction, token, waker)
    }

    pub(crate) fn deregister(&self, fd: RawFd, direction: Direction, token: u64) {
        self.selector.borrow_mut().deregister(fd, direction, token);
    }

    /// A later stage's reason to keep listening: while `still()` says so,
    /// an idle loop waits for the outside world instead of reporting a
    /// deadlock (stage 9: a std waker held beyond its task may be woken by
    /// whoever holds it). Added once per `why`.
    pub(crate) fn listen_while(&self, why: &'static str, still: fn() -> bool) {
        let mut reasons = self.listen_reasons.borrow_mut();
        if !reasons.iter().any(|(known, _)| *known == why) {
            reasons.push((why, still));
        }
    }

    /// Can anything outside still wake this loop?
    ///
    /// The order matters. A thread sends its mail *before* it lets go of
    /// what lets it send (a `LoopHandle`, a std waker): so first ask whether
    /// anyone still holds one, and only then — once their letting go is
    /// seen, with an acquire fence — whether mail came. The other order
    /// misses a thread that sends and lets go between the two questions, and
    /// calls a loop with mail in its inbox deadlocked.
    fn can_be_woken(&self) -> bool {
        if self.selector.borrow().len() > 0 || self.expected_count() > 0 {
            return true;
        }
        let reasons = self.listen_reasons.borrow().clone();
        if self.inbox.handles.load(Ordering::Acquire) > 0 || reasons.into_iter().any(|(_, still)| still()) {
            return true;
        }
        fence(Ordering::Acquire);
        self.inbox.has_mail()
    }

    /// Waits up to `timeout` for the outside world and queues what it has:
    /// first what threads sent, then the wakers of ready descriptors.
    /// Returns `true` if anything was queued.
    fn collect(&self, core: &Core, timeout: Option<Duration>) -> bool {
        let selected = self.selector.borrow_mut().select(timeout).unwrap_or_else(|e| {
            panic!("rondo: poll(2) failed, the loop cannot wait for the outside world: {e}")
        });
        let mut queued = false;
        if selected.self_pipe || self.inbox.has_mail() {
            drain_self_pipe(&self.self_pipe);
            for (f, at) in self.inbox.take() {
                core.call_soon(Callback::scheduled_at(f, at));
                queued = true;
            }
        }
        queued |= !selected.wakers.is_empty();
        for waker in selected.wakers {
            core.queue_wake(waker);
        }
        queued
    }
}

impl IdleWait for Outside {
    fn wait(&self, core: &Core, deadline: Option<Duration>) -> bool {
        let clock = core.clock();
        if clock.is_virtual() {
            if self.collect(core, Some(Duration::ZERO)) {
                return true; // the world had something: no time passes
            }
            if self.expected_count() > 0 {
                self.collect(core, None); // a thread is working for us: wait for it, really
                return true;
            }
            return match deadline {
                Some(deadline) => {
                    clock.wait_until(deadline);
                    true
                }
                None if self.can_be_woken() => {
                    self.collect(core, None);
                    true
                }
                None => false,
            };
        }
        let timeout = deadline.map(|deadline| deadline.saturating_sub(clock.now()));
        if timeout.is_none() && !self.can_be_woken() {
            return false;
        }
        self.collect(core, timeout);
        true
    }

    fn poll_now(&self, core: &Core) {
        // No descriptor to ask about: skip the system call, but not the mail.
        if self.selector.borrow().len() > 0 || self.inbox.has_mail() {
            self.collect(core, Some(Duration::ZERO));
        }
    }

    fn as_any(self: Rc<Self>) -> Rc<dyn Any> {
        self
    }
}

impl Drop for Outside {
    /// The loop is going: threads' answers from now on are dropped where
    /// they are sent, and the default pool shuts down (its threads finish
    /// their jobs and exit).
    fn drop(&mut self) {
        self.inbox.close();
    }
}
