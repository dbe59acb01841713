//! Helpers for the recorder's end-to-end tests: a private Xvfb with real X
//! programs on it, `trajectory record` run as the real binary, xdotool to
//! drive the programs, and the file read back.
//!
//! Nothing here sleeps for a fixed time where a condition can be waited
//! for: the recorder's "recording" line, a window mapped, the screen at
//! rest, a step count in the file being written.

#![allow(dead_code, reason = "each test file uses a different part")]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use trajectory::Frame;
use trajectory::format::{Opened, Reader};
use trajectory::headless::{App, MappedWindow, Xvfb};
use trajectory::model::{Header, Rect, ScreenGeometry, Step};
use trajectory::screen::{Screen, X11Screen};

/// How long a test waits for something it expects before it fails: long,
/// for a loaded machine; tests never rely on it passing.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// How long the screen must be unchanged to count as at rest. The
/// recognizer turns pointer motion into a move once the pointer rested for
/// 100 ms; resting longer also lets the recorder capture the screen the
/// motion left (a highlighted button) before the next action.
pub const REST: Duration = Duration::from_millis(400);

/// The xcalc start command the tests (and `fixtures/record-xcalc.sh`) use.
pub const XCALC: [&str; 3] = ["xcalc", "-geometry", "+100+100"];

/// A shell in xterm whose prompt and output are the same on every machine.
pub const XTERM: [&str; 12] = [
    "xterm",
    "-geometry",
    "80x24+0+0",
    "-e",
    "env",
    "-i",
    "PS1=$ ",
    "TERM=xterm",
    "HOME=/tmp",
    "bash",
    "--norc",
    "--noprofile",
];

/// The centre of xcalc's button at `column`, `row` (counted from 0) when
/// its window is at +100+100: buttons are 44 pixels apart across and 30
/// down, the first centred at (125, 176).
pub fn xcalc_button(column: i32, row: i32) -> (i32, i32) {
    (125 + 44 * column, 176 + 30 * row)
}

/// `true` when every program is installed; otherwise says which is missing
/// (the test then skips).
pub fn have(programs: &[&str]) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for p in programs {
        if !std::env::split_paths(&path).any(|dir| dir.join(p).is_file()) {
            eprintln!("skipped: {p} is not installed (see .ci/setup)");
            return false;
        }
    }
    true
}

/// A private 1920x1080x24 Xvfb.
pub fn xvfb() -> Xvfb {
    Xvfb::start(ScreenGeometry {
        width: 1920,
        height: 1080,
        depth: 24,
    })
    .expect("Xvfb starts (install the xvfb and xfonts-base packages)")
}

/// Starts `argv` on the display and waits until its window of class
/// `class` is mapped.
pub fn app(xvfb: &Xvfb, argv: &[&str], class: &str) -> (App, MappedWindow) {
    let app = xvfb.spawn_app(argv).expect("the program starts");
    let window = app
        .wait_for_window(class, PATIENCE)
        .expect("its window appears");
    (app, window)
}

/// Runs xdotool with `args` on `display` and checks that it succeeded.
pub fn xdotool(display: &str, args: &[&str]) {
    let status = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XDG_SESSION_TYPE")
        .status()
        .expect("xdotool runs");
    assert!(status.success(), "xdotool {args:?} failed: {status}");
}

/// Our own view of the screen, to wait for rest and to capture.
pub fn screen(display: &str) -> X11Screen {
    X11Screen::open(Some(display)).expect("the display can be captured")
}

/// Waits until nothing changed on the screen for [`REST`].
pub fn rest(screen: &mut X11Screen) {
    let still = screen.wait_until_still(REST, PATIENCE).expect("watching");
    assert!(still, "the screen did not come to rest within {PATIENCE:?}");
}

/// The screen now, as an owned frame (the fourth byte of each pixel 0xFF).
pub fn capture(screen: &mut X11Screen) -> Frame {
    screen.capture().expect("capture").frame.to_frame()
}

/// `trajectory record` running as a real process.
pub struct Recording {
    child: Child,
    pub output: PathBuf,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

/// The path of the built binary.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_trajectory")
}

impl Recording {
    /// Starts recording `display` into `output` with extra arguments, and
    /// waits until it says it is recording (input from then on is seen).
    pub fn start(display: &str, output: &Path, extra: &[&str]) -> Recording {
        let mut child = Command::new(binary())
            .args(["-v", "record", "--display", display, "-o"])
            .arg(output)
            .args(extra)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("XDG_SESSION_TYPE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the trajectory binary starts");
        let stderr = child.stderr.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        let kept = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&kept);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let mut rec = Recording {
            child,
            output: output.to_path_buf(),
            lines,
            stderr: kept,
            reader: Some(reader),
        };
        rec.wait_for_line("trajectory: recording");
        rec
    }

    /// Waits until the recorder writes a line on stderr containing `text`.
    pub fn wait_for_line(&mut self, text: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return,
                Ok(_) => {}
                Err(_) => {
                    let _ = self.child.kill();
                    panic!(
                        "the recorder did not say {text:?}; its stderr:\n{}",
                        self.stderr_text()
                    );
                }
            }
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the recorder wrote on stderr so far.
    pub fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Sends a signal (`rustix::process::Signal::INT`, `KILL`, ...).
    pub fn signal(&self, signal: rustix::process::Signal) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("a pid");
        rustix::process::kill_process(pid, signal).expect("the recorder can be signalled");
    }

    /// Waits until the file being written holds at least `steps` steps.
    pub fn wait_for_steps(&self, steps: usize) {
        let partial = partial(&self.output);
        let deadline = Instant::now() + PATIENCE;
        loop {
            let written = trajectory::format::scan_file(&partial, &mut |_| {})
                .map(|s| s.steps.len())
                .unwrap_or(0);
            if written >= steps {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} holds {written} steps, not {steps}, after {PATIENCE:?}; stderr:\n{}",
                partial.display(),
                self.stderr_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the recorder to end (it was stopped), and returns its exit
    /// status, stdout and stderr.
    pub fn wait(mut self) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waiting") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the recorder did not end within {PATIENCE:?}; stderr:\n{}",
                    self.stderr_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stdout = String::new();
        if let Some(mut out) = self.child.stdout.take() {
            out.read_to_string(&mut stdout).expect("reading stdout");
        }
        if let Some(reader) = self.reader.take() {
            reader.join().expect("the stderr reader");
        }
        (status, stdout, self.stderr_text())
    }

    /// Stops the recorder with Ctrl-C (SIGINT) and checks that it ended
    /// well; returns its stdout.
    pub fn interrupt(self) -> String {
        self.signal(rustix::process::Signal::INT);
        let (status, stdout, stderr) = self.wait();
        assert!(status.success(), "the recorder failed: {status}\n{stderr}");
        stdout
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `FILE.partial`.
pub fn partial(output: &Path) -> PathBuf {
    trajectory::format::partial_path(output)
}

/// The header and steps of a finished file, checking that it opened
/// through its trailer (it is complete) and that no partial file is left.
pub fn read(path: &Path) -> (Reader, Header, Vec<Step>) {
    assert!(
        !partial(path).exists(),
        "{} was left behind",
        partial(path).display()
    );
    let reader = Reader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        matches!(reader.opened(), Opened::Trailer),
        "{} has no trailer: {:?}",
        path.display(),
        reader.opened()
    );
    let header = reader.header().clone();
    let steps = reader.steps().to_vec();
    (reader, header, steps)
}

/// The steps' actions, as `trajectory show` prints them.
pub fn described(steps: &[Step]) -> Vec<String> {
    steps.iter().map(|s| s.action.to_string()).collect()
}

/// Whether two rectangles share a pixel.
pub fn overlaps(a: Rect, b: Rect) -> bool {
    let (ax1, ay1) = (a.x + a.width as i32, a.y + a.height as i32);
    let (bx1, by1) = (b.x + b.width as i32, b.y + b.height as i32);
    a.x < bx1 && b.x < ax1 && a.y < by1 && b.y < ay1
}

/// Saves two frames that should be equal side by side in a temporary
/// directory kept for inspection, and says where and how many pixels
/// differ.
pub fn explain_difference(what: &str, expected: &Frame, actual: &Frame) -> String {
    let dir = std::env::temp_dir().join(format!("trajectory-record-test-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let e = dir.join(format!("{what}-expected.png"));
    let a = dir.join(format!("{what}-actual.png"));
    let _ = expected.save_png(&e);
    let _ = actual.save_png(&a);
    let differing = expected
        .data()
        .chunks_exact(4)
        .zip(actual.data().chunks_exact(4))
        .filter(|(p, q)| p[..3] != q[..3])
        .count();
    format!(
        "{what}: {differing} pixels differ; see {} and {}",
        e.display(),
        a.display()
    )
}

/// How many times `needle` occurs in the bytes of the file at `path`.
pub fn occurrences(path: &Path, needle: &str) -> usize {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bytes
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}
