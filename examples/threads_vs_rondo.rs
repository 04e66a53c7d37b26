//! # threads_vs_rondo — seed 002's table: N requests to a slow server, with threads and with one loop
//!
//! ```python
//! def fetch(url):                          # threading: one request per thread,
//!     requests.get(url)                    # or a ThreadPoolExecutor
//! async def afetch(session, url):          # asyncio: one task per request
//!     async with session.get(url) as r:
//!         await r.text()
//! for n in (1, 10, 50, 100, 500): time both
//! ```
//! Seed 002 fetched a web page 1 to 500 times and printed: threads 0.93 s,
//! 1.7, 6.0, 10.2, **47.2 s** at 500; asyncio 0.95, 1.7, 5.9, 2.2, **7.4 s**.
//! Here the page is a local server — a rondo loop on its own thread that
//! answers each request after exactly 100 ms — so only the client's way of
//! waiting differs. Three ways, each run in a fresh process so that its
//! peak memory is its own:
//! - **a thread per request**, blocking `std::net` (`threading.Thread`);
//! - **a pool** of `min(32, cpus + 4)` threads — the size of Python's
//!   `ThreadPoolExecutor` and of asyncio's default executor;
//! - **rondo**: one task per request on one thread (the connect runs on
//!   the loop's thread pool, as asyncio's name lookup does; the reads and
//!   writes wait in `poll(2)`).
//!
//! **Watch for:** the pool's time grows with N — it is bounded by its size
//! times the latency (500 requests / 6 threads × 100 ms ≈ 8.4 s): the
//! shape of the seed's threads column. A thread per request keeps up with
//! rondo in time, but pays for it in threads and memory. rondo pays neither.
//!
//! Run: `cargo run --release --example threads_vs_rondo` (`-- --plot
//! times.svg` also draws the table; `-- --sizes 1,10,50` picks the sizes;
//! `-- --virtual` is a quick check with 1 and 10 requests and a 10 ms
//! server — this example measures real time, so there is no virtual clock).

#[path = "common/mod.rs"]
mod common;
#[path = "common/experiment.rs"]
mod experiment;

use common::outln;
use rondo::{
    Accept, Connect, Context, Coroutine, EventLoop, Poll, ReadUntil, Sleep, TcpListener, TcpStream,
    ThreadPool, WriteAll, sleep, spawn,
};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a client sends, and what the server answers after its delay.
const REQUEST: &[u8] = b"GET /\n";
const ANSWER: &[u8] = b"hello from the slow server\n";

// ---------------------------------------------------------------------------
// The server: a rondo loop on its own thread.

/// ```text
/// async def serve(listener, delay):
///     while True:
///         conn = await listener.accept()
///         asyncio.create_task(respond(conn, delay))
/// ```
struct Serve {
    listener: TcpListener,
    delay: Duration,
    accepting: Accept,
}

impl Coroutine for Serve {
    type Output = ();

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let Poll::Ready(accepted) = self.accepting.poll(cx) else { return Poll::Pending };
            self.accepting = self.listener.accept();
            match accepted {
                // Detached: the task runs on; its handle is not needed.
                Ok((conn, _)) => drop(spawn(Respond::new(conn, self.delay))),
                Err(e) => eprintln!("server: accept failed: {e}"), // e.g. out of descriptors
            }
        }
    }
}

/// ```text
/// async def respond(conn, delay):
///     await conn.readline()          # the request
///     await asyncio.sleep(delay)     # the slow part
///     await conn.write(ANSWER)       # then close
/// ```
struct Respond {
    conn: TcpStream,
    delay: Duration,
    state: RespondState,
}

enum RespondState {
    Reading(ReadUntil),
    Sleeping(Sleep),
    Writing(WriteAll),
    Done,
}

impl Respond {
    fn new(conn: TcpStream, delay: Duration) -> Respond {
        let state = RespondState::Reading(conn.read_line());
        Respond { conn, delay, state }
    }
}

impl Coroutine for Respond {
    type Output = ();

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                RespondState::Reading(read) => {
                    let Poll::Ready(request) = read.poll(cx) else { return Poll::Pending };
                    if request.is_err() {
                        self.state = RespondState::Done; // the client went away
                        return Poll::Ready(());
                    }
                    self.state = RespondState::Sleeping(sleep(self.delay));
                }
                RespondState::Sleeping(nap) => {
                    let Poll::Ready(()) = nap.poll(cx) else { return Poll::Pending };
                    self.state = RespondState::Writing(self.conn.write_all(ANSWER));
                }
                RespondState::Writing(write) => {
                    let Poll::Ready(_) = write.poll(cx) else { return Poll::Pending };
                    self.state = RespondState::Done; // dropping `conn` closes it
                    return Poll::Ready(());
                }
                RespondState::Done => panic!("Respond polled after it completed"),
            }
        }
    }
}

/// Starts the slow server on a thread of its own; returns its address.
fn start_server(delay: Duration) -> SocketAddr {
    // Bound here, so the address is known before the first client; a rondo
    // listener is an `Rc` and stays on its loop's thread, so the std one
    // crosses and is wrapped there.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let addr = std_listener.local_addr().expect("its address");
    std::thread::Builder::new()
        .name("slow-server".into())
        .spawn(move || {
            let listener = TcpListener::from_std(std_listener).expect("a listener");
            let accepting = listener.accept();
            let _ = EventLoop::new().run(Serve { listener, delay, accepting });
        })
        .expect("start the server's thread");
    addr
}

// ---------------------------------------------------------------------------
// The three clients. Each returns how many requests got the full answer.

/// One blocking request: connect, send, read the answer line.
fn fetch_blocking(addr: SocketAddr) -> std::io::Result<()> {
    let mut conn = std::net::TcpStream::connect(addr)?;
    conn.write_all(REQUEST)?;
    let mut line = Vec::new();
    BufReader::new(conn).read_until(b'\n', &mut line)?;
    if line == ANSWER { Ok(()) } else { Err(std::io::ErrorKind::UnexpectedEof.into()) }
}

/// `threading.Thread(target=fetch)` × n, start all, join all.
fn thread_per_request(addr: SocketAddr, n: usize) -> (usize, usize) {
    let threads: Vec<_> = (0..n).map(|_| std::thread::spawn(move || fetch_blocking(addr))).collect();
    let peak_threads = experiment::threads_now();
    let ok = threads.into_iter().map(|t| t.join()).filter(|r| matches!(r, Ok(Ok(())))).count();
    (ok, peak_threads)
}

/// `ThreadPoolExecutor(min(32, cpus + 4)).map(fetch, urls)`: the pool's
/// threads take the next request as soon as they finish one.
fn thread_pool(addr: SocketAddr, n: usize) -> (usize, usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));
    let size = ThreadPool::default_size().min(n);
    let workers: Vec<_> = (0..size)
        .map(|_| {
            let (next, ok) = (next.clone(), ok.clone());
            std::thread::spawn(move || {
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    if fetch_blocking(addr).is_ok() {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let peak_threads = experiment::threads_now();
    workers.into_iter().for_each(|w| w.join().expect("a pool thread"));
    (ok.load(Ordering::Relaxed), peak_threads)
}

/// ```text
/// async def fetch(addr):
///     conn = await open_connection(addr)
///     await conn.write(REQUEST)
///     return await conn.readline() == ANSWER
/// ```
enum Fetch {
    Connecting(Connect),
    Sending(TcpStream, WriteAll),
    Receiving(ReadUntil),
    Done,
}

impl Coroutine for Fetch {
    type Output = bool;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        loop {
            match self {
                Fetch::Connecting(connect) => {
                    let Poll::Ready(conn) = connect.poll(cx) else { return Poll::Pending };
                    let Ok(conn) = conn else {
                        *self = Fetch::Done;
                        return Poll::Ready(false);
                    };
                    let send = conn.write_all(REQUEST);
                    *self = Fetch::Sending(conn, send);
                }
                Fetch::Sending(conn, send) => {
                    let Poll::Ready(sent) = send.poll(cx) else { return Poll::Pending };
                    if sent.is_err() {
                        *self = Fetch::Done;
                        return Poll::Ready(false);
                    }
                    *self = Fetch::Receiving(conn.read_line());
                }
                Fetch::Receiving(read) => {
                    let Poll::Ready(line) = read.poll(cx) else { return Poll::Pending };
                    *self = Fetch::Done;
                    return Poll::Ready(line.is_ok_and(|line| line == ANSWER));
                }
                Fetch::Done => panic!("Fetch polled after it completed"),
            }
        }
    }
}

/// One rondo task per request, all on this thread.
fn rondo_tasks(addr: SocketAddr, n: usize) -> (usize, usize) {
    let ev = EventLoop::new();
    let tasks: Vec<_> = (0..n).map(|_| ev.spawn(Fetch::Connecting(TcpStream::connect(addr)))).collect();
    let mut ok = 0;
    for task in tasks {
        if ev.run_until_complete(task).expect("the loop runs") == Ok(true) {
            ok += 1;
        }
    }
    // The loop's thread and its connect pool, counted while the pool is alive.
    (ok, experiment::threads_now())
}

const WAYS: [&str; 3] = ["thread per request", "thread pool", "rondo tasks"];

/// In a child process: one way, `n` requests; prints the report line.
fn run_one_way(way: &str, n: usize, addr: SocketAddr) {
    let started = Instant::now();
    let (ok, threads) = match way {
        "thread per request" => thread_per_request(addr, n),
        "thread pool" => thread_pool(addr, n),
        "rondo tasks" => rondo_tasks(addr, n),
        other => panic!("no way called {other:?}"),
    };
    experiment::report(started.elapsed(), threads, &format!("{ok}/{n} ok"));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--variant") {
        let [_, way, n, addr] = &args[..] else { panic!("--variant WAY N ADDR") };
        return run_one_way(way, n.parse().expect("N"), addr.parse().expect("ADDR"));
    }
    let mut sizes = vec![1, 10, 50, 100, 500];
    let mut delay = Duration::from_millis(100);
    let mut plot = None;
    let mut flags = args.into_iter();
    while let Some(flag) = flags.next() {
        match flag.as_str() {
            "--virtual" => {
                sizes = vec![1, 10];
                delay = Duration::from_millis(10);
                outln!(
                    "--virtual: a quick check (1 and 10 requests, a 10 ms server); this example measures real time"
                );
            }
            "--sizes" => {
                let list = flags.next().expect("--sizes 1,10,50");
                sizes = list.split(',').map(|n| n.trim().parse().expect("a number of requests")).collect();
            }
            "--plot" => plot = Some(flags.next().expect("--plot out.svg")),
            "-h" | "--help" => {
                outln!("flags: --sizes 1,10,50,100,500  --plot out.svg  --virtual (quick check)");
                return;
            }
            other => {
                eprintln!("unknown flag {other:?}; try --help");
                std::process::exit(2);
            }
        }
    }
    let addr = start_server(delay);
    outln!(
        "{} requests to a local server that answers each after {} ms ({} cpus; pool of {} threads)\n",
        sizes.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", "),
        delay.as_millis(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        ThreadPool::default_size()
    );
    let mut rows = vec![];
    let mut times: Vec<Vec<f64>> = vec![vec![]; WAYS.len()];
    for &n in &sizes {
        for (i, way) in WAYS.iter().enumerate() {
            let cost = experiment::run_variant(&[
                "--variant".into(),
                way.to_string(),
                n.to_string(),
                addr.to_string(),
            ]);
            times[i].push(cost.wall.as_secs_f64());
            rows.push(vec![
                n.to_string(),
                way.to_string(),
                experiment::secs(cost.wall),
                experiment::kib(cost.peak_kib),
                cost.threads.to_string(),
                cost.note,
            ]);
        }
    }
    outln!("{}", experiment::table(&["requests", "way", "wall", "peak memory", "threads", "answers"], &rows));
    if let Some(path) = plot {
        let xs: Vec<f64> = sizes.iter().map(|&n| n as f64).collect();
        let series: Vec<experiment::Series> = WAYS
            .iter()
            .zip(times)
            .map(|(way, ys)| experiment::Series { name: way.to_string(), ys })
            .collect();
        let title = format!("{} ms per request: threads vs one rondo loop", delay.as_millis());
        experiment::write_plot(
            &path,
            &experiment::line_chart(&title, "requests at once", "seconds", &xs, &series),
        );
    }
}
