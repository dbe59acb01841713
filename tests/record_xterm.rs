//! `trajectory record` on a real xterm: typed text, keys, a drag and a
//! wheel scroll, and the stop key.

mod record_support;

use record_support::*;
use trajectory::model::{Action, Text};

#[test]
fn typed_text_and_return_become_one_type_and_one_key_and_the_stop_key_is_not_recorded() {
    if !have(&["xterm", "xdotool"]) {
        return;
    }
    let xvfb = xvfb();
    let display = xvfb.display().to_string();
    let (_xterm, _) = app(&xvfb, &XTERM, "xterm");
    // Keys go to the window under the pointer (there is no window manager).
    xdotool(&display, &["mousemove", "200", "150"]);
    let mut screen = screen(&display);
    rest(&mut screen);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("xterm.traj");
    let mut recording = Recording::start(&display, &output, &["--json"]);

    xdotool(&display, &["type", "--delay", "30", "echo Hello, World!"]);
    xdotool(&display, &["key", "Return"]);
    rest(&mut screen);
    xdotool(&display, &["key", "ctrl+shift+F12"]);
    recording.wait_for_line("trajectory: recorded");
    let (status, stdout, stderr) = recording.wait();
    assert!(status.success(), "{status}\n{stderr}");

    let (_, _, steps) = read(&output);
    let actions: Vec<Action> = steps.iter().map(|s| s.action.clone()).collect();
    assert_eq!(
        actions,
        [
            Action::Type {
                text: Text::Literal("echo Hello, World!".into())
            },
            Action::Key {
                keys: "Return".into()
            },
        ],
        "{:#?}",
        described(&steps)
    );

    // --json prints the summary, and nothing else, on stdout.
    let summary: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(summary["steps"], 2);
    assert_eq!(summary["ended_by"], "stop-key");
    assert_eq!(summary["file"], output.to_str().unwrap());
    assert!(summary["bytes"].as_u64().unwrap() > 0);
}

#[test]
fn a_drag_and_a_wheel_scroll_are_one_drag_and_one_scroll() {
    if !have(&["xterm", "xdotool"]) {
        return;
    }
    let xvfb = xvfb();
    let display = xvfb.display().to_string();
    let (_xterm, _) = app(&xvfb, &XTERM, "xterm");
    xdotool(&display, &["mousemove", "100", "100"]);
    let mut screen = screen(&display);
    rest(&mut screen);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("pointer.traj");
    let recording = Recording::start(&display, &output, &[]);

    // Select across the prompt: press, two moves, release.
    xdotool(
        &display,
        &[
            "mousedown",
            "1",
            "mousemove",
            "200",
            "120",
            "sleep",
            "0.1",
            "mousemove",
            "300",
            "140",
            "mouseup",
            "1",
        ],
    );
    rest(&mut screen);
    xdotool(&display, &["mousemove", "400", "300"]);
    rest(&mut screen);
    xdotool(&display, &["click", "--repeat", "3", "--delay", "50", "5"]);
    rest(&mut screen);
    recording.interrupt();

    let (_, _, steps) = read(&output);
    let kinds: Vec<&str> = steps.iter().map(|s| s.action.kind()).collect();
    assert_eq!(
        kinds,
        ["drag", "move", "scroll"],
        "{:#?}",
        described(&steps)
    );
    let Action::Drag { path, button, .. } = &steps[0].action else {
        unreachable!()
    };
    assert_eq!(button.0, 1);
    let (first, last) = (path.first().unwrap(), path.last().unwrap());
    assert_eq!((first.x, first.y), (100, 100));
    assert_eq!((last.x, last.y), (300, 140));
    assert!(path.iter().any(|p| (p.x, p.y) == (200, 120)), "{path:?}");
    assert!(last.t_us >= 100_000, "the drag took its time: {path:?}");
    assert_eq!(steps[1].action, Action::Move { x: 400, y: 300 });
    assert!(
        matches!(
            steps[2].action,
            Action::Scroll {
                dx: 0,
                dy: 3,
                x: 400,
                y: 300,
                ..
            }
        ),
        "{}",
        steps[2].action
    );
}
