//! What the replay tests share: the built binary, a private X server with
//! real applications, and recording a trajectory of it the way the
//! recorder would (a capture right before each action, written with the
//! real format writer), with the actions done by xdotool, not by us.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use trajectory::format::Writer;
use trajectory::headless::{App, Xvfb};
use trajectory::model::{Action, CheckpointOverride, Header, Rect, ScreenGeometry, Step};
use trajectory::screen::{Screen, X11Screen};

/// How long tests wait for an application to come up on a loaded machine.
pub const PATIENCE: Duration = Duration::from_secs(30);

pub const HD: ScreenGeometry = ScreenGeometry {
    width: 1920,
    height: 1080,
    depth: 24,
};

/// xcalc started at +100+100: the centre of the button in `column`, `row`
/// (its buttons are 44 pixels apart across, 30 down, with xfonts-base).
pub fn xcalc_button(column: i32, row: i32) -> (i32, i32) {
    (125 + 44 * column, 176 + 30 * row)
}

/// xcalc's display, at +100+100.
pub const XCALC_DISPLAY: Rect = Rect {
    x: 104,
    y: 102,
    width: 218,
    height: 50,
};

/// `true` when every program is installed; otherwise says which is
/// missing, and the test returns early.
pub fn have_all(programs: &[&str]) -> bool {
    for p in programs {
        let found = std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(p).is_file()));
        if !found {
            eprintln!("skipped: {p} is not installed (.ci/setup installs it)");
            return false;
        }
    }
    true
}

/// A file in `fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The `trajectory` binary, without stray Wayland settings, run from
/// Cargo's scratch directory for tests so that a run without
/// `--report-dir` never writes its default `trajectory-report/` into the
/// source tree.
pub fn trajectory() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trajectory"));
    c.current_dir(env!("CARGO_TARGET_TMPDIR"))
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XDG_SESSION_TYPE")
        .env_remove("RUST_LOG");
    c
}

/// Runs `trajectory replay ARGS...` and waits for it.
pub fn replay(args: &[&str]) -> Output {
    trajectory()
        .arg("replay")
        .args(args)
        .output()
        .expect("the binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The report.json in `dir`.
pub fn report(dir: &Path) -> serde_json::Value {
    let path = dir.join("report.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A private 1920x1080 X server with applications on it.
pub struct Desktop {
    pub apps: Vec<App>,
    pub xvfb: Xvfb,
}

impl Desktop {
    pub fn start() -> Desktop {
        Desktop {
            apps: Vec::new(),
            xvfb: Xvfb::start(HD).expect("Xvfb starts"),
        }
    }

    pub fn display(&self) -> &str {
        self.xvfb.display()
    }

    /// Starts `argv` and waits for its window of class `class`; returns
    /// where the window is.
    pub fn app(&mut self, argv: &[&str], class: &str) -> Rect {
        let app = self.xvfb.spawn_app(argv).expect("the application starts");
        let window = app
            .wait_for_window(class, PATIENCE)
            .expect("the application's window appears");
        self.apps.push(app);
        window.rect
    }

    /// Runs xdotool with `args` on this display.
    pub fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", self.display())
            .status()
            .expect("xdotool runs");
        assert!(status.success(), "xdotool {args:?}: {status}");
    }

    /// A screen handle on this display.
    pub fn screen(&self) -> X11Screen {
        X11Screen::open(Some(self.display())).expect("the screen opens")
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // Applications before their server.
        self.apps.clear();
    }
}

/// Waits until nothing has been drawn for 300 ms.
pub fn settle(screen: &mut X11Screen) {
    let still = screen
        .wait_until_still(Duration::from_millis(300), PATIENCE)
        .unwrap();
    assert!(still, "the screen never became still");
}

/// Records a trajectory as the recorder does: before each action, the
/// screen once it is still, then the action, done by the caller.
pub struct Recording {
    pub screen: X11Screen,
    writer: Option<Writer>,
    start: Instant,
    pub path: PathBuf,
}

impl Recording {
    pub fn start(desktop: &Desktop, path: &Path) -> Recording {
        let screen = desktop.screen();
        let mut header = Header::new(HD);
        screen.environment().unwrap().fill_header(&mut header);
        Recording {
            screen,
            writer: Some(Writer::create(path, &header).unwrap()),
            start: Instant::now(),
            path: path.to_path_buf(),
        }
    }

    /// Changes the header (masks, variables) before the file is finished.
    pub fn header(&mut self, change: impl FnOnce(&mut Header)) {
        let w = self.writer.as_mut().unwrap();
        let mut h = w.header().clone();
        change(&mut h);
        w.set_header(&h).unwrap();
    }

    /// Captures the screen once still and writes a step with `action`; the
    /// caller then performs the action.
    pub fn step(&mut self, action: Action) {
        self.step_with(action, CheckpointOverride::default());
    }

    pub fn step_with(&mut self, action: Action, checkpoint: CheckpointOverride) {
        settle(&mut self.screen);
        let capture = self.screen.capture().unwrap();
        let w = self.writer.as_mut().unwrap();
        let frame = w.push_frame(capture.frame).unwrap();
        w.push_step(&Step {
            at_us: self.start.elapsed().as_micros() as u64,
            action,
            frame,
            checkpoint,
        })
        .unwrap();
    }

    /// Writes a step whose frame is `frame` instead of the screen.
    pub fn step_expecting(&mut self, action: Action, frame: &trajectory::Frame) {
        let w = self.writer.as_mut().unwrap();
        let frame = w.push_frame(frame.as_ref()).unwrap();
        w.push_step(&Step {
            at_us: self.start.elapsed().as_micros() as u64,
            action,
            frame,
            checkpoint: CheckpointOverride::default(),
        })
        .unwrap();
    }

    pub fn finish(mut self) -> PathBuf {
        self.writer.take().unwrap().finish().unwrap();
        self.path.clone()
    }
}

/// How many pixels differ inside `area` between two BGRX screens of the
/// same width.
pub fn differing_in(width: u32, a: &[u8], b: &[u8], area: Rect) -> usize {
    let mut n = 0;
    for y in area.y..area.y + area.height as i32 {
        for x in area.x..area.x + area.width as i32 {
            let i = (y as usize * width as usize + x as usize) * 4;
            if a[i..i + 3] != b[i..i + 3] {
                n += 1;
            }
        }
    }
    n
}
