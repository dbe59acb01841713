//! Suites, reports and exit codes of `trajectory replay`, for real: several
//! files on their own Xvfb servers, JUnit and JSON read back, shards, the
//! errors that exit 2 and 3, and Ctrl-C.

mod replay_support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;

use replay_support::*;
use rustix::process::{Pid, Signal, kill_process, test_kill_process};
use trajectory::Frame;
use trajectory::format::{Reader, Writer};
use trajectory::headless::Xvfb;
use trajectory::input::{EventKind, Listener};
use trajectory::model::{Action, Button, ScreenGeometry};

const XCALC: [&str; 3] = ["xcalc", "-geometry", "+100+100"];

/// Copies the minimal fixture to `path`; with `spoil`, step 3's frame gets
/// a white block where xcalc never draws (the root window is black), so that step 3 fails.
fn copy_minimal(path: &Path, spoil: bool) -> PathBuf {
    let mut src = Reader::open(&fixture("minimal.traj")).unwrap();
    let header = src.header().clone();
    let steps = src.steps().to_vec();
    let mut w = Writer::create(path, &header).unwrap();
    for (i, step) in steps.iter().enumerate() {
        let mut frame = src.frame(step.frame).unwrap().clone();
        if spoil && i == 3 {
            let (width, height) = (frame.width(), frame.height());
            let mut data = frame.into_data();
            for y in 600..620 {
                for x in 800..840 {
                    data[(y * width as usize + x) * 4..][..3].fill(255);
                }
            }
            frame = Frame::from_bgrx(width, height, data).unwrap();
        }
        let id = w.push_frame(frame.as_ref()).unwrap();
        w.push_step(&trajectory::model::Step {
            frame: id,
            ..step.clone()
        })
        .unwrap();
    }
    w.finish().unwrap();
    path.to_path_buf()
}

fn suite(dir: &Path) -> Vec<PathBuf> {
    vec![
        copy_minimal(&dir.join("pass-a.traj"), false),
        copy_minimal(&dir.join("fail.traj"), true),
        copy_minimal(&dir.join("pass-b.traj"), false),
    ]
}

fn strs(paths: &[PathBuf]) -> Vec<&str> {
    paths.iter().map(|p| p.to_str().unwrap()).collect()
}

#[test]
fn a_suite_runs_two_at_a_time_and_its_junit_file_names_the_failing_step() {
    if !have_all(&["Xvfb", "xcalc"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = suite(dir.path());
    let reports = dir.path().join("reports");
    let junit = dir.path().join("junit.xml");
    let mut args = strs(&files);
    args.extend([
        "--headless",
        "--jobs",
        "2",
        "--json",
        "--timeout",
        "2s",
        "--junit",
        junit.to_str().unwrap(),
        "--report-dir",
        reports.to_str().unwrap(),
        "--",
    ]);
    args.extend(XCALC);
    let out = replay(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    // stdout is the JSON summary and nothing else.
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["planned"], 3);
    assert_eq!(summary["passed"], 2);
    assert_eq!(summary["failed"], 1);
    let runs = summary["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[1]["status"], "failed");
    assert_eq!(runs[1]["failures"][0]["step"], 3);
    for run in runs {
        // Each on a private server (display numbers are reused once a
        // server has stopped).
        assert!(run["display"].as_str().unwrap().starts_with(':'), "{run}");
    }

    for name in ["pass-a", "fail", "pass-b"] {
        assert!(reports.join(name).join("report.json").exists(), "{name}");
    }
    for kind in ["expected", "actual", "diff"] {
        assert!(reports.join(format!("fail/step-3-{kind}.png")).exists());
    }

    let xml = std::fs::read_to_string(&junit).unwrap();
    let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    assert_eq!(parsed.tests, 3);
    assert_eq!(parsed.failures, 1);
    let cases = &parsed.test_suites[0].test_cases;
    assert_eq!(cases.len(), 3);
    let failed: Vec<_> = cases
        .iter()
        .filter(|c| !matches!(c.status, quick_junit::TestCaseStatus::Success { .. }))
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].name.as_str(), "fail");
    let quick_junit::TestCaseStatus::NonSuccess {
        message,
        description,
        ..
    } = &failed[0].status
    else {
        panic!("{:?}", failed[0].status)
    };
    let message = message.as_ref().unwrap().as_str();
    assert!(
        message.starts_with("step 3 (click left at 301,476): 800 pixels differ"),
        "{message}"
    );
    let description = description.as_ref().unwrap().as_str();
    assert!(
        description.contains("differing areas (x,y,w,h): 800,600,40,20"),
        "{description}"
    );
    assert!(
        description.contains("fail/step-3-diff.png"),
        "{description}"
    );
}

#[test]
fn shards_split_a_suite_without_overlap() {
    if !have_all(&["Xvfb", "xcalc"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = suite(dir.path());
    let mut seen = Vec::new();
    for shard in ["1/2", "2/2"] {
        let mut args = strs(&files);
        let reports = dir.path().join(shard.replace('/', "-of-"));
        args.extend([
            "--headless",
            "--json",
            "--timeout",
            "2s",
            "--shard",
            shard,
            "--report-dir",
            reports.to_str().unwrap(),
            "--",
        ]);
        args.extend(XCALC);
        let out = replay(&args);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for run in summary["runs"].as_array().unwrap() {
            seen.push(run["file"].as_str().unwrap().to_string());
        }
    }
    seen.sort();
    let mut all: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    all.sort();
    assert_eq!(seen, all, "each file ran exactly once over the two shards");
}

#[test]
fn missing_values_and_bad_files_exit_2_before_any_display_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("r");
    let out = trajectory()
        .args([
            "replay",
            fixture("full.traj").to_str().unwrap(),
            "--headless",
        ])
        .args(["--report-dir", reports.to_str().unwrap()])
        .args(["--", "no-such-program-is-started"])
        .env_remove("COMMAND")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("no value for ${COMMAND}"), "{err}");
    assert!(err.contains("--var NAME=value"), "{err}");
    let r = report(&reports);
    assert_eq!(r["status"], "error");
    assert_eq!(r["display"], serde_json::Value::Null, "no Xvfb was started");

    let out = replay(&[
        dir.path().join("missing.traj").to_str().unwrap(),
        "--headless",
        "--report-dir",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("missing.traj"), "{}", stderr(&out));
    assert_eq!(report(&reports)["status"], "error");

    let out = replay(&[fixture("full.traj").to_str().unwrap(), "--var", "hunter2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("hunter2"), "{}", stderr(&out));
}

#[test]
fn a_display_of_another_size_or_none_at_all_exits_3() {
    if !have_all(&["Xvfb"]) {
        return;
    }
    let small = Xvfb::start(ScreenGeometry {
        width: 800,
        height: 600,
        depth: 24,
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = replay(&[
        fixture("minimal.traj").to_str().unwrap(),
        "--display",
        small.display(),
        "--report-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("recorded on a 1920x1080x24 screen")
            && err.contains(&format!("display {} is 800x600x24", small.display())),
        "{err}"
    );

    let out = trajectory()
        .args(["replay", fixture("minimal.traj").to_str().unwrap()])
        .args(["--report-dir", dir.path().to_str().unwrap()])
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no display to replay on"),
        "{}",
        stderr(&out)
    );
}

/// A trajectory that presses the left button on the bare root window, then
/// waits for a screen that never comes.
fn press_then_wait_forever(desktop: &Desktop, path: &Path) -> PathBuf {
    let mut rec = Recording::start(desktop, path);
    rec.step(Action::Press {
        button: Button::LEFT,
        x: 1500,
        y: 800,
        modifiers: vec!["shift".into()],
    });
    let never = Frame::filled(1920, 1080, 0x123456);
    rec.step_expecting(
        Action::Release {
            button: Button::LEFT,
            x: 1500,
            y: 800,
        },
        &never,
    );
    rec.finish()
}

/// Starts the replay with stderr piped, and returns once it logged that
/// step 1's checkpoint began.
fn start_until_step_1(args: &[&str]) -> (std::process::Child, mpsc::Receiver<String>) {
    let mut child = trajectory()
        .args(["-v", "replay"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    loop {
        match rx.recv_timeout(PATIENCE) {
            Ok(line) if line.contains("step 1/2") => return (child, rx),
            Ok(_) => {}
            Err(e) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("the replay did not reach step 1 ({e}); it ended with {status:?}");
            }
        }
    }
}

fn interrupt(child: &std::process::Child) {
    let pid = Pid::from_raw(child.id() as i32).unwrap();
    kill_process(pid, Signal::INT).unwrap();
}

#[test]
fn ctrl_c_releases_held_input_and_reports_an_interrupted_run() {
    if !have_all(&["Xvfb"]) {
        return;
    }
    let desktop = Desktop::start();
    let dir = tempfile::tempdir().unwrap();
    let file = press_then_wait_forever(&desktop, &dir.path().join("held.traj"));
    let (listener, events) = Listener::start(Some(desktop.display())).unwrap();
    let reports = dir.path().join("r");
    let (mut child, _) = start_until_step_1(&[
        file.to_str().unwrap(),
        "--display",
        desktop.display(),
        "--timeout",
        "60s",
        "--report-dir",
        reports.to_str().unwrap(),
    ]);
    interrupt(&child);
    let status = child.wait().unwrap();
    listener.stop().unwrap();
    assert_eq!(status.code(), Some(130));

    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    let presses = kinds
        .iter()
        .filter(|k| matches!(k, EventKind::ButtonPress { button: 1 }))
        .count();
    let releases = kinds
        .iter()
        .filter(|k| matches!(k, EventKind::ButtonRelease { button: 1 }))
        .count();
    assert_eq!((presses, releases), (1, 1), "{kinds:?}");
    assert!(
        matches!(
            kinds.last(),
            Some(EventKind::ButtonRelease { .. } | EventKind::KeyRelease(_))
        ),
        "{kinds:?}"
    );
    let r = report(&reports);
    assert_eq!(r["status"], "interrupted");
    assert_eq!(r["actions_injected"], 1);
}

#[test]
fn ctrl_c_stops_the_private_xvfb_and_the_application() {
    if !have_all(&["Xvfb"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Recorded on a bare screen, which is what a fresh Xvfb shows.
    let file = {
        let desktop = Desktop::start();
        press_then_wait_forever(&desktop, &dir.path().join("held.traj"))
    };
    let pid_file = dir.path().join("app.pid");
    let app = format!("echo $$ > '{}'; exec sleep 600", pid_file.display());
    let reports = dir.path().join("r");
    let (mut child, _) = start_until_step_1(&[
        file.to_str().unwrap(),
        "--headless",
        "--timeout",
        "60s",
        "--report-dir",
        reports.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        &app,
    ]);
    interrupt(&child);
    assert_eq!(child.wait().unwrap().code(), Some(130));

    let r = report(&reports);
    assert_eq!(r["status"], "interrupted");
    let display = r["display"]
        .as_str()
        .unwrap()
        .trim_start_matches(':')
        .to_string();
    let socket = Path::new("/tmp/.X11-unix").join(format!("X{display}"));
    assert!(!socket.exists(), "Xvfb on :{display} still runs");
    let app_pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        test_kill_process(Pid::from_raw(app_pid).unwrap()).is_err(),
        "the application {app_pid} still runs"
    );
}
