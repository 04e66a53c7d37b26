//! `TcpListener`: a listening socket, and `accept` — asyncio's
//! `start_server` without the callback.
//!
//! `bind` is sync: binding and listening do not wait for anyone (asyncio's
//! `create_server` is a coroutine only because of its `getaddrinfo`; here a
//! name given to `bind` is looked up on the loop's thread, so give an IP
//! address). `accept` is the socket coroutine's shape once more: try
//! `accept(2)`; on `WouldBlock` wait until the listening socket is readable
//! — a connection has arrived — and try again.
//!
//! asyncio calls a handler for each connection (`start_server(handle, …)`);
//! rondo gives the connection to whoever awaits `accept`, and a server is a
//! task that accepts in a loop and spawns a handler per connection — what
//! asyncio does inside `start_server`, written out (the echo example).

use super::super::io_wait::IoWait;
use super::super::selector::Direction;
use super::stream::TcpStream;
use crate::{Context, Coroutine, Poll};
use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;

/// A listening TCP socket (asyncio: the `Server` of `start_server`). A
/// `Clone` handle; the socket closes when the last clone (or the last
/// `accept` waiting on it) is dropped.
///
/// ```
/// use rondo::{CoroutineExt, EventLoop, TcpListener, TcpStream, join};
///
/// let listener = TcpListener::bind("127.0.0.1:0").unwrap(); // port 0: any free port
/// let addr = listener.local_addr().unwrap();
/// let (accepted, connected) =
///     EventLoop::new().run(join(listener.accept(), TcpStream::connect(addr))).unwrap();
/// let (server_side, peer) = accepted.unwrap();
/// assert_eq!(peer, connected.unwrap().local_addr().unwrap());
/// assert_eq!(server_side.local_addr().unwrap(), addr);
/// ```
#[derive(Clone)]
pub struct TcpListener {
    socket: Rc<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` and listens, non-blocking (asyncio: `start_server`'s
    /// socket). Port 0 picks a free port: ask [`local_addr`](TcpListener::local_addr).
    ///
    /// Like std's (and asyncio's) it sets `SO_REUSEADDR`, so a port whose
    /// last connections linger in `TIME_WAIT` can be bound again at once.
    /// std listens with a backlog of 128 connections waiting to be accepted
    /// (asyncio's `start_server`: 100), and offers no way to change it.
    ///
    /// # Errors
    /// `AddrInUse` when another socket listens there; as std's `bind`.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::from_std(std::net::TcpListener::bind(addr)?)
    }

    /// Wraps a std listener, making it non-blocking.
    ///
    /// # Errors
    /// If it cannot be made non-blocking.
    pub fn from_std(socket: std::net::TcpListener) -> io::Result<TcpListener> {
        socket.set_nonblocking(true)?;
        Ok(TcpListener { socket: Rc::new(socket) })
    }

    /// The address it listens on.
    ///
    /// # Errors
    /// As std's `local_addr`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Waits for the next connection: the stream (non-blocking, `TCP_NODELAY`)
    /// and the peer's address. One `accept` may wait at a time.
    pub fn accept(&self) -> Accept {
        let wait = IoWait::new(self.as_raw_fd(), Direction::Read);
        Accept { state: AcceptState::Accepting { listener: self.clone(), wait } }
    }
}

/// ```text
/// async fn accept(listener) -> io::Result<(TcpStream, SocketAddr)> {
///     loop {
///         match listener.accept() {                 // accept(2), non-blocking
///             Ok((socket, peer)) => return Ok((TcpStream::from_std(socket)?, peer)),
///             Err(WouldBlock) => readable.await,    // nobody yet
///             Err(e) => return Err(e),              // e.g. too many open files
///         }
///     }
/// }
/// ```
///
/// The coroutine returned by [`TcpListener::accept`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Accept {
    state: AcceptState,
}

enum AcceptState {
    Accepting { listener: TcpListener, wait: IoWait },
    Done,
}

impl Coroutine for Accept {
    type Output = io::Result<(TcpStream, SocketAddr)>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let AcceptState::Accepting { listener, wait } = &mut self.state else {
            panic!("TcpListener::accept() polled after it completed");
        };
        let result = loop {
            match listener.socket.accept() {
                Ok((socket, peer)) => break TcpStream::from_std(socket).map(|stream| (stream, peer)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    wait.wake_when_ready(cx);
                    return Poll::Pending;
                }
                Err(e) => break Err(e),
            }
        };
        self.state = AcceptState::Done; // withdraws a registration still there
        Poll::Ready(result)
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("TcpListener");
        if let Ok(addr) = self.local_addr() {
            d.field("addr", &addr);
        }
        d.field("fd", &self.as_raw_fd()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_is_non_blocking_and_a_second_bind_says_addr_in_use() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let err = listener.socket.accept().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "nobody connected, and it did not block");
        let err = TcpListener::bind(addr).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
        assert!(format!("{listener:?}").contains(&addr.to_string()));
    }

    #[test]
    fn an_accept_polled_outside_a_loop_with_a_connection_waiting_does_not_need_the_loop() {
        // No `WouldBlock`, so no registration: nothing asks for a running loop.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (stream, peer) = crate::block_on(listener.accept()).unwrap();
        assert_eq!(stream.peer_addr().unwrap(), peer);
    }
}
