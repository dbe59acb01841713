//! A screen that appears late: xterm runs `sleep 2; echo ready`, and the
//! next checkpoint waits for "ready" instead of failing or sleeping a fixed
//! time.

mod replay_support;

use std::time::Duration;

use replay_support::*;
use trajectory::model::{Action, Text};

const XTERM: [&str; 12] = [
    "xterm",
    "-geometry",
    "80x24+400+100",
    "-e",
    "env",
    "-i",
    "PS1=$ ",
    "TERM=xterm",
    "HOME=/tmp",
    "bash",
    "--norc",
    "--noprofile",
];

#[test]
fn a_step_whose_screen_appears_late_passes_by_waiting() {
    if !have_all(&["Xvfb", "xterm", "xdotool", "bash"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = {
        let mut desktop = Desktop::start();
        desktop.app(&XTERM, "xterm");
        let mut rec = Recording::start(&desktop, &dir.path().join("late.traj"));
        // Keys go to the window under the pointer (no window manager).
        rec.step(Action::Move { x: 640, y: 300 });
        desktop.xdotool(&["mousemove", "640", "300"]);
        let command = "sleep 2; echo ready";
        rec.step(Action::Type {
            text: Text::Literal(command.into()),
        });
        desktop.xdotool(&["type", "--delay", "20", command]);
        rec.step(Action::Key {
            keys: "Return".into(),
        });
        desktop.xdotool(&["key", "Return"]);
        // The recording waits for the output; the replay must find out by
        // itself.
        std::thread::sleep(Duration::from_millis(2500));
        rec.step(Action::Wait { duration_us: 0 });
        rec.finish()
    };

    let report_dir = dir.path().join("report");
    let mut args = vec![
        file.to_str().unwrap(),
        "--headless",
        "--report-dir",
        report_dir.to_str().unwrap(),
        "--",
    ];
    args.extend_from_slice(&XTERM);
    let out = replay(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    let r = report(&report_dir);
    let last = &r["checkpoints"][3];
    assert_eq!(last["matched"], true);
    // It matched only once "ready" was printed, two seconds after Return,
    // and it captured again on the change rather than polling.
    let waited = last["waited_ms"].as_u64().unwrap();
    assert!(waited >= 1500, "waited only {waited} ms");
    let captures = last["captures"].as_u64().unwrap();
    assert!(captures <= 10, "{captures} captures for one late change");
}
