//! The X11 screen on a real Xvfb: captures through MIT-SHM and GetImage,
//! DAMAGE-driven waiting, size changes and refused pixel formats.

mod screen_support;

use std::time::{Duration, Instant};

use screen_support::{PATIENCE, Painter, covered, differing_pixels, run, xvfb};
use trajectory::headless::{Xvfb, XvfbOptions};
use trajectory::model::{Rect, ScreenGeometry};
use trajectory::screen::{CaptureMethod, Screen, ScreenError, X11Screen};

fn open(display: &str, method: CaptureMethod) -> X11Screen {
    X11Screen::open_with(Some(display), method).expect("the screen opens")
}

#[test]
fn a_solid_root_is_captured_in_its_colour_and_without_the_pointer() {
    let x = xvfb(320, 200);
    run(x.display(), &["xsetroot", "-solid", "#336699"]);
    // Xvfb draws its pointer into the framebuffer; captures leave it out.
    run(x.display(), &["xdotool", "mousemove", "160", "100"]);

    for method in [CaptureMethod::Shm, CaptureMethod::GetImage] {
        let mut screen = open(x.display(), method);
        assert_eq!(screen.capture_method(), method);
        let capture = screen.capture().unwrap();
        assert_eq!((capture.frame.width, capture.frame.height), (320, 200));
        let wrong = capture
            .frame
            .data
            .chunks_exact(4)
            .filter(|px| px[..3] != [0x99, 0x66, 0x33])
            .count();
        assert_eq!(wrong, 0, "{method:?}: pixels not #336699 (as BGR)");
    }
}

#[test]
fn auto_picks_shm_on_a_local_xvfb() {
    let x = xvfb(64, 64);
    let screen = open(x.display(), CaptureMethod::Auto);
    assert_eq!(screen.capture_method(), CaptureMethod::Shm);
}

#[test]
fn shm_and_get_image_capture_xcalc_and_xterm_identically() {
    let x = xvfb(1920, 1080);
    let xcalc = x.spawn_app(["xcalc", "-geometry", "+20+20"]).unwrap();
    let xterm = x
        .spawn_app(["xterm", "-geometry", "80x24+400+20", "-e", "ls -l /; cat"])
        .unwrap();
    let windows = [
        xcalc.wait_for_window("xcalc", PATIENCE).unwrap(),
        xterm.wait_for_window("xterm", PATIENCE).unwrap(),
    ];

    let mut shm = open(x.display(), CaptureMethod::Shm);
    let mut core = open(x.display(), CaptureMethod::GetImage);
    assert!(
        shm.wait_until_still(Duration::from_millis(500), PATIENCE)
            .unwrap(),
        "the applications never stopped drawing"
    );
    let a = shm.capture().unwrap().frame.to_frame();
    let b = core.capture().unwrap().frame.to_frame();
    let differ = differing_pixels(1920, a.data(), b.data());
    assert!(differ.is_empty(), "{} pixels differ", differ.len());

    // Both applications drew (black on white): their windows are not blank.
    for w in windows {
        let r = w.rect;
        let mut colours: Vec<&[u8]> = (r.y..r.y + r.height as i32)
            .flat_map(|y| (r.x..r.x + r.width as i32).map(move |x| (x, y)))
            .map(|(x, y)| &a.data()[(y as usize * 1920 + x as usize) * 4..][..3])
            .collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(colours.len() >= 2, "{} is blank", w.instance);
    }
}

#[test]
fn the_first_capture_reports_the_whole_screen_and_a_still_screen_nothing() {
    let x = xvfb(200, 100);
    let mut screen = open(x.display(), CaptureMethod::Auto);
    assert_eq!(
        screen.wait_for_change(Duration::ZERO).unwrap(),
        Some(vec![Rect::new(0, 0, 200, 100)]),
        "before the first capture, everything is new"
    );
    assert_eq!(
        screen.capture().unwrap().changed,
        vec![Rect::new(0, 0, 200, 100)]
    );
    assert_eq!(screen.capture().unwrap().changed, vec![]);
}

#[test]
fn waiting_on_a_still_screen_times_out() {
    let x = xvfb(200, 100);
    let mut screen = open(x.display(), CaptureMethod::Auto);
    screen.capture().unwrap();
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    assert_eq!(screen.wait_for_change(timeout).unwrap(), None);
    assert!(started.elapsed() >= timeout, "returned before the timeout");
}

#[test]
fn damage_before_a_capture_is_not_reported_after_it() {
    let x = xvfb(200, 100);
    let painter = Painter::new(x.display());
    let mut screen = open(x.display(), CaptureMethod::Auto);
    screen.capture().unwrap();

    painter.fill(Rect::new(10, 10, 20, 20), 0xff0000);
    let capture = screen.capture().unwrap();
    assert_eq!(capture.changed, vec![Rect::new(10, 10, 20, 20)]);
    assert_eq!(
        &capture.frame.data[(10 * 200 + 10) * 4..][..3],
        &[0, 0, 0xff]
    );
    assert_eq!(
        screen.wait_for_change(Duration::from_millis(200)).unwrap(),
        None
    );
}

#[test]
fn damage_between_a_wait_and_a_capture_is_not_lost() {
    let x = xvfb(200, 100);
    let painter = Painter::new(x.display());
    let mut screen = open(x.display(), CaptureMethod::Auto);
    screen.capture().unwrap();

    let a = Rect::new(0, 0, 10, 10);
    let b = Rect::new(100, 50, 10, 10);
    painter.fill(a, 0x00ff00);
    let waited = screen.wait_for_change(PATIENCE).unwrap().expect("a change");
    assert_eq!(waited, vec![a]);
    painter.fill(b, 0x0000ff);

    let capture = screen.capture().unwrap();
    for r in [a, b] {
        assert!(
            covered(&capture.changed, r.x as u32, r.y as u32),
            "{r} missing"
        );
    }
    assert_eq!(
        &capture.frame.data[(50 * 200 + 100) * 4..][..3],
        &[0xff, 0, 0]
    );
    assert_eq!(
        screen.wait_for_change(Duration::from_millis(200)).unwrap(),
        None
    );
}

#[test]
fn damage_wakes_a_waiter_when_xterm_draws_and_covers_what_changed() {
    let x = xvfb(800, 600);
    let xterm = x
        .spawn_app(["xterm", "-geometry", "80x24+10+10", "-e", "cat"])
        .unwrap();
    let window = xterm.wait_for_window("xterm", PATIENCE).unwrap();
    // Keyboard focus follows the pointer on a bare Xvfb.
    let (cx, cy) = (
        window.rect.x + window.rect.width as i32 / 2,
        window.rect.y + window.rect.height as i32 / 2,
    );
    run(
        x.display(),
        &["xdotool", "mousemove", &cx.to_string(), &cy.to_string()],
    );

    let mut screen = open(x.display(), CaptureMethod::Auto);
    assert!(
        screen
            .wait_until_still(Duration::from_millis(500), PATIENCE)
            .unwrap()
    );
    let before = screen.capture().unwrap().frame.to_frame();

    let display = x.display().to_string();
    let typist = std::thread::spawn(move || run(&display, &["xdotool", "type", "hello"]));
    let woke = screen.wait_for_change(PATIENCE).unwrap();
    typist.join().unwrap();
    let woke = woke.expect("typing into xterm damages the screen");
    assert!(!woke.is_empty());

    assert!(
        screen
            .wait_until_still(Duration::from_millis(500), PATIENCE)
            .unwrap()
    );
    let after = screen.capture().unwrap();
    let differ = differing_pixels(800, before.data(), after.frame.data);
    assert!(!differ.is_empty(), "the typed text is not on screen");
    let outside: Vec<_> = differ
        .iter()
        .filter(|&&(x, y)| !covered(&after.changed, x, y))
        .collect();
    assert!(
        outside.is_empty(),
        "{} changed pixels outside the reported areas {:?}, e.g. {:?}",
        outside.len(),
        after.changed,
        outside[0]
    );
}

#[test]
fn captures_carry_the_server_time_in_order() {
    let x = xvfb(64, 64);
    let mut screen = open(x.display(), CaptureMethod::Auto);
    let first = screen
        .capture()
        .unwrap()
        .server_time
        .expect("a server time");
    std::thread::sleep(Duration::from_millis(20));
    let second = screen
        .capture()
        .unwrap()
        .server_time
        .expect("a server time");
    assert!(second > first, "{second} is not after {first}");
}

#[test]
fn a_resized_screen_fails_the_next_capture() {
    let x = xvfb(800, 600);
    let mut screen = open(x.display(), CaptureMethod::Auto);
    screen.capture().unwrap();
    // xrandr complains that the output does not fit, but resizes the
    // screen all the same; only the resize matters here.
    let _ = std::process::Command::new("xrandr")
        .args(["--fb", "640x480"])
        .env("DISPLAY", x.display())
        .output()
        .expect("xrandr runs (x11-xserver-utils)");

    let err = screen
        .wait_for_change(PATIENCE)
        .and_then(|_| screen.capture().map(|_| ()))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ScreenError::GeometryChanged {
                expected_width: 800,
                found_width: 640,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("from 800x600 to 640x480"), "{err}");
    assert!(screen.capture().is_err(), "the error stays");
}

#[test]
fn a_screen_of_depth_16_is_refused_with_what_it_has() {
    let x = Xvfb::start_with(&XvfbOptions {
        geometry: ScreenGeometry {
            width: 64,
            height: 64,
            depth: 16,
        },
        ..XvfbOptions::default()
    })
    .unwrap();
    let err = X11Screen::open(Some(x.display())).unwrap_err();
    assert!(
        matches!(err, ScreenError::UnsupportedFormat { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("depth 16 at 16 bits per pixel"),
        "{err}"
    );
}

#[test]
fn an_unreachable_display_is_named_in_the_error() {
    let err = X11Screen::open(Some(":5999")).unwrap_err();
    assert!(matches!(err, ScreenError::Connect { .. }), "{err}");
    assert!(err.to_string().contains("\":5999\""), "{err}");
    // x11rb would overflow computing the TCP port of this one.
    let err = X11Screen::open(Some(":65000")).unwrap_err();
    assert!(matches!(err, ScreenError::BadDisplayName { .. }), "{err}");
}
