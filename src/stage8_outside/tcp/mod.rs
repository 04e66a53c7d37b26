//! TCP streams: the loop's first real I/O — asyncio's `open_connection`,
//! `start_server` and `sock_recv`/`sock_sendall`, by hand.
//!
//! **What the selector alone could not do.** `selector` and `io_wait` can
//! park a task until a descriptor is ready, but no task had a descriptor to
//! wait on: a std `TcpStream` blocks the whole thread in `read`, so one slow
//! peer froze every task (stage 6's detector names the culprit; it cannot
//! cure it).
//!
//! **What this adds.** A socket put in non-blocking mode, and coroutines
//! with one shape: *try the call; on `WouldBlock`, register the task's waker
//! with the selector ([`IoWait`](super::io_wait)) and return `Pending`;
//! when woken, try again.* That is asyncio's `sock_recv`:
//!
//! ```python
//! try: return sock.recv(n)                  # data already there: no suspension
//! except BlockingIOError: pass
//! fut = loop.create_future()
//! loop.add_reader(sock, _sock_recv, fut, sock, n)   # one-shot: removed when it fires
//! return await fut                          # 2 iterations: the reader callback, then the task
//! ```
//!
//! - [`TcpListener`] (`listener.rs`): `bind` (sync: binding does not block),
//!   and `accept`, a coroutine.
//! - [`TcpStream`] (`stream.rs`): a cheap `Clone` handle; `connect`
//!   (`connect.rs`) runs std's blocking connect on the loop's thread pool;
//!   `read`, `read_exact`, `read_until`/`read_line` (`read.rs`), `write_all`
//!   (`write.rs`).
//!
//! **Why owned handles, not `&mut self` borrows.** tokio's
//! `stream.read(&mut buf).await` borrows the stream and the buffer for the
//! length of the await. A hand-written state machine cannot do that: the
//! coroutine would have to hold a borrow of something it also owns, or of
//! something outside it that might move or go away while it is parked — a
//! self-reference, which only a pinned value can hold (stage 9 explains
//! `Pin`, and why `async fn` needs it). So every rondo socket coroutine is
//! `'static` and *owns* what it uses: a clone of the `Rc` around the socket,
//! and its data (`write_all` takes a `Vec<u8>`, `read` returns one). It also
//! keeps the socket open while a task waits on it, so the descriptor number
//! the selector watches cannot be closed and reused under it.
//!
//! **Errors are values.** Refused, reset, broken pipe, address in use: each
//! arrives as an `io::Error` in the task that made the call, never as a
//! panic or a hang. Writing to a peer that has gone does not kill the
//! process with `SIGPIPE`: std sends with `MSG_NOSIGNAL` on Linux (and sets
//! `SO_NOSIGPIPE` on macOS), and a Rust binary ignores `SIGPIPE` anyway
//! (std's runtime sets it to `SIG_IGN` before `main`; a test checks it).
//! The one panic is a misuse: two coroutines reading (or writing) the same
//! stream at the same time — which one should get the bytes? — panics in
//! the second one's task with a clear message, as asyncio raises.
//!
//! **The flaw.** Each of these coroutines is a state machine written by
//! hand, and so is every server handler built on them: the echo example's
//! "read a line, write it back, until the end" is fifty lines of `enum` and
//! `match`. Stage 9 lets `async fn` write them.
//!
//! Reading order: `stream` → `read` → `write` → `connect` → `listener`.

mod connect;
mod listener;
mod read;
mod stream;
mod write;

pub use connect::Connect;
pub use listener::{Accept, TcpListener};
pub use read::{ReadExact, ReadSome, ReadUntil};
pub use stream::TcpStream;
pub use write::WriteAll;
