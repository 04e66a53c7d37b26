//! Every seed example against CPython: the example's own code runs here
//! under rondo's virtual clock, its mirror in `tests/asyncio/` runs on
//! CPython's asyncio under a virtual clock (`rondo_vclock.py`), and their
//! lines, timestamps and loop iterations must be equal. Without `python3` the test warns on
//! stderr that it compared nothing, and fails when `CI` is set.

// Every example declares its own `mod common` so it also builds alone;
// including several examples here therefore includes that file several times.
#![allow(clippy::duplicate_mod)]

#[path = "common/python3.rs"]
mod python3;

use rondo::Transcript;
use std::path::Path;
use std::process::Command;

macro_rules! examples {
    ($($name:ident = $path:literal),* $(,)?) => {
        $(
            #[allow(dead_code)]
            #[path = $path]
            mod $name;
        )*
        /// Every example that has an asyncio mirror, with its `run`.
        const MIRRORED: &[(&str, fn(bool, &Transcript))] = &[$((stringify!($name), $name::run)),*];
    };
}

examples!(
    countasync = "../examples/countasync.rs",
    countsync = "../examples/countsync.rs",
    create_task = "../examples/create_task.rs",
    arithmetic = "../examples/arithmetic.rs",
    say = "../examples/say.rs",
    hello = "../examples/hello.rs",
    highest_prime = "../examples/highest_prime.rs",
    find_divisibles = "../examples/find_divisibles.rs",
    restaurant = "../examples/restaurant.rs",
    fetch_data = "../examples/fetch_data.rs",
    gather_results = "../examples/gather_results.rs",
    current_task = "../examples/current_task.rs",
    promise = "../examples/promise.rs",
    coro_seq = "../examples/coro_seq.rs",
    chess = "../examples/chess.rs",
    cats = "../examples/cats.rs",
    taskgroup = "../examples/taskgroup.rs",
    producer_consumer = "../examples/producer_consumer.rs",
    rate_limit = "../examples/rate_limit.rs",
    bank = "../examples/bank.rs",
    barrier = "../examples/barrier.rs",
    event = "../examples/event.rs",
);

/// Examples that are not asyncio programs, and so have no mirror.
const NOT_ASYNCIO: &[&str] = &[
    "generators",       // stage 1: plain generators, no event loop
    "busy_vs_loop",     // measures CPU time of two runners
    "tour",             // runs the others
    "bench",            // measures speed
    "deadlock",         // CPython hangs forever here; rondo reports who is stuck
    "dining",           // CPython hangs forever here; rondo names the cycle of locks
    "echo",             // real sockets, and connect on a pool thread: iterations differ from asyncio
    "subprocess",       // real children: the OS decides which of the quick ones ends first
    "threads_vs_rondo", // measures real time, threads against one loop
    "sleepers_4000",    // measures threads, tasks and processes: wall time and memory
    // Pool threads print these cats' lines in the operating system's order,
    // and the loop's clock stands still while threads work: nothing to
    // compare line by line and stamp by stamp.
    "cats_executor",
    "prime_workers", // measures CPU work on the loop, on threads, in processes
];

/// An example's `run` (or its `run_async`): says its lines into a transcript.
type Run = fn(bool, &Transcript);

/// Stage 9: the examples that also exist as `async fn`s (`--async`), with
/// their `run_async`; each is compared with the same mirror as its `run`.
const ASYNC_VERSIONS: &[(&str, Run)] = &[
    ("countasync", countasync::run_async),
    ("create_task", create_task::run_async),
    ("arithmetic", arithmetic::run_async),
    ("say", say::run_async),
    ("hello", hello::run_async),
    ("highest_prime", highest_prime::run_async),
    ("find_divisibles", find_divisibles::run_async),
    ("restaurant", restaurant::run_async),
    ("fetch_data", fetch_data::run_async),
    ("gather_results", gather_results::run_async),
    ("current_task", current_task::run_async),
    ("rate_limit", rate_limit::run_async),
    ("countsync", countsync::run_async),
    ("promise", promise::run_async),
    ("coro_seq", coro_seq::run_async),
    ("chess", chess::run_async),
    ("cats", cats::run_async),
    ("taskgroup", taskgroup::run_async),
    ("producer_consumer", producer_consumer::run_async),
    ("bank", bank::run_async),
    ("barrier", barrier::run_async),
    ("event", event::run_async),
];

fn python_lines(mirror: &Path) -> Option<Vec<String>> {
    let output = match Command::new("python3")
        .arg(mirror)
        .env("RONDO_VCLOCK_ITERATIONS", "1")
        .current_dir(mirror.parent().unwrap())
        .output()
    {
        Ok(output) => output,
        Err(_) => return None,
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{} failed:\n{stderr}", mirror.display());
    // A task's failure that nobody awaited is only logged by asyncio, on
    // stderr, with status 0: a clean mirror says nothing there.
    assert!(stderr.trim().is_empty(), "{} exited 0 but said on stderr:\n{stderr}", mirror.display());
    Some(String::from_utf8(output.stdout).expect("utf-8").lines().map(str::to_string).collect())
}

#[test]
fn every_example_prints_what_cpython_prints_at_the_same_virtual_times() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/asyncio");
    let mut compared = 0;
    for (name, run) in MIRRORED {
        let out = Transcript::new();
        run(true, &out);
        let Some(expected) = python_lines(&dir.join(format!("{name}.py"))) else {
            python3::python3_missing("every_example_prints_what_cpython_prints_at_the_same_virtual_times");
            return;
        };
        let version = python3::python3_version();
        assert_eq!(
            out.stamped_with_iterations(),
            expected,
            "{name}: rondo (left) and CPython {version} (right) differ (time, #iteration, line)"
        );
        compared += 1;
    }
    // Stage 9: the `async fn` versions against the same mirrors.
    for (name, run) in ASYNC_VERSIONS {
        let out = Transcript::new();
        run(true, &out);
        let expected = python_lines(&dir.join(format!("{name}.py"))).expect("python3 ran above");
        assert_eq!(
            out.stamped_with_iterations(),
            expected,
            "{name} --async: rondo (left) and CPython (right) differ"
        );
        compared += 1;
    }
    println!("{compared} examples (and async versions) print exactly what CPython prints");
}

#[test]
fn every_async_version_prints_what_its_hand_written_machines_print() {
    // Needs no python3: where CPython is missing, the test above compares
    // nothing, and this one still holds each `--async` version to its `run`.
    for (name, run_async) in ASYNC_VERSIONS {
        let (_, run) =
            MIRRORED.iter().find(|(n, _)| n == name).expect("an async version of a mirrored example");
        let (hand_written, compiled) = (Transcript::new(), Transcript::new());
        run(true, &hand_written);
        run_async(true, &compiled);
        assert!(!hand_written.lines().is_empty(), "{name} says nothing");
        assert_eq!(
            compiled.stamped_with_iterations(),
            hand_written.stamped_with_iterations(),
            "{name}: --async (left) and the hand-written machines (right) differ"
        );
    }
}

#[test]
fn every_asyncio_example_has_a_mirror_and_is_compared() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(root.join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        if NOT_ASYNCIO.contains(&name.as_str()) {
            continue;
        }
        assert!(
            root.join("tests/asyncio").join(format!("{name}.py")).exists(),
            "examples/{name}.rs has no CPython mirror tests/asyncio/{name}.py"
        );
        assert!(
            MIRRORED.iter().any(|(n, _)| *n == name),
            "examples/{name}.rs is not in the examples! list of tests/asyncio_differential.rs"
        );
        assert!(
            ASYNC_VERSIONS.iter().any(|(n, _)| *n == name),
            "examples/{name}.rs has no `run_async` in ASYNC_VERSIONS (stage 9: every seed example has an `async fn` form)"
        );
    }
}
