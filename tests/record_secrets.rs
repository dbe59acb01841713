//! Secrets and the pause key: what is typed as a secret, or while paused,
//! appears nowhere in the file, also after a crash and `repair`.

mod record_support;

use std::process::Command;

use record_support::*;
use rustix::process::Signal;
use trajectory::model::{Action, Text};

const SECRET: &str = "hunter2-zebra";
const WHILE_PAUSED: &str = "pausedword";

#[test]
fn a_secret_and_text_typed_while_paused_appear_nowhere_in_the_file() {
    if !have(&["xterm", "xdotool"]) {
        return;
    }
    let xvfb = xvfb();
    let display = xvfb.display().to_string();
    let (_xterm, _) = app(&xvfb, &XTERM, "xterm");
    xdotool(&display, &["mousemove", "200", "150"]);
    let mut screen = screen(&display);
    rest(&mut screen);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("secret.traj");
    let mut recording = Recording::start(&display, &output, &["--secret", "PASSWORD"]);

    xdotool(&display, &["type", "--delay", "30", SECRET]);
    xdotool(&display, &["key", "Return"]);
    xdotool(&display, &["key", "ctrl+shift+F11"]);
    xdotool(&display, &["type", "--delay", "30", WHILE_PAUSED]);
    xdotool(&display, &["key", "Return", "ctrl+shift+F11"]);
    xdotool(&display, &["type", "--delay", "30", "echo visible"]);
    xdotool(&display, &["key", "Return"]);
    rest(&mut screen);
    xdotool(&display, &["key", "ctrl+shift+F12"]);
    recording.wait_for_line("trajectory: recorded");
    let (status, _, stderr) = recording.wait();
    assert!(status.success(), "{status}\n{stderr}");

    let (_, header, steps) = read(&output);
    assert_eq!(header.variables, ["PASSWORD"]);
    assert_eq!(
        described(&steps),
        [
            "type ${PASSWORD}",
            "key Return",
            "type \"echo visible\"",
            "key Return"
        ]
    );
    assert_eq!(occurrences(&output, SECRET), 0);
    assert_eq!(occurrences(&output, "hunter"), 0);
    assert_eq!(occurrences(&output, WHILE_PAUSED), 0);
    assert!(
        occurrences(&output, "echo visible") > 0,
        "the check can fail"
    );
    assert!(!stderr.contains("hunter"), "{stderr}");
}

#[test]
fn a_killed_recording_repairs_to_its_last_step_and_keeps_the_secret_out() {
    if !have(&["xterm", "xdotool"]) {
        return;
    }
    let xvfb = xvfb();
    let display = xvfb.display().to_string();
    let (_xterm, _) = app(&xvfb, &XTERM, "xterm");
    xdotool(&display, &["mousemove", "200", "150"]);
    let mut screen = screen(&display);
    rest(&mut screen);
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("killed.traj");
    let recording = Recording::start(&display, &output, &["--secret", "PASSWORD"]);

    xdotool(&display, &["type", "--delay", "30", SECRET]);
    xdotool(&display, &["key", "Return"]);
    xdotool(&display, &["type", "--delay", "30", "echo after"]);
    xdotool(&display, &["key", "Return"]);
    recording.wait_for_steps(4);
    recording.signal(Signal::KILL);
    let (status, _, _) = recording.wait();
    assert!(!status.success(), "killed: {status}");

    let partial = partial(&output);
    assert!(partial.exists() && !output.exists());
    assert_eq!(occurrences(&partial, SECRET), 0);
    let repair = Command::new(binary())
        .arg("repair")
        .arg(&partial)
        .output()
        .unwrap();
    assert!(
        repair.status.success(),
        "{}",
        String::from_utf8_lossy(&repair.stderr)
    );

    let (mut reader, header, steps) = read(&output);
    assert_eq!(header.variables, ["PASSWORD"]);
    assert_eq!(
        steps[..4]
            .iter()
            .map(|s| s.action.clone())
            .collect::<Vec<_>>(),
        [
            Action::Type {
                text: Text::Variable("PASSWORD".into())
            },
            Action::Key {
                keys: "Return".into()
            },
            Action::Type {
                text: Text::Literal("echo after".into())
            },
            Action::Key {
                keys: "Return".into()
            },
        ]
    );
    for step in &steps {
        reader.frame(step.frame).expect("every frame decodes");
    }
    assert_eq!(occurrences(&output, SECRET), 0);
    assert!(occurrences(&output, "echo after") > 0, "the check can fail");
}
