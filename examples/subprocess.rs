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
//! Run: `cargo run --example subprocess` (`-- --virtual` for the virtual clock).

#[path = "common/mod.rs"]
mod common;

use rondo::{Communicate, Context, Coroutine, Gather, Poll, Process, Transcript, gather};
use std::process::{Command, Stdio};

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
                    let mut command = Command::new(self.argv[0]);
                    command.args(&self.argv[1..]).stdout(Stdio::piped()).stderr(Stdio::piped());
                    // spawn does not block: fork + exec, and the watcher threads start
                    let proc = Process::spawn(&mut command).expect("the command starts");
                    self.out.say(format!("{}: started", self.name));
                    self.state = RunState::Communicating(proc.communicate());
                }
                RunState::Communicating(talk) => {
                    let Poll::Ready(output) = talk.poll(cx) else { return Poll::Pending };
                    let output = output.expect("the pipes are read");
                    let text = |bytes: &[u8]| format!("{:?}", String::from_utf8_lossy(bytes));
                    let code = output.status.code().map_or("a signal".to_string(), |c| c.to_string());
                    self.out.say(format!(
                        "{}: exit {code}, stdout {}, stderr {}",
                        self.name,
                        text(&output.stdout),
                        text(&output.stderr)
                    ));
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
                    let commands: [(&'static str, &'static [&'static str]); 4] = [
                        ("late", &["sh", "-c", "sleep 0.2; echo late"]),
                        ("echo", &["echo", "hello"]),
                        ("ls", &["ls", "-d", "/"]),
                        ("fails", &["sh", "-c", "echo oops >&2; exit 2"]),
                    ];
                    let runs = commands
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

#[allow(dead_code)] // unused when the tour includes this file as a module
fn main() {
    let args = common::Args::parse();
    run(args.virtual_clock, &args.transcript());
}
