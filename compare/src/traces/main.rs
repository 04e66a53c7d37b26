//! # traces — the same program on four runtimes, line by line
//!
//! `compare/traces.sh` is the way in (it builds this binary with the
//! `traces` feature and runs it from the repository root):
//!
//! ```text
//! traces [--only countasync,rate_limit] [--smol-scale 0.1] [--tolerance-ms 20]
//!        [--wide] [--python python3] [--mirrors tests/asyncio]
//! ```
//!
//! Every scenario of `scenarios.rs` is written once, as generic `async fn`s
//! over [`runtime::TraceRuntime`], and run on rondo (virtual clock, through
//! stage 9's bridge), tokio (current-thread runtime, clock paused: it
//! auto-advances to the next timer, a virtual clock too) and smol (no
//! virtual clock: real time). The fourth column is CPython's asyncio running
//! the scenario's mirror, `tests/asyncio/<name>.py`, on `rondo_vclock.py`'s
//! virtual clock. CPython is the reference: rondo claims its order, line for
//! line and stamp for stamp.
//!
//! The traces are printed side by side: each runtime's trace is aligned
//! with asyncio's (the longest common subsequence of their lines), and each
//! row where a runtime differs is marked with what differs: `order` (a line
//! both print, at another place), `missing` / `extra` (a line only asyncio,
//! or only the runtime, prints), `time` (the same line at another time:
//! exact for the virtual clocks, beyond `--tolerance-ms` for smol's real
//! one). The marks come from comparing the traces, never from a list;
//! each scenario then says, for each runtime whose trace did differ, the
//! known reason (`scenarios.rs`, `Scenario::notes`), or that none is
//! recorded.

mod runtime;
mod scenarios;
#[path = "../yield_now.rs"]
mod yield_now;

use runtime::{Rondo, Smol, Tokio, TraceRuntime, take_lines};
use scenarios::{SCENARIOS, Scenario, play};
use std::process::Command;

/// Reads one flag's value: `--name value`.
fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// One runtime's trace of one scenario.
struct Column {
    title: String,
    /// A real clock: times compare within the tolerance.
    real_clock: bool,
    lines: Result<Vec<String>, String>,
}

/// Runs `name` on `R` and keeps its lines.
fn column<R: TraceRuntime>(name: &str) -> Column {
    play::<R>(name);
    Column { title: R::TITLE.to_string(), real_clock: !R::VIRTUAL, lines: Ok(take_lines()) }
}

/// Runs the CPython mirror and keeps its lines.
fn python_column(python: &str, mirrors: &str, name: &str) -> Column {
    let path = format!("{mirrors}/{name}.py");
    let lines = match Command::new(python).arg(&path).output() {
        Ok(out) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect())
        }
        Ok(out) => Err(format!(
            "{python} {path} failed: {}",
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        )),
        Err(e) => Err(format!("no {python}: {e}")),
    };
    Column { title: "CPython asyncio (virtual clock)".into(), real_clock: false, lines }
}

/// A trace line, split: its stamp (seconds; `None` for "-", outside a
/// loop) and its text. A closing line carries the run's time in its text
/// ("main exec in 2.00 seconds (virtual clock).", "Total Time Taken : 7.00
/// Seconds") and names the clock ("(real clock)" for smol): that time
/// becomes the stamp, and the text compares without it and the clock.
fn split(line: &str) -> (Option<f64>, String) {
    let (stamp, text) = line.split_once(' ').unwrap_or((line, ""));
    let text = text.replace(" (real clock).", " (virtual clock).");
    for marker in [" exec in ", "Total Time Taken : "] {
        if let Some(at) = text.find(marker) {
            let rest = &text[at + marker.len()..];
            let number = rest.split(' ').next().unwrap_or("");
            if let Ok(seconds) = number.parse::<f64>() {
                let masked = format!("{}{marker}#{}", &text[..at], &rest[number.len()..]);
                return (Some(seconds), masked);
            }
        }
    }
    (stamp.parse().ok(), text)
}

/// The longest common subsequence of two traces, by text: the pairs
/// (reference row, other row) that line up. What is left over on either
/// side is a line the other trace has elsewhere (moved) or not at all.
fn align(reference: &[String], other: &[String]) -> Vec<(usize, usize)> {
    let (a, b): (Vec<String>, Vec<String>) =
        (reference.iter().map(|l| split(l).1).collect(), other.iter().map(|l| split(l).1).collect());
    // best[i][j]: the LCS length of a[i..] and b[j..].
    let mut best = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            best[i][j] =
                if a[i] == b[j] { best[i + 1][j + 1] + 1 } else { best[i + 1][j].max(best[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut pairs) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            pairs.push((i, j));
            (i, j) = (i + 1, j + 1);
        } else if best[i + 1][j] >= best[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs
}

/// How a runtime's cell of a row compares with asyncio's.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mark {
    Same,
    /// asyncio prints this line here, the runtime at another place (`order`).
    Moved,
    /// A line one of them prints and the other never does.
    Missing,
    Extra,
    /// The same line, at another time.
    Time,
}

impl Mark {
    fn word(self) -> &'static str {
        match self {
            Mark::Same => "",
            Mark::Moved => "order",
            Mark::Missing => "missing",
            Mark::Extra => "extra",
            Mark::Time => "time",
        }
    }
}

/// One displayed row: a cell per column (`None`: blank) and a mark per column.
struct Row {
    cells: Vec<Option<String>>,
    marks: Vec<Mark>,
}

/// Lays the traces out in rows: asyncio's lines in order, each with the
/// line of every runtime aligned to it ([`align`]), and a runtime's lines
/// that align with none of asyncio's in rows of their own, just before the
/// row of its next aligned line.
fn layout(traces: &[&Vec<String>], reference: usize, real_clock: &[bool], tolerance: f64) -> Vec<Row> {
    let base = traces[reference];
    let n = traces.len();
    // matched[c][k]: column c's row aligned with reference row k.
    let mut matched: Vec<Vec<Option<usize>>> = vec![vec![None; base.len()]; n];
    // before[c][k]: column c's unaligned rows shown before reference row k (k = len: at the end).
    let mut before: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); base.len() + 1]; n];
    for c in 0..n {
        let pairs: Vec<(usize, usize)> =
            if c == reference { (0..base.len()).map(|k| (k, k)).collect() } else { align(base, traces[c]) };
        for &(k, j) in &pairs {
            matched[c][k] = Some(j);
        }
        let mut next = pairs.iter().peekable();
        for j in 0..traces[c].len() {
            while next.peek().is_some_and(|&&(_, pj)| pj < j) {
                next.next();
            }
            match next.peek() {
                Some(&&(_, pj)) if pj == j => {} // aligned
                Some(&&(k, _)) => before[c][k].push(j),
                None => before[c][base.len()].push(j),
            }
        }
    }
    // A text a column has unaligned, and asyncio has unaligned too: moved.
    let unaligned_texts =
        |c: usize| -> Vec<String> { before[c].iter().flatten().map(|&j| split(&traces[c][j]).1).collect() };
    let base_unaligned = |c: usize| -> Vec<String> {
        (0..base.len()).filter(|&k| matched[c][k].is_none()).map(|k| split(&base[k]).1).collect()
    };
    let mut rows = Vec::new();
    for k in 0..=base.len() {
        let extra = (0..n).map(|c| before[c][k].len()).max().unwrap_or(0);
        for e in 0..extra {
            let mut row = Row { cells: vec![None; n], marks: vec![Mark::Same; n] };
            for c in 0..n {
                if let Some(&j) = before[c][k].get(e) {
                    let line = &traces[c][j];
                    row.cells[c] = Some(line.clone());
                    let moved = base_unaligned(c).contains(&split(line).1);
                    row.marks[c] = if moved { Mark::Moved } else { Mark::Extra };
                }
            }
            rows.push(row);
        }
        if k == base.len() {
            break;
        }
        let mut row = Row { cells: vec![None; n], marks: vec![Mark::Same; n] };
        for c in 0..n {
            match matched[c][k] {
                Some(j) => {
                    let line = &traces[c][j];
                    row.cells[c] = Some(line.clone());
                    // Stamps have 3 decimals, closing lines 2.
                    let slack = if real_clock[c] { tolerance } else { 0.005 };
                    let same_time = match (split(&base[k]).0, split(line).0) {
                        (None, None) => true,
                        (Some(a), Some(b)) => (a - b).abs() <= slack,
                        _ => false,
                    };
                    if !same_time {
                        row.marks[c] = Mark::Time;
                    }
                }
                None => {
                    let moved = unaligned_texts(c).contains(&split(&base[k]).1);
                    row.marks[c] = if moved { Mark::Moved } else { Mark::Missing };
                }
            }
        }
        rows.push(row);
    }
    rows
}

/// `text` cut to `width` characters (with "…"), padded to `width`.
fn fit(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        format!("{text}{}", " ".repeat(width - n))
    } else {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn report(scenario: &Scenario, columns: &[Column], cap: usize, tolerance: f64) {
    println!("== {} — {}", scenario.name, scenario.what);
    let empty = Vec::new();
    let traces: Vec<&Vec<String>> = columns.iter().map(|c| c.lines.as_ref().unwrap_or(&empty)).collect();
    for column in columns {
        if let Err(why) = &column.lines {
            println!("   ({}: {why})", column.title);
        }
    }
    // The reference: CPython's trace, or rondo's if CPython could not run.
    let reference = if columns[0].lines.is_ok() { 0 } else { 1 };
    let real_clock: Vec<bool> = columns.iter().map(|c| c.real_clock).collect();
    let rows = layout(&traces, reference, &real_clock, tolerance);
    let widths: Vec<usize> = columns
        .iter()
        .zip(&traces)
        .map(|(c, l)| {
            let longest = l.iter().map(|x| x.chars().count()).max().unwrap_or(0);
            longest.max(c.title.chars().count()).min(cap)
        })
        .collect();
    let short = |c: usize| columns[c].title.split(' ').next().unwrap_or("");
    let header: Vec<String> = columns.iter().zip(&widths).map(|(c, w)| fit(&c.title, *w)).collect();
    println!("row | {}", header.join(" | ").trim_end());
    // found[c] = (row numbers, mark) where column c differs.
    let mut found: Vec<Vec<(usize, Mark)>> = vec![Vec::new(); columns.len()];
    for (r, row) in rows.iter().enumerate() {
        let cells: Vec<String> =
            row.cells.iter().zip(&widths).map(|(cell, w)| fit(cell.as_deref().unwrap_or(""), *w)).collect();
        let mut marks = Vec::new();
        for (c, mark) in row.marks.iter().enumerate() {
            if *mark != Mark::Same && columns[c].lines.is_ok() && c != reference {
                found[c].push((r, *mark));
                marks.push(format!("{}: {}", short(c), mark.word()));
            }
        }
        let marks = if marks.is_empty() { String::new() } else { format!("  <- {}", marks.join(", ")) };
        println!("{:>3} | {}{marks}", r + 1, cells.join(" | ").trim_end());
    }
    // Per runtime: what differs, and the known reason.
    for (c, column) in columns.iter().enumerate() {
        if c == reference || column.lines.is_err() {
            continue;
        }
        if found[c].is_empty() {
            let within =
                if column.real_clock { format!(" (within {:.0} ms)", tolerance * 1000.0) } else { "".into() };
            println!("   {}: the same lines, in the same order, at the same times{within}.", short(c));
            continue;
        }
        let mut what = Vec::new();
        for mark in [Mark::Moved, Mark::Missing, Mark::Extra, Mark::Time] {
            let at: Vec<String> =
                found[c].iter().filter(|(_, m)| *m == mark).map(|(r, _)| (r + 1).to_string()).collect();
            if !at.is_empty() {
                what.push(format!("{} on row{} {}", mark.word(), plural(at.len()), at.join(", ")));
            }
        }
        println!("   {}: {}.", short(c), what.join("; "));
        match scenario.notes.iter().find(|(who, _)| column.title.starts_with(who)) {
            Some((_, why)) => println!("      why: {why}"),
            None => println!("      why: no known reason recorded in scenarios.rs: worth a look."),
        }
    }
    println!();
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let python = flag(&args, "--python").unwrap_or_else(|| "python3".into());
    let mirrors = flag(&args, "--mirrors").unwrap_or_else(|| "tests/asyncio".into());
    let scale: f64 = flag(&args, "--smol-scale").map(|s| s.parse().expect("--smol-scale X")).unwrap_or(1.0);
    let tolerance_ms: f64 =
        flag(&args, "--tolerance-ms").map(|s| s.parse().expect("--tolerance-ms N")).unwrap_or(20.0);
    let only: Option<Vec<String>> = flag(&args, "--only").map(|s| s.split(',').map(str::to_string).collect());
    let cap = if args.iter().any(|a| a == "--wide") { usize::MAX } else { 40 };
    runtime::set_smol_scale(scale);

    println!("The same scenarios on four runtimes: CPython's asyncio runs tests/asyncio/<name>.py on");
    println!("rondo_vclock.py's virtual clock (the reference); rondo, tokio and smol run one generic");
    println!("`async fn` version of it (compare/src/traces/scenarios.rs). rondo: virtual clock; tokio:");
    println!("current-thread runtime, clock paused (auto-advance; its timer wheel rounds deadlines up to");
    println!(
        "1 ms); smol: real clock, sleeps × {scale} (stamps ÷ {scale}), times compared within {tolerance_ms} ms."
    );
    println!("Each trace is aligned with asyncio's; `<- who: order` marks a line both print, at another");
    println!("place; `missing`/`extra` a line only asyncio / only that runtime prints; `time` the same");
    println!("line at another time. \"-\" stamps a line said outside any loop.");
    println!();

    for scenario in SCENARIOS {
        if only.as_ref().is_some_and(|o| !o.iter().any(|x| x == scenario.name)) {
            continue;
        }
        let columns = vec![
            python_column(&python, &mirrors, scenario.name),
            column::<Rondo>(scenario.name),
            column::<Tokio>(scenario.name),
            column::<Smol>(scenario.name),
        ];
        report(scenario, &columns, cap, tolerance_ms / 1000.0);
    }
}
