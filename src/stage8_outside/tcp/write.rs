//! Writing: `write_all` — asyncio's `sock_sendall` (and `writer.write()`
//! followed by `await writer.drain()`).
//!
//! The kernel takes what fits in the socket's send buffer and says how
//! much: a write may be partial. `write_all` keeps an offset into its own
//! data and writes the rest; when the buffer is full (`WouldBlock`) it
//! waits for the selector to say the socket is writable. Data that fits —
//! the usual case for small messages — is written without suspending.
//!
//! Rejected alternative: asyncio's `StreamWriter`, where `write()` is sync
//! and appends to a buffer the loop flushes in the background, and `drain()`
//! waits for it to shrink. It needs a per-socket writer callback in the
//! loop and a high-water mark; `sock_sendall`'s shape — the task that
//! writes is the one that waits — keeps to one idea: try, else wait.

use super::super::io_wait::IoWait;
use super::super::selector::Direction;
use super::stream::TcpStream;
use crate::{Context, Coroutine, Poll};
use std::io::{self, Write as _};
use std::os::fd::AsRawFd;

impl TcpStream {
    /// Writes all of `data` (asyncio: `writer.write(data); await writer.drain()`).
    ///
    /// The coroutine owns `data` (a `Vec<u8>`, or anything that becomes one:
    /// `&str`, `String`, `&[u8]`), so it can be spawned and can outlive the caller.
    ///
    /// # Errors
    /// As the kernel reports them: `BrokenPipe` or `ConnectionReset` once
    /// the peer has gone (never a `SIGPIPE`: see the module docs), `WriteZero`
    /// if the socket takes nothing. How much was written before an error is
    /// not said — as with std's `write_all`.
    pub fn write_all(&self, data: impl Into<Vec<u8>>) -> WriteAll {
        let wait = IoWait::new(self.as_raw_fd(), Direction::Write);
        WriteAll { data: data.into(), written: 0, state: WriteState::Writing { stream: self.clone(), wait } }
    }
}

/// ```text
/// async fn write_all(stream, data) -> io::Result<()> {
///     let mut written = 0;
///     while written < data.len() {
///         match send(&data[written..]) {
///             Ok(0) => return Err(WriteZero),
///             Ok(n) => written += n,           // partial: go round again
///             Err(WouldBlock) => writable.await,
///             Err(e) => return Err(e),
///         }
///     }
///     Ok(())
/// }
/// ```
///
/// The coroutine returned by [`TcpStream::write_all`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct WriteAll {
    data: Vec<u8>,
    /// `data[..written]` is in the kernel's hands.
    written: usize,
    state: WriteState,
}

enum WriteState {
    Writing { stream: TcpStream, wait: IoWait },
    Done,
}

impl Coroutine for WriteAll {
    type Output = io::Result<()>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let WriteState::Writing { stream, wait } = &mut self.state else {
            panic!("TcpStream::write_all() polled after it completed");
        };
        let result = loop {
            if self.written == self.data.len() {
                break Ok(());
            }
            match stream.socket().write(&self.data[self.written..]) {
                Ok(0) => break Err(io::Error::new(io::ErrorKind::WriteZero, "the socket took no bytes")),
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait.wake_when_ready(cx);
                    return Poll::Pending;
                }
                Err(e) => break Err(e),
            }
        };
        self.state = WriteState::Done; // withdraws a registration still there
        self.data = Vec::new();
        Poll::Ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_write_that_fits_completes_without_suspending_and_a_second_poll_panics() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let stream = TcpStream::from_std(listener.accept().unwrap().0).unwrap();
        crate::block_on(stream.write_all("fits")).unwrap(); // no loop: it never waits
        let mut got = [0u8; 4];
        peer.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"fits");

        let mut empty = stream.write_all(Vec::new());
        let waker = crate::Waker::noop();
        let mut cx = Context::from_waker(&waker);
        assert!(matches!(empty.poll(&mut cx), Poll::Ready(Ok(()))));
        let again = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| empty.poll(&mut cx)));
        let message = *again.unwrap_err().downcast::<&str>().unwrap();
        assert_eq!(message, "TcpStream::write_all() polled after it completed");
    }
}
