//! `TcpStream`: a shared handle to a non-blocking socket and its read buffer.
//!
//! One connection is one std `TcpStream` in non-blocking mode, behind an
//! `Rc`: cloning the handle is cheap, and a coroutine owns the clone it
//! works on (see the module docs: a hand-written coroutine cannot borrow).
//! The socket closes when the last clone — the last coroutine using it —
//! is dropped.
//!
//! Beside the socket lives the **read buffer**: bytes taken from the kernel
//! but not yet given to a reader. `read_line` reads in chunks, so it may take
//! the start of the next line too; those bytes must reach the *next* read,
//! whichever clone it is called on — so the buffer is in the shared part,
//! not in a coroutine. (asyncio's `StreamReader` keeps its `_buffer` for
//! the same reason.) It also makes the readers cancel-safe: they leave what
//! they read in the buffer until they complete, so a read cancelled halfway
//! through loses nothing.

use super::super::io_wait::IoWait;
use crate::{Context, Poll};
use std::cell::RefCell;
use std::fmt;
use std::io::{self, Read as _};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;

/// How many bytes one read from the kernel takes at most. A stack array, so
/// an idle connection's buffer holds no spare capacity (5,000 connections
/// with a 16 KiB buffer each would be 80 MB for nothing).
const CHUNK: usize = 16 * 1024;

/// A TCP connection (asyncio: the `StreamReader`/`StreamWriter` pair of
/// `open_connection`). A `Clone` handle: clones share the socket and its
/// read buffer.
///
/// Its methods return coroutines that own a clone, so they are `'static`
/// and can be spawned. One reader and one writer at a time: a second
/// coroutine that has to wait to read (or write) while another already
/// waits panics in its task.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, TcpListener, TcpStream, join};
///
/// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
/// let addr = listener.local_addr().unwrap();
/// // the server writes one line; the client reads it
/// let server = listener.accept().then(|accepted| accepted.unwrap().0.write_all("hi\n"));
/// let client = TcpStream::connect(addr).then(|stream| stream.unwrap().read_line());
/// let (sent, line) = EventLoop::new().run(join(server, client)).unwrap();
/// sent.unwrap();
/// assert_eq!(line.unwrap(), b"hi\n");
/// ```
#[derive(Clone)]
pub struct TcpStream {
    pub(super) shared: Rc<Shared>,
}

/// What the clones share.
pub(super) struct Shared {
    /// Non-blocking, `TCP_NODELAY` (as asyncio sets it: a small write goes
    /// out at once instead of waiting to be merged with the next).
    socket: std::net::TcpStream,
    /// Read from the socket, not yet given to a reader; oldest first.
    pub(super) buffer: RefCell<Vec<u8>>,
}

impl TcpStream {
    /// Wraps a connected std socket: makes it non-blocking and sets
    /// `TCP_NODELAY`.
    ///
    /// # Errors
    /// If either setting fails (the socket is not a usable TCP socket).
    pub fn from_std(socket: std::net::TcpStream) -> io::Result<TcpStream> {
        socket.set_nonblocking(true)?;
        socket.set_nodelay(true)?;
        Ok(TcpStream { shared: Rc::new(Shared { socket, buffer: RefCell::new(Vec::new()) }) })
    }

    /// The address of the other end (asyncio: `get_extra_info('peername')`).
    ///
    /// # Errors
    /// If the socket is no longer connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.shared.socket.peer_addr()
    }

    /// This end's address (asyncio: `get_extra_info('sockname')`).
    ///
    /// # Errors
    /// As std's `local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.shared.socket.local_addr()
    }

    /// Shuts down reading, writing or both — for every clone. Sync: it does
    /// not wait. `Shutdown::Write` sends end-of-stream to the peer (asyncio:
    /// `writer.write_eof()`) while this end can still read its answer.
    ///
    /// # Errors
    /// As std's `shutdown` (e.g. `NotConnected` once the peer reset it).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.shared.socket.shutdown(how)
    }

    /// How many bytes wait in the read buffer (read from the kernel, not yet
    /// returned by a read).
    pub fn buffered(&self) -> usize {
        self.shared.buffer.borrow().len()
    }

    pub(super) fn socket(&self) -> &std::net::TcpStream {
        &self.shared.socket
    }
}

impl Shared {
    /// One non-blocking read from the kernel into the buffer: `Ready(Ok(n))`
    /// with `n == 0` at end of stream; `Pending` once `wait` is registered.
    pub(super) fn fill(&self, wait: &mut IoWait, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut chunk = [0u8; CHUNK];
        loop {
            match (&self.socket).read(&mut chunk) {
                Ok(n) => {
                    self.buffer.borrow_mut().extend_from_slice(&chunk[..n]);
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue, // a signal: just retry
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait.wake_when_ready(cx);
                    return Poll::Pending;
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Removes and returns the first `n` bytes of the buffer.
    pub(super) fn take(&self, n: usize) -> Vec<u8> {
        let mut buffer = self.buffer.borrow_mut();
        if n >= buffer.len() {
            return std::mem::take(&mut *buffer);
        }
        let rest = buffer.split_off(n);
        std::mem::replace(&mut *buffer, rest)
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.shared.socket.as_raw_fd()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpStream");
        if let Ok(local) = self.local_addr() {
            d.field("local", &local);
        }
        if let Ok(peer) = self.peer_addr() {
            d.field("peer", &peer);
        }
        d.field("fd", &self.as_raw_fd()).field("buffered", &self.buffered()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (TcpStream, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (TcpStream::from_std(server).unwrap(), client)
    }

    #[test]
    fn take_splits_the_buffer_and_keeps_the_rest_for_the_next_reader() {
        let (stream, _peer) = pair();
        stream.shared.buffer.borrow_mut().extend_from_slice(b"one\ntwo\n");
        let clone = stream.clone();
        assert_eq!(stream.shared.take(4), b"one\n");
        assert_eq!(clone.buffered(), 4, "the clone sees what is left");
        assert_eq!(clone.shared.take(100), b"two\n");
        assert_eq!(stream.buffered(), 0);
    }

    #[test]
    fn from_std_sets_non_blocking_and_nodelay() {
        let (stream, _peer) = pair();
        assert!(stream.socket().nodelay().unwrap());
        let mut buf = [0u8; 1];
        let err = (stream.socket()).read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "nothing sent yet, and it did not block");
        assert_eq!(stream.peer_addr().unwrap(), _peer.local_addr().unwrap());
        assert!(format!("{stream:?}").starts_with("TcpStream { local: 127.0.0.1:"));
    }
}
