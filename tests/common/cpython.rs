//! Running generated programs on CPython, for the property tests that check
//! their asyncio model against the real thing.

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

/// Runs the script on `python3`; `None` if there is no python3.
pub fn run_python(script: &str) -> Option<String> {
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
    assert!(output.status.success(), "python3 failed:\n{}", String::from_utf8_lossy(&output.stderr));
    Some(String::from_utf8(output.stdout).expect("utf-8"))
}

/// Splits the script's output into one `Run` per program (each ends with a
/// line `#end <ms> <iterations>`).
pub fn parse_python_runs(stdout: &str) -> Vec<Run> {
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
