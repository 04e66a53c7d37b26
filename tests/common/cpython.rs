//! Running generated programs on CPython, for the property tests that check
//! their asyncio model against the real thing: a program of [`Op`]s becomes
//! `async def`s for a virtual-clock asyncio loop, and what CPython prints
//! comes back as [`Run`]s.

use super::Op;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

/// What a run printed, when it ended (virtual milliseconds), and after how
/// many loop iterations.
///
/// The iteration count sees what a trace cannot: in virtual time a timer is
/// only ever due right after a jump, when the ready queue is empty, so the
/// hop from a timer's handle to its task's step shifts every trace line by
/// one iteration and changes no order. Only the count tells it is there.
#[derive(Debug, PartialEq)]
pub struct Run {
    pub trace: Vec<String>,
    pub end_ms: u64,
    pub iterations: u64,
}

/// A trace line: `"1.250 text"` for `ms` = 1250.
pub fn stamp(ms: u64, text: &str) -> String {
    format!("{}.{:03} {text}", ms / 1000, ms % 1000)
}

/// The text of a stamped line ("1.000 T3 start" → "T3 start").
pub fn text(line: &str) -> &str {
    line.split_once(' ').map_or(line, |(_, text)| text)
}

/// The Python side of both proptest files: an asyncio loop on a virtual
/// clock in integer milliseconds (`CLOCK`), counting its iterations
/// (`ITERATIONS`), whose timers with equal deadlines fire in registration
/// order, as rondo's do. Each file appends its own `say` and `run`.
pub const VIRTUAL_LOOP_PY: &str = r##"
import asyncio, heapq, itertools, selectors

CLOCK = [0]  # virtual time, integer milliseconds
ITERATIONS = [0]  # of `_run_once`

class VirtualSelector(selectors.DefaultSelector):
    # Waiting `timeout` moves the clock instead; nothing outside ever happens.
    def select(self, timeout=None):
        if timeout is None:
            raise RuntimeError("deadlock: nothing ready, no timer")
        CLOCK[0] += timeout
        return super().select(0)

SEQ = itertools.count()

class FifoTimer(asyncio.TimerHandle):
    # Equal deadlines fire in registration order, as in rondo.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._seq = next(SEQ)
    def __lt__(self, other):
        return (self._when, self._seq) < (other._when, other._seq)

class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        super().__init__(VirtualSelector())
    def time(self):
        return CLOCK[0]
    def _run_once(self):
        ITERATIONS[0] += 1
        super()._run_once()
    def call_at(self, when, callback, *args, context=None):
        self._check_closed()
        timer = FifoTimer(when, callback, args, self, context)
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer

"##;

/// Runs `programs` on CPython (the script of [`python_script`]) and returns
/// what each printed, in order; `None` if there is no python3.
pub fn run_on_cpython(prelude: &str, programs: &[Vec<Op>]) -> Option<Vec<Run>> {
    run_script_on_cpython(&python_script(prelude, programs), programs.len())
}

/// Runs a whole script that prints `count` programs' traces, each ended by
/// `#end <ms> <iterations>`; `None` if there is no python3.
pub fn run_script_on_cpython(script: &str, count: usize) -> Option<Vec<Run>> {
    let stdout = run_python(script)?;
    let runs = parse_python_runs(&stdout);
    assert_eq!(runs.len(), count, "python output:\n{stdout}");
    Some(runs)
}

/// Checks each program's run on the model and on rondo against CPython's,
/// naming the CPython version and the program when they differ.
pub fn assert_all_match_cpython<P>(
    programs: &[P],
    runs: Vec<Run>,
    model: impl Fn(&P) -> Run,
    rondo: impl Fn(&P) -> Run,
    render: impl Fn(&P) -> String,
) {
    let version = super::python3::python3_version();
    for (program, python) in programs.iter().zip(runs) {
        assert_eq!(model(program), python, "model vs CPython {version}; program: {}", render(program));
        assert_eq!(rondo(program), python, "rondo vs CPython {version}; program: {}", render(program));
    }
}

/// Python source running `programs` one after the other, each on a fresh
/// virtual-clock loop ([`VIRTUAL_LOOP_PY`], then the test file's `prelude`,
/// which defines `say` and `run`). Prints each program's trace, then
/// `#end <ms> <iterations>`.
///
/// Deviation made on purpose: asyncio orders timers with equal deadlines by
/// heap position (unspecified); rondo and the models order them FIFO. The
/// script's loop uses a timer handle ordered by `(when, sequence)`, so the
/// comparison tests everything else exactly.
fn python_script(prelude: &str, programs: &[Vec<Op>]) -> String {
    let mut py = format!("{VIRTUAL_LOOP_PY}{prelude}");
    let mut mains = vec![];
    for (p, main) in programs.iter().enumerate() {
        let mut next = 0;
        mains.push(python_task(p, main, &mut next, &mut py));
    }
    writeln!(py, "for main in [{}]:\n    run(main)", mains.join(", ")).unwrap();
    py
}

/// Emits `async def` for a task (children first) and returns its function name.
fn python_task(p: usize, ops: &[Op], next: &mut usize, py: &mut String) -> String {
    let f = format!("p{p}_t{next}");
    *next += 1;
    let mut body = String::from("    ch = []\n");
    python_body(p, ops, 4, next, py, &mut body);
    writeln!(py, "async def {f}():\n{body}").unwrap();
    f
}

/// Emits the statements for `ops` at this indent into `body` (and the
/// `async def`s of the tasks they make into `py`). `OnCancel` wraps the rest
/// of the ops in `try: ... except CancelledError:`, one level deeper.
fn python_body(p: usize, ops: &[Op], indent: usize, next: &mut usize, py: &mut String, body: &mut String) {
    let pad = " ".repeat(indent);
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Say(text) => writeln!(body, "{pad}say({text:?})").unwrap(),
            Op::SleepMs(ms) => writeln!(body, "{pad}await asyncio.sleep({ms})").unwrap(),
            Op::Yield => writeln!(body, "{pad}await asyncio.sleep(0)").unwrap(),
            Op::Spawn(name, child) => {
                let g = python_task(p, child, next, py);
                writeln!(body, "{pad}ch.append(asyncio.create_task({g}(), name={name:?}))").unwrap();
            }
            Op::Await(n) => writeln!(body, "{pad}await ch[{n}]").unwrap(),
            Op::AwaitOrCancelled(n, text) => write!(
                body,
                "{pad}try:\n{pad}    await ch[{n}]\n{pad}except asyncio.CancelledError:\n\
                 {pad}    if asyncio.current_task().cancelling():\n{pad}        raise\n{pad}    say({text:?})\n"
            )
            .unwrap(),
            Op::Cancel(n) => writeln!(body, "{pad}ch[{n}].cancel()").unwrap(),
            Op::Gather(children) => {
                let fs: Vec<String> =
                    children.iter().map(|(_, c)| format!("{}()", python_task(p, c, next, py))).collect();
                writeln!(body, "{pad}await asyncio.gather({})", fs.join(", ")).unwrap();
            }
            Op::NewPromise(k) => writeln!(body, "{pad}P[{k}] = asyncio.get_running_loop().create_future()").unwrap(),
            Op::SetPromise(k) => writeln!(body, "{pad}P[{k}].set_result(None)").unwrap(),
            Op::AwaitPromise(k) => writeln!(body, "{pad}await P[{k}]").unwrap(),
            Op::OnCancel(text) => {
                writeln!(body, "{pad}try:\n{pad}    pass").unwrap();
                python_body(p, &ops[i + 1..], indent + 4, next, py, body);
                write!(body, "{pad}except asyncio.CancelledError:\n{pad}    say({text:?})\n{pad}    raise\n").unwrap();
                return;
            }
        }
    }
}

/// Runs the script on `python3`; `None` if there is no python3.
fn run_python(script: &str) -> Option<String> {
    let mut child = match Command::new("python3")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(_) => return None,
    };
    child.stdin.take().expect("piped").write_all(script.as_bytes()).expect("write the script");
    let output = child.wait_with_output().expect("python3 runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "python3 failed:\n{stderr}");
    // asyncio reports what goes wrong inside a task that nobody awaits
    // ("Task exception was never retrieved", "Task was destroyed but it is
    // pending!") on stderr and exits 0: a clean run says nothing there.
    assert!(stderr.trim().is_empty(), "python3 exited 0 but said something on stderr:\n{stderr}");
    Some(String::from_utf8(output.stdout).expect("utf-8"))
}

/// Splits the script's output into one `Run` per program (each ends with a
/// line `#end <ms> <iterations>`).
fn parse_python_runs(stdout: &str) -> Vec<Run> {
    let mut runs = vec![];
    let mut trace = vec![];
    for line in stdout.lines() {
        match line.strip_prefix("#end ") {
            Some(end) => {
                let (ms, iterations) = end.split_once(' ').expect("#end <ms> <iterations>");
                runs.push(Run {
                    trace: std::mem::take(&mut trace),
                    end_ms: ms.parse().expect("integer milliseconds"),
                    iterations: iterations.parse().expect("an iteration count"),
                })
            }
            None => trace.push(line.to_string()),
        }
    }
    runs
}
