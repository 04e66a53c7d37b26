//! # echo — asyncio's "TCP echo client and server using streams", many clients at once
//!
//! ```python
//! async def handle_echo(reader, writer):            # one per connection
//!     while line := await reader.readline():
//!         writer.write(line); await writer.drain()
//!     writer.close()
//!
//! async def client(n, port):
//!     reader, writer = await asyncio.open_connection("127.0.0.1", port)
//!     for i in (1, 2, 3):
//!         writer.write(f"hello from {n}, line {i}\n".encode()); await writer.drain()
//!         echoed = await reader.readline()
//!     writer.close()
//!
//! async def main():
//!     server = await asyncio.start_server(handle_echo, "127.0.0.1", 0)
//!     port = server.sockets[0].getsockname()[1]
//!     await asyncio.gather(*(client(n, port) for n in range(1, 4)))
//! ```
//! One loop, one thread: the server's accept loop, a handler task per
//! connection and every client all run on it, each parked in `poll(2)`
//! until its socket is ready.
//!
//! **Watch for:** every line comes back to the client that sent it, though
//! the clients talk at once. The transcript is printed client by client
//! once all are done: which client connects first is up to the pool
//! threads that run `connect` (std's connect blocks). And how long each
//! handler is: `Handler` below is asyncio's three-line `handle_echo` as a
//! hand-written state machine — the flaw stage 9's `async fn` removes (see
//! `handle_echo`, after the machines: the same handler as an `async fn`).
//!
//! Run: `cargo run --example echo` (`-- --virtual`: the same on a virtual
//! clock; `-- --clients 50`; `-- --async` for the server, its handlers and
//! the clients as `async fn`s — stage 9; with `--bench` and `--idle` too).
//!
//! `cargo run --release --example echo -- --bench` serves 5,000 concurrent
//! loopback connections (`--clients N` to change it), each sending 1 KiB in
//! eight lines and checking every byte that comes back, and prints
//! connections, bytes, wall time and errors. It needs about two descriptors
//! per connection: if `ulimit -n` is too low it says so. Measured (release,
//! 2 CPUs): 5,000 connections, 5 MB echoed and checked, about 2 s, 0 errors;
//! 1,000 take 0.37 s — more than linear, because `poll(2)` scans every
//! registered descriptor on each call (in `perf`, the kernel's `sock_poll`
//! and `fdget` are a fifth of the run): the cost `epoll` was made to remove.
//! `-- --idle` measures the CPU an idle loop uses with 100 connections
//! waiting in `read` for 2 s (measured: 0.0007–0.0010 s; the loop sleeps in
//! `poll` until its timer, four iterations in all).
//!
//! `-- --bench --async` and `-- --idle --async` measure the `async fn`s
//! instead. Measured (release, 2 CPUs shared with other work, so noisy):
//! 5,000 connections in 1.50–2.01 s against 1.39–2.08 s by hand; 1,000 in
//! 0.25–0.27 s (median 0.26) against 0.21–0.30 s (median 0.25): within the
//! noise of each other. Idle, the same four iterations and 0.0004–0.0006 s.
//!
//! (Over 300 lines: the demo — asyncio's program — comes first, by hand,
//! then again as `async fn`s (stage 9, the comparison being the point);
//! `--bench` and `--idle`, which measure either, follow.)

#[path = "common/mod.rs"]
mod common;

use common::outln;
use rondo::stage3_sleep::process_cpu_time;
use rondo::stage7_coordination::{BarrierWait, SemaphoreAcquire};
use rondo::{
    Accept, Barrier, Connect, Context, Coroutine, Gather, Permit, Poll, ReadUntil, Semaphore, Sleep,
    TcpListener, TcpStream, Transcript, WriteAll, from_future, gather, sleep, spawn,
};
use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// What the server counts, shared by its handlers.
#[derive(Default)]
struct Served {
    connections: Cell<u64>,
    lines: Cell<u64>,
    errors: Cell<u64>,
}

/// `handle_echo(reader, writer)`: read a line, write it back, until the end.
struct Handler {
    stream: TcpStream,
    served: Rc<Served>,
    state: HandlerState,
}

enum HandlerState {
    /// `line = await reader.readline()`
    Reading(ReadUntil),
    /// `writer.write(line); await writer.drain()`
    Writing(WriteAll),
    Done,
}

impl Coroutine for Handler {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                HandlerState::Reading(read) => {
                    let Poll::Ready(line) = read.poll(cx) else { return Poll::Pending };
                    match line {
                        Ok(line) if !line.is_empty() => {
                            self.served.lines.set(self.served.lines.get() + 1);
                            self.state = HandlerState::Writing(self.stream.write_all(line));
                        }
                        Ok(_) => break, // end of stream: the client closed
                        Err(_) => {
                            self.served.errors.set(self.served.errors.get() + 1);
                            break;
                        }
                    }
                }
                HandlerState::Writing(write) => {
                    let Poll::Ready(written) = write.poll(cx) else { return Poll::Pending };
                    if written.is_err() {
                        self.served.errors.set(self.served.errors.get() + 1);
                        break;
                    }
                    self.state = HandlerState::Reading(self.stream.read_line());
                }
                HandlerState::Done => panic!("handle_echo() polled after it completed"),
            }
        }
        self.state = HandlerState::Done; // drops our clone: the socket closes with the last one
        Poll::Ready(())
    }
}

/// `start_server(handle_echo)`'s accept loop: a handler task per connection, for ever.
struct Server {
    listener: TcpListener,
    served: Rc<Served>,
    state: ServerState,
}

enum ServerState {
    Accepting(Accept),
    /// An accept failed (too many open files, …): wait a little before
    /// trying again, as asyncio does — the listener stays readable, and
    /// trying at once would spin.
    Backoff(Sleep),
}

impl Coroutine for Server {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                ServerState::Accepting(accept) => {
                    let Poll::Ready(accepted) = accept.poll(cx) else { return Poll::Pending };
                    match accepted {
                        Ok((stream, _peer)) => {
                            self.served.connections.set(self.served.connections.get() + 1);
                            let read = stream.read_line();
                            let handler = Handler {
                                stream,
                                served: self.served.clone(),
                                state: HandlerState::Reading(read),
                            };
                            drop(spawn(handler)); // runs on its own; asyncio keeps no handle either
                            self.state = ServerState::Accepting(self.listener.accept());
                        }
                        Err(error) => {
                            eprintln!("echo server: accept failed: {error}");
                            self.served.errors.set(self.served.errors.get() + 1);
                            self.state = ServerState::Backoff(sleep(Duration::from_millis(100)));
                        }
                    }
                }
                ServerState::Backoff(nap) => {
                    let Poll::Ready(()) = nap.poll(cx) else { return Poll::Pending };
                    self.state = ServerState::Accepting(self.listener.accept());
                }
            }
        }
    }
}

/// `client(n, port)`: connect, then for each line: write it, read the echo.
/// Returns what came back, line by line.
struct Client {
    stream: Option<TcpStream>,
    lines: Vec<Vec<u8>>,
    echoed: Vec<Vec<u8>>,
    state: ClientState,
}

enum ClientState {
    Connecting(Connect),
    Writing(WriteAll),
    Reading(ReadUntil),
    Done,
}

impl Client {
    fn new(addr: SocketAddr, lines: Vec<Vec<u8>>) -> Client {
        let state = ClientState::Connecting(TcpStream::connect(addr));
        Client { stream: None, lines, echoed: Vec::new(), state }
    }

    /// Sends the next line, or ends.
    fn next(&mut self) -> Option<io::Result<Vec<Vec<u8>>>> {
        let stream = self.stream.as_ref().expect("connected");
        match self.lines.get(self.echoed.len()) {
            Some(line) => {
                self.state = ClientState::Writing(stream.write_all(line.clone()));
                None
            }
            None => Some(Ok(std::mem::take(&mut self.echoed))), // `writer.close()`: dropping the stream
        }
    }
}

impl Coroutine for Client {
    type Output = io::Result<Vec<Vec<u8>>>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = loop {
            match &mut self.state {
                ClientState::Connecting(connect) => match connect.poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => break Err(e),
                    Poll::Ready(Ok(stream)) => {
                        self.stream = Some(stream);
                        if let Some(done) = self.next() {
                            break done;
                        }
                    }
                },
                ClientState::Writing(write) => match write.poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => break Err(e),
                    Poll::Ready(Ok(())) => {
                        self.state = ClientState::Reading(self.stream.as_ref().unwrap().read_line())
                    }
                },
                ClientState::Reading(read) => match read.poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => break Err(e),
                    Poll::Ready(Ok(line)) => {
                        self.echoed.push(line);
                        if let Some(done) = self.next() {
                            break done;
                        }
                    }
                },
                ClientState::Done => panic!("client() polled after it completed"),
            }
        };
        self.state = ClientState::Done;
        self.stream = None;
        Poll::Ready(result)
    }
}

/// `main()`: start the server, run the clients together, report.
struct Main<C: Coroutine> {
    /// Makes the clients, given the server's address.
    clients: Option<Box<dyn FnOnce(SocketAddr) -> Vec<C>>>,
    served: Rc<Served>,
    state: MainState<C::Output>,
}

enum MainState<T> {
    Start,
    Talking(Gather<T>),
    Done,
}

impl<C: Coroutine + 'static> Main<C> {
    fn new(served: &Rc<Served>, clients: impl FnOnce(SocketAddr) -> Vec<C> + 'static) -> Main<C> {
        Main { clients: Some(Box::new(clients)), served: served.clone(), state: MainState::Start }
    }
}

impl<C: Coroutine + 'static> Coroutine for Main<C> {
    /// What each client returned.
    type Output = Vec<C::Output>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port on 127.0.0.1");
                    let addr = listener.local_addr().expect("its address");
                    let accept = listener.accept();
                    let served = self.served.clone();
                    drop(spawn(Server { listener, served, state: ServerState::Accepting(accept) }));
                    let clients = (self.clients.take().expect("made once"))(addr);
                    self.state = MainState::Talking(gather(clients));
                }
                MainState::Talking(all) => {
                    let Poll::Ready(done) = all.poll(cx) else { return Poll::Pending };
                    self.state = MainState::Done;
                    return Poll::Ready(done.expect("no client panics")); // the server is cancelled by `run`
                }
                MainState::Done => panic!("main() polled after it completed"),
            }
        }
    }
}

/// The bench's client: like [`Client`], but it waits for a permit to
/// connect and gives it back once its first line has come back — proof
/// that the server accepted it — and then waits at a barrier until every
/// client is connected, so that all connections are open at once.
///
/// Why the permit: std listens with a backlog of 128, and `connect` runs on
/// pool threads, which connect far faster than a loop busy with thousands
/// of tasks accepts. Past 128 connections waiting to be accepted the
/// kernel drops the handshake, and the connecting thread waits a second to
/// retry — holding one of the pool's few threads. Measured without the
/// permit: 18.5 s for 5,000 connections, 1.5 s of it CPU.
struct BenchClient {
    client: Client,
    everyone: Barrier,
    state: BenchState,
}

enum BenchState {
    Acquiring(SemaphoreAcquire),
    /// Connecting, and the first line there and back, holding the permit.
    First(Permit),
    AtBarrier(BarrierWait),
    /// The other lines.
    Rest,
    Done,
}

impl Coroutine for BenchClient {
    type Output = io::Result<Vec<Vec<u8>>>;
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &mut self.state {
                BenchState::Acquiring(acquire) => {
                    let Poll::Ready(permit) = acquire.poll(cx) else { return Poll::Pending };
                    self.state = BenchState::First(permit);
                }
                BenchState::First(_permit) => {
                    if self.client.echoed.is_empty() {
                        match self.client.poll(cx) {
                            Poll::Pending if self.client.echoed.is_empty() => return Poll::Pending,
                            Poll::Ready(done) => {
                                self.state = BenchState::Done;
                                return Poll::Ready(done);
                            }
                            Poll::Pending => {} // the first echo is back: the server has accepted us
                        }
                    }
                    self.state = BenchState::AtBarrier(self.everyone.wait()); // drops the permit
                }
                BenchState::AtBarrier(wait) => {
                    let Poll::Ready(passed) = wait.poll(cx) else { return Poll::Pending };
                    passed.expect("the barrier is never broken");
                    self.state = BenchState::Rest;
                }
                BenchState::Rest => {
                    let Poll::Ready(done) = self.client.poll(cx) else { return Poll::Pending };
                    self.state = BenchState::Done;
                    return Poll::Ready(done);
                }
                BenchState::Done => panic!("bench client polled after it completed"),
            }
        }
    }
}

// ---- Stage 9: the same server and clients as `async fn`s (`--async`) ----
//
// `handle_echo` and its loop `echo_lines` below are the whole of `Handler`
// above. By hand: a struct, a three-state enum and a `poll` — 47 lines, in
// which the bookkeeping (which future is in flight, what must survive a
// `Pending`, the `Done` state that catches a poll too many) hides the three
// lines of logic. As `async fn`s: 17 lines, doc comments included, and the
// loop reads like asyncio's
//     while line := await reader.readline(): writer.write(line); await writer.drain()
// — the compiler writes the enum, and `?` says what the `Err` arms said.

/// `handle_echo(reader, writer)` as an `async fn`: the [`Handler`] machine above.
async fn handle_echo(stream: TcpStream, served: Rc<Served>) {
    if echo_lines(&stream, &served).await.is_err() {
        served.errors.set(served.errors.get() + 1);
    }
} // `stream` drops here: the socket closes with the last clone

/// `handle_echo`'s loop: read a line, write it back, until the end of the stream.
async fn echo_lines(stream: &TcpStream, served: &Served) -> io::Result<()> {
    loop {
        let line = stream.read_line().await?;
        if line.is_empty() {
            return Ok(()); // end of stream: the client closed
        }
        served.lines.set(served.lines.get() + 1);
        stream.write_all(line).await?;
    }
}

/// `start_server(handle_echo)`'s accept loop as an `async fn`: the [`Server`] machine above.
async fn serve(listener: TcpListener, served: Rc<Served>) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                served.connections.set(served.connections.get() + 1);
                drop(spawn(from_future(handle_echo(stream, served.clone())))); // asyncio keeps no handle either
            }
            Err(error) => {
                eprintln!("echo server: accept failed: {error}");
                served.errors.set(served.errors.get() + 1);
                sleep(Duration::from_millis(100)).await; // back off: see `ServerState::Backoff`
            }
        }
    }
}

/// One line there and back: `writer.write(line); await writer.drain(); await reader.readline()`.
async fn round_trip(stream: &TcpStream, line: Vec<u8>) -> io::Result<Vec<u8>> {
    stream.write_all(line).await?;
    stream.read_line().await
}

/// `client(n, port)` as an `async fn`: the [`Client`] machine above.
async fn client(addr: SocketAddr, lines: Vec<Vec<u8>>) -> io::Result<Vec<Vec<u8>>> {
    let stream = TcpStream::connect(addr).await?;
    let mut echoed = Vec::new();
    for line in lines {
        echoed.push(round_trip(&stream, line).await?);
    }
    Ok(echoed) // `writer.close()`: dropping the stream
}

/// `main()` as an `async fn`: the [`Main`] machine above.
async fn main_async<C>(served: Rc<Served>, clients: impl FnOnce(SocketAddr) -> Vec<C>) -> Vec<C::Output>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port on 127.0.0.1");
    let addr = listener.local_addr().expect("its address");
    drop(spawn(from_future(serve(listener, served))));
    gather(clients(addr)).await.expect("no client panics") // the server is cancelled by `run`
}

/// The bench's client as an `async fn`: the [`BenchClient`] machine above
/// (see it for why the permit and the barrier).
async fn bench_client(
    addr: SocketAddr,
    lines: Vec<Vec<u8>>,
    ramp: Semaphore,
    everyone: Barrier,
) -> io::Result<Vec<Vec<u8>>> {
    let permit = ramp.acquire().await;
    let stream = TcpStream::connect(addr).await?;
    let mut lines = lines.into_iter();
    let mut echoed = Vec::new();
    if let Some(line) = lines.next() {
        echoed.push(round_trip(&stream, line).await?); // back: the server has accepted us
    }
    drop(permit);
    everyone.wait().await.expect("the barrier is never broken");
    for line in lines {
        echoed.push(round_trip(&stream, line).await?);
    }
    Ok(echoed)
}

/// Runs the demo: `clients` clients, three lines each, into `out`.
pub fn run(virtual_clock: bool, out: &Transcript, clients: usize) {
    let lines = demo_lines(clients);
    let served = Rc::new(Served::default());
    let main =
        Main::new(&served, move |addr| lines.into_iter().map(|lines| Client::new(addr, lines)).collect());
    let ran = common::run_main(virtual_clock, main);
    report(virtual_clock, out, clients, ran, &served);
}

/// The demo as `async fn`s (`--async`): the same lines.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript, clients: usize) {
    let lines = demo_lines(clients);
    let served = Rc::new(Served::default());
    let main = main_async(served.clone(), move |addr| {
        lines.into_iter().map(|lines| from_future(client(addr, lines))).collect()
    });
    let ran = common::run_main(virtual_clock, from_future(main));
    report(virtual_clock, out, clients, ran, &served);
}

/// What the demo's clients send: client `n` sends "hello from n, line i" for i in 1..=3.
fn demo_lines(clients: usize) -> Vec<Vec<Vec<u8>>> {
    (1..=clients)
        .map(|n| (1..=3).map(|i| format!("hello from {n}, line {i}\n").into_bytes()).collect())
        .collect()
}

/// Says what came back to each client, and what the server counted.
fn report(
    virtual_clock: bool,
    out: &Transcript,
    clients: usize,
    ran: common::Ran<Vec<io::Result<Vec<Vec<u8>>>>>,
    served: &Served,
) {
    let common::Ran { output: results, took, .. } = ran;
    out.say(format!("server on 127.0.0.1, one loop, {clients} clients at once"));
    for (n, result) in results.into_iter().enumerate() {
        match result {
            Ok(echoes) => {
                for echo in echoes {
                    out.say(format!("client {}: got back {:?}", n + 1, String::from_utf8_lossy(&echo)));
                }
            }
            Err(e) => out.say(format!("client {}: failed: {e}", n + 1)),
        }
    }
    out.say(format!(
        "server: {} connections, {} lines echoed, {} errors",
        served.connections.get(),
        served.lines.get(),
        served.errors.get()
    ));
    out.say(common::elapsed_line("echo.rs", took, virtual_clock));
}

/// `--bench`: `clients` connections at once, 1 KiB each in eight lines,
/// every byte checked; with `async_fns`, the server, handlers and clients
/// are the `async fn`s.
fn bench(virtual_clock: bool, async_fns: bool, clients: usize) {
    const LINES: usize = 8;
    const LINE: usize = 128; // 127 bytes and a '\n': 1 KiB per connection
    const RAMP: usize = 100; // connections not yet known to be accepted: below std's backlog of 128
    if let Some(limit) = open_files_limit() {
        let needed = 2 * clients as u64 + 64; // both ends of each connection, and a few more
        if limit < needed {
            outln!(
                "{clients} connections need about {needed} descriptors, but the limit (`ulimit -n`) is {limit}."
            );
            outln!(
                "Raise it in this shell first, e.g. `ulimit -n 20000`, or ask for fewer with --clients N."
            );
            std::process::exit(1);
        }
    }
    let payload = |client: usize, line: usize| -> Vec<u8> {
        let mut bytes: Vec<u8> =
            (0..LINE - 1).map(|i| b'!' + ((client * 31 + line * 7 + i) % 90) as u8).collect();
        bytes.push(b'\n');
        bytes
    };
    let sent: Vec<Vec<Vec<u8>>> = (0..clients).map(|c| (0..LINES).map(|l| payload(c, l)).collect()).collect();
    let served = Rc::new(Served::default());
    let lines = sent.clone();
    let (ramp, everyone) = (Semaphore::new(RAMP), Barrier::new(clients));
    let (cpu, started) = (process_cpu_time(), Instant::now());
    let results = if async_fns {
        let main = main_async(served.clone(), move |addr| {
            let client = |lines| from_future(bench_client(addr, lines, ramp.clone(), everyone.clone()));
            lines.into_iter().map(client).collect()
        });
        common::run_main(virtual_clock, from_future(main)).output
    } else {
        let main = Main::new(&served, move |addr| {
            let bench_client = |lines| BenchClient {
                client: Client::new(addr, lines),
                everyone: everyone.clone(),
                state: BenchState::Acquiring(ramp.acquire()),
            };
            lines.into_iter().map(bench_client).collect()
        });
        common::run_main(virtual_clock, main).output
    };
    let wall = started.elapsed();
    let cpu = process_cpu_time().zip(cpu).map(|(after, before)| after - before);
    let (mut bytes, mut errors) = (0usize, served.errors.get() as usize);
    for (result, sent) in results.iter().zip(&sent) {
        match result {
            Ok(echoed) if echoed == sent => bytes += echoed.iter().map(Vec::len).sum::<usize>(),
            Ok(_) => errors += 1, // came back different
            Err(e) => {
                errors += 1;
                eprintln!("client failed: {e}");
            }
        }
    }
    let how = if async_fns { "async fns" } else { "hand-written state machines" };
    outln!("connections: {clients} at once, served by one loop on one thread ({how})");
    outln!(
        "bytes echoed and checked: {bytes} ({} KiB per connection, in {LINES} lines)",
        LINES * LINE / 1024
    );
    outln!("wall time: {:.3} s", wall.as_secs_f64());
    if let Some(cpu) = cpu {
        outln!(
            "CPU time: {:.3} s (the loop, the pool threads that connect, and the kernel's TCP)",
            cpu.as_secs_f64()
        );
    }
    outln!("server saw {} connections, {} lines", served.connections.get(), served.lines.get());
    outln!("errors: {errors}");
    if errors > 0 {
        std::process::exit(1);
    }
}

/// `--idle`: 100 connections open, a task parked in `read` on each end, and
/// nothing happening for 2 s. How much CPU does the loop burn? (With
/// `async_fns`, the server and clients are the `async fn`s.)
fn idle(virtual_clock: bool, async_fns: bool) {
    const CONNECTIONS: usize = 100;
    let ev = common::event_loop(virtual_clock);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("its address");
    let served = Rc::new(Served::default());
    // Each client connects and waits for a line that never comes.
    let clients: Vec<_> = if async_fns {
        drop(ev.spawn(from_future(serve(listener, served.clone()))));
        (0..CONNECTIONS).map(|_| ev.spawn(from_future(client(addr, vec![Vec::new()])))).collect()
    } else {
        let accept = listener.accept();
        drop(ev.spawn(Server { listener, served: served.clone(), state: ServerState::Accepting(accept) }));
        (0..CONNECTIONS).map(|_| ev.spawn(Client::new(addr, vec![Vec::new()]))).collect()
    };
    ev.run_until_complete(sleep(Duration::from_millis(200))).expect("connect"); // let them connect and park
    assert_eq!(served.connections.get(), CONNECTIONS as u64, "all connected");
    let (cpu, started) = (process_cpu_time(), Instant::now());
    let iterations = ev.iterations();
    ev.run_until_complete(sleep(Duration::from_secs(2))).expect("the idle sleep");
    let cpu = process_cpu_time().zip(cpu).map(|(after, before)| after - before);
    outln!("{CONNECTIONS} connections, {} tasks parked in read, idle for 2 s", 2 * CONNECTIONS);
    outln!(
        "wall: {:.3} s, loop iterations: {}",
        started.elapsed().as_secs_f64(),
        ev.iterations() - iterations
    );
    match cpu {
        Some(cpu) => outln!("CPU used: {:.4} s", cpu.as_secs_f64()),
        None => outln!("CPU used: unknown (no /proc here)"),
    }
    assert!(clients.iter().all(|c| !c.done()), "nobody finished: they all still wait");
}

/// The soft limit on open descriptors, from `/proc/self/limits` (std
/// cannot call `getrlimit`); `None` if it cannot be read.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let (mut virtual_clock, mut stamps, mut async_fns, mut mode, mut clients) =
        (false, false, false, "demo", None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--virtual" => virtual_clock = true,
            "--stamps" => stamps = true,
            "--async" => async_fns = true,
            "--bench" => mode = "bench",
            "--idle" => mode = "idle",
            "--clients" => match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => clients = Some(n),
                None => {
                    eprintln!("--clients needs a number");
                    std::process::exit(2);
                }
            },
            "-h" | "--help" => {
                outln!(
                    "flags: --virtual, --stamps, --async (the async fns), --clients N, --bench (5,000 connections), \
                     --idle (CPU while idle)"
                );
                return;
            }
            other => {
                eprintln!("unknown flag {other:?}; try --help");
                std::process::exit(2);
            }
        }
    }
    match mode {
        "bench" => bench(virtual_clock, async_fns, clients.unwrap_or(5_000)),
        "idle" => idle(virtual_clock, async_fns),
        _ => {
            let out = common::Args { virtual_clock, stamps, async_fns }.transcript();
            match async_fns {
                true => run_async(virtual_clock, &out, clients.unwrap_or(3)),
                false => run(virtual_clock, &out, clients.unwrap_or(3)),
            }
        }
    }
}
