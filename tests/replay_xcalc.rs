//! `trajectory replay` on the xcalc fixture (`fixtures/xcalc.traj`, made
//! by `trajectory record`: 12 + 34 = on xcalc at +100+100), for real: the
//! built binary, a real Xvfb, a real xcalc.

mod replay_support;

use replay_support::*;
use trajectory::Frame;
use trajectory::diff::{self, Options};
use trajectory::format::Reader;
use trajectory::input::{EventKind, Listener};
use trajectory::model::Rect;
use trajectory::screen::Screen;

const XCALC_ARGS: [&str; 3] = ["xcalc", "-geometry", "+100+100"];

/// The recorded screens of the xcalc fixture, first and last.
fn recorded_ends() -> (Frame, Frame) {
    let mut file = Reader::open(&fixture("xcalc.traj")).unwrap();
    let first = file.steps()[0].frame;
    let last = file.steps().last().unwrap().frame;
    (
        file.frame(first).unwrap().clone(),
        file.frame(last).unwrap().clone(),
    )
}

fn differing(a: &Frame, b: &Frame, region: Option<Rect>, masks: &[Rect]) -> u64 {
    let options = Options {
        region,
        masks: masks.to_vec(),
        ..Options::default()
    };
    diff::compare(a.as_ref(), b.as_ref(), &options)
        .unwrap()
        .differing
}

#[test]
fn the_fixture_replays_headless_and_xcalc_shows_the_recorded_result() {
    if !have_all(&["Xvfb", "xcalc"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        fixture("xcalc.traj").to_str().unwrap().to_string(),
        "--headless".into(),
        "--save-final".into(),
        "--report-dir".into(),
        dir.path().to_str().unwrap().into(),
        "--".into(),
    ];
    args.extend(XCALC_ARGS.map(String::from));
    let out = replay(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("passed: ") && stdout(&out).contains("13 of 13 steps"),
        "{}",
        stdout(&out)
    );

    let r = report(dir.path());
    assert_eq!(r["status"], "passed");
    assert_eq!(r["actions_injected"], 13);
    assert_eq!(r["checkpoints"].as_array().unwrap().len(), 13);

    // The screen after the last action (the pointer moved off the
    // calculator) against known-good screens: the display reads 46 as in
    // the last recorded frame, and everything else is as on a fresh xcalc
    // with the pointer elsewhere (no button left highlighted).
    let end = Frame::load_png(&dir.path().join("final.png")).unwrap();
    let (start, result) = recorded_ends();
    assert_eq!(differing(&result, &end, Some(XCALC_DISPLAY), &[]), 0);
    assert_eq!(differing(&start, &end, None, &[XCALC_DISPLAY]), 0);
    assert!(
        differing(&start, &end, Some(XCALC_DISPLAY), &[]) > 0,
        "the display changed from 0"
    );
}

#[test]
fn a_different_state_fails_at_the_step_where_the_screens_part_and_acts_no_further() {
    if !have_all(&["Xvfb", "xcalc", "xdotool"]) {
        return;
    }
    let mut desktop = Desktop::start();
    desktop.app(&["xcalc", "-geometry", "+100+100"], "xcalc");
    // 5 + 0: the display reads 0 as on a fresh xcalc, but an addition is
    // pending. Replaying 12 + 34 = then shows 17 (5 + 12) after step 5's
    // click on +, where step 6 expects 12.
    let click = |(x, y): (i32, i32)| [x.to_string(), y.to_string()];
    let mut args: Vec<String> = Vec::new();
    for b in [xcalc_button(2, 8), xcalc_button(4, 9), xcalc_button(1, 10)] {
        args.push("mousemove".into());
        args.extend(click(b));
        args.extend(["click".into(), "1".into()]);
    }
    args.extend(["mousemove", "960", "540"].map(String::from));
    desktop.xdotool(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let mut screen = desktop.screen();
    settle(&mut screen);

    let (listener, events) = Listener::start(Some(desktop.display())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = replay(&[
        fixture("xcalc.traj").to_str().unwrap(),
        "--display",
        desktop.display(),
        "--timeout",
        "2s",
        "--report-dir",
        dir.path().to_str().unwrap(),
    ]);
    settle(&mut screen);
    let after = screen.capture().unwrap().frame.to_frame();
    listener.stop().unwrap();

    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("step 6 (move to 257,446): "),
        "the terminal names the step and the action:\n{text}"
    );
    assert!(text.contains("pixels differ") && text.contains("differing areas (x,y,w,h): "));
    for kind in ["expected", "actual", "diff"] {
        let path = dir.path().join(format!("step-6-{kind}.png"));
        assert!(path.exists(), "{} is missing", path.display());
        assert!(text.contains(&path.display().to_string()), "{text}");
    }

    let r = report(dir.path());
    assert_eq!(r["status"], "failed");
    assert_eq!(r["passed_steps"], 6);
    assert_eq!(r["actions_injected"], 6);
    assert_eq!(r["failures"].as_array().unwrap().len(), 1);
    let f = &r["failures"][0];
    assert_eq!(f["step"], 6);
    assert_eq!(f["action"], "move to 257,446");
    assert!(f["differing_pixels"].as_u64().unwrap() > 0);
    // The difference is in the calculator's display: 17 against 12.
    let boxes = f["boxes"].as_array().unwrap();
    assert!(!boxes.is_empty());
    for b in boxes {
        let (x, y) = (b["x"].as_i64().unwrap(), b["y"].as_i64().unwrap());
        assert!(
            (100..330).contains(&x) && (100..160).contains(&y),
            "a difference outside the display: {b}"
        );
    }

    // Only 1, 2 and + were clicked (steps 1, 3, 5): nothing was injected
    // after the failed checkpoint, not even step 6's move (the pointer
    // still rests on +), and xcalc still shows what the failure image
    // shows.
    let events: Vec<_> = events.iter().collect();
    let presses = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ButtonPress { .. }))
        .map(|e| (e.x, e.y))
        .collect::<Vec<_>>();
    assert_eq!(
        presses,
        [xcalc_button(1, 9), xcalc_button(2, 9), xcalc_button(4, 9)]
    );
    let last_motion = events
        .iter()
        .rfind(|e| matches!(e.kind, EventKind::Motion))
        .map(|e| (e.x, e.y));
    assert_eq!(last_motion, Some(xcalc_button(4, 9)));
    let actual = Frame::load_png(&dir.path().join("step-6-actual.png")).unwrap();
    assert_eq!(differing(&actual, &after, None, &[]), 0);
}

#[test]
fn twenty_headless_replays_in_a_row_all_pass() {
    if !have_all(&["Xvfb", "xcalc"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for run in 0..20 {
        let out = replay(&[
            fixture("xcalc.traj").to_str().unwrap(),
            "--headless",
            "--report-dir",
            dir.path().to_str().unwrap(),
            "--",
            XCALC_ARGS[0],
            XCALC_ARGS[1],
            XCALC_ARGS[2],
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "run {run} of 20:\n{}{}",
            stdout(&out),
            stderr(&out)
        );
        assert_eq!(report(dir.path())["passed_steps"], 13, "run {run}");
    }
}

#[test]
fn the_full_fixture_replays_every_action_kind() {
    if !have_all(&["Xvfb", "xcalc", "xterm", "xclock", "bash"]) {
        return;
    }
    // Under load, xterm now and then leaves its text cursor undrawn (one
    // 6x13 cell, sometimes before anything was injected). Replay then
    // fails as it should; the test runs once more in that one case only.
    // Any other difference fails at once.
    for attempt in 1..=2 {
        let dir = tempfile::tempdir().unwrap();
        let out = replay_full_fixture(dir.path());
        if out.status.code() == Some(1) && attempt == 1 && only_a_cursor_cell(dir.path()) {
            eprintln!("xterm left its cursor undrawn; replaying once more");
            continue;
        }
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
        let r = report(dir.path());
        assert_eq!(r["actions_injected"], 17);
        // Step 12 asks for two matching captures in a row, 100 ms apart.
        let waited = r["checkpoints"][12]["waited_ms"].as_u64().unwrap();
        assert!(waited >= 100, "step 12 waited {waited} ms");
        return;
    }
}

/// Replays `full.traj` headless with the programs and places that
/// fixtures/README.md gives (the xclock is masked by the file).
fn replay_full_fixture(report_dir: &std::path::Path) -> std::process::Output {
    let apps = "xcalc -geometry +100+100 & \
        xterm -geometry 80x24+400+100 -e env -i PS1='$ ' TERM=xterm HOME=/tmp \
          bash --norc --noprofile & \
        exec xclock -update 1 -geometry 150x150+1740+20";
    trajectory()
        .args([
            "replay",
            fixture("full.traj").to_str().unwrap(),
            "--headless",
            "--report-dir",
            report_dir.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            apps,
        ])
        .env("COMMAND", "seq 60")
        .output()
        .unwrap()
}

/// Whether the run failed at one checkpoint whose differences all lie in
/// one box no larger than a character cell of xterm's font (6x13) inside
/// xterm's window (80x24 cells at +400+100).
fn only_a_cursor_cell(report_dir: &std::path::Path) -> bool {
    let r = report(report_dir);
    let Some([failure]) = r["failures"].as_array().map(Vec::as_slice) else {
        return false;
    };
    let Some([b]) = failure["boxes"].as_array().map(Vec::as_slice) else {
        return false;
    };
    let n = |k: &str| b[k].as_i64().unwrap_or(-1);
    let (x, y, w, h) = (n("x"), n("y"), n("width"), n("height"));
    (0..=6).contains(&w)
        && (0..=13).contains(&h)
        && (400..400 + 6 * 80 + 4).contains(&x)
        && (100..100 + 13 * 24 + 4).contains(&y)
}
