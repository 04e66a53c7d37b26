//! Step mode, trace and timelines work on every example, alone and together:
//! each example binary (built by `cargo test` along with the tests) is run
//! under every combination of `RONDO_TRACE`, `RONDO_STEP` and `RONDO_TIMELINE`
//! (text, JSON, SVG), through pipes, and what it prints and writes is
//! checked — the SVG down to where its bars fall on its time axis.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "support/examples_dir.rs"]
mod examples_dir;
use examples_dir::{examples, examples_dir};

/// Runs an example with `--virtual`, stdin closed, the given env vars; (status ok?, stdout, stderr).
fn run(example: &str, vars: &[(&str, &str)]) -> (bool, String, String) {
    let binary = examples_dir().join(example);
    assert!(binary.exists(), "{} was not built", binary.display());
    let mut command = Command::new(&binary);
    command.arg("--virtual").stdin(Stdio::null());
    for var in ["RONDO_TRACE", "RONDO_STEP", "RONDO_TIMELINE", "RONDO_SHUFFLE"] {
        command.env_remove(var);
    }
    command.envs(vars.iter().copied());
    let output = command.output().unwrap_or_else(|e| panic!("run {example}: {e}"));
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    // `deadlock` and `dining` exit 1 on purpose, after their reports.
    let ok = output.status.success() || example == "deadlock" || example == "dining";
    (ok, text(output.stdout), text(output.stderr))
}

/// A fresh scratch directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rondo-observers-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The files a run said it wrote its timelines to ("timeline of run N written to PATH (…)"), by run.
fn written(stderr: &str) -> Vec<(usize, PathBuf)> {
    stderr
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("rondo: timeline of run ")?;
            let (run, rest) = rest.split_once(" written to ")?;
            let path = rest.rsplit_once(" (").map_or(rest, |(path, _)| path);
            Some((run.parse().ok()?, PathBuf::from(path)))
        })
        .collect()
}

/// What the timeline variable is set to in one combination.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Chart {
    None,
    Text,
    Json,
    Svg,
}

/// Every combination of the three observers with at least one on: 2 × 2 × 4 − 1.
fn combinations() -> Vec<(bool, bool, Chart)> {
    let mut all = Vec::new();
    for trace in [false, true] {
        for step in [false, true] {
            for chart in [Chart::None, Chart::Text, Chart::Json, Chart::Svg] {
                if trace || step || chart != Chart::None {
                    all.push((trace, step, chart));
                }
            }
        }
    }
    all
}

/// Runs `example` under one combination and checks that each observer asked
/// for did its part and none other showed up.
fn check_combination(example: &str, (trace, step, chart): (bool, bool, Chart), dir: &Path) {
    let label = format!("{example} with trace={trace} step={step} timeline={chart:?}");
    let file = dir.join(format!("{example}-{}{}{chart:?}", trace as u8, step as u8));
    let path = match chart {
        Chart::Json => file.with_extension("json").to_str().unwrap().to_string(),
        Chart::Svg => file.with_extension("svg").to_str().unwrap().to_string(),
        Chart::Text => "1".to_string(),
        Chart::None => "0".to_string(),
    };
    let switch = |on: bool| if on { "1" } else { "off" };
    let vars = [("RONDO_TRACE", switch(trace)), ("RONDO_STEP", switch(step)), ("RONDO_TIMELINE", &path)];
    let (ok, _, stderr) = run(example, &vars);
    assert!(ok, "{label}: {stderr}");
    assert!(!stderr.contains("is not understood"), "{label}: {stderr}");
    if example == "generators" {
        return; // stage 1 has no event loop to watch
    }
    assert_eq!(stderr.contains("] step     "), trace, "{label}: trace lines");
    assert_eq!(stderr.contains("── step 1 · "), step, "{label}: step mode");
    assert_eq!(stderr.contains("timeline: "), chart == Chart::Text, "{label}: text chart");
    let files = written(&stderr);
    if matches!(chart, Chart::Json | Chart::Svg) {
        assert!(!files.is_empty(), "{label}: no timeline file named: {stderr}");
        for (n, (run, written)) in files.iter().enumerate() {
            assert_eq!(*run, n + 1, "{label}: runs numbered in order");
            let text = std::fs::read_to_string(written).unwrap_or_else(|e| panic!("{label}: {e}"));
            if chart == Chart::Json {
                assert!(text.starts_with("{\"traceEvents\":[") && text.contains("\"ph\":\"X\""), "{label}");
            } else {
                check_svg(&text).unwrap_or_else(|e| panic!("{label}: {}: {e}", written.display()));
            }
        }
    } else {
        assert!(files.is_empty(), "{label}: {stderr}");
    }
}

/// Experiments that run their measured loops in child processes of their
/// own (to measure each one's memory alone) and show none of the children's
/// stderr: there is nothing for an observer to show in the parent
/// (threads_vs_rondo's parent has one loop, its server, on a thread that
/// never ends — so it never reports either).
const LOOPS_IN_CHILD_PROCESSES: &[&str] = &["sleepers_4000", "threads_vs_rondo"];

#[test]
fn every_example_runs_under_every_combination_of_observers() {
    let dir = scratch("combinations");
    let jobs: Vec<(String, (bool, bool, Chart))> = examples()
        .into_iter()
        .filter(|example| !LOOPS_IN_CHILD_PROCESSES.contains(&example.as_str()))
        .flat_map(|example| combinations().into_iter().map(move |combo| (example.clone(), combo)))
        .collect();
    examples_dir(); // build once, before the workers start
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while let Some((example, combo)) =
                    jobs.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    check_combination(example, *combo, &dir);
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn step_mode_through_a_pipe_prints_every_step_without_pausing() {
    let (ok, stdout, stderr) = run("countasync", &[("RONDO_STEP", "1")]);
    assert!(ok, "{stderr}");
    // The program's own output is untouched…
    assert!(stdout.starts_with("One\nOne\nOne\nTwo\nTwo\nTwo\n"), "{stdout}");
    // …and every step was shown, with no prompt (stdin is not a terminal).
    assert!(!stderr.contains("[Enter]"), "{stderr}");
    assert!(stderr.contains("── step 1 · iteration 1 · t=0.000"), "{stderr}");
    assert!(stderr.contains("ran     Task-2 -> pending, now in Sleeping(until 1.000)"), "{stderr}");
    assert!(stderr.contains("timers  1.000 Task-2"), "{stderr}");
    assert!(stderr.contains("Task-1: awaits task 'Task-2'"), "{stderr}");
    assert!(stderr.contains("ran     Task-4 -> ready (finished)"), "{stderr}");
    // A task's last step shows it finished, not stuck.
    assert!(stderr.contains("        Task-4: finished in this step\n"), "{stderr}");
    assert!(!stderr.contains("can no longer wake it"), "{stderr}");
}

/// `q` at step mode's prompt stops the program with status 130 and says so.
/// The prompt needs a terminal: `script` (util-linux) gives the example one.
#[test]
fn q_in_step_mode_stops_the_program_with_a_failure_status() {
    let binary = examples_dir().join("countasync");
    let has_script = Command::new("script").arg("--version").output().is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: no `script` command to give step mode a terminal");
        return;
    }
    let mut child = Command::new("script")
        .args(["-qec", &format!("{} --virtual", binary.display()), "/dev/null"])
        .env("RONDO_STEP", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run script");
    use std::io::Write;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\nq\n").unwrap();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("stopped at step mode's request"), "{text}");
    assert!(!text.contains("── step 3 · "), "{text}");
    assert_eq!(output.status.code(), Some(130), "{text}");
}

#[test]
fn a_program_with_two_loops_keeps_both_timelines_and_says_where() {
    let dir = scratch("two-loops");
    for ext in ["json", "JSON", "svg"] {
        let path = dir.join(format!("hello.{ext}"));
        let (ok, _, stderr) = run("hello", &[("RONDO_TIMELINE", path.to_str().unwrap())]);
        assert!(ok, "{stderr}");
        let second = dir.join(format!("hello-2.{ext}"));
        assert_eq!(written(&stderr), [(1, path.clone()), (2, second.clone())], "{stderr}");
        // The first loop ran `hello` twice in a row (2 s), the second in a gather (1 s).
        let (first, second) =
            (std::fs::read_to_string(path).unwrap(), std::fs::read_to_string(second).unwrap());
        assert_ne!(first, second);
        if ext == "svg" {
            assert!(first.contains("0.000 s .. 2.000 s") && second.contains("0.000 s .. 1.000 s"), "{first}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn values_are_read_strictly_and_unknown_ones_are_named() {
    // Off in every spelling: nothing observed, nothing said.
    for off in ["0", "false", "off", "OFF", ""] {
        // (`RONDO_SHUFFLE=0` is seed 0, not off: a seed is any whole number.)
        let shuffle = if off == "0" { "" } else { off };
        let vars =
            [("RONDO_TRACE", off), ("RONDO_STEP", off), ("RONDO_TIMELINE", off), ("RONDO_SHUFFLE", shuffle)];
        let (ok, _, stderr) = run("countasync", &vars);
        assert!(ok && stderr.is_empty(), "{off:?}: {stderr}");
    }
    // On in every spelling.
    for on in ["1", "true", "on", "True"] {
        let (ok, _, stderr) = run("countasync", &[("RONDO_TRACE", on)]);
        assert!(ok && stderr.contains("] step     "), "{on:?}: {stderr}");
    }
    // Anything else: one line naming the variable and what it accepts, and no observer.
    let dir = scratch("strict");
    let txt = dir.join("x.txt");
    let vars = [
        ("RONDO_TRACE", "yes"),
        ("RONDO_STEP", "2"),
        ("RONDO_TIMELINE", txt.to_str().unwrap()),
        ("RONDO_SHUFFLE", "abc"),
    ];
    let (ok, stdout, stderr) = run("hello", &vars); // two loops: each warning still said once
    assert!(ok, "{stderr}");
    assert!(stdout.contains("hello"), "{stdout}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 4, "{stderr}");
    assert!(
        lines[0].starts_with("rondo: RONDO_TRACE=\"yes\" is not understood; it accepts 1/true/on"),
        "{stderr}"
    );
    assert!(lines[1].starts_with("rondo: RONDO_STEP=\"2\" is not understood"), "{stderr}");
    assert!(lines[2].starts_with("rondo: RONDO_TIMELINE=") && lines[2].contains(".svg"), "{stderr}");
    assert!(lines[3].starts_with("rondo: RONDO_SHUFFLE=\"abc\"") && lines[3].contains("seed"), "{stderr}");
    assert!(!txt.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- the SVG, read back -------------------------------------------------

/// The value of `name="…"` in `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// Every `<name …>` start tag in `svg`, with the text that follows it up to the next tag.
fn tags<'a>(svg: &'a str, name: &str) -> Vec<(&'a str, &'a str)> {
    let open = format!("<{name} ");
    let mut found = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find(&open) {
        rest = &rest[at..];
        let end = rest.find('>').unwrap() + 1;
        let text = &rest[end..end + rest[end..].find('<').unwrap_or(0)];
        found.push((&rest[..end], text));
        rest = &rest[end..];
    }
    found
}

/// Well-formed (every tag closed, in order), one `<svg>` root, lanes and an axis.
fn check_svg(svg: &str) -> Result<(), String> {
    if !svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") || !svg.trim_end().ends_with("</svg>") {
        return Err("not one <svg> element".into());
    }
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find('<') {
        let end = at + rest[at..].find('>').ok_or("unclosed tag")?;
        let tag = &rest[at + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            match open.pop() {
                Some(top) if top == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        } else if !tag.ends_with('/') {
            open.push(tag.split(' ').next().unwrap());
        }
        rest = &rest[end + 1..];
    }
    if !open.is_empty() {
        return Err(format!("never closed: {open:?}"));
    }
    if tags(svg, "g").iter().all(|(tag, _)| attr(tag, "class") != Some("lane")) {
        return Err("no lane".into());
    }
    if ticks(svg).len() < 2 || !svg.contains("loop time (") {
        return Err("no time axis".into());
    }
    Ok(())
}

/// The axis ticks: (x, value).
fn ticks(svg: &str) -> Vec<(f64, f64)> {
    tags(svg, "text")
        .into_iter()
        .filter(|(tag, _)| attr(tag, "class") == Some("tick"))
        .map(|(tag, text)| (attr(tag, "x").unwrap().parse().unwrap(), text.parse().unwrap()))
        .collect()
}

/// Where `value` (in the axis's unit) is on the axis, from the ticks around it.
fn x_of(svg: &str, value: f64) -> f64 {
    let ticks = ticks(svg);
    let ((x0, v0), (x1, v1)) = (ticks[0], ticks[ticks.len() - 1]);
    x0 + (value - v0) / (v1 - v0) * (x1 - x0)
}

/// The lanes in order: task name and the part of the SVG that draws it.
fn lanes(svg: &str) -> Vec<(String, &str)> {
    svg.split("<g class=\"lane\" data-task=\"")
        .skip(1)
        .map(|part| {
            let name = &part[..part.find('"').unwrap()];
            (name.to_string(), &part[..part.find("</g>").unwrap()])
        })
        .collect()
}

/// The bars of `class` in a lane: (x, width).
fn bars(lane: &str, class: &str) -> Vec<(f64, f64)> {
    tags(lane, "rect")
        .into_iter()
        .filter(|(tag, _)| attr(tag, "class") == Some(class))
        .map(|(tag, _)| {
            (attr(tag, "x").unwrap().parse().unwrap(), attr(tag, "width").unwrap().parse().unwrap())
        })
        .collect()
}

fn svg_of(example: &str, dir: &Path) -> Vec<String> {
    let path = dir.join(format!("{example}.svg"));
    let (ok, _, stderr) = run(example, &[("RONDO_TIMELINE", path.to_str().unwrap())]);
    assert!(ok, "{stderr}");
    written(&stderr).into_iter().map(|(_, path)| std::fs::read_to_string(path).unwrap()).collect()
}

#[test]
fn the_svg_of_countasync_has_a_lane_per_task_and_a_one_second_sleep_across_the_axis() {
    let dir = scratch("svg-countasync");
    let svg = &svg_of("countasync", &dir)[0];
    check_svg(svg).unwrap();
    let lanes = lanes(svg);
    let names: Vec<&str> = lanes.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["Task-1", "Task-2", "Task-3", "Task-4"]);
    assert!(svg.contains("data-unit=\"s\""), "the axis counts seconds");
    let (zero, one) = (x_of(svg, 0.0), x_of(svg, 1.0));
    assert!(one - zero > 500.0, "a second is most of the width: {zero} .. {one}");
    for (name, lane) in &lanes[1..] {
        // Each count: a step at 0, a sleep from 0 s to 1 s, a step at 1 s, done.
        let sleeps = bars(lane, "sleeping");
        assert_eq!(sleeps.len(), 1, "{name}: {lane}");
        let (x, width) = sleeps[0];
        assert!((x - zero).abs() < 0.5 && (x + width - one).abs() < 0.5, "{name}: {x} + {width}");
        let steps = bars(lane, "running");
        assert_eq!(steps.len(), 2, "{name}");
        assert!((steps[0].0 - zero).abs() < 0.5 && (steps[1].0 - one).abs() < 0.5, "{name}: {steps:?}");
        assert_eq!(bars(lane, "done").len(), 1, "{name}");
    }
    // The gather waits (woken by its children, not a timer) the whole second.
    let waits = bars(lanes[0].1, "waiting");
    assert!(waits.len() == 1 && (waits[0].1 - (one - zero)).abs() < 0.5, "{waits:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_svg_of_the_chess_exhibition_draws_twelve_hours_then_one() {
    let dir = scratch("svg-chess");
    let svgs = svg_of("chess", &dir);
    assert_eq!(svgs.len(), 2, "one picture per exhibition");
    // One board after another: one task, 24 games of 30 min on an axis in hours.
    let one_at_a_time = &svgs[0];
    check_svg(one_at_a_time).unwrap();
    assert_eq!(lanes(one_at_a_time).len(), 1);
    assert!(one_at_a_time.contains("data-unit=\"h\""));
    let (_, lane) = &lanes(one_at_a_time)[0];
    let (end, _) = bars(lane, "done")[0];
    assert!((end - x_of(one_at_a_time, 12.0)).abs() < 1.5, "{end}");
    // In turn: the gather and 24 boards, in minutes; board 1 is seen finished at
    // 1:00:00, board 24 at 1:00:55, and each board's 30 moves are 30 steps.
    let in_turn = &svgs[1];
    check_svg(in_turn).unwrap();
    let lanes = lanes(in_turn);
    assert_eq!(lanes.len(), 25);
    assert!(in_turn.contains("data-unit=\"min\""));
    let finished = |n: usize| bars(lanes[n].1, "done")[0].0;
    assert!((finished(1) - x_of(in_turn, 60.0)).abs() < 1.5, "{}", finished(1));
    assert!((finished(24) - x_of(in_turn, 60.0 + 55.0 / 60.0)).abs() < 1.5, "{}", finished(24));
    for (name, lane) in &lanes[1..] {
        assert_eq!(bars(lane, "running").len(), 31, "{name}: 30 moves and the look at the last reply");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_chapters_pictures_are_what_docs_img_make_sh_draws_today() {
    let img = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/img");
    let dir = scratch("docs-img");
    let pictures: [(&str, &[&str]); 5] = [
        ("countasync", &["countasync.svg"]),
        ("fetch_data", &["fetch_data.svg"]),
        ("highest_prime", &["highest_prime-gathered.svg", "highest_prime-blocking.svg"]),
        ("chess", &["chess-one-at-a-time.svg", "chess-in-turn.svg"]),
        ("rate_limit", &["rate_limit.svg"]),
    ];
    for (example, pictures) in pictures {
        let drawn = svg_of(example, &dir);
        assert_eq!(drawn.len(), pictures.len(), "{example}");
        for (svg, picture) in drawn.iter().zip(pictures) {
            let kept = std::fs::read_to_string(img.join(picture)).unwrap_or_default();
            assert!(
                *svg == kept,
                "docs/img/{picture} is not what {example} draws today: run docs/img/make.sh"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
