//! Helpers for the screen and headless tests: a private Xvfb, X programs
//! run on it, and drawing on its root window from a connection of our own.

#![allow(dead_code, reason = "each test file uses a different part")]

use std::process::Command;
use std::time::Duration;

use trajectory::headless::Xvfb;
use trajectory::model::{Rect, ScreenGeometry};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt as _, CreateGCAux, Rectangle};
use x11rb::rust_connection::RustConnection;

/// Long enough for a loaded CI machine; tests never rely on it passing.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A private Xvfb of the given size, depth 24.
pub fn xvfb(width: u32, height: u32) -> Xvfb {
    Xvfb::start(ScreenGeometry {
        width,
        height,
        depth: 24,
    })
    .expect("Xvfb starts (install the xvfb and xfonts-base packages)")
}

/// Runs an X client to completion on `display` and checks it succeeded.
pub fn run(display: &str, argv: &[&str]) {
    let status = Command::new(argv[0])
        .args(&argv[1..])
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XDG_SESSION_TYPE")
        .status()
        .unwrap_or_else(|e| panic!("cannot run {argv:?}: {e}"));
    assert!(status.success(), "{argv:?} failed: {status}");
}

/// Draws on the root window of a display, as an application would.
pub struct Painter {
    conn: RustConnection,
    root: u32,
}

impl Painter {
    pub fn new(display: &str) -> Painter {
        let (conn, screen) = x11rb::connect(Some(display)).expect("connect");
        let root = conn.setup().roots[screen].root;
        Painter { conn, root }
    }

    /// Fills `rect` with `rgb` (0xRRGGBB) and waits until the server has
    /// done it.
    pub fn fill(&self, rect: Rect, rgb: u32) {
        let gc = self.conn.generate_id().unwrap();
        self.conn
            .create_gc(gc, self.root, &CreateGCAux::new().foreground(rgb))
            .unwrap();
        let r = Rectangle {
            x: rect.x as i16,
            y: rect.y as i16,
            width: rect.width as u16,
            height: rect.height as u16,
        };
        self.conn.poly_fill_rectangle(self.root, gc, &[r]).unwrap();
        self.conn.free_gc(gc).unwrap();
        // A round trip: when it returns, the server has drawn.
        self.conn.get_input_focus().unwrap().reply().unwrap();
    }
}

/// Whether `rects` together cover the pixel (x, y).
pub fn covered(rects: &[Rect], x: u32, y: u32) -> bool {
    let (x, y) = (i64::from(x), i64::from(y));
    rects.iter().any(|r| {
        let (rx, ry) = (i64::from(r.x), i64::from(r.y));
        x >= rx && y >= ry && x < rx + i64::from(r.width) && y < ry + i64::from(r.height)
    })
}

/// The pixels whose colour differs (the spare byte ignored) between two
/// BGRX images of the same size.
pub fn differing_pixels(width: u32, a: &[u8], b: &[u8]) -> Vec<(u32, u32)> {
    a.chunks_exact(4)
        .zip(b.chunks_exact(4))
        .enumerate()
        .filter(|(_, (p, q))| p[..3] != q[..3])
        .map(|(i, _)| (i as u32 % width, i as u32 / width))
        .collect()
}

/// Processes of the process group `pgid` that are alive (zombies waiting to
/// be reaped by init do not count), from `/proc`.
pub fn live_group_members(pgid: u32) -> Vec<String> {
    let mut live = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().filter_map(Result::ok) {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 2 && fields[2] == pgid.to_string() && fields[0] != "Z" {
            live.push(stat.trim().to_string());
        }
    }
    live
}
