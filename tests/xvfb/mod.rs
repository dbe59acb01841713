//! A headless X server for the input tests: Xvfb on a free display (it
//! picks one and writes its number to a pipe, `-displayfd`), stopped when
//! dropped. Tests skip, with a message, when Xvfb or a tool is missing.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running Xvfb.
pub struct Xvfb {
    child: Child,
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
        // Xvfb writes the display number to the descriptor -displayfd
        // names; its standard output is a pipe we read.
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1920x1080x24"])
            .args(["-nolisten", "tcp", "-noreset"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is installed but would not start");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading Xvfb's display number");
        let number: u32 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("Xvfb wrote {line:?} instead of a display number"));
        Some(Xvfb {
            child,
            display: format!(":{number}"),
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

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
