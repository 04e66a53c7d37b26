//! `Process`: a child process, awaited — asyncio's `create_subprocess_exec`.
//!
//! ```python
//! proc = await asyncio.create_subprocess_exec("sh", "-c", "echo hi; exit 3",
//!                                             stdout=asyncio.subprocess.PIPE)
//! out, err = await proc.communicate()      # b"hi\n", None; proc.returncode == 3
//! ```
//! std's `Command` already says what to run and which pipes to make;
//! [`Process::spawn`] starts it (it does not block: `fork`+`exec`), and the
//! awaiting half — [`Process::wait`], [`Process::communicate`] — comes from
//! threads, whose news reaches the loop through the inbox (`process_watch`).
//!
//! **Why threads.** asyncio learns of a child's exit from `SIGCHLD` or a
//! `pidfd`, and reads its pipes with the selector. Each is closed to rondo:
//! - a `SIGCHLD` handler needs `sigaction` — unsafe FFI, and a handler that
//!   may only do async-signal-safe things;
//! - `pidfd_open` is a Linux-only system call (and FFI again);
//! - the pipes std gives are blocking, and making them non-blocking for
//!   `poll(2)` needs `fcntl` — FFI once more;
//! - a thread blocked in `Child::wait` would hold the `Child`, so `kill`
//!   would need the bare pid and `kill(2)`: unsafe, and racy — the child
//!   may be reaped and its pid reused by a stranger just before the signal.
//!
//! So: a reader thread per captured pipe, reading to end-of-file; and a
//! watcher thread that polls `try_wait` with a capped backoff, the `Child`
//! under a mutex it shares with `kill`. The price, measured
//! (`process_watch`): up to three threads per child (four with
//! `write_stdin`), 50 wake-ups a second per running child, and an exit
//! noticed up to 20 ms late — about 3 ms when a pipe closes, under 1 ms
//! after `kill` (both nudge the watcher). asyncio's `SIGCHLD` costs nothing
//! while the child runs; this is what "std only" costs, and for the
//! handful of children a program runs it is noise.
//!
//! Rejected too: one shared watcher thread for all children (fewer
//! threads, but one `try_wait` per child on every look — the same wake-ups,
//! and more code); a blocking `read` on the loop's own thread (freezes it).
//!
//! **Iterations.** The news is a thread's answer: the callback runs in one
//! iteration, the task in the next — two, as `to_thread`'s and asyncio's
//! (`call_soon_threadsafe`, then the future's callback). A `wait` on a
//! child that has already exited does not suspend at all.
//!
//! **The flaw.** The watcher *asks* instead of being *told*: a child is
//! noticed up to 20 ms after it exits, and every running child wakes a
//! thread 50 times a second. Being told needs the OS's own notice — a
//! `SIGCHLD` handler or a Linux `pidfd` in the `poll(2)` set — i.e. a
//! second small FFI file beside `sys_poll`; rondo keeps its one `unsafe`.
//!
//! **What it does not do.**
//! - Dropping a `Process` does not kill the child (nor does asyncio's);
//!   the watcher still reaps it, so it never lingers as a zombie.
//! - Cancelling a task that awaits `wait()` leaves the child running; the
//!   loop stops expecting the news.
//! - A loop dropped while a task awaits `wait()`: the watcher's news is
//!   refused by the closed inbox, and the watcher exits with the child.
//! - **On a virtual clock**, the loop waits — really — for news it expects
//!   from a thread before it moves virtual time (`outside`): so
//!   `wait_for(proc.wait(), 1 s)` waits the child out — for ever, if it
//!   never exits — and the timer never fires: a child takes no virtual
//!   time. A timeout around a child fires only on the real clock (tests
//!   that need one run there, with short times).
//! - Captured output waits in memory until `communicate` takes it.
//!
//! (Over 300 lines with its tests: the handle and its two coroutines are one
//! idea; the threads they wait on are `process_watch`'s.)

use super::outside::{Outside, Ticket};
use super::process_watch::{Awaited, Watch, Watched};
use crate::{Context, Coroutine, Poll};
use std::io;
use std::process::{Command, ExitStatus, Output};
use std::rc::Rc;
use std::sync::Arc;
#[cfg(test)]
use std::time::Duration;

/// A running (or finished) child process (asyncio: `asyncio.subprocess.Process`).
///
/// A `Clone` handle; clones share the child. Made by [`Process::spawn`].
/// The sharing is an `Arc`, not an `Rc` — the child's watcher and reader
/// threads hold it too — so a `Process` may even be awaited from another loop.
///
/// ```
/// use rondo::{EventLoop, Process};
/// use std::process::{Command, Stdio};
///
/// let proc = Process::spawn(Command::new("sh").args(["-c", "echo hi; exit 3"]).stdout(Stdio::piped())).unwrap();
/// let out = EventLoop::new().run(proc.communicate()).unwrap().unwrap();
/// assert_eq!(out.stdout, b"hi\n");
/// assert_eq!(out.status.code(), Some(3));
/// assert_eq!(proc.try_status(), Some(out.status));
/// ```
#[derive(Clone)]
pub struct Process {
    /// `Arc`, not `Rc`: the watcher and reader threads share it.
    watch: Arc<Watch>,
    pid: u32,
}

impl Process {
    /// Starts `command` with the pipes it asks for, and the threads that
    /// watch it (asyncio: `await asyncio.create_subprocess_exec(...)`).
    /// Does not block, and needs no running loop.
    ///
    /// # Errors
    /// The program could not be started; the message names it:
    /// `cannot start 'nosuch': No such file or directory`.
    pub fn spawn(command: &mut Command) -> io::Result<Process> {
        let mut child = command.spawn().map_err(|error| {
            let program = command.get_program().to_string_lossy();
            let full = error.to_string();
            let reason = full.rsplit_once(" (os error ").map_or(full.as_str(), |(reason, _)| reason);
            io::Error::new(error.kind(), format!("cannot start '{program}': {reason}"))
        })?;
        let pid = child.id();
        let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
        let mut watched = Watch::empty(child);
        watched.stdin = stdin;
        watched.pipes_open = usize::from(stdout.is_some()) + usize::from(stderr.is_some());
        let watch = Watch::new(watched);
        // The watcher first: if a thread cannot start, the child is still reaped.
        thread(&watch, "watch", |w| w.watch_until_exit())?;
        if let Some(pipe) = stdout {
            thread(&watch, "stdout", move |w| w.read_to_end(pipe, |s| &mut s.stdout))?;
        }
        if let Some(pipe) = stderr {
            thread(&watch, "stderr", move |w| w.read_to_end(pipe, |s| &mut s.stderr))?;
        }
        Ok(Process { watch, pid })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Waits for the child to exit (asyncio: `await proc.wait()`). Its
    /// captured pipes are still read meanwhile, so a chatty child never blocks.
    pub fn wait(&self) -> ProcessWait {
        ProcessWait { awaiting: Awaiting::new(&self.watch, Awaited::Exit) }
    }

    /// Closes the child's stdin (if piped and not yet closed), then waits for
    /// its exit and the end of its captured output (asyncio: `await
    /// proc.communicate()`). Output not piped is empty; the captured bytes go
    /// to the first `communicate` (a second one gets them empty).
    pub fn communicate(&self) -> Communicate {
        drop(self.watch.lock().stdin.take()); // end-of-file for a `cat`
        Communicate { awaiting: Awaiting::new(&self.watch, Awaited::ExitAndPipes) }
    }

    /// Writes `bytes` to the child's stdin on a thread, then closes it —
    /// asyncio's `communicate(input)`, in two calls: `write_stdin`, then
    /// `communicate`, which also waits for the writing to end.
    ///
    /// # Errors
    /// stdin was not piped, or is already closed; or no thread could start.
    pub fn write_stdin(&self, bytes: impl Into<Vec<u8>>) -> io::Result<()> {
        let mut state = self.watch.lock();
        let stdin = state.stdin.take().ok_or_else(|| {
            io::Error::new(io::ErrorKind::BrokenPipe, "the child's stdin is not piped, or already closed")
        })?;
        state.pipes_open += 1;
        drop(state);
        let bytes = bytes.into();
        thread(&self.watch, "stdin", move |w| w.write_all(stdin, &bytes))
            .inspect_err(|_| self.watch.lock().pipes_open -= 1)
    }

    /// Kills the child (`SIGKILL`; asyncio: `proc.kill()`). Does not wait for
    /// it: await [`wait`](Process::wait) for that. Killing a child that has
    /// already exited is `Ok` — it cannot hit another process, since the
    /// watcher reaps it under the same lock.
    pub fn kill(&self) -> io::Result<()> {
        let mut state = self.watch.lock();
        self.watch.look(&mut state);
        if state.exit.is_some() {
            return Ok(());
        }
        state.child.kill()?;
        self.watch.nudge(&mut state); // notice the death in a millisecond, not twenty
        Ok(())
    }

    /// The exit status, if the child has exited (asyncio: `proc.returncode`).
    /// Asks the OS now, so it is never stale.
    pub fn try_status(&self) -> Option<ExitStatus> {
        let mut state = self.watch.lock();
        self.watch.look(&mut state);
        state.exit.as_ref().and_then(|exit| exit.as_ref().ok().copied())
    }

    /// How many times the watcher has woken so far (for the measurements).
    #[cfg(test)]
    pub(crate) fn watcher_wakeups(&self) -> u64 {
        self.watch.lock().wakeups
    }
}

/// Starts a named thread that runs `f` on the watch.
fn thread(watch: &Arc<Watch>, role: &str, f: impl FnOnce(&Watch) + Send + 'static) -> io::Result<()> {
    let watch = watch.clone();
    std::thread::Builder::new().name(format!("rondo-process-{role}")).spawn(move || f(&watch)).map(drop)
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.watch.lock();
        f.debug_struct("Process").field("pid", &self.pid).field("exit", &state.exit).finish()
    }
}

/// The coroutine of [`Process::wait`]; its output is the exit status.
///
/// ```text
/// async fn wait(proc) -> io::Result<ExitStatus> {
///     if !proc.exited() { news_of(proc.exit).await }   // Start → Waiting
///     proc.exit                                         // Done
/// }
/// ```
#[must_use = "a coroutine does nothing until it is awaited or spawned"]
pub struct ProcessWait {
    awaiting: Awaiting,
}

impl Coroutine for ProcessWait {
    type Output = io::Result<ExitStatus>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.awaiting.poll(cx, "ProcessWait").map(|state| match &state.exit {
            Some(Ok(status)) => Ok(*status),
            Some(Err(failure)) => Err(failure.to_io()),
            None => unreachable!("answered only after the exit"),
        })
    }
}

/// The coroutine of [`Process::communicate`]; its output is std's `Output`.
///
/// ```text
/// async fn communicate(proc) -> io::Result<Output> {
///     close(proc.stdin);
///     if !(proc.exited() && proc.pipes_closed()) { news_of(both).await }
///     Output { status, stdout, stderr }
/// }
/// ```
#[must_use = "a coroutine does nothing until it is awaited or spawned"]
pub struct Communicate {
    awaiting: Awaiting,
}

impl Coroutine for Communicate {
    type Output = io::Result<Output>;

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.awaiting.poll(cx, "Communicate").map(|mut state| {
            if let Some(failure) = &state.pipe_error {
                return Err(failure.to_io());
            }
            let status = match &state.exit {
                Some(Ok(status)) => *status,
                Some(Err(failure)) => return Err(failure.to_io()),
                None => unreachable!("answered only after the exit"),
            };
            Ok(Output {
                status,
                stdout: std::mem::take(&mut state.stdout),
                stderr: std::mem::take(&mut state.stderr),
            })
        })
    }
}

/// What both coroutines share: wait until the watch has `what`, then hand
/// the caller the locked state to read its answer from.
struct Awaiting {
    watch: Arc<Watch>,
    what: Awaited,
    state: State,
}

enum State {
    Start,
    /// News filed with the watch; the loop expects it under `ticket`.
    Waiting {
        outside: Rc<Outside>,
        ticket: Ticket,
    },
    Done,
}

impl Awaiting {
    fn new(watch: &Arc<Watch>, what: Awaited) -> Awaiting {
        Awaiting { watch: watch.clone(), what, state: State::Start }
    }

    fn poll<'a>(&'a mut self, cx: &mut Context<'_>, name: &str) -> Poll<std::sync::MutexGuard<'a, Watched>> {
        match &self.state {
            State::Start => {
                let outside = Outside::of_running_loop(name);
                let ticket = outside.expect(cx.waker());
                if self.watch.file(outside.inbox(), ticket, self.what) {
                    self.state = State::Waiting { outside, ticket };
                    return Poll::Pending;
                }
                // Already true: no suspension. Forget the ticket without a wake.
                outside.rewait(ticket, None);
                outside.arrived(ticket);
            }
            State::Waiting { outside, ticket } => {
                // As in `to_thread`: the ticket, not the state, says "done",
                // so the task resumes in the iteration after the news.
                if outside.is_expected(*ticket) {
                    outside.rewait(*ticket, Some(cx.waker()));
                    return Poll::Pending;
                }
            }
            State::Done => panic!("{name} polled after it completed"),
        }
        self.state = State::Done;
        Poll::Ready(self.watch.lock())
    }
}

impl Drop for Awaiting {
    /// Cancelled while waiting: the child goes on; the news is withdrawn and
    /// the loop stops expecting it (a child may run for hours — a loop on a
    /// virtual clock must not keep waiting for it).
    fn drop(&mut self) {
        if let State::Waiting { outside, ticket } = &self.state {
            self.watch.withdraw(outside.inbox(), *ticket);
            outside.arrived(*ticket); // nobody to wake: it only forgets the ticket
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventLoop, block_on};
    use std::process::Stdio;

    #[test]
    fn write_stdin_needs_a_piped_stdin() {
        let proc = Process::spawn(Command::new("true").stdin(Stdio::null())).unwrap();
        assert_eq!(proc.write_stdin("x").unwrap_err().kind(), io::ErrorKind::BrokenPipe);
        EventLoop::new().run(proc.wait()).unwrap().unwrap();
        assert!(format!("{proc:?}").starts_with(&format!("Process {{ pid: {}, exit: Some(Ok(", proc.pid())));
    }

    #[test]
    fn a_wait_on_an_exited_child_does_not_suspend_or_need_a_loop_to_park() {
        let proc = Process::spawn(&mut Command::new("true")).unwrap();
        while proc.try_status().is_none() {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Answered in its first poll: as many iterations as a coroutine that is ready at once.
        let ev = EventLoop::new_virtual();
        assert!(ev.run_until_complete(proc.wait()).unwrap().unwrap().success());
        let ready = EventLoop::new_virtual();
        ready.run_until_complete(crate::poll_fn(|_| Poll::Ready(()))).unwrap();
        assert_eq!(ev.iterations(), ready.iterations());
    }

    #[test]
    #[should_panic(expected = "ProcessWait polled after it completed")]
    fn polling_a_finished_wait_panics() {
        let proc = Process::spawn(&mut Command::new("true")).unwrap();
        let mut wait = proc.wait();
        EventLoop::new()
            .run_until_complete(crate::poll_fn(move |cx| {
                let Poll::Ready(status) = wait.poll(cx) else { return Poll::Pending };
                assert!(status.unwrap().success());
                let _ = wait.poll(cx);
                Poll::Ready(())
            }))
            .unwrap();
    }

    #[test]
    #[should_panic(expected = "ProcessWait called outside a running event loop")]
    fn waiting_outside_a_loop_panics_clearly() {
        let proc = Process::spawn(Command::new("sleep").arg("5")).unwrap();
        let killer = proc.clone();
        let _kill_later = std::thread::spawn(move || killer.kill());
        let _ = block_on(proc.wait());
    }
}
