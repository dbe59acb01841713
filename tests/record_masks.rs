//! Places that change with no input (an xclock beside the task) come out
//! as proposed masks; the task's own places (xcalc's display and buttons)
//! do not.

mod record_support;

use std::time::{Duration, Instant};

use record_support::*;
use trajectory::model::Rect;
use trajectory::screen::{Screen, X11Screen};

/// Waits, doing nothing, for `quiet`: the clock keeps ticking meanwhile.
/// This is the recording's idle time the detector needs, so a fixed time
/// is what the test means, not a guess at how long something takes.
fn idle(screen: &mut X11Screen, quiet: Duration) {
    let until = Instant::now() + quiet;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        screen.wait_for_change(left).expect("watching");
        screen.capture().expect("capture");
    }
}

#[test]
fn an_xclock_beside_the_task_is_proposed_as_a_mask_and_the_task_is_not() {
    if !have(&["xcalc", "xclock", "xdotool"]) {
        return;
    }
    let xvfb = xvfb();
    let display = xvfb.display().to_string();
    let (_xcalc, calc) = app(&xvfb, &XCALC, "xcalc");
    let clock_argv = ["xclock", "-update", "1", "-geometry", "150x150+1740+20"];
    let (_xclock, clock) = app(&xvfb, &clock_argv, "xclock");
    let mut screen = screen(&display);
    rest(&mut screen);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("masks.traj");
    let recording = Recording::start(&display, &output, &["--json"]);

    // Three quiet stretches of 2.5 s (the detector needs changes in two
    // of them, each more than a second after the last input), with a
    // click on xcalc between them that changes its display.
    idle(&mut screen, Duration::from_millis(2500));
    for (c, r) in [(1, 7), (4, 9), (2, 7)] {
        let (x, y) = xcalc_button(c, r);
        xdotool(&display, &["mousemove", &x.to_string(), &y.to_string()]);
        rest(&mut screen);
        xdotool(&display, &["click", "1"]);
        idle(&mut screen, Duration::from_millis(2500));
    }
    let stdout = recording.interrupt();

    let (_, header, _) = read(&output);
    let masks: Vec<Rect> = header.proposed_masks.iter().map(|m| m.rect).collect();
    assert!(
        masks.iter().any(|&m| overlaps(m, clock.rect)),
        "no mask over the clock at {}: {masks:?}",
        clock.rect
    );
    for &m in &masks {
        assert!(
            !overlaps(m, calc.rect),
            "mask {m} covers xcalc at {}",
            calc.rect
        );
        assert!(
            overlaps(m, clock.rect),
            "mask {m} is not over the clock at {}",
            clock.rect
        );
    }
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        summary["proposed_masks"].as_array().unwrap().len(),
        masks.len()
    );
}
