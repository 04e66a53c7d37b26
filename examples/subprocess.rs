//! # subprocess — four child processes at once, each reported as it finishes
//!
//! ```python
//! async def run(name, *cmd):
//!     proc = await asyncio.create_subprocess_exec(*cmd, stdout=PIPE, stderr=PIPE)
//!     out, err = await proc.communicate()
//!     print(f"{name}: exit {proc.returncode}, stdout {out!r}, stderr {err!r}")
//! async def main():
//!     await asyncio.gather(run("late", "sh", "-c", "sleep 0.2; echo late"),
//!                          run("echo", "echo", "hello"),
//!                          run("ls", "ls", "-d", "/"),
//!                          run("fails", "sh", "-c", "echo oops >&2; exit 2"))
//! ```
//! **Watch for:** all four start together; the quick three finish at once
//! (in whatever order the OS lets them — they really run side by side),
//! `late` last, 0.2 s later, though it was started first. `fails` exits
//! with 2 and its complaint comes through the stderr pipe.
//!
//! With `--virtual` the elapsed line says 0.00 s: a child takes no virtual
//! time — the loop waits (really) for the news its watcher threads owe it
//! before it moves the virtual clock.
//!
//! Run: `cargo run --example subprocess` (`-- --virtual` for the virtual clock,
//! `-- --async` for the same program as `async fn`s — stage 9).

#[path = "common/mod.rs"]
mod common;

use rondo::{Communicate, Context, Coroutine, Gather, Poll, Process, Transcript, from_future, gather};
use std::process::{Command, Output, Stdio};

/// The four commands `main()` runs: a name and an argv each.
const COMMANDS: [(&str, &[&str]); 4] = [
    ("late", &["sh", "-c", "sleep 0.2; echo late"]),
    ("echo", &["echo", "hello"]),
    ("ls", &["ls", "-d", "/"]),
    ("fails", &["sh", "-c", "echo oops >&2; exit 2"]),
];

/// `create_subprocess_exec(*argv, stdout=PIPE, stderr=PIPE)`. Spawning does
/// not block: fork + exec, and the watcher threads start.
fn start(argv: &[&str]) -> Process {
    let mut command = Command::new(argv[0]);
    command.args(&argv[1..]).stdout(Stdio::piped()).stderr(Stdio::piped());
    Process::spawn(&mut command).expect("the command starts")
}

/// The line `run(name, *cmd)` prints once its child is done.
fn finished(name: &str, output: &Output) -> String {
    let text = |bytes: &[u8]| format!("{:?}", String::from_utf8_lossy(bytes));
    let code = output.status.code().map_or("a signal".to_string(), |c| c.to_string());
    format!("{name}: exit {code}, stdout {}, stderr {}", text(&output.stdout), text(&output.stderr))
}

/// `run(name, *cmd)`.
struct Run {
    name: &'static str,
    argv: &'static [&'static str],
    out: Transcript,
    state: RunState,
}

enum RunState {
    Start,
    /// `await proc.communicate()`.
    Communicating(Communicate),
    Done,
}

impl Coroutine for Run {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                RunState::Start => {
                    let proc = start(self.argv);
                    self.out.say(format!("{}: started", self.name));
                    self.state = RunState::Communicating(proc.communicate());
                }
                RunState::Communicating(talk) => {
                    let Poll::Ready(output) = talk.poll(cx) else { return Poll::Pending };
                    self.out.say(finished(self.name, &output.expect("the pipes are read")));
                    self.state = RunState::Done;
                    return Poll::Ready(());
                }
                RunState::Done => panic!("run() polled after it completed"),
            }
        }
    }
}

/// `main()`.
struct Main {
    out: Transcript,
    state: MainState,
}

enum MainState {
    Start,
    Gathering(Gather<()>),
    Done,
}

impl Coroutine for Main {
    type Output = ();
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                MainState::Start => {
                    let runs = COMMANDS
                        .into_iter()
                        .map(|(name, argv)| Run { name, argv, out: self.out.clone(), state: RunState::Start })
                        .collect();
                    self.state = MainState::Gathering(gather(runs));
                }
                MainState::Gathering(all) => {
                    let Poll::Ready(done) = all.poll(cx) else { return Poll::Pending };
                    done.expect("no run fails");
                    self.state = MainState::Done;
                    return Poll::Ready(());
                }
                MainState::Done => panic!("main() polled after it completed"),
            }
        }
    }
}

/// Runs the scenario, saying its lines into `out`.
pub fn run(virtual_clock: bool, out: &Transcript) {
    let ran = common::run_main(virtual_clock, Main { out: out.clone(), state: MainState::Start });
    out.say(common::elapsed_line("subprocess.rs", ran.took, virtual_clock));
}

/// `run(name, *cmd)` as an `async fn`: the [`Run`] machine above, written by the compiler.
async fn run_command(name: &str, argv: &[&str], out: Transcript) {
    let proc = start(argv);
    out.say(format!("{name}: started"));
    let output = proc.communicate().await.expect("the pipes are read");
    out.say(finished(name, &output));
}

/// The scenario as `async fn`s (`--async`): [`Main`] written by the compiler.
#[allow(dead_code)] // unused when the tour includes this file as a module
pub fn run_async(virtual_clock: bool, out: &Transcript) {
    let runs = COMMANDS.into_iter().map(|(name, argv)| from_future(run_command(name, argv, out.clone())));
    let runs = runs.collect();
    let main = from_future(async move { gather(runs).await.expect("no run fails") });
    let ran = common::run_main(virtual_clock, main);
    out.say(common::elapsed_line("subprocess.rs", ran.took, virtual_clock));
}

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    match args.async_fns {
        true => run_async(args.virtual_clock, &args.transcript()),
        false => run(args.virtual_clock, &args.transcript()),
    }
}
