//! Screen capture and DAMAGE costs on a private 1920x1080x24 Xvfb showing
//! xcalc and xterm.
//!
//! ```text
//! cargo bench --bench capture
//! ```
//!
//! - `capture/1080p/shm`: a capture in place through MIT-SHM, with the
//!   damage bookkeeping and server time every capture does (the replay's
//!   checkpoint path);
//! - `capture/1080p/shm+copy`: the same, copied into an owned `Frame` (what
//!   the recorder keeps);
//! - `capture/1080p/get-image`: the core `GetImage` fallback;
//! - `damage/draw-to-wake`: another client draws an 8x8 square; the time
//!   until `wait_for_change` returns with it;
//! - `damage/x-round-trip`: a bare request/reply round trip to the same
//!   server, for scale.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use trajectory::headless::Xvfb;
use trajectory::model::ScreenGeometry;
use trajectory::screen::{CaptureMethod, Screen, X11Screen};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, CreateGCAux, Rectangle};
use x11rb::rust_connection::RustConnection;

const PATIENCE: Duration = Duration::from_secs(30);

/// The server and applications the benches capture.
struct Desktop {
    xvfb: Xvfb,
    _apps: Vec<trajectory::headless::App>,
}

fn desktop() -> Desktop {
    let xvfb = Xvfb::start(ScreenGeometry {
        width: 1920,
        height: 1080,
        depth: 24,
    })
    .expect("Xvfb starts (install the xvfb and xfonts-base packages)");
    let xcalc = xvfb.spawn_app(["xcalc", "-geometry", "+40+40"]).unwrap();
    let xterm = xvfb
        .spawn_app([
            "xterm",
            "-geometry",
            "100x40+500+40",
            "-e",
            "ls -lR /usr/share/doc | head -50; cat",
        ])
        .unwrap();
    xcalc.wait_for_window("xcalc", PATIENCE).unwrap();
    xterm.wait_for_window("xterm", PATIENCE).unwrap();
    let mut screen = X11Screen::open(Some(xvfb.display())).unwrap();
    screen
        .wait_until_still(Duration::from_millis(500), PATIENCE)
        .unwrap();
    Desktop {
        xvfb,
        _apps: vec![xcalc, xterm],
    }
}

fn capture(c: &mut Criterion) {
    let desktop = desktop();
    let display = desktop.xvfb.display();
    let mut shm = X11Screen::open_with(Some(display), CaptureMethod::Shm).unwrap();
    let mut core = X11Screen::open_with(Some(display), CaptureMethod::GetImage).unwrap();

    let mut group = c.benchmark_group("capture/1080p");
    group.throughput(Throughput::Bytes(1920 * 1080 * 4));
    group.bench_function("shm", |b| {
        b.iter(|| shm.capture().unwrap().frame.data.len());
    });
    group.bench_function("shm+copy", |b| {
        b.iter(|| shm.capture().unwrap().frame.to_frame());
    });
    group.sample_size(20);
    group.bench_function("get-image", |b| {
        b.iter(|| core.capture().unwrap().frame.data.len());
    });
    group.finish();
}

fn damage(c: &mut Criterion) {
    let desktop = desktop();
    let display = desktop.xvfb.display();
    let mut screen = X11Screen::open(Some(display)).unwrap();
    let (painter, screen_num) = x11rb::connect(Some(display)).unwrap();
    let root = painter.setup().roots[screen_num].root;
    let gc = painter.generate_id().unwrap();
    painter
        .create_gc(gc, root, &CreateGCAux::new().foreground(0))
        .unwrap();

    let mut group = c.benchmark_group("damage");
    group.bench_function("draw-to-wake", |b| {
        let mut colour = 0u32;
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                screen.capture().unwrap();
                colour = colour.wrapping_add(0x010101) & 0xffffff;
                let started = Instant::now();
                draw(&painter, root, gc, colour);
                let changed = screen.wait_for_change(PATIENCE).unwrap();
                total += started.elapsed();
                assert!(changed.is_some(), "no damage reported");
            }
            total
        });
    });
    group.bench_function("x-round-trip", |b| {
        b.iter(|| painter.get_input_focus().unwrap().reply().unwrap());
    });
    group.finish();
}

/// Fills an 8x8 square at the screen's bottom right, away from the
/// applications, and sends it without waiting for the server.
fn draw(conn: &RustConnection, root: u32, gc: u32, colour: u32) {
    use x11rb::protocol::xproto::ChangeGCAux;
    conn.change_gc(gc, &ChangeGCAux::new().foreground(colour))
        .unwrap();
    let square = Rectangle {
        x: 1900,
        y: 1060,
        width: 8,
        height: 8,
    };
    conn.poly_fill_rectangle(root, gc, &[square]).unwrap();
    conn.flush().unwrap();
}

criterion_group!(benches, capture, damage);
criterion_main!(benches);
