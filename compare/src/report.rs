//! Turns the medians into the Markdown block that `docs/performance.md`
//! carries between its `<!-- compare:begin -->` / `<!-- compare:end -->`
//! markers: the machine, the versions, the sizes, the side-by-side table with
//! ratios, and issue 4's targets checked against this run.

use crate::{Job, Outcome, PY_RUNTIMES};
use std::fmt::Write as _;
use std::process::Command;

pub const BEGIN: &str = "<!-- compare:begin -->";
pub const END: &str = "<!-- compare:end -->";

pub struct RunInfo {
    pub quick: bool,
    pub runs: usize,
    pub seconds: f64,
    pub rust_columns: Vec<&'static str>,
    pub py_columns: Vec<&'static str>,
    pub py_versions: Vec<(String, String)>,
}

/// How a number is shown.
#[derive(Clone, Copy)]
pub enum Kind {
    /// nanoseconds, with a unit such as "ns/task"
    Ns(&'static str),
    /// bytes per task
    Bytes,
    /// seconds, with this many decimals
    Secs(usize),
    /// microseconds
    Micros,
}

/// One row of the table: which job, which of its numbers, how to show it.
struct Row {
    label: String,
    job: usize,
    metric: usize,
    kind: Kind,
}

/// 1000000 → "1M", 100000 → "100k", 1000 → "1,000".
fn size(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 10_000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        grouped(n as f64, 0)
    }
}

/// A number with thousands separators: 12345.6 → "12,346" (0 decimals).
fn grouped(v: f64, decimals: usize) -> String {
    let text = format!("{v:.decimals$}");
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i.to_string(), format!(".{f}")),
        None => (text.clone(), String::new()),
    };
    let (sign, digits) = if let Some(d) = int.strip_prefix('-') { ("-", d) } else { ("", int.as_str()) };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}{frac}")
}

pub fn show(v: f64, kind: Kind) -> String {
    match kind {
        Kind::Ns(unit) if v < 100.0 => format!("{v:.1} {unit}"),
        Kind::Ns(unit) => format!("{} {unit}", grouped(v, 0)),
        Kind::Bytes => format!("{} B/task", grouped(v, 0)),
        Kind::Secs(d) => format!("{v:.d$} s"),
        Kind::Micros => format!("{} µs", grouped(v, 0)),
    }
}

/// "×3.2": the other runtime's figure divided by rondo's.
fn ratio(other: f64, rondo: f64) -> Option<String> {
    if rondo <= 0.0 || other < 0.0 {
        return None;
    }
    let k = other / rondo;
    Some(if k >= 100.0 {
        format!("×{}", grouped(k, 0))
    } else if k >= 10.0 {
        format!("×{k:.0}")
    } else {
        format!("×{k:.2}")
    })
}

fn outcome<'a>(medians: &'a [(String, Outcome)], runtime: &str) -> Option<&'a Outcome> {
    medians.iter().find(|(r, _)| r == runtime).map(|(_, o)| o)
}

pub fn number(medians: &[(String, Outcome)], runtime: &str, metric: usize) -> Option<f64> {
    match outcome(medians, runtime)? {
        Outcome::Numbers(n) => n.get(metric).copied(),
        _ => None,
    }
}

fn rows(jobs: &[Job]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (j, job) in jobs.iter().enumerate() {
        let n = size(job.rust_n);
        let mut row = |label: String, metric, kind| rows.push(Row { label, job: j, metric, kind });
        match job.workload {
            "floor" => row("floor: boxed closure through a queue, no runtime".into(), 0, Kind::Ns("ns/call")),
            "spawn_join" => {
                row(format!("spawn+join {n}: time"), 0, Kind::Ns("ns/task"));
                row(format!("spawn+join {n}: memory at peak"), 1, Kind::Bytes);
            }
            "yield" => row(format!("yield: 1,000 tasks × {n}"), 0, Kind::Ns("ns/yield")),
            "sleepers" => {
                row(format!("{n} sleepers of 1 s: wall"), 0, Kind::Secs(3));
                row(format!("{n} sleepers of 1 s: CPU"), 1, Kind::Secs(3));
                row(format!("{n} sleepers of 1 s: memory"), 2, Kind::Bytes);
            }
            "idle" => row("one task idle 2 s: CPU".into(), 0, Kind::Secs(4)),
            "overshoot" => {
                row(format!("{n} × 1 ms sleeps: overshoot median"), 0, Kind::Micros);
                row(format!("{n} × 1 ms sleeps: overshoot p99"), 1, Kind::Micros);
            }
            "pingpong" => row(format!("ping-pong, {n} round trips"), 0, Kind::Ns("ns/trip")),
            "lock" => {
                row(format!("lock: 1,000 tasks × {n} acquire/yield/release"), 0, Kind::Ns("ns/acquire"))
            }
            "to_thread" => row(format!("to_thread round trip × {n}"), 0, Kind::Ns("ns/trip")),
            other => panic!("no rows for {other}"),
        }
    }
    rows
}

fn cell(job: &Job, medians: &[(String, Outcome)], runtime: &str, row: &Row) -> String {
    let Some(result) = outcome(medians, runtime) else { return "—".into() };
    let is_py = PY_RUNTIMES.contains(&runtime);
    let mut text = match result {
        Outcome::Failed(why) => return format!("failed: {}", why.replace('|', "/")),
        Outcome::NotApplicable => return "n/a".into(),
        Outcome::Numbers(numbers) => show(numbers[row.metric], row.kind),
    };
    if job.workload == "floor" {
        text.push_str(if is_py { " (Python)" } else { " (Rust)" });
        return text;
    }
    if runtime != "rondo"
        && let (Some(mine), Some(rondo)) =
            (number(medians, runtime, row.metric), number(medians, "rondo", row.metric))
        && let Some(k) = ratio(mine, rondo)
    {
        text = format!("{text} {k}");
    }
    if is_py && job.py_n != job.rust_n {
        text = format!("{text} [{}]", size(job.py_n));
    }
    text
}

fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The versions of the runtimes this binary was built with, from its lock file.
fn locked_versions() -> String {
    let lock = include_str!("../Cargo.lock");
    let mut found = Vec::new();
    for name in ["tokio", "smol", "async-executor", "async-io", "futures"] {
        let key = format!("name = \"{name}\"\nversion = \"");
        if let Some(at) = lock.find(&key) {
            let rest = &lock[at + key.len()..];
            found.push(format!("{name} {}", &rest[..rest.find('"').unwrap_or(0)]));
        }
    }
    found.join(", ")
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{cpus} cores (nproc), {model}, Linux {}", kernel.trim())
}

/// The Markdown block, markers included.
pub fn render(jobs: &[Job], medians: &[Vec<(String, Outcome)>], info: &RunInfo) -> String {
    let mut out = String::new();
    let date = command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_else(|| "unknown date".into());
    let rustc = command_line("rustc", &["--version"]).unwrap_or_else(|| "rustc (unknown version)".into());
    let columns: Vec<&str> = info.rust_columns.iter().chain(info.py_columns.iter()).copied().collect();

    let _ = writeln!(out, "{BEGIN}");
    let _ = writeln!(
        out,
        "<!-- Generated by compare/run.sh; edit the prose outside the markers, rerun for the table. -->"
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "- **When:** {date}; the measurements took {:.0} s.", info.seconds);
    let _ = writeln!(out, "- **Machine:** {}.", machine());
    let rondo = match command_line("git", &["rev-parse", "--short", "HEAD"]) {
        Some(commit) => {
            let changed = command_line("git", &["status", "--porcelain", "--", "src", "Cargo.toml"])
                .is_some_and(|s| !s.is_empty());
            format!("rondo at `{commit}`{}", if changed { " plus uncommitted changes" } else { "" })
        }
        None => "rondo (no git)".to_string(),
    };
    let _ = writeln!(out, "- **Rust:** {rustc}; {rondo}; {}; release profile.", locked_versions());
    if !info.py_versions.is_empty() {
        let versions: Vec<&str> = info.py_versions.iter().map(|(_, v)| v.as_str()).collect();
        let _ = writeln!(out, "- **Python:** {}.", versions.join("; "));
    }
    let _ = writeln!(
        out,
        "- **Method:** medians of {} run{}, each in a fresh process, runs interleaved across runtimes; {} sizes{}.",
        info.runs,
        if info.runs == 1 { "" } else { "s" },
        if info.quick { "`--quick`" } else { "full" },
        if info.quick { " (smaller than the targets' sizes: do not check targets against them)" } else { "" }
    );
    let scaled: Vec<String> = jobs
        .iter()
        .filter(|j| j.py_n != j.rust_n && !j.py.is_empty())
        .map(|j| format!("{} {} → {}", j.workload, size(j.rust_n), size(j.py_n)))
        .collect();
    if !scaled.is_empty() {
        let _ = writeln!(
            out,
            "- **Scaled down for asyncio/uvloop** (shown as `[size]` in their cells; per-unit figures stay comparable): {}.",
            scaled.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "- **Ratios:** `×k` after a figure is that figure ÷ rondo's: k > 1 means rondo is k times lower (better); k < 1 means rondo is behind."
    );
    let _ = writeln!(out);

    let _ = writeln!(out, "| workload | {} |", columns.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(columns.len()));
    for row in rows(jobs) {
        let job = &jobs[row.job];
        let cells: Vec<String> = columns.iter().map(|c| cell(job, &medians[row.job], c, &row)).collect();
        let _ = writeln!(out, "| {} | {} |", row.label, cells.join(" | "));
    }
    let _ = writeln!(out);
    crate::targets::check(&mut out, jobs, medians, info);
    let _ = write!(out, "{END}");
    out
}

/// Puts `block` (markers included) in place of the text between the markers
/// of `path`, keeping everything around them; appends it if the markers are
/// missing.
pub fn write_between_markers(path: &str, block: &str) -> std::io::Result<()> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let new = match (text.find(BEGIN), text.find(END)) {
        (Some(b), Some(e)) if b < e => format!("{}{block}{}", &text[..b], &text[e + END.len()..]),
        _ => format!("{}{}{block}\n", text, if text.is_empty() || text.ends_with('\n') { "" } else { "\n" }),
    };
    std::fs::write(path, new)
}
