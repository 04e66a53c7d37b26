//! A task's panic is reported in one line that names the task, not with
//! Rust's anonymous "thread 'main' panicked at …" (issue: 5,000 failing
//! tasks printed 5,000 such lines and no task name).
//!
//! What a panic hook prints goes to the process's stderr, so the test runs
//! itself again as a child process and reads the child's stderr.

use rondo::{CoroutineExt, EventLoop, poll_fn, spawn_named};
use std::process::Command;

const CHILD: &str = "RONDO_PANIC_HOOK_CHILD";

#[test]
fn a_task_panic_prints_one_line_naming_the_task() {
    if std::env::var_os(CHILD).is_some() {
        // The child: three failing tasks, and one panic outside any task.
        let ev = EventLoop::new_virtual();
        let main = rondo::lazy(|| {
            let tasks: Vec<_> = (1..=3)
                .map(|i| {
                    spawn_named(
                        &format!("worker-{i}"),
                        poll_fn(move |_| -> rondo::Poll<()> { panic!("boom {i}") }),
                    )
                })
                .collect();
            rondo::gather_tasks(tasks)
        });
        let _ = ev.run_until_complete(main.then(|g| g));
        let _ = std::panic::catch_unwind(|| panic!("outside any task"));
        return;
    }
    let output = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", "a_task_panic_prints_one_line_naming_the_task", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("run the child");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the child failed:\n{stderr}");
    for i in 1..=3 {
        let line = stderr
            .lines()
            .find(|l| l.starts_with(&format!("rondo: task 'worker-{i}' (spawned at tests/panic_hook.rs:")))
            .unwrap_or_else(|| panic!("no line for worker-{i} in:\n{stderr}"));
        assert!(line.contains("panicked at tests/panic_hook.rs:"), "{line}");
        assert!(line.ends_with(&format!(": boom {i}")), "{line}");
    }
    let anonymous = stderr.lines().filter(|l| l.contains("panicked at") && !l.starts_with("rondo:")).count();
    assert_eq!(anonymous, 1, "only the panic outside any task goes to Rust's own hook:\n{stderr}");
}
