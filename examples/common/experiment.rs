//! What the stage-8 experiments share: running one variant in a fresh
//! process, reading what it cost, printing the table and drawing it.
//!
//! Seed 002 fetches a URL 1 to 500 times with threads and with asyncio and
//! plots the times; seed 003 starts 4,000 sleepers as threads, processes and
//! tasks. To compare memory fairly, each variant runs in a process of its
//! own — the same binary, started again with `--variant NAME N` — and the
//! parent reads what the child reports: its wall time, its *peak* resident
//! memory (Linux's `VmHWM`: the high-water mark, so a thread's stack counts
//! even after the thread is gone) and how many threads it started.
//!
//! Included by the experiment examples with `#[path = "common/experiment.rs"]`,
//! beside `common/mod.rs` as `mod common` (it prints through `common::print_line`).

#![allow(dead_code)] // each experiment uses a different part of this

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

/// What one variant cost, as its process reported it.
#[derive(Clone, Debug, Default)]
pub struct Cost {
    /// Wall time of the measured part (process start-up excluded, as the
    /// seed's "note excluding processes creation time").
    pub wall: Duration,
    /// Peak resident memory of the whole process, in KiB (0 if unknown).
    pub peak_kib: u64,
    /// Threads the variant used (the main thread included).
    pub threads: usize,
    /// Anything else the variant wants in the table (e.g. "500 ok").
    pub note: String,
}

/// The line a child prints last: what its parent parses.
const REPORT: &str = "experiment-report";

/// In the child: prints the report line for `wall`, reading the peak
/// resident memory now.
pub fn report(wall: Duration, threads: usize, note: &str) {
    println!(
        "{REPORT} wall_ns={} peak_kib={} threads={threads} note={note}",
        wall.as_nanos(),
        peak_resident_kib()
    );
}

/// A number from a `/proc` file of `Name:  value [kB]` lines (Linux's
/// `/proc/self/status`, `/proc/meminfo`), or 0 where there is none.
pub fn proc_field(file: &str, name: &str) -> u64 {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Peak resident memory of this process so far, in KiB (`VmHWM`: the
/// high-water mark of its resident set), or 0 where `/proc` is missing.
pub fn peak_resident_kib() -> u64 {
    proc_field("/proc/self/status", "VmHWM")
}

/// Threads this process has now (`/proc/self/status`, `Threads`), or 0.
pub fn threads_now() -> usize {
    proc_field("/proc/self/status", "Threads") as usize
}

/// In the parent: runs this same program again with `args` (e.g.
/// `["--variant", "threads", "500"]`) and returns what it reported.
///
/// # Panics
/// If the child fails or prints no report: its output is shown.
pub fn run_variant(args: &[String]) -> Cost {
    let exe = std::env::current_exe().expect("the path of this program");
    let output = Command::new(exe).args(args).output().expect("start the variant's process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with(REPORT));
    let Some(line) = line.filter(|_| output.status.success()) else {
        panic!(
            "the variant {args:?} failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let mut cost = Cost::default();
    for field in line.split(' ').skip(1) {
        let (key, value) = field.split_once('=').unwrap_or((field, ""));
        match key {
            "wall_ns" => cost.wall = Duration::from_nanos(value.parse().unwrap_or(0)),
            "peak_kib" => cost.peak_kib = value.parse().unwrap_or(0),
            "threads" => cost.threads = value.parse().unwrap_or(0),
            "note" => cost.note = line.split_once("note=").map_or("", |(_, n)| n).to_string(),
            _ => {}
        }
    }
    cost
}

/// `12.3 MiB` or `812 KiB`.
pub fn kib(kib: u64) -> String {
    if kib >= 10 * 1024 { format!("{:.1} MiB", kib as f64 / 1024.0) } else { format!("{kib} KiB") }
}

/// `1.234 s`, or `87.3 ms` below a second.
pub fn secs(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.3} s", d.as_secs_f64())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}

/// A plain-text table: a header row, then rows; columns padded to fit.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<String>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:>w$}")).collect();
        let _ = writeln!(out, "{}", padded.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
    out
}

/// One line of a [`line_chart`]: a name and a y value per x.
pub struct Series {
    pub name: String,
    pub ys: Vec<f64>,
}

/// A line chart as a standalone SVG (opens in any browser) — what seed
/// 002's `comparison_list.plot.line(x="Frequency")` draws with matplotlib.
pub fn line_chart(title: &str, x_label: &str, y_label: &str, xs: &[f64], series: &[Series]) -> String {
    const W: f64 = 720.0;
    const H: f64 = 440.0;
    const LEFT: f64 = 70.0;
    const RIGHT: f64 = 170.0; // room for the legend
    const TOP: f64 = 40.0;
    const BOTTOM: f64 = 50.0;
    const COLOURS: [&str; 6] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
    let x_max = xs.iter().cloned().fold(f64::MIN, f64::max).max(1e-9);
    let x_min = xs.iter().cloned().fold(f64::MAX, f64::min).min(x_max);
    let y_max = series.iter().flat_map(|s| s.ys.iter().cloned()).fold(0.0, f64::max).max(1e-9) * 1.05;
    let px = |x: f64| LEFT + (x - x_min) / (x_max - x_min).max(1e-9) * (W - LEFT - RIGHT);
    let py = |y: f64| H - BOTTOM - y / y_max * (H - TOP - BOTTOM);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(svg, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="22" font-size="15" text-anchor="middle">{}</text>"#,
        W / 2.0,
        escape(title)
    );
    // Axes, with five ticks on each.
    let (x0, y0, x1, y1) = (LEFT, H - BOTTOM, W - RIGHT, TOP);
    let _ = writeln!(svg, r#"<path d="M{x0},{y1} L{x0},{y0} L{x1},{y0}" stroke="black" fill="none"/>"#);
    for i in 0..=4 {
        let y = y_max * i as f64 / 4.0;
        let _ = writeln!(
            svg,
            r##"<line x1="{x0}" y1="{yy}" x2="{x1}" y2="{yy}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end">{}</text>"##,
            x0 - 6.0,
            py(y) + 4.0,
            short(y),
            yy = py(y)
        );
    }
    for &x in xs {
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            px(x),
            y0 + 18.0,
            short(x)
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        (x0 + x1) / 2.0,
        H - 12.0,
        escape(x_label)
    );
    let _ = writeln!(
        svg,
        r#"<text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">{}</text>"#,
        (y0 + y1) / 2.0,
        (y0 + y1) / 2.0,
        escape(y_label)
    );
    for (i, s) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let points: Vec<String> =
            xs.iter().zip(&s.ys).map(|(&x, &y)| format!("{:.1},{:.1}", px(x), py(y))).collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            points.join(" ")
        );
        for p in &points {
            let (cx, cy) = p.split_once(',').unwrap();
            let _ = writeln!(svg, r#"<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>"#);
        }
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let _ = writeln!(
            svg,
            r#"<line x1="{}" y1="{ly}" x2="{}" y2="{ly}" stroke="{colour}" stroke-width="2"/><text x="{}" y="{}">{}</text>"#,
            x1 + 15.0,
            x1 + 35.0,
            x1 + 40.0,
            ly + 4.0,
            escape(&s.name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// A tick label: `500`, `2.5`, `0.25`.
fn short(v: f64) -> String {
    if v >= 100.0 || v == v.round() {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `--plot out.svg`: writes `svg` there and says so.
pub fn write_plot(path: &str, svg: &str) {
    std::fs::write(path, svg).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    crate::common::print_line(format_args!("plot written to {path} (open it in a browser)"));
}
