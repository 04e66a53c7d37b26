//! The selector: which descriptors the loop's tasks wait on, and `poll(2)` over them.
//!
//! asyncio's `BaseSelectorEventLoop` keeps, for each file descriptor, a
//! reader callback and a writer callback (`add_reader`, `add_writer`), asks
//! the selector which descriptors are ready, and queues their callbacks as
//! handles. rondo keeps a *waker* per descriptor and direction instead: a
//! coroutine that met `WouldBlock` registers its waker and returns
//! `Pending`; when `poll` says the descriptor is ready, the waker is queued
//! like a fired timer's — it runs in this iteration, the task in the next,
//! the two hops of asyncio's `sock_recv` (the reader callback resolves a
//! future, whose callback schedules the task).
//!
//! A registration is one-shot: it is removed when it fires, and the
//! coroutine registers again if it meets `WouldBlock` again. asyncio's
//! `sock_recv` does the same (`add_reader`, then `remove_reader` in the
//! callback). The kernel's array is rebuilt only when registrations change.
//!
//! Descriptors are kept in a `BTreeMap`, so events of one `poll` are queued
//! in descriptor order: deterministic, where a `HashMap` would not be.
//!
//! (Over 300 lines with its tests: about 190 of code; the rest is the tests,
//! among them a proptest of the selector against a model.)

use super::sys_poll::{self, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, PollFd};
use crate::Waker;
use std::collections::BTreeMap;
use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

/// Which way a task waits on a descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// For data (or a connection, or end of stream): asyncio's `add_reader`.
    Read,
    /// For room to write (or a connect to finish): `add_writer`.
    Write,
}

/// One registered waiter: its waker, and the token that says it is the same
/// registration (so that a stale one cannot remove a newer one).
struct Registered {
    token: u64,
    waker: Waker,
}

#[derive(Default)]
struct Interest {
    read: Option<Registered>,
    write: Option<Registered>,
}

impl Interest {
    fn slot(&mut self, direction: Direction) -> &mut Option<Registered> {
        match direction {
            Direction::Read => &mut self.read,
            Direction::Write => &mut self.write,
        }
    }
}

/// Two coroutines wait the same way on one descriptor: which one should
/// get the bytes? asyncio refuses too ("another coroutine is already
/// waiting for incoming data").
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AlreadyWaiting {
    pub(crate) fd: RawFd,
    pub(crate) direction: Direction,
}

pub(crate) struct Selector {
    interests: BTreeMap<RawFd, Interest>,
    /// The array handed to `poll`: the self-pipe first, then every
    /// registered descriptor. Rebuilt when `dirty`.
    fds: Vec<PollFd>,
    dirty: bool,
    next_token: u64,
}

/// What one `poll` found.
pub(crate) struct Selected {
    /// The self-pipe had bytes: another thread sent something.
    pub(crate) self_pipe: bool,
    /// The wakers of ready registrations, in descriptor order (read before write).
    pub(crate) wakers: Vec<Waker>,
}

impl Selector {
    pub(crate) fn new(self_pipe: RawFd) -> Selector {
        Selector {
            interests: BTreeMap::new(),
            fds: vec![PollFd { fd: self_pipe, events: POLLIN, revents: 0 }],
            dirty: false,
            next_token: 1,
        }
    }

    /// Registers (or, with the same `token`, updates) the waker of a task
    /// waiting on `fd`; returns the registration's token.
    pub(crate) fn register(
        &mut self,
        fd: RawFd,
        direction: Direction,
        token: Option<u64>,
        waker: &Waker,
    ) -> Result<u64, AlreadyWaiting> {
        let slot = self.interests.entry(fd).or_default().slot(direction);
        match slot {
            Some(mine) if Some(mine.token) == token => {
                if !mine.waker.will_wake(waker) {
                    mine.waker = waker.clone();
                }
                Ok(mine.token)
            }
            Some(_) => Err(AlreadyWaiting { fd, direction }),
            None => {
                let token = self.next_token;
                self.next_token += 1;
                *slot = Some(Registered { token, waker: waker.clone() });
                self.dirty = true;
                Ok(token)
            }
        }
    }

    /// Withdraws the registration `token`, if it is still there (it is not
    /// once it has fired).
    pub(crate) fn deregister(&mut self, fd: RawFd, direction: Direction, token: u64) {
        let Some(interest) = self.interests.get_mut(&fd) else { return };
        let slot = interest.slot(direction);
        if slot.as_ref().is_some_and(|r| r.token == token) {
            *slot = None;
            if interest.read.is_none() && interest.write.is_none() {
                self.interests.remove(&fd);
            }
            self.dirty = true;
        }
    }

    /// How many descriptors have a waiter.
    pub(crate) fn len(&self) -> usize {
        self.interests.len()
    }

    /// Waits up to `timeout` (`None`: no limit) for the self-pipe or a
    /// registered descriptor, and takes the wakers of the ready ones.
    pub(crate) fn select(&mut self, timeout: Option<Duration>) -> io::Result<Selected> {
        if self.dirty {
            self.fds.truncate(1);
            for (&fd, interest) in &self.interests {
                let events = if interest.read.is_some() { POLLIN } else { 0 }
                    | if interest.write.is_some() { POLLOUT } else { 0 };
                self.fds.push(PollFd { fd, events, revents: 0 });
            }
            self.dirty = false;
        }
        let mut ready = sys_poll::poll(&mut self.fds, timeout)?;
        let mut selected = Selected { self_pipe: false, wakers: Vec::new() };
        if ready == 0 {
            return Ok(selected);
        }
        if std::mem::take(&mut self.fds[0].revents) != 0 {
            selected.self_pipe = true;
            ready -= 1;
        }
        // Errors and hang-ups wake both directions: the next read or write
        // meets the error (or end of stream) and returns it to the task.
        const READABLE: i16 = POLLIN | POLLHUP | POLLERR | POLLNVAL;
        const WRITABLE: i16 = POLLOUT | POLLHUP | POLLERR | POLLNVAL;
        for pollfd in &mut self.fds[1..] {
            if ready == 0 {
                break;
            }
            let revents = std::mem::take(&mut pollfd.revents);
            if revents == 0 {
                continue;
            }
            ready -= 1;
            let interest = self.interests.get_mut(&pollfd.fd).expect("the array mirrors the map");
            if revents & READABLE != 0
                && let Some(registered) = interest.read.take()
            {
                selected.wakers.push(registered.waker);
            }
            if revents & WRITABLE != 0
                && let Some(registered) = interest.write.take()
            {
                selected.wakers.push(registered.waker);
            }
            self.dirty = true;
        }
        if self.dirty {
            self.interests.retain(|_, i| i.read.is_some() || i.write.is_some());
        }
        Ok(selected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Wake;
    use std::cell::Cell;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::rc::Rc;

    struct Count(Cell<u32>);
    impl Wake for Count {
        fn wake(&self) {
            self.0.set(self.0.get() + 1);
        }
    }

    fn counter() -> (Rc<Count>, Waker) {
        let count = Rc::new(Count(Cell::new(0)));
        (count.clone(), Waker::new(count))
    }

    #[test]
    fn a_registration_fires_once_when_its_descriptor_is_ready() {
        let (pipe_r, _pipe_w) = UnixStream::pair().unwrap();
        let (mut a, b) = UnixStream::pair().unwrap();
        let mut selector = Selector::new(pipe_r.as_raw_fd());
        let (count, waker) = counter();
        selector.register(b.as_raw_fd(), Direction::Read, None, &waker).unwrap();
        let quiet = selector.select(Some(Duration::ZERO)).unwrap();
        assert!(quiet.wakers.is_empty() && !quiet.self_pipe);
        a.write_all(b"hi").unwrap();
        let ready = selector.select(None).unwrap();
        ready.wakers.iter().for_each(Waker::wake);
        assert_eq!(count.0.get(), 1);
        assert_eq!(selector.len(), 0, "one-shot: gone once fired");
        assert!(selector.select(Some(Duration::ZERO)).unwrap().wakers.is_empty());
    }

    #[test]
    fn a_second_waiter_is_refused_and_a_stale_token_removes_nothing() {
        let (pipe_r, _pipe_w) = UnixStream::pair().unwrap();
        let (_a, b) = UnixStream::pair().unwrap();
        let fd = b.as_raw_fd();
        let mut selector = Selector::new(pipe_r.as_raw_fd());
        let (_, waker) = counter();
        let token = selector.register(fd, Direction::Read, None, &waker).unwrap();
        assert_eq!(
            selector.register(fd, Direction::Read, Some(token), &waker),
            Ok(token),
            "same one: updated"
        );
        let err = selector.register(fd, Direction::Read, None, &waker).unwrap_err();
        assert_eq!(err, AlreadyWaiting { fd, direction: Direction::Read });
        let writer = selector.register(fd, Direction::Write, None, &waker).unwrap();
        selector.deregister(fd, Direction::Read, token + 100);
        assert_eq!(selector.len(), 1);
        selector.deregister(fd, Direction::Read, token);
        selector.deregister(fd, Direction::Write, writer);
        assert_eq!(selector.len(), 0);
    }

    #[test]
    fn a_write_to_the_self_pipe_ends_the_wait() {
        let (pipe_r, mut pipe_w) = UnixStream::pair().unwrap();
        let mut selector = Selector::new(pipe_r.as_raw_fd());
        let writer = std::thread::spawn(move || pipe_w.write_all(b"!").unwrap());
        let selected = selector.select(None).unwrap(); // would block forever otherwise
        assert!(selected.self_pipe);
        writer.join().unwrap();
    }

    #[derive(Clone, Debug)]
    enum Op {
        /// A task waits to read pair `n`'s reading end.
        Wait(usize),
        /// The waiting task is cancelled: its registration is withdrawn.
        Cancel(usize),
        /// Someone writes a byte into pair `n`.
        Write(usize),
        /// The waiting task reads everything pair `n` has.
        Drain(usize),
        /// The loop polls, without waiting.
        Select,
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            (0..4usize).prop_map(Op::Wait),
            (0..4usize).prop_map(Op::Cancel),
            (0..4usize).prop_map(Op::Write),
            (0..4usize).prop_map(Op::Drain),
            Just(Op::Select),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, failure_persistence: None, ..Default::default() })]

        /// Against a model: a registration fires exactly when the loop polls
        /// while its descriptor has unread bytes, fires once, and a withdrawn
        /// one never fires.
        #[test]
        fn a_registration_fires_once_and_only_when_its_descriptor_is_ready(
            ops in proptest::collection::vec(op(), 1..60),
        ) {
            use std::io::Read;
            let (pipe_r, _pipe_w) = UnixStream::pair().unwrap();
            let mut selector = Selector::new(pipe_r.as_raw_fd());
            let pairs: Vec<(UnixStream, UnixStream)> = (0..4).map(|_| {
                let (a, b) = UnixStream::pair().unwrap();
                b.set_nonblocking(true).unwrap();
                (a, b)
            }).collect();
            let counters: Vec<(Rc<Count>, Waker)> = (0..4).map(|_| counter()).collect();
            // The model: who waits (and its token), how many bytes are unread, wakes so far.
            let mut waiting: Vec<Option<u64>> = vec![None; 4];
            let mut unread = [0usize; 4];
            let mut woken = [0u32; 4];
            for op in ops {
                match op {
                    Op::Wait(n) => {
                        let fd = pairs[n].1.as_raw_fd();
                        let token = selector.register(fd, Direction::Read, waiting[n], &counters[n].1).unwrap();
                        proptest::prop_assert!(waiting[n].is_none_or(|t| t == token), "the same waiter keeps its token");
                        waiting[n] = Some(token);
                    }
                    Op::Cancel(n) => {
                        if let Some(token) = waiting[n].take() {
                            selector.deregister(pairs[n].1.as_raw_fd(), Direction::Read, token);
                        }
                    }
                    Op::Write(n) => {
                        (&pairs[n].0).write_all(b"x").unwrap();
                        unread[n] += 1;
                    }
                    Op::Drain(n) => {
                        let mut buf = [0u8; 64];
                        while unread[n] > 0 {
                            unread[n] -= (&pairs[n].1).read(&mut buf).unwrap();
                        }
                    }
                    Op::Select => {
                        let selected = selector.select(Some(Duration::ZERO)).unwrap();
                        selected.wakers.iter().for_each(Waker::wake);
                        for n in 0..4 {
                            if waiting[n].is_some() && unread[n] > 0 {
                                waiting[n] = None; // fired: one-shot
                                woken[n] += 1;
                            }
                        }
                    }
                }
                for n in 0..4 {
                    proptest::prop_assert_eq!(counters[n].0.0.get(), woken[n], "pair {}", n);
                }
                proptest::prop_assert_eq!(selector.len(), waiting.iter().filter(|w| w.is_some()).count());
            }
        }
    }
}
