//! The xcap back end (cargo feature `xcap`) on a real Xvfb, against the X11
//! capture of the same screen.
//!
//! xcap reads the display from `DISPLAY` only, and a test must not change
//! its own environment (other tests run beside it), so the test runs itself
//! again as a child process with `DISPLAY` pointing at a private Xvfb.

#![cfg(feature = "xcap")]

mod screen_support;

use std::process::Command;
use std::time::Duration;

use screen_support::{PATIENCE, Painter, covered, run, xvfb};
use trajectory::model::Rect;
use trajectory::screen::{Screen, X11Screen, XcapScreen};

const CHILD: &str = "TRAJECTORY_XCAP_TEST_CHILD";

#[test]
fn xcap_captures_what_x11_captures_and_sees_changes() {
    if std::env::var_os(CHILD).is_some() {
        return in_child();
    }
    let x = xvfb(320, 200);
    run(x.display(), &["xsetroot", "-solid", "#336699"]);
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "xcap_captures_what_x11_captures_and_sees_changes",
        ])
        .args(["--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("DISPLAY", x.display())
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XDG_SESSION_TYPE")
        .status()
        .unwrap();
    assert!(status.success(), "the test failed in the child: {status}");
}

fn in_child() {
    let display = std::env::var("DISPLAY").unwrap();
    let mut xcap = XcapScreen::open_primary().unwrap();
    let mut x11 = X11Screen::open(None).unwrap();
    assert_eq!(xcap.geometry(), x11.geometry());

    let first = xcap.capture().unwrap();
    assert_eq!(first.changed, vec![Rect::new(0, 0, 320, 200)]);
    let expected = x11.capture().unwrap().frame.to_frame();
    let same = first
        .frame
        .data
        .chunks_exact(4)
        .zip(expected.data().chunks_exact(4))
        .all(|(a, b)| a[..3] == b[..3]);
    assert!(same, "xcap and X11 captures differ");
    assert_eq!(&first.frame.data[..3], &[0x99, 0x66, 0x33]);

    xcap.set_interval(Duration::from_millis(10));
    assert_eq!(
        xcap.wait_for_change(Duration::from_millis(100)).unwrap(),
        None
    );
    let square = Rect::new(40, 30, 8, 6);
    Painter::new(&display).fill(square, 0xffffff);
    let waited = xcap.wait_for_change(PATIENCE).unwrap();
    assert_eq!(waited, Some(vec![square]));
    let capture = xcap.capture().unwrap();
    assert!(covered(&capture.changed, 40, 30) && covered(&capture.changed, 47, 35));
    assert_eq!(
        &capture.frame.data[(30 * 320 + 40) * 4..][..3],
        &[0xff, 0xff, 0xff]
    );
}
