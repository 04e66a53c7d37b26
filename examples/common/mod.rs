//! What every example shares: its command-line flags, its loop, its elapsed line.
//!
//! Examples are included as modules by `tour.rs` and by the scenario tests in
//! `tests/`, so each one exposes `pub fn run(virtual_clock, &Transcript)` and
//! its `main` only parses the flags.

#![allow(dead_code)] // every example uses a different part of this

use rondo::stage4_event_loop::spawn_at;
use rondo::{Context, Coroutine, Echo, EventLoop, Poll, Task, TaskError, Transcript};
use std::collections::VecDeque;
use std::io::Write as _;
use std::panic::Location;
use std::time::Duration;

/// `println!` for what an example prints itself (a `Transcript` echoes its
/// lines the same way): when stdout is a pipe whose reader has gone
/// (`cargo run --example tour | head -3`), the program ends quietly with
/// status 0, as Unix tools do, instead of panicking with "failed printing to
/// stdout: Broken pipe".
#[allow(unused_macros)] // only the examples that print beside their transcript use it
macro_rules! outln {
    ($($arg:tt)*) => {
        common::print_line(format_args!($($arg)*))
    };
}
#[allow(unused_imports)]
pub(crate) use outln;

/// What [`outln!`] calls.
pub fn print_line(text: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}") {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => panic!("failed printing to stdout: {e}"),
    }
}

/// The flags every example accepts.
pub struct Args {
    /// `--virtual`: run on a virtual clock — same output, no waiting.
    pub virtual_clock: bool,
    /// `--stamps`: prefix every line with the loop time.
    pub stamps: bool,
    /// `--async`: run the `async fn` version of the scenario, where there
    /// is one (stage 9); the same lines, at the same times.
    pub async_fns: bool,
}

impl Args {
    pub fn parse() -> Args {
        let mut args = Args { virtual_clock: false, stamps: false, async_fns: false };
        for arg in std::env::args().skip(1) {
            match arg.as_str() {
                "--virtual" => args.virtual_clock = true,
                "--stamps" => args.stamps = true,
                "--async" => args.async_fns = true,
                "-h" | "--help" => {
                    print_line(format_args!(
                        "flags: --virtual (virtual clock: no real waiting), --stamps (print loop times), \
                         --async (the async fn version, where there is one)"
                    ));
                    std::process::exit(0);
                }
                other => {
                    eprintln!("unknown flag {other:?}; try --help");
                    std::process::exit(2);
                }
            }
        }
        args
    }

    /// A transcript that prints as the seed program would.
    pub fn transcript(&self) -> Transcript {
        Transcript::echoing(if self.stamps { Echo::Stamped } else { Echo::Plain })
    }
}

/// A new event loop on the chosen clock.
pub fn event_loop(virtual_clock: bool) -> EventLoop {
    if virtual_clock { EventLoop::new_virtual() } else { EventLoop::new() }
}

/// What [`run_main`] reports.
pub struct Ran<T> {
    /// `main`'s output.
    pub output: T,
    /// How long it ran: loop time under the virtual clock, wall time otherwise.
    pub took: Duration,
    /// Tasks still pending when `main` returned, which were cancelled.
    pub cancelled: usize,
}

/// `asyncio.run(main())` on a new loop, timed: runs `main` to completion,
/// then cancels whatever is still pending, as asyncio.run does.
pub fn run_main<C>(virtual_clock: bool, main: C) -> Ran<C::Output>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    let ev = event_loop(virtual_clock);
    let start = std::time::Instant::now();
    let output = ev.run_until_complete(main).expect("main completes");
    let took = if virtual_clock { ev.now() } else { start.elapsed() };
    let cancelled = ev.cancel_all();
    Ran { output, took, cancelled }
}

/// The seeds' closing line, e.g. `countasync.rs exec in 1.00 seconds.`
pub fn elapsed_line(what: &str, elapsed: Duration, virtual_clock: bool) -> String {
    let clock = if virtual_clock { " (virtual clock)" } else { "" };
    format!("{what} exec in {:.2} seconds{clock}.", elapsed.as_secs_f64())
}

/// ```text
/// async fn spawn_all(coroutines) -> Vec<Result<T, TaskError>> {
///     let tasks: Vec<_> = coroutines.map(spawn).collect();  // all start together
///     let mut results = vec![];
///     for task in tasks { results.push(task.await) }        // then await each in order
///     results
/// }
/// ```
/// Stage 5's `gather` does this properly; at stage 4 we write it by hand —
/// which is exactly the laborious part that stage 5 removes.
///
/// The tasks are spawned when `spawn_all` is first polled, here in this file;
/// they report the *caller's* line as their spawn site (in a slow-step
/// warning, a panic, a deadlock), which is where the reader's code is.
#[track_caller]
pub fn spawn_all<C>(coroutines: Vec<C>) -> SpawnAll<C>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    SpawnAll { state: SpawnAllState::Start(coroutines), at: Location::caller() }
}

pub struct SpawnAll<C: Coroutine> {
    state: SpawnAllState<C>,
    /// Where `spawn_all` was called: the tasks' spawn site.
    at: &'static Location<'static>,
}

enum SpawnAllState<C: Coroutine> {
    Start(Vec<C>),
    Awaiting { tasks: VecDeque<Task<C::Output>>, results: Vec<Result<C::Output, TaskError>> },
    Done,
}

impl<C> Coroutine for SpawnAll<C>
where
    C: Coroutine + 'static,
    C::Output: 'static,
{
    type Output = Vec<Result<C::Output, TaskError>>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match &mut self.state {
                SpawnAllState::Start(coroutines) => {
                    let at = self.at;
                    let tasks = coroutines.drain(..).map(|c| spawn_at(c, at)).collect();
                    self.state = SpawnAllState::Awaiting { tasks, results: Vec::new() };
                }
                SpawnAllState::Awaiting { tasks, results } => {
                    while let Some(task) = tasks.front_mut() {
                        match task.poll(cx) {
                            Poll::Pending => return Poll::Pending,
                            Poll::Ready(result) => {
                                results.push(result);
                                tasks.pop_front();
                            }
                        }
                    }
                    let results = std::mem::take(results);
                    self.state = SpawnAllState::Done;
                    return Poll::Ready(results);
                }
                SpawnAllState::Done => panic!("spawn_all() polled after it completed"),
            }
        }
    }
}
