//! The threads behind a [`Process`](super::Process): a watcher that notices
//! the exit, readers that drain the pipes, and how their news reaches the loop.
//!
//! Everything about one child lives in one [`Watch`]: a mutex around the
//! `Child` and what is known of it, and a condition variable that *nudges*
//! the watcher. Holding the `Child` under the mutex is what makes `kill`
//! safe while a task awaits the exit: `kill` and the watcher's `try_wait`
//! never overlap, so a child is never signalled after it was reaped (the
//! PID-reuse race of a hand-made `kill(2)`).
//!
//! **The watcher** asks `try_wait` (a non-blocking `waitpid`), then sleeps
//! on the condition variable: 1 ms, then 2, 4, 8, 16, and 20 ms from then
//! on ([`FIRST_NAP`], [`LONGEST_NAP`]). Three things cut a nap short and
//! start the doubling again from 1 ms: `kill`, a pipe reaching end-of-file
//! (a child that closes its output is usually exiting), and `try_status`
//! finding the exit itself.
//!
//! **Measured** (the unit tests below, `--release`, a 2-CPU machine under
//! load 8): a `sleep 0.5` child cost its watcher 30 wake-ups — 50 a second
//! once the naps reach 20 ms, each one `waitpid` call of a few µs. From
//! spawn to the awaiting task resumed, beyond the child's own run time: a
//! quiet child (no pipes) at most 22 ms (the 20 ms nap, plus its start-up);
//! a child with a captured pipe 3 ms (median of 7: end-of-file nudged the
//! watcher); and from `kill` to the task resumed, 0.7 ms (median of 7).
//!
//! **Readers**, one per captured pipe, `read_to_end` on a blocking read —
//! the bytes wait in memory for `communicate` (so a child can never stall
//! on a full pipe nobody reads, asyncio's classic `wait()` deadlock).
//!
//! **Answers.** A coroutine that must wait files an [`Answer`]: its loop's
//! inbox and the ticket from [`Outside::expect`]. Whichever thread makes it
//! true — the watcher at the exit, the last reader at its end-of-file —
//! sends the loop a callback that calls [`Outside::arrived`]: the news costs
//! two iterations — its callback, then the task — as a `to_thread`'s does.
//!
//! (Over 300 lines with its tests: about 260 of code, and the tests that
//! measure the watcher's wake-ups and its exit-detection latency.)

use super::inbox::Inbox;
use super::outside::{Outside, Ticket};
use std::io::{self, Read};
use std::panic::Location;
use std::process::{Child, ChildStdin, ExitStatus};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// The watcher's first nap after a nudge or at the start.
pub(crate) const FIRST_NAP: Duration = Duration::from_millis(1);
/// The longest nap: a bound on how late an exit is noticed, and the reason
/// for the 50 wake-ups a second.
pub(crate) const LONGEST_NAP: Duration = Duration::from_millis(20);

/// One child process and the threads that watch it.
pub(crate) struct Watch {
    state: Mutex<Watched>,
    /// Cuts the watcher's nap short (see [`Watched::nudged`]).
    nudge: Condvar,
}

/// What is known about the child; every field under [`Watch::state`].
pub(crate) struct Watched {
    /// The child, its pipes taken out. Only touched under the lock.
    pub(crate) child: Child,
    /// `Some` once the exit is known (or `waitpid` failed); never changes again.
    pub(crate) exit: Option<Result<ExitStatus, Failure>>,
    /// The writing end of a piped stdin, until `communicate` closes it or
    /// `write_stdin` hands it to its thread.
    pub(crate) stdin: Option<ChildStdin>,
    /// What the readers read, whole, once each reached end-of-file.
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
    /// Reader (and stdin-writer) threads still running.
    pub(crate) pipes_open: usize,
    /// The first read or write error of a pipe, for `communicate`.
    pub(crate) pipe_error: Option<Failure>,
    /// Set by a nudge, cleared by the watcher: it also covers a nudge sent
    /// while the watcher was busy, not sleeping (a condvar alone forgets it).
    nudged: bool,
    /// Coroutines waiting for news.
    answers: Vec<Answer>,
    /// How many times the watcher woke (for the measurements).
    pub(crate) wakeups: u64,
}

/// An `io::Error` that can be kept and handed out more than once.
#[derive(Clone, Debug)]
pub(crate) struct Failure(io::ErrorKind, String);

impl Failure {
    pub(crate) fn to_io(&self) -> io::Error {
        io::Error::new(self.0, self.1.clone())
    }
}

impl From<&io::Error> for Failure {
    fn from(error: &io::Error) -> Failure {
        Failure(error.kind(), error.to_string())
    }
}

/// What an awaiting coroutine waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Awaited {
    /// `wait()`: the exit.
    Exit,
    /// `communicate()`: the exit, and every pipe at end-of-file.
    ExitAndPipes,
}

/// A coroutine's request for news: where to send it, and its ticket there.
struct Answer {
    inbox: Arc<Inbox>,
    ticket: Ticket,
    what: Awaited,
}

impl Watched {
    pub(crate) fn has(&self, what: Awaited) -> bool {
        self.exit.is_some() && (what == Awaited::Exit || self.pipes_open == 0)
    }

    /// Asks the OS (without blocking) whether the child has exited; `true`
    /// if this look found it.
    fn check_exit(&mut self) -> bool {
        if self.exit.is_none() {
            self.exit = match self.child.try_wait() {
                Ok(None) => None,
                Ok(Some(status)) => Some(Ok(status)),
                Err(error) => Some(Err(Failure::from(&error))),
            };
            return self.exit.is_some();
        }
        false
    }

    /// Takes out the answers that are now true.
    fn due(&mut self) -> Vec<Answer> {
        let (due, waiting) = std::mem::take(&mut self.answers).into_iter().partition(|a| self.has(a.what));
        self.answers = waiting;
        due
    }
}

impl Watch {
    pub(crate) fn new(watched: Watched) -> Arc<Watch> {
        Arc::new(Watch { state: Mutex::new(watched), nudge: Condvar::new() })
    }

    pub(crate) fn empty(child: Child) -> Watched {
        let (stdout, stderr, answers) = (Vec::new(), Vec::new(), Vec::new());
        Watched {
            child,
            exit: None,
            stdin: None,
            stdout,
            stderr,
            pipes_open: 0,
            pipe_error: None,
            nudged: false,
            answers,
            wakeups: 0,
        }
    }

    /// Every thread updates the state in single statements, so a panic
    /// elsewhere cannot leave it half-changed: poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Watched> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wakes the watcher now (it starts its naps again from 1 ms).
    pub(crate) fn nudge(&self, state: &mut Watched) {
        state.nudged = true;
        self.nudge.notify_all();
    }

    /// Looks for the exit from the loop's thread (`try_status`, `kill`,
    /// `wait`); if this look found it, the watcher is nudged to send the news
    /// it owes others now, not after its nap.
    pub(crate) fn look(&self, state: &mut Watched) {
        if state.check_exit() {
            self.nudge(state);
        }
    }

    /// Files a request for news, unless it is already true (`false`: the
    /// caller has its answer now). Under the lock, so no news slips between
    /// the check and the filing.
    pub(crate) fn file(&self, inbox: &Arc<Inbox>, ticket: Ticket, what: Awaited) -> bool {
        let mut state = self.lock();
        self.look(&mut state);
        if state.has(what) {
            return false;
        }
        state.answers.push(Answer { inbox: inbox.clone(), ticket, what });
        true
    }

    /// The awaiter went away: its request is withdrawn.
    pub(crate) fn withdraw(&self, inbox: &Arc<Inbox>, ticket: Ticket) {
        self.lock().answers.retain(|a| !(Arc::ptr_eq(&a.inbox, inbox) && a.ticket == ticket));
    }

    /// The watcher thread: polls the exit with capped backoff, then answers.
    /// It holds the lock only while it looks, never while it naps.
    pub(crate) fn watch_until_exit(&self) {
        let mut state = self.lock();
        let mut nap = FIRST_NAP;
        loop {
            state.wakeups += 1;
            state.check_exit();
            if state.exit.is_some() {
                break;
            }
            state =
                self.nudge.wait_timeout_while(state, nap, |s| !s.nudged).unwrap_or_else(|p| p.into_inner()).0;
            nap = if std::mem::take(&mut state.nudged) { FIRST_NAP } else { (nap * 2).min(LONGEST_NAP) };
        }
        let due = state.due();
        drop(state);
        send(due);
    }

    /// A reader thread: the whole pipe, then the news.
    pub(crate) fn read_to_end(&self, mut pipe: impl Read, into: fn(&mut Watched) -> &mut Vec<u8>) {
        let mut bytes = Vec::new();
        let read = pipe.read_to_end(&mut bytes);
        drop(pipe);
        let mut state = self.lock();
        *into(&mut state) = bytes;
        self.pipe_done(state, read.err());
    }

    /// A `write_stdin` thread: writes everything, then closes stdin (as
    /// asyncio's `communicate(input)` does). A child that exits without
    /// reading is not an error (asyncio ignores `BrokenPipeError` too).
    pub(crate) fn write_all(&self, mut stdin: ChildStdin, bytes: &[u8]) {
        let written = io::Write::write_all(&mut stdin, bytes);
        drop(stdin);
        let error = written.err().filter(|e| e.kind() != io::ErrorKind::BrokenPipe);
        self.pipe_done(self.lock(), error);
    }

    fn pipe_done(&self, mut state: MutexGuard<'_, Watched>, error: Option<io::Error>) {
        if let (None, Some(error)) = (&state.pipe_error, error) {
            state.pipe_error = Some(Failure::from(&error));
        }
        state.pipes_open -= 1;
        self.nudge(&mut state);
        let due = state.due();
        drop(state);
        send(due);
    }
}

/// Tells each answer's loop the news (outside the lock: `send` takes the
/// inbox's own). A loop that is gone refuses it, and that is fine.
fn send(due: Vec<Answer>) {
    for Answer { inbox, ticket, .. } in due {
        let arrived = Box::new(move || Outside::of_running_loop("a process's answer").arrived(ticket));
        let _ = inbox.send(arrived, Location::caller());
    }
}

#[cfg(test)]
mod tests {
    //! The measurements the module docs quote. Run them with
    //! `cargo test --release --lib process_watch -- --nocapture` to see the numbers.
    use super::{FIRST_NAP, LONGEST_NAP};
    use crate::{EventLoop, Process};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    /// Runs `proc.wait()` on a real-clock loop; how long it took from `since`.
    fn waited(proc: &Process, since: Instant) -> Duration {
        EventLoop::new().run(proc.wait()).unwrap().unwrap();
        since.elapsed()
    }

    #[test]
    fn a_running_child_costs_about_fifty_wakeups_a_second() {
        let proc = Process::spawn(Command::new("sleep").arg("0.5")).unwrap();
        waited(&proc, Instant::now());
        let wakeups = proc.watcher_wakeups();
        // 1+2+4+8+16 ms of ramp (6 looks), then one look per 20 ms: ~30 in 0.5 s.
        let steady = (Duration::from_millis(500).as_millis() / LONGEST_NAP.as_millis()) as u64;
        eprintln!("watcher wake-ups for a 0.5 s child: {wakeups} (50 a second once the naps reach 20 ms)");
        // A loaded machine oversleeps the naps (fewer looks), never undersleeps them.
        assert!((steady / 2..=steady + 15).contains(&wakeups), "{wakeups} wake-ups");
    }

    #[test]
    fn an_exit_is_noticed_within_the_longest_nap() {
        let mut worst = Duration::ZERO;
        for _ in 0..5 {
            let started = Instant::now();
            let proc = Process::spawn(Command::new("sleep").arg("0.05")).unwrap();
            worst = worst.max(waited(&proc, started).saturating_sub(Duration::from_millis(50)));
        }
        eprintln!("a quiet child's exit, noticed late by at most {worst:?} (incl. its own start-up)");
        // 20 ms of nap, plus the child's exec and the loop's two iterations; generous for a busy CI.
        assert!(worst < LONGEST_NAP + Duration::from_millis(60), "{worst:?}");
    }

    #[test]
    fn a_closing_pipe_or_a_kill_nudges_the_watcher_at_once() {
        let (mut pipe, mut kill) = (Vec::new(), Vec::new());
        for _ in 0..7 {
            // A child with captured output: its end-of-file is the nudge.
            let started = Instant::now();
            let piped = Process::spawn(Command::new("sleep").arg("0.05").stdout(Stdio::piped())).unwrap();
            pipe.push(waited(&piped, started).saturating_sub(Duration::from_millis(50)));
            // A killed child: `kill` is the nudge.
            let proc = Process::spawn(Command::new("sleep").arg("5")).unwrap();
            std::thread::sleep(Duration::from_millis(100)); // the watcher's naps reach 20 ms
            let killed = Instant::now();
            proc.kill().unwrap();
            kill.push(waited(&proc, killed));
        }
        pipe.sort();
        kill.sort();
        eprintln!(
            "exit noticed (median of 7), piped child: late by {:?}; killed child: after {:?}",
            pipe[3], kill[3]
        );
        // Typically ~1 ms; the bound only catches a nudge that does not work,
        // with room for a loaded machine's scheduling.
        assert!(kill[3] < LONGEST_NAP * 3, "{kill:?}: the kill did not nudge");
        assert!(FIRST_NAP < LONGEST_NAP);
    }
}
