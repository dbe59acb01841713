//! A private X server (Xvfb) and the application under test on it.
//!
//! [`Xvfb::start`] starts a server on a free display (`-displayfd` picks
//! it, so several can run at once), waits until it accepts connections and
//! hands back its display name. [`Xvfb::spawn_app`] starts a program on it,
//! with `DISPLAY` set for that program only, and
//! [`App::wait_for_window`] waits until the program's window is on screen.
//! Dropping a handle stops the process and everything it started: SIGTERM,
//! then SIGKILL after a grace period, and the processes are reaped. Drop
//! the application before the server (Rust drops locals in reverse order of
//! declaration, so declaring the server first does it).
//!
//! On Ctrl-C, a handler can call [`terminate_all`] (or [`kill_all`]): it
//! signals every server and application still running, and is safe to call
//! from a signal handler.
//!
//! ```no_run
//! use std::time::Duration;
//! use trajectory::headless::Xvfb;
//! use trajectory::model::ScreenGeometry;
//!
//! # fn main() -> Result<(), trajectory::headless::HeadlessError> {
//! let geometry = ScreenGeometry { width: 1280, height: 720, depth: 24 };
//! let xvfb = Xvfb::start(geometry)?;
//! let app = xvfb.spawn_app(["xcalc"])?;
//! let window = app.wait_for_window("xcalc", Duration::from_secs(30))?;
//! println!("xcalc is at {} on display {}", window.rect, xvfb.display());
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::process::{ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::model::ScreenGeometry;
use crate::screen::poll::wait_readable;

mod app;
mod error;
mod process;
mod window;

pub use app::App;
pub use error::HeadlessError;
pub use process::{kill_all, terminate_all};
pub use window::MappedWindow;

use process::GroupChild;

/// The largest screen side Xvfb is asked for. The geometry may come from a
/// trajectory file, and Xvfb allocates the whole framebuffer at once:
/// 16384 pixels a side (1 GiB at 32 bits a pixel) covers 8K screens.
pub const MAX_SIDE: u32 = 16384;

/// How much of Xvfb's stderr is kept to explain a failure.
const STDERR_TAIL: usize = 8 * 1024;

/// How to start Xvfb.
#[derive(Debug, Clone)]
pub struct XvfbOptions {
    /// Size and depth of the screen (`-screen 0 WxHxD`), at most
    /// [`MAX_SIDE`] pixels a side. Depth 24 is the one captures support.
    pub geometry: ScreenGeometry,
    /// Resolution (`-dpi`); Xvfb's own default (100) when `None`.
    pub dpi: Option<u32>,
    /// The server program, `Xvfb` on `PATH` by default.
    pub program: OsString,
    /// More arguments for the server, after the ones set here.
    pub extra_args: Vec<OsString>,
    /// How long the server may take to accept connections.
    pub start_timeout: Duration,
    /// How long the server (and an application started on it) may take to
    /// exit after SIGTERM before it gets SIGKILL.
    pub stop_grace: Duration,
}

impl Default for XvfbOptions {
    /// A 1920x1080x24 screen at Xvfb's default DPI.
    fn default() -> XvfbOptions {
        XvfbOptions {
            geometry: ScreenGeometry {
                width: 1920,
                height: 1080,
                depth: 24,
            },
            dpi: None,
            program: "Xvfb".into(),
            extra_args: Vec::new(),
            // Generous: a loaded CI machine can take seconds to run xkbcomp.
            start_timeout: Duration::from_secs(30),
            stop_grace: Duration::from_secs(5),
        }
    }
}

/// A running Xvfb. Dropping it stops the server.
#[derive(Debug)]
pub struct Xvfb {
    group: GroupChild,
    display: String,
    geometry: ScreenGeometry,
    stop_grace: Duration,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Kept open: Xvfb may write to it again, and must not get SIGPIPE.
    _stdout: ChildStdout,
}

impl Xvfb {
    /// Starts Xvfb with a screen of the given geometry and waits until it
    /// accepts connections.
    ///
    /// # Errors
    ///
    /// Xvfb is not installed, exits before it is ready (the error holds its
    /// stderr), or is not ready within 30 seconds.
    pub fn start(geometry: ScreenGeometry) -> Result<Xvfb, HeadlessError> {
        Xvfb::start_with(&XvfbOptions {
            geometry,
            ..XvfbOptions::default()
        })
    }

    /// Starts Xvfb as `options` say and waits until it accepts connections.
    ///
    /// # Errors
    ///
    /// As [`start`](Xvfb::start).
    pub fn start_with(options: &XvfbOptions) -> Result<Xvfb, HeadlessError> {
        let program = options.program.to_string_lossy().into_owned();
        let g = options.geometry;
        check_geometry(g)?;
        let mut command = Command::new(&options.program);
        // -displayfd 1: the server picks a free display and writes its
        // number to our pipe once it accepts connections. -noreset: without
        // it the server resets whenever its last client disconnects.
        command
            .args([
                "-displayfd",
                "1",
                "-nolisten",
                "tcp",
                "-noreset",
                "-screen",
                "0",
            ])
            .arg(format!("{}x{}x{}", g.width, g.height, g.depth));
        if let Some(dpi) = options.dpi {
            command.arg("-dpi").arg(dpi.to_string());
        }
        command
            .args(&options.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut group = GroupChild::spawn(&mut command).map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                HeadlessError::XvfbNotFound {
                    program: program.clone(),
                }
            } else {
                HeadlessError::XvfbSpawn {
                    program: program.clone(),
                    source,
                }
            }
        })?;
        let (stderr, mut stderr_reader) = tail_stderr(&mut group);
        let stdout = group.child_mut().stdout.take();

        let started = Instant::now();
        let mut failed = |group: &mut GroupChild, error: XvfbFailure| {
            let status = group.stop(options.stop_grace).ok();
            // The server is gone, so its stderr is at its end: let the
            // reader take the last words, which say why it failed.
            if let Some(reader) = stderr_reader.take() {
                let _ = reader.join();
            }
            let output = text(&stderr);
            Err(match error {
                XvfbFailure::Exited => HeadlessError::XvfbExited {
                    program: program.clone(),
                    status: status.map_or_else(|| "an unknown status".into(), |s| s.to_string()),
                    stderr: output,
                },
                XvfbFailure::Timeout => HeadlessError::XvfbTimeout {
                    program: program.clone(),
                    waited: started.elapsed(),
                    stderr: output,
                },
                XvfbFailure::Io(source) => HeadlessError::XvfbSpawn {
                    program: program.clone(),
                    source,
                },
            })
        };
        let Some(mut stdout) = stdout else {
            return failed(
                &mut group,
                XvfbFailure::Io(io::Error::other("no stdout pipe")),
            );
        };
        let number = match read_display_number(&mut stdout, started + options.start_timeout) {
            Ok(Some(number)) => number,
            Ok(None) => return failed(&mut group, XvfbFailure::Exited),
            Err(err) if err.kind() == io::ErrorKind::TimedOut => {
                return failed(&mut group, XvfbFailure::Timeout);
            }
            Err(err) if err.kind() == io::ErrorKind::InvalidData => {
                group.stop(options.stop_grace).ok();
                return Err(HeadlessError::XvfbBadDisplay {
                    program,
                    output: err.to_string(),
                });
            }
            Err(err) => return failed(&mut group, XvfbFailure::Io(err)),
        };
        let display = format!(":{number}");

        // -displayfd promises the server is ready; one connection proves it
        // and turns a server that cannot be reached into a clear error.
        if let Err(source) = x11rb::connect(Some(&display)) {
            group.stop(options.stop_grace).ok();
            return Err(HeadlessError::XvfbUnreachable { display, source });
        }
        log::debug!(
            "started {program} on display {display} ({g}), pid {}, in {:.0?}",
            group.pid(),
            started.elapsed()
        );
        Ok(Xvfb {
            group,
            display,
            geometry: g,
            stop_grace: options.stop_grace,
            stderr,
            _stdout: stdout,
        })
    }

    /// The display name, such as `:7`, to connect to or to put in `DISPLAY`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The geometry the screen was started with.
    pub fn geometry(&self) -> ScreenGeometry {
        self.geometry
    }

    /// The server's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.group.pid()
    }

    /// Whether the server is still running.
    pub fn is_running(&self) -> bool {
        !self.group.has_exited()
    }

    /// The last lines the server wrote to stderr (at most 8 KiB).
    pub fn stderr(&self) -> String {
        text(&self.stderr)
    }

    /// Starts `argv` (program, then arguments) on this display. See
    /// [`App`] for how it is run.
    ///
    /// # Errors
    ///
    /// The command is empty, the program is not found, or it cannot be
    /// started.
    pub fn spawn_app<I, S>(&self, argv: I) -> Result<App, HeadlessError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut argv = argv.into_iter();
        let program = argv.next().ok_or(HeadlessError::NoCommand)?;
        let mut command = Command::new(program);
        command.args(argv);
        App::spawn(command, &self.display, self.stop_grace)
    }

    /// Starts a prepared command on this display, for full control of its
    /// environment, directory and standard streams. `DISPLAY` and the rest
    /// are set as for [`spawn_app`](Xvfb::spawn_app), except the streams,
    /// which stay as `command` has them.
    ///
    /// # Errors
    ///
    /// The program is not found or cannot be started.
    pub fn spawn_command(&self, mut command: Command) -> Result<App, HeadlessError> {
        app::set_environment(&mut command, &self.display);
        App::spawn_prepared(command, &self.display, self.stop_grace)
    }

    /// Stops the server now (SIGTERM, SIGKILL after the grace period) and
    /// returns its exit status.
    ///
    /// # Errors
    ///
    /// When the process cannot be signalled or waited for.
    pub fn stop(mut self) -> io::Result<ExitStatus> {
        self.group.stop(self.stop_grace)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        if let Err(err) = self.group.stop(self.stop_grace) {
            log::warn!("could not stop Xvfb on {}: {err}", self.display);
        }
    }
}

/// Refuses screens Xvfb cannot make or should not be asked for.
fn check_geometry(geometry: ScreenGeometry) -> Result<(), HeadlessError> {
    let why = if geometry.width == 0 || geometry.height == 0 {
        "width and height must be at least 1"
    } else if geometry.width > MAX_SIDE || geometry.height > MAX_SIDE {
        "width and height must be at most 16384"
    } else if ![8, 15, 16, 24, 30].contains(&geometry.depth) {
        "the depth must be 8, 15, 16, 24 or 30 (24 is the one captures support)"
    } else {
        return Ok(());
    };
    Err(HeadlessError::BadGeometry { geometry, why })
}

enum XvfbFailure {
    Exited,
    Timeout,
    Io(io::Error),
}

/// Reads the display number Xvfb writes with `-displayfd`: `Ok(None)` when
/// it exits without writing one, `TimedOut` when `deadline` passes,
/// `InvalidData` when it writes something else.
fn read_display_number(stdout: &mut ChildStdout, deadline: Instant) -> io::Result<Option<u32>> {
    let mut line = Vec::new();
    let mut chunk = [0u8; 32];
    while !line.contains(&b'\n') {
        let left = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(io::ErrorKind::TimedOut)?;
        if !wait_readable(stdout.as_fd(), Some(left))? {
            continue;
        }
        let n = stdout.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        line.extend_from_slice(&chunk[..n]);
        if line.len() > 64 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&line);
    let number = text.lines().next().unwrap_or("").trim();
    number
        .parse()
        .map(Some)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("{text:?}")))
}

/// Keeps the last [`STDERR_TAIL`] bytes of the child's stderr, read by a
/// thread until the child closes it, and logs it line by line at debug
/// level. Reading it keeps a chatty server from blocking on a full pipe.
fn tail_stderr(group: &mut GroupChild) -> (Arc<Mutex<Vec<u8>>>, Option<JoinHandle<()>>) {
    let kept = Arc::new(Mutex::new(Vec::new()));
    let Some(mut stderr) = group.child_mut().stderr.take() else {
        return (kept, None);
    };
    let sink = Arc::clone(&kept);
    let pid = group.pid();
    let spawned = std::thread::Builder::new()
        .name(format!("xvfb-{pid}-stderr"))
        .spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                for line in String::from_utf8_lossy(&chunk[..n]).lines() {
                    log::debug!("Xvfb[{pid}]: {line}");
                }
                let mut kept = sink.lock().unwrap_or_else(|p| p.into_inner());
                kept.extend_from_slice(&chunk[..n]);
                let excess = kept.len().saturating_sub(STDERR_TAIL);
                kept.drain(..excess);
            }
        });
    match spawned {
        Ok(reader) => (kept, Some(reader)),
        Err(err) => {
            log::warn!("cannot read Xvfb's stderr: {err}");
            (kept, None)
        }
    }
}

fn text(buffer: &Mutex<Vec<u8>>) -> String {
    let bytes = buffer.lock().unwrap_or_else(|p| p.into_inner());
    String::from_utf8_lossy(&bytes).trim_end().to_string()
}
