//! Starting and stopping Xvfb and the application under test, for real.

mod screen_support;

use std::time::Duration;

use rustix::process::{Pid, test_kill_process};
use screen_support::{PATIENCE, live_group_members, xvfb};
use trajectory::headless::{HeadlessError, Xvfb, XvfbOptions};
use trajectory::model::ScreenGeometry;
use trajectory::screen::{Screen, X11Screen};

fn gone(pid: u32) -> bool {
    let pid = Pid::from_raw(pid as i32).unwrap();
    test_kill_process(pid).is_err()
}

#[test]
fn xvfb_and_the_app_leave_no_process_behind_when_dropped() {
    let x = xvfb(640, 480);
    // A launcher script that starts the real application, as many do.
    let app = x
        .spawn_app(["sh", "-c", "xcalc & sleep 1000 & wait"])
        .unwrap();
    app.wait_for_window("xcalc", PATIENCE).unwrap();
    let (server, group) = (x.pid(), app.pid());
    assert!(!gone(server));
    assert!(
        live_group_members(group).len() >= 3,
        "sh, xcalc and sleep run"
    );

    drop(app);
    let left = live_group_members(group);
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(
        x.is_running(),
        "stopping the application stopped the server"
    );
    drop(x);
    assert!(gone(server), "Xvfb {server} survived");
}

#[test]
fn stop_returns_the_exit_status() {
    let x = xvfb(64, 64);
    let app = x.spawn_app(["sh", "-c", "exit 3"]).unwrap();
    while app.is_running() {
        std::thread::yield_now();
    }
    assert_eq!(app.stop().unwrap().code(), Some(3));
    let status = x.stop().unwrap();
    assert!(status.success() || status.code().is_some(), "{status}");
}

#[test]
fn two_xvfb_started_at_once_get_displays_of_their_own() {
    let start = || std::thread::spawn(|| xvfb(320, 240));
    let (a, b) = (start(), start());
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    assert_ne!(a.display(), b.display());
    for x in [&a, &b] {
        let mut screen = X11Screen::open(Some(x.display())).unwrap();
        assert_eq!(screen.capture().unwrap().frame.width, 320);
    }
}

#[test]
fn a_missing_xvfb_names_the_package_to_install() {
    let err = Xvfb::start_with(&XvfbOptions {
        program: "Xvfb-is-not-installed".into(),
        ..XvfbOptions::default()
    })
    .unwrap_err();
    assert!(matches!(err, HeadlessError::XvfbNotFound { .. }), "{err}");
    assert!(
        err.to_string().contains("install the xvfb package"),
        "{err}"
    );
}

#[test]
fn an_xvfb_that_fails_to_start_shows_what_it_said() {
    let err = Xvfb::start_with(&XvfbOptions {
        extra_args: vec!["-no-such-option".into()],
        ..XvfbOptions::default()
    })
    .unwrap_err();
    assert!(matches!(err, HeadlessError::XvfbExited { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("Unrecognized option: -no-such-option"),
        "{err}"
    );
}

#[test]
fn screens_xvfb_cannot_make_are_refused_before_it_starts() {
    for (width, height, depth) in [(64, 64, 32), (100_000, 64, 24), (0, 64, 24)] {
        let geometry = ScreenGeometry {
            width,
            height,
            depth,
        };
        let err = Xvfb::start(geometry).unwrap_err();
        assert!(matches!(err, HeadlessError::BadGeometry { .. }), "{err}");
        assert!(err.to_string().contains(&geometry.to_string()), "{err}");
    }
}

#[test]
fn a_missing_application_is_a_clear_error() {
    let x = xvfb(64, 64);
    let err = x.spawn_app(["no-such-application-here"]).unwrap_err();
    assert!(matches!(err, HeadlessError::AppNotFound { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("\"no-such-application-here\" was not found"),
        "{err}"
    );
    let err = x.spawn_app(Vec::<String>::new()).unwrap_err();
    assert!(matches!(err, HeadlessError::NoCommand), "{err}");
}

#[test]
fn an_application_that_exits_early_ends_the_wait_for_its_window() {
    let x = xvfb(64, 64);
    let app = x.spawn_app(["sh", "-c", "exit 7"]).unwrap();
    let err = app.wait_for_window("xcalc", PATIENCE).unwrap_err();
    assert!(matches!(err, HeadlessError::AppExited { .. }), "{err}");
    assert!(err.to_string().contains("exit status: 7"), "{err}");
}

#[test]
fn a_window_that_never_appears_times_out_with_its_class() {
    let x = xvfb(64, 64);
    let app = x.spawn_app(["sleep", "1000"]).unwrap();
    let err = app
        .wait_for_window("xcalc", Duration::from_millis(300))
        .unwrap_err();
    assert!(matches!(err, HeadlessError::WindowTimeout { .. }), "{err}");
    assert!(err.to_string().contains("class \"xcalc\""), "{err}");
}

#[test]
fn windows_are_found_by_instance_or_class_name_and_placed_where_they_are() {
    let x = xvfb(640, 480);
    let app = x
        .spawn_app(["xclock", "-geometry", "100x100+30+40"])
        .unwrap();
    let window = app.wait_for_window("XClock", PATIENCE).unwrap();
    assert_eq!(
        (window.instance.as_str(), window.class.as_str()),
        ("xclock", "XClock")
    );
    // The geometry places the outer corner; the rect starts inside the
    // window's 1-pixel border.
    assert_eq!((window.rect.x, window.rect.y), (31, 41));
    assert_eq!((window.rect.width, window.rect.height), (100, 100));
}

#[test]
fn the_application_gets_the_display_and_no_wayland_and_ours_is_untouched() {
    let x = xvfb(64, 64);
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut command = std::process::Command::new("sh");
    command
        .args([
            "-c",
            "echo \"$DISPLAY|${WAYLAND_DISPLAY-unset}|$XDG_SESSION_TYPE\"",
        ])
        .env("WAYLAND_DISPLAY", "wayland-0")
        .stdout(out.reopen().unwrap());
    let app = x.spawn_command(command).unwrap();
    while app.is_running() {
        std::thread::yield_now();
    }
    let seen = std::fs::read_to_string(out.path()).unwrap();
    assert_eq!(seen.trim(), format!("{}|unset|x11", x.display()));
    assert_ne!(std::env::var("DISPLAY").ok().as_deref(), Some(x.display()));
}
