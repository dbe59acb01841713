//! What replay costs, on a private 1920x1080x24 Xvfb:
//!
//! ```text
//! cargo bench --bench replay
//! ```
//!
//! 1. `checkpoint/1080p/matching`: one poll of a checkpoint whose screen
//!    already matches (xcalc and xterm on screen): an MIT-SHM capture with
//!    its damage bookkeeping, then the decision over the whole screen
//!    ([`checkpoint::poll`], the code every checkpoint runs). Its two parts
//!    are timed in the same loop: `capture` alone and `decide` alone (on
//!    two frames in memory). Median, p90 and p99 of many polls, since a
//!    checkpoint's cost is felt per poll.
//! 2. `fixture/*`: the built binary replays `fixtures/xcalc.traj` (made
//!    by `trajectory record`), `fixtures/minimal.traj` and
//!    `fixtures/full.traj` headless several times; the steps' time (from
//!    report.json) against the recorded duration, and the whole process
//!    (Xvfb and the applications started and stopped) by wall clock.
//!
//! The machine is shared: compare the numbers of one run with each other,
//! and repeat the run to see the spread.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use trajectory::diff::{self, Decision};
use trajectory::headless::{App, Xvfb};
use trajectory::model::{Rect, ScreenGeometry, Tolerance};
use trajectory::replay::checkpoint::{self, diff_options};
use trajectory::replay::plan::StepCheck;
use trajectory::screen::{Screen, X11Screen};

const PATIENCE: Duration = Duration::from_secs(30);
const POLLS: usize = 3000;
const RUNS: usize = 10;

fn main() {
    // `cargo test --benches` runs benches with --test-ish arguments: keep
    // that quick.
    let quick = std::env::args().any(|a| a == "--test");
    checkpoint_cost(if quick { 20 } else { POLLS });
    if !quick {
        fixture("xcalc.traj", &["xcalc", "-geometry", "+100+100"], &[]);
        fixture("minimal.traj", &["xcalc", "-geometry", "+100+100"], &[]);
        let full = "xcalc -geometry +100+100 & \
            xterm -geometry 80x24+400+100 -e env -i PS1='$ ' TERM=xterm HOME=/tmp \
              bash --norc --noprofile & \
            exec xclock -update 1 -geometry 150x150+1740+20";
        fixture("full.traj", &["sh", "-c", full], &[("COMMAND", "seq 60")]);
    }
}

fn checkpoint_cost(polls: usize) {
    let geometry = ScreenGeometry {
        width: 1920,
        height: 1080,
        depth: 24,
    };
    let xvfb = Xvfb::start(geometry).expect("Xvfb starts (apt-get install xvfb xfonts-base)");
    let apps: Vec<App> = [
        vec!["xcalc", "-geometry", "+100+100"],
        vec![
            "xterm",
            "-geometry",
            "100x40+500+40",
            "-e",
            "ls -l /usr/bin | head -40; cat",
        ],
    ]
    .into_iter()
    .map(|argv| xvfb.spawn_app(argv).expect("the application starts"))
    .collect();
    apps[0].wait_for_window("xcalc", PATIENCE).unwrap();
    apps[1].wait_for_window("xterm", PATIENCE).unwrap();
    let mut screen = X11Screen::open(Some(xvfb.display())).unwrap();
    screen
        .wait_until_still(Duration::from_millis(500), PATIENCE)
        .unwrap();
    let expected = screen.capture().unwrap().frame.to_frame();
    let copy = expected.clone();

    let check = StepCheck {
        area: Rect::new(0, 0, 1920, 1080),
        masks: vec![],
        threshold: 0.1,
        include_aa: false,
        tolerance: Tolerance::Pixels(0),
        timeout: Duration::from_secs(10),
        stable: 1,
    };
    let options = diff_options(&check);

    let (mut poll, mut capture, mut decide) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..polls {
        let t = Instant::now();
        let d = checkpoint::poll(&mut screen, expected.as_ref(), &check, &options).unwrap();
        poll.push(t.elapsed());
        assert_eq!(d, Decision::Match, "the screen changed during the bench");

        let t = Instant::now();
        let c = screen.capture().unwrap();
        capture.push(t.elapsed());
        std::hint::black_box(c.frame.data[0]);

        let t = Instant::now();
        let d = diff::decide(expected.as_ref(), copy.as_ref(), &options, check.tolerance).unwrap();
        decide.push(t.elapsed());
        assert_eq!(d, Decision::Match);
    }
    println!("checkpoint/1080p, {polls} polls on a matching screen (xcalc and xterm):");
    print_spread("checkpoint/1080p/matching", &mut poll);
    print_spread("  capture (MIT-SHM)", &mut capture);
    print_spread("  decide (in memory)", &mut decide);
    drop(screen);
    drop(apps);
}

fn print_spread(name: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<28} median {:6.3} ms  p90 {:6.3} ms  p99 {:6.3} ms  min {:6.3} ms",
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(0.99)),
        ms(samples[0])
    );
}

fn fixture(name: &str, app: &[&str], env: &[(&str, &str)]) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let dir = tempfile::tempdir().unwrap();
    let (mut steps, mut whole, mut process) = (Vec::new(), Vec::new(), Vec::new());
    let mut recorded = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_trajectory"))
            .arg("replay")
            .arg(&file)
            .args(["--headless", "--report-dir"])
            .arg(dir.path())
            .arg("--")
            .args(app)
            .envs(env.iter().copied())
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .unwrap();
        process.push(t.elapsed());
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap())
                .unwrap();
        steps.push(Duration::from_millis(report["replay_ms"].as_u64().unwrap()));
        whole.push(Duration::from_millis(
            report["duration_ms"].as_u64().unwrap(),
        ));
        recorded = report["recorded_duration_ms"].as_u64().unwrap();
    }
    println!("fixture/{name}, {RUNS} headless runs, recorded duration {recorded} ms:");
    print_spread("  steps (report replay_ms)", &mut steps);
    print_spread("  run with set-up", &mut whole);
    print_spread("  process, wall clock", &mut process);
    let median = steps[steps.len() / 2].as_millis() as f64;
    println!(
        "  steps take {:.0}% of the recorded duration (median)",
        median / recorded.max(1) as f64 * 100.0
    );
}
