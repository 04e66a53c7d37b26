//! `poll(2)`, declared by hand: the one place rondo talks to the C library.
//!
//! std can make a socket non-blocking, but it cannot wait for *several* of
//! them at once: that is the kernel's `poll(2)` (or `epoll`, `kqueue`), and
//! std does not expose it. So this file declares the C function itself —
//! the only `unsafe` of the crate, kept to one call.
//!
//! Rejected alternatives: `epoll` is faster with thousands of idle sockets,
//! but Linux-only, and its `struct epoll_event` is `packed` on x86_64 only —
//! a known trap for a hand-written declaration; `select(2)` stops at
//! descriptor 1023, below the 10,000 sockets stage 8's benchmark opens.
//! `poll` is POSIX, has a plain struct, and is what CPython's `PollSelector`
//! wraps. Its cost is linear in the number of descriptors per call, which
//! chapter 8 measures.

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

/// `struct pollfd` from `<poll.h>`: the same layout on Linux and macOS.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PollFd {
    /// The descriptor to watch (a negative one is skipped by the kernel).
    pub(crate) fd: RawFd,
    /// What we ask about: `POLLIN`, `POLLOUT`.
    pub(crate) events: i16,
    /// What happened, filled in by the kernel (also `POLLERR`, `POLLHUP`,
    /// `POLLNVAL`, which it reports whether asked or not).
    pub(crate) revents: i16,
}

/// Data to read (or a connection to accept, or the peer's end of stream).
pub(crate) const POLLIN: i16 = 0x1;
/// Room to write (or a non-blocking connect has finished).
pub(crate) const POLLOUT: i16 = 0x4;
/// An error is pending on the descriptor.
pub(crate) const POLLERR: i16 = 0x8;
/// The peer hung up.
pub(crate) const POLLHUP: i16 = 0x10;
/// The descriptor is not open.
pub(crate) const POLLNVAL: i16 = 0x20;

/// `nfds_t`: `unsigned long` on Linux, `unsigned int` on macOS and the BSDs.
#[cfg(target_os = "linux")]
type NfdsT = std::ffi::c_ulong;
#[cfg(not(target_os = "linux"))]
type NfdsT = std::ffi::c_uint;

unsafe extern "C" {
    /// `int poll(struct pollfd *fds, nfds_t nfds, int timeout);` — from libc,
    /// which every Rust program on Unix links already.
    #[link_name = "poll"]
    fn c_poll(fds: *mut PollFd, nfds: NfdsT, timeout: std::ffi::c_int) -> std::ffi::c_int;
}

/// Waits until one of `fds` is ready, or `timeout` passes (`None`: no
/// limit). Returns how many have a non-zero `revents`.
///
/// The timeout is in whole milliseconds, rounded *up*, as CPython's
/// `PollSelector` rounds it: rounding down would wake the loop just before a
/// deadline, with nothing due, and spin until it is.
pub(crate) fn poll(fds: &mut [PollFd], timeout: Option<Duration>) -> io::Result<usize> {
    let timeout_ms: std::ffi::c_int = match timeout {
        None => -1,
        Some(t) => {
            let ms = t.as_nanos().div_ceil(1_000_000);
            ms.min(i32::MAX as u128) as std::ffi::c_int // ~24 days; the loop asks again
        }
    };
    loop {
        // Safety: `fds` is a valid, exclusively borrowed slice of `#[repr(C)]`
        // `pollfd`s, and `len` is its length, so the kernel reads and writes
        // only inside it; it keeps no pointer after returning. `PollFd` has
        // no invalid bit patterns, so whatever the kernel writes to `revents`
        // is a valid `i16`.
        let n = unsafe { c_poll(fds.as_mut_ptr(), fds.len() as NfdsT, timeout_ms) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let error = io::Error::last_os_error();
        // A signal arrived during the wait: asyncio (PEP 475) retries.
        // (Retrying with the full timeout may overshoot a deadline by the
        // time already waited; the loop's next iteration catches up.)
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::time::Instant;

    #[test]
    fn the_struct_has_the_c_layout() {
        // int + short + short, no padding: 8 bytes, as <poll.h> says.
        assert_eq!(std::mem::size_of::<PollFd>(), 8);
        assert_eq!(std::mem::align_of::<PollFd>(), 4);
    }

    #[test]
    fn a_quiet_socket_times_out_and_a_written_one_is_readable() {
        let (mut a, b) = UnixStream::pair().unwrap();
        let mut fds = [PollFd { fd: b.as_raw_fd(), events: POLLIN, revents: 0 }];
        let started = Instant::now();
        assert_eq!(poll(&mut fds, Some(Duration::from_millis(5))).unwrap(), 0);
        assert!(started.elapsed() >= Duration::from_millis(5), "it waited out the timeout");
        a.write_all(b"x").unwrap();
        assert_eq!(poll(&mut fds, Some(Duration::ZERO)).unwrap(), 1);
        assert_eq!(fds[0].revents & POLLIN, POLLIN);
        assert_eq!(poll(&mut fds, None).unwrap(), 1, "no timeout, but already readable");
    }

    #[test]
    fn a_hung_up_peer_and_a_closed_descriptor_are_reported_not_waited_for() {
        let (a, b) = UnixStream::pair().unwrap();
        drop(a);
        let mut fds = [PollFd { fd: b.as_raw_fd(), events: POLLIN, revents: 0 }];
        assert_eq!(poll(&mut fds, None).unwrap(), 1);
        assert_ne!(fds[0].revents & (POLLIN | POLLHUP), 0);
        // A number no descriptor has (a closed one could be reused at once
        // by a test running beside this one).
        let mut fds = [PollFd { fd: 999_999, events: POLLIN, revents: 0 }];
        assert_eq!(poll(&mut fds, None).unwrap(), 1);
        assert_eq!(fds[0].revents & POLLNVAL, POLLNVAL);
    }

    #[test]
    fn a_sub_millisecond_timeout_rounds_up_not_to_zero() {
        let mut fds: [PollFd; 0] = [];
        let started = Instant::now();
        poll(&mut fds, Some(Duration::from_micros(10))).unwrap();
        assert!(started.elapsed() >= Duration::from_micros(10));
    }
}
