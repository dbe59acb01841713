//! A clock beside the task: masked, it does not break the replay; not
//! masked, the replay fails and says where. Recorded here from a real
//! xcalc and a real xclock, replayed headless by the built binary.

mod replay_support;

use replay_support::*;
use trajectory::model::{Action, Button, ProposedMask, Rect};

const APPS: &str = "xcalc -geometry +100+100 & exec xclock -digital -update 1 -geometry +1500+20";

/// Records 7 + on xcalc while a digital clock ticks; the header proposes
/// the clock as a mask. Returns the file and the clock's window.
fn record(dir: &std::path::Path) -> (std::path::PathBuf, Rect) {
    let mut desktop = Desktop::start();
    desktop.app(&["xcalc", "-geometry", "+100+100"], "xcalc");
    let clock = desktop.app(
        &[
            "xclock",
            "-digital",
            "-update",
            "1",
            "-geometry",
            "+1500+20",
        ],
        "xclock",
    );
    // The window and a margin for its border.
    let clock = Rect::new(clock.x - 4, clock.y - 4, clock.width + 8, clock.height + 8);

    let mut rec = Recording::start(&desktop, &dir.join("clock.traj"));
    rec.header(|h| {
        h.proposed_masks.push(ProposedMask {
            rect: clock,
            changes: 3,
        })
    });
    for (column, row) in [(1, 7), (4, 9)] {
        let (x, y) = xcalc_button(column, row);
        rec.step(Action::Click {
            button: Button::LEFT,
            count: 1,
            x,
            y,
            interval_us: 0,
            modifiers: vec![],
        });
        desktop.xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]);
    }
    rec.step(Action::Wait { duration_us: 0 });
    (rec.finish(), clock)
}

fn run(
    file: &std::path::Path,
    report_dir: &std::path::Path,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        file.to_str().unwrap(),
        "--headless",
        "--timeout",
        "3s",
        "--start-timeout",
        "3s",
        "--report-dir",
        report_dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", "sh", "-c", APPS]);
    replay(&args)
}

#[test]
fn a_masked_clock_does_not_break_the_replay_and_an_unmasked_one_does() {
    if !have_all(&["Xvfb", "xcalc", "xclock", "xdotool"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (file, clock) = record(dir.path());

    // The proposed mask applies by default.
    let proposed = dir.path().join("proposed");
    let out = run(&file, &proposed, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    // Refused, the clock's seconds differ from the recording's.
    let unmasked = dir.path().join("unmasked");
    let out = run(&file, &unmasked, &["--no-proposed-masks"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let r = report(&unmasked);
    let f = &r["failures"][0];
    assert_eq!(f["step"], 0);
    assert_eq!(f["action"], "click left at 169,386");
    assert!(f["masks"].as_array().unwrap().is_empty());
    let boxes = f["boxes"].as_array().unwrap();
    assert!(!boxes.is_empty());
    for b in boxes {
        let r = Rect::new(
            b["x"].as_i64().unwrap() as i32,
            b["y"].as_i64().unwrap() as i32,
            b["width"].as_u64().unwrap() as u32,
            b["height"].as_u64().unwrap() as u32,
        );
        assert!(
            r.x >= clock.x
                && r.y >= clock.y
                && r.x + r.width as i32 <= clock.x + clock.width as i32
                && r.y + r.height as i32 <= clock.y + clock.height as i32,
            "a difference outside the clock {clock}: {r}"
        );
    }
    let text = stdout(&out);
    assert!(text.contains("step 0 (click left at 169,386): "), "{text}");
    assert!(unmasked.join("step-0-diff.png").exists());

    // A mask on the command line does what the proposed one did.
    let masked = dir.path().join("masked");
    let out = run(
        &file,
        &masked,
        &["--no-proposed-masks", "--mask", &clock.to_string()],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(report(&masked)["passed_steps"], 3);
}
