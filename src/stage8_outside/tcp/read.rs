//! Reading: `read`, `read_exact`, `read_until` and `read_line` — asyncio's
//! `StreamReader.read`, `readexactly` and `readuntil`/`readline`.
//!
//! All three have one loop: *is what I want in the buffer? then take it;
//! else read more from the kernel into the buffer — or, on `WouldBlock`,
//! register with the selector and wait.* When the data is already there (in
//! the buffer, or in the kernel), a read completes without suspending, as
//! asyncio's `sock_recv` does — and as stage 7's uncontended `Queue.get`:
//! a needless `Pending` would add an iteration and change the order.
//!
//! A reader only *takes* from the shared buffer when it completes; until
//! then what it read stays there. So a read cancelled while parked loses no
//! bytes, and when `read_exact` meets end-of-stream early, the bytes that
//! did come are still in the buffer (asyncio puts them in the
//! `IncompleteReadError` instead; an `io::Error` carries no bytes).
//!
//! Differs from asyncio: no line-length limit. asyncio's `readline` raises
//! after 64 KiB without a newline; here a peer that never sends one makes
//! the buffer grow until it closes.

use super::super::io_wait::IoWait;
use super::super::selector::Direction;
use super::stream::TcpStream;
use crate::{Context, Coroutine, Poll};
use std::io;
use std::os::fd::AsRawFd;

impl TcpStream {
    /// Reads up to `max` bytes (asyncio: `await reader.read(max)`). An empty
    /// `Vec` means the peer closed its end (or `max` was 0).
    ///
    /// Bytes already in the buffer are returned at once; otherwise it waits
    /// until the kernel has some.
    pub fn read(&self, max: usize) -> ReadSome {
        ReadSome { max, state: ReadState::start(self) }
    }

    /// Reads exactly `n` bytes (asyncio: `readexactly`).
    ///
    /// # Errors
    /// `UnexpectedEof` if the peer closes first; the bytes that did arrive
    /// stay in the buffer ([`TcpStream::buffered`] says how many).
    pub fn read_exact(&self, n: usize) -> ReadExact {
        ReadExact { n, state: ReadState::start(self) }
    }

    /// Reads up to and including the first `byte` (asyncio: `readuntil`).
    /// At end of stream it returns what is left without the `byte` (empty
    /// when nothing is), as `readline` does and std's `BufRead::read_until`.
    pub fn read_until(&self, byte: u8) -> ReadUntil {
        ReadUntil { byte, searched: 0, state: ReadState::start(self) }
    }

    /// Reads a line, with its `\n` (asyncio: `await reader.readline()`):
    /// `read_until(b'\n')`. Empty at end of stream.
    pub fn read_line(&self) -> ReadUntil {
        self.read_until(b'\n')
    }
}

/// The state the three readers share.
enum ReadState {
    /// Holding the stream; the registration is made only if it must wait,
    /// and withdrawn when the coroutine completes or is dropped.
    Reading {
        stream: TcpStream,
        wait: IoWait,
    },
    Done,
}

impl ReadState {
    fn start(stream: &TcpStream) -> ReadState {
        ReadState::Reading { stream: stream.clone(), wait: IoWait::new(stream.as_raw_fd(), Direction::Read) }
    }

    /// Runs `step` — which looks at the buffer, and fills it while it must —
    /// until it gives an answer; then drops the stream and the registration.
    fn poll<T>(
        &mut self,
        cx: &mut Context<'_>,
        what: &str,
        step: impl FnOnce(&TcpStream, &mut IoWait, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match self {
            ReadState::Reading { stream, wait } => {
                let answer = step(stream, wait, cx);
                if answer.is_ready() {
                    *self = ReadState::Done; // withdraws a registration still there
                }
                answer
            }
            ReadState::Done => panic!("TcpStream::{what}() polled after it completed"),
        }
    }
}

/// ```text
/// async fn read(stream, max) -> io::Result<Vec<u8>> {
///     if max > 0 && stream.buffer.is_empty() {
///         loop { match recv_into_buffer() { WouldBlock => readable.await, r => { r?; break } } }
///     }
///     Ok(stream.buffer.take(max))             // empty: end of stream
/// }
/// ```
///
/// The coroutine returned by [`TcpStream::read`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct ReadSome {
    max: usize,
    state: ReadState,
}

impl Coroutine for ReadSome {
    type Output = io::Result<Vec<u8>>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let max = self.max;
        self.state.poll(cx, "read", |stream, wait, cx| {
            if max > 0 && stream.buffered() == 0 {
                match stream.shared.fill(wait, cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Ready(Ok(_)) => {} // 0 bytes: end of stream, and `take` gives an empty Vec
                }
            }
            Poll::Ready(Ok(stream.shared.take(max)))
        })
    }
}

/// ```text
/// async fn read_exact(stream, n) -> io::Result<Vec<u8>> {
///     while stream.buffer.len() < n {
///         if recv_into_buffer()? == 0 { return Err(UnexpectedEof) }  // waits on WouldBlock
///     }
///     Ok(stream.buffer.take(n))
/// }
/// ```
///
/// The coroutine returned by [`TcpStream::read_exact`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct ReadExact {
    n: usize,
    state: ReadState,
}

impl Coroutine for ReadExact {
    type Output = io::Result<Vec<u8>>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let n = self.n;
        self.state.poll(cx, "read_exact", |stream, wait, cx| {
            loop {
                let have = stream.buffered();
                if have >= n {
                    return Poll::Ready(Ok(stream.shared.take(n)));
                }
                match stream.shared.fill(wait, cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Ready(Ok(0)) => {
                        let message = format!("the peer closed the stream after {have} of {n} bytes");
                        return Poll::Ready(Err(io::Error::new(io::ErrorKind::UnexpectedEof, message)));
                    }
                    Poll::Ready(Ok(_)) => {}
                }
            }
        })
    }
}

/// ```text
/// async fn read_until(stream, byte) -> io::Result<Vec<u8>> {
///     loop {
///         if let Some(i) = stream.buffer.find(byte) { return Ok(stream.buffer.take(i + 1)) }
///         if recv_into_buffer()? == 0 { return Ok(stream.buffer.take_all()) }  // waits on WouldBlock
///     }
/// }
/// ```
///
/// The coroutine returned by [`TcpStream::read_until`] and [`TcpStream::read_line`].
#[must_use = "coroutines do nothing unless polled: await it or spawn it"]
pub struct ReadUntil {
    byte: u8,
    /// The buffer's first `searched` bytes hold no `byte`: each new chunk is
    /// searched once, not the whole buffer again (a long line arriving in
    /// small pieces would otherwise cost quadratic time).
    searched: usize,
    state: ReadState,
}

impl Coroutine for ReadUntil {
    type Output = io::Result<Vec<u8>>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (byte, searched) = (self.byte, &mut self.searched);
        self.state.poll(cx, "read_until", |stream, wait, cx| {
            loop {
                let found = {
                    let buffer = stream.shared.buffer.borrow();
                    let from = (*searched).min(buffer.len()); // (only a misuse — two readers — shrinks it)
                    *searched = buffer.len();
                    buffer[from..].iter().position(|&b| b == byte).map(|i| from + i)
                };
                if let Some(i) = found {
                    return Poll::Ready(Ok(stream.shared.take(i + 1)));
                }
                match stream.shared.fill(wait, cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Ready(Ok(0)) => return Poll::Ready(Ok(stream.shared.take(usize::MAX))),
                    Poll::Ready(Ok(_)) => {}
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CoroutineExt, EventLoop, block_on, join, lazy, yield_now};
    use std::io::Write;

    fn pair() -> (TcpStream, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        (TcpStream::from_std(listener.accept().unwrap().0).unwrap(), peer)
    }

    #[test]
    fn what_is_already_there_is_read_without_the_loop_and_read_0_reads_nothing() {
        // `block_on` has no selector: these complete only because they never wait.
        let (stream, mut peer) = pair();
        assert_eq!(block_on(stream.read(0)).unwrap(), b"");
        peer.write_all(b"abc\ndef").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5)); // loopback: there in microseconds
        assert_eq!(block_on(stream.read_line()).unwrap(), b"abc\n");
        assert_eq!(block_on(stream.read(2)).unwrap(), b"de", "from the buffer");
        assert_eq!(block_on(stream.read_exact(1)).unwrap(), b"f");
    }

    #[test]
    fn a_line_split_across_reads_is_found_once_it_is_whole() {
        let (stream, mut peer) = pair();
        peer.write_all(b"hel").unwrap();
        let write_rest = lazy(move || peer.write_all(b"lo\nrest").unwrap());
        let (line, ()) = EventLoop::new_virtual()
            .run(join(stream.read_until(b'\n'), yield_now().then(|()| write_rest)))
            .unwrap();
        assert_eq!(line.unwrap(), b"hello\n");
        assert_eq!(stream.buffered(), 4, "\"rest\" waits for the next read");
    }

    #[test]
    #[should_panic(expected = "TcpStream::read_exact() polled after it completed")]
    fn polling_a_finished_read_panics() {
        let (stream, _peer) = pair();
        let mut read = stream.read_exact(0);
        let waker = crate::Waker::noop();
        let mut cx = Context::from_waker(&waker);
        assert!(read.poll(&mut cx).is_ready());
        let _ = read.poll(&mut cx);
    }
}
