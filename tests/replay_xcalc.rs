//! `trajectory replay` on the xcalc fixture, for real: the built binary,
//! a real Xvfb, a real xcalc.

mod replay_support;

use replay_support::*;
use trajectory::Frame;
use trajectory::diff::{self, Options};
use trajectory::format::Reader;
use trajectory::input::{EventKind, Listener};
use trajectory::screen::Screen;

/// The last frame of the minimal fixture: xcalc showing 7 + 8 = 15.
fn recorded_result() -> Frame {
    let mut file = Reader::open(&fixture("minimal.traj")).unwrap();
    let last = file.steps().last().unwrap().frame;
    file.frame(last).unwrap().clone()
}

fn differing(a: &Frame, b: &Frame, region: Option<trajectory::model::Rect>) -> u64 {
    let options = Options {
        region,
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
    let out = replay(&[
        fixture("minimal.traj").to_str().unwrap(),
        "--headless",
        "--save-final",
        "--report-dir",
        dir.path().to_str().unwrap(),
        "--",
        "xcalc",
        "-geometry",
        "+100+100",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("passed: ") && stdout(&out).contains("5 of 5 steps"),
        "{}",
        stdout(&out)
    );

    let r = report(dir.path());
    assert_eq!(r["status"], "passed");
    assert_eq!(r["actions_injected"], 5);
    assert_eq!(r["checkpoints"].as_array().unwrap().len(), 5);

    // The screen after the last action, against the recorded one: the
    // display reads 15, and nothing else differs either.
    let end = Frame::load_png(&dir.path().join("final.png")).unwrap();
    let expected = recorded_result();
    assert_eq!(differing(&expected, &end, Some(XCALC_DISPLAY)), 0);
    assert_eq!(differing(&expected, &end, None), 0);
    let mut file = Reader::open(&fixture("minimal.traj")).unwrap();
    let start = file.frame(0).unwrap().clone();
    assert!(
        differing(&start, &end, Some(XCALC_DISPLAY)) > 0,
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
    // pending. Replaying 7 + 8 = then shows 12 where step 2 expects 7.
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
        fixture("minimal.traj").to_str().unwrap(),
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
        text.contains("step 2 (click left at 213,386): "),
        "the terminal names the step and the action:\n{text}"
    );
    assert!(text.contains("pixels differ") && text.contains("differing areas (x,y,w,h): "));
    for kind in ["expected", "actual", "diff"] {
        let path = dir.path().join(format!("step-2-{kind}.png"));
        assert!(path.exists(), "{} is missing", path.display());
        assert!(text.contains(&path.display().to_string()), "{text}");
    }

    let r = report(dir.path());
    assert_eq!(r["status"], "failed");
    assert_eq!(r["passed_steps"], 2);
    assert_eq!(r["actions_injected"], 2);
    let f = &r["failures"][0];
    assert_eq!(f["step"], 2);
    assert_eq!(f["action"], "click left at 213,386");
    assert!(f["differing_pixels"].as_u64().unwrap() > 0);
    // The difference is in the calculator's display: 12 against 7.
    let boxes = f["boxes"].as_array().unwrap();
    assert!(!boxes.is_empty());
    for b in boxes {
        let (x, y) = (b["x"].as_i64().unwrap(), b["y"].as_i64().unwrap());
        assert!(
            (100..330).contains(&x) && (100..160).contains(&y),
            "a difference outside the display: {b}"
        );
    }

    // Only steps 0 and 1 clicked: nothing was injected after the failed
    // checkpoint, and xcalc still shows what the failure image shows.
    let presses = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ButtonPress { .. }))
        .map(|e| (e.x, e.y))
        .collect::<Vec<_>>();
    assert_eq!(presses, [xcalc_button(1, 7), xcalc_button(4, 9)]);
    let actual = Frame::load_png(&dir.path().join("step-2-actual.png")).unwrap();
    assert_eq!(differing(&actual, &after, None), 0);
}

#[test]
fn twenty_headless_replays_in_a_row_all_pass() {
    if !have_all(&["Xvfb", "xcalc"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for run in 0..20 {
        let out = replay(&[
            fixture("minimal.traj").to_str().unwrap(),
            "--headless",
            "--report-dir",
            dir.path().to_str().unwrap(),
            "--",
            "xcalc",
            "-geometry",
            "+100+100",
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "run {run} of 20:\n{}{}",
            stdout(&out),
            stderr(&out)
        );
        assert_eq!(report(dir.path())["passed_steps"], 5, "run {run}");
    }
}

#[test]
fn the_full_fixture_replays_every_action_kind() {
    if !have_all(&["Xvfb", "xcalc", "xterm", "xclock", "bash"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The programs and places fixtures/README.md gives; the xclock is
    // masked by the file.
    let apps = "xcalc -geometry +100+100 & \
        xterm -geometry 80x24+400+100 -e env -i PS1='$ ' TERM=xterm HOME=/tmp \
          bash --norc --noprofile & \
        exec xclock -update 1 -geometry 150x150+1740+20";
    let out = trajectory()
        .args([
            "replay",
            fixture("full.traj").to_str().unwrap(),
            "--headless",
            "--report-dir",
            dir.path().to_str().unwrap(),
            "--",
            "sh",
            "-c",
            apps,
        ])
        .env("COMMAND", "seq 60")
        .output()
        .unwrap();
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
}
