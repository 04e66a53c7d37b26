//! Stage 8's TCP: echo round trips, many clients, every error as a value,
//! clean drops and cancellations, and the iteration a readable socket costs.
//!
//! Every test takes `serial()`: one of them counts the process's open
//! sockets, which other tests of this binary would otherwise change under it.

use proptest::prelude::*;
use rondo::{
    BoxCoroutine, Context, Coroutine, CoroutineExt, EventLoop, LoopEvent, LoopView, Observer, Poll, Task,
    TaskError, TcpListener, TcpStream, gather, join, lazy, ready, sleep, spawn, yield_now,
};
use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::io::{self, Write as _};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

#[path = "../examples/echo.rs"]
#[allow(dead_code)] // its `main`, `--bench` and `--idle` are not run here
mod echo;

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---- small helpers: `?` for coroutines, an echo server, a connected pair ----

/// `c.await.and_then(|v| f(v).await)`: the next step runs only on `Ok`.
struct AndThen<C, F, D> {
    first: Option<C>,
    then: Option<F>,
    second: Option<D>,
}

fn and_then<T, U, C, F, D>(first: C, then: F) -> AndThen<C, F, D>
where
    C: Coroutine<Output = io::Result<T>>,
    F: FnOnce(T) -> D,
    D: Coroutine<Output = io::Result<U>>,
{
    AndThen { first: Some(first), then: Some(then), second: None }
}

impl<T, U, C, F, D> Coroutine for AndThen<C, F, D>
where
    C: Coroutine<Output = io::Result<T>>,
    F: FnOnce(T) -> D,
    D: Coroutine<Output = io::Result<U>>,
{
    type Output = io::Result<U>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<U>> {
        if let Some(first) = &mut self.first {
            let Poll::Ready(value) = first.poll(cx) else { return Poll::Pending };
            self.first = None;
            match value {
                Ok(value) => self.second = Some((self.then.take().unwrap())(value)),
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        self.second.as_mut().expect("polled after it completed").poll(cx)
    }
}

/// One connection's handler: echoes lines back until the peer closes.
fn echo_lines(stream: TcpStream) -> BoxCoroutine<'static, io::Result<()>> {
    let reader = stream.clone();
    and_then(reader.read_line(), move |line| {
        if line.is_empty() {
            return ready(Ok(())).boxed(); // end of stream: the handler ends and the socket closes
        }
        let writer = stream.clone();
        and_then(writer.write_all(line), move |()| echo_lines(stream)).boxed()
    })
    .boxed()
}

/// `start_server(echo_lines)`: accepts for ever, a task per connection.
fn echo_server(listener: TcpListener) -> BoxCoroutine<'static, io::Result<()>> {
    let next = listener.clone();
    and_then(listener.accept(), move |(stream, _peer)| {
        let _handler = spawn(echo_lines(stream));
        echo_server(next)
    })
    .boxed()
}

/// A connected pair made synchronously: a rondo stream and its std peer.
fn pair() -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mine, _) = listener.accept().unwrap();
    (TcpStream::from_std(mine).unwrap(), peer)
}

/// Connects, sends `data` while reading it back, and returns what came back.
fn echo_client(addr: SocketAddr, data: Vec<u8>) -> impl Coroutine<Output = io::Result<Vec<u8>>> + 'static {
    and_then(TcpStream::connect(addr), move |stream| {
        let n = data.len();
        let (writer, reader) = (stream.clone(), stream.clone());
        // Write and read at once (one reader and one writer: allowed), then
        // say "no more" so the server's last `read_line` gets the tail.
        let send = and_then(writer.write_all(data), move |()| ready(stream.shutdown(Shutdown::Write)));
        join(send, reader.read_exact(n)).map(|(sent, echoed)| sent.and(echoed))
    })
}

/// Counts the loop's iterations, for tests that check how many a wake costs.
#[derive(Clone, Default)]
struct Iterations(Rc<Cell<u64>>);

impl Observer for Iterations {
    fn event(&mut self, _at: Duration, event: &LoopEvent, _view: &LoopView<'_>) {
        if let LoopEvent::Iteration { n } = event {
            self.0.set(*n);
        }
    }
}

// ---- round trips ----

#[test]
fn echo_round_trip_on_the_real_clock() {
    let _serial = serial();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let ev = EventLoop::new();
    let _server = ev.spawn(echo_server(listener));
    let echoed = ev.run(echo_client(addr, b"hello\nworld\n".to_vec())).unwrap().unwrap();
    assert_eq!(echoed, b"hello\nworld\n");
}

#[test]
fn read_line_keeps_what_follows_the_line_for_the_next_read() {
    let _serial = serial();
    let (stream, mut peer) = pair();
    peer.write_all(b"one\ntwo\nthree").unwrap();
    drop(peer); // end of stream after "three"
    let s = stream.clone();
    let lines = EventLoop::new_virtual()
        .run(
            lazy(move || {
                let reads: Vec<_> = (0..4).map(|_| s.read_line()).collect();
                rondo::join_all(reads) // one after the other: join_all polls them in order
            })
            .then(|reads| reads),
        )
        .unwrap();
    let lines: Vec<Vec<u8>> = lines.into_iter().map(Result::unwrap).collect();
    assert_eq!(lines, [b"one\n".to_vec(), b"two\n".to_vec(), b"three".to_vec(), Vec::new()]);
}

/// A client and a server in one loop, on the virtual clock: the client naps
/// between its lines. The naps are timers, the sockets are quiet meanwhile —
/// time jumps over them, and a loopback write is readable at once, so the
/// echo is there when the client wakes. Only the naps take (virtual) time.
#[test]
fn loopback_traffic_works_under_the_virtual_clock() {
    let _serial = serial();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let ev = EventLoop::new_virtual();
    let _server = ev.spawn(echo_server(listener));
    let conversation = and_then(TcpStream::connect(addr), |stream| {
        let s = stream.clone();
        let first = and_then(s.write_all("ping 1\n"), {
            let s = stream.clone();
            move |()| s.read_line()
        });
        and_then(first, move |one| {
            sleep(Duration::from_secs(2)).then(move |()| {
                let s2 = stream.clone();
                and_then(stream.write_all("ping 2\n"), move |()| s2.read_line())
                    .map(move |two| two.map(|two| (one, two)))
            })
        })
    });
    let (one, two) = ev.run_until_complete(conversation).unwrap().unwrap();
    assert_eq!((one.as_slice(), two.as_slice()), (&b"ping 1\n"[..], &b"ping 2\n"[..]));
    assert_eq!(ev.now(), Duration::from_secs(2), "the connect took no virtual time; the nap, exactly 2 s");
}

#[test]
fn a_big_write_waits_for_room_and_arrives_whole() {
    let _serial = serial();
    let (a, peer) = pair();
    let b = TcpStream::from_std(peer).unwrap();
    let data: Vec<u8> = (0..8 << 20).map(|i: u32| (i % 251) as u8).collect(); // 8 MiB: more than the socket buffers
    let expected = data.clone();
    let (written, read) =
        EventLoop::new_virtual().run(join(a.write_all(data), b.read_exact(8 << 20))).unwrap();
    written.unwrap();
    assert!(read.unwrap() == expected);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, failure_persistence: None, ..ProptestConfig::default() })]

    /// 200 clients at once, random sizes (some with no line end at all):
    /// every byte comes back, to the right client.
    #[test]
    fn many_clients_each_get_their_own_bytes_back(sizes in prop::collection::vec(0usize..20_000, 200), seed in any::<u8>()) {
        let _serial = serial();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let payloads: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(client, &n)| (0..n).map(|i| (client * 7 + i * 13 + usize::from(seed)) as u8 | 1).map(|b| if b % 61 == 0 { b'\n' } else { b }).collect())
            .collect();
        let ev = EventLoop::new();
        let _server = ev.spawn(echo_server(listener));
        let clients = payloads.iter().map(|data| echo_client(addr, data.clone())).collect();
        let echoed = ev.run(gather(clients)).unwrap().unwrap();
        for (sent, got) in payloads.iter().zip(echoed) {
            prop_assert!(&got.unwrap() == sent);
        }
    }
}

// ---- errors are values ----

#[test]
fn connecting_where_nobody_listens_is_refused() {
    let _serial = serial();
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // bound, then closed
    let err = EventLoop::new().run(TcpStream::connect(addr)).unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn a_second_bind_to_the_same_address_is_addr_in_use() {
    let _serial = serial();
    let first = TcpListener::bind("127.0.0.1:0").unwrap();
    let err = TcpListener::bind(first.local_addr().unwrap()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse);
}

/// std has `set_linger` only on nightly, so the reset is made the other way
/// Linux sends one: the peer closes with our bytes still unread in its
/// receive buffer — an RST instead of a FIN.
#[test]
fn a_peer_that_closes_with_unread_data_resets_and_the_read_says_so() {
    let _serial = serial();
    let (stream, peer) = pair();
    let reader = stream.clone();
    let read = and_then(stream.write_all("you will never read this"), move |()| {
        drop(peer); // unread data: RST
        reader.read(100)
    });
    let err = EventLoop::new_virtual().run(read).unwrap().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
}

#[test]
fn a_peer_that_closes_mid_message_gives_unexpected_eof_and_leaves_the_bytes() {
    let _serial = serial();
    let (stream, mut peer) = pair();
    peer.write_all(b"12345").unwrap();
    let closer = lazy(move || drop(peer)); // closes after the reader has parked
    let (err, ()) =
        EventLoop::new_virtual().run(join(stream.read_exact(10), yield_now().then(|()| closer))).unwrap();
    let err = err.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert!(err.to_string().contains("after 5 of 10 bytes"), "{err}");
    assert_eq!(stream.buffered(), 5, "what came is still there");
}

/// The peer has closed: the first write draws an RST, the next one fails
/// with `BrokenPipe` — an error value, not a `SIGPIPE` killing the process.
#[test]
fn writing_after_the_peer_closed_is_a_broken_pipe_not_a_signal() {
    let _serial = serial();
    fn write_until_error(stream: TcpStream, tries: u32) -> BoxCoroutine<'static, io::Error> {
        let writer = stream.clone();
        writer
            .write_all("still there?")
            .then(move |result| match result {
                Ok(()) if tries > 0 => {
                    yield_now().then(move |()| write_until_error(stream, tries - 1)).boxed()
                }
                Ok(()) => panic!("no write failed"),
                Err(e) => ready(e).boxed(),
            })
            .boxed()
    }
    let (stream, peer) = pair();
    drop(peer);
    let err = EventLoop::new_virtual().run(write_until_error(stream, 100)).unwrap();
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe, "{err}");
}

/// What makes the test above safe in any Rust binary: std's runtime ignores
/// `SIGPIPE` before `main` (and std's sockets send with `MSG_NOSIGNAL` anyway).
#[test]
fn sigpipe_is_ignored_in_a_rust_binary() {
    let status = std::fs::read_to_string("/proc/self/status");
    let Ok(status) = status else { return }; // not Linux
    let ignored = status.lines().find_map(|l| l.strip_prefix("SigIgn:")).unwrap().trim();
    let mask = u64::from_str_radix(ignored, 16).unwrap();
    const SIGPIPE: u32 = 13;
    assert_ne!(mask & (1 << (SIGPIPE - 1)), 0, "SigIgn: {ignored}");
}

// ---- the order of events ----

/// asyncio's `sock_recv`: a readable socket costs two iterations. The
/// write happens in iteration N; in N+1 `poll` sees the socket readable and
/// queues the reader's wake (the "I/O callback"); the reader runs in N+2.
/// Bytes already there cost nothing: the read completes without suspending.
#[test]
fn a_readable_socket_wakes_its_reader_two_iterations_after_the_write() {
    let _serial = serial();
    let (stream, mut peer) = pair();
    let it = Iterations::default();
    let ev = EventLoop::new_virtual();
    ev.observe(Box::new(it.clone()));
    let (reader_it, writer_it) = (it.clone(), it.clone());
    let s = stream.clone();
    let reader = ev.spawn(stream.read(10).map(move |got| (got.unwrap(), reader_it.0.get())));
    let writer = ev.spawn(yield_now().then(|()| yield_now()).map(move |()| {
        peer.write_all(b"hi").unwrap();
        peer.write_all(b"more").unwrap();
        (peer, writer_it.0.get())
    }));
    let (read, wrote) = ev.run_until_complete(join(reader, writer)).unwrap();
    let ((got, read_at), (mut peer, wrote_at)) = (read.unwrap(), wrote.unwrap());
    assert_eq!(got, b"himore");
    assert_eq!((wrote_at, read_at), (3, 5), "written in 3; poll sees it in 4; the reader runs in 5");

    // Already in the kernel: no suspension, the read ends in the iteration it began.
    peer.write_all(b"ready").unwrap();
    let (began, ended) = ev
        .run_until_complete(
            lazy(move || {
                let began = it.0.get();
                s.read(10).map(move |got| {
                    assert_eq!(got.unwrap(), b"ready");
                    (began, it.0.get())
                })
            })
            .then(|read| read),
        )
        .unwrap();
    assert_eq!(began, ended);
}

// ---- misuse, cancellation, drop ----

#[test]
fn two_readers_waiting_on_one_stream_is_a_clear_panic_in_the_second() {
    let _serial = serial();
    let (stream, _peer) = pair();
    let ev = EventLoop::new_virtual();
    let first = ev.spawn(stream.read(10));
    let second = ev.spawn(stream.read(10));
    let outcome = ev.run_until_complete(second).unwrap();
    let Err(TaskError::Panicked(message)) = outcome else { panic!("{outcome:?}") };
    assert!(message.contains("another coroutine already waits to read from descriptor"), "{message}");
    assert!(!first.done(), "the first one still waits");
}

/// A task cancelled while it waits in `read` withdraws its registration
/// (its `IoWait` is dropped with it): another task can then wait on the
/// same stream, and gets the bytes.
#[test]
fn cancelling_a_blocked_read_withdraws_its_registration() {
    let _serial = serial();
    let (stream, mut peer) = pair();
    let ev = EventLoop::new_virtual();
    let first: Task<io::Result<Vec<u8>>> = ev.spawn(stream.read(10));
    ev.run_until_complete(yield_now()).unwrap(); // the first read has parked
    assert!(first.cancel());
    ev.run_until_complete(yield_now().then(|()| yield_now())).unwrap(); // …and is gone
    assert!(first.cancelled());
    let second = ev.spawn(stream.read(10));
    ev.run_until_complete(yield_now()).unwrap(); // parked too (it would panic if the first were still there)
    peer.write_all(b"for you").unwrap();
    assert_eq!(ev.run_until_complete(second).unwrap().unwrap().unwrap(), b"for you");
}

/// `wait_for(reader.read(n), 5 s)` on the virtual clock, with a peer that
/// says nothing: the quiet socket does not hold the clock, time jumps to the
/// deadline, the read is cancelled (its registration withdrawn) — and a
/// read after it gets what the peer sends later.
#[test]
fn a_read_with_a_timeout_on_a_quiet_socket_times_out_in_virtual_time() {
    let _serial = serial();
    let (stream, mut peer) = pair();
    let ev = EventLoop::new_virtual();
    let timed_out = ev.run_until_complete(rondo::wait_for(stream.read(10), Duration::from_secs(5))).unwrap();
    assert!(timed_out.is_err(), "{timed_out:?}");
    assert_eq!(ev.now(), Duration::from_secs(5));
    peer.write_all(b"late").unwrap();
    assert_eq!(ev.run_until_complete(stream.read(10)).unwrap().unwrap(), b"late");
}

/// The socket inodes this process has open (`/proc/self/fd/N` → `socket:[inode]`).
fn open_sockets() -> BTreeSet<String> {
    std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .map(|target| target.to_string_lossy().into_owned())
                .filter(|target| target.starts_with("socket:"))
                .collect()
        })
        .unwrap_or_default()
}

fn socket_of(fd: RawFd) -> String {
    std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap().to_string_lossy().into_owned()
}

/// A loop dropped while tasks wait in `accept` and `read`, with sockets
/// open on both sides: it cancels the tasks, their registrations go, and
/// every descriptor — the sockets and the loop's self-pipe — is closed.
#[test]
fn a_loop_dropped_with_tasks_waiting_in_accept_and_read_closes_every_socket() {
    let _serial = serial();
    if !std::path::Path::new("/proc/self/fd").exists() {
        return; // not Linux
    }
    let before = open_sockets();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let fds = Rc::new(RefCell::new(vec![listener.as_raw_fd()]));
    let ev = EventLoop::new_virtual();
    let server_fds = fds.clone();
    let accepted = listener.accept(); // the accept loop's first accept: for the one client
    let next = listener.clone();
    let server = and_then(accepted, move |(stream, _)| {
        server_fds.borrow_mut().push(stream.as_raw_fd());
        let _reader = spawn(stream.read(10)); // the server side waits in read
        next.accept() // …and the listener in accept
    });
    drop(listener);
    let _server = ev.spawn(server);
    let client_fds = fds.clone();
    let client = ev.spawn(and_then(TcpStream::connect(addr), move |stream| {
        client_fds.borrow_mut().push(stream.as_raw_fd());
        stream.read(10) // the client side waits in read too
    }));
    ev.run_until_complete(sleep(Duration::from_secs(1))).unwrap();
    let ours: Vec<String> = fds.borrow().iter().map(|&fd| socket_of(fd)).collect();
    assert_eq!(ours.len(), 3, "listener, server side, client side");
    assert!(open_sockets().len() > before.len() + 3, "…and the loop's self-pipe");
    assert!(!client.done());
    drop(client);
    drop(ev);
    let now = open_sockets();
    assert!(ours.iter().all(|socket| !now.contains(socket)), "the tasks' sockets closed with the loop");
    // The self-pipe's writing end lives in the inbox, which the pool thread
    // that ran `connect` holds until its job returns — a few microseconds
    // after the loop took the answer. So: closed *soon*. (And compared as
    // "nothing new is left": a socket of an earlier test may close meanwhile.)
    let mut left: Vec<String> = Vec::new();
    for _ in 0..1000 {
        left = open_sockets().difference(&before).cloned().collect();
        if left.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(left, Vec::<String>::new(), "every socket of the loop is closed");
    TcpListener::bind(addr).expect("the port is free again");
}

// ---- the example ----

/// `examples/echo.rs` under the virtual clock: five clients at once, each
/// line back to its sender, the transcript client by client.
#[test]
fn the_echo_example_echoes_every_line_to_its_client() {
    let _serial = serial();
    let out = rondo::Transcript::new();
    echo::run(true, &out, 5);
    let lines = out.lines();
    assert_eq!(lines[0], "server on 127.0.0.1, one loop, 5 clients at once");
    assert_eq!(lines[1], r#"client 1: got back "hello from 1, line 1\n""#);
    assert_eq!(lines[15], r#"client 5: got back "hello from 5, line 3\n""#);
    assert_eq!(lines[16], "server: 5 connections, 15 lines echoed, 0 errors");
    assert_eq!(lines[17], "echo.rs exec in 0.00 seconds (virtual clock).");
}
