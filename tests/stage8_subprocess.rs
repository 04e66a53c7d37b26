//! Stage 8's subprocesses seen from a program: exit codes, captured pipes,
//! `kill` while a task awaits the exit, timeouts, many children at once, and
//! the loop's life around them (responsive, dropped, a waiter cancelled).
//!
//! Children are real (`sh`, `cat`, `sleep`, `true`); the tests themselves
//! sleep at most a few milliseconds at a time.

use rondo::{
    CoroutineExt, EventLoop, Poll, Process, Transcript, gather, lazy, poll_fn, sleep, spawn, wait_for,
    yield_now,
};
use std::cell::Cell;
use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

fn start(command: &mut Command) -> Process {
    Process::spawn(command).expect("the child starts")
}

/// Waits (really, a millisecond at a time, up to 5 s) until `proc` has exited.
fn reaped(proc: &Process) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = proc.try_status() {
            return status;
        }
        assert!(Instant::now() < deadline, "the child never exited");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn wait_gives_the_exit_code_and_try_status_agrees() {
    let proc = start(&mut sh("exit 3"));
    assert!(proc.pid() > 0);
    let status = EventLoop::new().run(proc.wait()).unwrap().unwrap();
    assert_eq!(status.code(), Some(3));
    assert_eq!(proc.try_status(), Some(status));
    // A second wait, on an exited child, answers at once.
    assert_eq!(EventLoop::new().run(proc.wait()).unwrap().unwrap(), status);
}

#[test]
fn on_a_virtual_clock_the_loop_waits_for_the_child_without_moving_time() {
    let proc = start(&mut sh("sleep 0.05; exit 7"));
    let ev = EventLoop::new_virtual();
    assert_eq!(ev.run_until_complete(proc.wait()).unwrap().unwrap().code(), Some(7));
    assert_eq!(ev.now(), Duration::ZERO, "a child takes no virtual time");
}

#[test]
fn the_exit_reaches_the_task_two_iterations_after_its_news() {
    // Nothing else runs: the task parks in one iteration, the watcher's
    // callback runs in the next, the task resumes in the one after (asyncio:
    // call_soon_threadsafe, then the future's callback) — as to_thread.
    let proc = start(&mut sh("sleep 0.05"));
    let out = Transcript::new();
    let (said, waited) = (out.clone(), proc.clone());
    let main = lazy(move || {
        said.say("waits");
        let said = said.clone();
        waited.wait().map(move |status| said.say(format!("exited {}", status.unwrap().success())))
    })
    .then(|wait| wait);
    EventLoop::new().run(main).unwrap();
    let lines = out.stamped_with_iterations();
    let iteration = |line: &str| line.split(' ').nth(1).unwrap()[1..].parse::<u64>().unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].ends_with("exited true"), "{lines:?}");
    assert_eq!(iteration(&lines[1]) - iteration(&lines[0]), 2, "{lines:?}");
}

#[test]
fn communicate_captures_stdout_and_stderr() {
    let mut command = sh("echo out; echo err >&2; exit 1");
    let proc = start(command.stdout(Stdio::piped()).stderr(Stdio::piped()));
    let output = EventLoop::new_virtual().run(proc.communicate()).unwrap().unwrap();
    assert_eq!(output.stdout, b"out\n");
    assert_eq!(output.stderr, b"err\n");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn output_not_piped_is_empty() {
    let proc = start(Command::new("true").stdout(Stdio::null()));
    let output = EventLoop::new().run(proc.communicate()).unwrap().unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
}

#[test]
fn a_program_not_found_is_an_error_that_names_it() {
    let error = Process::spawn(&mut Command::new("nosuch-rondo-program")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(error.to_string(), "cannot start 'nosuch-rondo-program': No such file or directory");
}

#[test]
fn cat_echoes_what_is_written_to_its_stdin() {
    let proc = start(Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()));
    proc.write_stdin("hello, cat").unwrap();
    assert_eq!(proc.write_stdin("again").unwrap_err().kind(), ErrorKind::BrokenPipe, "stdin is closed");
    let output = EventLoop::new().run(proc.communicate()).unwrap().unwrap();
    assert_eq!(output.stdout, b"hello, cat");
    assert!(output.status.success());
}

#[test]
fn communicate_closes_stdin_so_cat_ends() {
    let proc = start(Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()));
    let output = EventLoop::new_virtual().run(proc.communicate()).unwrap().unwrap();
    assert!(output.status.success() && output.stdout.is_empty());
}

#[test]
fn kill_ends_a_child_while_a_task_awaits_its_exit() {
    let proc = start(Command::new("sleep").arg("5"));
    let (waited, killed) = (proc.clone(), proc.clone());
    let main = lazy(move || {
        let waiter = spawn(waited.wait());
        sleep(Duration::from_millis(5)).map(move |()| (waiter, killed))
    })
    .then(|after| after)
    .then(|(waiter, killed)| {
        assert_eq!(killed.try_status(), None, "still running");
        killed.kill().unwrap();
        waiter
    });
    let started = Instant::now();
    let status = EventLoop::new().run(main).unwrap().unwrap().unwrap();
    assert_eq!(status.signal(), Some(9));
    assert!(started.elapsed() < Duration::from_secs(2), "killed, not waited out");
    assert!(proc.kill().is_ok(), "killing a child that exited is Ok");
}

#[test]
fn a_timeout_around_wait_fires_on_the_real_clock_then_kill_and_wait_work() {
    let proc = start(Command::new("sleep").arg("5"));
    let first = proc.clone();
    let main = wait_for(proc.wait(), Duration::from_millis(20)).map(move |timed_out| {
        assert!(timed_out.is_err(), "the child still runs after 20 ms");
        first.kill().unwrap();
        first.wait()
    });
    let status = EventLoop::new().run(main.then(|wait| wait)).unwrap().unwrap();
    assert_eq!(status.signal(), Some(9));
}

#[test]
fn twenty_children_at_once() {
    let procs: Vec<Process> = (0..20).map(|_| start(&mut Command::new("true"))).collect();
    let started = Instant::now();
    let statuses = EventLoop::new().run(gather(procs.iter().map(Process::wait).collect())).unwrap().unwrap();
    assert_eq!(statuses.len(), 20);
    assert!(statuses.iter().all(|s| s.as_ref().unwrap().success()));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn the_loop_stays_responsive_while_a_child_runs() {
    let proc = start(&mut sh("sleep 0.1"));
    let ticks = Rc::new(Cell::new(0u32));
    let (counted, done) = (ticks.clone(), Rc::new(Cell::new(false)));
    let stop = done.clone();
    let main = lazy(move || {
        // a ticker: one tick every 2 ms until the child is done
        let mut nap: Option<rondo::Sleep> = None;
        drop(spawn(poll_fn(move |cx| {
            // detached: it ends when `done` is set
            loop {
                if stop.get() {
                    return Poll::Ready(());
                }
                let nap = nap.get_or_insert_with(|| sleep(Duration::from_millis(2)));
                if let Poll::Pending = rondo::Coroutine::poll(nap, cx) {
                    return Poll::Pending;
                }
                counted.set(counted.get() + 1);
                *nap = sleep(Duration::from_millis(2));
            }
        })));
        proc.wait().map(move |status| {
            done.set(true);
            status.unwrap()
        })
    })
    .then(|wait| wait);
    assert!(EventLoop::new().run(main).unwrap().success());
    assert!(ticks.get() >= 10, "the ticker ran while the child slept: {} ticks", ticks.get());
}

#[test]
fn a_loop_dropped_while_a_task_awaits_the_exit_neither_crashes_nor_hangs() {
    let proc = start(Command::new("sleep").arg("5"));
    let ev = EventLoop::new();
    let waiter = ev.spawn(proc.wait());
    ev.run_until_complete(sleep(Duration::from_millis(5))).unwrap();
    assert!(!waiter.done());
    drop(waiter);
    drop(ev); // the task is dropped; the watcher's news will find the inbox closed
    assert_eq!(proc.try_status(), None, "dropping the loop does not kill the child");
    proc.kill().unwrap();
    assert_eq!(reaped(&proc).signal(), Some(9), "the watcher still reaps it");
}

#[test]
fn cancelling_the_awaiting_task_leaves_the_child_running() {
    let proc = start(Command::new("sleep").arg("5"));
    let waited = proc.clone();
    let main = lazy(move || {
        let waiter = spawn(waited.wait());
        yield_now().map(move |()| {
            assert!(waiter.cancel());
            waiter
        })
    })
    .then(|cancelled| cancelled)
    .then(|waiter| waiter);
    // On a virtual clock: had the loop kept expecting the news, it would
    // now wait (really) five seconds for the child.
    let started = Instant::now();
    let ev = EventLoop::new_virtual();
    assert!(ev.run_until_complete(main).unwrap().is_err(), "the waiter was cancelled");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(proc.try_status(), None, "the child runs on");
    proc.kill().unwrap();
    assert_eq!(reaped(&proc).signal(), Some(9));
}
