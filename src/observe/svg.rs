//! The timeline drawn as an SVG swimlane chart, with `std` alone.
//!
//! One lane per task, its name on the left and time across: a step (the
//! task holding the loop) is a tall orange bar, a sleep (a gap ended by a
//! timer) a middle-height blue bar, a wait (a gap ended by anything else —
//! another task, a promise, a yield, or the loop still busy with others) a
//! thin grey line, and the task's end a black tick (red if it was cancelled
//! or panicked; an open circle if it was still pending when the loop
//! stopped). Under the lanes a time axis in ms, s, min or h, whichever
//! reads best; above them a legend. Every bar carries a `<title>`, which a
//! browser shows as a tooltip.
//!
//! It is plain string building: the file is self-contained (no script, no
//! external font or stylesheet), so it opens in any browser and can be put
//! in a page as an image.
//!
//! (Some 390 lines: the drawing — lanes, axis, legend, marks — and its tests;
//! split, each half would need the other's layout constants.)

use super::timeline::Span;
use std::fmt::Write as _;
use std::time::Duration;

/// What the chart needs of one task's life.
pub(crate) struct Lane<'a> {
    pub(crate) name: &'a str,
    /// When it was spawned, if it was spawned during this run.
    pub(crate) spawned: Option<Duration>,
    /// Its steps and the gaps between them, in order.
    pub(crate) spans: &'a [(Span, Duration, Duration)],
    /// A gap still open when the loop stopped: what it was, since when.
    pub(crate) open: Option<(Span, Duration)>,
    /// When it finished and how (`"done"`, `"cancelled"`, `"panicked: …"`).
    pub(crate) finished: Option<(Duration, &'a str)>,
}

const WIDTH: f64 = 960.0;
const RIGHT: f64 = 28.0;
const LANE: f64 = 20.0;
/// Rough width of a character of the 12 px sans-serif font.
const CHAR: f64 = 7.0;

/// The time unit the axis counts in, chosen from the run's length.
struct Unit {
    name: &'static str,
    seconds: f64,
}

fn unit_for(span: f64) -> Unit {
    match span {
        s if s < 0.5 => Unit { name: "ms", seconds: 1e-3 },
        s if s < 180.0 => Unit { name: "s", seconds: 1.0 },
        s if s < 3.0 * 3600.0 => Unit { name: "min", seconds: 60.0 },
        _ => Unit { name: "h", seconds: 3600.0 },
    }
}

/// A round tick step (1, 2 or 5 times a power of ten) giving about `ticks` ticks over `span`.
fn tick_step(span: f64, ticks: f64) -> f64 {
    let raw = (span / ticks).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|&s| s >= raw * 0.999).unwrap_or(raw)
}

/// `s` escaped for XML text and attribute values.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters of `name`, with an ellipsis if cut.
fn shorten(name: &str, max: usize) -> String {
    if name.chars().count() <= max {
        name.to_string()
    } else {
        name.chars().take(max.saturating_sub(1)).chain(['…']).collect()
    }
}

/// The whole chart: `title` above, a lane per task, the time axis from `start` to `end`.
pub(crate) fn render(title: &str, start: Duration, end: Duration, lanes: &[Lane<'_>]) -> String {
    let longest = lanes.iter().map(|l| l.name.chars().count()).max().unwrap_or(4);
    let name_chars = longest.clamp(4, 30);
    let left = (name_chars as f64 * CHAR + 20.0).max(70.0);
    let plot = WIDTH - RIGHT - left;
    let run = end.saturating_sub(start).as_secs_f64();
    // A run that took no time at all still gets an axis: a millisecond of it.
    let run = if run > 0.0 { run } else { 1e-3 };
    let unit = unit_for(run);
    let step = tick_step(run / unit.seconds, 8.0);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    // The axis starts at the tick at or before the first event (0, for a
    // loop's first run on a real clock: its first event comes a little after).
    let first = (start.as_secs_f64() / unit.seconds / step).floor() as i64;
    let origin = first as f64 * step * unit.seconds;
    let shown = start.as_secs_f64() + run - origin;
    let x = |t: Duration| left + ((t.as_secs_f64() - origin) / shown).clamp(0.0, 1.0) * plot;
    let (legend, legend_bottom) = legend(12.0, 44.0);
    let lanes_top = legend_bottom + 18.0;
    let axis_y = lanes_top + lanes.len() as f64 * LANE + 6.0;
    let height = axis_y + 50.0;

    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    svg.push_str(
        "<style>\
         .running{fill:#d9480f}.sleeping{fill:#74c0fc}.waiting{fill:#868e96}\
         .done{fill:#212529}.failed{fill:#e03131}.open{opacity:0.45}\
         .pending{fill:#ffffff;stroke:#212529;stroke-width:1.5}\
         .grid{stroke:#dee2e6;stroke-width:1}.axis{stroke:#495057;stroke-width:1}\
         .stripe{fill:#f1f3f5}.name{fill:#212529}.tick{fill:#495057}\
         </style>\n",
    );
    let _ = writeln!(svg, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        svg,
        r#"<text class="title" x="12" y="22" font-size="14" font-weight="bold">{}</text>"#,
        xml(title)
    );
    svg.push_str(&legend);

    // Stripes behind every other lane, then the grid, so bars are drawn on top.
    for n in (1..lanes.len()).step_by(2) {
        let y = lanes_top + n as f64 * LANE;
        let _ = writeln!(svg, r#"<rect class="stripe" x="0" y="{y:.1}" width="{WIDTH}" height="{LANE}"/>"#);
    }
    let mut ticks = Vec::new();
    for k in first.. {
        let value = k as f64 * step;
        let t = value * unit.seconds;
        if t > origin + shown + 1e-9 {
            break;
        }
        ticks.push((x(Duration::from_secs_f64(t.max(0.0))), value));
    }
    for &(tx, _) in &ticks {
        let _ =
            writeln!(svg, r#"<line class="grid" x1="{tx:.2}" y1="{lanes_top}" x2="{tx:.2}" y2="{axis_y}"/>"#);
    }

    for (n, lane) in lanes.iter().enumerate() {
        let top = lanes_top + n as f64 * LANE;
        let mid = top + LANE / 2.0;
        let _ = writeln!(svg, r#"<g class="lane" data-task="{}">"#, xml(lane.name));
        let mut bars: Vec<(Span, Duration, Duration, &str)> = Vec::new();
        // Spawned but not yet stepped: waiting for the loop to get to it.
        if let (Some(spawned), Some(&(_, first_step, _))) = (lane.spawned, lane.spans.first())
            && first_step > spawned
        {
            bars.push((Span::Wait, spawned, first_step, " (queued, not yet started)"));
        }
        bars.extend(lane.spans.iter().map(|&(kind, from, to)| (kind, from, to, "")));
        if let Some((kind, from)) = lane.open {
            bars.push((kind, from, end, " (still pending when the loop stopped)"));
        }
        // The name, with the lane's totals as its tooltip.
        let total = |of: Span| -> f64 {
            bars.iter()
                .filter(|&&(kind, ..)| kind == of)
                .map(|&(_, from, to, _)| (to - from).as_secs_f64())
                .sum()
        };
        let steps = lane.spans.iter().filter(|&&(kind, ..)| kind == Span::Step).count();
        let _ = writeln!(
            svg,
            r#"<text class="name" x="{:.1}" y="{:.1}" text-anchor="end">{}<title>{}: {steps} step{}; running {:.3} s, sleeping {:.3} s, waiting {:.3} s</title></text>"#,
            left - 8.0,
            mid + 4.0,
            xml(&shorten(lane.name, name_chars)),
            xml(lane.name),
            if steps == 1 { "" } else { "s" },
            total(Span::Step),
            total(Span::Sleep),
            total(Span::Wait),
        );
        // A tooltip per bar, unless there are too many to point at one.
        let bar_titles = bars.len() <= 60;
        // Gaps first, steps on top.
        bars.sort_by_key(|&(kind, ..)| kind == Span::Step);
        // A step shorter than a pixel (all of them, on a virtual clock) is
        // drawn 1.5 px wide so that it shows — unless the lane has so many
        // that they would paint over its gaps: then together they may cover
        // at most a tenth of the lane, and a lane of short steps and long
        // sleeps still reads as mostly asleep.
        let min_step = (0.1 * plot / steps.max(1) as f64).min(1.5);
        for (kind, from, to, note) in bars {
            let (class, what, tall, min) = match kind {
                Span::Step => ("running", "running", 14.0, min_step),
                Span::Sleep => ("sleeping", "sleeping", 8.0, 0.0),
                Span::Wait => ("waiting", "waiting", 3.0, 0.0),
            };
            let (x0, x1) = (x(from), x(to));
            let width = (x1 - x0).max(min);
            if width <= 0.0 {
                continue;
            }
            let open = if note.contains("still pending") { " open" } else { "" };
            let _ = write!(
                svg,
                r#"<rect class="{class}{open}" x="{x0:.2}" y="{:.2}" width="{width:.2}" height="{tall}""#,
                mid - tall / 2.0,
            );
            if bar_titles {
                let _ = writeln!(
                    svg,
                    "><title>{} {what} {:.3} s – {:.3} s{note}</title></rect>",
                    xml(lane.name),
                    from.as_secs_f64(),
                    to.as_secs_f64(),
                );
            } else {
                svg.push_str("/>\n");
            }
        }
        if lane.finished.is_none() && lane.spans.last().is_some() {
            let _ = writeln!(
                svg,
                r#"<circle class="pending" cx="{:.2}" cy="{mid:.1}" r="4"><title>{} still pending when the loop stopped</title></circle>"#,
                x(end) + 5.0,
                xml(lane.name)
            );
        }
        if let Some((at, outcome)) = lane.finished {
            let class = if outcome == "done" { "done" } else { "failed" };
            let _ = writeln!(
                svg,
                r#"<rect class="{class}" x="{:.2}" y="{:.1}" width="2.5" height="16"><title>{} finished at {:.3} s: {}</title></rect>"#,
                x(at) + 0.5,
                mid - 8.0,
                xml(lane.name),
                at.as_secs_f64(),
                xml(outcome)
            );
        }
        svg.push_str("</g>\n");
    }

    // The axis: a line, ticks, their values, and the unit.
    let _ = writeln!(
        svg,
        r#"<line class="axis" x1="{left:.1}" y1="{axis_y}" x2="{:.1}" y2="{axis_y}"/>"#,
        left + plot
    );
    for &(tx, value) in &ticks {
        let _ = writeln!(
            svg,
            r#"<line class="axis" x1="{tx:.2}" y1="{axis_y}" x2="{tx:.2}" y2="{}"/>"#,
            axis_y + 5.0
        );
        let _ = writeln!(
            svg,
            r#"<text class="tick" x="{tx:.2}" y="{}" text-anchor="middle">{value:.decimals$}</text>"#,
            axis_y + 18.0
        );
    }
    let _ = writeln!(
        svg,
        r#"<text class="unit" x="{:.1}" y="{}" text-anchor="middle" data-unit="{}">loop time ({})</text>"#,
        left + plot / 2.0,
        axis_y + 38.0,
        unit.name,
        unit.name
    );
    svg.push_str("</svg>\n");
    svg
}

/// The legend: a sample of each mark and what it means, in rows from
/// (`x`, `y`) as wide as the chart; returns it and the `y` of its last row.
fn legend(left: f64, mut y: f64) -> (String, f64) {
    let entries = [
        ("running", 14.0, "running (holds the loop)"),
        ("sleeping", 8.0, "sleeping (until a timer)"),
        ("waiting", 3.0, "waiting (any other wake-up)"),
        ("done", 16.0, "finished"),
        ("failed", 16.0, "cancelled or panicked"),
        ("pending", 8.0, "still pending at the end"),
    ];
    let mut svg = String::from("<g class=\"legend\">\n");
    let mut x = left;
    for (class, tall, label) in entries {
        let width = match class {
            "done" | "failed" => 2.5,
            "pending" => 8.0,
            _ => 18.0,
        };
        // Generous for a 12 px sans-serif: better a wide gap than an overlap.
        let room = width + 5.0 + label.chars().count() as f64 * 6.6 + 18.0;
        if x > left && x + room > WIDTH - 8.0 {
            x = left;
            y += 20.0;
        }
        if class == "pending" {
            let _ = write!(svg, r#"<circle class="pending" cx="{:.1}" cy="{y:.1}" r="4"/>"#, x + 4.0);
        } else {
            let _ = write!(
                svg,
                r#"<rect class="{class}" x="{x:.1}" y="{:.1}" width="{width}" height="{tall}"/>"#,
                y - tall / 2.0
            );
        }
        let _ = writeln!(svg, r#"<text x="{:.1}" y="{:.1}">{}</text>"#, x + width + 5.0, y + 4.0, xml(label));
        x += room;
    }
    svg.push_str("</g>\n");
    (svg, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_steps_are_round() {
        assert_eq!(tick_step(1.0, 8.0), 0.2);
        assert_eq!(tick_step(60.9, 8.0), 10.0);
        assert_eq!(tick_step(12.0, 8.0), 2.0);
        assert_eq!(tick_step(3.5, 8.0), 0.5);
    }

    #[test]
    fn a_cancelled_task_and_a_pending_one_are_marked_as_such() {
        let s = Duration::from_secs;
        let slept = [(Span::Step, s(0), s(0)), (Span::Sleep, s(0), s(2)), (Span::Step, s(2), s(2))];
        let stepped = [(Span::Step, s(0), s(1))];
        let lanes = [
            Lane {
                name: "sleeper",
                spawned: Some(s(0)),
                spans: &slept,
                open: None,
                finished: Some((s(2), "cancelled")),
            },
            Lane {
                name: "<worker>",
                spawned: Some(s(0)),
                spans: &stepped,
                open: Some((Span::Wait, s(1))),
                finished: None,
            },
        ];
        let svg = render("test", s(0), s(4), &lanes);
        assert!(svg.contains(r#"data-task="&lt;worker&gt;""#), "{svg}");
        assert!(svg.contains("<title>sleeper finished at 2.000 s: cancelled</title>"), "{svg}");
        assert_eq!(svg.matches(r#"<rect class="failed" x="#).count(), 2, "the mark and its legend: {svg}");
        assert!(svg.contains("<title>&lt;worker&gt; still pending when the loop stopped</title>"), "{svg}");
        assert!(svg.contains(r#"class="waiting open""#), "{svg}");
        // 4 s on the axis: seconds, ticks every half second.
        assert!(
            svg.contains(r#"data-unit="s""#) && svg.contains(">0.5</text>") && svg.contains(">4.0</text>")
        );
    }

    #[test]
    fn the_axis_starts_at_the_tick_at_or_before_the_first_event() {
        let at = Duration::from_secs_f64;
        let stepped = [(Span::Step, at(0.00002), at(0.00003))];
        let lane =
            Lane { name: "t", spawned: None, spans: &stepped, open: None, finished: Some((at(1.0), "done")) };
        // A real clock's first run: its first event a little after 0, labelled 0.0.
        let svg = render("real", at(0.00001), at(1.0), std::slice::from_ref(&lane));
        let zero = svg.lines().find(|l| l.starts_with(r#"<text class="tick""#) && l.ends_with(">0.0</text>"));
        assert!(zero.is_some_and(|tick| tick.contains(r#" x="70.00" "#)), "{svg}");
        // A later run of the same loop: from 5 s.
        let svg = render("later", at(5.0), at(6.0), std::slice::from_ref(&lane));
        assert!(
            svg.contains(">5.0</text>") && svg.contains(">6.0</text>") && !svg.contains(">4.8</text>"),
            "{svg}"
        );
    }

    #[test]
    fn names_are_escaped_and_shortened() {
        assert_eq!(xml("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
    }
}
