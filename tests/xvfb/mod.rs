//! A headless X server for the input tests: the library's own
//! `headless::Xvfb` at 1920x1080x24, stopped when dropped. Tests skip,
//! with a message, when Xvfb or a tool is missing.

#![allow(dead_code)]

use std::process::Command;

use trajectory::headless;
use trajectory::model::ScreenGeometry;

/// A running Xvfb.
pub struct Xvfb {
    _server: headless::Xvfb,
    /// The display name, `:N`.
    pub display: String,
}

impl Xvfb {
    /// Starts a 1920x1080x24 Xvfb, or returns `None` (after saying why) when
    /// Xvfb is not installed.
    pub fn start() -> Option<Xvfb> {
        if !have("Xvfb") {
            eprintln!("skipped: Xvfb is not installed (Debian: xvfb)");
            return None;
        }
        let geometry = ScreenGeometry {
            width: 1920,
            height: 1080,
            depth: 24,
        };
        let server =
            headless::Xvfb::start(geometry).expect("Xvfb is installed but would not start");
        let display = server.display().to_string();
        Some(Xvfb {
            _server: server,
            display,
        })
    }

    /// A command that runs on this display, without stray Wayland settings.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("DISPLAY", &self.display)
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("XDG_SESSION_TYPE");
        c
    }

    /// Runs `program args` on this display and waits for it to succeed.
    pub fn run(&self, program: &str, args: &[&str]) {
        let status = self
            .command(program)
            .args(args)
            .status()
            .unwrap_or_else(|e| panic!("running {program}: {e}"));
        assert!(status.success(), "{program} {args:?} failed: {status}");
    }
}

/// Whether `program` is on the PATH.
pub fn have(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// `true` when every program is installed; otherwise says which is missing.
pub fn have_all(programs: &[&str]) -> bool {
    for p in programs {
        if !have(p) {
            eprintln!("skipped: {p} is not installed (see .ci/setup)");
            return false;
        }
    }
    true
}
