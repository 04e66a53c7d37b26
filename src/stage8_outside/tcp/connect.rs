//! Connecting: `TcpStream::connect` — asyncio's `open_connection`, with
//! the blocking part on the loop's thread pool.
//!
//! std's `TcpStream::connect` blocks twice: in the name lookup
//! (`getaddrinfo`, which may ask a DNS server) and in the handshake. std
//! has no non-blocking connect, and the lookup has no non-blocking form at
//! all — asyncio itself runs `getaddrinfo` in its default executor. So rondo
//! runs the whole `connect` there: the task waits through stage 8's
//! [`to_thread`](crate::to_thread), like any blocking call, and the socket
//! comes back connected, to be made non-blocking on the loop's thread.
//!
//! The cost: two iterations (a thread's answer arrives through the inbox),
//! a pool thread busy for the handshake, and on a virtual clock the loop
//! waits for it really — work on threads takes no virtual time. The
//! alternative, a non-blocking `connect(2)` and waiting for writability
//! (what asyncio's `sock_connect` does after the lookup), needs the socket
//! calls std does not expose; it would be `unsafe` FFI beyond `poll`.
//!
//! Cancelling a connect does not stop the thread (nothing can): the socket
//! it makes is closed when the answer is dropped.
//!
//! **A trap, measured.** Pool threads connect faster than a loop busy with
//! thousands of tasks accepts. std listens with a backlog of 128; past 128
//! connections waiting to be accepted, Linux drops the handshake and the
//! client retries a second later — a pool thread blocked for that second,
//! and there are only `min(32, cpus + 4)` of them. 5,000 connects at once to
//! a server in the same loop took 18.5 s (1.5 s of CPU); bounding the
//! connects not yet known to be accepted to 100 with a `Semaphore` brought it
//! to about 2 s, all of it CPU (`cargo run --release --example echo -- --bench`). asyncio's
//! non-blocking connect meets the same drop, but only the dropped
//! connection waits, not a thread.

use super::super::to_thread::{ToThread, to_thread};
use super::stream::TcpStream;
use crate::{Context, Coroutine, Poll};
use std::io;
use std::net::ToSocketAddrs;

impl TcpStream {
    /// Connects to `addr` (asyncio: `await asyncio.open_connection(host, port)`).
    ///
    /// `addr` is anything std's `connect` takes that can go to a thread:
    /// `"127.0.0.1:8888"`, a `String`, a `SocketAddr`, `("localhost", 8888)`.
    /// The lookup and the handshake run on the loop's default thread pool.
    ///
    /// # Errors
    /// As std's: `ConnectionRefused` when nothing listens there, a lookup
    /// error for an unknown name, …
    ///
    /// # Panics
    /// When polled outside a running loop.
    #[track_caller]
    pub fn connect<A>(addr: A) -> Connect
    where
        A: ToSocketAddrs + Send + 'static,
    {
        Connect { state: ConnectState::Connecting(to_thread(move || std::net::TcpStream::connect(addr))) }
    }
}

/// ```text
/// async fn connect(addr) -> io::Result<TcpStream> {
///     let socket = to_thread(|| std::net::TcpStream::connect(addr)).await?;   // blocking: on the pool
///     TcpStream::from_std(socket)                                              // non-blocking from now on
/// }
/// ```
///
/// The coroutine returned by [`TcpStream::connect`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct Connect {
    state: ConnectState,
}

enum ConnectState {
    Connecting(ToThread<io::Result<std::net::TcpStream>>),
    Done,
}

impl Coroutine for Connect {
    type Output = io::Result<TcpStream>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        match &mut self.state {
            ConnectState::Connecting(on_thread) => {
                let Poll::Ready(connected) = on_thread.poll(cx) else { return Poll::Pending };
                self.state = ConnectState::Done;
                Poll::Ready(connected.and_then(TcpStream::from_std))
            }
            ConnectState::Done => panic!("TcpStream::connect() polled after it completed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventLoop;

    #[test]
    fn a_connected_stream_comes_back_non_blocking_with_nodelay_and_takes_no_virtual_time() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let ev = EventLoop::new_virtual();
        let stream = ev.run_until_complete(TcpStream::connect(addr)).unwrap().unwrap();
        assert!(stream.socket().nodelay().unwrap());
        assert_eq!(stream.peer_addr().unwrap(), addr);
        assert_eq!(ev.now(), std::time::Duration::ZERO, "work on a thread takes no virtual time");
        assert!(ev.iterations() >= 2, "a thread's answer: the inbox callback, then the task");
    }

    #[test]
    fn a_cancelled_connect_lets_the_thread_finish_and_its_socket_closes() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let ev = EventLoop::new_virtual();
        let task = std::rc::Rc::new(ev.spawn(TcpStream::connect(listener.local_addr().unwrap())));
        // Queued behind the task's first step, in the same iteration: the
        // connect is on a pool thread by then, and its answer cannot have
        // reached the task yet (that takes two more iterations).
        let t = task.clone();
        ev.call_soon(move || assert!(t.cancel()));
        ev.run_until_complete(crate::sleep(std::time::Duration::from_secs(1))).unwrap();
        assert!(task.cancelled());
        // The thread did connect; its answer was dropped, and the socket with it.
        let (mut server_side, _) = listener.accept().unwrap();
        server_side.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        assert_eq!(server_side.read(&mut [0u8; 8]).unwrap(), 0, "end of stream: the client side closed");
    }

    #[test]
    fn an_address_that_cannot_be_looked_up_is_an_error_value() {
        let ev = EventLoop::new_virtual();
        let err = ev.run_until_complete(TcpStream::connect("localhost:no-port")).unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    }
}
