//! `trajectory record` on a real xcalc: clicks become click actions at the
//! buttons' positions, each with the screen as it was just before it.

mod record_support;

use record_support::*;
use trajectory::model::Action;

#[test]
fn clicks_on_xcalc_are_recorded_with_the_screen_just_before_each() {
    if !have(&["xcalc", "xdotool"]) {
        return;
    }
    let xvfb = xvfb();
    let display = xvfb.display().to_string();
    let (_xcalc, _) = app(&xvfb, &XCALC, "xcalc");
    let mut screen = screen(&display);
    rest(&mut screen);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("xcalc.traj");
    let recording = Recording::start(&display, &output, &["--title", "7 + 8 ="]);

    // 7 + 8 =
    let buttons = [(1, 7), (4, 9), (2, 7), (4, 10)].map(|(c, r)| xcalc_button(c, r));
    let mut expected = Vec::new();
    for &(x, y) in &buttons {
        xdotool(&display, &["mousemove", &x.to_string(), &y.to_string()]);
        // The pointer rests (a move step of its own) and xcalc highlights
        // the button; that is the screen the click must record.
        rest(&mut screen);
        expected.push(capture(&mut screen));
        xdotool(&display, &["click", "1"]);
        rest(&mut screen);
    }
    recording.interrupt();

    let (mut reader, header, steps) = read(&output);
    assert_eq!(header.title.as_deref(), Some("7 + 8 ="));
    assert_eq!(header.screen.to_string(), "1920x1080x24");
    assert!(header.keyboard.is_some(), "the header names the keyboard");
    let clicks: Vec<_> = steps
        .iter()
        .filter(|s| matches!(s.action, Action::Click { .. }))
        .collect();
    let places: Vec<(i32, i32)> = clicks.iter().filter_map(|s| s.action.target()).collect();
    assert_eq!(places, buttons, "steps: {:#?}", described(&steps));
    for (i, (step, want)) in clicks.iter().zip(&expected).enumerate() {
        assert!(
            matches!(step.action, Action::Click { count: 1, .. }),
            "{}",
            step.action
        );
        let got = reader.frame(step.frame).unwrap().clone();
        assert!(
            got == *want,
            "{}",
            explain_difference(&format!("click-{i}"), want, &got)
        );
    }
    // Each click follows the move to its button, and time goes forward.
    let kinds: Vec<&str> = steps.iter().map(|s| s.action.kind()).collect();
    assert_eq!(
        kinds,
        ["move", "click"].repeat(4),
        "{:#?}",
        described(&steps)
    );
    assert!(steps.windows(2).all(|w| w[0].at_us <= w[1].at_us));
}
